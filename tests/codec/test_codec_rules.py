"""A failing example for every rule in the tables, found by iterating them, in both halves.

Server half: :func:`codec.decode_request` raises :class:`codec.RequestRejected` with the vendor
code, the variable (``field``) and what the message names (``argument``).  Client half:
:func:`codec.encode_request_fields` / :func:`codec.encode_request` raise
:class:`codec.RequestInvalid` with the same code.  Then the response decoder's deviations, and the
messages both ways.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import codec
from codec import (
    COUNTRIES,
    ENDPOINTS,
    RequestInvalid,
    RequestRejected,
    ResponseInvalid,
    decode_request,
    decode_response,
    encode_request,
    encode_request_fields,
    encode_response,
    error_detail,
    error_response,
    message_for,
    parse_message,
)
from tests.support.strategies_codec import (
    AUTO,
    CLICK,
    ENDPOINT_NAMES,
    FORMATS,
    NON_ASCII,
    baseline_for,
    body,
    example_request,
    example_wire,
    exclusive_fields,
    field,
    field_params,
    fmt_int,
    kind,
    responses,
)

RULES = settings(max_examples=60, deadline=None)


def rejected(name: str, raw: bytes, **kw: Any) -> RequestRejected:
    with pytest.raises(RequestRejected) as info:
        decode_request(name, raw, **kw)
    return info.value


def invalid(name: str, fields: Any, **kw: Any) -> RequestInvalid:
    with pytest.raises(RequestInvalid) as info:
        encode_request_fields(name, fields, **kw)
    return info.value


def invalid_typed(request: Any, **kw: Any) -> RequestInvalid:
    with pytest.raises(RequestInvalid) as info:
        encode_request(request, **kw)
    return info.value


def assert_rejects(name: str, wire: dict[str, str], code: int, wire_name: str, rule: str | None = None) -> None:
    """Both halves refuse *wire* with *code* naming *wire_name*; the vendor message is filled in."""
    spec = ENDPOINTS[name]
    exc = rejected(name, body(wire))
    assert (exc.code, exc.field) == (code, wire_name), exc
    assert exc.argument == (wire[wire_name] if code == -7 else wire_name)
    if rule is not None:
        assert exc.rule == rule
    assert message_for(spec, code, exc.argument) in str(exc)
    client = invalid(name, wire)
    assert (client.code, client.field) == (code, wire_name)
    assert client.to_dict()["errorCode"] == code and client.to_dict()["argument"] == wire_name


def over_limit(f: Any) -> str:
    """A value one character over the variable's Max. Length (as near as its syntax allows)."""
    values = f.kind.values
    top = f.max_length
    if kind(f) == "products":
        items = [values[i % len(values)] for i in range(top)]
        value = ",".join(items)
        while len(value) > top + 1 and len(value.rsplit(",", 1)[0]) > top:
            value = value.rsplit(",", 1)[0]
        return value
    if kind(f) == "country":
        return "GB" + "R" * (top + 1 - 2)
    if kind(f) in ("flag", "enum", "int_enum"):
        first = values[0]
        return (first * (top + 1))[: top + 1]
    return (NON_ASCII * (top + 1))[: top + 1]


# --------------------------------------------------------------------------- max length


@pytest.mark.parametrize(("name", "wire_name"), field_params(bounded=True))
def test_one_character_over_max_length_earns_minus_4(name: str, wire_name: str) -> None:
    f = field(name, wire_name)
    wire = baseline_for(name, wire_name)
    value = over_limit(f)
    assert len(value) > f.max_length
    if kind(f) in ("text", "country"):
        assert len(value) == f.max_length + 1
    wire[wire_name] = value
    # an enumerated variable's values all fit its length, so a longer value is simply not allowed
    if kind(f) in ("flag", "enum", "int_enum"):
        assert all(len(v) <= f.max_length for v in f.kind.values)
    rule = "allowed" if kind(f) in ("flag", "enum", "int_enum") else "max_length"
    assert_rejects(name, wire, -4, wire_name, rule)
    if kind(f) == "text":
        request = example_request(name, sasp=wire_name in exclusive_fields(name), optional=True)
        exc = invalid_typed(attrs.evolve(request, **{f.attribute: value}))
        assert (exc.code, exc.field, exc.rule) == (-4, wire_name, "max_length")


@pytest.mark.parametrize(("name", "wire_name"), field_params("text", bounded=True))
def test_exactly_max_length_in_non_ascii_is_accepted(name: str, wire_name: str) -> None:
    """Note length-in-characters: code points count, not UTF-8 bytes."""
    f = field(name, wire_name)
    value = (NON_ASCII * f.max_length)[: f.max_length]
    assert len(value.encode("utf-8")) > f.max_length
    wire = baseline_for(name, wire_name)
    wire[wire_name] = value
    decoded = decode_request(name, body(wire))
    assert getattr(decoded, f.attribute) == value
    assert decode_request(name, encode_request(decoded).body) == decoded


@pytest.mark.parametrize(
    ("name", "wire_name"), [p for p in field_params("text") if field(*p.values).max_length is None]
)
def test_text_without_max_length_has_no_limit(name: str, wire_name: str) -> None:
    f = field(name, wire_name)
    wire = baseline_for(name, wire_name)
    wire[wire_name] = "😀" * 5000
    assert getattr(decode_request(name, body(wire)), f.attribute) == "😀" * 5000


