"""The codec's shortcuts, behind one boundary: the usual input decided in a few C-level steps.

Every public function of the codec has a general path -- the readable reference, in ``form.py``,
``validate.py``, ``convert.py``, ``request.py`` and ``response.py`` -- that asks this module first.
Each function here either gives exactly what the general path would give for the input it
recognises (a letter-perfect body, a request with no fault, a canonical form) or ``None``, and
then the general path does the work.  Nothing here decides a rule the general path does not:
what a shortcut cannot decide it hands over.

* forms: :func:`encode_form` / :func:`decode_form` work on the whole body at once
  (``bytes.translate`` and ``replace`` to encode; ``binascii.a2b_qp`` to decode, then an ASCII
  pair reader); :func:`unquote_value` for the response shapes;
* requests: :func:`exact_names` (each name once, spelled as the tables spell it) and
  :func:`no_fault` (a wire dict that breaks no rule, seen at a glance: finite value sets, lengths);
* typed values: :data:`UNSTRUCTURE` and :data:`STRUCTURE`, functions generated per class as attrs
  and cattrs generate theirs (the latter skips the validators: its input was validated);
* responses: :func:`decode_response` (one pattern per letter-perfect body shape),
  :func:`exact_parameters` and :func:`letter_presence` (the general reader's usual cases),
  :func:`newline_response` and :func:`urlencoded_response` (writing).

``ENABLED`` switches every shortcut off at once; ``tests/test_codec_fastpaths.py`` runs each
public function both ways (:func:`disabled`) on mutated input and requires the same outcome.
"""

from __future__ import annotations

import contextlib
import re
import sys
from binascii import a2b_qp
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from itertools import repeat
from operator import ge
from types import MemberDescriptorType
from typing import Any
from urllib.parse import quote_plus

import attrs

from ._models import REQUEST_CLASSES, RESPONSE_CLASSES, Response
from .errors import FormError
from .kinds import Check
from .models import EncodedResponse
from .tables import (
    ENDPOINTS,
    INTEGER_TEXT,
    CodeSpec,
    EndpointSpec,
    ExclusiveRule,
    FieldSpec,
    NewlineFormat,
    PerSpec,
    RequiredUnlessRule,
    RequiredWhenRule,
    endpoint_spec,
    media_type,
    request_members,
    response_members,
)

__all__ = [
    "ENABLED",
    "STRUCTURE",
    "UNSTRUCTURE",
    "decode_form",
    "decode_response",
    "disabled",
    "encode_form",
    "exact_names",
    "exact_parameters",
    "letter_presence",
    "newline_response",
    "no_fault",
    "structure_for",
    "unquote_value",
    "unstructure_for",
    "urlencoded_response",
]

ENABLED = True
"""False: every shortcut answers None, and the codec runs its general paths only."""


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """Run the block on the general paths only (for differential tests)."""
    global ENABLED
    before, ENABLED = ENABLED, False
    unstructure, structure = dict(UNSTRUCTURE), dict(STRUCTURE)
    UNSTRUCTURE.clear()
    STRUCTURE.clear()
    try:
        yield
    finally:
        ENABLED = before
        UNSTRUCTURE.update(unstructure)
        STRUCTURE.update(structure)


# ================================================================================= forms
#
# Encoding joins the pairs with two separator bytes (NUL between pairs, SOH between name and
# value), finds the distinct bytes that need quoting with one translate and replaces each; the
# quoted form of each byte is quote_plus's (what urlencode writes).

_BYTE = [bytes([i]) for i in range(256)]
_QUOTED = [quote_plus(_BYTE[i]).encode("ascii") for i in range(256)]
_SAFE_BYTES = bytes(i for i in range(256) if _QUOTED[i] == _BYTE[i])
_PAIR_SEP, _NAME_SEP = "\x00", "\x01"
_QUOTED[0], _QUOTED[1] = b"&", b"="
# replacement order: "%" before anything writes a "%", "+" before space writes one, separators last
_ORDER = [3] * 256
_ORDER[ord("%")], _ORDER[ord("+")], _ORDER[ord(" ")], _ORDER[0], _ORDER[1] = 0, 1, 2, 4, 4
_MAX_DISTINCT = 64  # more distinct bytes to quote than this: the general path, value by value


