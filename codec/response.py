"""Responses, both halves: the server encodes them, the client decodes them.

Both !AutoApplyIdA formats decode to the same :class:`AutoApplyIdAResponse` (status code =
errorCode, amount = totalCost, hours = expectedDeliveryTime).  Decoding is lenient by default:
every departure from the documents' letter that a note allows is recorded in the response's
``deviations`` (each naming the note, or the table row it breaks); ``strict=True`` raises
:class:`ResponseInvalid` listing them instead.  A body that cannot be read at all (no integer
status, a missing order-number line, an amount with a currency sign, bad UTF-8...) raises in
both modes.  An error code outside the endpoint's table still decodes, as an int.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ._notes import NoteId
from .convert import RESPONSE_CLASSES, converter, structure_trusted, trusted_builder
from .errors import Deviation, ResponseEncodeError, ResponseInvalid
from .form import FormError, decode_form, encode_form, unquote_value
from .messages import clean_message, message_for, parse_message, utf8_encodable
from .models import EncodedResponse, ErrorDetail, Response
from .tables import ENDPOINTS, CodeSpec, EndpointSpec, NewlineFormat, ResponseFormat, endpoint_spec

__all__ = ["Response", "decode_response", "encode_response", "error_detail", "error_response", "response_format_of"]

# at most as many digits as int() converts under any interpreter setting (longer ones raise ValueError)
_INT_TEXT = rf"-?[0-9]{{1,{sys.int_info.str_digits_check_threshold}}}"
_INT = re.compile(_INT_TEXT + r"\Z")
# the table's pattern, anchored at the true end: its "$" alone also matches before a final "\n"
_AMOUNTS = {name: re.compile(f"(?:{spec.policy.amount_pattern})\\Z") for name, spec in ENDPOINTS.items()}


def _mime(content_type: str | None) -> str | None:
    if content_type is None:
        return None
    found = _MIMES.get(content_type)
    if found is None:
        found = content_type.split(";", 1)[0].strip().lower()
        if len(_MIMES) < 64:  # the few Content-Type values a client sees
            _MIMES[content_type] = found
    return found


_MIMES: dict[str, str] = {}


def response_format_of(spec: EndpointSpec, body: bytes, content_type: str | None, requested: int | None) -> str | None:
    """Which format key (``"0"``, ``"1"`` or None for single-format endpoints) to decode with:
    the requested one, else the one whose MIME type *content_type* names, else by the body."""
    if None in spec.formats:
        return None
    if requested is not None:
        return str(requested)
    mime = _mime(content_type)
    for key, f in spec.formats.items():
        if mime is not None and f.mime_type == mime:
            return key
    first = body.split(b"&", 1)[0].split(b"=", 1)[0].lower()
    return "1" if first == b"errorcode" else "0"


class _Reader:
    """Collects deviations while one body is decoded."""

    def __init__(self, spec: EndpointSpec) -> None:
        self.spec = spec
        self.deviations: list[Deviation] = []

    def note(self, note: str, message: str) -> None:
        self.deviations.append(Deviation(note, message))

    def fail(self, message: str, field: str | None, rule: str) -> ResponseInvalid:
        return ResponseInvalid(
            f"{self.spec.name} response: {message}", field=field, rule=rule, deviations=tuple(self.deviations)
        )


def _read_newline(r: _Reader, fmt: NewlineFormat, body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise r.fail(f"body is not UTF-8 (byte {exc.start})", None, "utf-8") from None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:  # a bare CR: neither reading of the note (LF, or CRLF) allows it
            r.note("responses.formats.0.lines", "a line ends with a bare CR (lines end with LF, or CRLF)")
            text = text.replace("\r", "\n")
        else:
            r.note(NoteId.FORMAT0_LINE_ENDING, "CR in line endings")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if lines and not lines[-1].strip():
        r.note(NoteId.FORMAT0_LINE_ENDING, "blank lines at the end")
        while lines and not lines[-1].strip():
            lines.pop()
    if any(line != line.strip() for line in lines):
        r.note(NoteId.FORMAT0_LINE_ENDING, "white space around a value")
        lines = [line.strip() for line in lines]
    if not lines:
        raise r.fail("empty body", "errorCode", "required")
    if not _INT.match(lines[0]):
        raise r.fail(f"line 1 (status code) is not an integer: {lines[0][:40]!r}", "errorCode", "integer")
    code = int(lines[0])
    names = fmt.lines.for_code(code)
    if len(lines) < len(names):
        missing = names[len(lines)]
        if code < 0:
            r.note("responses.formats.0.lines", f"line {len(lines) + 1} ({missing}) is missing")
        else:
            raise r.fail(f"line {len(lines) + 1} ({missing}) is missing", missing, "required")
    if len(lines) > len(names):
        r.note(
            "responses.formats.0.lines", f"{len(lines) - len(names)} line(s) more than the {len(names)} the format has"
        )
    return dict(zip(names, lines, strict=False))


def _read_urlencoded(r: _Reader, body: bytes) -> dict[str, str]:
    try:
        pairs = decode_form(body)
    except FormError as exc:
        raise r.fail(str(exc), exc.name, "form") from None
    values = dict(pairs)
    if len(values) == len(pairs) and values.keys() <= _PARAM_NAMES[r.spec.name]:
        return values  # the usual case: each parameter once, spelled as the tables spell it
    values = {}
    for name, value in pairs:
        p = r.spec.params_by_key.get(name.lower())
        if p is None:
            r.note("responses.parameters", f"unknown parameter {name[:40]!r}")
            continue
        if p.name in values:
            r.note("responses.parameters", f"{p.name} sent more than once")
            continue
        values[p.name] = value
    return values


def _expected_present(spec: EndpointSpec, code: int) -> frozenset[str]:
    """The parameters the documents' letter has present with *code* (errorCode included)."""
    found = _PRESENT.get((spec.name, code))
    if found is None:
        found = frozenset(p.name for p in spec.params if p.name == "errorCode" or p.present_for(code))
        if code in spec.codes:
            _PRESENT[(spec.name, code)] = found
    return found