# --------------------------------------------------------------------------- required


def _required_cases() -> list[Any]:
    cases = []
    for name in ENDPOINT_NAMES:
        spec = ENDPOINTS[name]
        for f in spec.fields:
            if f.presence == "required":
                cases.append(pytest.param(name, f.name, {}, "required", id=f"{name}.{f.name}"))
        for unless in spec.rules_of(codec.RequiredUnlessRule):
            for n in unless.fields:
                cases.append(pytest.param(name, n, {}, "required_unless", id=f"{name}.{n}-unless"))
        for rule in spec.rules_of(codec.RequiredWhenRule):
            when = {rule.when_field: rule.when_equals}
            cases.append(pytest.param(name, rule.field, when, "required_when", id=f"{name}.{rule.field}-when"))
    return cases


@pytest.mark.parametrize(("name", "wire_name", "override", "rule"), _required_cases())
def test_missing_required_variable_earns_minus_3(
    name: str, wire_name: str, override: dict[str, str], rule: str
) -> None:
    spec = ENDPOINTS[name]
    f = spec.by_key[wire_name.lower()]
    wire = example_wire(name)
    wire.update(override)
    wire.pop(wire_name, None)
    assert_rejects(name, wire, -3, wire_name, rule)
    # note blank-value: sent empty is not sent
    blank = {**wire, wire_name: ""}
    exc = rejected(name, body(blank))
    assert (exc.code, exc.field, exc.argument) == (-3, wire_name, wire_name)
    # the typed client half: None for optional attributes, "" for text ones
    request = example_request(name, **override)
    attribute = attrs.fields_dict(type(request))[f.attribute]
    if attribute.default is None:
        assert invalid_typed(attrs.evolve(request, **{f.attribute: None})).code == -3
    if kind(f) == "text":
        exc2 = invalid_typed(attrs.evolve(request, **{f.attribute: ""}))
        assert (exc2.code, exc2.field) == (-3, wire_name)


@pytest.mark.parametrize(
    ("name", "wire_name"), [p for p in field_params("text") if field(*p.values).presence != "required"]
)
def test_blank_optional_text_is_not_sent(name: str, wire_name: str) -> None:
    """Note blank-value: the client half drops what the server half would read as absent."""
    f = field(name, wire_name)
    request = example_request(name, sasp=wire_name in exclusive_fields(name), optional=True)
    blank = attrs.evolve(request, **{f.attribute: ""})
    without = {k: v for k, v in codec.request_to_wire(request).items() if k != wire_name}
    try:
        expected = decode_request(name, body(without))
    except RequestRejected as exc:  # its absence breaks a rule (saspSessionID, adminEmailAddress)
        client = invalid_typed(blank)
        assert (client.code, client.field) == (exc.code, exc.field)
        return
    assert encode_request(blank).body == body(without)
    assert decode_request(name, encode_request(blank).body) == expected


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
def test_missing_variables_are_named_in_table_order(name: str) -> None:
    """Note error-precedence: -3 names the first missing variable in table order, conditional
    ones included (loginName before product)."""
    spec = ENDPOINTS[name]
    first = spec.fields[0].name
    assert rejected(name, b"").argument == first
    wire = example_wire(name)
    later = [n for n in wire if n != first]
    for n in later[1:]:
        del wire[n]
    exc = rejected(name, body(wire))
    assert exc.code == -3
    expected = next(f.name for f in spec.fields if f.name not in wire and f.presence == "required")
    assert exc.argument == expected


def test_required_when_not_triggered_leaves_the_variable_optional() -> None:
    spec = ENDPOINTS[CLICK]
    for rule in spec.rules_of(codec.RequiredWhenRule):
        others = [v for v in field(CLICK, rule.when_field).kind.values if v != rule.when_equals]
        for other in others:
            wire = example_wire(CLICK)
            wire[rule.when_field] = other
            wire.pop(rule.field, None)
            assert getattr(decode_request(CLICK, body(wire)), field(CLICK, rule.field).attribute) is None


def test_login_or_sasp_session() -> None:
    """Note sasp-excludes-login: neither -> -3 loginName; sasp alone OK; both -> -4 (strict) naming
    the first login variable present, accepted in lenient mode with the login dropped."""
    wire = example_wire(AUTO)
    for alt in exclusive_fields(AUTO):
        rule = next(r for r in ENDPOINTS[AUTO].rules_of(codec.ExclusiveRule) if r.field == alt)
        neither = {k: v for k, v in wire.items() if k not in rule.excludes}
        assert_rejects(AUTO, neither, -3, rule.excludes[0], "required_unless")
        alone = {**neither, alt: "S3SSION"}
        assert decode_request(AUTO, body(alone)).sasp_session_id == "S3SSION"
        for present in ([rule.excludes[0]], [rule.excludes[1]], list(rule.excludes)):
            both = {**alone, **{n: wire[n] for n in present}}
            assert_rejects(AUTO, both, rule.error_code, present[0], "exclusive")
            lenient = decode_request(AUTO, body(both), strict=False)
            assert lenient.sasp_session_id == "S3SSION"
            assert lenient.login_name is None and lenient.login_password is None
            sent = {field(AUTO, n).attribute: wire[n] for n in present}
            typed = attrs.evolve(example_request(AUTO, sasp=True), **sent)
            assert invalid_typed(typed).code == rule.error_code
            dropped = attrs.evolve(typed, login_name=None, login_password=None)
            assert decode_request(AUTO, encode_request(typed, strict=False).body) == dropped