def encode_form(pairs: Sequence[tuple[str, str]]) -> bytes | None:
    """The body of *pairs*, or None when a separator byte is in the data, there are no pairs,
    an item is not two long (the general path names it), or too many distinct bytes need
    quoting.  Raises UnicodeEncodeError for a lone surrogate."""
    if not ENABLED:
        return None
    if set(map(len, pairs)) != {2}:  # the separator counts below cannot tell ("", "000") from two pairs
        return None
    body = _PAIR_SEP.join(map(_NAME_SEP.join, pairs)).encode("utf-8")
    unsafe = body.translate(None, _SAFE_BYTES)  # the bytes to quote, separators included
    if unsafe.count(0) != len(pairs) - 1 or unsafe.count(1) != len(pairs):
        return None
    distinct = set(unsafe)
    if len(distinct) > _MAX_DISTINCT:
        return None
    for byte in sorted(distinct, key=_ORDER.__getitem__):
        body = body.replace(_BYTE[byte], _QUOTED[byte])
    return body


# Decoding: "%XX" becomes "=XX" and binascii.a2b_qp (quoted-printable) turns them into bytes.
_TO_QP = bytes.maketrans(b"&=%+", b"\x00\x00= ")  # separators -> NUL; %XX -> =XX; + -> space
_NOT_SEPARATORS = bytes(i for i in range(256) if i not in b"&=\x00\r\n")
# "%xx" in any case of either digit -> the byte, as a latin-1 character
_UNHEX = {f"{a}{b}": chr(int(a + b, 16)) for a in "0123456789abcdefABCDEF" for b in "0123456789abcdefABCDEF"}


def decode_form(body: bytes) -> list[tuple[str, str]] | None:
    """The pairs of a non-empty *body*, or None when the body is not ASCII and the whole-body
    decoder cannot decide.  Raises the general path's :class:`FormError` for a bad escape."""
    if not ENABLED:
        return None
    pairs = _decode_whole(body)
    if pairs is not None:
        return pairs
    if body.isascii():  # everything outside ASCII percent-encoded, as clients write it
        return _decode_ascii(body.decode("ascii"))
    return None


def _decode_whole(body: bytes) -> list[tuple[str, str]] | None:
    # "name=value&name=value": every piece has one "=", none is empty, no NUL, CR or LF anywhere
    separators = body.translate(None, _NOT_SEPARATORS)
    count = len(separators) // 2 + 1
    if separators != b"=&" * (count - 1) + b"=":
        return None
    raw = body.translate(_TO_QP)
    decoded = a2b_qp(raw)
    if len(raw) - len(decoded) != 2 * body.count(b"%"):  # each good escape is 2 bytes shorter
        return None
    try:
        items = decoded.decode("utf-8").split("\x00")
    except UnicodeDecodeError:
        return None
    if len(items) != 2 * count:  # a %00 in the data
        return None
    return list(zip(items[0::2], items[1::2], strict=True))


def _decode_ascii(text: str) -> list[tuple[str, str]]:
    if "+" in text:
        text = text.replace("+", " ")
    out: list[tuple[str, str]] = []
    for index, piece in enumerate(text.split("&")):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        if "%" in name:
            name = _unquote_text(name, index, None)
        if "%" in value:
            value = _unquote_text(value, index, name)
        out.append((name, value))
    return out


