"""The reference server's records: the SQLite schema (and its upgrade from schema 1), its rows as
frozen classes, the store's errors, and where the database lives.
:mod:`conformance.reference.store` reads and writes them.

Schema 2 (issue 11) keeps SASP session ids hashed, as passwords are: ``sasp_sessions.session_hash``
is HMAC-SHA256 of the id under a random per-database key (``store_meta.sasp_key``), hex, and
is the table's primary key, so a lookup is one HMAC and one index probe.  A slow hash (PBKDF2, as
for passwords) would buy nothing here: a SASP id is a random token (16 letters and digits, about
95 bits), not something a person chose, so it cannot be guessed from a list, and the per-database
key keeps equal ids in two databases from having equal hashes.  (An id typed by hand, such as
``serve --sasp-session``'s, is only as strong as its choice.)  The schema version lives in
``store_meta``, because the header's ``user_version`` now counts commits
(:mod:`conformance.reference.integrity`).  A schema-1 database is upgraded in place, in one
transaction: its plain ids can be hashed without loss, so refusing it would only make its owner
create the sessions again; the old table is dropped with ``secure_delete`` on, so the plain ids
do not linger in free pages.  A database of a later schema is refused."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Final

import attrs

__all__ = [
    "AWAITING_CLICK_THROUGH",
    "DATA_DIR_ENV",
    "DB_NAME",
    "MAX_ORDER_NUMBER",
    "MEMORY",
    "SCHEMA",
    "SCHEMA_VERSION",
    "VALIDATED",
    "Account",
    "AccountExists",
    "AccountSummary",
    "ClickThroughEvent",
    "Order",
    "StoreError",
    "UnknownAccount",
    "default_data_dir",
    "order_number_named",
    "prepare_schema",
    "resolve_db",
    "sasp_digest",
]

SCHEMA_VERSION: Final = 2
DATA_DIR_ENV: Final = "COMODO_CONFORMANCE_DATA"
DB_NAME: Final = "reference.sqlite3"
MEMORY: Final = ":memory:"
MAX_ORDER_NUMBER: Final = 2**63 - 1
"""The largest order number: orders are numbered by SQLite's rowid, a signed 64-bit integer."""
_ORDER_NUMBER_DIGITS: Final = len(str(MAX_ORDER_NUMBER))

AWAITING_CLICK_THROUGH: Final = "awaiting_click_through"
VALIDATED: Final = "validated"

_STORE_META = """
CREATE TABLE store_meta (
    schema_version INTEGER NOT NULL,
    sasp_key TEXT NOT NULL,
    created TEXT NOT NULL
)"""
_SASP_SESSIONS = """
CREATE TABLE sasp_sessions (
    session_hash TEXT PRIMARY KEY,
    account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,
    created TEXT NOT NULL
)"""

SCHEMA = f"""{_STORE_META};
CREATE TABLE accounts (
    name TEXT PRIMARY KEY,
    password_salt TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    password_iterations INTEGER NOT NULL,
    credit TEXT NOT NULL,
    payment_required INTEGER NOT NULL DEFAULT 0,
    manual_approval INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL
);
{_SASP_SESSIONS};
CREATE TABLE orders (
    order_number INTEGER PRIMARY KEY,
    account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,
    products TEXT NOT NULL,
    days INTEGER NOT NULL,
    cost TEXT NOT NULL,
    customer_validated INTEGER NOT NULL,
    organization_name TEXT NOT NULL,
    country_name TEXT NOT NULL,
    foreign_order_number TEXT,
    admin_email TEXT,
    test INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('{AWAITING_CLICK_THROUGH}', '{VALIDATED}')),
    created TEXT NOT NULL
);
CREATE INDEX orders_by_fon ON orders(account, foreign_order_number);
CREATE INDEX orders_by_customer ON orders(account, organization_name, country_name, state);
CREATE TABLE click_through_events (
    id INTEGER PRIMARY KEY,
    order_number INTEGER NOT NULL REFERENCES orders(order_number) ON DELETE CASCADE,
    action TEXT NOT NULL,
    admin_email TEXT,
    status INTEGER NOT NULL,
    created TEXT NOT NULL
);
CREATE INDEX events_by_order ON click_through_events(order_number);
"""


class StoreError(Exception):
    """Base class of the store's refusals (never carries a password)."""


class AccountExists(StoreError):
    """An account of that name exists already."""


class UnknownAccount(StoreError):
    """No account of that name."""


@attrs.frozen
class Account:
    """A reseller account.  ``credit`` is what orders are debited from."""

    name: str
    credit: Decimal
    payment_required: bool
    manual_approval: bool
    created: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Account:
        """The account a row of table ``accounts`` holds."""
        return cls(
            name=row["name"],
            credit=Decimal(row["credit"]),
            payment_required=bool(row["payment_required"]),
            manual_approval=bool(row["manual_approval"]),
            created=row["created"],
        )