# --------------------------------------------------------------------------- allowed values


def strictly_valid(f: Any, value: str) -> bool:
    """The table's strict reading of an enumerated variable, written independently of the codec."""
    if kind(f) == "country":
        return value in COUNTRIES
    if kind(f) == "products":
        items = value.split(",")
        unique = not f.kind.strict_unique or len(set(items)) == len(items)
        return len(value) <= f.max_length and unique and all(i in f.kind.values for i in items)
    return value in f.kind.values


def _near_misses(f: Any) -> list[str]:
    values = list(f.kind.values) if kind(f) != "country" else ["GB"]
    out = []
    for v in values:
        out += [v.lower(), v.upper(), v.swapcase(), f" {v}", f"{v} ", v + v[-1], v[:-1], f"+{v}", f"-{v}", f"0{v}"]
    out += [",".join(values) + ",", "," + values[0], ",".join([values[0]] * 2), ", ".join(values), "0", "-1"]
    return [v for v in out if v and not strictly_valid(f, v)]


@pytest.mark.parametrize(("name", "wire_name"), field_params("flag", "enum", "int_enum", "products", "country"))
@RULES
@given(data=st.data())
def test_disallowed_value_earns_minus_4_or_minus_7(name: str, wire_name: str, data: st.DataObject) -> None:
    f = field(name, wire_name)
    value = data.draw(
        st.sampled_from(_near_misses(f)) | st.text(min_size=1, max_size=(f.max_length or 8) + 2), label="value"
    )
    assume(value and not strictly_valid(f, value))
    wire = baseline_for(name, wire_name)
    wire[wire_name] = value
    if kind(f) == "country" and len(value) <= f.max_length:
        code = f.kind.error_code
        assert code == -7
    else:
        code = -4
    assert_rejects(name, wire, code, wire_name)


@pytest.mark.parametrize(("name", "wire_name"), field_params("int_enum", "int"))
def test_integer_variables_refuse_non_integers(name: str, wire_name: str) -> None:
    required = field(name, wire_name).presence == "required"
    for bad in ("abc", "3.5", "1e3", "٣٦٥", " 365", *([""] if required else [])):
        wire = baseline_for(name, wire_name)
        wire[wire_name] = bad
        exc = rejected(name, body(wire), strict=False)
        assert exc.code == (-3 if bad == "" else -4) and exc.field == wire_name


def test_unknown_country_names_the_country_as_sent() -> None:
    for bad in ("XX", "gb", "Q", "é", "\r\n"):
        assert bad not in COUNTRIES
        wire = example_wire(AUTO)
        wire["countryName"] = bad
        exc = rejected(AUTO, body(wire))
        assert (exc.code, exc.argument) == (-7, bad)
        assert error_detail(error_response(AUTO, -7, exc.argument)).country == bad.replace("\r\n", " ")


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
@RULES
@given(data=st.data())
def test_unknown_name_earns_minus_2_naming_it_as_sent(name: str, data: st.DataObject) -> None:
    spec = ENDPOINTS[name]
    unknown = data.draw(st.text(min_size=1, max_size=80), label="name")
    assume(not (unknown.isascii() and unknown.lower() in spec.by_key))
    pairs = list(example_wire(name).items())
    pairs.insert(data.draw(st.integers(0, len(pairs)), label="at"), (unknown, "1"))
    exc = rejected(name, body(pairs))
    assert (exc.code, exc.argument, exc.field) == (-2, unknown, None)
    assert message_for(spec, -2, unknown) in str(exc)
    client = invalid(name, pairs)
    assert client.code == -2 and client.field == unknown


def test_kelvin_sign_does_not_spell_a_variable_name() -> None:
    """Names are compared without regard to ASCII case only: 'checKFONIsUnique' with U+212A is not
    checkFONIsUnique (str.lower() would make it one)."""
    spec = ENDPOINTS[AUTO]
    name = next(f.name for f in spec.fields if "k" in f.name.lower())
    lookalike = name.replace("k", "\u212a")
    assert lookalike.lower() == name.lower()
    exc = rejected(AUTO, body([*example_wire(AUTO).items(), (lookalike, "Y")]))
    assert (exc.code, exc.argument) == (-2, lookalike)


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
@RULES
@given(data=st.data())
def test_names_in_any_case_are_accepted(name: str, data: st.DataObject) -> None:
    wire = baseline_for(name, "")
    rnd = data.draw(st.randoms(use_true_random=False), label="case")
    recased = [("".join(c.swapcase() if rnd.random() < 0.5 else c for c in n), v) for n, v in wire.items()]
    expected = decode_request(name, body(wire))
    assert decode_request(name, body(recased)) == expected
    assert encode_request_fields(name, recased).body == body(wire)