def _unquote_text(text: str, index: int, name: str | None) -> str:
    """Percent-decode ASCII *text* (``+`` already spaces) and read it as UTF-8."""
    parts = text.split("%")
    out = [parts[0]]
    for part in parts[1:]:
        byte = _UNHEX.get(part[:2])
        if byte is None:
            raise FormError(index, name, "bad percent escape")
        out.append(byte)
        out.append(part[2:])
    try:
        return "".join(out).encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        raise FormError(index, name, "invalid UTF-8 after percent-decoding") from None


def unquote_value(value: str) -> str | None:
    """Percent-decode one ASCII value holding no ``&``, ``=``, CR or LF (as a canonical body's
    values are), ``+`` as space; None when it cannot be decoded (a bad escape, invalid UTF-8)."""
    if "%" not in value:
        return value.replace("+", " ")
    raw = value.encode("ascii").translate(_TO_QP)
    decoded = a2b_qp(raw)
    if len(raw) - len(decoded) != 2 * value.count("%"):
        return None
    try:
        return decoded.decode("utf-8")
    except UnicodeDecodeError:
        return None


# ================================================================================= requests

_EVERYTHING = sys.maxsize


@attrs.frozen
class _Plan:
    """What :func:`no_fault` and :func:`exact_names` need for one endpoint, document version and
    mode, worked out once.  Every value is judged by exactly one of: membership of the finite set
    of values its kind accepts (None standing for absent), its length alone, or its check."""

    names: frozenset[str]  # the variables' names as the tables spell them
    required: frozenset[str]
    unless: tuple[tuple[str, tuple[str, ...]], ...]  # (unless, fields): all of fields, or unless
    when: tuple[tuple[str, str, str, bool], ...]  # (field, equals, required, strict)
    exclusive: tuple[tuple[str, tuple[str, ...]], ...]  # (field, excludes)
    finite_names: tuple[str, ...]
    finite_sets: tuple[frozenset[str | None], ...]
    limited_names: tuple[str, ...]
    limits: tuple[int, ...]
    checked: tuple[tuple[str, Check], ...]


def _accepted(f: FieldSpec, strict: bool) -> frozenset[str] | None:
    """Every value *f*'s check accepts, when its kind knows them (each confirmed by the check)."""
    candidates = f.kind.accepted_values(strict)
    if candidates is None:
        return None
    check = f.checker(strict)
    return frozenset(v for v in candidates if check(v) is None)


def _make_plan(spec: EndpointSpec, version: str | None, strict: bool) -> _Plan:
    fields = spec.bound(version).fields
    names = frozenset(f.name for f in fields)
    required = {f.name for f in fields if f.presence == "required"}
    unless: list[tuple[str, tuple[str, ...]]] = []
    when: list[tuple[str, str, str, bool]] = []
    exclusive: list[tuple[str, tuple[str, ...]]] = []
    for rule in spec.rules:
        if isinstance(rule, RequiredUnlessRule) and rule.unless in names:
            unless.append((rule.unless, rule.fields))
        elif isinstance(rule, RequiredUnlessRule):
            required |= set(rule.fields)
        elif isinstance(rule, RequiredWhenRule):
            when.append((rule.when_field, rule.when_equals, rule.field, strict))
        elif isinstance(rule, ExclusiveRule):
            exclusive.append((rule.field, rule.excludes))
    finite: list[tuple[str, frozenset[str | None]]] = []
    limited: list[tuple[str, int]] = []
    checked: list[tuple[str, Check]] = []
    for f in fields:
        accepted = _accepted(f, strict)
        if accepted is not None:
            finite.append((f.name, frozenset([None, *accepted])))
        elif f.kind.length_only:
            limited.append((f.name, _EVERYTHING if f.max_length is None else f.max_length))
        else:
            checked.append((f.name, f.checker(strict)))
    return _Plan(
        names=names,
        required=frozenset(required),
        unless=tuple(unless),
        when=tuple(when),
        exclusive=tuple(exclusive),
        finite_names=tuple(n for n, _ in finite),
        finite_sets=tuple(s for _, s in finite),
        limited_names=tuple(n for n, _ in limited),
        limits=tuple(n for _, n in limited),
        checked=tuple(checked),
    )


