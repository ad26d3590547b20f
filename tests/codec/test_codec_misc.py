"""Secrets, the classes against the tables, vendoring, the CLI and the codec's types."""

from __future__ import annotations

import ast
import importlib.util
import json
import shutil
import subprocess
import sys
import textwrap
import typing
from pathlib import Path
from typing import Any

import attrs
import pytest

import codec
from codec import (
    ENDPOINTS,
    REDACTED,
    REQUEST_CLASSES,
    RESPONSE_CLASSES,
    RequestInvalid,
    RequestRejected,
    decode_request,
    encode_request,
    encode_request_fields,
    encode_response,
    error_response,
)
from tests.support.strategies_codec import (
    AUTO,
    CLICK,
    ENDPOINT_NAMES,
    FORMATS,
    body,
    example_request,
    example_wire,
    exclusive_fields,
    fmt_int,
    kind,
)

ROOT = Path(__file__).resolve().parents[2]
CANARY = "CANARY-pw-9f3"
SESSION_CANARY = "CANARY-sid-7a1"  # fits saspSessionID's 16 characters


def secret_fields(name: str) -> list[Any]:
    return [f for f in ENDPOINTS[name].fields if f.secret]


# --------------------------------------------------------------------------- secrets


def test_tables_mark_the_secrets() -> None:
    assert {f.name for f in secret_fields(AUTO)} == {"loginPassword", "saspSessionID"}
    assert {f.name for f in secret_fields(CLICK)} == {"loginPassword"}


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
def test_secrets_never_in_repr(name: str) -> None:
    styles = [(False, {"loginPassword": CANARY})]
    styles += [(True, {alt: SESSION_CANARY}) for alt in exclusive_fields(name)]
    for sasp, secrets in styles:
        request = example_request(name, sasp=sasp, **secrets)
        canary = next(iter(secrets.values()))
        assert canary in [getattr(request, a.name) for a in attrs.fields(type(request))]
        decoded = decode_request(name, encode_request(request).body)
        for text in (repr(request), str(request), repr(decoded), f"{request}"):
            assert canary not in text
            assert REDACTED in text
        assert canary not in repr(encode_request(request))  # the body shows as its length only