@pytest.mark.parametrize(("name", "wire_name"), field_params())
def test_duplicate_name_earns_minus_4_naming_it_as_first_spelled(name: str, wire_name: str) -> None:
    """Note duplicate-names."""
    wire = baseline_for(name, wire_name)
    if wire_name not in wire:
        pytest.skip("not sent in the baseline")
    pairs = list(wire.items())
    code = ENDPOINTS[name].policy.duplicate_name_code
    exc = rejected(name, body([*pairs, (wire_name.upper(), wire[wire_name])]))
    assert (exc.code, exc.field, exc.argument, exc.rule) == (code, wire_name, wire_name, "duplicate")
    first = [(wire_name.upper() if n == wire_name else n, v) for n, v in pairs]
    exc = rejected(name, body([*first, (wire_name, wire[wire_name])]))
    assert (exc.code, exc.field, exc.argument) == (code, wire_name, wire_name.upper())
    assert invalid(name, [*pairs, (wire_name, wire[wire_name])]).code == code


# --------------------------------------------------------------------------- transport and form


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
def test_method_and_scheme(name: str) -> None:
    good = body(example_wire(name))
    bad = b"nonsense=1&%zz"
    for raw in (good, bad, b""):
        assert rejected(name, raw, method="GET").code == -17
        assert rejected(name, raw, method="GET", scheme="http").code == -17  # -17 before -1
        assert rejected(name, raw, scheme="http").code == -1
        for method in ("PUT", "get", "HEAD", "post", "Post"):  # note method-not-post: compared exactly
            assert rejected(name, raw, method=method).code == -17
    assert decode_request(name, good, scheme="HTTPS") == decode_request(name, good)  # a scheme has no case
    exc = rejected(name, good, scheme="http")
    assert exc.argument is None and message_for(ENDPOINTS[name], -1) in str(exc)


@pytest.mark.parametrize(("name", "wire_name"), field_params())
def test_bad_percent_escape_or_utf8_earns_minus_4_naming_the_variable(name: str, wire_name: str) -> None:
    """Note form-encoding-details."""
    base = body({k: v for k, v in baseline_for(name, wire_name).items() if k != wire_name})
    for raw in (b"%zz", b"%4", b"%", b"%ff", b"\xff", b"%c3%28", b"ok%e2%82"):
        for spelled in (wire_name, wire_name.upper()):
            exc = rejected(name, base + b"&" + spelled.encode() + b"=" + raw)
            assert (exc.code, exc.field, exc.argument, exc.rule) == (-4, wire_name, spelled, "form"), raw
    # an unreadable name earns -2, a readable unknown one with a bad value -2 naming it
    assert rejected(name, base + b"&%zz=1").code == -2
    assert rejected(name, base + b"&\xff=1").code == -2
    exc = rejected(name, base + b"&noSuchName=%zz")
    assert (exc.code, exc.argument) == (-2, "noSuchName")
    # -2 before -4 (note error-precedence) whatever the order in the body
    exc = rejected(name, base + b"&noSuchName=1&" + wire_name.encode() + b"=%zz")
    assert (exc.code, exc.argument) == (-2, "noSuchName")


def test_plus_and_percent_20_both_decode_to_space() -> None:
    wire = example_wire(CLICK)
    raw = body(wire).replace(b"orderNumber=", b"orderNumber=a+b%20c%2B")
    assert decode_request(CLICK, raw).order_number.startswith("a b c+")
    # ';' is data, not a separator
    raw = body({**wire, "orderNumber": "1;loginName=x"})
    assert decode_request(CLICK, raw).order_number == "1;loginName=x"


# --------------------------------------------------------------------------- versions


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
def test_version_binding(name: str) -> None:
    """Note version-history-fields: a codec bound to an older version answers -2 for later ones."""
    spec = ENDPOINTS[name]
    for version in spec.versions:
        rank = spec.versions.index
        bound = rank(version)
        for f in spec.fields:
            since = {g.name: rank(g.since) for g in spec.fields}
            wire = {k: v for k, v in baseline_for(name, f.name).items() if since[k] <= bound or k == f.name}
            raw = body(wire)
            if since[f.name] > bound:
                exc = rejected(name, raw, version=version)
                assert (exc.code, exc.argument) == (-2, f.name)
                client = invalid(name, wire, version=version)
                assert (client.code, client.field) == (-2, f.name)
                typed = invalid_typed(decode_request(name, raw), version=version)
                assert (typed.code, typed.field) == (-2, f.name)
            else:
                assert decode_request(name, raw, version=version) == decode_request(name, raw)


def test_version_1_02_of_auto_apply() -> None:
    spec = ENDPOINTS[AUTO]
    later = {f.name for f in spec.fields if spec.versions.index(f.since) > spec.versions.index("1.02")}
    assert later == {
        "foreignOrderNumber",
        "responseFormat",
        "checkFONIsUnique",
        "idaEmailAddress",
        "idaTelephoneNumber",
        "idaFaxNumber",
    }
    for n in sorted(later):
        wire = baseline_for(AUTO, n)
        raw = body({k: v for k, v in wire.items() if k not in later or k == n})
        exc = rejected(AUTO, raw, version="1.02")
        assert (exc.code, exc.argument) == (-2, n)
    sasp = example_wire(AUTO, sasp=True)
    assert decode_request(AUTO, body(sasp), version="1.01").sasp_session_id is not None
    assert rejected(AUTO, body(sasp), version="1.00").argument == "saspSessionID"


# --------------------------------------------------------------------------- strict and lenient


