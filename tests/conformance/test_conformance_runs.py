"""``python -m conformance server`` runs a user can trust, stop and triage (subprocesses, against
the reference server on loopback behind the switchboard of ``tests/support/mutants.py``).

No green without coverage (an account-free run says so), credentials checked once and first (a
refusal stops the run, and no second request carries refused credentials), Ctrl-C and SIGTERM
keep what was collected, ``--max-failures``, failures grouped by the rule they break, ``--only``
by family, reports on standard output or in folders that do not exist yet, ``--lenient``, and a
replay line from a failing report that curl runs to the same answer.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.checks import catalog
from conformance.reference.serve import RunningServer
from tests.support.mutants import FAULTS, LOGIN_NAME, Call, Reply, Switchboard, Variant, broken_server

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "canary Pa55+7f3e&/é'$x"  # shell and form metacharacters: the replay line must carry it intact
SASP = "canarySasp7f3e03"
N = len(catalog())


@pytest.fixture(scope="module")
def loopback() -> Iterator[tuple[RunningServer, Switchboard]]:
    with broken_server(password=PASSWORD, sasp=SASP) as pair:
        yield pair


def _command(server: RunningServer, *args: str, account: bool = True) -> list[str]:
    options = ["--url", server.base_url, "--cacert", server.ca_file or "", "--plain-url", server.plain_url or ""]
    login = ["--login-name", LOGIN_NAME] if account else []
    return [sys.executable, "-m", "conformance", "server", *options, *login, "--seed", "5", "--examples", "3", *args]


def _env(password: str = PASSWORD) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COMODO_")}
    return {**clean, "COMODO_LOGIN_PASSWORD": password, "COMODO_SASP_SESSION_ID": SASP}


def run(
    server: RunningServer, *args: str, account: bool = True, password: str = PASSWORD
) -> subprocess.CompletedProcess[str]:
    command = _command(server, *args, account=account)
    env = _env(password) if account else {k: v for k, v in os.environ.items() if not k.startswith("COMODO_")}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=240, cwd=ROOT, check=False)


def _sent_with(board: Switchboard, password: str) -> int:
    return sum(s.get("loginPassword") == password for s in board.seen)


# ---------------------------------------------------------------------------- coverage and credentials


def test_no_account_runs_the_account_free_checks_and_says_so(loopback: tuple[RunningServer, Switchboard]) -> None:
    """--no-account: only the checks that need no account run (plain HTTP without credentials, an
    unknown SASP id with --check-auth); the verdict names the scope and counts; the others are
    listed as skipped by reason; no request carries a password."""
    server, board = loopback
    board.seen.clear()
    result = run(server, "--no-account", "--check-auth", account=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(rf"^CONFORMING \(account-free checks only: 3 of {N}\): 0 failed", result.stdout, re.MULTILINE)
    assert f"{N - 3} check(s): needs an account (--no-account runs the account-free checks only)" in result.stdout
    assert board.seen and not any(s.get("loginPassword") or s.get("loginName") for s in board.seen)


def test_a_run_that_checks_nothing_gives_no_verdict(loopback: tuple[RunningServer, Switchboard]) -> None:
    server, _ = loopback
    result = run(server, "--no-account", "--only", "missing", "--endpoint", "AutoApplyIdA", account=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert re.search(r"^NOT CHECKED \(account-free checks only: 0 of 10\)", result.stdout, re.MULTILINE)


def test_refused_credentials_stop_the_run_before_any_check(loopback: tuple[RunningServer, Switchboard]) -> None:
    """A wrong password: one valid test order earns -16; exit 2 with the server's message in one
    line; that was the only request sent with it (the checks that would send ~200 never run)."""
    server, board = loopback
    board.seen.clear()
    result = run(server, password="canary-wrong-password")
    assert result.returncode == 2 and result.stdout == "", result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("conformance: the server refused the credentials (-16): Permission denied!")
    assert _sent_with(board, "canary-wrong-password") == 1 and len(board.seen) == 1


def _refuses_after(count: int) -> Variant:
    """Accepts the account's credentials *count* times, then answers -16 to them (a lock)."""
    seen = [0]

    def lock(call: Call, board: Switchboard) -> Reply | None:
        if call.get("loginPassword") == board.password:
            seen[0] += 1
            if seen[0] > count:
                return call.error(-16)
        return None

    return Variant("locks-the-account", f"refuses the credentials after {count} requests", request=lock)