_PRESENT: dict[tuple[str, int], frozenset[str]] = {}


def _check_presence(r: _Reader, values: dict[str, str], code: int) -> None:
    spec = r.spec
    if values.keys() == _expected_present(spec, code) and (code != 0 or _NEEDS_ORDER[spec.name] <= values.keys()):
        return  # the usual case: exactly the parameters the letter has
    for p in spec.params:
        if p.name == "errorCode":
            continue
        expected = p.present_for(code)
        present = p.name in values
        if expected == present:
            continue
        note = spec.presence_note(p.name, code) or f"responses.parameters.{p.name}"
        r.note(note, f"{p.name} is {'present' if present else 'absent'} with errorCode={code}")
    needs_order = _NEEDS_ORDER[spec.name]
    if code == 0 and needs_order and not needs_order <= values.keys():
        missing = [p.name for p in spec.params if p.name in needs_order and p.name not in values]
        raise r.fail(f"successful order without {', '.join(missing)}", missing[0], "required")


def _check_values(r: _Reader, values: dict[str, str], code: int, fmt_key: str | None) -> None:
    spec = r.spec
    patterns = _VALUE_PATTERNS[spec.name]
    for name, value in values.items():
        found = patterns.get(name)
        if found is not None and not found[0].match(value):
            for bad, (pattern, what, rule) in patterns.items():  # the first in table order
                text = values.get(bad)
                if text is not None and not pattern.match(text):
                    raise r.fail(f"{bad} is not {what}: {text[:40]!r}", bad, rule)
    if code not in spec.codes:
        r.note("codes", f"errorCode {code} is not in {spec.name}'s table")
    hours = values.get("expectedDeliveryTime")
    if hours is not None and fmt_key is not None:
        allowed = spec.formats[fmt_key].expected_delivery
        if int(hours) not in allowed:
            union = {h for f in spec.formats.values() for h in f.expected_delivery}
            note = (
                NoteId.EXPECTED_DELIVERY_VALUES
                if int(hours) in union
                else f"responses.formats.{fmt_key}.expected_delivery"
            )
            r.note(note, f"expectedDeliveryTime {hours} is not one of {allowed} for this format")
    status = values.get("status")
    if status is not None and _INT.match(status) and spec.statuses and int(status) not in spec.statuses:
        r.note("statuses", f"status {status} is not in the table")
    message = values.get("errorMessage")
    if message is not None and code != 0:
        entry = spec.codes.get(code)
        # what parse_message(spec, code, message).matches_template says, without building the detail
        if entry is not None and not entry.free_text and entry.pattern.match(message) is None:
            r.note(
                spec.message_note(code, message) or f"codes.{code}.message",
                f"errorMessage {message[:80]!r} does not match {spec.codes[code].message!r}",
            )