def _lenient_cases() -> list[Any]:
    """(note, endpoint, variable, value): values the strict reading refuses and the lenient one
    accepts, derived from each row's lenient_* keys."""
    cases = []
    for name in ENDPOINT_NAMES:
        for f in ENDPOINTS[name].fields:
            k = f.kind
            for v in getattr(k, "lenient_values", ()):
                cases.append(("flag-lowercase", name, f.name, v))
            if getattr(k, "lenient_case_insensitive", False) and kind(f) == "enum":
                for v in k.values:
                    cases += [("names-case-insensitive", name, f.name, x) for x in (v.lower(), v.upper(), v.swapcase())]
            if getattr(k, "lenient_case_insensitive", False) and kind(f) == "country":
                cases += [("country-case", name, f.name, x) for x in ("gb", "Gb", "gB")]
            if getattr(k, "lenient_any_positive_integer", False):
                top = max(int(v) for v in k.values)
                cases += [("days-for-most-products", name, f.name, str(x)) for x in (1, top + 1, 10**9)]
            if getattr(k, "lenient_spaces_and_repeats", False):
                values = k.values
                cases += [
                    ("product-list-syntax", name, f.name, x)
                    for x in (
                        ", ".join(values),
                        " " + values[0],
                        ",".join([values[0]] * 2),
                        f"{values[-1]} ,{values[0]}",
                    )
                ]
    return cases


LENIENT = _lenient_cases()


@pytest.mark.parametrize(("note", "name", "wire_name", "value"), LENIENT)
def test_strict_refuses_what_lenient_accepts(note: str, name: str, wire_name: str, value: str) -> None:
    spec = ENDPOINTS[name]
    assert spec.notes[note].differs
    f = field(name, wire_name)
    wire = baseline_for(name, wire_name)
    wire[wire_name] = value
    exc = rejected(name, body(wire))
    assert exc.code in (-4, -7) and exc.field == wire_name
    assert invalid(name, wire).code == exc.code
    decoded = decode_request(name, body(wire), strict=False)
    got = getattr(decoded, f.attribute)
    if kind(f) == "flag":
        assert got is (value.upper() == "Y")
    elif kind(f) == "products":
        assert got == tuple(int(i) for i in value.split(","))
    elif kind(f) == "int_enum":
        assert got == int(value)
    else:
        assert got == value
    assert encode_request_fields(name, wire, strict=False).body == body(wire)


def test_lenient_action_case_still_triggers_required_when() -> None:
    for rule in ENDPOINTS[CLICK].rules_of(codec.RequiredWhenRule):
        wire = example_wire(CLICK)
        wire[rule.when_field] = rule.when_equals.lower()
        wire.pop(rule.field, None)
        exc = rejected(CLICK, body(wire), strict=False)
        assert (exc.code, exc.argument) == (-3, rule.field)


def test_every_request_note_that_differs_has_a_case() -> None:
    """Each note with differing readings about request variables is exercised above (fon-unique-code
    depends on a server's order history, not on the codec)."""
    covered = {case[0] for case in LENIENT} | {"sasp-excludes-login"}
    for spec in ENDPOINTS.values():
        request_fields = {f.name for f in spec.fields}
        for note_id, note in spec.notes.items():
            if note.differs and set(note.fields) & request_fields and note_id != "fon-unique-code":
                assert note_id in covered, note_id
    assert "names-case-insensitive" in covered


# --------------------------------------------------------------------------- response format of errors


FAULTS = {
    "missing": lambda w: {k: v for k, v in w.items() if k != "days"},
    "invalid": lambda w: {**w, "days": "366"},
    "unknown": lambda w: {**w, "noSuchName": "1"},
    "country": lambda w: {**w, "countryName": "XX"},
    "exclusive": lambda w: {**w, "saspSessionID": "S"},
}


@settings(max_examples=60, deadline=None)
@given(
    fault=st.sampled_from(sorted(FAULTS)),
    fmt=st.sampled_from([None, "0", "1", "2", "x", "01", ""]),
    duplicate=st.booleans(),
)
def test_rejection_answers_in_a_valid_requested_format(fault: str, fmt: str | None, duplicate: bool) -> None:
    """Note format-of-errors: a valid responseFormat is honoured even for an error answer."""
    spec = ENDPOINTS[AUTO]
    f = spec.by_key[spec.format_field.lower()]
    wire = FAULTS[fault](example_wire(AUTO))
    if fmt is not None:
        wire[f.name] = fmt
    pairs = list(wire.items())
    if duplicate:
        pairs.append(("LOCATION", "again"))
    expected = int(fmt) if fmt in f.kind.values else int(f.default)
    exc = rejected(AUTO, body(pairs))
    assert exc.response_format == expected
    assert rejected(AUTO, body(pairs) + b"&days=%zz").response_format == expected
    assert rejected(AUTO, body(pairs), scheme="http").response_format == expected
    # GET requests get the default format whatever they ask (note format-of-errors)
    assert rejected(AUTO, body(pairs), method="GET").response_format == int(f.default)
    # a codec bound to a version without responseFormat answers in the default
    assert rejected(AUTO, body(pairs), version="1.02").response_format == int(f.default)


def test_click_through_rejections_use_its_single_format() -> None:
    exc = rejected(CLICK, b"responseFormat=1")
    assert exc.response_format == 0 and exc.code == -2


# --------------------------------------------------------------------------- responses: deviations