def test_credentials_refused_mid_run_stop_it_and_keep_what_was_collected(
    loopback: tuple[RunningServer, Switchboard], tmp_path: Path
) -> None:
    """The server refuses the credentials it accepted before: the check that saw it fails, the run
    stops there (exit 2, INTERRUPTED, the reports marked so) and no request carries them again.
    One check at a time, exactly one request gets the refusal; with --workers N, the requests
    already in flight when it came (at most N - 1 more) are all that follow it."""
    server, board = loopback
    for workers, most in ((1, 7), (4, 10)):
        board.seen.clear()
        report = tmp_path / "run.json"
        with board.switched(_refuses_after(6)):
            result = run(server, "--json", str(report), "--workers", str(workers))
        assert result.returncode == 2, result.stdout + result.stderr
        assert "stopped: the server refused the credentials (-16)" in result.stdout
        assert re.search(rf"^INTERRUPTED: \d+ of {N} checks ran, 1 failed", result.stdout, re.MULTILINE)
        sent = _sent_with(board, PASSWORD)  # six accepted, one refused, none after (but those in flight)
        assert sent == 7 if workers == 1 else 7 <= sent <= most, (workers, sent)
        data = json.loads(report.read_text())
        assert data["verdict"] == "interrupted" and data["interrupted"] is True
        failed = [r for r in data["results"] if r["outcome"] == "failed"]
        assert len(failed) == 1 and len(data["results"]) < N
        if workers == 1:
            assert data["results"][-1]["outcome"] == "failed"


def _slow(call: Call, reply: Reply) -> None:
    time.sleep(0.05)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_writes_the_partial_summary_and_reports(
    loopback: tuple[RunningServer, Switchboard], tmp_path: Path, signum: int
) -> None:
    """Ctrl-C or SIGTERM mid-run: the summary of what ran, JUnit and JSON marked interrupted, and
    exit 2; report folders that did not exist are created."""
    server, board = loopback
    junit, report = tmp_path / "new" / "junit.xml", tmp_path / "new" / "deeper" / "run.json"
    command = _command(server, "--junit", str(junit), "--json", str(report))
    with board.switched(Variant("slow", "answers slowly", response=_slow)):
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT
        )
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith("[  5/"):
                break
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 2, stdout + stderr
    assert re.search(rf"^INTERRUPTED: \d+ of {N} checks ran, 0 failed", stdout, re.MULTILINE), stdout
    data = json.loads(report.read_text())
    assert data["interrupted"] is True and data["verdict"] == "interrupted"
    assert 5 <= len(data["results"]) < N and data["stopped"].startswith(("interrupted", "terminated"))
    cases = list(ET.parse(junit).getroot().iter("testcase"))
    assert cases[-1].get("name") == "run" and cases[-1].find("error") is not None
    assert "Traceback" not in stderr


# ---------------------------------------------------------------------------- triage


def test_max_failures_stops_early_and_keeps_the_verdict(loopback: tuple[RunningServer, Switchboard]) -> None:
    server, board = loopback
    with board.switched(FAULTS["names-previous-variable"]):
        result = run(server, "--only", "missing", "--endpoint", "AutoApplyIdA", "--max-failures", "2")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "stopped: stopped after 2 failed check(s) (--max-failures 2)" in result.stdout
    assert re.search(r"^NOT CONFORMING: 2 of 10 checks ran, 2 failed", result.stdout, re.MULTILINE)


