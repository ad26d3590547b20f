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
from typing import Any

import attrs

from . import _fast
from ._args import as_bytes, check_flag, check_optional_text
from ._notes import NoteId
from .convert import RESPONSE_CLASSES, converter_for
from .errors import Deviation, ResponseEncodeError, ResponseInvalid, shown, wrong_type
from .form import FormError, decode_form, encode_form
from .messages import clean_message, message_for, parse_message, utf8_encodable
from .models import EncodedResponse, ErrorDetail, Response
from .tables import (
    ENDPOINTS,
    INTEGER_TEXT,
    EndpointSpec,
    NewlineFormat,
    PerSpec,
    ResponseFormat,
    endpoint_spec,
    media_type,
)

__all__ = ["Response", "decode_response", "encode_response", "error_detail", "error_response", "response_format_of"]

_INT = re.compile(INTEGER_TEXT + r"\Z")


def response_format_of(spec: EndpointSpec, body: bytes, content_type: str | None, requested: int | None) -> str | None:
    """Which format key (``"0"``, ``"1"`` or None for single-format endpoints) to decode with:
    the requested one, else the one whose MIME type *content_type* names, else by the body
    (:meth:`codec.EndpointSpec.format_of`)."""
    return spec.format_of(body, content_type, requested)


class _Reader:
    """Collects deviations while one body is decoded."""

    def __init__(self, spec: EndpointSpec) -> None:
        self.spec = spec
        self.deviations: list[Deviation] = []

    def note(self, note: str, message: str, row: str | None = None) -> None:
        self.deviations.append(Deviation(note, message, row))

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
            r.note(f"{fmt.row}.lines", "a line ends with a bare CR (lines end with LF, or CRLF)")
            text = text.replace("\r", "\n")
        else:
            r.note(NoteId.FORMAT0_LINE_ENDING, "CR in line endings", f"{fmt.row}.lines")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if lines and not lines[-1].strip():
        r.note(NoteId.FORMAT0_PADDING, "blank lines at the end", f"{fmt.row}.lines")
        while lines and not lines[-1].strip():
            lines.pop()
    if any(line != line.strip() for line in lines):
        r.note(NoteId.FORMAT0_PADDING, "white space around a value", f"{fmt.row}.lines")
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
            r.note(f"{fmt.row}.lines", f"line {len(lines) + 1} ({missing}) is missing")
        else:
            raise r.fail(f"line {len(lines) + 1} ({missing}) is missing", missing, "required")
    if len(lines) > len(names):
        r.note(f"{fmt.row}.lines", f"{len(lines) - len(names)} line(s) more than the {len(names)} the format has")
    return dict(zip(names, lines, strict=False))


def _read_urlencoded(r: _Reader, body: bytes) -> dict[str, str]:
    try:
        pairs = decode_form(body)
    except FormError as exc:
        raise r.fail(str(exc), exc.name, "form") from None
    exact = _fast.exact_parameters(r.spec, pairs)
    if exact is not None:
        return exact
    values: dict[str, str] = {}
    for name, value in pairs:
        p = r.spec.params_by_key.get(name.lower())
        if p is None:
            r.note("responses.parameters", f"unknown parameter {shown(name, 40)!r}")
            continue
        if p.name in values:
            r.note("responses.parameters", f"{p.name} sent more than once")
            continue
        values[p.name] = value
    return values


def _check_presence(r: _Reader, values: dict[str, str], code: int) -> None:
    spec = r.spec
    if _fast.letter_presence(spec, values, code):
        return
    for p in spec.params:
        if p.name == "errorCode":
            continue
        expected = p.present_for(code)
        present = p.name in values
        if expected == present:
            continue
        row = f"responses.parameters.{p.name}"
        note = spec.presence_note(p.name, code)
        r.note(note or row, f"{p.name} is {'present' if present else 'absent'} with errorCode={code}", note and row)
    needs_order = spec.order_parameters
    if code == 0 and needs_order and not needs_order <= values.keys():
        missing = [p.name for p in spec.params if p.name in needs_order and p.name not in values]
        raise r.fail(f"successful order without {', '.join(missing)}", missing[0], "required")


def _check_values(r: _Reader, values: dict[str, str], code: int, fmt_key: str | None) -> None:
    spec = r.spec
    patterns = _PLANS[spec].value_patterns
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
            row = f"responses.formats.{fmt_key}.expected_delivery"
            said = f"expectedDeliveryTime {hours} is not one of {allowed} for this format"
            if int(hours) in union:
                r.note(NoteId.EXPECTED_DELIVERY_VALUES, said, row)
            else:
                r.note(row, said)
    status = values.get("status")
    if status is not None and _INT.match(status) and spec.statuses and int(status) not in spec.statuses:
        r.note("statuses", f"status {status} is not in the table")
    message = values.get("errorMessage")
    if message is not None and code != 0:
        entry = spec.codes.get(code)
        # what parse_message(spec, code, message).matches_template says, without building the detail
        if entry is not None and not entry.free_text and entry.pattern.match(message) is None:
            row = f"codes.{code}.message"
            note = spec.message_note(code, message)
            r.note(
                note or row, f"errorMessage {message[:80]!r} does not match {spec.codes[code].message!r}", note and row
            )


