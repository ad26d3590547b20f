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
from typing import Any

import attrs

from ._schema import ENDPOINTS, EndpointSpec, endpoint_spec
from .convert import RESPONSE_CLASSES, converter, structure_trusted
from .errors import Deviation, ResponseEncodeError, ResponseInvalid
from .form import FormError, decode_form, encode_form
from .messages import clean_message, message_for, parse_message, utf8_encodable
from .models import EncodedResponse, ErrorDetail

__all__ = ["Response", "decode_response", "encode_response", "error_detail", "error_response", "response_format_of"]

Response = Any  # AutoApplyIdAResponse | UpdateUserEvClickThroughResponse

# at most as many digits as int() converts under any interpreter setting (longer ones raise ValueError)
_INT = re.compile(rf"-?[0-9]{{1,{sys.int_info.str_digits_check_threshold}}}\Z")
_AMOUNTS = {name: re.compile(spec.policy["amount_pattern"]) for name, spec in ENDPOINTS.items()}


def _mime(content_type: str | None) -> str | None:
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip().lower()


def response_format_of(spec: EndpointSpec, body: bytes, content_type: str | None, requested: int | None) -> str | None:
    """Which format key (``"0"``, ``"1"`` or None for single-format endpoints) to decode with:
    the requested one, else the one whose MIME type *content_type* names, else by the body."""
    if None in spec.formats:
        return None
    if requested is not None:
        return str(requested)
    mime = _mime(content_type)
    for key, f in spec.formats.items():
        if mime is not None and f["mime_type"] == mime:
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