_PLANS: dict[tuple[EndpointSpec, bool], _Plan] = {}


def _plan(spec: EndpointSpec, version: str | None, strict: bool) -> _Plan:
    found = _PLANS.get((spec, strict)) if version is None else None
    if found is None:
        if version is not None:
            spec = spec.bound(version)
        found = _PLANS[(spec, strict)] = _make_plan(spec, None, strict)
    return found


def exact_names(spec: EndpointSpec, pairs: Sequence[tuple[str, str]], version: str | None) -> dict[str, str] | None:
    """:func:`codec.validate.read_pairs`' wire dict when each name is sent once, spelled as the
    tables spell it (then there is no name fault); None otherwise."""
    if not ENABLED:
        return None
    if version is not None:
        spec = spec.bound(version)
    wire = dict(pairs)
    if len(wire) != len(pairs) or not wire.keys() <= _plan(spec, None, True).names:
        return None
    if spec.policy.blank_value_is_absent and "" in wire.values():
        wire = {name: value for name, value in wire.items() if value != ""}
    return wire


def no_fault(spec: EndpointSpec, wire: Mapping[str, str], strict: bool, version: str | None) -> bool:
    """True only when *wire* breaks no rule (then :func:`codec.validate.check_wire` finds none and
    changes nothing); False when the general rules must look."""
    if not ENABLED:
        return False
    plan = _plan(spec, version, strict)
    if not plan.required <= wire.keys():
        return False
    for unless, needed in plan.unless:
        if unless not in wire and not all(map(wire.__contains__, needed)):
            return False
    for field, equals, needed_field, is_strict in plan.when:
        value = wire.get(field)
        if value is not None and needed_field not in wire:
            if value == equals if is_strict else value.casefold() == equals.casefold():
                return False
    for field, excludes in plan.exclusive:
        if field in wire and any(map(wire.__contains__, excludes)):
            return False
    if not all(map(frozenset.__contains__, plan.finite_sets, map(wire.get, plan.finite_names))):
        return False
    if not all(map(ge, plan.limits, map(len, map(wire.get, plan.limited_names, repeat(""))))):
        return False
    for name, check in plan.checked:
        value = wire.get(name)
        if value is not None and check(value) is not None:
            return False
    return True


# ================================================================================= typed values
#
# Functions generated per class, as attrs and cattrs generate theirs: one line per attribute, no
# loop, no look-up of hooks at run time.

_Readers = dict[str, tuple[str, Callable[[str], Any] | None]]  # attribute -> (wire name, reader or None: text)
_PARAM_READERS: dict[str, Callable[[str], Any] | None] = {"integer": int, "amount": Decimal, "string": None}


def _compiled(lines: list[str], names: dict[str, Any], function: str) -> Callable[..., Any]:
    """Compile generated source *lines* defining *function* with *names* as its globals."""
    exec(compile("\n".join(lines), f"<codec {function}>", "exec"), names)
    built: Callable[..., Any] = names[function]
    return built


def _unstructurer(plan: list[tuple[str, str, Callable[[Any], str]]]) -> Callable[[Any], dict[str, str]]:
    """Attributes to ``{wire name: text}`` in the document's order, ``None`` absent."""
    names: dict[str, Any] = {}
    lines = ["def unstructure(obj):", "    out = {}"]
    for i, (attribute, wire, hook) in enumerate(plan):
        if not attribute.isidentifier():
            raise ValueError(f"attribute {attribute!r} is not an identifier")
        names[f"hook{i}"] = hook
        lines += [
            f"    value = obj.{attribute}",
            "    if value is not None:",
            f"        out[{wire!r}] = hook{i}(value)",
        ]
    lines.append("    return out")
    return _compiled(lines, names, "unstructure")