def _deviation_notes(name: str, raw: bytes, **kw: Any) -> list[str]:
    """Decode leniently, check strict decoding raises listing the same notes, return them."""
    lenient = decode_response(name, raw, **kw)
    notes = [d.note for d in lenient.deviations]
    if notes:
        with pytest.raises(ResponseInvalid) as info:
            decode_response(name, raw, strict=True, **kw)
        assert [d.note for d in info.value.deviations] == notes
        assert info.value.rule == "strict"
    else:
        assert decode_response(name, raw, strict=True, **kw) == lenient
    return notes


OK0 = b"0\n12\n9.50\n1\n"
OK1 = b"errorCode=0&orderNumber=12&totalCost=9.50&expectedDeliveryTime=1"
PENDING = b"errorCode=1&errorMessage=Successful%2C+Payment+Required&orderNumber=1&totalCost=1&expectedDeliveryTime=1"
CLICK_OK = b"errorCode=0&errorMessage=Successful&status=1&description=x"
CLICK_ERR = b"&status=0&description=x"
DEVIATIONS = [
    # (endpoint, body, format, content type, expected notes) -- each departure from the letter
    (AUTO, OK0, 0, None, []),
    (AUTO, OK0[:-1], 0, None, []),  # a missing final newline is fine
    (AUTO, OK0.replace(b"\n", b"\r\n"), 0, None, ["format0-line-ending"]),
    (AUTO, OK0 + b"\n\n", 0, None, ["format0-padding"]),
    (AUTO, b"0\n 12 \n9.50\n1\n", 0, None, ["format0-padding"]),
    (AUTO, OK0, 0, "text/html", ["responses.formats.0.mime_type"]),
    (AUTO, OK0, 0, "TEXT/PLAIN; charset=utf-8", []),
    (AUTO, OK0 + b"extra\n", 0, None, ["responses.formats.0.lines"]),
    (AUTO, b"-3\n", 0, None, ["responses.formats.0.lines"]),
    (AUTO, b"0\n12\n9.50\n0\n", 0, None, ["expected-delivery-values"]),
    (AUTO, b"0\n12\n9.50\n7\n", 0, None, ["responses.formats.0.expected_delivery"]),
    (AUTO, OK1[:-1] + b"7", 1, None, ["responses.formats.1.expected_delivery"]),
    (AUTO, OK1[:-1] + b"0", 1, None, []),
    (AUTO, OK1, 1, "text/plain", ["responses.formats.1.mime_type"]),
    (AUTO, OK1 + b"&x=1", 1, None, ["responses.parameters"]),
    (AUTO, OK1 + b"&orderNumber=13", 1, None, ["responses.parameters"]),
    (AUTO, OK1 + b"&errorMessage=Successful", 1, None, ["format1-success-message"]),
    (AUTO, b"errorCode=-3", 1, None, ["responses.parameters.errorMessage"]),
    (
        AUTO,
        b"errorCode=-14&errorMessage=An+unknown+error+occurred%21&orderNumber=1",
        1,
        None,
        ["responses.parameters.orderNumber"],
    ),
    (AUTO, PENDING, 1, None, ["format1-status1"] * 3),
    (AUTO, b"-99\nboom\n", 0, None, ["codes"]),
    (AUTO, b"7\n12\n9.50\n1\n", 0, None, ["codes"]),
    (AUTO, b"-1\nREQUEST WAS NOT MADE OVER HTTPS!\n", 0, None, ["https-text"]),
    (AUTO, b"-16\nIncorrect login details.\n", 0, None, ["permission-denied-text"]),
    (AUTO, b"-2\n'foo' is an unrecognized argument!\n", 0, None, ["unrecognised-argument-text"]),
    (AUTO, b"-4\nThe 'x' argument is missing!\n", 0, None, ["codes.-4.message"]),
    (AUTO, b"-15\nNot enough credit\n", 0, None, ["codes.-15.message"]),
    (CLICK, b"errorCode=-1&errorMessage=Request+was+not+made+over+https%21" + CLICK_ERR, None, None, ["https-text"]),
    (CLICK, b"errorCode=-16&errorMessage=Permission+denied%21" + CLICK_ERR, None, None, ["permission-denied-text"]),
    (
        CLICK,
        b"errorCode=-2&errorMessage=Unrecognised+argument%21" + CLICK_ERR,
        None,
        None,
        ["unrecognised-argument-text"],
    ),
    (CLICK, b"errorCode=-20&errorMessage=anything+at+all" + CLICK_ERR, None, None, []),
    (CLICK, b"errorCode=-20&errorMessage=x", None, None, ["click-through-response-presence"] * 2),
    (CLICK, b"errorCode=0&status=1&description=x", None, None, ["click-through-response-presence"]),
    (CLICK, CLICK_OK.replace(b"status=1", b"status=9"), None, None, ["statuses"]),
    (CLICK, CLICK_OK, None, "text/plain", ["responses.formats.None.mime_type"]),
]


@pytest.mark.parametrize(("name", "raw", "fmt", "content_type", "notes"), DEVIATIONS)
def test_response_deviation(name: str, raw: bytes, fmt: int | None, content_type: str | None, notes: list[str]) -> None:
    assert _deviation_notes(name, raw, response_format=fmt, content_type=content_type) == notes
    for note in set(notes):  # every deviation names a note of the tables or a row of them
        assert note in ENDPOINTS[name].notes or note.split(".")[0] in ("responses", "codes", "statuses")
    # a deviation a note allows also names the table row whose letter it departs from
    found = decode_response(name, raw, response_format=fmt, content_type=content_type).deviations
    for d in found:
        assert (d.row is not None) == (d.note in ENDPOINTS[name].notes), d
        assert d.row is None or d.row.split(".")[0] in ("responses", "codes"), d


