"""Hypothesis strategies and table-derived examples for the codec's tests.

Everything is read from the tables through ``codec.ENDPOINTS`` (limits, allowed values, presence,
the rules between variables, response parameters and formats, codes and statuses): nothing here
types a limit, so a regenerated table changes what is generated.  Hypothesis's ``st.builds`` would
ignore the tables' lengths, so each variable's strategy is derived from its row instead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import attrs
from hypothesis import strategies as st

import codec
from codec import (
    AUTO_APPLY_IDA,
    COUNTRIES,
    ENDPOINTS,
    REQUEST_CLASSES,
    RESPONSE_CLASSES,
    UPDATE_USER_EV_CLICK_THROUGH,
    EndpointSpec,
    ExclusiveRule,
    FieldSpec,
    NewlineFormat,
    RequiredUnlessRule,
    RequiredWhenRule,
    error_response,
    request_to_wire,
)

AUTO = AUTO_APPLY_IDA
CLICK = UPDATE_USER_EV_CLICK_THROUGH
ENDPOINT_NAMES = tuple(ENDPOINTS)
COUNTRY_CODES = tuple(sorted(COUNTRIES))
# how long generated values of variables without a Max. Length get (note no-max-length)
UNBOUNDED = 200
# non-ASCII text: Latin-1, CJK, a combining mark and astral emoji (two UTF-16 units, one character)
NON_ASCII = "é中\u0301ß😀🏳️‍🌈"
NON_ASCII_CHARS = st.sampled_from(NON_ASCII) | st.characters(min_codepoint=0x80, codec="utf-8")

# (endpoint, format key) for every response format in the tables; None = the single format
FORMATS = [(name, key) for name, spec in ENDPOINTS.items() for key in spec.formats]


def fmt_int(key: str | None) -> int | None:
    """A format key of the tables as the ``response_format`` argument."""
    return None if key is None else int(key)


# the tests' names for the value kinds: how a variable is typed and judged
_TEST_KINDS = {
    "comma_list": "products",
    "flag": "flag",
    "integer_enum": "int_enum",
    "numeric_enum": "int_enum",
    "enum": "enum",
    "country": "country",
    "integer": "int",
    "text": "text",
}


def kind(f: FieldSpec) -> str:
    """How a variable is typed: products, flag, int_enum, enum, country, int or text."""
    return _TEST_KINDS[f.kind.name]


def fields_of(name: str, *kinds: str) -> list[FieldSpec]:
    return [f for f in ENDPOINTS[name].fields if not kinds or kind(f) in kinds]


def field_params(*kinds: str, bounded: bool = False) -> list[Any]:
    """``pytest.param``-ready (endpoint, field name) pairs of every variable of the given kinds."""
    import pytest

    return [
        pytest.param(name, f.name, id=f"{name}.{f.name}")
        for name in ENDPOINT_NAMES
        for f in fields_of(name, *kinds)
        if not bounded or f.max_length is not None
    ]


def field(name: str, wire_name: str) -> FieldSpec:
    return ENDPOINTS[name].by_key[wire_name.lower()]


def text_values(max_length: int | None) -> st.SearchStrategy[str]:
    """Any non-empty text up to *max_length* characters, plus values exactly at it in non-ASCII."""
    top = max_length or UNBOUNDED
    return st.one_of(
        st.text(min_size=1, max_size=top),
        st.text(NON_ASCII_CHARS, min_size=top, max_size=top),
    )


def _fits(f: FieldSpec) -> Callable[[tuple[int, ...]], bool]:
    return lambda items: f.max_length is None or len(",".join(map(str, items))) <= f.max_length


def typed_values(f: FieldSpec, *, strict: bool = True) -> st.SearchStrategy[Any]:
    """The valid typed values of one variable, from its table row (strict or lenient reading)."""
    return _typed(f.kind, f, strict)


@functools.singledispatch
def _typed(k: codec.ValueKind, f: FieldSpec, strict: bool) -> st.SearchStrategy[Any]:
    raise NotImplementedError(f"no typed strategy for {type(k).__name__} ({f.name})")


@_typed.register
def _(k: codec.CommaList, f: FieldSpec, strict: bool) -> st.SearchStrategy[Any]:
    items = [int(v) for v in k.values]
    unique = k.strict_unique if strict else not k.lenient_spaces_and_repeats
    longest = (f.max_length or UNBOUNDED) // 2
    return st.lists(st.sampled_from(items), min_size=1, max_size=longest, unique=unique).map(tuple).filter(_fits(f))


@_typed.register
def _(k: codec.Flag, f: FieldSpec, strict: bool) -> st.SearchStrategy[Any]:
    return st.booleans()


@_typed.register
def _(k: codec.NumericEnum, f: FieldSpec, strict: bool) -> st.SearchStrategy[Any]:
    return st.sampled_from([int(v) for v in k.values])


@_typed.register
def _(k: codec.IntegerEnum, f: FieldSpec, strict: bool) -> st.SearchStrategy[Any]:
    values = st.sampled_from([int(v) for v in k.values])
    if not strict and k.lenient_any_positive_integer:
        values = values | st.integers(min_value=1, max_value=10**12)
    return values


@_typed.register
def _(k: codec.Enum, f: FieldSpec, strict: bool) -> st.SearchStrategy[Any]:
    return st.sampled_from(k.values)


@_typed.register
def _(k: codec.Country, f: FieldSpec, strict: bool) -> st.SearchStrategy[Any]:
    return st.sampled_from(COUNTRY_CODES)


@_typed.register
def _(k: codec.Integer, f: FieldSpec, strict: bool) -> st.SearchStrategy[Any]:
    return st.integers(min_value=0, max_value=10**12)


@_typed.register
def _(k: codec.Text, f: FieldSpec, strict: bool) -> st.SearchStrategy[Any]:
    return text_values(f.max_length)


def example_value(f: FieldSpec) -> Any:
    """One valid typed value of a variable: its kind's baseline (a short text of its own name for
    free text)."""
    return f.kind.from_wire(f.kind.baseline_value(f.max_length, text=f"{f.name[:3]}-ok"))


def apply_rules(spec: EndpointSpec, values: dict[str, Any], fill: Callable[[FieldSpec], Any]) -> None:
    """Make *values* (wire name -> typed value or None) obey the table's rules between variables."""
    for exclusive in spec.rules_of(ExclusiveRule):
        if values.get(exclusive.field) is not None:
            for name in exclusive.excludes:
                values[name] = None
    for rule in spec.rules:
        if isinstance(rule, RequiredUnlessRule) and values.get(rule.unless) is None:
            for name in rule.fields:
                if values.get(name) is None:
                    values[name] = fill(spec.by_key[name.lower()])
        elif isinstance(rule, RequiredWhenRule):
            if values.get(rule.when_field) == rule.when_equals and values.get(rule.field) is None:
                values[rule.field] = fill(spec.by_key[rule.field.lower()])