def _builder(cls: type[Any], wired: _Readers, present: frozenset[str] | None = None) -> Callable[[dict[str, str]], Any]:
    """A function building *cls* from a validated wire dict, setting each slot (through its
    member descriptor, what ``object.__setattr__`` finds and calls) from the dict, read as
    *wired* says, or to its default; with *present*, for dicts holding exactly those names (no
    look-up of the others)."""
    names: dict[str, Any] = {"_new": object.__new__, "cls": cls}
    lines = ["def structure(wire):", "    obj = _new(cls)", "    get = wire.get"]
    for i, a in enumerate(attrs.fields(cls)):
        name, read = wired.get(a.name, ("", None))
        default = a.default if a.default is not attrs.NOTHING else None
        names[f"default{i}"] = default
        names[f"read{i}"] = read
        slot = cls.__dict__.get(a.name)
        if isinstance(slot, MemberDescriptorType):
            names[f"set{i}"] = slot.__set__
            target = f"set{i}(obj, "
        else:
            names["_set"] = object.__setattr__
            target = f"_set(obj, {a.name!r}, "
        value = f"wire[{name!r}]" if read is None else f"read{i}(wire[{name!r}])"
        if not name or (present is not None and name not in present):
            lines.append(f"    {target}default{i})")
        elif present is not None:
            lines.append(f"    {target}{value})")
        elif read is None and default is None:  # text: the wire's str itself, None when absent
            lines.append(f"    {target}get({name!r}))")
        else:
            lines.append(f"    value = get({name!r})")
            reading = "value" if read is None else f"read{i}(value)"
            lines.append(f"    {target}default{i} if value is None else {reading})")
    lines.append("    return obj")
    return _compiled(lines, names, "structure")


def _request_readers(spec: EndpointSpec) -> _Readers:
    """How *spec*'s variables are read into its typed request (attributes only other versions
    have are left at their default)."""
    return {
        attribute: (f.name, None if f.kind.python_type is str else f.kind.from_wire)
        for attribute, f in request_members(spec)
        if f.key in spec.by_key
    }


def _response_readers(spec: EndpointSpec) -> _Readers:
    return {
        attribute: (p.name, _PARAM_READERS[p.type])
        for attribute, p in response_members(spec)
        if p.key in spec.params_by_key
    }


def _writer(spec: EndpointSpec) -> Callable[[Any], dict[str, str]]:
    """*spec*'s typed request to ``{wire name: text}``: its variables in its document's order, as
    its kinds write them, then any attribute set that only other versions have (for the rules to
    refuse with -2)."""
    return _unstructurer([(attribute, f.name, f.kind.to_wire) for attribute, f in request_members(spec)])


def _response_writer(spec: EndpointSpec) -> Callable[[Any], dict[str, str]]:
    return _unstructurer([(attribute, p.name, str) for attribute, p in response_members(spec)])


def _reader(spec: EndpointSpec) -> Callable[[dict[str, str]], Any]:
    return _builder(REQUEST_CLASSES[spec.name], _request_readers(spec))


def _response_reader(spec: EndpointSpec) -> Callable[[dict[str, str]], Any]:
    return _builder(RESPONSE_CLASSES[spec.name], _response_readers(spec))


UNSTRUCTURE: dict[type[Any], Callable[[Any], dict[str, str]]] = {}
"""Typed request or response class -> its ``{wire name: text}`` function for the newest document,
writing what :data:`codec.converter` writes (empty while the shortcuts are off)."""
STRUCTURE: dict[type[Any], Callable[[dict[str, str]], Any]] = {}
"""Class -> its function building an instance from a wire dict the codec has already validated
against the newest document, without running the attrs validators again (empty while the
shortcuts are off)."""
for _name, _spec in ENDPOINTS.items():
    UNSTRUCTURE[REQUEST_CLASSES[_name]] = _writer(_spec)
    STRUCTURE[REQUEST_CLASSES[_name]] = _reader(_spec)
    UNSTRUCTURE[RESPONSE_CLASSES[_name]] = _response_writer(_spec)
    STRUCTURE[RESPONSE_CLASSES[_name]] = _response_reader(_spec)

