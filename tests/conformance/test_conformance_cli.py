"""``python -m conformance server`` and ``checks`` end to end, as a user runs them (subprocesses).

The servers under test are the embedded reference server (no ``--url``) and the reference server
on loopback behind the switchboard of ``tests/support/mutants.py`` (switched to one fault where a test
needs failures), which records every request the kit sends.  Its account's password and SASP
session id are canaries that must never appear in any output.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import codec
from conformance.checks import catalog
from conformance.reference.serve import RunningServer
from tests.support.mutants import FAULTS, LOGIN_NAME, Call, Reply, Seen, Switchboard, Variant, broken_server

ROOT = Path(__file__).resolve().parents[2]
CANARY_PASSWORD = "canary Pa55+7f3e&/é"  # spaces, + & / and non-ASCII: every encoding must be redacted
CANARY_SASP = "canarySasp7f3e01"
CANARY = re.compile("canary", re.IGNORECASE)  # in every form a secret could take (raw, %-encoded, +)
CHECK_IDS = [c.id for c in catalog()]


def conformance(
    *args: str, env: dict[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COMODO_")}
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )


def one_line_refusal(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    """Exit 2 with a single line on stderr naming the reason, no traceback, nothing on stdout."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(("conformance: ", "python -m conformance")), result.stderr
    assert fragment in result.stderr
    assert result.stdout == ""


@pytest.fixture(scope="module")
def loopback() -> Iterator[tuple[RunningServer, Switchboard]]:
    with broken_server(password=CANARY_PASSWORD, sasp=CANARY_SASP) as pair:
        yield pair


def against(server: RunningServer, *args: str) -> subprocess.CompletedProcess[str]:
    """``server --url`` of the loopback server, the canary secrets passed through the environment."""
    options = ["--url", server.base_url, "--login-name", LOGIN_NAME, "--seed", "7"]
    if server.ca_file:
        options += ["--cacert", server.ca_file, "--plain-url", server.plain_url or ""]
    return conformance(
        "server",
        *options,
        *args,
        env={"COMODO_LOGIN_PASSWORD": CANARY_PASSWORD, "COMODO_SASP_SESSION_ID": CANARY_SASP},
    )


def junit_cases(path: Path) -> list[ET.Element]:
    return list(ET.parse(path).getroot().iter("testcase"))


def properties(case: ET.Element) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in case.iter("property")}


# ---------------------------------------------------------------------------- the server command


def test_the_embedded_reference_server_conforms_with_progress_table_and_reports(tmp_path: Path) -> None:
    """No --url: the embedded reference server is checked; exit 0; a progress line per check on
    stderr, the summary table and the verdict on stdout; JUnit has a testcase per check in a suite
    per endpoint (with its check_id and cited row); the JSON report has every result, no failure."""
    junit, report = tmp_path / "report.xml", tmp_path / "report.json"
    result = conformance("server", "--examples", "5", "--seed", "1", "--junit", str(junit), "--json", str(report))
    assert result.returncode == 0, result.stdout + result.stderr
    n = len(CHECK_IDS)
    progress = [line for line in result.stderr.splitlines() if line.startswith("[")]
    # one line per check as it finishes (workers: completion order), each with its catalog index
    indexed = {int(re.match(r"\[\s*(\d+)/", line)[1]): line.split()[-1] for line in progress}  # type: ignore[index]
    assert len(progress) == n and [indexed[i] for i in range(1, n + 1)] == CHECK_IDS
    assert all(re.match(rf"\[\s*\d+/{n}\] ok   ", line) for line in progress)
    assert re.search(r"^endpoint\s+passed\s+failed\s+skipped\s+notes$", result.stdout, re.MULTILINE)
    for endpoint in codec.ENDPOINTS:
        count = sum(c.endpoint == endpoint for c in catalog())
        assert re.search(rf"^{endpoint}\s+{count}\s+0\s+0\s+0$", result.stdout, re.MULTILINE)
    verdict = rf"^CONFORMING: {n} of {n} checks ran, 0 failed, 0 with notes, \d+ requests in [\d.]+ s \(seed 1\)$"
    assert re.search(verdict, result.stdout, re.MULTILINE)

    suites = ET.parse(junit).getroot()
    assert {s.get("name") for s in suites.iter("testsuite")} == set(codec.ENDPOINTS)
    cases = junit_cases(junit)
    assert [c.get("name") for c in cases] == CHECK_IDS
    for case in cases:
        assert case.get("classname") == f"comodo.server.{case.get('name', '').split('/')[0]}"
        assert properties(case)["check_id"] == case.get("name")
        assert properties(case)["cites"]
        assert case.find("failure") is None and case.find("skipped") is None

    data = json.loads(report.read_text())
    assert data["verdict"] == "conforming" and data["seed"] == 1
    assert [r["id"] for r in data["results"]] == CHECK_IDS
    assert {r["outcome"] for r in data["results"]} == {"passed"}