def test_a_deviation_names_the_row_of_the_letter_it_departs_from() -> None:
    [message] = decode_response(AUTO, OK1 + b"&errorMessage=Successful", response_format=1).deviations
    assert (message.note, message.row) == ("format1-success-message", "responses.parameters.errorMessage")
    [padding] = decode_response(AUTO, OK0 + b"\n\n", response_format=0).deviations
    assert (padding.note, padding.row) == ("format0-padding", "responses.formats.0.lines")
    [text] = decode_response(AUTO, b"-1\nREQUEST WAS NOT MADE OVER HTTPS!\n", response_format=0).deviations
    assert (text.note, text.row) == ("https-text", "codes.-1.message")


def test_deviations_do_not_change_the_decoded_values() -> None:
    clean = decode_response(AUTO, OK0, response_format=0)
    for raw in (OK0.replace(b"\n", b"\r\n"), OK0 + b"\n\n", b" 0\n12 \n 9.50\n1\n", OK0[:-1]):
        assert decode_response(AUTO, raw, response_format=0) == clean
    assert clean.total_cost == Decimal("9.50") and str(clean.total_cost) == "9.50"
    assert decode_response(AUTO, b"-99\nboom\n").error_code == -99


UNREADABLE = [
    (AUTO, b"", 0, "required"),
    (AUTO, b"\n\n", 0, "required"),
    (AUTO, b"x\n", 0, "integer"),
    (AUTO, b"0\n12\n", 0, "required"),  # a missing order line
    (AUTO, b"0\n12\n9.50\n", 0, "required"),
    (AUTO, b"0\nx\n9.50\n1\n", 0, "integer"),
    (AUTO, b"0\n12\n$9.50\n1\n", 0, "amount"),
    (AUTO, b"0\n12\n9.50 USD\n1\n", 0, "amount"),
    (AUTO, b"0\n12\n-1.00\n1\n", 0, "amount"),
    (AUTO, b"0\n12\n1,000.00\n1\n", 0, "amount"),
    (AUTO, b"0\n12\n9.50\n1h\n", 0, "integer"),
    (AUTO, b"\xff\n", 0, "utf-8"),
    (AUTO, b"errorCode=0&orderNumber=12&totalCost=%249.50&expectedDeliveryTime=1", 1, "amount"),
    (AUTO, b"errorCode=0&orderNumber=12", 1, "required"),
    (AUTO, b"errorCode=0&totalCost=1&expectedDeliveryTime=1", 1, "required"),
    (AUTO, b"orderNumber=12", 1, "required"),
    (AUTO, b"errorCode=zero", 1, "integer"),
    (AUTO, b"errorCode=%zz", 1, "form"),
    (AUTO, b"errorCode=0\n", 1, "integer"),
    (AUTO, b"0\n12\n9.50\n1\n", 2, "allowed"),
    (AUTO, b"1" * 5000 + b"\n", 0, "integer"),
    (CLICK, b"errorCode=0&errorMessage=Successful&status=one&description=x", None, "integer"),
    (CLICK, b"errorMessage=Successful", None, "required"),
]


@pytest.mark.parametrize(("name", "raw", "fmt", "rule"), UNREADABLE)
def test_unreadable_response_raises_in_both_modes(name: str, raw: bytes, fmt: int | None, rule: str) -> None:
    for strict in (False, True):
        with pytest.raises(ResponseInvalid) as info:
            decode_response(name, raw, response_format=fmt, strict=strict)
        assert info.value.rule == rule
        assert info.value.code is None


def test_response_format_is_picked_by_content_type_then_body() -> None:
    form = b"errorCode=0&orderNumber=12&totalCost=9.50&expectedDeliveryTime=1"
    assert decode_response(AUTO, form).order_number == 12  # the body says it
    assert decode_response(AUTO, form, content_type="application/x-www-form-urlencoded").order_number == 12
    assert decode_response(AUTO, OK0, content_type="text/plain; charset=utf-8").order_number == 12
    assert decode_response(AUTO, OK0).order_number == 12


# --------------------------------------------------------------------------- responses: encoding


def test_encoder_refuses_what_the_tables_forbid() -> None:
    with pytest.raises(codec.ResponseEncodeError) as info:
        encode_response(codec.AutoApplyIdAResponse(error_code=-99, error_message="x"))
    assert info.value.code == -99 and info.value.rule == "codes"
    assert (
        encode_response(codec.AutoApplyIdAResponse(error_code=-99, error_message="x"), validate=False).body
        == b"-99\nx\n"
    )
    with pytest.raises(codec.ResponseEncodeError) as info:
        encode_response(codec.AutoApplyIdAResponse(error_code=0), response_format=0)
    assert info.value.field == "orderNumber"
    with pytest.raises(codec.ResponseEncodeError):
        encode_response(codec.AutoApplyIdAResponse(error_code=-3, error_message="x"), response_format=2)
    with pytest.raises(codec.ResponseEncodeError):
        error_response(AUTO, -20)
    with pytest.raises(codec.ResponseEncodeError):
        encode_response(codec.AutoApplyIdAResponse(error_code=-3, error_message="\ud800"))


