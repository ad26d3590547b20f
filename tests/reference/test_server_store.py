"""The reference server's SQLite store: schema, accounts, passwords, sessions, orders, durability."""

from __future__ import annotations

import asyncio
import sqlite3
import string
import threading
from decimal import Decimal
from pathlib import Path

import pytest

import conformance.reference.store as store_module
from conformance.reference.integrity import FIRST_COMMIT
from conformance.reference.records import (
    SCHEMA_VERSION,
    AccountExists,
    StoreError,
    UnknownAccount,
    default_data_dir,
    resolve_db,
)
from conformance.reference.store import Store
from tests.support.server import FAST


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "reference.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Store:
    with Store(db_path, pbkdf2_iterations=FAST) as s:
        yield s


def _order(store: Store, account: str = "alice", **overrides: object) -> int:
    fields: dict[str, object] = {
        "products": (36,),
        "days": 365,
        "cost": Decimal("39.00"),
        "customer_validated": False,
        "organization_name": "Org",
        "country_name": "GB",
    }
    fields.update(overrides)
    return store.insert_order(account, **fields).order_number  # type: ignore[arg-type]


# ------------------------------------------------------------------ schema and pragmas


def test_schema_is_created_versioned_and_durable(store: Store, db_path: Path) -> None:
    assert db_path.is_file()
    raw = sqlite3.connect(db_path)
    try:
        assert raw.execute("SELECT schema_version FROM store_meta").fetchall() == [(SCHEMA_VERSION,)]
        assert raw.execute("PRAGMA user_version").fetchone()[0] == FIRST_COMMIT  # the commit counter
        assert raw.execute("PRAGMA application_id").fetchone()[0] != 0  # the store id
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        raw.close()
    assert {"store_meta", "accounts", "sasp_sessions", "orders", "click_through_events"} <= tables
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_a_newer_schema_is_refused(db_path: Path) -> None:
    Store(db_path, pbkdf2_iterations=FAST).close()
    raw = sqlite3.connect(db_path)
    with raw:
        raw.execute("UPDATE store_meta SET schema_version = ?", (SCHEMA_VERSION + 1,))
    raw.close()
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1}, this code knows {SCHEMA_VERSION}"):
        Store(db_path)


def test_a_database_of_another_program_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    raw = sqlite3.connect(db_path)
    raw.execute("CREATE TABLE notes (text)")
    raw.close()
    with pytest.raises(StoreError, match="not a reference-server database \\(tables: notes\\)"):
        Store(db_path)


def test_each_commit_that_writes_stamps_the_header_and_reads_do_not(store: Store, db_path: Path) -> None:
    def commit() -> int:
        return int(store._conn.execute("PRAGMA user_version").fetchone()[0])

    first = commit()
    store.add_account("alice", "pw")
    assert commit() == first + 1
    with store.transaction():
        store.get_account("alice")  # no write: no stamp
    store.list_accounts()
    assert commit() == first + 1
    with store.transaction():  # one transaction, two writes: one stamp
        store.set_credit("alice", Decimal(5))
        store.set_credit("alice", Decimal(6))
    store.record_click_through(_order(store), "ResendEmail", None, 1)  # two writes of their own
    assert commit() == first + 4


def test_data_dir_and_db_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COMODO_CONFORMANCE_DATA", str(tmp_path / "env"))
    assert default_data_dir() == tmp_path / "env"
    assert resolve_db(None, None) == tmp_path / "env" / "reference.sqlite3"
    assert resolve_db(tmp_path, None) == tmp_path / "reference.sqlite3"
    assert resolve_db(tmp_path, ":memory:") == ":memory:"
    assert resolve_db(None, tmp_path / "x.db") == tmp_path / "x.db"
    monkeypatch.delenv("COMODO_CONFORMANCE_DATA")
    assert default_data_dir() == Path.home() / ".local" / "share" / "comodo-conformance"


# ------------------------------------------------------------------ accounts and passwords


def test_accounts_add_get_list_remove(store: Store) -> None:
    alice = store.add_account("alice", "pw", credit=Decimal("10.10"), manual_approval=True)
    assert (alice.name, alice.credit, alice.payment_required, alice.manual_approval) == (
        "alice",
        Decimal("10.10"),
        False,
        True,
    )
    store.add_account("bob", "pw", payment_required=True)
    _order(store, "alice")
    _order(store, "alice")
    listed = {s.account.name: s for s in store.list_accounts()}
    assert [n for n in listed] == ["alice", "bob"]
    assert listed["alice"].order_count == 2 and listed["bob"].order_count == 0
    assert listed["bob"].account.payment_required
    with pytest.raises(AccountExists):
        store.add_account("alice", "other")
    store.remove_account("alice")
    assert store.get_account("alice") is None
    assert store.list_orders("alice") == []  # orders go with their account
    with pytest.raises(UnknownAccount):
        store.remove_account("alice")


