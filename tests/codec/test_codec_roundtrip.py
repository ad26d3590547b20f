"""Round trips of every request and response type, in every format, over the tables' allowed space.

The strategies (``tests/support/strategies_codec.py``) are derived from ``codec.ENDPOINTS``: every optional
variable present or absent, both login styles, text of any Unicode up to the exact Max. Length in
characters, every allowed product list, flag, day count, country and response format.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import codec
from codec import (
    ENDPOINTS,
    decode_request,
    decode_response,
    encode_request,
    encode_response,
    request_to_wire,
)
from tests.support.strategies_codec import (
    AUTO,
    CLICK,
    ENDPOINT_NAMES,
    FORMATS,
    NON_ASCII,
    exclusive_fields,
    fmt_int,
    kind,
    order_params,
    requests,
    responses,
    strict_deviations,
)

ROUND_TRIPS = settings(max_examples=150, deadline=None)


# --------------------------------------------------------------------------- requests


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
@ROUND_TRIPS
@given(data=st.data())
def test_request_round_trip(name: str, data: st.DataObject) -> None:
    x = data.draw(requests(name), label="request")
    spec = ENDPOINTS[name]
    http = encode_request(x)
    assert http.body == urlencode(list(request_to_wire(x).items())).encode()
    assert (http.method, http.url, http.path) == (spec.method, spec.url, spec.path)
    assert dict(http.headers) == {"Content-Type": spec.content_type}
    assert decode_request(name, http.body) == x
    # the lenient reading accepts everything the strict one does, the same way
    assert decode_request(name, http.body, strict=False) == x
    assert codec.encode_request_fields(name, request_to_wire(x)).body == http.body


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
@ROUND_TRIPS
@given(data=st.data())
def test_request_round_trip_lenient(name: str, data: st.DataObject) -> None:
    """Lenient readings widen the space (any positive days, repeated products); still a round trip."""
    x = data.draw(requests(name, strict=False), label="request")
    http = encode_request(x, strict=False)
    assert http.body == urlencode(list(request_to_wire(x).items())).encode()
    assert decode_request(name, http.body, strict=False) == x


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
@ROUND_TRIPS
@given(data=st.data())
def test_request_round_trip_bound_to_each_version(name: str, data: st.DataObject) -> None:
    """A request using only the variables of an older document version round-trips bound to it."""
    spec = ENDPOINTS[name]
    version = data.draw(st.sampled_from(spec.versions), label="version")
    x = data.draw(requests(name), label="request")
    known = {f.name for f in spec.fields_in(version)}
    wire = request_to_wire(x)
    if set(wire) <= known:
        assert decode_request(name, encode_request(x, version=version).body, version=version) == x
    else:
        with pytest.raises(codec.RequestInvalid) as info:
            encode_request(x, version=version)
        assert info.value.code == -2
        assert info.value.field in set(wire) - known


def _features(name: str, r: Any) -> set[tuple[str, Any]]:
    """What a generated request exercises: each variable present or absent, text exactly at its
    Max. Length with non-ASCII characters, every allowed value, the login style."""
    out: set[tuple[str, Any]] = set()
    for f in ENDPOINTS[name].fields:
        value = getattr(r, f.attribute)
        out.add(("present" if value is not None else "absent", f.name))
        if isinstance(value, str) and f.max_length is not None and len(value) == f.max_length:
            if any(c in NON_ASCII or ord(c) > 0x7F for c in value):
                out.add(("at-limit-non-ascii", f.name))
        if kind(f) in ("flag", "int_enum", "enum") and value is not None:
            out.add((f.name, value))
        if kind(f) == "products":
            out.add((f.name, len(value)))
    alternative = [a for a in exclusive_fields(name) if out >= {("present", a)}]
    out.add(("login", "alternative" if alternative else "name+password"))
    return out


def _expected(name: str) -> set[tuple[str, Any]]:
    spec = ENDPOINTS[name]
    out: set[tuple[str, Any]] = set()
    for f in spec.fields:
        out.add(("present", f.name))
        if f.presence != "required":
            out.add(("absent", f.name))
        if kind(f) == "text" and f.max_length is not None:
            out.add(("at-limit-non-ascii", f.name))
        values = f.kind.values
        if kind(f) == "flag":
            out |= {(f.name, True), (f.name, False)}
        elif kind(f) == "int_enum":
            out |= {(f.name, int(v)) for v in values}
        elif kind(f) == "enum":
            out |= {(f.name, v) for v in values}
        elif kind(f) == "products":
            out |= {(f.name, n) for n in range(1, len(values) + 1)}
    out.add(("login", "name+password"))
    if exclusive_fields(name):
        out.add(("login", "alternative"))
    return out


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
def test_request_strategy_covers_the_allowed_space(name: str) -> None:
    """Found, not assumed: a fixed-seed run of the strategy reaches every optional variable present
    and absent, both login styles, every allowed value and every text variable's Max. Length in
    non-ASCII characters (over it in UTF-8 bytes), and each of those round-trips."""
    seen: set[tuple[str, Any]] = set()

    @settings(max_examples=120, deadline=None, derandomize=True, database=None)
    @given(requests(name))
    def collect(r: Any) -> None:
        seen.update(_features(name, r))
        assert decode_request(name, encode_request(r).body) == r

    collect()
    assert _expected(name) - seen == set()
    for f in ENDPOINTS[name].fields:  # at the limit in characters, over it in bytes
        if kind(f) == "text" and f.max_length is not None:
            assert len((NON_ASCII[0] * f.max_length).encode("utf-8")) > f.max_length


# --------------------------------------------------------------------------- responses


@pytest.mark.parametrize(("name", "fmt_key"), FORMATS, ids=[f"{n}-{k}" for n, k in FORMATS])
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_response_round_trip(name: str, fmt_key: str | None, data: st.DataObject) -> None:
    spec = ENDPOINTS[name]
    x = data.draw(responses(name, fmt_key), label="response")
    f = fmt_int(fmt_key)
    encoded = encode_response(x, response_format=f)
    mime = spec.formats[fmt_key].mime_type
    assert encoded.status == 200
    assert encoded.content_type.split(";")[0] == mime

    decoded = decode_response(name, encoded.body, response_format=f)
    assert decoded == x
    # the Content-Type alone picks the same format
    assert decode_response(name, encoded.body, content_type=encoded.content_type) == x
    # encode(decode(b)) == b: the reference encoding is canonical
    assert encode_response(decoded, response_format=f).body == encoded.body
    if not isinstance(spec.formats[fmt_key], codec.NewlineFormat):
        wire = codec.converter.unstructure(x)
        assert encoded.body == urlencode(list(wire.items())).encode()

    # strict decoding raises exactly where a note says the reading departs from the letter
    expected = strict_deviations(spec, x.error_code, fmt_key)
    flagged = {(d.note, d.message.split()[0]) for d in decoded.deviations}
    assert flagged == expected
    if expected:
        with pytest.raises(codec.ResponseInvalid) as info:
            decode_response(name, encoded.body, response_format=f, strict=True)
        assert info.value.rule == "strict"
        assert {(d.note, d.message.split()[0]) for d in info.value.deviations} == expected
    else:
        assert decode_response(name, encoded.body, response_format=f, strict=True) == x


def test_format1_status1_is_flagged_by_strict_decoding_only() -> None:
    """Note format1-status1: errorCode=1 with the order parameters is the reading, not the letter."""
    spec = ENDPOINTS[AUTO]
    note = spec.notes[codec.NoteId.FORMAT1_STATUS1]
    assert note.differs
    x = codec.AutoApplyIdAResponse(
        error_code=1,
        error_message=spec.message(1),
        order_number=1234567,
        total_cost=Decimal("12.50"),
        expected_delivery_time=48,
    )
    b1 = encode_response(x, response_format=1).body
    assert (
        b1
        == b"errorCode=1&errorMessage=Successful%2C+Payment+Required&orderNumber=1234567&totalCost=12.50&expectedDeliveryTime=48"
    )
    lenient = decode_response(AUTO, b1, response_format=1)
    assert lenient == x
    assert [d.note for d in lenient.deviations] == ["format1-status1"] * len(order_params(spec))
    assert [d.message.split()[0] for d in lenient.deviations] == order_params(spec)
    with pytest.raises(codec.ResponseInvalid) as info:
        decode_response(AUTO, b1, response_format=1, strict=True)
    assert {d.note for d in info.value.deviations} == {"format1-status1"}
    # the letter (errorMessage, no order parameters) is accepted strictly
    letter = b"errorCode=1&errorMessage=Successful%2C+Payment+Required"
    assert decode_response(AUTO, letter, response_format=1, strict=True).order_number is None
    # the newline format gives status 1 the order lines: no deviation at all
    b0 = encode_response(x, response_format=0).body
    assert b0 == b"1\n1234567\n12.50\n48\n"
    assert decode_response(AUTO, b0, response_format=0, strict=True).order_number == 1234567


CANONICAL = [
    (AUTO, 0, b"0\n12\n9.50\n1\n"),
    (AUTO, 0, b"1\n13\n0.00\n48\n"),
    (AUTO, 0, b"-3\nThe 'days' argument is missing!\n"),
    (AUTO, 0, b"-7\n'XX' is not a valid ISO-3166 country!\n"),
    (AUTO, 1, b"errorCode=0&orderNumber=12&totalCost=9.50&expectedDeliveryTime=0"),
    (AUTO, 1, b"errorCode=-2&errorMessage=Unrecognised+argument%21"),
    (CLICK, None, b"errorCode=0&errorMessage=Successful&status=1&description=Successfully+completed"),
    (CLICK, None, b"errorCode=-20&errorMessage=Order+%2712%27+was+not+found%21&status=0&description=x"),
]


@pytest.mark.parametrize(("name", "fmt", "raw"), CANONICAL)
def test_canonical_bodies_reencode_byte_for_byte(name: str, fmt: int | None, raw: bytes) -> None:
    decoded = decode_response(name, raw, response_format=fmt)
    assert encode_response(decoded, response_format=fmt).body == raw


@pytest.mark.parametrize(("name", "fmt_key"), FORMATS, ids=[f"{n}-{k}" for n, k in FORMATS])
def test_every_table_code_round_trips_through_error_response(name: str, fmt_key: str | None) -> None:
    spec = ENDPOINTS[name]
    f = fmt_int(fmt_key)
    for code in spec.codes:
        if code < 0:
            x = codec.error_response(name, code, "someArgument")
            assert (
                decode_response(name, encode_response(x, response_format=f).body, response_format=f, strict=True) == x
            )