def test_a_plain_http_url_works_and_the_https_check_is_skipped() -> None:
    """An http:// URL is checked like any other; the HTTPS-requirement checks are reported as
    skipped, with the reason, in the progress lines and the summary."""
    with broken_server(tls=False, password=CANARY_PASSWORD, sasp=CANARY_SASP) as (server, _):
        assert server.base_url.startswith("http://")
        result = against(server, "--examples", "3", "--check-auth")
    assert result.returncode == 0, result.stdout + result.stderr
    reason = "the target URL is plain HTTP, so the HTTPS requirement cannot be checked"
    for endpoint in codec.ENDPOINTS:
        assert f"skip {endpoint}/https/plain-http - {reason}" in result.stderr
    assert f"2 check(s): {reason}" in result.stdout
    assert re.search(rf"^total\s+{len(CHECK_IDS) - 2}\s+0\s+2\s+0$", result.stdout, re.MULTILINE)
    assert not CANARY.search(result.stdout + result.stderr)


@pytest.mark.parametrize("account", [["--no-account"], ["--login-name", "me", "--login-password-env", "HOME"]])
def test_an_unreachable_server_exits_2_with_one_line(account: list[str]) -> None:
    """Nothing listening at --url: exit 2 and a one-line reason, no traceback -- whether the kit
    probes it without an account or tries the credentials' test order."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = conformance("server", "--url", f"http://127.0.0.1:{port}/products/", "--timeout", "5", *account)
    one_line_refusal(result, f"cannot reach the server: http://127.0.0.1:{port}/products/")


URL = "https://127.0.0.1:9/products/"  # nothing is ever sent there: every one is refused first
PW = ["--login-name", "me", "--login-password-env", "HOME"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["server", "--url", "ftp://example.invalid/products/"], "--url must start with https:// or http://"),
        (["server", "--url", "http://[::1/products/"], "does not parse"),
        (["server", "--url", "https://h:99999/products/"], "does not parse"),
        (["server", "--url", "https:///products/"], "names no host"),
        (["server", "--plain-url", "https://127.0.0.1:9/products/"], "--plain-url must start with http://"),
        (["server", "--examples", "0"], "argument --examples: expected a whole number of at least 1"),
        (["server", "--max-failures", "-1"], "argument --max-failures: expected a whole number of at least 1"),
        *(
            (["server", "--timeout", bad], "argument --timeout: expected a positive number of seconds")
            for bad in ("nan", "inf", "0", "-1", "soon")
        ),
        (["server", "--only", "NoSuchEndpoint/*"], "--only: 'NoSuchEndpoint/*' matches no check"),
        (["server", "--only", "over-lenght"], "give a family (allowed, at-limit,"),
        (["server", "--endpoint", "NoSuchEndpoint"], "--endpoint: unknown endpoint 'NoSuchEndpoint'"),
        (["server", "--url", URL, *PW, "--cacert", "/nonexistent/ca.pem"], "--cacert /nonexistent/ca.pem: no such"),
        (["server", "--url", URL, *PW, "--cacert", "README.md"], "--cacert README.md: not a PEM certificate file"),
        (["server", "--url", URL, *PW, "--cacert", "README.md", "--insecure"], "do not go together"),
        (["server", "--url", URL, "--login-password-env", "COMODO_UNSET_VAR"], "is not set"),
        (["server", "--url", URL, "--login-password-env", "NOT-A-NAME"], "is not an environment variable name"),
        (["server", "--url", URL, *PW, "--data-dir", "/tmp"], "--data-dir keeps the embedded server's test CA"),
        (["server", "--junit", "-", "--json", "-"], "only one report can go to standard output"),
        (["server", "--json", "README.md/run.json"], "README.md is not a folder"),
        (["server", "--junit", "spec"], "spec is a folder"),
        (["checks", "--endpoint", "Foo"], "unknown endpoint 'Foo'"),
        (["checks", "--only", "nosuch"], "matches no check"),
        (["serve", "--port", "99999"], "argument --port: expected a port from 0 to 65535"),
        (["serve", "--queue-timeout", "nan"], "argument --queue-timeout: expected a positive number"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_before_any_request(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Arguments the kit cannot act on: exit 2 with a one-line reason, no traceback, before the
    first request (nothing listens at the URLs given).  In process, for speed: the subprocess
    tests around it show the same lines reach a user."""
    from conformance.cli import main

    monkeypatch.chdir(ROOT)
    for name in [k for k in os.environ if k.startswith("COMODO_")]:
        monkeypatch.delenv(name)
    try:
        code = main(args)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    one_line_refusal(subprocess.CompletedProcess(args, code, out, err), fragment)


