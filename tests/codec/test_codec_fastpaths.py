"""Differential tests: the codec's shortcuts (``codec/_fast.py``) against its general paths.

Every public function of the codec asks ``codec/_fast.py`` first and takes its general path when
the shortcut cannot decide.  Each test here runs the public function twice on the same input --
once as shipped, once with every shortcut switched off (``_fast.disabled()``) -- and requires
exactly the same outcome: the same value (types, Decimal spellings, deviations) or the same
exception with the same code, field, rule, argument, response format, message and deviations.
Each example is judged in both strict and lenient mode, so one generated input serves both.

Inputs come from the codec's own encoders (and the strategies of tests/support/strategies_codec.py and
conformance/strategies.py), then mutated the ways real peers differ from the letter: names in
another case, pairs dropped, repeated or blanked, unknown names, spaces, CR/LF, a trailing
newline, safe characters percent-encoded (%2b as well as %2B), lower-case escapes, raw non-ASCII,
invalid UTF-8, bad escapes.

* forms: the whole-body encoder and decoder (and the ASCII pair reader) vs the pair-by-pair ones;
* requests: read_pairs' exact names, check_wire's no-fault plan and the generated structure
  function vs the full rules and cattrs' structure (validators on);
* responses: the body shapes, the general reader's usual cases and the generated builders vs
  the general reader and cattrs;
* the generated unstructure functions vs :data:`codec.converter` and a plain reading of the tables.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import attrs
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import codec
from codec import ENDPOINTS, FormError, _fast, converter, decode_form, decode_request, decode_response, encode_form
from codec import validate as validate_mod
from conformance.strategies import single_fault, valid_wire
from tests.fuzz.corpus import form_seeds, request_seeds
from tests.support.strategies_codec import (
    FORMATS,
    NON_ASCII,
    example_wire,
    fmt_int,
    request_to_wire,
    requests,
    responses,
)

FORMS = settings(max_examples=120, deadline=None)
ENCODE = settings(max_examples=300, deadline=None)
REQUESTS = settings(max_examples=70, deadline=None)
CONVERTERS = settings(max_examples=40, deadline=None)
RESPONSES = settings(max_examples=100, deadline=None)

ENDPOINT_NAMES = tuple(ENDPOINTS)


# --------------------------------------------------------------------------- outcomes


def _plain(value: Any) -> Any:
    """A value with its type, Decimals by their spelling (1.0 and 1.00 are equal, not the same)."""
    if isinstance(value, Decimal):
        return ("Decimal", str(value))
    if isinstance(value, tuple | list):
        return (type(value).__name__, tuple(_plain(v) for v in value))
    return (type(value).__name__, value)


def _snapshot(obj: Any) -> Any:
    """Every attribute of an attrs instance (no repr: passwords are redacted there)."""
    if attrs.has(type(obj)):
        return (type(obj).__name__, tuple((a.name, _plain(getattr(obj, a.name))) for a in attrs.fields(type(obj))))
    return _plain(obj)


def outcome(call: Callable[[], Any]) -> Any:
    """What *call* gives: its value, or everything its exception carries."""
    try:
        value = call()
    except FormError as exc:
        return ("FormError", exc.index, exc.name, exc.reason, str(exc))
    except codec.CodecError as exc:
        return (
            type(exc).__name__,
            exc.code,
            exc.field,
            exc.rule,
            getattr(exc, "argument", None),
            getattr(exc, "response_format", None),
            exc.message,
            tuple(getattr(exc, "deviations", ())),
        )
    if isinstance(value, list):
        return ("ok", [_snapshot(v) for v in value])
    return ("ok", _snapshot(value))


# --------------------------------------------------------------------------- the general paths

general = _fast.disabled


def test_general_paths_are_really_taken() -> None:
    """Each shortcut answers the canonical input (so the comparisons below compare two paths),
    and answers nothing while they are switched off."""
    spec = ENDPOINTS["AutoApplyIdA"]
    wire = example_wire("AutoApplyIdA", optional=True)
    pairs = list(wire.items())
    body = encode_form(pairs)
    cls = codec.REQUEST_CLASSES["AutoApplyIdA"]
    request = converter.structure(wire, cls)
    error = codec.error_response("AutoApplyIdA", -1)
    shape = codec.encode_response(error, response_format=1).body
    newline = codec.encode_response(error, response_format=0)
    answers = {
        "encode_form": lambda: _fast.encode_form(pairs),
        "decode_form": lambda: _fast.decode_form(body),
        "exact_names": lambda: _fast.exact_names(spec, pairs, None),
        "no_fault": lambda: _fast.no_fault(spec, wire, True, None) or None,
        "structure": lambda: _fast.STRUCTURE.get(cls),
        "unstructure": lambda: _fast.UNSTRUCTURE.get(type(request)),
        "decode_response": lambda: _fast.decode_response("AutoApplyIdA", shape, None, 1),
        "exact_parameters": lambda: _fast.exact_parameters(spec, decode_form(shape)),
        "letter_presence": lambda: _fast.letter_presence(spec, dict(decode_form(shape)), -1) or None,
        "urlencoded_response": lambda: _fast.urlencoded_response("text/plain", pairs),
        "newline_response": lambda: _fast.newline_response(
            "text/plain", {"errorCode": "-1", "errorMessage": "x"}, ("errorCode", "errorMessage"), "\n", True
        ),
    }
    for name, answer in answers.items():
        assert answer() is not None, name
    with general():
        for name, answer in answers.items():
            assert answer() is None, name
        assert decode_response("AutoApplyIdA", newline.body, response_format=0) == error
        assert decode_request("AutoApplyIdA", body) == request


# --------------------------------------------------------------------------- mutations

TOKENS = [
    b"\n",
    b"\r\n",
    b"\r",
    b"&",
    b"&&",
    b"=",
    b" ",
    b"\t",
    b"+",
    b"%",
    b"%0",
    b"%zz",
    b"%00",
    b"%26",
    b"%3D",
    b"%3d",
    b"%0A",
    b"%0d%0a",
    b"%2B",
    b"%2b",
    b"%20",
    b"%C3%A9",
    b"%c3%a9",
    b"%C3",
    b"%FF",
    b"\xff",
    b"\xc3",
    b"\x00",
    "é".encode(),
    "\u00a0".encode(),
    "😀".encode(),
    b"\xef\xbb\xbf",
    b"=\r\n",
]
_SAFE = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"


def _escape(byte: int, lower: bool) -> bytes:
    text = f"%{byte:02x}" if lower else f"%{byte:02X}"
    return text.encode("ascii")


@st.composite
def mutated_body(draw: st.DrawFn, body: bytes, max_ops: int = 4) -> bytes:
    """*body* with a few byte-level changes of the kinds peers make."""
    for _ in range(draw(st.integers(0, max_ops))):
        op = draw(
            st.sampled_from(
                [
                    "encode_safe",
                    "recase_escape",
                    "plus",
                    "insert",
                    "in_value",
                    "in_value",
                    "append",
                    "prepend",
                    "delete",
                    "raw",
                    "cut",
                ]
            )
        )
        if op == "encode_safe":  # a safe character percent-encoded, in either case
            spots = [i for i, b in enumerate(body) if b in _SAFE or b in b"&= "]
            if spots:
                i = draw(st.sampled_from(spots))
                body = body[:i] + _escape(body[i], draw(st.booleans())) + body[i + 1 :]
        elif op == "recase_escape":  # an escape in the other case
            spots = [i for i in range(len(body) - 2) if body[i] == ord("%")]
            if spots:
                i = draw(st.sampled_from(spots))
                body = body[: i + 1] + body[i + 1 : i + 3].swapcase() + body[i + 3 :]
        elif op == "plus":  # "+" and "%20" and a raw space are the same space
            old, new = draw(st.sampled_from([(b"+", b"%20"), (b"%20", b"+"), (b"+", b" "), (b"%2B", b"+")]))
            body = body.replace(old, new, 1)
        elif op in ("insert", "append", "prepend", "in_value"):
            token = draw(st.sampled_from(TOKENS))
            if op == "in_value":  # just after an "=" or just before an "&": inside a value
                spots = [i + 1 for i, b in enumerate(body) if b == ord("=")] + [
                    i for i, b in enumerate(body) if b == ord("&")
                ]
                i = draw(st.sampled_from(spots)) if spots else len(body)
            else:
                i = {"append": len(body), "prepend": 0}.get(op) or draw(st.integers(0, len(body)))
            body = body[:i] + token + body[i:]
        elif op == "delete" and body:
            i = draw(st.integers(0, len(body) - 1))
            body = body[:i] + body[i + 1 :]
        elif op == "raw":  # an escaped non-ASCII character sent raw
            text = body.decode("latin-1")
            spots = [i for i in range(len(text) - 2) if text[i] == "%" and text[i + 1 : i + 3].upper() >= "80"]
            if spots:
                i = draw(st.sampled_from(spots))
                try:
                    byte = bytes.fromhex(text[i + 1 : i + 3])
                except ValueError:
                    continue
                body = body[:i] + byte + body[i + 3 :]
        elif op == "cut" and body:
            body = body[: draw(st.integers(0, len(body)))]
    return body


def _recase(name: str, how: str) -> str:
    return {
        "upper": name.upper(),
        "lower": name.lower(),
        "swap": name.swapcase(),
        "first": name[:1].upper() + name[1:],
    }[how]


WEIRD_VALUES = st.one_of(
    st.sampled_from(["", " ", "  x ", "y", "n", "Y ", "0", "00", "+1", "-1", "1,1", "1, 2", "gb", "Gb", "é", "\u212a"]),
    st.text(max_size=12),
    st.text(st.sampled_from(NON_ASCII + " +&=%\r\n\t"), max_size=8),
)
UNKNOWN_NAMES = st.sampled_from(["notAVariable", "", " ", "login Name", "loginname ", "é", "\u212aey"])


@st.composite
def mutated_pairs(draw: st.DrawFn, pairs: list[tuple[str, str]], names: list[str], max_ops: int = 4) -> Any:
    """*pairs* with a few pair-level changes: case, drops, repeats, blanks, odd values, unknowns."""
    pairs = list(pairs)
    for _ in range(draw(st.integers(0, max_ops))):
        op = draw(st.sampled_from(["case", "drop", "repeat", "blank", "value", "unknown", "swap", "known"]))
        i = draw(st.integers(0, max(len(pairs) - 1, 0)))
        if op == "unknown":
            pairs.insert(i, (draw(UNKNOWN_NAMES), draw(WEIRD_VALUES)))
        elif op == "known" and names:  # a variable the table has, maybe not in this version
            pairs.insert(i, (draw(st.sampled_from(names)), draw(WEIRD_VALUES)))
        elif not pairs:
            continue
        elif op == "case":
            name, value = pairs[i]
            pairs[i] = (_recase(name, draw(st.sampled_from(["upper", "lower", "swap", "first"]))), value)
        elif op == "drop":
            del pairs[i]
        elif op == "repeat":
            name, value = pairs[i]
            j = draw(st.integers(0, len(pairs)))
            pairs.insert(j, (name, draw(st.just(value) | WEIRD_VALUES)))
        elif op == "blank":
            pairs[i] = (pairs[i][0], "")
        elif op == "value":
            name, value = pairs[i]
            new = draw(
                st.sampled_from([value.lower(), value.upper(), f" {value}", f"{value} ", value * 2, value[:-1]])
                | WEIRD_VALUES
            )
            pairs[i] = (name, new)
        elif op == "swap" and len(pairs) > 1:
            j = draw(st.integers(0, len(pairs) - 1))
            pairs[i], pairs[j] = pairs[j], pairs[i]
    return pairs


# --------------------------------------------------------------------------- forms

FORM_TEXT = st.text(max_size=10) | st.text(st.sampled_from("aZ09_.-~ +%&=\x00\x01\r\n" + NON_ASCII), max_size=10)
FORM_PAIRS = st.lists(st.tuples(FORM_TEXT, FORM_TEXT), max_size=6).filter(
    lambda pairs: all(not any("\ud800" <= c <= "\udfff" for c in n + v) for n, v in pairs)
)


# A fresh request from conformance's strategies costs about 25 ms to generate; most inputs start
# from the fuzz corpus' seeds instead (the codec's encoders' output: valid requests of every
# login style, one breaking each rule, URL-encoded answers) and owe their variety to the mutations.
FRESH = 4  # one request in FRESH is freshly generated


@st.composite
def form_bodies(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 2 * FRESH - 1)) == 0:  # a form decoder cares less what the values mean
        body = encode_form(list(draw(valid_wire("AutoApplyIdA", login=("u", "p"))).items()))
    else:
        body = draw(st.sampled_from(form_seeds()) | st.builds(encode_form, FORM_PAIRS))
    return draw(mutated_body(body, max_ops=5) | st.binary(max_size=30))


@FORMS
@example(body=b"a=%41%")
@example(body=b"a=%4")
@example(body=b"a=%%41")
@example(body=b"a=%e9&b=1")
@example(body=b"a=%c3%A9&B=%2b+%2B")
@example(body=b"a=%C3\xa9&b=\xff")
@example(body=b"=&=")
@example(body=b"a=b=c&d")
@example(body=b"a=1&&b=2&")
@example(body=b"a=%00&b=%26%3d")
@example(body=b"a=x%0D%0A&b=%0")
@given(body=form_bodies())
def test_decode_form_matches_pair_reader(body: bytes) -> None:
    fast = outcome(lambda: decode_form(body))
    with general():
        byte_reader = outcome(lambda: decode_form(body))
    assert fast == byte_reader
    if body.isascii() and body:  # the ASCII pair reader, behind the whole-body decoder
        assert outcome(lambda: _fast._decode_ascii(body.decode("ascii"))) == byte_reader


@ENCODE
@given(pairs=FORM_PAIRS)
def test_encode_form_matches_urlencode(pairs: list[tuple[str, str]]) -> None:
    expected = urlencode(pairs).encode("ascii")
    assert encode_form(pairs) == expected
    assert encode_form(tuple(pairs)) == expected
    with general():
        assert encode_form(pairs) == expected


# --------------------------------------------------------------------------- requests


def _versions(name: str) -> list[str | None]:
    versions = ENDPOINTS[name].versions
    return [None, versions[0], versions[-2]]


@st.composite
def request_pairs(draw: st.DrawFn, name: str) -> list[tuple[str, str]] | bytes:
    """The pairs of a request the codec's encoders wrote, valid or with one fault: a fresh one
    from conformance's strategies, or a seed (the bytes of a seed that does not decode)."""
    if draw(st.integers(0, FRESH - 1)) == 0:
        wires = valid_wire(name, login=("user", "pw"), sasp_session_id="sess-1") | single_fault(
            name, login=("user", "pw"), sasp_session_id="sess-1"
        ).map(lambda pair: pair[0])
        return list(draw(wires).items())
    seed = draw(st.sampled_from(request_seeds(name)))
    try:
        return decode_form(seed)
    except FormError:
        return seed