@pytest.mark.parametrize(("name", "fmt_key"), FORMATS, ids=[f"{n}-{k}" for n, k in FORMATS])
@RULES
@given(data=st.data())
def test_lone_surrogates_never_escape_the_encoders(name: str, fmt_key: str | None, data: st.DataObject) -> None:
    """A str the UTF-8 body cannot carry is a RequestInvalid / ResponseEncodeError, not a
    UnicodeEncodeError."""
    text = data.draw(st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3), label="surrogates")
    request = example_request(name)
    f = next(f for f in ENDPOINTS[name].fields if kind(f) == "text" and getattr(request, f.attribute) is not None)
    exc = invalid_typed(attrs.evolve(request, **{f.attribute: "a" + text}))
    assert (exc.code, exc.field) == (-4, f.name)
    response = data.draw(responses(name, fmt_key), label="response")
    if response.error_message is not None:
        with pytest.raises(codec.ResponseEncodeError):
            encode_response(attrs.evolve(response, error_message=text), response_format=fmt_int(fmt_key))


# --------------------------------------------------------------------------- messages


def _placeholder_codes() -> list[Any]:
    return [
        pytest.param(name, code, id=f"{name}.{code}")
        for name in ENDPOINT_NAMES
        for code, c in ENDPOINTS[name].codes.items()
        if c.placeholder_token is not None
    ]


@pytest.mark.parametrize(("name", "code"), _placeholder_codes())
@RULES
@given(argument=st.text(max_size=64).filter(lambda t: "\r" not in t and "\n" not in t))
def test_message_for_fills_the_placeholder_and_parse_message_recovers_it(name: str, code: int, argument: str) -> None:
    spec = ENDPOINTS[name]
    entry = spec.codes[code]
    message = message_for(spec, code, argument)
    assert message == entry.message.replace(f"'{entry.placeholder_token}'", f"'{argument}'")
    detail = parse_message(spec, code, message)
    assert detail.matches_template
    recovered = detail.argument if entry.placeholder_kind == "argument" else detail.country
    assert recovered == argument
    response = error_response(name, code, argument)
    assert error_detail(response) == detail


def test_message_tokens_are_the_documents() -> None:
    tokens = {c.placeholder_kind: c.placeholder_token for s in ENDPOINTS.values() for c in s.codes.values()}
    assert tokens["argument"] == "xxxx" and tokens["country"] == "xx"
    spec = ENDPOINTS[AUTO]
    assert message_for(spec, -3, "days") == "The 'days' argument is missing!"
    assert message_for(spec, -7, "XX") == "'XX' is not a valid ISO-3166 country!"
    assert message_for(spec, -2, "ignored") == spec.codes[-2].message  # no placeholder: names nothing
    assert message_for(spec, -20) is None  # not AutoApplyIdA's code
    assert message_for(spec, -3, "a" * 100) == f"The '{'a' * 64}' argument is missing!"  # note newline-in-message
    assert message_for(spec, -3, None) == "The '' argument is missing!"


def test_parse_message_of_non_matching_and_free_text() -> None:
    auto, click = ENDPOINTS[AUTO], ENDPOINTS[CLICK]
    assert not parse_message(auto, -3, "Something else").matches_template
    assert parse_message(auto, -3, "Something else").argument is None
    assert parse_message(click, -20, "Order '12' was not found!").matches_template
    assert not parse_message(auto, -99, "x").matches_template
    assert parse_message(auto, 0, None).matches_template
    assert error_detail(codec.AutoApplyIdAResponse(error_code=0)) is None
    assert error_detail(codec.AutoApplyIdAResponse(error_code=1)) is None
    detail = error_detail(
        codec.AutoApplyIdAResponse(error_code=-7, error_message="'ZZ' is not a valid ISO-3166 country!")
    )
    assert detail is not None and detail.country == "ZZ" and detail.argument is None


@pytest.mark.parametrize(("name", "fmt_key"), FORMATS, ids=[f"{n}-{k}" for n, k in FORMATS])
@RULES
@given(argument=st.text(st.sampled_from("ab'\r\n \t\x0b\x0c\x1c\u2028\x85é"), max_size=40))
def test_cr_lf_in_an_argument_never_breaks_a_body(name: str, fmt_key: str | None, argument: str) -> None:
    """Note newline-in-message: the newline format keeps its two error lines."""
    f = fmt_int(fmt_key)
    for code, entry in ENDPOINTS[name].codes.items():
        if entry.placeholder_token is None:
            continue
        response = error_response(name, code, argument)
        assert "\r" not in response.error_message and "\n" not in response.error_message
        raw = encode_response(response, response_format=f).body
        if fmt_key == "0":
            assert raw.count(b"\n") == 2 and b"\r" not in raw and raw.endswith(b"\n")
        decoded = decode_response(name, raw, response_format=f, strict=True)
        assert decoded == response
        assert error_detail(decoded).matches_template
        # a message built by hand with CR/LF is cleaned by the encoder too
        dirty = attrs.evolve(response, error_message=f"x{argument}y")
        raw = encode_response(dirty, response_format=f).body
        if fmt_key == "0":
            assert raw.count(b"\n") == 2 and b"\r" not in raw
        assert decode_response(name, raw, response_format=f).error_message == (
            f"x{argument}y".replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
        )
