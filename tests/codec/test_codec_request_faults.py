"""``codec.request_faults``: every rule a received request breaks, the vendor's answer first.

Two properties, over the tables' whole space:

* for any bytes (random, form-shaped, or a valid body mutated), any method, scheme, reading and
  document version, the first fault is exactly what ``decode_request`` raises (code, variable,
  rule, argument and message), and there are none exactly when it decodes;
* a valid request given N faults of its own (each on a variable of its own: left out, a value
  invalid under every reading, sent twice, or a name that is no variable) reports those N.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import codec
from codec import ENDPOINTS, RequestRejected, decode_request, request_faults
from tests.codec.test_codec_fuzz import BYTES, SEEDS, mutated
from tests.support.strategies_codec import ENDPOINT_NAMES, body, example_wire, requests

METHODS = st.sampled_from(["POST", "POST", "POST", "GET", "post", "PUT"])
SCHEMES = st.sampled_from(["https", "https", "https", "http", "HTTPS"])


def _same_as_decode_request(name: str, raw: bytes, **kw: Any) -> None:
    faults = request_faults(name, raw, **kw)
    try:
        decode_request(name, raw, **kw)
    except RequestRejected as exc:
        assert faults, exc
        first = faults[0]
        assert (first.code, first.field, first.rule, first.argument) == (exc.code, exc.field, exc.rule, exc.argument)
        assert first.detail == exc.message
        assert first.message == codec.message_for(ENDPOINTS[name], exc.code, exc.argument)
        spec = ENDPOINTS[name]
        assert first.row == (f"{name}.request.{exc.field}.{exc.rule}" if exc.field else f"{name}.request.{exc.rule}")
        # the rest follow by the tables' precedence
        ranks = [spec.policy.rank(f.code) for f in faults[1:]]
        assert ranks == sorted(ranks)
        assert all(f.code in spec.codes for f in faults)
        return
    assert faults == ()


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
@settings(max_examples=300, deadline=None)
@given(data=st.data(), method=METHODS, scheme=SCHEMES, strict=st.booleans())
def test_the_first_fault_is_what_decode_request_raises(
    name: str, data: st.DataObject, method: str, scheme: str, strict: bool
) -> None:
    raw = data.draw(BYTES | st.sampled_from(SEEDS[name]).flatmap(mutated), label="body")
    version = data.draw(st.none() | st.sampled_from(ENDPOINTS[name].versions), label="version")
    _same_as_decode_request(name, raw, method=method, scheme=scheme, strict=strict, version=version)


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
@settings(max_examples=100, deadline=None)
@given(data=st.data(), strict=st.booleans())
def test_valid_requests_have_no_fault(name: str, data: st.DataObject, strict: bool) -> None:
    request = data.draw(requests(name), label="request")
    raw = codec.encode_request(request).body
    assert request_faults(name, raw, strict=strict) == ()


def _fault_kinds(spec: codec.EndpointSpec, wire: dict[str, str]) -> dict[str, list[tuple[str, Any]]]:
    """For each variable sent, the single faults it can carry alone: (kind, detail)."""
    unless = {r.unless for r in spec.rules_of(codec.RequiredUnlessRule)}
    out: dict[str, list[tuple[str, Any]]] = {}
    for name in wire:
        f = spec.by_key[name.lower()]
        kinds: list[tuple[str, Any]] = [("duplicate", None)]
        if f.presence == "required" and name not in unless:
            kinds.append(("missing", None))
        kinds += [("invalid", (e.value, e.code, e.rule)) for e in f.kind.invalid_examples(f.max_length)]
        out[name] = kinds
    return out


@st.composite
def faulty_requests(draw: st.DrawFn, name: str) -> tuple[list[tuple[str, str]], list[tuple[int, str | None]]]:
    """A valid request (every optional variable, logged in with name and password) given N
    faults on N different variables, and N unknown names; the (code, variable or name) of each."""
    spec = ENDPOINTS[name]
    wire = example_wire(name, optional=True)
    kinds = _fault_kinds(spec, wire)
    chosen = draw(st.lists(st.sampled_from(sorted(kinds)), unique=True, max_size=6), label="variables")
    pairs = dict(wire)
    repeats: list[tuple[str, str]] = []
    expected: list[tuple[int, str | None]] = []
    for variable in chosen:
        kind, detail = draw(st.sampled_from(kinds[variable]), label=variable)
        if kind == "duplicate":
            repeats.append((variable, wire[variable]))
            expected.append((spec.policy.duplicate_name_code, variable))
        elif kind == "missing":
            del pairs[variable]
            expected.append((-3, variable))
        else:
            value, code, _ = detail
            pairs[variable] = value
            expected.append((code, variable))
    unknown = draw(st.integers(0, 3), label="unknown names")
    extra = [(f"notAVariable{i}", "1") for i in range(unknown)]
    expected += [(-2, n) for n, _ in extra]
    return [*pairs.items(), *repeats, *extra], expected


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_n_single_faults_are_reported_as_n(name: str, data: st.DataObject) -> None:
    pairs, expected = data.draw(faulty_requests(name))
    raw = body(pairs)
    faults = request_faults(name, raw)
    assert sorted((f.code, f.field or f.argument) for f in faults) == sorted(expected)
    _same_as_decode_request(name, raw)


def test_the_issue_s_request_with_four_faults() -> None:
    """A missing variable, days=366, an over-long name and an unknown variable: four faults,
    the unknown variable (-2) answered first."""
    wire = example_wire("AutoApplyIdA", optional=True)
    del wire["postalCode"]
    wire.update(days="366", organizationName="x" * 65, colour="blue")
    faults = request_faults("AutoApplyIdA", body(wire))
    assert [(f.code, f.row) for f in faults] == [
        (-2, "AutoApplyIdA.request.unrecognised"),
        (-3, "AutoApplyIdA.request.postalCode.required"),
        (-4, "AutoApplyIdA.request.days.allowed"),
        (-4, "AutoApplyIdA.request.organizationName.max_length"),
    ]
    assert faults[0].argument == "colour" and faults[1].message == "The 'postalCode' argument is missing!"


def test_method_scheme_and_form_faults_are_listed_too() -> None:
    wire = example_wire("UpdateUserEvClickThrough")
    raw = body(wire) + b"&orderNumber=%ZZ&%ff=1"
    faults = request_faults("UpdateUserEvClickThrough", raw, method="GET", scheme="http")
    assert [f.code for f in faults][:2] == [-17, -1]
    assert {(f.code, f.rule) for f in faults[2:]} >= {(-2, "form"), (-4, "form")}
    # the variable whose pair could not be read is not reported missing as well
    assert not any(f.code == -3 for f in faults)
