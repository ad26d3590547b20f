"""Client mode (``python -m conformance client``): requests judged, the decoding adapter protocol, reports.

The example programs are in ``tests/support/clients/``: ``client.py`` (a correct client of both endpoints,
``--fault NAME`` for one deliberate mistake) and ``handmade_adapter.py`` (a decoder written
without the codec, ``--fault NAME`` for one decoding mistake).  Every fault must be flagged with
exit status 1 and the right rule: the kill count is the number of ``test_broken_*`` cases passing.
"""

from __future__ import annotations

import importlib.util
import json
import queue
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

import codec
from conformance import cli
from conformance.adapters.codec_adapter import answer as reference_answer
from conformance.client.grading import grade, read_variant
from conformance.client.judging import judge_client_request
from conformance.client.variants import variants
from conformance.report import scrub

pytestmark = pytest.mark.network

HERE = Path(__file__).resolve().parents[1] / "support" / "clients"
CLIENT = str(HERE / "client.py")
ADAPTER = str(HERE / "handmade_adapter.py")
PY = sys.executable
CANARY = "canary-Pa55-7f3e"


def _faults(path: str) -> dict[str, str]:
    spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.FAULTS)


# the rule each broken client must be flagged with (in the report it prints)
CLIENT_CATCHES = {
    "get": "AutoApplyIdA.request.method",
    "lowercase-post": "AutoApplyIdA.request.method",
    "content-type": "AutoApplyIdA.endpoint.request_content_type",
    "missing": "AutoApplyIdA.request.postalCode.required",
    "over-length": "AutoApplyIdA.request.organizationName.max_length",
    "disallowed": "AutoApplyIdA.request.isCustomerValidated.allowed",
    "unknown-name": "AutoApplyIdA.request.unrecognised",
    "sasp-with-login": "AutoApplyIdA.request.loginName.exclusive",
    "no-admin-email": "UpdateUserEvClickThrough.request.adminEmailAddress.required_when",
    "wrong-path": "AutoApplyIdA.endpoint.path",
    "nothing": "no request arrived",
    "four-faults": "AutoApplyIdA.request.organizationName.max_length",
    "ignores-ca-file": "no request arrived: 1 TLS handshake(s) broken off by the client (1 with an alert): "
    "the client did not trust the CA (COMODO_CA_FILE=",
}
# what the report must name for each broken adapter: a rule, a note or a variant id
ADAPTER_CATCHES = {
    "float-amount": "AutoApplyIdA.responses.totalCost",
    "float-order-number": "AutoApplyIdA.responses.orderNumber",
    "ignores-format-1": "AutoApplyIdA/format-1/code-0/1",
    "format-from-request-only": "format-of-errors",
    "success-message-is-error": "format1-success-message",
    "keeps-cr": "AutoApplyIdA/format-0-lenient/crlf",
    "needs-final-newline": "AutoApplyIdA/format-0-lenient/no-final-newline",
    "plus-not-space": "AutoApplyIdA.responses.errorMessage",
    "invents-missing-lines": "AutoApplyIdA/malformed/format-0/missing-lines",
    # the two bugs of a real PHP client no variant exercised before (issue 12)
    "double-decoding": "AutoApplyIdA/format-1/characters/percent-2B/code--4",
    "case-sensitive-names": "UpdateUserEvClickThrough/names/capitalised/code-0",
    "status1-is-error": "AutoApplyIdA.codes.1: reported failure for errorCode 1, which is a success",
    "drops-description": "UpdateUserEvClickThrough.responses.description: reported no description",
}
# what else a broken adapter is run with (protocol v2 keys it needs to show its bug)
ADAPTER_ARGS = {"status1-is-error": ["--outcome"]}


# a valid order logged in with a SASP session
SASP_ORDER = {
    "saspSessionID": "0123456789abcdef",
    "product": "36",
    "days": "365",
    "location": "https://example.com/",
    "organizationName": "Acme",
    "streetAddress1": "1 Road",
    "localityName": "Town",
    "stateOrProvinceName": "Shire",
    "postalCode": "1000",
    "countryName": "GB",
    "isCustomerValidated": "N",
    "test": "Y",
}


