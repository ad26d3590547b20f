"""The public strategies (conformance/strategies.py): what they draw is valid under every reading,
covers the space the tables allow (every optional variable present and absent, every free-text
limit reached, every table's values), and a single fault earns its code.

The distribution tests draw a few hundred requests with a fixed seed and count; the bounds are
loose (a bit that is set in 25-75% of requests), tight enough to catch a draw that leaves later
variables out, as an integer mask did (Hypothesis favours small integers)."""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

import codec
from conformance.strategies import (
    ALPHABET_RANGES,
    email_addresses,
    kind_choices,
    single_fault,
    text_at_limit,
    valid_wire,
)

T = TypeVar("T")
ENDPOINTS = ("AutoApplyIdA", "UpdateUserEvClickThrough")
LOGIN = ("reseller", "pw")


def _kwargs(name: str) -> dict[str, Any]:
    if name == "AutoApplyIdA":
        return {"login": LOGIN, "sasp_session_id": "0123456789abcdef"}
    return {"login": LOGIN, "order_numbers": st.just("1234567")}


def _sample(strategy: st.SearchStrategy[T], count: int = 300) -> list[T]:
    """*count* values of *strategy*, drawn the way the kit's runs draw them (seeded, generate
    phase, no database)."""
    drawn: list[T] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @seed(20261202)
    @given(strategy)
    def collect(value: T) -> None:
        drawn.append(value)

    collect()
    return drawn


def _in_alphabet(text: str) -> bool:
    return all(any(lo <= ord(c) <= hi for lo, hi in ALPHABET_RANGES) for c in text)


@pytest.mark.parametrize("name", ENDPOINTS)
def test_valid_wire_is_valid_under_both_readings(name: str) -> None:
    spec = codec.endpoint_spec(name)
    for wire in _sample(valid_wire(name, **_kwargs(name)), 200):
        assert list(wire) == [f.name for f in spec.fields if f.name in wire]  # document order
        body = codec.encode_request_fields(name, list(wire.items()), validate=False).body
        for strict in (True, False):
            codec.decode_request(name, body, strict=strict)  # raises RequestRejected if not valid
        for value in wire.values():
            assert value and value.strip() == value


@pytest.mark.parametrize("name", ENDPOINTS)
def test_valid_wire_covers_the_tables(name: str) -> None:
    spec = codec.endpoint_spec(name)
    wires = _sample(valid_wire(name, **_kwargs(name)))
    present = collections.Counter(n for w in wires for n in w)
    for f in spec.fields:
        if f.name in {"loginName", "loginPassword", "saspSessionID", "orderNumber"}:
            continue  # given by the arguments
        if f.presence == "required" or f.name == "test":
            assert present[f.name] == len(wires), f.name
        elif not any(r.field == f.name for r in spec.rules_of(codec.RequiredWhenRule)):
            assert 0.25 <= present[f.name] / len(wires) <= 0.75, (f.name, present[f.name])
        choices = kind_choices(f.kind, f)
        seen = {w[f.name] for w in wires if f.name in w}
        if choices is not None and f.name != "test":
            assert seen <= set(choices)
            assert len(seen) >= min(len(choices), 3), (f.name, seen)
        if (
            isinstance(f.kind, codec.Text)
            and f.max_length
            and not any(word in f.name.lower() for word in ("email", "telephone", "fax"))
        ):
            lengths = [len(w[f.name]) for w in wires if f.name in w]
            assert max(lengths) == f.max_length, f.name
            assert min(lengths) < f.max_length, f.name
            at_limit = sum(n == f.max_length for n in lengths) / len(lengths)
            assert 0.25 <= at_limit <= 0.75, (f.name, at_limit)
            assert all(_in_alphabet(w[f.name]) for w in wires if f.name in w)
    # both login styles, where the endpoint has both
    styles = collections.Counter("saspSessionID" in w for w in wires)
    assert len(styles) == (2 if "saspsessionid" in spec.by_key else 1)


def test_unicode_beyond_ascii_and_the_bmp_is_drawn() -> None:
    texts = [v for w in _sample(valid_wire("AutoApplyIdA", login=LOGIN)) for v in w.values()]
    assert any(any(ord(c) > 0x7F for c in t) for t in texts)
    assert any(any(ord(c) > 0xFFFF for c in t) for t in texts)


@given(st.integers(min_value=1, max_value=600), st.data())
@settings(max_examples=60, deadline=None)
def test_text_at_limit_is_exactly_the_limit(limit: int, data: st.DataObject) -> None:
    text = data.draw(text_at_limit(limit))
    assert len(text) == limit
    assert text.strip() == text and _in_alphabet(text)


@given(st.one_of(st.none(), st.integers(min_value=11, max_value=80)), st.data())
@settings(max_examples=60, deadline=None)
def test_email_addresses_fit_their_limit(limit: int | None, data: st.DataObject) -> None:
    address = data.draw(email_addresses(limit))
    local, _, domain = address.partition("@")
    assert local[0].isalnum() and domain.endswith(".example")
    assert limit is None or len(address) <= limit


@pytest.mark.parametrize("name", ENDPOINTS)
def test_single_fault_earns_its_code(name: str) -> None:
    drawn = _sample(single_fault(name, **_kwargs(name)), 200)
    kinds = collections.Counter(fault.kind for _, fault in drawn)
    earned = 0
    for wire, fault in drawn:
        body = codec.encode_request_fields(name, list(wire.items()), validate=False).body
        codes = set()
        for strict in (True, False):
            try:
                codec.decode_request(name, body, strict=strict)
            except codec.RequestRejected as exc:
                codes.add(exc.code)
        earned += codes == {fault.code}
    # no rule of the current tables masks a drawn fault (a run asks fault_earns_its_code only
    # when an answer disagrees, and then judges nothing)
    assert earned == len(drawn)
    assert {"missing", "unrecognised", "max_length"} <= set(kinds)


def test_a_failing_example_shrinks_to_few_variables() -> None:
    """The presence bits shrink towards zero: a property that fails for every request shrinks to
    the required variables only, with table values at their first choice."""
    spec = codec.endpoint_spec("AutoApplyIdA")
    smallest: list[dict[str, str]] = []

    def fails(wire: dict[str, str]) -> None:
        smallest[:] = [wire]
        raise AssertionError

    test: Callable[[], None] = settings(database=None, deadline=None, max_examples=50)(
        given(valid_wire("AutoApplyIdA", login=LOGIN))(fails)
    )
    with pytest.raises(AssertionError):
        test()
    required = {f.name for f in spec.fields if f.presence == "required"} | {"loginName", "loginPassword", "test"}
    assert set(smallest[0]) == required


def test_the_largest_tape_can_be_written_as_text() -> None:
    """Hypothesis writes a failing test case's choices as text while it shrinks; a tape's number
    must stay under Python's limit on integer text (a batch of four AutoApplyIdA requests did not)."""
    from conformance import strategies

    assert str((1 << 8 * strategies._MOST_TAPE_BYTES) - 1)
    assert strategies.requests_per_tape("AutoApplyIdA", 4) == 2  # a tape is ~570 bytes
    assert strategies.requests_per_tape("UpdateUserEvClickThrough", 4) == 4