def _value_patterns(spec: EndpointSpec) -> dict[str, tuple[re.Pattern[str], str, str]]:
    """Parameter name -> (pattern its value must match, what it must be, the rule), in table order."""
    # the table's amount pattern, anchored at the true end: its "$" alone also matches before a final "\n"
    amount = re.compile(f"(?:{spec.policy.amount_pattern})\\Z")
    out: dict[str, tuple[re.Pattern[str], str, str]] = {}
    for p in spec.params:
        if p.name == "errorCode":
            continue
        if p.type == "integer":
            out[p.name] = (_INT, "an integer", "integer")
        elif p.type == "amount":
            out[p.name] = (amount, "a plain decimal amount", "amount")
    return out


def decode_response(
    endpoint: str,
    body: bytes,
    *,
    content_type: str | None = None,
    response_format: int | None = None,
    strict: bool = False,
    version: str | None = None,
) -> Response:
    """Decode a response body (bytes, a bytearray or a memoryview) by the table of document
    *version* (default the newest).  *response_format* is what the request asked for (the default
    format when None and no content type says otherwise); *content_type* is checked against it."""
    if strict is not False and strict is not True:
        check_flag(strict, "strict")
    found = _fast.decode_response(endpoint, body, content_type, response_format, version)
    if found is not None:
        return found
    spec = endpoint_spec(endpoint, version)
    if type(body) is not bytes:  # checked only now: the usual body is decoded above
        body = as_bytes(body, "body")
    check_optional_text(content_type, "content_type")
    if response_format is not None and (type(response_format) is bool or not isinstance(response_format, int)):
        raise wrong_type("response_format", response_format, "an int or None")
    fmt_key = spec.format_of(body, content_type, response_format)
    r = _Reader(spec)
    fmt = spec.formats.get(fmt_key)
    if fmt is None:
        raise r.fail(
            f"responseFormat {response_format} is not one of {sorted(k for k in spec.formats if k)}",
            "responseFormat",
            "allowed",
        )
    mime = media_type(content_type)
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
    # _check_values judged every value already: the shortcut builds it without validating again
    cls = RESPONSE_CLASSES[spec.name]
    build = _fast.STRUCTURE.get(cls) if version is None else _fast.structure_for(spec, response=True)
    response: Response = converter_for(spec).structure(values, cls) if build is None else build(values)
    if r.deviations:  # set on the instance just built (attrs.evolve would build it twice)
        object.__setattr__(response, "deviations", tuple(r.deviations))
    return response


_SPECS: dict[type, EndpointSpec] = {cls: ENDPOINTS[name] for name, cls in RESPONSE_CLASSES.items()}  # class -> newest
_CLASSES = " or ".join(cls.__name__ for cls in RESPONSE_CLASSES.values())


def _spec_of(response: object, version: str | None) -> EndpointSpec:
    """The spec *response*'s class speaks, bound to *version*; TypeError naming ``response``."""
    spec = _SPECS.get(type(response))
    if spec is None:
        raise wrong_type("response", response, f"a typed response ({_CLASSES})")
    return spec if version is None else endpoint_spec(spec.name, version)


def error_detail(response: Response, *, version: str | None = None) -> ErrorDetail | None:
    """The structured error of a response with a negative code, recovered from its message by the
    templates of document *version* (default the newest)."""
    spec = _spec_of(response, version)
    if response.error_code >= 0:
        return None
    return parse_message(spec, response.error_code, response.error_message)


def error_response(endpoint: str, code: int, argument: str | None = None, *, version: str | None = None) -> Response:
    """The response the vendor sends for *code*, its message filled from the template of document
    *version* (default the newest); :class:`ResponseEncodeError` for a code that table lacks.

    For UpdateUserEvClickThrough an error also carries status 0 and its description (note
    ``click-through-response-presence``)."""
    spec = endpoint_spec(endpoint, version)
    message = message_for(spec, code, argument)
    if message is None:
        raise ResponseEncodeError(f"{spec.name}: error code {code} is not in the table", code=code, rule="codes")
    values: dict[str, Any] = {"error_code": code, "error_message": message}
    if spec.statuses:
        zero = spec.statuses[min(spec.statuses)]
        values.update(status=zero.status, description=zero.description)
    return RESPONSE_CLASSES[spec.name](**values)