def test_replace_updates_password_credit_and_flags_keeping_orders(store: Store) -> None:
    store.add_account("alice", "old", credit=Decimal(1))
    _order(store)
    store.add_account("alice", "new", credit=Decimal(5), payment_required=True, replace=True)
    account = store.get_account("alice")
    assert account is not None and account.credit == Decimal(5) and account.payment_required
    assert store.verify_login("alice", "old") is None
    assert store.verify_login("alice", "new") is not None
    assert len(store.list_orders("alice")) == 1


def test_credit_is_exact_decimal_text(store: Store) -> None:
    store.add_account("alice", "pw", credit=Decimal("0.30"))
    assert store.debit("alice", Decimal("0.10")) == Decimal("0.20")
    assert store._conn.execute("SELECT credit FROM accounts").fetchone()[0] == "0.20"
    store.set_credit("alice", Decimal("12345678901234567890.01"))
    account = store.get_account("alice")
    assert account is not None and account.credit == Decimal("12345678901234567890.01")
    with pytest.raises(UnknownAccount):
        store.set_credit("nobody", Decimal(1))


def test_passwords_are_salted_pbkdf2_never_plain(store: Store) -> None:
    store.add_account("alice", "same-password")
    store.add_account("bob", "same-password")
    rows = store._conn.execute("SELECT * FROM accounts ORDER BY name").fetchall()
    dump = "\n".join("".join(str(v) for v in tuple(r)) for r in rows)
    assert "same-password" not in dump
    assert rows[0]["password_salt"] != rows[1]["password_salt"]
    assert rows[0]["password_hash"] != rows[1]["password_hash"]
    assert rows[0]["password_iterations"] == FAST
    assert store.verify_login("alice", "same-password") is not None
    assert store.verify_login("alice", "Same-password") is None  # case sensitive
    assert store.verify_login("ALICE", "same-password") is None
    assert store.verify_login("nobody", "same-password") is None