def build_request(name: str, values: dict[str, Any]) -> Any:
    spec = ENDPOINTS[name]
    kwargs = {spec.by_key[n.lower()].attribute: v for n, v in values.items() if v is not None}
    return REQUEST_CLASSES[name](**kwargs)


def exclusive_fields(name: str) -> set[str]:
    """The variables an ``exclusive`` rule gives the alternative login (saspSessionID)."""
    return {r.field for r in ENDPOINTS[name].rules_of(ExclusiveRule)}


@st.composite
def requests(draw: st.DrawFn, name: str, *, strict: bool = True) -> Any:
    """A valid typed request of *name* anywhere in the tables' allowed space."""
    spec = ENDPOINTS[name]
    values: dict[str, Any] = {}
    for f in spec.fields:
        strategy = typed_values(f, strict=strict)
        values[f.name] = draw(strategy) if f.presence == "required" else draw(st.none() | strategy)
    apply_rules(spec, values, lambda f: draw(typed_values(f, strict=strict)))
    return build_request(name, values)


def example_request(name: str, *, sasp: bool = False, optional: bool = False, **override: Any) -> Any:
    """A valid typed request: the required variables (all of them with *optional*), logging in
    with the alternative of an exclusive rule when *sasp*; *override* sets wire names."""
    spec = ENDPOINTS[name]
    values = {f.name: example_value(f) if optional or f.presence == "required" else None for f in spec.fields}
    for alt in exclusive_fields(name):
        values[alt] = example_value(spec.by_key[alt.lower()]) if sasp else None
    values.update(override)
    apply_rules(spec, values, example_value)
    return build_request(name, values)