@st.composite
def request_bodies(draw: st.DrawFn, name: str) -> bytes:
    """A request body, its pairs mutated, then its bytes."""
    pairs = draw(request_pairs(name))
    if not isinstance(pairs, bytes):
        pairs = encode_form(draw(mutated_pairs(pairs, [f.name for f in ENDPOINTS[name].fields])))
    return draw(mutated_body(pairs, max_ops=2))


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
@REQUESTS
@given(data=st.data())
def test_decode_request_matches_full_rules(name: str, data: st.DataObject) -> None:
    body = data.draw(request_bodies(name), label="body")
    version = data.draw(st.sampled_from(_versions(name)), label="version")
    method, scheme = data.draw(
        st.sampled_from([("POST", "https")] * 6 + [("post", "HTTPS"), ("GET", "https"), ("POST", "http")]),
        label="method, scheme",
    )
    endpoint = data.draw(st.sampled_from([name, name.lower()]), label="endpoint")

    for strict in (True, False):

        def call(strict: bool = strict) -> Any:
            return decode_request(endpoint, body, method=method, scheme=scheme, strict=strict, version=version)

        fast = outcome(call)
        with general():
            assert outcome(call) == fast, strict


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
@CONVERTERS
@given(data=st.data())
def test_check_wire_plan_matches_full_rules(name: str, data: st.DataObject) -> None:
    """check_wire alone, on wire dicts holding any mix of known names (no read_pairs in front)."""
    spec = ENDPOINTS[name]
    version = data.draw(st.sampled_from(_versions(name)), label="version")
    known = [f.name for f in spec.fields_in(version)]
    start = data.draw(request_pairs(name), label="request")
    pairs = data.draw(mutated_pairs([] if isinstance(start, bytes) else start, known), label="pairs")
    wire = {n: v for n, v in pairs if n in known}
    for strict in (True, False):
        fast_wire, general_wire = dict(wire), dict(wire)
        fast = validate_mod.check_wire(spec, fast_wire, strict=strict, version=version)
        with general():
            assert validate_mod.check_wire(spec, general_wire, strict=strict, version=version) == fast, strict
        assert fast_wire == general_wire


