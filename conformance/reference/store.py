"""The reference server's state: accounts, SASP sessions, orders and click-through events in SQLite.

One :class:`Store` owns one ``sqlite3`` connection (WAL journal, ``synchronous=FULL``, foreign
keys on) and one worker thread.  Every method is synchronous and serialized by a lock, so the
store may be used from any thread; :meth:`Store.run` runs a function on the worker thread from
asyncio, so the event loop never waits on the disk and writes are serialized.  A write is
committed when the method (or the outermost :meth:`Store.transaction` block) returns.

Passwords are stored as salted PBKDF2-HMAC-SHA256 (a random salt per account, the iteration count
kept beside the hash).  Successful verifications are remembered in memory under a keyed digest of
(name, stored hash, password), so a repeated login costs one HMAC instead of a PBKDF2 run, and a
changed password invalidates the entry by itself.  Failures are remembered the same way, in their
own bounded cache, so the app can verify a password on a pool thread first
(:meth:`Store.verify_login_async`) and the store's single worker thread never runs PBKDF2 for a
password it has already judged -- a stream of wrong passwords cannot stall everyone's orders.

SASP session ids are stored hashed (HMAC-SHA256 under a per-database key; why not PBKDF2:
:mod:`conformance.reference.records`).  The schema (:mod:`conformance.reference.records`, with
the rows as frozen classes) is created on first open, or upgraded from schema 1.

A database file is checked before it is used (:mod:`conformance.reference.integrity`): a
``-wal`` that does not belong to it is refused before SQLite can apply it, ``PRAGMA
quick_check`` must say ``ok``, and the file is created 0600 (its ``-wal`` and ``-shm`` follow).
Every transaction that writes also stamps the header with the next commit number, which is what
lets a later open tell this database's log from another's.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import hashlib
import hmac
import secrets
import sqlite3
import string
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, TypeVar

from .integrity import DamagedDatabase, check_wal, next_commit, private_file, quick_check
from .records import (
    AWAITING_CLICK_THROUGH,
    MAX_ORDER_NUMBER,
    MEMORY,
    VALIDATED,
    Account,
    AccountExists,
    AccountSummary,
    ClickThroughEvent,
    Order,
    UnknownAccount,
    prepare_schema,
    sasp_digest,
)

__all__ = ["DEFAULT_PBKDF2_ITERATIONS", "Store"]

T = TypeVar("T")

DEFAULT_PBKDF2_ITERATIONS: Final = 600_000  # OWASP's figure for PBKDF2-HMAC-SHA256
_SALT_BYTES = 16
_CACHE_SIZE = 4096
_SASP_ALPHABET = string.ascii_letters + string.digits
_DAMAGED: Final = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})  # primary result codes


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _hash(password: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)


class Store:
    """The simulator's state in one SQLite database; see the module docstring.

    *path* is a file (its folder is created, 0700) or ``":memory:"`` (gone when closed).
    *pbkdf2_iterations* applies to passwords set from now on (tests pass a small number).
    Raises :class:`~conformance.reference.integrity.ForeignWal` or
    :class:`~conformance.reference.integrity.DamagedDatabase` for a file it will not use, and
    :class:`~conformance.reference.records.StoreError` for one of another schema.
    """

    def __init__(self, path: str | Path = MEMORY, *, pbkdf2_iterations: int = DEFAULT_PBKDF2_ITERATIONS) -> None:
        self.path = path
        self.pbkdf2_iterations = pbkdf2_iterations
        on_disk = str(path) != MEMORY
        if on_disk:
            Path(path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            check_wal(Path(path))  # before SQLite sees the log: it would apply any log it finds
            private_file(Path(path))
        # autocommit mode: single statements commit at once, transaction() opens BEGIN IMMEDIATE
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._depth = 0
        self._wrote = False  # by the current transaction: it commits with the next stamp
        self._verified: OrderedDict[bytes, None] = OrderedDict()
        self._refused: OrderedDict[bytes, None] = OrderedDict()
        self._cache_key = secrets.token_bytes(32)
        self._executor: ThreadPoolExecutor | None = None
        self._closed = False
        try:
            with self._lock:
                self._conn.execute("PRAGMA foreign_keys = ON")
                self._conn.execute("PRAGMA busy_timeout = 5000")
                self._conn.execute("PRAGMA secure_delete = ON")  # deleted secrets do not linger in free pages
                if on_disk:
                    self._conn.execute("PRAGMA journal_mode = WAL")
                    quick_check(self._conn, path)
                self._conn.execute("PRAGMA synchronous = FULL")
                with self.transaction():
                    self._sasp_key, self._wrote = prepare_schema(self._conn, path, _now())
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF in _DAMAGED:
                raise DamagedDatabase(f"{path}: damaged database: {exc}") from None
            raise  # cannot open it, locked, I/O error: not damage
        except BaseException:
            self._conn.close()
            raise

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Stop the worker thread (after the calls queued on it) and close the database."""
        if self._closed:
            return
        self._closed = True
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def run(self, fn: Callable[..., T], /, *args: Any) -> T:
        """Run ``fn(*args)`` on the store's single worker thread and await its result, so the
        event loop never blocks on the database and calls are serialized in arrival order."""
        if self._executor is None:
            with self._lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")
        loop = asyncio.get_running_loop()
        call = functools.partial(contextvars.copy_context().run, fn, *args)
        return await loop.run_in_executor(self._executor, call)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the store for a block of calls that must commit (or roll back) together.

        Nested blocks join the outermost one; the commit happens when it exits without error."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            self._wrote = False
            try:
                yield
                if self._wrote:  # the stamp: see conformance.reference.integrity
                    current = self._conn.execute("PRAGMA user_version").fetchone()[0]
                    self._conn.execute(f"PRAGMA user_version = {next_commit(current)}")
            except BaseException:
                self._depth = 0
                self._conn.execute("ROLLBACK")
                raise
            self._depth = 0
            self._conn.execute("COMMIT")

    def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _write(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """Every write goes through here: in a transaction (its own, if none is open), which then
        commits with a stamp."""
        with self.transaction():
            self._wrote = True
            return self._conn.execute(sql, params)

    # ------------------------------------------------------------------ accounts

    def _password_columns(self, password: str) -> tuple[str, str, int]:
        salt = secrets.token_bytes(_SALT_BYTES)
        return salt.hex(), _hash(password, salt, self.pbkdf2_iterations).hex(), self.pbkdf2_iterations

    def add_account(
        self,
        name: str,
        password: str,
        *,
        credit: Decimal = Decimal(0),
        payment_required: bool = False,
        manual_approval: bool = False,
        replace: bool = False,
    ) -> Account:
        """Create an account (raises :class:`AccountExists` for a name in use), or with *replace*
        create-or-update it: new password, credit and flags; its orders and sessions are kept."""
        salt, digest, iterations = self._password_columns(password)
        values = (name, salt, digest, iterations, str(credit), int(payment_required), int(manual_approval), _now())
        with self.transaction():
            if replace:
                self._write(
                    "INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET"
                    " password_salt = excluded.password_salt, password_hash = excluded.password_hash,"
                    " password_iterations = excluded.password_iterations, credit = excluded.credit,"
                    " payment_required = excluded.payment_required, manual_approval = excluded.manual_approval",
                    values,
                )
            else:
                try:
                    self._write("INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values)
                except sqlite3.IntegrityError:
                    raise AccountExists(f"an account named {name!r} exists already") from None
            account = self.get_account(name)
        assert account is not None
        return account

    def remove_account(self, name: str) -> None:
        """Delete an account with its sessions, orders and events; :class:`UnknownAccount` if none."""
        with self.transaction():
            if self._write("DELETE FROM accounts WHERE name = ?", (name,)).rowcount == 0:
                raise UnknownAccount(f"no account named {name!r}")

    def get_account(self, name: str) -> Account | None:
        """The account called *name* (case-sensitive, as loginName is), or None."""
        row = self._one("SELECT * FROM accounts WHERE name = ?", (name,))
        return None if row is None else Account.from_row(row)

    def list_accounts(self) -> list[AccountSummary]:
        """Every account by name, with its order count."""
        rows = self._all(
            "SELECT a.*, (SELECT count(*) FROM orders o WHERE o.account = a.name) AS order_count"
            " FROM accounts a ORDER BY a.name"
        )
        return [AccountSummary(Account.from_row(row), row["order_count"]) for row in rows]

    def set_credit(self, name: str, credit: Decimal) -> None:
        """Set an account's credit; :class:`UnknownAccount` if there is no such account."""
        if self._write("UPDATE accounts SET credit = ? WHERE name = ?", (str(credit), name)).rowcount == 0:
            raise UnknownAccount(f"no account named {name!r}")

    def debit(self, name: str, amount: Decimal) -> Decimal:
        """Take *amount* from the account's credit and return what is left (may go below zero:
        the caller checks first, inside the same :meth:`transaction`)."""
        with self.transaction():
            account = self.get_account(name)
            if account is None:
                raise UnknownAccount(f"no account named {name!r}")
            left = account.credit - amount
            self.set_credit(name, left)
        return left

    def verify_login(self, name: str, password: str) -> Account | None:
        """The account if *password* is its password, else None (also for an unknown name).

        Compares with :func:`hmac.compare_digest`; a success is cached (see the module docstring)."""
        row = self._one("SELECT * FROM accounts WHERE name = ?", (name,))
        if row is None:
            return None
        key = hmac.new(
            self._cache_key,
            b"\0".join((name.encode(), row["password_hash"].encode(), password.encode("utf-8"))),
            hashlib.sha256,
        ).digest()
        with self._lock:
            if key in self._verified:
                self._verified.move_to_end(key)
                return Account.from_row(row)
            if key in self._refused:
                self._refused.move_to_end(key)
                return None
        computed = _hash(password, bytes.fromhex(row["password_salt"]), row["password_iterations"])
        good = hmac.compare_digest(computed, bytes.fromhex(row["password_hash"]))
        cache = self._verified if good else self._refused
        with self._lock:
            cache[key] = None
            while len(cache) > _CACHE_SIZE:
                cache.popitem(last=False)
        return Account.from_row(row) if good else None

    async def verify_login_async(self, name: str, password: str) -> None:
        """Judge *password* on a pool thread (PBKDF2 releases the GIL), leaving the verdict in the
        caches, so the later :meth:`verify_login` on the worker thread costs one HMAC."""
        await asyncio.to_thread(self.verify_login, name, password)

    # ------------------------------------------------------------------ SASP sessions

    def add_sasp_session(self, session_id: str, account: str) -> None:
        """Let *session_id* stand for *account* (replacing what it stood for before); only its
        keyed hash is stored."""
        with self.transaction():
            if self.get_account(account) is None:
                raise UnknownAccount(f"no account named {account!r}")
            self._write(
                "INSERT INTO sasp_sessions VALUES (?, ?, ?)"
                " ON CONFLICT(session_hash) DO UPDATE SET account = excluded.account",
                (sasp_digest(self._sasp_key, session_id), account, _now()),
            )

    def create_sasp_session(self, account: str, length: int = 16) -> str:
        """A new random session id of *length* letters and digits for *account*."""
        with self.transaction():
            while True:
                session_id = "".join(secrets.choice(_SASP_ALPHABET) for _ in range(length))
                if self.account_for_session(session_id) is None:
                    break
            self.add_sasp_session(session_id, account)
        return session_id

    def account_for_session(self, session_id: str) -> Account | None:
        """The account a SASP session id stands for, or None."""
        row = self._one(
            "SELECT a.* FROM sasp_sessions s JOIN accounts a ON a.name = s.account WHERE s.session_hash = ?",
            (sasp_digest(self._sasp_key, session_id),),
        )
        return None if row is None else Account.from_row(row)

    # ------------------------------------------------------------------ orders

    def insert_order(
        self,
        account: str,
        *,
        products: Sequence[int],
        days: int,
        cost: Decimal,
        customer_validated: bool,
        organization_name: str,
        country_name: str,
        foreign_order_number: str | None = None,
        admin_email: str | None = None,
        test: bool = False,
    ) -> Order:
        """Record an order and return it with its new number.  Its state is ``validated`` when the
        customer was validated by the Web Host, else ``awaiting_click_through``.  No credit is
        taken here (see :meth:`debit`)."""
        state = VALIDATED if customer_validated else AWAITING_CLICK_THROUGH
        with self.transaction():
            cursor = self._write(
                "INSERT INTO orders (account, products, days, cost, customer_validated, organization_name,"
                " country_name, foreign_order_number, admin_email, test, state, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    account,
                    ",".join(str(p) for p in products),
                    days,
                    str(cost),
                    int(customer_validated),
                    organization_name,
                    country_name,
                    foreign_order_number,
                    admin_email,
                    int(test),
                    state,
                    _now(),
                ),
            )
            order = self.get_order(int(cursor.lastrowid or 0))
        assert order is not None
        return order

    def get_order(self, order_number: int) -> Order | None:
        """The order with that number, or None (also for a number no order can have: outside
        1 to :data:`~conformance.reference.records.MAX_ORDER_NUMBER`, which SQLite cannot compare)."""
        if not 0 < order_number <= MAX_ORDER_NUMBER:
            return None
        row = self._one("SELECT * FROM orders WHERE order_number = ?", (order_number,))
        return None if row is None else Order.from_row(row)

    def list_orders(self, account: str | None = None) -> list[Order]:
        """Every order (of *account*, when given) by number."""
        if account is None:
            rows = self._all("SELECT * FROM orders ORDER BY order_number")
        else:
            rows = self._all("SELECT * FROM orders WHERE account = ? ORDER BY order_number", (account,))
        return [Order.from_row(row) for row in rows]

    def foreign_order_number_used(self, account: str, foreign_order_number: str) -> bool:
        """Whether *account* placed an order with this foreignOrderNumber before."""
        row = self._one(
            "SELECT 1 FROM orders WHERE account = ? AND foreign_order_number = ? LIMIT 1",
            (account, foreign_order_number),
        )
        return row is not None

    def has_validated_order(self, account: str, organization_name: str, country_name: str) -> bool:
        """Whether *account* has a ``validated`` order for this organization in this country."""
        row = self._one(
            "SELECT 1 FROM orders WHERE account = ? AND organization_name = ? AND country_name = ? AND state = ?"
            " LIMIT 1",
            (account, organization_name, country_name, VALIDATED),
        )
        return row is not None

    def set_admin_email(self, order_number: int, admin_email: str | None) -> None:
        """Replace the address an order's click-through e-mail goes to."""
        self._write("UPDATE orders SET admin_email = ? WHERE order_number = ?", (admin_email, order_number))

    # ------------------------------------------------------------------ click-through events

    def record_click_through(self, order_number: int, action: str, admin_email: str | None, status: int) -> None:
        """Record one click-through request on an order and the status it was answered."""
        self._write(
            "INSERT INTO click_through_events (order_number, action, admin_email, status, created)"
            " VALUES (?, ?, ?, ?, ?)",
            (order_number, action, admin_email, status, _now()),
        )

    def click_through_events(self, order_number: int | None = None) -> list[ClickThroughEvent]:
        """The recorded click-through events (of one order, when given), oldest first."""
        sql = "SELECT * FROM click_through_events"
        params: tuple[Any, ...] = ()
        if order_number is not None:
            sql += " WHERE order_number = ?"
            params = (order_number,)
        return [ClickThroughEvent(**dict(row)) for row in self._all(sql + " ORDER BY id", params)]
