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

Composable pieces: :func:`field_values` (one field's valid values), :func:`invalid_values` (one
field's values with the code they earn), :func:`valid_wire` (a whole valid request as a wire dict),
:func:`valid_requests` (the same as typed codec requests), :func:`single_fault` (a valid request
with exactly one fault and its expected code), :func:`responses` (every response a server may send).

Each takes the endpoint by name (its newest document) or as a spec bound to a document version,
``codec.endpoint_spec("AutoApplyIdA", "1.03")``: then the values follow that version's table.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import strategies as st

import codec
from codec import EndpointSpec, FieldSpec

Endpoint = str | EndpointSpec
"""An endpoint by name (its newest document), or its spec bound to a document version."""

__all__ = [
    "ALPHABET_RANGES",
    "SAFETY_FIELDS",
    "Endpoint",
    "Fault",
    "email_addresses",
    "field_values",
    "invalid_values",
    "kind_values",
    "responses",
    "single_fault",
    "spec_of",
    "text_of_length",
    "valid_requests",
    "valid_wire",
]

# Variables whose faults could turn a test order into a charged one: never mutated, always "Y".
SAFETY_FIELDS = frozenset({"test"})

# Printable text: no surrogates, no control characters, nothing unassigned, private or invisible
# (the documents give no rule for them, so a server refusing them is not at fault), not blank
# after stripping (blank counts as absent).  The alphabet is whole blocks of every script family a
# server may meet -- ASCII, Latin, combining marks, Greek, Cyrillic, Hebrew and Arabic
# (right-to-left), Devanagari, kana, CJK, Hangul, symbols, full-width forms, and characters beyond
# the BMP (emoji, CJK extension B, mathematical letters: surrogate pairs in JSON, four UTF-8
# bytes) -- each a range of assigned characters (tests/conformance/test_strategies_alphabet.py
# checks every one against unicodedata).  A few ranges rather than all of Unicode's 700 runs of
# assigned characters: Hypothesis checks each drawn character against the ranges one by one, and
# with 700 that was a quarter of a whole run's time.
ALPHABET_RANGES: tuple[tuple[int, int], ...] = (
    (0x20, 0x7E),  # ASCII
    (0xA1, 0xAC),  # Latin-1 (without the soft hyphen, an invisible format character)
    (0xAE, 0x24F),  # Latin-1, Latin Extended-A and -B
    (0x300, 0x36F),  # combining diacritical marks
    (0x391, 0x3A1),  # Greek
    (0x3A3, 0x3FF),
    (0x400, 0x52F),  # Cyrillic
    (0x5D0, 0x5EA),  # Hebrew
    (0x620, 0x64A),  # Arabic
    (0x904, 0x939),  # Devanagari
    (0x2010, 0x2027),  # punctuation (dashes, quotes, bullets, ellipsis)
    (0x2030, 0x205E),
    (0x20A0, 0x20BF),  # currency signs
    (0x2190, 0x21FF),  # arrows
    (0x2500, 0x257F),  # box drawing
    (0x3041, 0x3096),  # hiragana
    (0x4E00, 0x4FFF),  # CJK unified ideographs (the first 512)
    (0xAC00, 0xADFF),  # Hangul syllables (the first 512)
    (0xFF01, 0xFF5E),  # full-width forms
    (0x1D400, 0x1D454),  # mathematical letters (beyond the BMP)
    (0x1F600, 0x1F64F),  # emoticons
    (0x20000, 0x200FF),  # CJK extension B
)
_CHARS = st.characters(
    codec=None,
    categories=(),
    include_characters="".join(chr(c) for lo, hi in ALPHABET_RANGES for c in range(lo, hi + 1)),
)


def spec_of(endpoint: Endpoint) -> EndpointSpec:
    """The spec *endpoint* names: itself when it is one, else the endpoint's newest document's."""
    return endpoint if isinstance(endpoint, EndpointSpec) else codec.endpoint_spec(endpoint)


def text_of_length(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """Unicode text of *min_size*..*max_size* characters (not bytes), not blank."""
    return st.text(_CHARS, min_size=max(min_size, 1), max_size=max_size).filter(lambda s: s.strip() == s and s != "")


def email_addresses(max_size: int | None) -> st.SearchStrategy[str]:
    """Plausible e-mail addresses within *max_size* characters (the documents give no syntax,
    but a vendor is likely to check one; see note ``email-none``)."""
    local = st.text("abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=20).filter(lambda s: s[0].isalnum())
    domain = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=20)
    strategy = st.builds(lambda a, b: f"{a}@{b}.example", local, domain)
    if max_size is not None:
        strategy = strategy.filter(lambda s: len(s) <= max_size)
    return strategy


def _phone(max_size: int | None) -> st.SearchStrategy[str]:
    """Telephone numbers: an optional ``+`` and 6 to 15 digits, within *max_size* characters.

    Built from two draws, not ``st.from_regex``: a regular expression's character classes make
    Hypothesis build its table of every code point's UTF-8 encoding the first time a process meets
    one, about 2 s of CPU in a folder without a ``.hypothesis`` cache (every run on a fresh CI
    machine), and a filter on the length would throw draws away."""
    longest = 15 if max_size is None else min(15, max_size)

    def number(plus: bool) -> st.SearchStrategy[str]:
        most = longest - plus
        digits = st.text("0123456789", min_size=min(6, most), max_size=most)
        return digits.map(lambda d: "+" + d) if plus else digits

    return st.booleans().flatmap(number)


def _looks_like(field: FieldSpec, word: str) -> bool:
    return word in field.name.lower()


def field_values(endpoint: Endpoint, field: str, *, at_limit: bool = False) -> st.SearchStrategy[str]:
    """Valid wire values of one variable (strict-valid, so valid under every reading).

    With ``at_limit`` every value is exactly the maximum length in characters (non-ASCII included),
    for variables that are free text with a limit.
    """
    spec = spec_of(endpoint)
    f = spec.by_key[field.lower()]
    if f.name in SAFETY_FIELDS:
        return st.sampled_from(sorted(v for v in (f.kind.values or ("Y",)) if v.upper() == "Y"))
    return kind_values(f.kind, f, at_limit)


# One strategy per value kind (codec/kinds.py): a new kind registers its own here.


@functools.singledispatch
def kind_values(kind: codec.ValueKind, f: FieldSpec, at_limit: bool) -> st.SearchStrategy[str]:
    """Strict-valid wire values of variable *f*, whose value kind is *kind*."""
    raise NotImplementedError(f"no strategy for value kind {type(kind).__name__} ({f.name}): register one")


@kind_values.register
def _enum_values(kind: codec.Enum, f: FieldSpec, at_limit: bool) -> st.SearchStrategy[str]:
    return st.sampled_from(list(kind.values))  # Flag and NumericEnum too


@kind_values.register
def _integer_enum_values(kind: codec.IntegerEnum, f: FieldSpec, at_limit: bool) -> st.SearchStrategy[str]:
    return st.sampled_from(list(kind.values))


@kind_values.register
def _comma_list_values(kind: codec.CommaList, f: FieldSpec, at_limit: bool) -> st.SearchStrategy[str]:
    return (
        st.lists(st.sampled_from(list(kind.values)), min_size=1, unique=True)
        .map(kind.separator.join)
        .filter(lambda v: f.max_length is None or len(v) <= f.max_length)
    )


@kind_values.register
def _country_values(kind: codec.Country, f: FieldSpec, at_limit: bool) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(kind.countries))


@kind_values.register
def _integer_values(kind: codec.Integer, f: FieldSpec, at_limit: bool) -> st.SearchStrategy[str]:
    return st.integers(min_value=1, max_value=10**6).map(str)


@kind_values.register
def _text_values(kind: codec.Text, f: FieldSpec, at_limit: bool) -> st.SearchStrategy[str]:
    if _looks_like(f, "email"):
        special = [st.just(v) for v in f.special_values]
        return st.one_of(email_addresses(f.max_length), *special)
    if _looks_like(f, "telephone") or _looks_like(f, "fax"):
        return _phone(f.max_length)
    limit = f.max_length if f.max_length is not None else 100
    if at_limit:
        return text_of_length(limit, limit)
    return st.one_of(text_of_length(1, limit), text_of_length(limit, limit))


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


def _login(spec: EndpointSpec, login: tuple[str, str] | None, sasp: str | None) -> st.SearchStrategy[dict[str, str]]:
    names = {f.name for f in spec.fields}
    choices = []
    if login is not None:
        choices.append(st.just({"loginName": login[0], "loginPassword": login[1]}))
    if sasp is not None and "saspSessionID" in names:
        choices.append(st.just({"saspSessionID": sasp}))
    if not choices:
        raise ValueError("valid requests need login=(name, password) or a SASP session id")
    return st.one_of(choices)


_LOGIN_FIELDS = frozenset({"loginName", "loginPassword", "saspSessionID"})


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
    pins AutoApplyIdA's format ("0"/"1"; None: absent, 0 or 1); ``fixed`` pins any variable.
    AutoApplyIdA requests always carry ``test=Y``: they never charge an account.
    """
    spec = spec_of(endpoint)
    fixed = dict(fixed or {})
    if order_numbers is not None:
        fixed_order: st.SearchStrategy[str] | None = order_numbers
    else:
        fixed_order = None
    parts: dict[str, st.SearchStrategy[str | None]] = {}
    for f in spec.fields:
        if f.name in _LOGIN_FIELDS:
            continue
        if f.name in fixed:
            parts[f.name] = st.just(fixed[f.name])
            continue
        if f.name == "orderNumber" and fixed_order is not None:
            values: st.SearchStrategy[str | None] = fixed_order
        elif f.name == spec.format_field and response_format is not None:
            values = st.just(response_format)
        else:
            values = field_values(endpoint, f.name)
        if f.name in SAFETY_FIELDS:
            parts[f.name] = values
        elif f.presence == "required":
            parts[f.name] = values
        else:
            parts[f.name] = st.one_of(st.none(), values)

    def assemble(login_part: dict[str, str], chosen: dict[str, str | None]) -> dict[str, str]:
        wire: dict[str, str] = {}
        for f in spec.fields:
            if f.name in login_part:
                wire[f.name] = login_part[f.name]
            elif chosen.get(f.name) is not None:
                wire[f.name] = str(chosen[f.name])
        for rule in required_when:
            if wire.get(rule.when_field) == rule.when_equals and rule.field not in wire:
                wire[rule.field] = "admin@example.com"
        return {f.name: wire[f.name] for f in spec.fields if f.name in wire}

    required_when = spec.rules_of(codec.RequiredWhenRule)
    strategy = st.builds(assemble, _login(spec, login, sasp_session_id), st.fixed_dictionaries(parts))
    if required_when:
        # a required-when variable gets a plausible value from its own strategy
        def fill(wire: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
            for rule in required_when:
                if wire.get(rule.when_field) == rule.when_equals and rule.field in extra:
                    wire[rule.field] = extra[rule.field]
            return {f.name: wire[f.name] for f in spec.fields if f.name in wire}

        extras = st.fixed_dictionaries({r.field: field_values(endpoint, r.field) for r in required_when})
        strategy = st.builds(fill, strategy, extras)
    return strategy


def valid_requests(endpoint: Endpoint, **kwargs: Any) -> st.SearchStrategy[codec.Request]:
    """The same space as :func:`valid_wire`, as typed codec request objects."""
    spec = spec_of(endpoint)
    cls = codec.REQUEST_CLASSES[spec.name]
    converter = codec.converter_for(spec)

    def typed(wire: dict[str, str]) -> codec.Request:
        request: codec.Request = converter.structure(wire, cls)
        return request

    return valid_wire(endpoint, **kwargs).map(typed)


def _fault_choices(spec: EndpointSpec, wire: dict[str, str]) -> list[Fault]:
    faults: list[Fault] = []
    for f in spec.fields:
        if f.name in SAFETY_FIELDS:
            continue
        row = f"{spec.name}.{f.row}"
        if f.presence == "required" and f.name in wire:
            faults.append(Fault("missing", f.name, -3, f.name, f"{row}.presence"))
        if f.name in wire and f.name not in _LOGIN_FIELDS:
            for value, code, rule in invalid_values(spec, f.name):
                argument = value if rule == "country" else f.name
                faults.append(
                    Fault(
                        rule,
                        f.name,
                        code,
                        argument,
                        f"{row}.{'allowed' if rule != 'max_length' else 'max_length'}",
                        value,
                    )
                )
    faults.append(Fault("unrecognised", None, -2, "notAVariable", f"{spec.name}.request.names", "1"))
    return faults


def single_fault(endpoint: Endpoint, **kwargs: Any) -> st.SearchStrategy[tuple[dict[str, str], Fault]]:
    """A valid request with exactly one fault, and the fault (with its certain vendor code).

    Kinds: a required variable missing (-3), a value over its limit (-4), a value outside its
    allowed values (-4), an unknown country (-7), an unrecognised variable (-2).  The result is a
    wire dict in which the unrecognised variable, if any, is appended last.
    """
    spec = spec_of(endpoint)

    def with_fault(wire: dict[str, str]) -> st.SearchStrategy[tuple[dict[str, str], Fault]]:
        return st.sampled_from(_fault_choices(spec, wire)).map(lambda fault: (apply_fault(wire, fault), fault))

    return valid_wire(endpoint, **kwargs).flatmap(with_fault)


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


def _amounts() -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)


def responses(endpoint: Endpoint, *, response_format: int | None = None) -> st.SearchStrategy[codec.Response]:
    """Every response a conforming server may send (typed): each code of the endpoint's table with
    its template filled, and successes with values the tables allow for *response_format*."""
    spec = spec_of(endpoint)
    cls = codec.RESPONSE_CLASSES[spec.name]
    errors = [c for c in spec.codes if c < 0]
    names = st.sampled_from(sorted(f.name for f in spec.fields))

    def error(code: int, name: str) -> codec.Response:
        argument = "XX" if spec.codes[code].placeholder_kind == "country" else name
        return codec.error_response(spec.name, code, argument, version=spec.version)

    error_strategy = st.builds(error, st.sampled_from(errors), names)
    if spec.statuses:

        def done(status: int) -> codec.Response:
            values: dict[str, Any] = {"status": status, "description": spec.statuses[status].description}
            return cls(error_code=0, error_message=spec.codes[0].message, **values)

        success = st.sampled_from(sorted(spec.statuses)).map(done)
        return st.one_of(error_strategy, success)
    fmt_key = str(response_format if response_format is not None else 0)
    hours = spec.formats[fmt_key].expected_delivery
    success_codes = sorted(c for c in spec.codes if c >= 0)

    def ok(code: int, order: int, cost: Decimal, hour: int) -> codec.Response:
        message = spec.codes[code].message if code > 0 else None
        values: dict[str, Any] = {"order_number": order, "total_cost": cost, "expected_delivery_time": hour}
        return cls(error_code=code, error_message=message, **values)

    success = st.builds(
        ok,
        st.sampled_from(success_codes),
        st.integers(min_value=1, max_value=2**31),
        _amounts(),
        st.sampled_from(hours),
    )
    return st.one_of(error_strategy, success)