# --------------------------------------------------------------------------- responses

CONTENT_TYPES = {
    "0": ["text/plain", "text/plain; charset=utf-8", "TEXT/PLAIN;charset=UTF-8"],
    "1": ["application/x-www-form-urlencoded", "Application/X-WWW-Form-Urlencoded; charset=utf-8"],
    None: ["application/x-www-form-urlencoded"],
}


@st.composite
def newline_mutation(draw: st.DrawFn, body: bytes) -> bytes:
    """Line-level changes of a newline-format body (the byte-level ones come after)."""
    lines = body.split(b"\n")
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["crlf", "pad", "drop", "repeat", "replace", "blank_tail"]))
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        if not lines:
            lines = [b""]
        if op == "crlf":
            lines = [line + b"\r" if line and draw(st.booleans()) else line for line in lines]
        elif op == "pad":
            pad = draw(st.sampled_from([b" ", b"\t", "\u00a0".encode(), b"\x1c", "\u3000".encode(), b"\x0b"]))
            lines[i] = pad + lines[i] if draw(st.booleans()) else lines[i] + pad
        elif op == "drop":
            del lines[i]
        elif op == "repeat":
            lines.insert(i, lines[i])
        elif op == "replace":
            new = draw(
                st.sampled_from(
                    ["0", "-0", "+0", "00", "1", "2", "-99", "١", "1.5", "1.", ".5", "1e3", "01", "24", "0"]
                )
                | WEIRD_VALUES
            )
            lines[i] = new.encode("utf-8", "surrogatepass")
        elif op == "blank_tail":
            lines.append(draw(st.sampled_from([b"", b" ", b"\r", b"\t"])))
    return b"\n".join(lines)


