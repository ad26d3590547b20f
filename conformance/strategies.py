"""Public Hypothesis strategies made from the spec tables (through the codec's frozen copy).

Every limit and allowed value comes from ``codec.ENDPOINTS``; Hypothesis' ``st.builds`` would
ignore them, so each field's strategy is built from its table row.  Valid values are valid under
*both* the strict and the lenient reading of every note, so a server following either must accept
them; invalid values are invalid under both, so the expected error code is certain.

Reuse them in your own tests::

    from hypothesis import given
    from conformance.strategies import valid_wire

    @given(valid_wire("AutoApplyIdA", login=("me", "pw")))
    def test_my_client_accepts(wire): ...

Composable pieces: :func:`field_values`, :func:`text_of_length`, :func:`text_at_limit`,
:func:`invalid_values`, :func:`valid_wire` (a whole valid request as a wire dict),
:func:`valid_requests` (typed), :func:`single_fault` (one fault and its certain code),
:func:`responses` (every response a server may send).  Built for speed as well as reach: a
whole request is one Hypothesis choice, a number whose bytes are decoded into every value
(:func:`valid_wire`, :mod:`conformance.freetext`); ``*_batches`` draw several at once.

Each takes the endpoint by name (its newest document) or as a spec bound to a document version,
``codec.endpoint_spec("AutoApplyIdA", "1.03")``: then the values follow that version's table.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
from hypothesis import strategies as st

import codec
from codec import EndpointSpec, FieldSpec

from .freetext import (
    ALPHABET_RANGES,
    Decoder,
    FreeText,
    email_addresses,
    tape_bytes,
    tape_integers,
    text_at_limit,
    text_of_length,
)
from .kind_values import kind_choices, kind_decoder, kind_values
from .response_strategies import responses

T = TypeVar("T")

Endpoint = str | EndpointSpec
"""An endpoint by name (its newest document), or its spec bound to a document version."""

__all__ = [
    "ALPHABET_RANGES",
    "SAFETY_FIELDS",
    "Endpoint",
    "Fault",
    "email_addresses",
    "fault_earns_its_code",
    "field_values",
    "invalid_values",
    "kind_choices",
    "kind_values",
    "requests_per_tape",
    "responses",
    "single_fault",
    "single_fault_batches",
    "spec_of",
    "text_at_limit",
    "text_of_length",
    "valid_requests",
    "valid_wire",
    "valid_wire_batches",
]

# Variables whose faults could turn a test order into a charged one: never mutated, always "Y".
SAFETY_FIELDS = frozenset({"test"})


def spec_of(endpoint: Endpoint) -> EndpointSpec:
    """The spec *endpoint* names: itself when it is one, else the endpoint's newest document's."""
    return endpoint if isinstance(endpoint, EndpointSpec) else codec.endpoint_spec(endpoint)


def _safe_values(f: FieldSpec) -> tuple[str, ...]:
    return tuple(sorted(v for v in (getattr(f.kind, "values", None) or ("Y",)) if v.upper() == "Y"))


def field_values(endpoint: Endpoint, field: str, *, at_limit: bool = False) -> st.SearchStrategy[str]:
    """Valid wire values of one variable (strict-valid, so valid under every reading).

    With ``at_limit`` every value is exactly the maximum length in characters (non-ASCII included),
    for variables that are free text with a limit.
    """
    spec = spec_of(endpoint)
    f = spec.by_key[field.lower()]
    if f.name in SAFETY_FIELDS:
        return st.sampled_from(_safe_values(f))
    return kind_values(f.kind, f, at_limit)


@attrs.frozen
class Fault:
    """One deliberate fault: what it does, the vendor code it earns, the argument the message
    names (None when the template names none) and the table row it breaks."""

    kind: str
    field: str | None
    code: int
    argument: str | None
    row: str
    value: str | None = None


def invalid_values(endpoint: Endpoint, field: str) -> list[tuple[str, int, str]]:
    """Deterministic values of *field* that are invalid under every reading, with the code each
    earns and the rule it breaks: ``[(value, code, rule), ...]`` (its value kind's
    :meth:`~codec.ValueKind.invalid_examples`).  Empty for a variable with no rule to break (free
    text without a limit) and for the safety variables."""
    spec = spec_of(endpoint)
    f = spec.by_key[field.lower()]
    if f.name in SAFETY_FIELDS:
        return []
    return [(e.value, e.code, e.rule) for e in f.kind.invalid_examples(f.max_length)]


def _logins(spec: EndpointSpec, login: tuple[str, str] | None, sasp: str | None) -> list[dict[str, str]]:
    names = {f.name for f in spec.fields}
    choices = []
    if login is not None:
        choices.append({"loginName": login[0], "loginPassword": login[1]})
    if sasp is not None and "saspSessionID" in names:
        choices.append({"saspSessionID": sasp})
    if not choices:
        raise ValueError("valid requests need login=(name, password) or a SASP session id")
    return choices


_LOGIN_FIELDS = frozenset({"loginName", "loginPassword", "saspSessionID"})


@attrs.frozen
class _Slot:
    """How :func:`valid_wire` fills one variable: a digit of the table number (``choices``),
    decoded from the tape at ``offset`` (``decoder``; ``at_limit`` when its length bit is set),
    or drawn on its own (``drawn``); always, or when its presence bit (``optional``) is set."""

    name: str
    choices: tuple[str, ...] | None = None
    decoder: Decoder | None = None
    at_limit: FreeText | None = None
    drawn: st.SearchStrategy[str] | None = None
    optional: int | None = None
    limit_bit: int = 0
    offset: int = 0


def _from_bytes(raw: bytes, start: int, size: int) -> int:
    return int.from_bytes(raw[start : start + size], "little")


def valid_wire(
    endpoint: Endpoint,
    *,
    login: tuple[str, str] | None = None,
    sasp_session_id: str | None = None,
    order_numbers: st.SearchStrategy[str] | None = None,
    response_format: str | None = None,
    fixed: dict[str, str] | None = None,
) -> st.SearchStrategy[dict[str, str]]:
    """Whole valid requests as wire dicts (table names, document order): every optional variable
    present or absent, exact maximum lengths, Unicode, both formats and both login styles.

    ``order_numbers`` supplies existing orders for UpdateUserEvClickThrough; ``response_format``
    pins AutoApplyIdA's format ("0"/"1", then always sent; None: absent, 0 or 1); ``fixed`` pins
    (and always sends) any variable.  AutoApplyIdA requests always carry ``test=Y``: they never
    charge an account.

    Drawn as one choice, because Hypothesis' cost is per choice: one number, whose bytes (the
    *tape*, :mod:`conformance.freetext`) give a presence bit per optional variable, an at-limit
    bit per free-text one, a digit per table choice, then a fixed run of bytes per text value.
    Only ``order_numbers`` and kinds without a decoder are drawn on their own.  The number is
    drawn uniformly and shrinks towards zero: fewer variables, first table values, shorter text.
    """
    options: dict[str, Any] = {"login": login, "sasp_session_id": sasp_session_id, "order_numbers": order_numbers}
    return _planned_requests(_plan(endpoint, response_format=response_format, fixed=fixed, **options))


_OPTIONS = frozenset({"login", "sasp_session_id", "order_numbers", "response_format", "fixed"})


def _plan(endpoint: Endpoint, *, spare: int = 0, **options: Any) -> _Plan:
    """The layout of :func:`valid_wire`'s tape for its keyword *options*, with *spare* bytes at
    its end for the caller."""
    if unknown := options.keys() - _OPTIONS:
        raise TypeError(f"valid_wire() got unexpected keyword argument(s) {', '.join(sorted(unknown))}")
    order_numbers: st.SearchStrategy[str] | None = options.get("order_numbers")
    response_format: str | None = options.get("response_format")
    fixed: dict[str, str] | None = options.get("fixed")
    spec = spec_of(endpoint)
    pinned = dict(fixed or {})
    if response_format is not None and spec.format_field:
        pinned[spec.format_field] = response_format
    logins = _logins(spec, options.get("login"), options.get("sasp_session_id"))
    slots: list[_Slot] = []
    optional = long = 0
    tables = 1  # how many combinations the tables' choices make
    for f in spec.fields:
        if f.name in _LOGIN_FIELDS:
            continue
        if f.name in pinned:
            slots.append(_Slot(f.name, (pinned[f.name],)))
            continue
        bit = None
        if f.name not in SAFETY_FIELDS and f.presence != "required":
            bit, optional = optional, optional + 1
        choices = _safe_values(f) if f.name in SAFETY_FIELDS else kind_choices(f.kind, f)
        decoder = kind_decoder(f) if f.name not in SAFETY_FIELDS else None
        if f.name == "orderNumber" and order_numbers is not None:
            slots.append(_Slot(f.name, drawn=order_numbers, optional=bit))
        elif choices is not None:
            slots.append(_Slot(f.name, choices, optional=bit))
            tables *= len(choices)
        elif isinstance(decoder, FreeText):
            slots.append(_Slot(f.name, None, decoder, attrs.evolve(decoder, at_limit=True), None, bit, long))
            long += 1
        elif decoder is not None:
            slots.append(_Slot(f.name, None, decoder, optional=bit))
        else:
            slots.append(_Slot(f.name, drawn=field_values(endpoint, f.name), optional=bit))
    required_when = tuple((r, field_values(endpoint, r.field)) for r in spec.rules_of(codec.RequiredWhenRule))
    # presence bits, length bits, then the choice number with two spare bytes (so each digit is
    # as good as uniform), then each decoded variable's bytes
    sizes = ((optional + 7) // 8, (long + 7) // 8, (tables.bit_length() + 7) // 8 + 2)
    offset = sum(sizes)
    for i, slot in enumerate(slots):
        if slot.decoder is not None:
            slots[i] = attrs.evolve(slot, offset=offset)
            offset += slot.decoder.size
    return _Plan(
        logins=tuple(logins),
        login_choice=st.sampled_from(logins),
        tape=tape_integers(offset + spare),
        size=offset + spare,
        sizes=sizes,
        slots=tuple(slots),
        required_when=required_when,
        order={f.name: i for i, f in enumerate(spec.fields)},
    )


@attrs.frozen
class _Plan:
    """What :func:`valid_wire` worked out once for the requests of one call (see there)."""

    logins: tuple[dict[str, str], ...]
    login_choice: st.SearchStrategy[dict[str, str]]
    tape: st.SearchStrategy[int]
    size: int
    sizes: tuple[int, int, int]
    slots: tuple[_Slot, ...]
    required_when: tuple[tuple[codec.RequiredWhenRule, st.SearchStrategy[str]], ...]
    order: dict[str, int]


# One composite for every call (Hypothesis reads a composite function's source when it is made,
# about 10 ms each time): the plan is its argument.
@st.composite
def _planned_requests(draw: st.DrawFn, plan: _Plan) -> dict[str, str]:
    return _request(draw, plan, tape_bytes(draw(plan.tape), plan.size))


def _request(draw: st.DrawFn, plan: _Plan, tape: bytes) -> dict[str, str]:
    """The request *tape* gives under *plan* (*draw* draws what is not on the tape)."""
    wire = dict(plan.logins[0] if len(plan.logins) == 1 else draw(plan.login_choice))
    sizes = plan.sizes
    present = _from_bytes(tape, 0, sizes[0])
    at_limit = _from_bytes(tape, sizes[0], sizes[1])
    number = _from_bytes(tape, sizes[0] + sizes[1], sizes[2])
    for slot in plan.slots:
        if slot.choices is not None:
            number, digit = divmod(number, len(slot.choices))
        if slot.optional is not None and not present >> slot.optional & 1:
            continue
        if slot.choices is not None:
            wire[slot.name] = slot.choices[digit]
        elif slot.decoder is not None:
            decoder = slot.at_limit if slot.at_limit is not None and at_limit >> slot.limit_bit & 1 else slot.decoder
            wire[slot.name] = decoder.decode(tape[slot.offset : slot.offset + decoder.size])
        else:
            assert slot.drawn is not None
            wire[slot.name] = draw(slot.drawn)
    for rule, values in plan.required_when:  # a required-when variable gets a value from its own strategy
        if wire.get(rule.when_field) == rule.when_equals and rule.field not in wire:
            wire[rule.field] = draw(values)
    return dict(sorted(wire.items(), key=lambda item: plan.order[item[0]]))


def valid_requests(endpoint: Endpoint, **kwargs: Any) -> st.SearchStrategy[codec.Request]:
    """The same space as :func:`valid_wire`, as typed codec request objects."""
    spec = spec_of(endpoint)
    cls = codec.REQUEST_CLASSES[spec.name]
    converter = codec.converter_for(spec)

    def typed(wire: dict[str, str]) -> codec.Request:
        request: codec.Request = converter.structure(wire, cls)
        return request

    return valid_wire(endpoint, **kwargs).map(typed)


def _faults_by_field(spec: EndpointSpec) -> list[tuple[str, list[Fault], list[Fault]]]:
    """Every fault each variable can carry, in document order: ``(name, faults when the variable
    is sent, faults only when it is not a login variable)``; worked out once per strategy."""
    table: list[tuple[str, list[Fault], list[Fault]]] = []
    for f in spec.fields:
        if f.name in SAFETY_FIELDS:
            continue
        row = f"{spec.name}.{f.row}"
        missing = [Fault("missing", f.name, -3, f.name, f"{row}.presence")] if f.presence == "required" else []
        invalid = [
            Fault(
                rule,
                f.name,
                code,
                value if rule == "country" else f.name,
                f"{row}.{'allowed' if rule != 'max_length' else 'max_length'}",
                value,
            )
            for value, code, rule in invalid_values(spec, f.name)
        ]
        table.append((f.name, missing, [] if f.name in _LOGIN_FIELDS else invalid))
    return table


def _fault_choices(
    table: list[tuple[str, list[Fault], list[Fault]]], spec: EndpointSpec, wire: dict[str, str]
) -> list[Fault]:
    faults: list[Fault] = []
    for name, missing, invalid in table:
        if name in wire:
            faults += missing
            faults += invalid
    faults.append(Fault("unrecognised", None, -2, "notAVariable", f"{spec.name}.request.names", "1"))
    return faults


_FAULT_BYTES = 2  # the end of single_fault's tape: which fault, of those the request can carry


def single_fault(endpoint: Endpoint, **kwargs: Any) -> st.SearchStrategy[tuple[dict[str, str], Fault]]:
    """A valid request with exactly one fault, and the fault (with its certain vendor code).

    Kinds: a required variable missing (-3), a value over its limit (-4), a value outside its
    allowed values (-4), an unknown country (-7), an unrecognised variable (-2).  The result is a
    wire dict in which the unrecognised variable, if any, is appended last.  Request and fault
    come from one tape (:func:`valid_wire`); :func:`fault_earns_its_code` says whether another
    rule masks the fault.
    """
    return single_fault_batches(endpoint, 1, **kwargs).map(operator.itemgetter(0))


def fault_earns_its_code(spec: EndpointSpec, wire: dict[str, str], fault: Fault) -> bool:
    """Whether the codec answers *wire* (which carries *fault*) with the fault's code under both
    readings: the kit's expectation is certain only then (every fault of the current tables
    does, tests/conformance/test_strategies.py; a run asks only when an answer disagrees)."""
    body = codec.encode_request_fields(spec.name, list(wire.items()), validate=False).body
    for strict in (True, False):
        try:
            codec.decode_request(spec.name, body, strict=strict, version=spec.version)
            return False
        except codec.RequestRejected as exc:
            if exc.code != fault.code:
                return False
    return True


def _with_fault(
    plan: _Plan, spec: EndpointSpec, table: list[tuple[str, list[Fault], list[Fault]]]
) -> Callable[[st.DrawFn, bytes], tuple[dict[str, str], Fault]]:
    def make(draw: st.DrawFn, tape: bytes) -> tuple[dict[str, str], Fault]:
        wire = _request(draw, plan, tape)
        faults = _fault_choices(table, spec, wire)
        fault = faults[_from_bytes(tape, plan.size - _FAULT_BYTES, _FAULT_BYTES) % len(faults)]
        return apply_fault(wire, fault), fault

    return make


def valid_wire_batches(
    endpoint: Endpoint, count: int, **kwargs: Any
) -> st.SearchStrategy[list[tuple[dict[str, str], int]]]:
    """*count* requests as :func:`valid_wire` draws them (same keyword arguments), each with a
    spare number 0-255 of its own for the caller, from one tape: one Hypothesis test case for
    *count* requests (a run's property checks draw up to four at a time,
    :func:`requests_per_tape`; Hypothesis' cost per test case, about 0.3 ms, is then paid once
    for them)."""
    plan = _plan(endpoint, spare=1, **kwargs)

    def make(draw: st.DrawFn, tape: bytes) -> tuple[dict[str, str], int]:
        return _request(draw, plan, tape), tape[plan.size - 1]

    return _batch(plan, count, make)


def single_fault_batches(
    endpoint: Endpoint, count: int, **kwargs: Any
) -> st.SearchStrategy[list[tuple[dict[str, str], Fault]]]:
    """*count* requests with one fault each, as :func:`single_fault` draws them, from one tape
    (see :func:`valid_wire_batches`)."""
    spec = spec_of(endpoint)
    plan = _plan(endpoint, spare=_FAULT_BYTES, **kwargs)
    return _batch(plan, count, _with_fault(plan, spec, _faults_by_field(spec)))


# Hypothesis formats a failing test case's choices as text while it shrinks, and Python refuses
# to write an integer of over 4,300 digits (sys.get_int_max_str_digits): a tape stays below.
_MOST_TAPE_BYTES = 1700  # 4,095 digits at most


def requests_per_tape(endpoint: Endpoint, most: int) -> int:
    """How many requests a batch of *endpoint*'s draws (at most *most*, at least one): as many
    as one tape holds (an AutoApplyIdA tape is ~570 bytes)."""
    return max(1, min(most, _MOST_TAPE_BYTES // _plan(endpoint, login=("", ""), spare=_FAULT_BYTES).size))


@st.composite
def _batch(draw: st.DrawFn, plan: _Plan, count: int, make: Callable[[st.DrawFn, bytes], T]) -> list[T]:
    size = plan.size
    tape = tape_bytes(draw(tape_integers(count * size)), count * size)
    return [make(draw, tape[i * size : (i + 1) * size]) for i in range(count)]


def apply_fault(wire: dict[str, str], fault: Fault) -> dict[str, str]:
    """A copy of *wire* with *fault* applied."""
    out = dict(wire)
    if fault.kind == "missing" and fault.field:
        out.pop(fault.field, None)
    elif fault.kind == "unrecognised":
        out[fault.argument or "notAVariable"] = fault.value or "1"
    elif fault.field is not None and fault.value is not None:
        out[fault.field] = fault.value
    return out