_BOUND_WRITERS = PerSpec(_writer)
_BOUND_READERS = PerSpec(_reader)
_BOUND_RESPONSE_WRITERS = PerSpec(_response_writer)
_BOUND_RESPONSE_READERS = PerSpec(_response_reader)


def unstructure_for(spec: EndpointSpec, response: bool = False) -> Callable[[Any], dict[str, str]] | None:
    """The typed request (*response*: response) to wire-dict function of *spec* bound to its
    version; None while the shortcuts are off."""
    if not ENABLED:
        return None
    return _BOUND_RESPONSE_WRITERS[spec] if response else _BOUND_WRITERS[spec]


def structure_for(spec: EndpointSpec, response: bool = False) -> Callable[[dict[str, str]], Any] | None:
    """The validated wire dict to typed request (*response*: response) function of *spec*; None
    while the shortcuts are off."""
    if not ENABLED:
        return None
    return _BOUND_RESPONSE_READERS[spec] if response else _BOUND_READERS[spec]


# ================================================================================= responses
#
# Most bodies a client decodes are exactly what the documents describe: one of a few shapes per
# format (the parameters a code has, in table order).  Each shape is one pattern over the whole
# body, reading the integers itself; a body that matches one and passes the remaining checks
# decodes without the general reader.  Anything else -- another order, a deviation, an error --
# goes to the general reader, which gives the same answer for everything a shape accepts.


@attrs.frozen
class _Shape:
    pattern: re.Pattern[str]
    build: Callable[[dict[str, str]], Response]  # the response from exactly these values
    codes: frozenset[int]  # the table codes whose answer has exactly these values
    texts: tuple[str, ...]  # urlencoded: the text values to percent-decode
    message: bool  # errorMessage is here: it must match its code's template


@attrs.frozen
class _Shortcut:
    mime: str
    newline: bool
    shapes: tuple[_Shape, ...]
    codes: Mapping[int, CodeSpec]
    # every shape starts with errorCode: the shapes by the first character of the code, found at
    # this offset of the body (-1: try every shape)
    offset: int
    by_code: dict[str, tuple[_Shape, ...]]


def _alternatives(values: Any) -> str:
    """A regex matching exactly the decimal spellings of the integers *values* (longest first)."""
    return "|".join(sorted((str(v) for v in values), key=lambda s: (-len(s), s)))


def _make_shape(
    spec: EndpointSpec, fmt_key: str | None, names: tuple[str, ...], codes: frozenset[int], newline: bool
) -> _Shape:
    """One pattern over a whole body holding *names* in order, accepting only what the general
    reader accepts without a deviation: integers in their canonical spelling (the codes of this
    shape, the format's delivery hours, the table's statuses), amounts by the table's pattern,
    newline-format text unpadded (and not blank on the last line), urlencoded text undecoded."""
    fmt = spec.formats[fmt_key]
    params = {p.name: p for p in spec.params}
    amount = spec.policy.amount_pattern
    # the amount pattern inside the shape's, when it is anchored at both ends (its "$" matches at
    # the end or before a final LF; no value of a shape holds an LF)
    inner_amount = f"(?:{amount[1:-1]})" if amount.startswith("^") and amount.endswith("$") else None
    values = []
    for i, name in enumerate(names):
        kind = params[name].type
        if name == "errorCode":
            value = _alternatives(codes)
        elif name == "expectedDeliveryTime" and fmt_key is not None:
            value = _alternatives(fmt.expected_delivery) or "(?!)"
        elif name == "status" and spec.statuses:
            value = _alternatives(spec.statuses)
        elif kind == "integer":
            value = INTEGER_TEXT
        elif kind == "amount" and inner_amount:
            value = inner_amount
        elif not newline:
            value = r"[^&=\r\n]*"
        elif i == len(names) - 1:  # str.strip() strips what \s matches (Py_UNICODE_ISSPACE)
            value = r"\S(?:[^\r\n]*\S)?"
        else:
            value = r"(?:\S(?:[^\r\n]*\S)?)?"
        # named groups, so that match.groupdict() is the values (table names are identifiers)
        values.append(f"(?P<{name}>{value})")
    if newline:
        pattern = "\n".join(values) + "\n?"
    else:
        pattern = "&".join(f"{re.escape(n)}={v}" for n, v in zip(names, values, strict=True))
    return _Shape(
        pattern=re.compile(pattern),
        build=_builder(RESPONSE_CLASSES[spec.name], _response_readers(spec), frozenset(names)),
        codes=codes,
        texts=() if newline else tuple(n for n in names if params[n].type == "string"),
        message="errorMessage" in names,
    )