@st.composite
def response_bodies(draw: st.DrawFn, name: str, fmt_key: str | None) -> bytes:
    response = draw(responses(name, fmt_key))
    body = codec.encode_response(response, response_format=fmt_int(fmt_key)).body
    spec = ENDPOINTS[name]
    if isinstance(spec.formats[fmt_key], codec.NewlineFormat):
        body = draw(newline_mutation(body))
    elif draw(st.booleans()):
        pairs = draw(mutated_pairs(decode_form(body), [p.name for p in spec.params], max_ops=3))
        body = encode_form(pairs)
    return draw(mutated_body(body, max_ops=2))


@pytest.mark.parametrize(("name", "fmt_key"), FORMATS, ids=[f"{n}-{k}" for n, k in FORMATS])
@RESPONSES
@given(data=st.data())
def test_decode_response_matches_general_reader(name: str, fmt_key: str | None, data: st.DataObject) -> None:
    """Each body decoded as each format may be asked for (0, 1 or none), strict and lenient."""
    body = data.draw(response_bodies(name, fmt_key), label="body")
    other = [t for k, types in CONTENT_TYPES.items() if k != fmt_key for t in types]
    content_type = data.draw(st.sampled_from([None, None, *CONTENT_TYPES[fmt_key], *other]), label="content_type")
    endpoint = data.draw(st.sampled_from([name, name.lower()]), label="endpoint")
    requested = data.draw(st.sampled_from([fmt_int(fmt_key), 0, 1, None]), label="requested")
    for strict in (True, False):

        def call(strict: bool = strict) -> Any:
            return decode_response(endpoint, body, content_type=content_type, response_format=requested, strict=strict)

        fast = outcome(call)
        with general():
            assert outcome(call) == fast, strict