def test_failures_breaking_one_rule_are_one_example_and_a_list(loopback: tuple[RunningServer, Switchboard]) -> None:
    """A server counting bytes fails every at-limit check: one block in full (its bodies printed
    once), then the other check ids with what each broke; --only takes the family name."""
    server, board = loopback
    with board.switched(FAULTS["counts-bytes"]):
        result = run(server, "--only", "at-limit", "--endpoint", "AutoApplyIdA")
    assert result.returncode == 1, result.stdout + result.stderr
    failed = re.findall(r"^\[\s*\d+/\d+\] FAIL (\S+):", result.stderr, re.MULTILINE)
    assert len(failed) > 10  # every value at the limit in non-ASCII text
    assert result.stdout.count("\nFAIL ") + result.stdout.startswith("FAIL ") == 1
    assert result.stdout.count("  response: HTTP 200") == 1
    header = f"  the same rule (AutoApplyIdA.request.*.max_length) fails {len(failed) - 1} more check(s)"
    assert header in result.stdout
    for check_id in failed[1:]:
        assert f"\n    {check_id}: answered errorCode -4" in result.stdout


def test_a_report_on_standard_output(loopback: tuple[RunningServer, Switchboard], tmp_path: Path) -> None:
    """--json -: stdout is the JSON report alone, the summary goes to stderr."""
    server, _ = loopback
    result = run(server, "--only", "method", "--json", "-", "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["verdict"] == "conforming" and [r["id"] for r in data["results"]] == [
        c.id for c in catalog() if c.family == "method"
    ]
    assert "CONFORMING: 2 of 2 checks ran" in result.stderr


def test_lenient_turns_a_receivers_reading_a_server_sent_into_a_note(
    loopback: tuple[RunningServer, Switchboard],
) -> None:
    server, board = loopback
    with board.switched(FAULTS["success-message"]):
        strict = run(server, "--only", "AutoApplyIdA/format/1")
        lenient = run(server, "--only", "AutoApplyIdA/format/1", "--lenient")
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert (
        "broke:    AutoApplyIdA.responses.parameters.errorMessage: errorMessage is present with errorCode=0"
        in strict.stdout
    )
    assert "cites:    spec/sources/AutoApplyIdA-1.05.txt line 84 (errorMessage)" in strict.stdout
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    assert "  format1-success-message: errorMessage is present with errorCode=0" in lenient.stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed (the replay line is a curl command)")
def test_a_replay_line_from_a_failing_report_replays(
    loopback: tuple[RunningServer, Switchboard], tmp_path: Path
) -> None:
    """The curl line of a failing example in the JSON report, run by a shell with the password in
    $COMODO_LOGIN_PASSWORD (it is never in the line: shell and form metacharacters included),
    gets the same answer; it names the CA file (--cacert) by its absolute path."""
    server, board = loopback
    report = tmp_path / "run.json"
    with board.switched(FAULTS["names-previous-variable"]):
        result = run(server, "--only", "AutoApplyIdA/missing/product", "--json", str(report))
        assert result.returncode == 1, result.stdout + result.stderr
        [failed] = [r for r in json.loads(report.read_text())["results"] if r["outcome"] == "failed"]
        curl = failed["example"]["request"]["curl"]
        assert '"$COMODO_LOGIN_PASSWORD"' in curl and "canary" not in curl.lower()
        assert f"--cacert {server.ca_file}" in curl and Path(server.ca_file or "").is_absolute()
        replayed = subprocess.run(
            ["bash", "-c", curl], capture_output=True, text=True, env=_env(), timeout=30, check=False
        )
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == failed["example"]["response"]["body"]
    assert "The 'saspSessionID' argument is missing!" in replayed.stdout


def test_the_embedded_servers_ca_is_kept_where_data_dir_says(tmp_path: Path) -> None:
    """--data-dir: the embedded server's test CA stays there after the run, so the --cacert of a
    replay line still names a file (the default folder is temporary)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COMODO_")}
    folder = tmp_path / "data"
    command = [sys.executable, "-m", "conformance", "server", "--data-dir", str(folder), "--only", "method", "-q"]
    result = subprocess.run(command, capture_output=True, text=True, env=clean, timeout=120, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (folder / "ca.pem").is_file()


def test_a_dry_run_needs_no_account_and_sends_nothing(loopback: tuple[RunningServer, Switchboard]) -> None:
    server, board = loopback
    board.seen.clear()
    result = run(server, "--dry-run", "--only", "auth", account=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "skip AutoApplyIdA/auth/wrong-password  (sends wrong credentials: runs only with --check-auth)" in result.stdout
    )
    assert board.seen == []