def _make_shortcut(spec: EndpointSpec, fmt_key: str | None) -> _Shortcut:
    fmt = spec.formats[fmt_key]
    lines = fmt.lines if isinstance(fmt, NewlineFormat) else None
    amount = spec.policy.amount_pattern
    by_names: dict[tuple[str, ...], set[int]] = {}
    for code in spec.codes:
        if lines:
            names = lines.for_code(code)
        else:
            present = spec.letter_parameters(code)
            if code == 0 and not spec.order_parameters <= present:
                continue
            names = tuple(p.name for p in spec.params if p.name in present)
        by_names.setdefault(names, set()).add(code)
    shapes = []
    for names, codes in by_names.items():
        types = {p.type for p in spec.params if p.name in names}
        if all(n.isidentifier() for n in names) and (
            "amount" not in types or (amount.startswith("^") and amount.endswith("$"))
        ):
            shapes.append(_make_shape(spec, fmt_key, names, frozenset(codes), bool(lines)))
    by_code: dict[str, tuple[_Shape, ...]] = {}
    for shape in shapes:
        for first in sorted({str(code)[0] for code in shape.codes}):
            by_code[first] = (*by_code.get(first, ()), shape)
    first_names = {names[0] for names in by_names}
    return _Shortcut(
        mime=fmt.mime_type,
        newline=bool(lines),
        shapes=tuple(shapes),
        codes=spec.codes,
        offset=-1 if first_names != {"errorCode"} else (0 if lines else len("errorCode=")),
        by_code=by_code,
    )


def decode_response(
    endpoint: str, body: bytes, content_type: str | None, response_format: int | None, version: str | None = None
) -> Response | None:
    """The response of a letter-perfect *body* (no deviation, nothing to refuse), or None."""
    if not ENABLED:
        return None
    try:  # the usual call: no need to work the format out
        s = _REQUESTED.get((endpoint, response_format, version))
    except TypeError:  # unhashable: the general path names the parameter
        return None
    if s is None or type(response_format) not in _FORMAT_TYPES:  # a bool (or 1.0) is not the int it equals
        if type(response_format) not in _FORMAT_TYPES or type(body) is not bytes:
            return None  # the general path checks the types
        spec = endpoint_spec(endpoint, version)
        s = _SHORTCUTS[spec].get(spec.format_of(body, content_type, response_format))
    if s is None or (content_type is not None and media_type(content_type) != s.mime):
        return None
    try:
        text = body.decode("utf-8" if s.newline else "ascii")
    except (UnicodeDecodeError, AttributeError):  # not UTF-8; not bytes (the general path checks)
        return None
    shapes = s.shapes if s.offset < 0 else s.by_code.get(text[s.offset : s.offset + 1], ())
    for shape in shapes:  # a body that is not a shape fails at its first differing character
        match = shape.pattern.fullmatch(text)
        if match is not None:
            break
    else:
        return None
    values = match.groupdict()
    for name in shape.texts:
        decoded = unquote_value(values[name])
        if decoded is None:
            return None
        values[name] = decoded
    if shape.message:
        code = int(values["errorCode"])
        entry = s.codes[code]
        if code != 0 and not entry.free_text and entry.pattern.match(values["errorMessage"]) is None:
            return None
    return shape.build(values)


