"""The store's database file at rest (issue 11): a damaged file or a write-ahead log that does not
belong is refused in one line; SASP ids are stored hashed; the files are private; schema 1 is
upgraded in place."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import shutil
import sqlite3
import stat
from decimal import Decimal
from pathlib import Path

import pytest

from conformance.reference.integrity import DamagedDatabase, ForeignWal
from conformance.reference.records import SCHEMA_VERSION
from conformance.reference.store import Store
from tests.support.server import FAST

SESSION = "CanarySasp000042"  # a SASP id: it must never be in the files


def _wal(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def _shm(path: Path) -> Path:
    return path.with_name(path.name + "-shm")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _populated(path: Path, *, orders: int = 3) -> Store:
    store = Store(path, pbkdf2_iterations=FAST)
    store.add_account("alice", "pw", credit=Decimal(100))
    store.add_sasp_session(SESSION, "alice")
    _orders(store, orders)
    return store


def _orders(store: Store, count: int) -> None:
    for i in range(count):
        store.insert_order(
            "alice",
            products=(36,),
            days=365,
            cost=Decimal(39),
            customer_validated=False,
            organization_name=f"Organization {i} " + "x" * 200,
            country_name="GB",
        )


def _crash_image(live: Path, image: Path) -> None:
    """The files a crash of the store using *live* would leave (it is open and idle): the database
    and its log, copied to *image*."""
    image.parent.mkdir(parents=True, exist_ok=True)
    assert _wal(live).stat().st_size > 0
    shutil.copyfile(live, image)
    shutil.copyfile(_wal(live), _wal(image))


def _names_and_orders(path: Path) -> tuple[list[str], int]:
    with Store(path, pbkdf2_iterations=FAST) as store:
        return [s.account.name for s in store.list_accounts()], len(store.list_orders())


def _refused(path: Path, *fragments: str) -> str:
    with pytest.raises(ForeignWal) as info:
        Store(path)
    message = str(info.value)
    print(f"\n{message}")
    assert "\n" not in message and message.startswith(f"{_wal(path)}: does not belong to {path}: ")
    for fragment in fragments:
        assert fragment in message
    return message


# ---------------------------------------------------------------------- a log that belongs


def test_a_crash_image_opens_with_every_commit_in_its_log(tmp_path: Path) -> None:
    live, image = tmp_path / "live.sqlite3", tmp_path / "image" / "copy.sqlite3"
    with _populated(live):
        _crash_image(live, image)
    with Store(image, pbkdf2_iterations=FAST) as copy:
        assert len(copy.list_orders()) == 3
        account = copy.account_for_session(SESSION)
        assert account is not None and account.name == "alice"


def test_a_torn_last_frame_loses_only_the_transaction_it_belonged_to(tmp_path: Path) -> None:
    """As SQLite reads a log after a crash mid-write: frames up to the last whole commit count."""
    live, image = tmp_path / "live.sqlite3", tmp_path / "image" / "copy.sqlite3"
    with _populated(live):
        _crash_image(live, image)
    with _wal(image).open("r+b") as f:
        f.truncate(_wal(image).stat().st_size - 100)
    assert _names_and_orders(image) == (["alice"], 2)


def test_a_live_writers_log_is_not_judged(tmp_path: Path) -> None:
    """Several stores (or processes) may have one database open: each stamps its own writes."""
    path = tmp_path / "shared.sqlite3"
    with _populated(path) as first, Store(path, pbkdf2_iterations=FAST) as second:
        _orders(second, 2)
        _orders(first, 1)
        with Store(path, pbkdf2_iterations=FAST) as third:
            assert len(third.list_orders()) == 6


def test_a_log_sqlite_would_ignore_is_not_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    _populated(path).close()
    _wal(path).write_bytes(os.urandom(32 + 24 + 4096))  # no valid header: SQLite ignores it
    assert _names_and_orders(path) == (["alice"], 3)


# ---------------------------------------------------------------------- a log that does not belong


def test_a_log_from_another_store_is_refused_and_the_database_left_as_it_was(tmp_path: Path) -> None:
    """The issue's case: a log copied from a fresh database emptied the accounts and orders."""
    mine, other = tmp_path / "mine.sqlite3", tmp_path / "other.sqlite3"
    _populated(mine).close()
    with Store(other, pbkdf2_iterations=FAST) as fresh:  # its log: the schema and one account
        fresh.add_account("mallory", "pw")
        shutil.copyfile(_wal(other), _wal(mine))
    _refused(mine, "it is store ", "; this database is store ")
    _wal(mine).unlink()
    assert _names_and_orders(mine) == (["alice"], 3)