@pytest.mark.parametrize("account", [[], ["--login-name", "me"]])
def test_a_url_without_an_account_refuses_to_start(account: list[str]) -> None:
    """No green without coverage: --url without credentials (or a name without a password) would
    skip nearly every check, so the run does not start; the line names the options and variables."""
    result = conformance("server", "--url", URL, *account)
    one_line_refusal(result, "--url needs an account")
    for name in (
        "--login-name",
        "$COMODO_LOGIN_PASSWORD",
        "--sasp-session-id",
        "$COMODO_SASP_SESSION_ID",
        "--no-account",
    ):
        assert name in result.stderr


@pytest.mark.parametrize("command", ["server", "checks"])
def test_help_teaches_with_examples(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    from conformance.cli import main

    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0 and "examples:" in out
    if command == "server":
        for taught in ("--only over-length", "--no-account", "--max-failures 5 --lenient", "exit status:", "SIGTERM"):
            assert taught in out, taught


def test_an_unknown_option_exits_2_with_one_line() -> None:
    """argparse's own refusal, in one line too: exit 2, the error and where help is."""
    result = conformance("server", "--no-such-option")
    one_line_refusal(result, "unrecognized arguments: --no-such-option")
    assert "--help" in result.stderr


def test_a_failing_server_shows_rule_request_response_and_no_secret(
    loopback: tuple[RunningServer, Switchboard], tmp_path: Path
) -> None:
    """Against a broken server (messages naming the wrong variable): exit 1; each failure shows
    the check, the rule it broke, the shrunk request with the secrets redacted, the response and
    a curl line; JUnit marks those testcases failed, the JSON report has every failing example with
    its curl replay line; and the canary password and SASP id appear in none of stdout, stderr,
    JUnit or JSON, in any encoding."""
    server, board = loopback
    junit, report = tmp_path / "report.xml", tmp_path / "report.json"
    only = ["--only", "*/missing/*", "--only", "*/exclusive/*", "--only", "*/auth/*", "--only", "*/single-fault"]
    with board.switched(FAULTS["names-previous-variable"]):
        result = against(server, *only, "--check-auth", "--examples", "5", "--junit", str(junit), "--json", str(report))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "NOT CONFORMING" in result.stdout
    block = result.stdout.split("FAIL AutoApplyIdA/missing/product\n", 1)[1].split("\n\n", 1)[0]
    assert "  broke:    AutoApplyIdA.codes.-3.message: the message names 'saspSessionID', not 'product'" in block
    assert f"  request:  POST {server.base_url}!AutoApplyIdA" in block
    assert "loginPassword=%3Credacted%3E" in block or "loginPassword=<redacted>" in block
    assert "  response: HTTP 200 text/plain" in block and "The 'saspSessionID' argument is missing!" in block
    assert "  replay:   curl -sS -X POST" in block
    assert "FAIL AutoApplyIdA/exclusive/saspSessionID" in result.stdout  # a SASP request, redacted too

    data = json.loads(report.read_text())
    failed = [r for r in data["results"] if r["outcome"] == "failed"]
    assert {r["id"] for r in failed} >= {"AutoApplyIdA/missing/product", "AutoApplyIdA/exclusive/saspSessionID"}
    for r in failed:
        assert r["example"]["request"]["curl"].startswith(
            "curl -sS -X POST -H 'Content-Type: application/x-www-form-urlencoded'"
        )
        assert r["example"]["response"]["status"] == 200 and r["example"]["response"]["body"]
        assert any(f["severity"] == "failure" and f["rule"].endswith(".message") for f in r["findings"])
    cases = {c.get("name"): c for c in junit_cases(junit)}
    assert {name for name, c in cases.items() if c.find("failure") is not None} == {r["id"] for r in failed}

    for text in (result.stdout, result.stderr, junit.read_text(), report.read_text()):
        assert not CANARY.search(text)
    assert "<redacted>" in report.read_text()


def _echo_password_at_the_cuts(call: Call, reply: Reply) -> None:
    """An error message that repeats the password where the reports cut long bodies (600 and 2000
    characters), so a report redacting after cutting would show the secret's first part."""
    secret = call.get("loginPassword") or ""
    if reply.fmt == "0" and reply.code < 0 and secret:
        head = len(f"{reply.code}\n")
        first = "x" * (600 - 8 - head) + secret  # the cut at 600 falls after "canary P"
        reply.values["errorMessage"] = first + "y" * (2000 - 8 - head - len(first)) + secret


def test_a_server_echoing_the_password_across_the_cuts_leaks_nothing(
    loopback: tuple[RunningServer, Switchboard], tmp_path: Path
) -> None:
    """Reports cut long bodies; a server that echoes the password exactly where a cut falls still
    leaves no part of it in stdout, JUnit or JSON (secrets are redacted before cutting)."""
    server, board = loopback
    junit, report = tmp_path / "report.xml", tmp_path / "report.json"
    echo = Variant(
        "echoes-password", "error messages repeat the password", "missing", response=_echo_password_at_the_cuts
    )
    with board.switched(echo):
        result = against(server, "--only", "AutoApplyIdA/missing/product", "--junit", str(junit), "--json", str(report))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "... (" in result.stdout  # the answer was cut
    for text in (result.stdout, result.stderr, junit.read_text(), report.read_text()):
        assert not CANARY.search(text)


def _orders_and_wrong_credentials(seen: list[Seen]) -> tuple[list[Seen], list[Seen]]:
    orders = [s for s in seen if s.endpoint == "AutoApplyIdA" and (s.get("product") or s.get("days"))]
    wrong = [
        s
        for s in seen
        if (s.get("loginPassword") not in (None, "", CANARY_PASSWORD))
        or (s.get("saspSessionID") not in (None, "", CANARY_SASP))
    ]
    return orders, wrong


def test_orders_carry_test_y_and_wrong_credentials_need_check_auth(loopback: tuple[RunningServer, Switchboard]) -> None:
    """Every order the kit places carries test=Y (the recording middleware sees every request; the
    store holds only test orders); without --check-auth no request carries a wrong password or an
    unknown SASP id and the auth checks are skipped with the reason; with it, they are sent."""
    server, board = loopback
    board.seen.clear()
    before = {o.order_number for o in server.store.list_orders()}
    result = against(server, "--examples", "5")
    assert result.returncode == 0, result.stdout + result.stderr
    orders, wrong = _orders_and_wrong_credentials(board.seen)
    assert orders and all((s.get("test") or "").upper() == "Y" for s in orders)
    placed = [o for o in server.store.list_orders() if o.order_number not in before]
    assert placed and all(o.test for o in placed)
    assert wrong == []
    assert "3 check(s): sends wrong credentials: runs only with --check-auth" in result.stdout

    board.seen.clear()
    result = against(server, "--only", "*/auth/*", "--check-auth")
    assert result.returncode == 0, result.stdout + result.stderr
    _, wrong = _orders_and_wrong_credentials(board.seen)
    assert len(wrong) == 3  # a wrong password to each endpoint, an unknown SASP id to AutoApplyIdA
    assert not CANARY.search(result.stdout + result.stderr)


def test_a_server_answering_get_with_405_is_checked_not_refused(loopback: tuple[RunningServer, Switchboard]) -> None:
    """A server that answers GET with HTTP 405 is reachable and fails the method check (exit 1),
    rather than being reported as unreachable (exit 2)."""
    server, board = loopback
    with board.switched(FAULTS["get-answered-405"]):
        result = against(server, "--only", "*/method/*")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL AutoApplyIdA/method/GET" in result.stdout
    assert "broke:    AutoApplyIdA.transport.http-200: HTTP 405" in result.stdout


# ---------------------------------------------------------------------------- the checks command


def _cites_a_table_row(cite: str) -> bool:
    """``Endpoint.row (source line N)``: the row exists in the endpoint's table and the line of the
    vendor document names the variable (or one of its allowed values) for a variable's row."""
    match = re.fullmatch(r"(\w+)\.(\S+) \((\S+?)(?: line (\d+))?\)", cite)
    if match is None or match.group(1) not in codec.ENDPOINTS:
        return False
    spec = codec.endpoint_spec(match.group(1))
    row, source, line = match.group(2).split("."), ROOT / match.group(3), match.group(4)
    if not source.is_file() or row[0] not in {"request", "codes", "responses", "statuses"}:
        return False
    if row[0] == "codes":
        return int(row[1]) in spec.codes
    if row[0] == "request" and len(row) > 2 and row[1] != "rules":
        f = spec.by_key.get(row[1].lower())
        text = source.read_text(encoding="utf-8").splitlines()[int(line) - 1] if line else ""
        words = [row[1], *(f.kind.values if f else [])]
        return f is not None and any(w.lower() in text.lower() for w in words)
    return True


def test_checks_lists_every_check_with_what_it_sends_expects_and_cites() -> None:
    """``checks``: every id of the catalog, each with sends / expects / cites, the cited row real."""
    result = conformance("checks")
    assert result.returncode == 0, result.stderr
    blocks = result.stdout.strip().split("\n\n")
    assert blocks[-1] == f"{len(CHECK_IDS)} checks"
    entries = re.findall(r"^(\S+)\n    sends:   .+\n    expects: .+\n    cites:   (.+)$", result.stdout, re.MULTILINE)
    assert [i for i, _ in entries] == CHECK_IDS
    assert all(_cites_a_table_row(cite) for _, cite in entries), [c for _, c in entries if not _cites_a_table_row(c)]


def test_checks_markdown_and_json() -> None:
    """``checks --markdown``: a table row per check (id, family, sends, expects, cites, needs);
    ``checks --json``: the same catalog as data; ``--endpoint`` narrows both."""
    markdown = conformance("checks", "--markdown")
    assert markdown.returncode == 0, markdown.stderr
    lines = markdown.stdout.splitlines()
    assert lines[0] == "| id | family | sends | expects | cites | needs |"
    rows: list[list[str]] = [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines[2:]]
    assert [r[0] for r in rows] == [f"`{i}`" for i in CHECK_IDS]
    assert all(len(r) == 6 and _cites_a_table_row(r[4]) for r in rows)

    data: list[dict[str, Any]] = json.loads(conformance("checks", "--json").stdout)
    assert [c["id"] for c in data] == CHECK_IDS
    only = json.loads(conformance("checks", "--json", "--endpoint", "updateuserevclickthrough").stdout)
    assert {c["endpoint"] for c in only} == {"UpdateUserEvClickThrough"}
    assert len(only) == sum(c.endpoint == "UpdateUserEvClickThrough" for c in catalog())


@pytest.mark.parametrize("script", ["comodo-conformance", "comodo-codec", "comodo-spec"])
def test_console_scripts_do_not_import_from_the_working_directory(tmp_path: Path, script: str) -> None:
    """``python -m conformance`` puts the working directory first on the import path, so a user's
    own ``codec.py`` shadows the kit; the console scripts do not."""
    for name in ("codec", "spec", "conformance"):
        (tmp_path / f"{name}.py").write_text('raise SystemExit("the working directory was imported")\n')
    path = Path(sys.executable).parent / script
    assert path.exists(), f"{script} is not installed beside {sys.executable}"
    done = subprocess.run([str(path), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: {script} ")


def test_a_command_that_cannot_load_says_which_module_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken install (a module missing or failing to import) is named, not hidden behind
    argparse's 'invalid choice'; ``--help`` still lists the commands that load."""
    from conformance.cli import main

    monkeypatch.setitem(sys.modules, "conformance.server_command", None)
    with pytest.raises(SystemExit) as stopped:
        main(["server", "--url", "https://127.0.0.1:9/products/"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "server command cannot load" in err and "conformance.server_command" in err
    with pytest.raises(SystemExit) as helped:
        main(["--help"])
    assert helped.value.code == 0
    out = capsys.readouterr().out
    assert "unavailable in this install" in out and "conformance.server_command" in out
    assert "client" in out  # the other commands are still there