@pytest.fixture
def pbkdf2_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of the thread of each PBKDF2 run the store makes from now on."""
    calls: list[str] = []
    real = store_module._hash

    def recording(password: str, salt: bytes, iterations: int) -> bytes:
        calls.append(threading.current_thread().name)
        return real(password, salt, iterations)

    monkeypatch.setattr(store_module, "_hash", recording)
    return calls


def test_login_verdicts_are_cached_both_ways(store: Store, pbkdf2_calls: list[str]) -> None:
    """A password is run through PBKDF2 once per (account, stored hash, password), right or wrong."""
    store.add_account("alice", "pw")
    calls = pbkdf2_calls
    calls.clear()  # setting the password ran it once
    for _ in range(5):
        assert store.verify_login("alice", "pw") is not None
    assert len(calls) == 1
    for _ in range(3):
        assert store.verify_login("alice", "wrong") is None
    assert len(calls) == 2
    assert store.verify_login("alice", "wrong-too") is None
    assert len(calls) == 3
    # a changed password is a changed stored hash: neither cached verdict applies any more
    store.add_account("alice", "wrong", replace=True)
    assert store.verify_login("alice", "pw") is None
    assert store.verify_login("alice", "wrong") is not None


def test_async_verification_runs_pbkdf2_off_the_store_thread(store: Store, pbkdf2_calls: list[str]) -> None:
    """What the app does before queueing at the store: the worker thread then only hits the cache."""
    store.add_account("alice", "pw")
    threads = pbkdf2_calls
    threads.clear()  # setting the password ran it once

    async def scenario() -> tuple[object, object]:
        await store.verify_login_async("alice", "pw")
        await store.verify_login_async("alice", "bad")
        return (
            await store.run(store.verify_login, "alice", "pw"),
            await store.run(store.verify_login, "alice", "bad"),
        )

    good, bad = asyncio.run(scenario())
    assert good is not None and bad is None
    assert len(threads) == 2
    assert not any(name.startswith("store") for name in threads)


# ------------------------------------------------------------------ SASP sessions


def test_sasp_sessions(store: Store) -> None:
    store.add_account("alice", "pw")
    session = store.create_sasp_session("alice")
    assert len(session) == 16 and set(session) <= set(string.ascii_letters + string.digits)
    found = store.account_for_session(session)
    assert found is not None and found.name == "alice"
    assert store.account_for_session("0" * 16) is None
    store.add_sasp_session("FIXEDSESSION0001", "alice")
    assert store.account_for_session("FIXEDSESSION0001") is not None
    with pytest.raises(UnknownAccount):
        store.create_sasp_session("nobody")
    store.remove_account("alice")
    assert store.account_for_session(session) is None


# ------------------------------------------------------------------ orders and events


def test_orders_and_lookups(store: Store) -> None:
    store.add_account("alice", "pw")
    store.add_account("bob", "pw")
    first = _order(store, foreign_order_number="F-1", admin_email="a@example.com")
    second = _order(store, customer_validated=True, products=(36, 37), days=730, test=True)
    assert second > first
    order = store.get_order(first)
    assert order is not None
    assert (order.state, order.admin_email, order.foreign_order_number) == (
        "awaiting_click_through",
        "a@example.com",
        "F-1",
    )
    validated = store.get_order(second)
    assert validated is not None
    assert (validated.state, validated.products, validated.days, validated.test) == ("validated", (36, 37), 730, True)
    assert store.get_order(999_999) is None
    assert store.foreign_order_number_used("alice", "F-1")
    assert not store.foreign_order_number_used("bob", "F-1")
    assert store.has_validated_order("alice", "Org", "GB")
    assert not store.has_validated_order("alice", "Org", "FR")
    assert not store.has_validated_order("bob", "Org", "GB")
    store.set_admin_email(first, "b@example.com")
    order = store.get_order(first)
    assert order is not None and order.admin_email == "b@example.com"
    store.record_click_through(first, "ResendEmail", None, 1)
    store.record_click_through(first, "ReplaceMailAddress", "c@example.com", 2)
    events = store.click_through_events(first)
    assert [(e.action, e.admin_email, e.status) for e in events] == [
        ("ResendEmail", None, 1),
        ("ReplaceMailAddress", "c@example.com", 2),
    ]
    assert store.click_through_events(second) == []
    assert len(store.click_through_events()) == 2


def test_a_failed_transaction_leaves_nothing(store: Store) -> None:
    store.add_account("alice", "pw", credit=Decimal(100))
    with pytest.raises(RuntimeError), store.transaction():
        _order(store)
        store.debit("alice", Decimal(39))
        raise RuntimeError("crash between writes")
    assert store.list_orders() == []
    account = store.get_account("alice")
    assert account is not None and account.credit == Decimal(100)


def test_everything_survives_a_restart(db_path: Path) -> None:
    with Store(db_path, pbkdf2_iterations=FAST) as first:
        first.add_account("alice", "pw", credit=Decimal("7.50"))
        session = first.create_sasp_session("alice")
        numbers = [_order(first), _order(first, customer_validated=True)]
        first.record_click_through(numbers[0], "ResendEmail", None, 1)
    with Store(db_path, pbkdf2_iterations=FAST) as again:
        assert [o.order_number for o in again.list_orders("alice")] == numbers
        assert again.verify_login("alice", "pw") is not None
        assert again.account_for_session(session) is not None
        assert len(again.click_through_events(numbers[0])) == 1
        account = again.get_account("alice")
        assert account is not None and account.credit == Decimal("7.50")


def test_memory_store_is_thrown_away() -> None:
    with Store(":memory:", pbkdf2_iterations=FAST) as s:
        s.add_account("alice", "pw")
    with Store(":memory:", pbkdf2_iterations=FAST) as s:
        assert s.list_accounts() == []


# ------------------------------------------------------------------ the worker thread


def test_run_uses_one_worker_thread_off_the_loop(store: Store) -> None:
    store.add_account("alice", "pw")
    seen: list[str] = []

    def work(i: int) -> int:
        seen.append(threading.current_thread().name)
        _order(store)
        return i

    async def main() -> list[int]:
        loop_thread = threading.current_thread().name
        results = await asyncio.gather(*(store.run(work, i) for i in range(20)))
        assert loop_thread not in seen
        return list(results)

    assert asyncio.run(main()) == list(range(20))
    assert len(set(seen)) == 1 and seen[0].startswith("store")
    assert len(store.list_orders()) == 20