def _value_patterns(spec: EndpointSpec) -> dict[str, tuple[re.Pattern[str], str, str]]:
    """Parameter name -> (pattern its value must match, what it must be, the rule), in table order."""
    out: dict[str, tuple[re.Pattern[str], str, str]] = {}
    for p in spec.params:
        if p.name == "errorCode":
            continue
        if p.type == "integer":
            out[p.name] = (_INT, "an integer", "integer")
        elif p.type == "amount":
            out[p.name] = (_AMOUNTS[spec.name], "a plain decimal amount", "amount")
    return out


_VALUE_PATTERNS = {name: _value_patterns(spec) for name, spec in ENDPOINTS.items()}
_PARAM_NAMES = {name: frozenset(p.name for p in spec.params) for name, spec in ENDPOINTS.items()}
_NEEDS_ORDER = {
    name: frozenset({"orderNumber", "totalCost", "expectedDeliveryTime"} & _PARAM_NAMES[name]) for name in ENDPOINTS
}


# ---------------------------------------------------------------- the shortcut for letter-perfect bodies
#
# Most bodies a client decodes are exactly what the documents describe: one of a few shapes per
# format (the parameters a code has, in table order).  Each shape is one pattern over the whole
# body, reading the integers itself; a body that matches one and passes the remaining checks
# decodes without the general reader.  Anything else -- another order, a deviation, an error --
# goes to the general reader, which gives the same answer for everything the shortcut accepts.


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
            value = _INT_TEXT
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
        build=trusted_builder(RESPONSE_CLASSES[spec.name], frozenset(names)),
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
            present = _expected_present(spec, code)
            if code == 0 and not _NEEDS_ORDER[spec.name] <= present:
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


def _decode_shortcut(s: _Shortcut, body: bytes) -> Response | None:
    """The response of a body that is one of the shapes and keeps to the letter, or None: then
    the general reader decodes it (and records the deviations, or raises)."""
    try:
        text = body.decode("utf-8" if s.newline else "ascii")
    except UnicodeDecodeError:
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


_SHORTCUTS = {(name, key): _make_shortcut(spec, key) for name, spec in ENDPOINTS.items() for key in spec.formats}
# (endpoint as the tables spell it, response_format as passed) -> the shortcut response_format_of picks
_REQUESTED = {(name, None if key is None else int(key)): shortcut for (name, key), shortcut in _SHORTCUTS.items()}


