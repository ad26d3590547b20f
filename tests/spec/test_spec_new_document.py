"""Issue 13 item 3: a new version of both vendor documents is adopted with one command.

In a temporary copy of the repository (``codec/``, ``spec/``, ``conformance/`` and
``pyproject.toml``: what the commands need), made-up next versions of both documents
(:mod:`tests.support.next_versions`: a new optional and a new required variable, a changed limit,
a new allowed value, a new error code with a template, a removed variable, a new history line)
are saved beside the current ones.  Then, run from the copy, with nothing edited by hand:

* a document the regenerator cannot read is one line ``spec: FILE:LINE: ...`` (exit 2) and leaves
  every file of the copy as it was;
* ``python -m spec regenerate`` writes the new tables, keeps a table per older document, and
  ``python -m spec check`` agrees;
* the codec carries the new variables (typed classes, converter, validators) and binds to either
  version: each version's variables, limits, allowed values and codes;
* the codec CLI encodes and decodes the new variables, and refuses them when bound to the old one;
* ``python -m conformance server`` finds the embedded reference server CONFORMING -- speaking the
  new documents, and speaking the old ones when told to -- and a server that speaks another
  version than the kit is told is NOT CONFORMING.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from spec.render import ROOT
from tests.support.next_versions import AUTO_CHANGES, CLICK_CHANGES, write_next_versions

pytestmark = [pytest.mark.slow, pytest.mark.network]

AUTO, CLICK = "AutoApplyIdA", "UpdateUserEvClickThrough"
PASSWORD = "new-Document-Pa55"


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("codec", "spec", "conformance"):
        shutil.copytree(ROOT / package, root / package, ignore=ignore)
    shutil.copyfile(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def _run(root: Path, *args: str, stdin: bytes | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` from the copy (its packages come first on the path; -P is not used, so the
    working directory is the first entry, ahead of the installed project's)."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONSAFEPATH"}}
    env["NEW_DOCUMENT_ACCOUNT"] = f"newdoc:{PASSWORD}"
    env["NEW_DOCUMENT_PASSWORD"] = PASSWORD
    return subprocess.run(
        [sys.executable, *args],
        cwd=root,
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def _snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


CODEC_CHECK = textwrap.dedent(
    """
    import json, sys
    from decimal import Decimal
    import attrs, codec
    changes = json.loads(sys.argv[1])
    auto, click = changes["auto"], changes["click"]
    assert codec.__file__.startswith(sys.argv[2]), codec.__file__  # the copy's codec
    assert codec.DOCUMENT_VERSIONS == {"AutoApplyIdA": ("1.05", "1.06"), "UpdateUserEvClickThrough": ("1.02", "1.03")}
    new, old = codec.endpoint_spec("AutoApplyIdA"), codec.endpoint_spec("AutoApplyIdA", "1.05")
    assert (new.version, old.version, old.document_version) == ("1.06", "1.05", "1.05")
    attributes = {a.name: a for a in attrs.fields(codec.AutoApplyIdARequest)}
    # every kept version's variables, required only where every version requires them
    assert attributes["contact_name"].default is None and attributes["post_office_box"].default is None
    assert attributes["days"].default is attrs.NOTHING

    def body(**fields):
        wire = {"loginName": "me", "loginPassword": "pw", "product": "36", "days": "365", "location": "x",
                "organizationName": "Example", "streetAddress1": "1 High St", "localityName": "Leeds",
                "stateOrProvinceName": "Yorks", "postalCode": "LS1", "countryName": "GB",
                "isCustomerValidated": "N"}
        wire.update(fields)
        return codec.encode_form([(k, v) for k, v in wire.items() if v is not None])

    def code(version=None, **fields):
        try:
            request = codec.decode_request("AutoApplyIdA", body(**fields), version=version)
        except codec.RequestRejected as exc:
            return exc.code, exc.argument or exc.field
        return 0, request

    # the round trip with the new variables
    status, request = code(contactName="Ann Example", idaWebsite="https://example.com/é", product="36,38")
    assert status == 0, request
    assert (request.contact_name, request.ida_website, request.product) == ("Ann Example", "https://example.com/é", (36, 38))
    http = codec.encode_request(request)
    assert codec.decode_request("AutoApplyIdA", http.body) == request
    assert codec.converter.unstructure(request)["idaWebsite"] == "https://example.com/é"
    # each version its own rules: the new required variable, the removed one, the new limit and value
    assert code() == (-3, "contactName")
    assert code("1.05")[0] == 0
    assert code("1.05", contactName="Ann")[0] == -2 and code("1.05", idaWebsite="w")[0] == -2
    assert code(contactName="Ann", postOfficeBox="PO 1")[0] == -2
    assert code("1.05", postOfficeBox="PO 1")[1].post_office_box == "PO 1"
    assert code(contactName="Ann", organizationName="o" * 100)[0] == 0
    assert code("1.05", organizationName="o" * 100) == (-4, "organizationName")
    assert code(contactName="Ann", product="38")[0] == 0 and code("1.05", product="38") == (-4, "product")
    assert code("1.03", foreignOrderNumber="f")[0] == 0 and code("1.02", foreignOrderNumber="f")[0] == -2
    typed = codec.AutoApplyIdARequest(**{**attrs.asdict(request), "post_office_box": "PO 1"})
    try:
        codec.encode_request(typed)
    except codec.RequestInvalid as exc:
        assert (exc.code, exc.field) == (-2, "postOfficeBox")
    else:
        raise AssertionError("the newest document has no postOfficeBox")
    # the new code and its template, for this version only
    minus18, template = auto["code"]
    answer = codec.error_response("AutoApplyIdA", minus18, "product")
    assert answer.error_message == template.replace("xxxx", "product")
    for fmt in (0, 1):
        encoded = codec.encode_response(answer, response_format=fmt)
        assert codec.decode_response("AutoApplyIdA", encoded.body, response_format=fmt, strict=True) == answer
        assert codec.error_detail(answer).argument == "product"
        assert [d.note for d in codec.decode_response("AutoApplyIdA", encoded.body, response_format=fmt, version="1.05").deviations] == ["codes"]
    try:
        codec.error_response("AutoApplyIdA", minus18, version="1.05")
    except codec.ResponseEncodeError:
        pass
    else:
        raise AssertionError("1.05 has no code -18")
    # the click-through: a new required variable, a removed one (with its action), a new action and code
    spec = codec.endpoint_spec("UpdateUserEvClickThrough")
    assert spec.actions == ("ResendEmail", "SendReminder") and sorted(spec.statuses) == [0, 1]
    wire = {"loginName": "me", "loginPassword": "pw", "action": "SendReminder", "orderNumber": "12",
            "resellerReference": "r-1", "comment": "hello"}
    click_request = codec.decode_request("UpdateUserEvClickThrough", codec.encode_form(list(wire.items())))
    assert (click_request.reseller_reference, click_request.comment) == ("r-1", "hello")
    old_wire = {"loginName": "me", "loginPassword": "pw", "action": "ReplaceMailAddress", "orderNumber": "12",
                "adminEmailAddress": "a@example.com"}
    old_body = codec.encode_form(list(old_wire.items()))
    assert codec.decode_request("UpdateUserEvClickThrough", old_body, version="1.02").admin_email_address == "a@example.com"
    try:
        codec.decode_request("UpdateUserEvClickThrough", old_body)
    except codec.RequestRejected as exc:
        assert exc.code == -2 and exc.argument == "adminEmailAddress", exc
    else:
        raise AssertionError("1.03 has no adminEmailAddress")
    assert codec.error_response("UpdateUserEvClickThrough", -21, "orderNumber").error_message == (
        "The 'orderNumber' argument is not allowed for this order!")
    print("codec OK")
    """
)


def test_a_new_version_of_both_documents_is_adopted_with_one_command(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    sources = root / "spec" / "sources"
    written = write_next_versions(sources)

    # -- a document the regenerator cannot read: one line, nothing written
    broken = sources / "AutoApplyIdA-1.07.txt"
    text = written[AUTO].read_text(encoding="utf-8")  # 1.07: a limit the reader does not understand
    text = text.replace("<i>idaWebsite</i>\tstring\t255 chars", "<i>idaWebsite</i>\tstring\tabout 255 chars")
    removed = 'Removed: "postOfficeBox" parameter.'
    text = text.replace(removed, f'{removed}\n- 1.07 Changed: "idaWebsite" parameter.')
    broken.write_text(text, encoding="utf-8")
    before = _snapshot(root)
    result = _run(root, "-m", "spec", "regenerate")
    assert result.returncode == 2, result.stdout + result.stderr
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("<i>idaWebsite</i>"))
    assert result.stderr == (
        f"spec: {broken}:{line}: expected a max. length like '64 chars' or nothing, found 'about 255 chars'\n"
    )
    assert result.stdout == ""
    assert _snapshot(root) == before
    broken.unlink()

    # -- one command adopts both documents; check agrees
    result = _run(root, "-m", "spec", "regenerate")
    assert result.returncode == 0, result.stderr
    for path in ("spec/tables/AutoApplyIdA-1.05.json", "spec/tables/UpdateUserEvClickThrough-1.02.json"):
        assert f"wrote     {root / path}" in result.stdout
    tables = json.loads((root / "spec/tables/AutoApplyIdA.json").read_text(encoding="utf-8"))
    assert tables["document_version"] == "1.06"
    check = _run(root, "-m", "spec", "check")
    assert (check.returncode, check.stdout.strip()) == (0, "spec check: 9 files up to date"), check.stderr

    # -- the codec, bound to either version
    changes = json.dumps({"auto": AUTO_CHANGES, "click": CLICK_CHANGES})
    result = _run(root, "-c", CODEC_CHECK, changes, str(root))
    assert (result.returncode, result.stdout.strip()) == (0, "codec OK"), result.stdout + result.stderr

    # -- the codec CLI
    order = {
        "loginName": "me", "loginPassword": "pw", "product": [36, 38], "days": 365, "location": "x",
        "organizationName": "o" * 100, "contactName": "Ann", "streetAddress1": "1 High St",
        "localityName": "Leeds", "stateOrProvinceName": "Yorks", "postalCode": "LS1", "countryName": "GB",
        "isCustomerValidated": False, "idaWebsite": "https://example.com/",
    }  # fmt: skip
    encoded = _run(root, "-m", "codec", "encode-request", AUTO, stdin=json.dumps(order).encode())
    assert encoded.returncode == 0, encoded.stdout + encoded.stderr
    assert "contactName=Ann" in encoded.stdout and "idaWebsite=https%3A%2F%2Fexample.com%2F" in encoded.stdout
    decoded = _run(root, "-m", "codec", "decode-request", AUTO, stdin=encoded.stdout.encode())
    assert decoded.returncode == 0, decoded.stdout + decoded.stderr
    shown = json.loads(decoded.stdout)
    assert (shown["contactName"], shown["idaWebsite"], shown["product"]) == ("Ann", "https://example.com/", "36,38")
    old = _run(root, "-m", "codec", "decode-request", AUTO, "--version", "1.05", stdin=encoded.stdout.encode())
    assert old.returncode == 1 and json.loads(old.stdout)["errorCode"] == -2, old.stdout + old.stderr
    answer = _run(
        root, "-m", "codec", "decode-response", AUTO, "--strict",
        stdin=b"-18\nThe 'product' argument is not allowed for this product!\n",
    )  # fmt: skip
    assert answer.returncode == 0 and json.loads(answer.stdout)["errorCode"] == -18, answer.stdout + answer.stderr

    # -- the embedded conformance run: the new documents, then the old ones
    for versions in ([], ["--version", "1.05", "--version", "UpdateUserEvClickThrough=1.02"]):
        run = _run(root, "-m", "conformance", "server", "--examples", "10", *versions)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        assert "CONFORMING" in run.stdout and "NOT CONFORMING" not in run.stdout

    # -- a server speaking 1.05 is not the 1.06 the kit is told it speaks
    serve = subprocess.Popen(
        [sys.executable, "-m", "conformance", "serve", "--no-tls", "--port", "0", "--db", ":memory:",
         "--account-env", "NEW_DOCUMENT_ACCOUNT", "--version", "AutoApplyIdA=1.05", "--log-level", "warning"],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "NEW_DOCUMENT_ACCOUNT": f"newdoc:{PASSWORD}"},
    )  # fmt: skip
    try:
        assert serve.stdout is not None
        url = serve.stdout.readline().strip().removeprefix("serving ")
        assert url.startswith("http://127.0.0.1:"), url
        assert serve.stdout.readline().strip() == "documents AutoApplyIdA 1.05, UpdateUserEvClickThrough 1.03 (newest)"
        args = ["-m", "conformance", "server", "--url", url, "--login-name", "newdoc", "--examples", "5"]
        args += ["--login-password-env", "NEW_DOCUMENT_PASSWORD", "--endpoint", AUTO]
        claimed_old = _run(root, *args, "--version", "AutoApplyIdA=1.05")
        assert claimed_old.returncode == 0, claimed_old.stdout[-3000:] + claimed_old.stderr[-3000:]
        claimed_new = _run(root, *args)
        assert claimed_new.returncode == 1, claimed_new.stdout[-3000:] + claimed_new.stderr[-3000:]
        assert "NOT CONFORMING" in claimed_new.stdout
        assert "AutoApplyIdA/at-limit/contactName" in claimed_new.stdout  # 1.05 has no contactName: -2
        assert PASSWORD not in claimed_new.stdout + claimed_new.stderr
    finally:
        serve.terminate()
        serve.communicate(timeout=30)