@pytest.mark.parametrize(("name", "fmt_key"), FORMATS, ids=[f"{n}-{k}" for n, k in FORMATS])
@RESPONSES
@given(data=st.data())
def test_encode_response_matches_general_writer(name: str, fmt_key: str | None, data: st.DataObject) -> None:
    """Responses the reference server sends, and ones with messages holding CR/LF, surrogates,
    codes outside the table, in each format, validated or not."""
    response = data.draw(responses(name, fmt_key), label="response")
    message = data.draw(st.none() | st.text(max_size=12) | st.sampled_from(["a\r\nb", "\ud800", "x\n"]))
    if message is not None:
        response = attrs.evolve(response, error_message=message)
    if data.draw(st.booleans(), label="other code"):
        response = attrs.evolve(response, error_code=data.draw(st.sampled_from([-99, 2, 0, -3, 1])))
    requested = data.draw(st.sampled_from([fmt_int(fmt_key), 0, 1, 2]), label="requested")
    validate = data.draw(st.booleans(), label="validate")

    def call() -> Any:
        return codec.encode_response(response, response_format=requested, validate=validate)

    fast = outcome(call)
    with general():
        assert outcome(call) == fast


@pytest.mark.parametrize(("name", "fmt_key"), FORMATS)
@RESPONSES
@given(data=st.data())
def test_response_shapes_accept_only_what_the_general_reader_accepts_unchanged(
    name: str, fmt_key: str | None, data: st.DataObject
) -> None:
    """Every body a shape decodes is one the general reader decodes the same way, with no
    deviation; and every unmutated reference encoding is a shape (the shortcut is used at all)."""
    response = data.draw(responses(name, fmt_key), label="response")
    body = codec.encode_response(response, response_format=fmt_int(fmt_key)).body
    spec = ENDPOINTS[name]
    lenient_presence = (
        fmt_key is not None and not isinstance(spec.formats[fmt_key], codec.NewlineFormat) and response.error_code > 0
    )
    found = _fast.decode_response(name, body, None, fmt_int(fmt_key))
    if not lenient_presence:  # status 1 with the order parameters deviates (note format1-status1)
        assert found is not None
    mutated = data.draw(mutated_body(body, max_ops=3), label="mutated")
    for candidate in (body, mutated):
        found = _fast.decode_response(name, candidate, None, fmt_int(fmt_key))
        if found is not None:
            with general():
                reference = decode_response(name, candidate, response_format=fmt_int(fmt_key), strict=True)
            assert _snapshot(found) == _snapshot(reference)


