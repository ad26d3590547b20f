"""The pytest plugin end to end: ``pytest --comodo-url=URL`` in a folder with no tests of its own
(a subprocess in a temporary directory, the plugin found through its ``pytest11`` entry point)
runs the kit's checks as pytest items -- plainly and with pytest-xdist's ``-n 2`` -- with a
``check_id`` property on each JUnit testcase; against a broken server a failing item's report
names the rule it broke and holds no secret.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from conformance.runner import select_checks
from tests.support.mutants import FAULTS, LOGIN_NAME, broken_server

MISSING = "AutoApplyIdA/missing/*"
MISSING_IDS = {c.id for c in select_checks(only=[MISSING])}
CANARY_PASSWORD = "canary-Pa55-7f3e"
CANARY_SASP = "canarySasp7f3e02"


def pytest_run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("COMODO_", "PYTEST_"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--comodo-examples", "5", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**clean, **(env or {})},
        timeout=240,
        check=False,
    )


def junit_cases(path: Path) -> dict[str, ET.Element]:
    return {c.get("name", ""): c for c in ET.parse(path).getroot().iter("testcase")}


def check_id(case: ET.Element) -> str | None:
    return next((p.get("value") for p in case.iter("property") if p.get("name") == "check_id"), None)


def test_without_comodo_url_the_plugin_adds_nothing(tmp_path: Path) -> None:
    """Installed but not asked: a folder without tests collects nothing (exit 5)."""
    result = pytest_run(tmp_path)
    assert result.returncode == 5, result.stdout + result.stderr
    assert "no tests ran" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["plain", "xdist"])
def test_the_checks_run_as_pytest_items(tmp_path: Path, workers: list[str]) -> None:
    """``--comodo-url=embedded --comodo-only 'AutoApplyIdA/missing/*'``: the ten checks pass as ten
    items, also spread over two xdist workers; JUnit has a testcase per check named by its id with
    the check_id and cited row as properties."""
    junit = tmp_path / "junit.xml"
    result = pytest_run(tmp_path, "--comodo-url=embedded", "--comodo-only", MISSING, f"--junitxml={junit}", *workers)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b10 passed\b", result.stdout)
    cases = junit_cases(junit)
    assert set(cases) == MISSING_IDS
    for name, case in cases.items():
        assert check_id(case) == name
        assert case.get("classname") == name.split("/")[0]  # the endpoint
        assert any(p.get("name") == "cites" and p.get("value") for p in case.iter("property"))


def test_a_failing_item_names_the_rule_and_holds_no_secret(tmp_path: Path) -> None:
    """Against a broken server on loopback (a missing postalCode filled in), the postalCode item
    fails and the others pass; its report names the check, the rule it broke, the request (secrets
    redacted) and the answer; neither the terminal nor JUnit shows the password or SASP id."""
    junit = tmp_path / "junit.xml"
    with broken_server(password=CANARY_PASSWORD, sasp=CANARY_SASP) as (server, board):
        with board.switched(FAULTS["postal-code-defaulted"]):
            result = pytest_run(
                tmp_path,
                f"--comodo-url={server.base_url}",
                f"--comodo-cacert={server.ca_file}",
                f"--comodo-login-name={LOGIN_NAME}",
                "--comodo-only",
                MISSING,
                f"--junitxml={junit}",
                env={"COMODO_LOGIN_PASSWORD": CANARY_PASSWORD, "COMODO_SASP_SESSION_ID": CANARY_SASP},
            )
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"\b1 failed, 9 passed\b", result.stdout)
    assert "FAIL AutoApplyIdA/missing/postalCode" in result.stdout
    assert "broke:    AutoApplyIdA.request.postalCode.presence: answered errorCode 0" in result.stdout
    assert "loginPassword=%3Credacted%3E" in result.stdout or "loginPassword=<redacted>" in result.stdout
    assert "replay:   curl" in result.stdout
    failed = [name for name, case in junit_cases(junit).items() if case.find("failure") is not None]
    assert failed == ["AutoApplyIdA/missing/postalCode"]
    for text in (result.stdout, result.stderr, junit.read_text()):
        assert "canary" not in text.lower()


def _against(
    server: Any, tmp_path: Path, *args: str, password: str = CANARY_PASSWORD
) -> subprocess.CompletedProcess[str]:
    options = [f"--comodo-url={server.base_url}", f"--comodo-cacert={server.ca_file}", *args]
    env = {"COMODO_LOGIN_PASSWORD": password, "COMODO_SASP_SESSION_ID": CANARY_SASP}
    return pytest_run(tmp_path, *options, env=env)


def test_skip_reasons_name_the_plugins_options_and_a_printed_node_id_reruns_that_check(tmp_path: Path) -> None:
    """A failing item's node id, as pytest prints it (``AutoApplyIdA::AutoApplyIdA/missing/postalCode``),
    passed back to pytest reruns that one check -- and not the folder's own tests; skip reasons
    name --comodo-* options (not the command line's)."""
    (tmp_path / "test_own.py").write_text("def test_own():\n    pass\n")
    with broken_server(password=CANARY_PASSWORD, sasp=CANARY_SASP) as (server, board):
        with board.switched(FAULTS["postal-code-defaulted"]):
            login = f"--comodo-login-name={LOGIN_NAME}"
            first = _against(server, tmp_path, login, "--comodo-only", "missing", "--comodo-only", "auth", "-rsf")
            assert first.returncode == 1, first.stdout + first.stderr
            assert "runs only with --comodo-check-auth" in first.stdout
            assert "--check-auth" not in first.stdout.replace("--comodo-check-auth", "")
            [node_id] = re.findall(r"^FAILED (\S+)", first.stdout, re.MULTILINE)
            assert node_id == "AutoApplyIdA::AutoApplyIdA/missing/postalCode"
            again = _against(server, tmp_path, login, node_id)
    assert again.returncode == 1, again.stdout + again.stderr
    assert re.search(r"\b1 failed, 1 deselected\b", again.stdout), again.stdout
    assert f"FAILED {node_id}" in again.stdout


def test_a_url_without_an_account_is_a_usage_error_at_session_start(tmp_path: Path) -> None:
    result = pytest_run(tmp_path, "--comodo-url=https://127.0.0.1:9/products/")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "comodo-conformance: --comodo-url needs an account" in result.stderr
    assert "--comodo-no-account" in result.stderr and "passed" not in result.stdout


def test_refused_credentials_are_a_usage_error_and_nothing_else_is_sent(tmp_path: Path) -> None:
    with broken_server(password=CANARY_PASSWORD, sasp=CANARY_SASP) as (server, board):
        result = _against(server, tmp_path, f"--comodo-login-name={LOGIN_NAME}", password="canary-wrong")
        sent = list(board.seen)
    assert result.returncode == 4, result.stdout + result.stderr
    assert "comodo-conformance: the server refused the credentials (-16)" in result.stderr
    assert len(sent) == 1


def test_no_account_runs_the_account_free_checks(tmp_path: Path) -> None:
    with broken_server(password=CANARY_PASSWORD, sasp=CANARY_SASP) as (server, _):
        result = _against(server, tmp_path, f"--comodo-plain-url={server.plain_url}", "--comodo-no-account", "-rs")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b2 passed, \d+ skipped\b", result.stdout), result.stdout
    assert "needs an account (--comodo-no-account runs the account-free checks only)" in result.stdout