def kit(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``python -m conformance client ARGV`` in this process: exit status, stdout, stderr."""
    code = cli.main(["client", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_every_fault_has_an_expected_catch() -> None:
    assert set(CLIENT_CATCHES) == set(_faults(CLIENT))
    assert set(ADAPTER_CATCHES) == set(_faults(ADAPTER))


# ---------------------------------------------------------------------- requests


def test_correct_client_conforms(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = kit(capsys, "--", PY, CLIENT)
    assert code == 0, out + err
    assert out.count("] ok   POST") == 3
    assert "CONFORMING: 3 requests, 0 failed" in out
    assert "exited with status 0" in out
    assert "CMD| placed test order" in err
    assert "Traceback" not in out + err


def test_correct_client_conforms_over_plain_http(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = kit(capsys, "--no-tls", "--", PY, CLIENT)
    assert code == 0, out + err
    assert "http://127.0.0.1:" in out and "(plain HTTP)" in out


@pytest.mark.parametrize("fault", sorted(CLIENT_CATCHES))
def test_broken_client_is_flagged(fault: str, capsys: pytest.CaptureFixture[str], record_property: Any) -> None:
    code, out, err = kit(capsys, "-q", "--", PY, CLIENT, "--fault", fault)
    record_property("killed", code == 1 and CLIENT_CATCHES[fault] in out)
    assert code == 1, out + err
    assert CLIENT_CATCHES[fault] in out
    assert "NOT CONFORMING" in out
    assert "Traceback" not in out + err


def test_a_lowercase_post_is_recorded_as_sent_and_earns_minus_17(capsys: pytest.CaptureFixture[str]) -> None:
    """HTTP methods are case-sensitive (RFC 9110 section 9.1): ``post`` is not POST.  It used to
    place an order and be recorded as POST."""
    code, out, err = kit(capsys, "-q", "--", PY, CLIENT, "--fault", "lowercase-post")
    assert code == 1, out + err
    assert "FAIL request 1: post /products/!AutoApplyIdA (answered errorCode -17)" in out
    assert "method 'post', not POST; methods are case-sensitive" in out
    assert "POST /products/" not in out and "curl -sS -X post " in out
    for method in ("post", "Post", "PUT", "GET"):
        endpoint, findings = judge_client_request(
            "/products/!AutoApplyIdA", method=method, scheme="https", content_type=None, body=b""
        )
        assert endpoint == "AutoApplyIdA"
        assert [(f.severity, f.rule) for f in findings] == [("failure", "AutoApplyIdA.request.method")]


def test_every_fault_of_a_request_is_listed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A missing variable, days=366, an over-long name and an unknown variable: one run shows all
    four, each with its table row and vendor code, and which the vendor answers first."""
    report = tmp_path / "client.json"
    code, out, err = kit(capsys, "-q", "--json", str(report), "--", PY, CLIENT, "--fault", "four-faults")
    assert code == 1, out + err
    assert "FAIL request 1: POST /products/!AutoApplyIdA (answered errorCode -2)" in out
    (result,) = json.loads(report.read_text())["results"]
    found = [(f["rule"], f["code"], f["argument"], f["answers_first"]) for f in result["findings"]]
    assert found == [
        ("AutoApplyIdA.request.unrecognised", -2, "colour", True),
        ("AutoApplyIdA.request.postalCode.required", -3, "postalCode", False),
        ("AutoApplyIdA.request.days.allowed", -4, "days", False),
        ("AutoApplyIdA.request.organizationName.max_length", -4, "organizationName", False),
    ]
    assert all(f["cites"] for f in result["findings"])
    assert "the vendor answers this one first" in result["findings"][0]["message"]
    assert out.count("  broke:    AutoApplyIdA.request.") == 4


def test_a_fault_only_a_lenient_reading_forgives_among_others() -> None:
    wire = {**SASP_ORDER, "loginName": "x", "countryName": "gb", "isCustomerValidated": "X"}
    body = codec.encode_request_fields("AutoApplyIdA", wire, validate=False).body
    request = {"method": "POST", "scheme": "https", "content_type": "application/x-www-form-urlencoded", "body": body}
    _, strict = judge_client_request("/products/!AutoApplyIdA", **request)
    assert [(f.severity, f.rule) for f in strict] == [
        ("failure", "AutoApplyIdA.request.loginName.exclusive"),
        ("failure", "AutoApplyIdA.request.isCustomerValidated.allowed"),
        ("failure", "AutoApplyIdA.request.countryName.country"),
    ]
    assert "only note sasp-excludes-login's lenient reading forgives it" in strict[0].message
    assert strict[0].details["answers_first"] and not strict[1].details["answers_first"]
    _, lenient = judge_client_request("/products/!AutoApplyIdA", lenient=True, **request)
    assert sorted((f.severity, f.rule) for f in lenient) == [
        ("failure", "AutoApplyIdA.request.isCustomerValidated.allowed"),
        ("note", "country-case"),
        ("note", "sasp-excludes-login"),
    ]


def test_sasp_with_login_cites_the_note_and_lenient_downgrades_it(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = kit(capsys, "-q", "--", PY, CLIENT, "--fault", "sasp-with-login")
    assert code == 1 and "sasp-excludes-login" in out
    # --lenient: the vendor accepts it too, so the whole run goes through, with a note
    code, out, err = kit(capsys, "--lenient", "--", PY, CLIENT, "--fault", "sasp-with-login")
    assert code == 0, out + err
    assert "sasp-excludes-login" in out and "with notes" in out


def test_reports_carry_no_secret(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    junit, report = tmp_path / "client.xml", tmp_path / "client.json"
    code, out, err = kit(
        capsys,
        "--account",
        f"reseller:{CANARY}",
        "--junit",
        str(junit),
        "--json",
        str(report),
        "--",
        PY,
        CLIENT,
        "--fault",
        "sasp-with-login",
    )
    assert code == 1
    texts = {"stdout": out, "stderr": err, "junit": junit.read_text(), "json": report.read_text()}
    for name, text in texts.items():
        assert CANARY not in text, name
    data = json.loads(texts["json"])
    assert data["verdict"] == "not conforming" and data["mode"] == "client"
    (case,) = data["results"]
    assert case["outcome"] == "failed"
    assert case["findings"][0]["rule"] == CLIENT_CATCHES["sasp-with-login"]
    assert case["findings"][0]["cites"].startswith("spec/sources/AutoApplyIdA-1.05.txt line ")
    body = case["example"]["request"]["body"]
    assert "loginPassword=<redacted>" in body and "saspSessionID=<redacted>" in body
    assert data["command"]["exit_status"] == 1
    root = ET.fromstring(texts["junit"])
    failures = root.findall(".//testcase/failure")
    assert failures and CLIENT_CATCHES["sasp-with-login"] in failures[0].get("message", "")


def test_a_client_sending_its_own_secrets_does_not_leak_them(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    own = "my-real-Pa55word-9c1d"
    script = (
        "import os, ssl, urllib.request\n"
        "ctx = ssl.create_default_context(cafile=os.environ['SSL_CERT_FILE'])\n"
        "own = os.environ['OWN']\n"
        "body = f'loginName=x&loginPassword={own}&action=ResendEmail&orderNumber=1&saspSessionID=zz-{own}'\n"
        "req = urllib.request.Request(os.environ['COMODO_API_URL'] + '!UpdateUserEvClickThrough', data=body.encode())\n"
        "urllib.request.urlopen(req, context=ctx).read()\n"
        "print(f'sent loginPassword {own}')\n"
    )
    monkeypatch.setenv("OWN", own)
    code, out, err = kit(capsys, "--", PY, "-c", script)
    assert code == 1, out + err  # saspSessionID is not a variable of UpdateUserEvClickThrough
    assert own not in out + err
    assert "UpdateUserEvClickThrough.request.unrecognised" in out


def test_no_request_and_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = kit(capsys, "--timeout", "0.5", "--", PY, "-c", "import time; time.sleep(30)")
    assert code == 1, out + err
    assert "did not finish within" in out and "no request arrived" in out


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["--", "/nonexistent/client"], "cannot run '/nonexistent/client'"),
        ([], "no CMD"),
        (["--listen", "127.0.0.1:0", "--", "x"], "--listen runs no CMD"),
        (["--adapter"], "--adapter needs the adapter"),
        (["--adapter", "--", "/nonexistent/adapter"], "cannot run '/nonexistent/adapter'"),
        (["--adapter", "--listen", "127.0.0.1:0", "--", "x"], "do not go together"),
    ],
)
def test_could_not_run_is_one_line(argv: list[str], reason: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = kit(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1 and reason in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [["--listen", "nowhere"], ["--timeout", "-1"], ["--account", "nopassword"]])
def test_bad_arguments_are_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["client", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "expected" in err


def test_command_not_found_from_the_shell() -> None:
    done = subprocess.run(
        [PY, "-m", "conformance", "client", "--", "no-such-client-anywhere"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "cannot run 'no-such-client-anywhere'" in done.stderr


def test_help_teaches() -> None:
    done = subprocess.run([PY, "-m", "conformance", "client", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    needles = ["examples:", "COMODO_API_URL", "SSL_CERT_FILE", "--adapter", "--listen", "exit status"]
    needles += ["--max-request-bytes", "--max-line-bytes", "--examples", "--seed", "Stdout belongs to the protocol"]
    needles += ["did not trust the CA", "Every\nrule a request breaks is listed", "TLS set-up"]
    for needle in needles:
        assert needle in done.stdout


# ---------------------------------------------------------------------- --listen


class Lines:
    """A process's stdout, a line at a time, with a deadline (never hangs the suite)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        assert proc.stdout is not None
        stream = proc.stdout
        self.thread = threading.Thread(target=lambda: [self.queue.put(line) for line in stream], daemon=True)
        self.thread.start()

    def rest(self, timeout: float = 30.0) -> str:
        """Everything not read yet, up to the end of the output."""
        self.thread.join(timeout)
        return "".join(self.queue.queue)

    def until(self, needle: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            line = self.queue.get(timeout=max(0.01, deadline - time.monotonic()))
            if needle in line:
                return line


def test_listen_prints_a_verdict_per_request() -> None:
    proc = subprocess.Popen(
        [PY, "-m", "conformance", "client", "--listen", "127.0.0.1:0", "--account", f"reseller:{CANARY}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = Lines(proc)
        url = lines.until("listening at").split()[-1]
        ca = lines.until("CA file").split(" ", 2)[-1].strip()
        env_file = Path(lines.until("client.env").split()[-1])
        assert env_file.stat().st_mode & 0o077 == 0
        env_text = env_file.read_text()
        assert f"export COMODO_API_URL={url}" in env_text and CANARY not in env_text
        wire = {"loginName": "reseller", "loginPassword": CANARY, "action": "ResendEmail", "orderNumber": "7"}
        body = codec.encode_request_fields("UpdateUserEvClickThrough", wire).body
        with httpx.Client(verify=_ssl_context(ca), timeout=10) as client:
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            answer = client.post(url + "!UpdateUserEvClickThrough", content=body, headers=headers)
            assert answer.status_code == 200
            first = lines.until("[1]")
            client.get(url + "!AutoApplyIdA", params={"loginPassword": CANARY})
            second = lines.until("[2]")
        assert "ok" in first and "errorCode -20" in first
        assert "FAIL" in second and "AutoApplyIdA.request.method" in second
        proc.terminate()
        proc.wait(timeout=30)  # not communicate(): Lines owns stdout
        out = lines.rest()
        assert proc.stderr is not None
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1
    assert "NOT CONFORMING: 2 requests, 1 failed" in out
    assert CANARY not in first + second + out + err
    assert not env_file.exists()


def _ssl_context(ca: str) -> Any:
    import ssl

    return ssl.create_default_context(cafile=ca)


# ---------------------------------------------------------------------- unit: judging requests


def test_judge_client_request_grades() -> None:
    def judge(fields: dict[str, str], path: str = "/products/!AutoApplyIdA", **kw: Any) -> tuple[Any, ...]:
        body = codec.encode_request_fields("AutoApplyIdA", fields, validate=False).body
        _, findings = judge_client_request(
            path, method="POST", scheme="https", content_type="application/x-www-form-urlencoded", body=body, **kw
        )
        return tuple((f.severity, f.rule) for f in findings)

    base = dict(SASP_ORDER)
    assert judge(base) == ()
    assert judge({**base, "countryName": "gb"}) == (("failure", "AutoApplyIdA.request.countryName.country"),)
    assert judge({**base, "countryName": "gb"}, lenient=True) == (("note", "country-case"),)
    assert judge({**base, "organizationalUnitName": ""}) == (("note", "blank-value"),)
    spelled = {("POSTALCODE" if k == "postalCode" else k): v for k, v in base.items()}
    assert judge(spelled) == (("note", "names-case-insensitive"),)
    assert judge(base, path="/products/!Nothing") == (("failure", "endpoint.path"),)


def test_scrub_removes_secret_values_whatever_they_are() -> None:
    text = 'loginPassword=abc%21&x=1 "saspSessionID": "s3cr3t" loginpassword%3Dzz known-one'
    cleaned = scrub(text, ["known-one"])
    for secret in ("abc%21", "s3cr3t", "zz", "known-one"):
        assert secret not in cleaned
    assert "x=1" in cleaned


# ---------------------------------------------------------------------- the adapter protocol


def test_variants_are_what_they_say() -> None:
    """Each variant is what it says it is: the letter, a departure its note allows (named), one no
    note allows, or a body the codec cannot read; every code, status and format of the tables is sent."""
    seen: dict[str, set[Any]] = {"codes": set(), "statuses": set(), "formats": set()}
    sent = variants()
    assert len({v.id for v in sent}) == len(sent)
    for v in sent:
        spec = codec.endpoint_spec(v.endpoint)
        reading = read_variant(v)
        if v.malformed or v.off_letter:
            assert reading.kind == v.kind, v.id
            continue
        assert reading.kind in ("letter", "note"), (v.id, reading.deviations)
        reading = reading.response
        if reading.deviations:
            assert v.note in {d.note for d in reading.deviations}, v.id
        seen["codes"].add((v.endpoint, reading.error_code))
        seen["formats"].add((v.endpoint, v.response_format))
        if getattr(reading, "status", None) is not None:
            seen["statuses"].add(reading.status)
    for name in codec.ENDPOINTS:
        spec = codec.endpoint_spec(name)
        assert {(name, c) for c in spec.codes} <= seen["codes"]
        assert {(name, None if k is None else int(k)) for k in spec.formats} <= seen["formats"]
    assert set(codec.endpoint_spec("UpdateUserEvClickThrough").statuses) <= seen["statuses"]


def test_reference_adapter_agrees_in_process() -> None:
    for number, v in enumerate(variants(), 1):
        answer = json.loads(json.dumps(reference_answer(v.message(number))), parse_float=Decimal)
        findings = grade(v, read_variant(v), answer)
        assert not [f for f in findings if f.severity == "failure"], v.id
        # the codec's reader accepts what it can read: a note exactly where the body breaks the letter
        assert bool(findings) == (v.kind in ("off-letter", "unreadable") and "error" not in answer), v.id


@pytest.mark.parametrize("argv", [["-m", "conformance.adapters.codec_adapter"], [ADAPTER]])
def test_correct_adapters_conform(argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    report = tmp_path / "adapter.json"
    code, out, err = kit(capsys, "--adapter", "--json", str(report), "--", PY, *argv)
    assert code == 0, out + err
    assert "CONFORMING" in out
    data = json.loads(report.read_text())
    assert data["mode"] == "adapter" and len(data["results"]) == len(variants())


@pytest.mark.parametrize("fault", sorted(ADAPTER_CATCHES))
def test_broken_adapter_is_caught(fault: str, capsys: pytest.CaptureFixture[str], record_property: Any) -> None:
    code, out, err = kit(capsys, "--adapter", "-q", "--", PY, ADAPTER, "--fault", fault, *ADAPTER_ARGS.get(fault, []))
    record_property("killed", code == 1 and ADAPTER_CATCHES[fault] in out)
    assert code == 1, out + err
    assert ADAPTER_CATCHES[fault] in out
    assert "Traceback" not in out + err


def test_an_adapter_that_dies_is_restarted(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    script = tmp_path / "flaky.py"
    script.write_text(
        "import json, sys\n"
        "sys.path.insert(0, '')\n"
        "from conformance.adapters.codec_adapter import answer\n"
        "for line in sys.stdin:\n"
        "    message = json.loads(line)\n"
        "    if message['id'] == 2:\n"
        "        sys.exit('cannot cope')\n"
        "    print(json.dumps(answer(message)), flush=True)\n"
    )
    junit = tmp_path / "adapter.xml"
    code, out, _ = kit(
        capsys, "--adapter", "--only", "AutoApplyIdA/format-0/code-0/*", "--junit", str(junit), "--", PY, str(script)
    )
    assert code == 1
    assert "exited with status 1 instead of answering; its last words: cannot cope" in out
    assert "started 2 time(s)" in out
    root = ET.fromstring(junit.read_text())
    assert len(root.findall(".//testcase/failure")) == 1


def test_dry_run_lists_variants(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = kit(capsys, "--adapter", "--dry-run", "--endpoint", "UpdateUserEvClickThrough")
    assert code == 0
    assert "UpdateUserEvClickThrough/malformed/no-error-code  [unreadable]" in out
    assert "AutoApplyIdA/" not in out


def test_data_dir_keeps_the_test_ca_across_runs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A client that needs the CA imported once (a Java trust store) gets the same CA every run."""
    folder = tmp_path / "ca"
    code, out, err = kit(capsys, "-q", "--data-dir", str(folder), "--", PY, CLIENT)
    assert code == 0, out + err
    first = (folder / "ca.pem").read_bytes()
    code, out, err = kit(capsys, "-q", "--data-dir", str(folder), "--", PY, CLIENT)
    assert code == 0, out + err
    assert (folder / "ca.pem").read_bytes() == first