def decode_response(
    endpoint: str,
    body: bytes,
    *,
    content_type: str | None = None,
    response_format: int | None = None,
    strict: bool = False,
) -> Response:
    """Decode a response body.  *response_format* is what the request asked for (the default
    format when None and no content type says otherwise); *content_type* is checked against it."""
    shortcut = _REQUESTED.get((endpoint, response_format))  # the usual call: no need to work the format out
    if shortcut is None or type(response_format) is bool:
        spec = endpoint_spec(endpoint)
        fmt_key = response_format_of(spec, body, content_type, response_format)
        shortcut = _SHORTCUTS.get((spec.name, fmt_key))
    if shortcut is not None and (content_type is None or _mime(content_type) == shortcut.mime):
        found = _decode_shortcut(shortcut, body)
        if found is not None:
            return found
    spec = endpoint_spec(endpoint)
    fmt_key = response_format_of(spec, body, content_type, response_format)
    r = _Reader(spec)
    fmt = spec.formats.get(fmt_key)
    if fmt is None:
        raise r.fail(
            f"responseFormat {response_format} is not one of {sorted(k for k in spec.formats if k)}",
            "responseFormat",
            "allowed",
        )
    mime = _mime(content_type)
    if mime is not None and mime != fmt.mime_type:
        r.note(f"{fmt.row}.mime_type", f"Content-Type {mime} where the format's is {fmt.mime_type}")
    if isinstance(fmt, NewlineFormat):
        values = _read_newline(r, fmt, body)
    else:
        values = _read_urlencoded(r, body)
        if "errorCode" not in values:
            raise r.fail("no errorCode parameter", "errorCode", "required")
        if not _INT.match(values["errorCode"]):
            raise r.fail(f"errorCode is not an integer: {values['errorCode'][:40]!r}", "errorCode", "integer")
        _check_presence(r, values, int(values["errorCode"]))
    code = int(values["errorCode"])
    _check_values(r, values, code, fmt_key)
    if strict and r.deviations:
        listed = "; ".join(str(d) for d in r.deviations)
        raise ResponseInvalid(
            f"{spec.name} response deviates from the documents: {listed}",
            field=None,
            rule="strict",
            deviations=tuple(r.deviations),
        )
    # _check_values judged every value already: build the instance without validating again
    response = structure_trusted(values, RESPONSE_CLASSES[spec.name])
    if r.deviations:  # set on the instance just built (attrs.evolve would build it twice)
        object.__setattr__(response, "deviations", tuple(r.deviations))
    return response


def error_detail(response: Response) -> ErrorDetail | None:
    """The structured error of a response with a negative code, recovered from its message."""
    if response.error_code >= 0:
        return None
    return parse_message(endpoint_spec(response.ENDPOINT), response.error_code, response.error_message)


def error_response(endpoint: str, code: int, argument: str | None = None) -> Response:
    """The response the vendor sends for *code*, its message filled from the template.

    For UpdateUserEvClickThrough an error also carries status 0 and its description (note
    ``click-through-response-presence``)."""
    spec = endpoint_spec(endpoint)
    message = message_for(spec, code, argument)
    if message is None:
        raise ResponseEncodeError(f"{spec.name}: error code {code} is not in the table", code=code, rule="codes")
    values: dict[str, Any] = {"error_code": code, "error_message": message}
    if spec.statuses:
        zero = spec.statuses[min(spec.statuses)]
        values.update(status=zero.status, description=zero.description)
    return RESPONSE_CLASSES[spec.name](**values)