_SHORTCUTS = PerSpec(lambda spec: {key: _make_shortcut(spec, key) for key in spec.formats})
# (endpoint as the tables spell it, response_format as passed, version None) -> the newest
# document's shortcut format_of picks
_REQUESTED: dict[tuple[str, int | None, str | None], _Shortcut] = {
    (name, None if key is None else int(key), None): shortcut
    for name, spec in ENDPOINTS.items()
    for key, shortcut in _SHORTCUTS[spec].items()
}
_FORMAT_TYPES = frozenset({int, type(None)})

_PARAM_NAMES = PerSpec(lambda spec: frozenset(p.name for p in spec.params))


def exact_parameters(spec: EndpointSpec, pairs: list[tuple[str, str]]) -> dict[str, str] | None:
    """The values of URL-encoded *pairs* when each parameter is sent once, spelled as the tables
    spell it (nothing to note); None otherwise."""
    if not ENABLED:
        return None
    values = dict(pairs)
    if len(values) == len(pairs) and values.keys() <= _PARAM_NAMES[spec]:
        return values
    return None


def letter_presence(spec: EndpointSpec, values: Mapping[str, str], code: int) -> bool:
    """True when *values* hold exactly the parameters the letter has with *code* (and a success
    its order); False when the general presence check must look."""
    return (
        ENABLED
        and values.keys() == spec.letter_parameters(code)
        and (code != 0 or spec.order_parameters <= values.keys())
    )


class _LineSets(dict[tuple[str, ...], frozenset[str]]):
    """A newline format's lines -> the set of their names (made once per layout)."""

    def __missing__(self, names: tuple[str, ...]) -> frozenset[str]:
        found = self[names] = frozenset(names)
        return found


_LINE_SETS = _LineSets()


def newline_response(
    content_type: str, wire: Mapping[str, str], names: tuple[str, ...], ending: str, trailing: bool
) -> EncodedResponse | None:
    """The newline-format answer when the values are exactly the lines, each written once; None
    otherwise.  Raises UnicodeEncodeError for a lone surrogate."""
    if not ENABLED or wire.keys() != _LINE_SETS[names]:
        return None
    text = ending.join(map(wire.__getitem__, names))
    obj = _NEW(EncodedResponse)  # EncodedResponse(content_type=..., body=...), its slots set directly
    _SET_CONTENT_TYPE(obj, content_type)
    _SET_BODY(obj, (text + ending if trailing else text).encode("utf-8"))
    _SET_STATUS(obj, _STATUS)
    return obj


def urlencoded_response(content_type: str, pairs: Sequence[tuple[str, str]]) -> EncodedResponse | None:
    """The URL-encoded answer of *pairs* when :func:`encode_form` can write it; None otherwise.
    Raises UnicodeEncodeError for a lone surrogate."""
    body = encode_form(pairs)
    if body is None:
        return None
    obj = _NEW(EncodedResponse)
    _SET_CONTENT_TYPE(obj, content_type)
    _SET_BODY(obj, body)
    _SET_STATUS(obj, _STATUS)
    return obj


_NEW = object.__new__
_SET_CONTENT_TYPE = EncodedResponse.__dict__["content_type"].__set__  # a slot's member descriptor
_SET_BODY = EncodedResponse.__dict__["body"].__set__
_SET_STATUS = EncodedResponse.__dict__["status"].__set__
_STATUS = attrs.fields(EncodedResponse).status.default
assert {a.name for a in attrs.fields(EncodedResponse)} == {"content_type", "body", "status"}