def test_a_log_of_a_fresh_store_is_refused_beside_an_old_one(tmp_path: Path) -> None:
    mine, other = tmp_path / "mine.sqlite3", tmp_path / "other.sqlite3"
    _populated(mine).close()
    with Store(other, pbkdf2_iterations=FAST):  # nothing but its creation
        shutil.copyfile(_wal(other), _wal(mine))
    _refused(mine, "this database is store")


def test_a_log_written_by_another_program_is_refused(tmp_path: Path) -> None:
    mine, other = tmp_path / "mine.sqlite3", tmp_path / "other.sqlite3"
    _populated(mine).close()
    raw = sqlite3.connect(other, isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    raw.execute("CREATE TABLE notes (text)")
    raw.execute("INSERT INTO notes VALUES ('hello')")
    shutil.copyfile(_wal(other), _wal(mine))
    raw.close()
    _refused(mine, "carry no stamp of this store", "wal_checkpoint(TRUNCATE)")


def test_a_log_beside_an_older_copy_of_its_database_is_refused(tmp_path: Path) -> None:
    """A database file restored from a backup while the log of a later crash is still there."""
    path, backup, image = tmp_path / "db.sqlite3", tmp_path / "backup.sqlite3", tmp_path / "image" / "db.sqlite3"
    _populated(path).close()
    shutil.copyfile(path, backup)
    with Store(path, pbkdf2_iterations=FAST) as store:  # a later session, closed cleanly
        _orders(store, 1)
    with Store(path, pbkdf2_iterations=FAST) as store:  # then one that crashes
        _orders(store, 2)
        _crash_image(path, image)
    shutil.copyfile(backup, image)  # restore the old file; the log stays
    _refused(image, "but the database file is at commit")
    shutil.copyfile(path, image)  # the file the log belongs to: accepted (a later one too, see below)


def test_a_stale_log_beside_a_newer_copy_of_its_database_is_refused(tmp_path: Path) -> None:
    path, image = tmp_path / "db.sqlite3", tmp_path / "image" / "db.sqlite3"
    with _populated(path) as store:
        _crash_image(path, image)  # the log of commits so far...
        _orders(store, 2)
    shutil.copyfile(path, image)  # ...beside the file as it is two commits later
    _refused(image, "but the database file is at commit")


# ---------------------------------------------------------------------- damage


def _damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    if how == "truncated":
        del data[len(data) // 2 :]
    elif how == "overwritten page":
        data[3 * page : 4 * page] = b"\xff" * page
    elif how == "zeroed schema page":
        data[100:page] = bytes(page - 100)
    elif how == "not a database":
        data = bytearray(b"this is not a database\n" * 200)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["truncated", "overwritten page", "zeroed schema page", "not a database"])
def test_a_damaged_database_is_refused_in_one_line_naming_the_file(tmp_path: Path, how: str) -> None:
    path = tmp_path / "db.sqlite3"
    _populated(path, orders=120).close()  # several pages
    _damage(path, how)
    with pytest.raises(DamagedDatabase) as info:
        Store(path)
    message = str(info.value)
    print(f"\n{how}: {message}")
    assert message.startswith(f"{path}: damaged database: ") and "\n" not in message and len(message) < 400


# ---------------------------------------------------------------------- secrets at rest


def test_the_database_and_its_log_are_private_and_its_folder_too(tmp_path: Path) -> None:
    path = tmp_path / "new" / "db.sqlite3"
    old = os.umask(0o022)
    try:
        with _populated(path):
            assert {_mode(p) for p in (path, _wal(path), _shm(path))} == {0o600}
        assert _mode(path.parent) == 0o700
    finally:
        os.umask(old)


def test_an_existing_database_readable_by_others_is_made_private(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "db.sqlite3"
    _populated(path).close()
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="conformance.store"), Store(path, pbkdf2_iterations=FAST):
        assert _mode(path) == 0o600
    assert "was readable by others (mode 0644); now 0600" in caplog.text


def _file_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, _wal(path)) if p.exists())