def example_wire(name: str, *, sasp: bool = False, optional: bool = False) -> dict[str, str]:
    """:func:`example_request` as a wire dict (wire name -> text), in the document's order."""
    return request_to_wire(example_request(name, sasp=sasp, optional=optional))


def body(pairs: dict[str, str] | list[tuple[str, str]]) -> bytes:
    """A form body, the way every client writes one."""
    items = list(pairs.items()) if isinstance(pairs, dict) else pairs
    return urlencode(items).encode()


def baseline_for(name: str, wire_name: str) -> dict[str, str]:
    """A valid wire dict with every optional variable, in which *wire_name* is sent."""
    return example_wire(name, sasp=wire_name in exclusive_fields(name), optional=True)


# --------------------------------------------------------------------------- responses

AMOUNTS = st.integers(min_value=0, max_value=10**12).map(lambda n: Decimal(n).scaleb(-2))
ARGUMENTS = st.none() | st.text(max_size=100)  # CR and LF included: messages must lose them
FREE_TEXT = st.text(min_size=1, max_size=100).filter(lambda t: "\r" not in t and "\n" not in t)


def order_params(spec: EndpointSpec) -> list[str]:
    """The parameters only a successful order carries (present with errorCode=0 and not always)."""
    return [p.name for p in spec.params if p.present_for(0) and not p.presence.always]


def present_params(spec: EndpointSpec, code: int, fmt_key: str | None) -> set[str]:
    """What the reference server sends with a non-negative *code* in *fmt_key*: the newline format's
    lines, else the parameters' presence, plus the order parameters for status 1 (note
    format1-status1's reading)."""
    fmt = spec.formats[fmt_key]
    if isinstance(fmt, NewlineFormat):
        return set(fmt.lines.code_non_negative)
    present = {p.name for p in spec.params if p.present_for(code)}
    if code > 0:
        present |= set(order_params(spec))
    return present


def strict_deviations(spec: EndpointSpec, code: int, fmt_key: str | None) -> set[tuple[str, str]]:
    """(note, parameter) pairs strict decoding must flag in the reference encoding: only the order
    parameters with status 1 in the URL-encoded format (note format1-status1)."""
    if code <= 0 or fmt_key is None or isinstance(spec.formats[fmt_key], NewlineFormat):
        return set()
    return {("format1-status1", name) for name in order_params(spec)}


@st.composite
def responses(draw: st.DrawFn, name: str, fmt_key: str | None) -> Any:
    """A valid response of *name* as the reference server encodes it in *fmt_key*."""
    spec = ENDPOINTS[name]
    code = draw(st.sampled_from(sorted(spec.codes)))
    if code < 0:
        response = error_response(name, code, draw(ARGUMENTS))
        if spec.codes[code].free_text:
            response = attrs.evolve(response, error_message=draw(FREE_TEXT))
        return response
    values: dict[str, Any] = {}
    present = present_params(spec, code, fmt_key)
    for p in spec.params:
        if p.name not in present:
            continue
        if p.name == "errorCode":
            values[p.attribute] = code
        elif p.name == "errorMessage":
            values[p.attribute] = spec.message(code)
        elif p.name == "status":
            values[p.attribute] = draw(st.sampled_from(sorted(spec.statuses)))
        elif p.name == "description":
            values[p.attribute] = None  # filled from the status below
        elif p.name == "expectedDeliveryTime":
            values[p.attribute] = draw(st.sampled_from(spec.formats[fmt_key].expected_delivery))
        elif p.type == "amount":
            values[p.attribute] = draw(AMOUNTS)
        elif p.type == "integer":
            values[p.attribute] = draw(st.integers(min_value=0, max_value=2**63))
        else:
            values[p.attribute] = draw(FREE_TEXT)
    if "description" in values:
        values["description"] = spec.statuses[values["status"]].description
    return RESPONSE_CLASSES[name](**values)