@attrs.frozen
class AccountSummary:
    """An account as ``accounts list`` shows it: no password material, with its order count."""

    account: Account
    order_count: int


@attrs.frozen
class Order:
    """A placed order.  ``admin_email`` is the address the click-through goes to (``emailAddress``
    as sent, None when none was sent); ``state`` is ``awaiting_click_through`` or ``validated``."""

    order_number: int
    account: str
    products: tuple[int, ...]
    days: int
    cost: Decimal
    customer_validated: bool
    organization_name: str
    country_name: str
    foreign_order_number: str | None
    admin_email: str | None
    test: bool
    state: str
    created: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Order:
        """The order a row of table ``orders`` holds."""
        return cls(
            order_number=row["order_number"],
            account=row["account"],
            products=tuple(int(p) for p in row["products"].split(",")),
            days=row["days"],
            cost=Decimal(row["cost"]),
            customer_validated=bool(row["customer_validated"]),
            organization_name=row["organization_name"],
            country_name=row["country_name"],
            foreign_order_number=row["foreign_order_number"],
            admin_email=row["admin_email"],
            test=bool(row["test"]),
            state=row["state"],
            created=row["created"],
        )


@attrs.frozen
class ClickThroughEvent:
    """One !UpdateUserEvClickThrough request that named an order of its account."""

    id: int
    order_number: int
    action: str
    admin_email: str | None
    status: int
    created: str


def sasp_digest(key: bytes, session_id: str) -> str:
    """How a SASP session id is stored: HMAC-SHA256 under the database's key, hex."""
    return hmac.new(key, session_id.encode("utf-8"), hashlib.sha256).hexdigest()


def prepare_schema(conn: sqlite3.Connection, path: str | Path, now: str) -> tuple[bytes, bool]:
    """Create the schema in an empty database, upgrade a schema-1 one, or check the version; return
    the database's SASP key and whether anything was written.  Runs inside the caller's
    transaction; a refusal is a :class:`StoreError`."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    if "store_meta" in tables:
        row = conn.execute("SELECT schema_version, sasp_key FROM store_meta").fetchone()
        if row is None or row[0] != SCHEMA_VERSION:
            found = "no version" if row is None else f"schema version {row[0]}"
            raise StoreError(f"{path}: {found}, this code knows {SCHEMA_VERSION}")
        return bytes.fromhex(row[1]), False
    key = secrets.token_bytes(32)
    if not tables:
        for statement in SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
    elif "accounts" in tables and conn.execute("PRAGMA user_version").fetchone()[0] == 1:  # schema 1
        sessions = conn.execute("SELECT session_id, account, created FROM sasp_sessions").fetchall()
        conn.execute("DROP TABLE sasp_sessions")  # with secure_delete on: the plain ids are overwritten
        conn.execute(_STORE_META)
        conn.execute(_SASP_SESSIONS)
        conn.executemany(
            "INSERT INTO sasp_sessions VALUES (?, ?, ?)", [(sasp_digest(key, s), a, c) for s, a, c in sessions]
        )
    else:
        raise StoreError(f"{path}: not a reference-server database (tables: {', '.join(sorted(tables))})")
    conn.execute("INSERT INTO store_meta VALUES (?, ?, ?)", (SCHEMA_VERSION, key.hex(), now))
    conn.execute(f"PRAGMA application_id = {secrets.randbelow(2**31 - 1) + 1}")  # the store id: see integrity
    return key, True


def order_number_named(text: str) -> int | None:
    """The order number *text* names, or None when it can name no order.

    An order is named only by the text the server gave for it: ASCII decimal digits, no sign, no
    leading zero, no spaces, from 1 to :data:`MAX_ORDER_NUMBER` (SQLite's rowid range; a larger
    number would not even fit the query).  ``007``, ``+7``, `` 7`` and ``7.0`` name no order, as
    they are not the order number ``7`` the server answered; orderNumber is text (note
    order-number-type), so none of them is read as if it were.  Whatever names no order earns
    -20 (``policy.click_through_unknown_order_message``), never an internal failure."""
    if not 0 < len(text) <= _ORDER_NUMBER_DIGITS or not text.isascii() or not text.isdigit() or text[0] == "0":
        return None
    number = int(text)
    return number if number <= MAX_ORDER_NUMBER else None


def default_data_dir() -> Path:
    """``$COMODO_CONFORMANCE_DATA``, else ``~/.local/share/comodo-conformance``."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".local" / "share" / "comodo-conformance"


def resolve_db(data_dir: str | Path | None, db: str | Path | None) -> str | Path:
    """The database to open: *db* if given (``:memory:`` kept as is), else ``DATA_DIR/reference.sqlite3``
    with *data_dir* defaulting to :func:`default_data_dir`."""
    if db is not None:
        return MEMORY if str(db) == MEMORY else Path(db).expanduser()
    return Path(data_dir).expanduser() / DB_NAME if data_dir is not None else default_data_dir() / DB_NAME