def test_sasp_ids_are_stored_as_keyed_hashes_only(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with _populated(path):
        raw = sqlite3.connect(path)
        key = bytes.fromhex(raw.execute("SELECT sasp_key FROM store_meta").fetchone()[0])
        rows = raw.execute("SELECT session_hash, account FROM sasp_sessions").fetchall()
        raw.close()
        assert rows == [(hmac.new(key, SESSION.encode(), hashlib.sha256).hexdigest(), "alice")]
        assert SESSION.encode() not in _file_bytes(path)
    assert SESSION.encode() not in _file_bytes(path)


_SCHEMA_1 = """
CREATE TABLE accounts (name TEXT PRIMARY KEY, password_salt TEXT NOT NULL, password_hash TEXT NOT NULL,
    password_iterations INTEGER NOT NULL, credit TEXT NOT NULL, payment_required INTEGER NOT NULL DEFAULT 0,
    manual_approval INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL);
CREATE TABLE sasp_sessions (session_id TEXT PRIMARY KEY,
    account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE, created TEXT NOT NULL);
CREATE TABLE orders (order_number INTEGER PRIMARY KEY,
    account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE, products TEXT NOT NULL,
    days INTEGER NOT NULL, cost TEXT NOT NULL, customer_validated INTEGER NOT NULL,
    organization_name TEXT NOT NULL, country_name TEXT NOT NULL, foreign_order_number TEXT, admin_email TEXT,
    test INTEGER NOT NULL, state TEXT NOT NULL CHECK (state IN ('awaiting_click_through', 'validated')),
    created TEXT NOT NULL);
CREATE INDEX orders_by_fon ON orders(account, foreign_order_number);
CREATE INDEX orders_by_customer ON orders(account, organization_name, country_name, state);
CREATE TABLE click_through_events (id INTEGER PRIMARY KEY,
    order_number INTEGER NOT NULL REFERENCES orders(order_number) ON DELETE CASCADE, action TEXT NOT NULL,
    admin_email TEXT, status INTEGER NOT NULL, created TEXT NOT NULL);
CREATE INDEX events_by_order ON click_through_events(order_number);
"""


def test_a_schema_1_database_is_upgraded_and_its_plain_sasp_ids_hashed(tmp_path: Path) -> None:
    """Schema 1 kept SASP ids in plain text (in a 0644 file); the upgrade hashes them in place."""
    path = tmp_path / "v1.sqlite3"
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    raw.executescript(_SCHEMA_1)
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", b"pw", salt, FAST)
    now = "2026-01-01T00:00:00.000+00:00"
    raw.execute("INSERT INTO accounts VALUES ('alice', ?, ?, ?, '100', 0, 0, ?)", (salt.hex(), digest.hex(), FAST, now))
    raw.execute("INSERT INTO sasp_sessions VALUES (?, 'alice', ?)", (SESSION, now))
    raw.execute(
        "INSERT INTO orders VALUES (7, 'alice', '36', 365, '39', 0, 'Org', 'GB', NULL, NULL, 0,"
        " 'awaiting_click_through', ?)",
        (now,),
    )
    raw.execute("PRAGMA user_version = 1")
    raw.close()
    path.chmod(0o644)
    assert SESSION.encode() in _file_bytes(path)
    with Store(path, pbkdf2_iterations=FAST) as store:
        account = store.account_for_session(SESSION)
        assert account is not None and account.name == "alice"
        assert store.verify_login("alice", "pw") is not None
        assert [o.order_number for o in store.list_orders()] == [7]
        assert store._conn.execute("SELECT schema_version FROM store_meta").fetchone()[0] == SCHEMA_VERSION
        assert _mode(path) == 0o600
    assert SESSION.encode() not in _file_bytes(path)  # secure_delete: not left in a free page
    with Store(path, pbkdf2_iterations=FAST) as again:  # and it opens again as schema 2
        assert again.account_for_session(SESSION) is not None


@pytest.mark.parametrize("order", ["<", ">"])
def test_the_wal_checksum_is_sqlites_in_either_byte_order(order: str) -> None:
    """The documented algorithm, word by word (the store reads it faster, as an array)."""
    import struct

    from conformance.reference.integrity import _checksum

    data = os.urandom(4096)
    s0, s1 = 7, 11
    for x0, x1 in struct.iter_unpack(order + "II", data):
        s0 = (s0 + x0 + s1) % 2**32
        s1 = (s1 + x1 + s0) % 2**32
    assert _checksum(data, order, 7, 11) == (s0, s1)