def encode_response(
    response: Response, *, response_format: int | None = None, validate: bool = True
) -> EncodedResponse:
    """Encode *response* in *response_format* (AutoApplyIdA: 0 newline, the default; 1
    URL-encoded).  Messages lose CR/LF, so the newline format is never malformed.  With
    ``validate`` (default) a code outside the table or a missing newline-format line raises
    :class:`ResponseEncodeError`."""
    spec = endpoint_spec(response.ENDPOINT)
    unstructure = _UNSTRUCTURERS.get(type(response))
    wire: dict[str, str] = converter.unstructure(response) if unstructure is None else unstructure(response)
    message = wire.get("errorMessage")
    if message is not None and ("\r" in message or "\n" in message):
        wire["errorMessage"] = clean_message(message)
    code = response.error_code
    if validate and code not in spec.codes:
        raise ResponseEncodeError(
            f"{spec.name}: error code {code} is not in the table", code=code, field="errorCode", rule="codes"
        )
    if validate:  # an amount or number the decoders would refuse is never written (NaN, 1E+5, -1)
        for name, (pattern, what, rule) in _VALUE_PATTERNS[spec.name].items():
            value = wire.get(name)
            if value is not None and not pattern.match(value):
                raise ResponseEncodeError(
                    f"{spec.name}: {name} {value[:40]!r} is not {what}", code=code, field=name, rule=rule
                )
    fmt_key = None if None in spec.formats else str(0 if response_format is None else response_format)
    plan = _ENCODINGS.get((spec.name, fmt_key))
    if plan is None:
        raise ResponseEncodeError(
            f"{spec.name}: no response format {response_format}", field="responseFormat", rule="allowed"
        )
    content_type, lines, ending, trailing = plan
    if lines is None:
        try:
            return _encoded(content_type, encode_form(list(wire.items())))
        except UnicodeEncodeError:
            _refuse_surrogates(spec, wire)
            raise
    names = lines[code >= 0]
    if wire.keys() == _LINE_SETS[names]:  # the usual case: the values are the lines, each written once
        text = ending.join([wire[n] for n in names])
        try:
            return _encoded(content_type, (text + ending if trailing else text).encode("utf-8"))
        except UnicodeEncodeError:
            _refuse_surrogates(spec, wire)
            raise
    try:
        "".join(wire.values()).encode("utf-8")  # every value, written or not, must be encodable
    except UnicodeEncodeError:
        _refuse_surrogates(spec, wire)
        raise
    if validate and not all(map(wire.__contains__, names)):
        missing = [n for n in names if n not in wire]
        raise ResponseEncodeError(
            f"{spec.name}: the newline format needs {', '.join(missing)} with status {code}",
            field=missing[0],
            rule="required",
        )
    text = ending.join([wire.get(n, "") for n in names])
    return _encoded(content_type, (text + ending if trailing else text).encode("utf-8"))


def _encoding(spec: EndpointSpec, fmt: ResponseFormat) -> tuple[str, tuple[tuple[str, ...], ...] | None, str, bool]:
    """(Content-Type, the newline format's lines by code < 0 and code >= 0 or None, line ending,
    trailing line ending) for one format."""
    if not isinstance(fmt, NewlineFormat):
        return fmt.mime_type, None, "", False
    by_sign = (fmt.lines.code_negative, fmt.lines.code_non_negative)
    policy = spec.policy
    return f"{fmt.mime_type}; charset=utf-8", by_sign, policy.format0_line_ending, policy.format0_trailing_newline


_LINE_SETS = {
    names: frozenset(names)
    for spec in ENDPOINTS.values()
    for fmt in spec.formats.values()
    if isinstance(fmt, NewlineFormat)
    for names in (fmt.lines.code_negative, fmt.lines.code_non_negative)
}
_ENCODINGS = {
    (name, key): _encoding(spec, fmt) for name, spec in ENDPOINTS.items() for key, fmt in spec.formats.items()
}


def _encoded(content_type: str, body: bytes) -> EncodedResponse:
    """``EncodedResponse(content_type=..., body=...)``, its three slots set directly."""
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


def _refuse_surrogates(spec: EndpointSpec, wire: dict[str, str]) -> None:
    """Raise for the first value no UTF-8 body can carry (a lone surrogate)."""
    for name, value in wire.items():
        if not utf8_encodable(value):
            raise ResponseEncodeError(
                f"{spec.name}: {name} is not encodable as UTF-8 (lone surrogate)", field=name, rule="utf-8"
            )


_UNSTRUCTURERS = {cls: converter.get_unstructure_hook(cls) for cls in RESPONSE_CLASSES.values()}
