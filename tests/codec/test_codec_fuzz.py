"""Arbitrary and mutated bytes into every decoder: only the codec's own errors may escape.

``decode_request`` may raise only :class:`codec.RequestRejected` (with a code from the endpoint's
table), ``decode_response`` only :class:`codec.ResponseInvalid`, ``decode_form`` only
:class:`codec.FormError`.  What decodes must encode again and decode to the same value.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import codec
from codec import (
    ENDPOINTS,
    RESPONSE_CLASSES,
    CodecError,
    FormError,
    RequestRejected,
    ResponseInvalid,
    decode_form,
    decode_request,
    decode_response,
    encode_form,
    encode_request,
    encode_response,
)
from tests.support.strategies_codec import (
    ENDPOINT_NAMES,
    FORMATS,
    NON_ASCII,
    body,
    example_wire,
    fmt_int,
    kind,
    responses,
)

FUZZ = settings(max_examples=300, deadline=None)

# pieces a form body is made of, so that random bodies often get past the first byte
TOKENS = st.sampled_from(
    [b"&", b"=", b"+", b"%", b"%2", b"%zz", b"%ff", b"%C3%A9", b"%0A", b"\xff", b"\xc3", b"\r\n", b"\n", b";", b"0"]
    + [b"-1", b"365", b"36,37", b"Y", b"GB", b"1", b"9.50", b"$", b" "]
    + [f.name.encode() for spec in ENDPOINTS.values() for f in spec.fields]
    + [p.name.encode() for spec in ENDPOINTS.values() for p in spec.params]
)
FORMISH = st.lists(TOKENS | st.binary(max_size=4), max_size=40).map(b"".join)
BYTES = st.binary(max_size=300) | FORMISH


@st.composite
def mutated(draw: st.DrawFn, raw: bytes) -> bytes:
    """*raw* with a few bytes inserted, deleted, replaced or a slice repeated."""
    data = bytearray(raw)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "repeat", "truncate"]))
        chunk = draw(TOKENS | st.binary(min_size=1, max_size=3))
        if op == "insert":
            data[at:at] = chunk
        elif op == "delete":
            del data[at : at + len(chunk)]
        elif op == "replace":
            data[at : at + len(chunk)] = chunk
        elif op == "repeat":
            data[at:at] = data[max(0, at - 8) : at]
        else:
            del data[at:]
    return bytes(data)


def _judge_request(name: str, raw: bytes, strict: bool, version: str | None) -> None:
    spec = ENDPOINTS[name]
    try:
        request = decode_request(name, raw, strict=strict, version=version)
    except RequestRejected as exc:
        assert exc.code in spec.codes, exc
        assert exc.response_format in {0, *(int(k) for k in spec.formats if k is not None)}
        assert codec.message_for(spec, exc.code, exc.argument) is not None
        return
    # what the server half accepted, the client half encodes, to the same request
    assert type(request) is codec.REQUEST_CLASSES[name]
    again = encode_request(request, strict=strict, version=version)
    assert decode_request(name, again.body, strict=strict, version=version) == request


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
@FUZZ
@given(raw=BYTES, strict=st.booleans(), data=st.data())
def test_decode_request_of_any_bytes(name: str, raw: bytes, strict: bool, data: st.DataObject) -> None:
    version = data.draw(st.none() | st.sampled_from(ENDPOINTS[name].versions), label="version")
    _judge_request(name, raw, strict, version)


def _seeds(name: str) -> list[bytes]:
    """Valid bodies to mutate: every variable sent, both login styles, non-ASCII values at the limit."""
    seeds = [body(example_wire(name, optional=True)), body(example_wire(name, sasp=True))]
    wide = example_wire(name, optional=True)
    for f in ENDPOINTS[name].fields:
        if kind(f) == "text" and f.name in wide:
            wide[f.name] = (NON_ASCII * 600)[: f.max_length or 40]
    return [*seeds, body(wide)]


SEEDS = {name: [s for s in _seeds(name) if decode_request(name, s, strict=False)] for name in ENDPOINT_NAMES}


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
@FUZZ
@given(data=st.data(), strict=st.booleans())
def test_decode_request_of_mutated_valid_bodies(name: str, data: st.DataObject, strict: bool) -> None:
    raw = data.draw(st.sampled_from(SEEDS[name]), label="seed")
    _judge_request(name, data.draw(mutated(raw), label="mutated"), strict, None)


CONTENT_TYPES = st.sampled_from(
    [None, "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "text/html", ";;", ""]
)


def _judge_response(name: str, raw: bytes, fmt: int | None, content_type: str | None, strict: bool) -> None:
    try:
        response = decode_response(name, raw, response_format=fmt, content_type=content_type, strict=strict)
    except ResponseInvalid as exc:
        assert exc.code is None and exc.rule
        if strict and exc.rule == "strict":
            assert exc.deviations
        return
    assert type(response) is RESPONSE_CLASSES[name]
    if strict:
        assert response.deviations == ()
    try:
        encode_response(response, response_format=fmt, validate=False)
    except CodecError:
        pass


@pytest.mark.parametrize(("name", "fmt_key"), FORMATS, ids=[f"{n}-{k}" for n, k in FORMATS])
@FUZZ
@given(raw=BYTES, strict=st.booleans(), content_type=CONTENT_TYPES, given_format=st.booleans())
def test_decode_response_of_any_bytes(
    name: str, fmt_key: str | None, raw: bytes, strict: bool, content_type: str | None, given_format: bool
) -> None:
    _judge_response(name, raw, fmt_int(fmt_key) if given_format else None, content_type, strict)


@pytest.mark.parametrize(("name", "fmt_key"), FORMATS, ids=[f"{n}-{k}" for n, k in FORMATS])
@FUZZ
@given(data=st.data(), strict=st.booleans())
def test_decode_response_of_mutated_valid_bodies(
    name: str, fmt_key: str | None, data: st.DataObject, strict: bool
) -> None:
    f = fmt_int(fmt_key)
    raw = encode_response(data.draw(responses(name, fmt_key), label="response"), response_format=f).body
    _judge_response(name, data.draw(mutated(raw), label="mutated"), f, None, strict)


@FUZZ
@given(raw=BYTES)
def test_decode_form_of_any_bytes(raw: bytes) -> None:
    try:
        pairs = decode_form(raw)
    except FormError as exc:
        assert isinstance(exc, ValueError) and exc.reason
        assert exc.index >= 0
        return
    # canonical re-encoding decodes to the same pairs
    assert decode_form(encode_form(pairs)) == pairs


@FUZZ
@given(pairs=st.lists(st.tuples(st.text(max_size=12), st.text(max_size=12)), max_size=6))
def test_form_round_trip_matches_urlencode(pairs: list[tuple[str, str]]) -> None:
    raw = encode_form(pairs)
    assert raw == urlencode(pairs).encode()
    assert decode_form(raw) == pairs


def test_fuzz_found_examples() -> None:
    """Bodies that once escaped as ValueError / cattrs errors (integers past int()'s digit limit)."""
    huge = b"1" * 5000
    for name in ENDPOINT_NAMES:
        for raw in (huge, b"errorCode=" + huge, b"0\n" + huge + b"\n1.00\n1\n", b"0\n5\n1.00\n" + huge + b"\n"):
            for fmt in (None, 0, 1) if name == "AutoApplyIdA" else (None,):
                with pytest.raises(ResponseInvalid):
                    decode_response(name, raw, response_format=fmt)
    wire = example_wire("AutoApplyIdA")
    wire["days"] = "1" * 5000
    with pytest.raises(RequestRejected) as info:
        decode_request("AutoApplyIdA", body(wire), strict=False)
    assert (info.value.code, info.value.field) == (-4, "days")