def encode_response(
    response: Response, *, response_format: int | None = None, validate: bool = True, version: str | None = None
) -> EncodedResponse:
    """Encode *response* in *response_format* (AutoApplyIdA: 0 newline, the default; 1
    URL-encoded) as document *version* (default the newest) lays it out.  Messages lose CR/LF, so
    the newline format is never malformed.  With ``validate`` (default) a code outside the table,
    a parameter the version does not have or a missing newline-format line raises
    :class:`ResponseEncodeError`."""
    spec = _spec_of(response, version)
    if validate is not True and validate is not False:
        check_flag(validate, "validate")
    unstructure = _fast.UNSTRUCTURE.get(type(response)) if version is None else _fast.unstructure_for(spec, True)
    wire: dict[str, str] = converter_for(spec).unstructure(response) if unstructure is None else unstructure(response)
    message = wire.get("errorMessage")
    if message is not None and ("\r" in message or "\n" in message):
        wire["errorMessage"] = clean_message(message)
    code = response.error_code
    if validate and code not in spec.codes:
        raise ResponseEncodeError(
            f"{spec.name}: error code {code} is not in the table", code=code, field="errorCode", rule="codes"
        )
    plan = _PLANS[spec]
    if validate and plan.foreign and not wire.keys() <= plan.names:
        name = next(n for n in wire if n not in plan.names)
        raise ResponseEncodeError(
            f"{spec.name}: {name} is not a parameter of {spec.name} {spec.version}", field=name, rule="parameters"
        )
    if validate:  # an amount or number the decoders would refuse is never written (NaN, 1E+5, -1)
        for name, (pattern, what, rule) in plan.value_patterns.items():
            value = wire.get(name)
            if value is not None and not pattern.match(value):
                raise ResponseEncodeError(
                    f"{spec.name}: {name} {value[:40]!r} is not {what}", code=code, field=name, rule=rule
                )
    # exactly an int or None: a bool or 1.0 equals the int, but is not one
    exact = response_format.__class__ is int or response_format is None
    encoding = plan.encodings.get(response_format) if exact else None
    if encoding is None:
        if response_format is not None and (type(response_format) is bool or not isinstance(response_format, int)):
            raise wrong_type("response_format", response_format, "an int or None")
        encoding = plan.single  # an endpoint with one format answers in it, whatever is asked
        if encoding is None:
            raise ResponseEncodeError(
                f"{spec.name}: no response format {response_format}", field="responseFormat", rule="allowed"
            )
    content_type, lines, ending, trailing = encoding
    if lines is None:
        pairs = list(wire.items())
        try:
            found = _fast.urlencoded_response(content_type, pairs)
            return found if found is not None else EncodedResponse(content_type=content_type, body=encode_form(pairs))
        except UnicodeEncodeError:
            _refuse_surrogates(spec, wire)
            raise
    names = lines[code >= 0]
    try:
        found = _fast.newline_response(content_type, wire, names, ending, trailing)
    except UnicodeEncodeError:
        _refuse_surrogates(spec, wire)
        raise
    if found is not None:
        return found
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
    return EncodedResponse(content_type=content_type, body=(text + ending if trailing else text).encode("utf-8"))


def _encoding(spec: EndpointSpec, fmt: ResponseFormat) -> tuple[str, tuple[tuple[str, ...], ...] | None, str, bool]:
    """(Content-Type, the newline format's lines by code < 0 and code >= 0 or None, line ending,
    trailing line ending) for one format."""
    if not isinstance(fmt, NewlineFormat):
        return fmt.mime_type, None, "", False
    by_sign = (fmt.lines.code_negative, fmt.lines.code_non_negative)
    policy = spec.policy
    return f"{fmt.mime_type}; charset=utf-8", by_sign, policy.format0_line_ending, policy.format0_trailing_newline


_Encoding = tuple[str, tuple[tuple[str, ...], ...] | None, str, bool]


@attrs.frozen
class _Plan:
    """What encoding and checking the answers of one bound spec need, worked out once."""

    value_patterns: dict[str, tuple[re.Pattern[str], str, str]]
    encodings: dict[int | None, _Encoding]  # response_format as passed -> its encoding
    single: _Encoding | None  # the one format of an endpoint that has one (any response_format)
    names: frozenset[str]
    foreign: bool  # the typed class has attributes this version does not (other kept versions' parameters)


def _make_plan(spec: EndpointSpec) -> _Plan:
    by_key = {key: _encoding(spec, fmt) for key, fmt in spec.formats.items()}
    encodings: dict[int | None, _Encoding] = {None if k is None else int(k): e for k, e in by_key.items()}
    if None not in by_key:
        encodings[None] = by_key["0"]  # the newline format, format 0, unless asked for another
    names = frozenset(p.name for p in spec.params)
    return _Plan(
        value_patterns=_value_patterns(spec),
        encodings=encodings,
        single=by_key.get(None),
        names=names,
        foreign=len(attrs.fields(RESPONSE_CLASSES[spec.name])) - 1 > len(names),  # deviations is not one
    )


_PLANS = PerSpec(_make_plan)


def _refuse_surrogates(spec: EndpointSpec, wire: dict[str, str]) -> None:
    """Raise for the first value no UTF-8 body can carry (a lone surrogate)."""
    for name, value in wire.items():
        if not utf8_encodable(value):
            raise ResponseEncodeError(
                f"{spec.name}: {name} is not encodable as UTF-8 (lone surrogate)", field=name, rule="utf-8"
            )