def _read_newline(r: _Reader, fmt: dict[str, Any], body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise r.fail(f"body is not UTF-8 (byte {exc.start})", None, "utf-8") from None
    if "\r" in text:
        r.note("format0-line-ending", "CR in line endings")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if lines and not lines[-1].strip():
        r.note("format0-line-ending", "blank lines at the end")
        while lines and not lines[-1].strip():
            lines.pop()
    if any(line != line.strip() for line in lines):
        r.note("format0-line-ending", "white space around a value")
        lines = [line.strip() for line in lines]
    if not lines:
        raise r.fail("empty body", "errorCode", "required")
    if not _INT.match(lines[0]):
        raise r.fail(f"line 1 (status code) is not an integer: {lines[0][:40]!r}", "errorCode", "integer")
    code = int(lines[0])
    names: list[str] = fmt["lines"]["code_negative" if code < 0 else "code_non_negative"]
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
    values: dict[str, str] = {}
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


_PRESENCE_NOTES = {
    # (endpoint, parameter, code class) -> note allowing the other reading
    ("AutoApplyIdA", "errorMessage", "success"): "format1-success-message",
    ("AutoApplyIdA", "errorMessage", "pending"): "format1-status1",
    ("AutoApplyIdA", "orderNumber", "pending"): "format1-status1",
    ("AutoApplyIdA", "totalCost", "pending"): "format1-status1",
    ("AutoApplyIdA", "expectedDeliveryTime", "pending"): "format1-status1",
    ("UpdateUserEvClickThrough", "status", "error"): "click-through-response-presence",
    ("UpdateUserEvClickThrough", "description", "error"): "click-through-response-presence",
    ("UpdateUserEvClickThrough", "errorMessage", "success"): "click-through-response-presence",
}


def _code_class(code: int) -> str:
    return "success" if code == 0 else ("pending" if code > 0 else "error")


def _check_presence(r: _Reader, values: dict[str, str], code: int) -> None:
    spec = r.spec
    for p in spec.params:
        if p.name == "errorCode":
            continue
        expected = p.present_for(code)
        present = p.name in values
        if expected == present:
            continue
        note = _PRESENCE_NOTES.get((spec.name, p.name, _code_class(code)), f"responses.parameters.{p.name}")
        r.note(note, f"{p.name} is {'present' if present else 'absent'} with errorCode={code}")
    needs_order = {"orderNumber", "totalCost", "expectedDeliveryTime"} & {p.name for p in spec.params}
    if code == 0 and needs_order and not needs_order <= values.keys():
        missing = [p.name for p in spec.params if p.name in needs_order and p.name not in values]
        raise r.fail(f"successful order without {', '.join(missing)}", missing[0], "required")


def _check_values(r: _Reader, values: dict[str, str], code: int, fmt_key: str | None) -> None:
    spec = r.spec
    for p in spec.params:
        value = values.get(p.name)
        if value is None or p.name == "errorCode":
            continue
        if p.type == "integer" and not _INT.match(value):
            raise r.fail(f"{p.name} is not an integer: {value[:40]!r}", p.name, "integer")
        if p.type == "amount" and not _AMOUNTS[spec.name].match(value):
            raise r.fail(f"{p.name} is not a plain decimal amount: {value[:40]!r}", p.name, "amount")
    if code not in spec.codes:
        r.note("codes", f"errorCode {code} is not in {spec.name}'s table")
    hours = values.get("expectedDeliveryTime")
    if hours is not None and fmt_key is not None:
        allowed = spec.formats[fmt_key].get("expected_delivery", [])
        union = {h for f in spec.formats.values() for h in f.get("expected_delivery", [])}
        if int(hours) not in allowed:
            note = (
                "expected-delivery-values" if int(hours) in union else f"responses.formats.{fmt_key}.expected_delivery"
            )
            r.note(note, f"expectedDeliveryTime {hours} is not one of {allowed} for this format")
    status = values.get("status")
    if status is not None and _INT.match(status) and spec.statuses and int(status) not in spec.statuses:
        r.note("statuses", f"status {status} is not in the table")
    message = values.get("errorMessage")
    if message is not None and code in spec.codes and code != 0:
        detail = parse_message(spec, code, message)
        if not detail.matches_template:
            r.note(
                _message_note(spec, code, message),
                f"errorMessage {message[:80]!r} does not match {spec.codes[code].message!r}",
            )


def _message_note(spec: EndpointSpec, code: int, message: str) -> str:
    """The note that tolerates a message differing from the template, or the code's row."""
    template = spec.codes[code].message
    if code == -1 and message.casefold() == template.casefold():
        return "https-text"
    if code == -16:
        return "permission-denied-text"
    if code == -2:
        return "unrecognised-argument-text"
    return f"codes.{code}.message"


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
    spec = endpoint_spec(endpoint)
    r = _Reader(spec)
    fmt_key = response_format_of(spec, body, content_type, response_format)
    fmt = spec.formats.get(fmt_key)
    if fmt is None:
        raise r.fail(
            f"responseFormat {response_format} is not one of {sorted(k for k in spec.formats if k)}",
            "responseFormat",
            "allowed",
        )
    mime = _mime(content_type)
    if mime is not None and mime != fmt["mime_type"]:
        r.note(
            f"responses.formats.{fmt_key}.mime_type", f"Content-Type {mime} where the format's is {fmt['mime_type']}"
        )
    if fmt_key == "0":
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
    if r.deviations:
        response = attrs.evolve(response, deviations=tuple(r.deviations))
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
    cls = RESPONSE_CLASSES[spec.name]
    if spec.statuses:
        zero = spec.statuses[min(spec.statuses)]
        return cls(error_code=code, error_message=message, status=zero["status"], description=zero["description"])
    return cls(error_code=code, error_message=message)


def encode_response(
    response: Response, *, response_format: int | None = None, validate: bool = True
) -> EncodedResponse:
    """Encode *response* in *response_format* (AutoApplyIdA: 0 newline, the default; 1
    URL-encoded).  Messages lose CR/LF, so the newline format is never malformed.  With
    ``validate`` (default) a code outside the table or a missing newline-format line raises
    :class:`ResponseEncodeError`."""
    spec = endpoint_spec(response.ENDPOINT)
    wire: dict[str, str] = converter.unstructure(response)
    if "errorMessage" in wire:
        wire["errorMessage"] = clean_message(wire["errorMessage"])
    code = response.error_code
    if validate and code not in spec.codes:
        raise ResponseEncodeError(
            f"{spec.name}: error code {code} is not in the table", code=code, field="errorCode", rule="codes"
        )
    fmt_key = None if None in spec.formats else str(0 if response_format is None else response_format)
    fmt = spec.formats.get(fmt_key)
    if fmt is None:
        raise ResponseEncodeError(
            f"{spec.name}: no response format {response_format}", field="responseFormat", rule="allowed"
        )
    for name, value in wire.items():
        if not utf8_encodable(value):
            raise ResponseEncodeError(
                f"{spec.name}: {name} is not encodable as UTF-8 (lone surrogate)", field=name, rule="utf-8"
            )
    if fmt_key == "0":
        names = fmt["lines"]["code_negative" if code < 0 else "code_non_negative"]
        missing = [n for n in names if n not in wire]
        if missing and validate:
            raise ResponseEncodeError(
                f"{spec.name}: the newline format needs {', '.join(missing)} with status {code}",
                field=missing[0],
                rule="required",
            )
        ending = spec.policy["format0_line_ending"]
        text = ending.join(wire.get(n, "") for n in names)
        if spec.policy["format0_trailing_newline"]:
            text += ending
        return EncodedResponse(content_type=f"{fmt['mime_type']}; charset=utf-8", body=text.encode("utf-8"))
    return EncodedResponse(content_type=fmt["mime_type"], body=encode_form(list(wire.items())))
