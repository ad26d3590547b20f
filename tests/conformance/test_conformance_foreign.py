"""A real foreign client and adapter in the suite (issue 12 item 6): a client in POSIX sh with curl,
and a decoding adapter in plain Node.js, written against the documents and ``conformance/ADAPTER.md``
only.  Each clean one must pass; each planted bug must be flagged with the rule that names it.

The machines CI runs on have ``curl`` and ``node`` (v20); where one is missing its tests are
skipped with that reason (README: "Foreign clients in the tests").
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from conformance import cli
from conformance.client.variants import variants

pytestmark = pytest.mark.network

HERE = Path(__file__).resolve().parents[1] / "support" / "clients"
CURL_CLIENT = str(HERE / "curl_client.sh")
NODE_ADAPTER = str(HERE / "node_adapter.js")
SH, CURL, NODE = shutil.which("sh"), shutil.which("curl"), shutil.which("node")
needs_curl = pytest.mark.skipif(
    CURL is None or SH is None, reason="curl (and sh) not installed: the curl client cannot run"
)
needs_node = pytest.mark.skipif(NODE is None, reason="node not installed: the Node.js adapter cannot run")

# what the kit must report for each planted bug
CURL_CATCHES = {
    "raw-data": "AutoApplyIdA.request.unrecognised: AutoApplyIdA:  Sons Ltd: ' Sons Ltd' is not a variable",
    "four-faults": "AutoApplyIdA.request.organizationName.max_length",
    "no-ca": "the client did not trust the CA (COMODO_CA_FILE=",
    "plain-http": "plain-HTTP request(s) came to the HTTPS port",
}
NODE_CATCHES = {
    "double-decoding": "AutoApplyIdA/format-1/characters/percent-2B/code--4",
    "case-sensitive-names": "UpdateUserEvClickThrough/names/capitalised/code-0",
    "number-through-double": 'reported orderNumber=9007199254740992; the body says "9007199254740993"',
    "status1-is-error": "AutoApplyIdA.codes.1: reported failure for errorCode 1, which is a success",
}


def kit(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["client", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@needs_curl
def test_the_curl_client_conforms(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = kit(capsys, "--", str(SH), CURL_CLIENT)
    assert code == 0, out + err
    assert "CONFORMING: 2 requests, 0 failed" in out and "CMD| placed test order" in err


@needs_curl
@pytest.mark.parametrize("fault", sorted(CURL_CATCHES))
def test_the_curl_client_s_bugs_are_caught(
    fault: str, capsys: pytest.CaptureFixture[str], record_property: Any
) -> None:
    code, out, err = kit(capsys, "-q", "--", str(SH), CURL_CLIENT, "--fault", fault)
    record_property("killed", code == 1 and CURL_CATCHES[fault] in out)
    assert code == 1, out + err
    assert CURL_CATCHES[fault] in out
    if fault == "four-faults":  # every rule the request breaks, in one run
        assert out.count("  broke:    AutoApplyIdA.request.") == 4


@needs_node
def test_the_node_adapter_conforms(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = kit(capsys, "--adapter", "--examples", "40", "--seed", "5", "--", str(NODE), NODE_ADAPTER)
    assert code == 0, out + err
    fixed = len(variants())
    assert f"CONFORMING: {fixed + 2} variants, 0 failed" in out  # the fixed set, and a result per endpoint drawn


@needs_node
@pytest.mark.parametrize("fault", sorted(NODE_CATCHES))
def test_the_node_adapter_s_bugs_are_caught(
    fault: str, capsys: pytest.CaptureFixture[str], record_property: Any
) -> None:
    code, out, err = kit(capsys, "--adapter", "-q", "--", str(NODE), NODE_ADAPTER, "--fault", fault)
    record_property("killed", code == 1 and NODE_CATCHES[fault] in out)
    assert code == 1, out + err
    assert NODE_CATCHES[fault] in out
