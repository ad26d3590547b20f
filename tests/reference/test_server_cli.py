"""``python -m conformance accounts`` and ``serve`` as a user runs them (subprocesses)."""

from __future__ import annotations

import json
import os
import queue
import signal
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.reference.store import Store
from tests.support.server import FAST, PASSWORD, order

ROOT = Path(__file__).resolve().parents[2]


def conformance(
    *args: str, data_dir: Path, password: str | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COMODO_CONFORMANCE_DATA": str(data_dir)}
    env.pop("COMODO_ACCOUNT_PASSWORD", None)
    if password is not None:
        env["COMODO_ACCOUNT_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def refused(result: subprocess.CompletedProcess[str], code: int, fragment: str) -> None:
    """Exit *code*, a short reason on stderr, no traceback, nothing secret."""
    assert result.returncode == code, result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert PASSWORD not in result.stderr + result.stdout


# ------------------------------------------------------------------ accounts


@pytest.mark.slow
def test_accounts_add_list_sasp_remove(tmp_path: Path) -> None:
    added = conformance(
        "accounts", "add", "alice", "--credit", "12.5", "--payment-required", data_dir=tmp_path, password=PASSWORD
    )
    assert added.returncode == 0, added.stderr
    assert "alice" in added.stdout and PASSWORD not in added.stdout + added.stderr
    db = tmp_path / "other.sqlite3"
    for name in ("bob", "carol"):
        result = conformance(
            "accounts", "add", name, "--manual-approval", "--db", str(db), data_dir=tmp_path, password="x"
        )
        assert result.returncode == 0, result.stderr

    listed = conformance("accounts", "list", "--data-dir", str(tmp_path), data_dir=tmp_path / "unused")
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["NAME", "CREDIT", "PAYMENT-REQUIRED", "MANUAL-APPROVAL", "ORDERS"]
    assert lines[1].split() == ["alice", "12.50", "yes", "no", "0"]
    as_json = json.loads(conformance("accounts", "list", "--json", "--db", str(db), data_dir=tmp_path).stdout)
    assert [(a["name"], a["manual_approval"], a["payment_required"], a["orders"]) for a in as_json] == [
        ("bob", True, False, 0),
        ("carol", True, False, 0),
    ]

    sasp = conformance("accounts", "sasp", "alice", data_dir=tmp_path)
    session = sasp.stdout.strip()
    assert sasp.returncode == 0 and len(session) == 16 and session.isalnum()

    assert conformance("accounts", "remove", "bob", "--db", str(db), data_dir=tmp_path).returncode == 0
    assert [
        a["name"]
        for a in json.loads(conformance("accounts", "list", "--json", "--db", str(db), data_dir=tmp_path).stdout)
    ] == ["carol"]

    with Store(tmp_path / "reference.sqlite3") as store:
        account = store.verify_login("alice", PASSWORD)
        assert account is not None and account.payment_required and not account.manual_approval
        found = store.account_for_session(session)
        assert found is not None and found.name == "alice"
        stored = store._conn.execute("SELECT password_hash, password_salt FROM accounts").fetchone()
    assert stored["password_hash"] not in listed.stdout and stored["password_salt"] not in listed.stdout


REFUSALS = [
    # (arguments, password from the environment, stdin, exit code, what stderr says)
    (["add", "alice"], PASSWORD, "", 1, "exists already"),
    (["remove", "nobody"], None, "", 1, "no account named 'nobody'"),
    (["sasp", "nobody"], None, "", 1, "no account named 'nobody'"),
    (["add", "x" * 65], PASSWORD, "", 1, "at most 64"),
    (["add", "long"], "p" * 129, "", 1, "at most 128"),
    (["add", "blank"], None, "\n", 1, "empty password"),
    (["add", "bad", "--credit", "-1"], "x", "", 2, "credit"),
    (["add", "pw", "--password", PASSWORD[:3]], None, "", 2, "unrecognized"),  # never an argument
    (["list", "--db", "."], None, "", 1, "cannot use the database"),
]


@pytest.mark.parametrize(("args", "password", "stdin", "code", "says"), REFUSALS, ids=lambda v: str(v)[:20])
def test_accounts_refusals_are_one_line_without_traceback(
    tmp_path: Path, args: list[str], password: str | None, stdin: str, code: int, says: str
) -> None:
    with Store(tmp_path / "reference.sqlite3", pbkdf2_iterations=FAST) as store:
        store.add_account("alice", PASSWORD)
    refused(conformance("accounts", *args, data_dir=tmp_path, password=password, stdin=stdin), code, says)


def test_accounts_prompts_for_the_password_without_the_environment(tmp_path: Path) -> None:
    result = conformance("accounts", "add", "dave", data_dir=tmp_path, stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    with Store(tmp_path / "reference.sqlite3") as store:
        assert store.verify_login("dave", PASSWORD) is not None


# ------------------------------------------------------------------ serve


class Served:
    """A ``serve`` subprocess and the lines it printed at start."""

    def __init__(self, args: list[str], data_dir: Path, env: dict[str, str] | None = None) -> None:
        env = {**os.environ, "COMODO_CONFORMANCE_DATA": str(data_dir), **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "conformance", "serve", "--port", "0", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.stderr = ""

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def line(self) -> str:
        return self.lines.get(timeout=30)

    def stop(self, sig: int = signal.SIGINT) -> int:
        self.proc.send_signal(sig)
        _, self.stderr = self.proc.communicate(timeout=30)
        return self.proc.returncode


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    started: list[Served] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Served:
        served = Served(list(args), tmp_path, env)
        started.append(served)
        return served

    yield start
    for served in started:
        if served.proc.poll() is None:
            served.proc.kill()
            served.proc.communicate()


ORDER = order(loginName=None, loginPassword=None)


@pytest.mark.network
def test_serve_https_with_plain_port_accounts_and_sasp(tmp_path: Path, serve: Any) -> None:
    account, session = f"alice:{PASSWORD}", "SESSION000000001:alice"
    served = serve("--plain-port", "0", "--data-dir", str(tmp_path), "--account", account, "--sasp-session", session)
    base = served.line().removeprefix("serving ")
    ca_file = served.line().removeprefix("CA file ")
    plain = served.line().removeprefix("plain HTTP (answers -1) ")
    assert base.startswith("https://127.0.0.1:") and base.endswith("/products/")
    assert ca_file == str(tmp_path / "ca.pem")
    assert plain.startswith("http://127.0.0.1:")
    with httpx.Client(verify=ssl.create_default_context(cafile=ca_file)) as client:
        by_session = client.post(base + "!AutoApplyIdA", data={**ORDER, "saspSessionID": "SESSION000000001"})
        assert by_session.text.startswith("0\n")
        by_login = client.post(base + "!AutoApplyIdA", data={**ORDER, "loginName": "alice", "loginPassword": PASSWORD})
        assert by_login.text.startswith("0\n")
    assert httpx.post(plain + "!AutoApplyIdA", data=ORDER).text.startswith("-1\n")
    assert served.stop() == 0
    assert served.proc.stdout is not None
    assert "answered 0" in served.stderr  # it logs each answer...
    assert PASSWORD not in served.stderr and "SESSION000000001" not in served.stderr  # ...without secrets
    listed = conformance("accounts", "list", "--json", data_dir=tmp_path)
    assert json.loads(listed.stdout)[0]["orders"] == 2  # kept in DATA_DIR/reference.sqlite3


@pytest.mark.network
def test_serve_without_tls_on_a_throw_away_database(tmp_path: Path, serve: Any) -> None:
    served = serve("--no-tls", "--db", ":memory:", "--account", f"bob:{PASSWORD}", "--log-level", "warning")
    base = served.line().removeprefix("serving ")
    assert base.startswith("http://127.0.0.1:")
    answer = httpx.post(base + "!AutoApplyIdA", data={**ORDER, "loginName": "bob", "loginPassword": PASSWORD})
    assert answer.text.startswith("0\n")
    assert served.stop(signal.SIGTERM) == 0
    assert not (tmp_path / "reference.sqlite3").exists()


@pytest.mark.network
def test_serve_refuses_what_it_cannot_do(tmp_path: Path, serve: Any) -> None:
    unknown = serve("--no-tls", "--db", ":memory:", "--sasp-session", "SESSION000000001:nobody")
    assert unknown.proc.wait(timeout=30) == 1
    assert "no account named 'nobody'" in unknown.proc.communicate()[1]
    malformed = serve("--no-tls", "--account", "no-colon")
    assert malformed.proc.wait(timeout=30) == 2
    first = serve("--no-tls", "--db", ":memory:")
    port = first.line().rsplit(":", 1)[1].split("/")[0]
    busy = serve("--no-tls", "--db", ":memory:", "--port", port)
    assert busy.proc.wait(timeout=30) == 1
    err = busy.proc.communicate()[1]
    assert "OSError" in err and "Traceback" not in err


def test_serve_and_accounts_refuse_a_damaged_database_or_a_foreign_log_in_one_line(tmp_path: Path) -> None:
    """Issue 11: a malformed database was served without a word, and a WAL from another database
    silently emptied the accounts and orders.  Now: exit 1, one line naming the file."""
    db, other = tmp_path / "reference.sqlite3", tmp_path / "other.sqlite3"
    with Store(db, pbkdf2_iterations=FAST) as store:
        store.add_account("alice", PASSWORD)
    with Store(other, pbkdf2_iterations=FAST) as fresh:
        fresh.add_account("mallory", "pw")
        (tmp_path / "reference.sqlite3-wal").write_bytes((tmp_path / "other.sqlite3-wal").read_bytes())
    for command in (["serve", "--no-tls", "--port", "0", "--data-dir", str(tmp_path)], ["accounts", "list"]):
        result = conformance(*command, data_dir=tmp_path)
        refused(result, 1, f"{db}-wal: does not belong to {db}: it is store ")
        assert len(result.stderr.splitlines()) == 1 and result.stdout == ""
    (tmp_path / "reference.sqlite3-wal").unlink()
    data = bytearray(db.read_bytes())
    data[4096 : 2 * 4096] = b"\xff" * 4096  # page 2: a b-tree page of garbage
    db.write_bytes(bytes(data))
    for command in (["serve", "--no-tls", "--port", "0", "--data-dir", str(tmp_path)], ["accounts", "list"]):
        result = conformance(*command, data_dir=tmp_path)
        refused(result, 1, f"{db}: damaged database: ")
        assert len(result.stderr.splitlines()) == 1 and result.stdout == ""


@pytest.mark.network
def test_serve_takes_accounts_from_a_private_file_and_the_environment_not_from_its_arguments(
    tmp_path: Path, serve: Any
) -> None:
    """Issue 11: ``--account NAME:PASSWORD`` and ``--sasp-session`` show in ``ps``; the file and the
    environment keep them out of the process's arguments."""
    accounts = tmp_path / "accounts.txt"
    accounts.write_text(f"# for the tests\naccount alice:{PASSWORD}\nsasp SESSION000000001:alice\n")
    accounts.chmod(0o600)
    bob = "bob pw: with a colon "
    env = {"BOB_ACCOUNT": f"bob:{bob}", "BOB_SESSION": "SESSION000000002:bob"}
    served = serve(
        "--no-tls", "--db", ":memory:", "--accounts-file", str(accounts),
        "--account-env", "BOB_ACCOUNT", "--sasp-session-env", "BOB_SESSION", env=env,
    )  # fmt: skip
    base = served.line().removeprefix("serving ")
    arguments = Path(f"/proc/{served.proc.pid}/cmdline").read_bytes()  # what ps shows every user
    assert PASSWORD.encode() not in arguments and b"SESSION00000000" not in arguments and bob.encode() not in arguments
    for login in (
        {"loginName": "alice", "loginPassword": PASSWORD},
        {"saspSessionID": "SESSION000000001"},
        {"loginName": "bob", "loginPassword": bob},
        {"saspSessionID": "SESSION000000002"},
    ):
        assert httpx.post(base + "!AutoApplyIdA", data={**ORDER, **login}).text.startswith("0\n"), login
    assert served.stop() == 0
    assert PASSWORD not in served.stderr and bob not in served.stderr and "SESSION00000000" not in served.stderr


@pytest.mark.network
def test_serve_refuses_a_bad_accounts_file_or_variable_in_one_line_without_the_secret(
    tmp_path: Path, serve: Any
) -> None:
    accounts = tmp_path / "accounts.txt"
    accounts.write_text(f"account alice:{PASSWORD}\n")
    accounts.chmod(0o644)
    cases = [
        (["--accounts-file", str(accounts)], {}, f"serve: {accounts}: readable or writable by others (mode 0644)"),
        (["--account-env", "NOT_SET_ANYWHERE"], {}, "serve: $NOT_SET_ANYWHERE is not set"),
        (["--account-env", "BAD"], {"BAD": PASSWORD}, "serve: $BAD: expected NAME:PASSWORD"),
        (["--sasp-session-env", "S"], {"S": "SESSION000000001:nobody"}, "serve: no account named 'nobody'"),
    ]
    for args, env, says in cases:
        served = serve("--no-tls", "--db", ":memory:", *args, env=env)
        assert served.proc.wait(timeout=30) == 1
        out, err = served.proc.communicate()
        assert err.splitlines() == [err.strip()] and err.startswith(says), err
        assert PASSWORD not in out + err
    accounts.chmod(0o600)
    accounts.write_text(f"account alice:{PASSWORD}\naccount {PASSWORD}\n")
    served = serve("--no-tls", "--db", ":memory:", "--accounts-file", str(accounts))
    assert served.proc.wait(timeout=30) == 1
    _, err = served.proc.communicate()
    assert err == f"serve: {accounts} line 2: expected NAME:PASSWORD\n"
    malformed = serve("--no-tls", "--account", PASSWORD)  # a flag: argparse's exit 2, without the value
    assert malformed.proc.wait(timeout=30) == 2
    assert PASSWORD not in malformed.proc.communicate()[1]
