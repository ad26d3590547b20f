"""Checking a server against a document version (issue 13 item 2): ``server --version`` and the
catalog made from a version's table (the reference server speaking one:
``tests/reference/test_server_versions.py``).

The committed sources keep one document per endpoint, so the versions here are the ones a
history lists (AutoApplyIdA 1.00 to 1.04); a version with its own document -- and a server that
speaks another version than it claims, found NOT CONFORMING -- is shown on made-up next versions
in ``tests/spec/test_spec_new_document.py``.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import codec
from conformance.checks import catalog
from spec.render import ROOT

AUTO, CLICK = codec.AUTO_APPLY_IDA, codec.UPDATE_USER_EV_CLICK_THROUGH


def test_the_catalog_of_a_version_is_made_from_its_table() -> None:
    newest = {c.id for c in catalog()}
    old = {c.id for c in catalog({AUTO: "1.03"})}
    assert catalog({}) is catalog() and catalog({AUTO: "1.03"}) is catalog({AUTO: "1.03"})
    gone = {i for i in newest - old if i.startswith(AUTO)}
    assert {
        "AutoApplyIdA/allowed/checkFONIsUnique",
        "AutoApplyIdA/stateful/foreign-order-number",  # needs checkFONIsUnique (1.04)
    } <= gone
    assert all(any(v in i for v in ("checkFONIsUnique", "ida", "foreign-order-number")) for i in gone), gone
    assert not old - newest
    assert {i for i in newest if i.startswith(CLICK)} == {i for i in old if i.startswith(CLICK)}


@pytest.mark.network
def test_the_kit_checks_the_embedded_server_as_a_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "conformance", "server", "--version", "AutoApplyIdA=1.03", "--examples", "5"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "CONFORMING" in result.stdout
    assert "checking it as documents AutoApplyIdA 1.03, UpdateUserEvClickThrough 1.02 (newest)" in result.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "conformance", "server", "--version", "9.99"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "no endpoint has version '9.99'" in bad.stderr