# --------------------------------------------------------------------------- generated converters


def _reference_unstructure(obj: Any) -> list[tuple[str, str]]:
    """The wire pairs of a typed request or response, read off the tables in document order."""
    spec = ENDPOINTS[obj.ENDPOINT]
    out: list[tuple[str, str]] = []
    if type(obj) in codec.REQUEST_CLASSES.values():
        for f in spec.fields:
            value = getattr(obj, f.attribute)
            if value is None:
                continue
            if isinstance(value, bool):
                out.append((f.name, "Y" if value else "N"))
            elif isinstance(value, tuple):
                out.append((f.name, ",".join(str(v) for v in value)))
            else:
                out.append((f.name, str(value)))
    else:
        out = [(p.name, str(getattr(obj, p.attribute))) for p in spec.params if getattr(obj, p.attribute) is not None]
    return out


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
@CONVERTERS
@given(data=st.data())
def test_generated_converters_match_cattrs(name: str, data: st.DataObject) -> None:
    cls = codec.REQUEST_CLASSES[name]
    wire = request_to_wire(data.draw(requests(name, strict=data.draw(st.booleans())), label="request"))
    request = converter.structure(wire, cls)
    assert _snapshot(_fast.STRUCTURE[cls](wire)) == _snapshot(request)
    assert list(converter.unstructure(request).items()) == _reference_unstructure(request)
    assert list(codec.request_to_wire(request).items()) == _reference_unstructure(request)
    assert _fast.UNSTRUCTURE[cls](request) == converter.unstructure(request)
    fmt_key = data.draw(st.sampled_from([key for n, key in FORMATS if n == name]), label="format")
    response = data.draw(responses(name, fmt_key), label="response")
    rcls = codec.RESPONSE_CLASSES[name]
    pairs = _reference_unstructure(response)
    assert list(converter.unstructure(response).items()) == pairs
    assert list(_fast.UNSTRUCTURE[rcls](response).items()) == pairs
    rwire = dict(pairs)
    checked = converter.structure(rwire, rcls)
    assert _snapshot(_fast.STRUCTURE[rcls](rwire)) == _snapshot(checked)
    present = _fast._builder(rcls, _fast._response_readers(codec.ENDPOINTS[name]), frozenset(rwire))
    assert _snapshot(present(rwire)) == _snapshot(checked)