def _faulty_bodies(name: str) -> list[bytes]:
    """Requests that are refused while carrying the canary in every way a fault can touch it."""
    wire = example_wire(name)
    wire["loginPassword"] = CANARY
    limit = ENDPOINTS[name].by_key["loginpassword"].max_length
    pairs = list(wire.items())
    bodies = [
        body({**wire, "loginPassword": CANARY * (limit // len(CANARY) + 1)}),  # too long
        body([*pairs, ("loginPassword", CANARY)]),  # repeated
        body([*pairs, ("LOGINPASSWORD", CANARY + "2")]),
        body([*pairs, ("noSuchVariable", CANARY)]),  # unknown name, secret value
        body(pairs) + b"&loginPassword=" + CANARY.encode() + b"%zz",  # bad escape in the secret
        body(pairs) + b"&loginPassword=" + CANARY.encode() + b"%ff",  # invalid UTF-8 in the secret
        body({k: v for k, v in wire.items() if k != "loginName"}),  # missing neighbour
    ]
    if exclusive_fields(name):
        bodies.append(body({**wire, "saspSessionID": SESSION_CANARY}))  # exclusive
        bodies.append(body({**wire, "saspSessionID": SESSION_CANARY + "x" * 20}))
    return bodies


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
def test_secrets_never_in_errors(name: str) -> None:
    for raw in _faulty_bodies(name):
        for strict in (True, False):
            try:
                decode_request(name, raw, strict=strict)
            except RequestRejected as exc:
                shown = [str(exc), repr(exc), json.dumps(exc.to_dict()), *map(str, exc.args), str(exc.argument)]
                assert all(CANARY not in s and SESSION_CANARY not in s for s in shown), shown
            else:
                assert not strict, raw
        # the client half, from wire names
        from urllib.parse import parse_qsl

        try:
            encode_request_fields(name, parse_qsl(raw.decode("latin-1")))
        except RequestInvalid as exc:
            shown = [str(exc), repr(exc), json.dumps(exc.to_dict())]
            assert all(CANARY not in s and SESSION_CANARY not in s for s in shown), shown
    request = attrs.evolve(example_request(name), login_password=CANARY * 20)
    with pytest.raises(RequestInvalid) as info:
        encode_request(request)
    assert CANARY not in str(info.value) and CANARY not in repr(info.value)


# --------------------------------------------------------------------------- classes vs tables


def _expected_type(f: Any) -> Any:
    base = {"products": tuple[int, ...], "flag": bool, "int_enum": int, "int": int}.get(kind(f), str)
    return base if f.presence == "required" else base | None


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
def test_request_class_has_exactly_the_tables_variables_in_order(name: str) -> None:
    cls = REQUEST_CLASSES[name]
    spec = ENDPOINTS[name]
    assert cls.ENDPOINT == name
    assert [a.name for a in attrs.fields(cls)] == [f.attribute for f in spec.fields]
    hints = typing.get_type_hints(cls)
    for f in spec.fields:
        a = attrs.fields_dict(cls)[f.attribute]
        if f.presence == "required":
            assert a.default is attrs.NOTHING, f.name
            assert hints[f.attribute] == _expected_type(f), f.name
        else:  # optional and conditional variables may be left out
            if a.default is None:
                assert hints[f.attribute] == _expected_type(f), f.name
        assert (a.repr is not True) == f.secret, f.name


def test_request_class_attributes_of_conditional_variables() -> None:
    """Conditional variables are optional in the class exactly when some rule can waive them."""
    for name in ENDPOINT_NAMES:
        spec = ENDPOINTS[name]
        waivable = {n for r in spec.rules_of(codec.RequiredUnlessRule) for n in r.fields}
        waivable |= {r.field for r in spec.rules_of(codec.RequiredWhenRule)}
        for f in spec.fields:
            if f.presence == "conditional":
                assert f.name in waivable
                default = attrs.fields_dict(REQUEST_CLASSES[name])[f.attribute].default
                assert default is None


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
def test_response_class_has_exactly_the_tables_parameters_in_order(name: str) -> None:
    cls = RESPONSE_CLASSES[name]
    spec = ENDPOINTS[name]
    assert cls.ENDPOINT == name
    names = [a.name for a in attrs.fields(cls) if a.name != "deviations"]
    assert names == [p.attribute for p in spec.params]
    assert [a.name for a in attrs.fields(cls)][-1] == "deviations"
    assert not attrs.fields_dict(cls)["deviations"].eq
    hints = typing.get_type_hints(cls)
    from decimal import Decimal

    python = {"integer": int, "amount": Decimal, "string": str}
    for p in spec.params:
        expected = python[p.type] if p.presence.always and p.name == "errorCode" else python[p.type] | None
        assert hints[p.attribute] == expected, p.name


def test_class_maps_cover_both_endpoints() -> None:
    assert set(REQUEST_CLASSES) == set(RESPONSE_CLASSES) == set(ENDPOINTS) == {AUTO, CLICK}
    assert set(codec.__all__) <= set(dir(codec))


# --------------------------------------------------------------------------- vendoring

VENDORED = textwrap.dedent(
    """
    import sys
    from importlib.abc import MetaPathFinder

    BLOCKED = {"spec", "conformance", "hypothesis", "pytest", "pycountry", "httpx", "uvicorn", "trustme"}

    class Blocker(MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):
            if fullname.split(".")[0] in BLOCKED:
                raise ImportError(f"vendored codec must not import {fullname}")
            return None

    sys.meta_path.insert(0, Blocker())
    sys.path.insert(0, sys.argv[1])
    before = set(sys.modules)

    from decimal import Decimal
    import codec

    assert codec.__file__.startswith(sys.argv[1]), codec.__file__
    imported = {m.split(".")[0] for m in set(sys.modules) - before}
    outside = sorted(m for m in imported if m not in sys.stdlib_module_names and m != "codec")
    # attrs and cattrs, and what they themselves import
    assert set(outside) <= {"attr", "attrs", "cattr", "cattrs", "typing_extensions", "exceptiongroup"}, outside
    assert not (imported & BLOCKED)

    r = codec.AutoApplyIdARequest(
        login_name="me", login_password="pw", product=(36, 37), days=365, location="example.com",
        organization_name="Org é", street_address1="1 St", locality_name="Town",
        state_or_province_name="State", postal_code="AB1", country_name="GB", is_customer_validated=True,
        response_format=1,
    )
    assert codec.decode_request("AutoApplyIdA", codec.encode_request(r).body) == r
    c = codec.UpdateUserEvClickThroughRequest(login_name="me", login_password="pw", action="ResendEmail", order_number="12")
    assert codec.decode_request("updateuserevclickthrough", codec.encode_request(c).body) == c
    x = codec.AutoApplyIdAResponse(error_code=0, order_number=7, total_cost=Decimal("9.50"), expected_delivery_time=1)
    for f in (0, 1):
        assert codec.decode_response("AutoApplyIdA", codec.encode_response(x, response_format=f).body, response_format=f) == x
    e = codec.error_response("UpdateUserEvClickThrough", -3, "orderNumber")
    assert codec.decode_response("UpdateUserEvClickThrough", codec.encode_response(e).body, strict=True) == e
    try:
        codec.decode_request("AutoApplyIdA", b"")
    except codec.RequestRejected as exc:
        assert exc.code == -3
    print("vendored OK", ",".join(outside))
    """
)


def test_codec_folder_alone_is_vendorable(tmp_path: Path) -> None:
    """Copy codec/ alone and use it with only attrs and cattrs importable besides the stdlib."""
    shutil.copytree(ROOT / "codec", tmp_path / "codec", ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run(
        [sys.executable, "-I", "-c", VENDORED, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("vendored OK")
    # statically too: the copy imports only the stdlib, attrs, cattrs and itself, and opens no file
    for source in (tmp_path / "codec").glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                tops = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                tops = {(node.module or "").split(".")[0]}
            else:
                tops = set()
            assert tops <= set(sys.stdlib_module_names) | {"attrs", "cattrs", "__future__"}, (source.name, tops)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "open", source.name


def test_blocker_really_blocks(tmp_path: Path) -> None:
    """The vendoring test's import blocker is not a no-op."""
    shutil.copytree(ROOT / "codec", tmp_path / "codec", ignore=shutil.ignore_patterns("__pycache__"))
    script = VENDORED.split("before = set(sys.modules)")[0] + "import pytest\n"
    result = subprocess.run(
        [sys.executable, "-I", "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "vendored codec must not import pytest" in result.stderr


# --------------------------------------------------------------------------- CLI


def cli(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "codec", *args], input=stdin, capture_output=True, cwd=ROOT, timeout=60
    )


def _no_traceback(result: subprocess.CompletedProcess[bytes]) -> None:
    assert b"Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
def test_cli_requests_both_ways(name: str) -> None:
    wire = example_wire(name, optional=True)
    spec = ENDPOINTS[name]
    typed_json = {k: int(v) if spec.by_key[k.lower()].type == "integer" else v for k, v in wire.items()}
    for spelled in (name, name.lower(), name.upper(), "!" + name):
        result = cli("encode-request", spelled, stdin=json.dumps(typed_json).encode())
        assert result.returncode == 0, result
        assert result.stdout == body(wire) + b"\n"
    result = cli("decode-request", name.swapcase(), stdin=body(wire) + b"\n")
    assert result.returncode == 0, result
    shown = json.loads(result.stdout)
    assert list(shown) == list(wire)
    for k, v in shown.items():
        if spec.by_key[k.lower()].secret:
            assert v == REDACTED
        else:
            assert v == typed_json[k]
    shown = json.loads(cli("decode-request", name, "--show-secrets", stdin=body(wire)).stdout)
    assert shown == typed_json


@pytest.mark.parametrize(("name", "fmt_key"), FORMATS, ids=[f"{n}-{k}" for n, k in FORMATS])
def test_cli_responses_both_ways(name: str, fmt_key: str | None) -> None:
    from decimal import Decimal

    spec = ENDPOINTS[name]
    if name == AUTO:
        x = codec.AutoApplyIdAResponse(
            error_code=0, order_number=12, total_cost=Decimal("9.50"), expected_delivery_time=1
        )
    else:
        x = codec.UpdateUserEvClickThroughResponse(
            error_code=0, error_message=spec.message(0), status=1, description=spec.statuses[1].description
        )
    fmt = [] if fmt_key is None else ["--format", fmt_key]
    raw = encode_response(x, response_format=fmt_int(fmt_key)).body
    as_json = {
        p.name: (int(v) if p.type == "integer" else v)
        for p in spec.params
        if (v := codec.converter.unstructure(x).get(p.name))
    }
    result = cli("encode-response", name.lower(), *fmt, stdin=json.dumps(as_json).encode())
    assert (result.returncode, result.stdout) == (0, raw), result
    result = cli("decode-response", name.upper(), *fmt, stdin=raw)
    assert result.returncode == 0, result
    assert json.loads(result.stdout) == as_json
    error = error_response(name, -3, "days")
    result = cli(
        "decode-response", name, *fmt, "--strict", stdin=encode_response(error, response_format=fmt_int(fmt_key)).body
    )
    assert json.loads(result.stdout)["errorMessage"] == error.error_message


def test_cli_reports_deviations_and_strict_failures() -> None:
    raw = b"0\r\n12\r\n9.50\r\n1\r\n"
    lenient = json.loads(cli("decode-response", AUTO, "--format", "0", stdin=raw).stdout)
    assert lenient["orderNumber"] == 12 and lenient["totalCost"] == "9.50"
    assert [d["note"] for d in lenient["deviations"]] == ["format0-line-ending"]
    result = cli("decode-response", AUTO, "--format", "0", "--strict", stdin=raw)
    assert result.returncode == 1
    out = json.loads(result.stdout)
    assert out["errorCode"] is None and out["rule"] == "strict" and out["deviations"]
    _no_traceback(result)


INVALID = [
    # (command, endpoint, stdin, errorCode, argument)
    ("decode-request", AUTO, b"", -3, "loginName"),
    ("decode-request", CLICK, b"loginName=a&loginPassword=b&action=ResendEmail&orderNumber=1&x=1", -2, "x"),
    ("decode-request", AUTO, b"%zz=1", -2, "pair 1"),
    ("encode-request", CLICK, b'{"loginName": "a"}', -3, "loginPassword"),
    ("encode-request", AUTO, b"not json", None, None),
    ("encode-request", AUTO, b"[1, 2]", None, None),
    ("encode-request", CLICK, b'{"loginName": 1.5}', None, "loginName"),
    (
        "encode-request",
        CLICK,
        b'{"loginName": "\\ud800", "loginPassword": "p", "action": "ResendEmail", "orderNumber": "1"}',
        -4,
        "loginName",
    ),
    ("encode-request", AUTO, b"\xff\xfe", None, None),
    ("encode-response", AUTO, b'{"errorCode": -99, "errorMessage": "x"}', -99, "errorCode"),
    ("encode-response", AUTO, b'{"errorCode": "zero"}', None, None),
    ("encode-response", AUTO, b'{"errorCode": 0}', None, "orderNumber"),
    ("encode-response", CLICK, b'{"noSuchParameter": 1}', None, "noSuchParameter"),
    ("decode-response", AUTO, b"", None, "errorCode"),
    ("decode-response", AUTO, b"0\n12\n$9.50\n1\n", None, "totalCost"),
    ("decode-response", CLICK, b"\xff", None, None),
]


@pytest.mark.parametrize(("command", "name", "stdin", "code", "argument"), INVALID)
def test_cli_invalid_input_exits_1_with_a_json_error(
    command: str, name: str, stdin: bytes, code: int | None, argument: str | None
) -> None:
    result = cli(command, name, stdin=stdin)
    _no_traceback(result)
    assert result.returncode == 1, result
    out = json.loads(result.stdout)
    assert out["errorCode"] == code
    assert out.get("argument") == argument
    assert isinstance(out["message"], str) and out["message"]


def test_cli_never_prints_secrets() -> None:
    wire = {**example_wire(CLICK), "loginPassword": CANARY}
    decoded = cli("decode-request", CLICK, stdin=body(wire))
    assert decoded.returncode == 0 and CANARY.encode() not in decoded.stdout + decoded.stderr
    for name in ENDPOINT_NAMES:
        for raw in _faulty_bodies(name)[:5]:
            result = cli("decode-request", name, stdin=raw)
            assert result.returncode == 1
            assert CANARY.encode() not in result.stdout + result.stderr, result
    too_long = json.dumps({**wire, "loginPassword": CANARY * 20}).encode()
    result = cli("encode-request", CLICK, stdin=too_long)
    assert result.returncode == 1 and CANARY.encode() not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("encode-request", "NoSuchEndpoint"),
        ("decode-response", ""),
        ("frobnicate", AUTO),
        ("encode-response", AUTO, "--format", "2"),
        ("decode-request", AUTO, "--version", "x"),
        ("decode-request", AUTO, "--version", "9.99"),
        (),
    ],
)
def test_cli_bad_command_line_exits_2(args: tuple[str, ...]) -> None:
    result = cli(*args, stdin=body(example_wire(AUTO)))
    assert result.returncode == 2, result
    assert result.stdout == b""
    _no_traceback(result)


def test_cli_version_binding() -> None:
    wire = {**example_wire(AUTO), "responseFormat": "1"}
    result = cli("decode-request", AUTO, "--version", "1.02", stdin=body(wire))
    assert result.returncode == 1 and json.loads(result.stdout)["errorCode"] == -2
    assert cli("decode-request", AUTO, "--version", "1.03", stdin=body(wire)).returncode == 0
    lenient = {**example_wire(AUTO), "days": "400"}
    assert cli("encode-request", AUTO, stdin=json.dumps(lenient).encode()).returncode == 1
    assert cli("encode-request", AUTO, "--lenient", stdin=json.dumps(lenient).encode()).returncode == 0


def test_cli_help() -> None:
    result = cli("--help")
    assert result.returncode == 0
    text = result.stdout.decode()
    for command in ("encode-request", "decode-request", "encode-response", "decode-response", *ENDPOINT_NAMES):
        assert command in text
    for command in ("encode-request", "decode-request", "encode-response", "decode-response"):
        sub = cli(command, "--help")
        assert sub.returncode == 0 and b"ENDPOINT" in sub.stdout


# --------------------------------------------------------------------------- types


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed")
def test_mypy_strict_on_the_codec(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), "codec"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("amount", ["NaN", "sNaN", "Infinity", "1E+400", "-1", "-0"])
def test_encode_response_never_writes_an_amount_its_decoder_refuses(amount: str) -> None:
    """policy.amount_pattern holds both ways: a server using the codec cannot answer totalCost=NaN."""
    from decimal import Decimal

    response = codec.AutoApplyIdAResponse(
        error_code=0, order_number=1, total_cost=Decimal(amount), expected_delivery_time=1
    )
    for fmt in (0, 1):
        with pytest.raises(codec.ResponseEncodeError) as info:
            codec.encode_response(response, response_format=fmt)
        assert (info.value.field, info.value.rule) == ("totalCost", "amount")


def test_an_amount_with_a_final_newline_is_refused() -> None:
    """policy.amount_pattern ends in "$", which re.match lets through before a final newline;
    the codec anchors it at the true end (found by the fast-path differential tests)."""
    body = b"errorCode=0&orderNumber=1&totalCost=12%0A&expectedDeliveryTime=1"
    for strict in (True, False):
        with pytest.raises(codec.ResponseInvalid) as info:
            codec.decode_response("AutoApplyIdA", body, response_format=1, strict=strict)
        assert (info.value.field, info.value.rule) == ("totalCost", "amount")
