"""Grading a decoder's answer to one response variant: what the body says, against what it reported.

The receiver's side of the kit's one rule (every allowed reading in what a receiver accepts): a
decoder **fails** only when it reports something the body does not say -- a wrong value, a code
the body does not have (an invented one), success for an error or an error for a success, a
parameter the body has reported absent, one it lacks reported present, or a refusal of a body
the tables allow.  Tolerating a departure from the letter is a **note**, never a failure.

:func:`read_variant` says what a body says (:class:`Reading`): the codec's lenient reading, and
for a body the codec cannot read, the parts it still says for certain; :func:`grade` compares an
adapter's answer with it.  Protocol v2 (``conformance/ADAPTER.md``) adds two optional keys to an
answer: ``outcome`` (``success`` / ``failure``: how the adapter's API reports the answer) and
``not_exposed`` (parameters its API does not expose: not judged, and the report says so).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal
from urllib.parse import unquote_to_bytes

import attrs

import codec

from ..report import cut
from ..results import Finding
from .bodies import Variant

__all__ = ["OUTCOMES", "Reading", "grade", "not_exposed", "outcome_of", "read_variant", "shown_answer"]

OUTCOMES: Final = ("success", "failure")
_INT: Final = re.compile(codec.tables.INTEGER_TEXT + r"\Z")
_AMOUNTS: Final = {n: re.compile(f"(?:{s.policy.amount_pattern})\\Z") for n, s in codec.ENDPOINTS.items()}
Kind = Literal["letter", "note", "off-letter", "unreadable"]


@attrs.frozen
class Reading:
    """What a variant's body says.

    ``values`` are the parameters it carries (wire name -> text); for a body the codec cannot read
    (``refusal``) only those it still says for certain.  ``unreadable`` are parameters it carries
    that cannot be read as their type (the raw text; None when not even text).  ``kind``: the
    documents' ``letter``, a departure a ``note`` allows, an ``off-letter`` departure no note
    allows but the codec still reads, or ``unreadable``; ``deviations`` name each departure."""

    kind: Kind
    values: Mapping[str, str]
    unreadable: Mapping[str, str | None] = attrs.field(factory=dict)
    deviations: tuple[str, ...] = ()
    refusal: codec.ResponseInvalid | None = None
    response: Any = None

    @property
    def code(self) -> int | None:
        text = self.values.get("errorCode")
        return int(text) if text is not None else None


def read_variant(variant: Variant) -> Reading:
    """What *variant*'s body says (see :class:`Reading`)."""
    spec = codec.endpoint_spec(variant.endpoint)
    try:
        response = codec.decode_response(
            variant.endpoint, variant.body, content_type=variant.content_type, response_format=variant.response_format
        )
    except codec.ResponseInvalid as exc:
        values, unreadable = _partial(spec, variant)
        return Reading("unreadable", values, unreadable, (str(exc),), exc)
    wire: dict[str, str] = codec.converter.unstructure(response)
    notes = tuple(d.note for d in response.deviations)
    kind: Kind = "letter" if not notes else ("note" if all(n in spec.notes for n in notes) else "off-letter")
    return Reading(kind, wire, {}, tuple(str(d) for d in response.deviations), response=response)


def _partial(spec: codec.EndpointSpec, variant: Variant) -> tuple[dict[str, str], dict[str, str | None]]:
    """What a body the codec refuses still says for certain, and what it carries unreadably."""
    body = variant.body
    fmt = spec.formats.get(spec.format_of(body, variant.content_type, variant.response_format))
    texts: dict[str, str | None] = {}
    if isinstance(fmt, codec.NewlineFormat):
        raw_lines = body.replace(b"\r\n", b"\n").split(b"\n")
        while raw_lines and not raw_lines[-1].strip():
            raw_lines.pop()
        lines = [_utf8(line.strip()) for line in raw_lines]
        if not lines or lines[0] is None or not _INT.match(lines[0]):
            return {}, ({"errorCode": lines[0]} if lines else {})
        for name, text in zip(fmt.lines.for_code(int(lines[0])), lines, strict=False):
            texts[name] = text
    else:
        for piece in body.split(b"&"):
            raw_name, _, raw_value = piece.partition(b"=")
            read = _utf8(unquote_to_bytes(raw_name.replace(b"+", b" ")))
            p = spec.params_by_key.get(read.lower()) if read is not None else None
            if p is None or p.name in texts:
                continue
            try:
                texts[p.name] = codec.decode_form(b"v=" + raw_value)[0][1] if raw_value else ""
            except codec.FormError:
                texts[p.name] = None
    values: dict[str, str] = {}
    unreadable: dict[str, str | None] = {}
    for p in spec.params:
        if p.name not in texts:
            continue
        text = texts[p.name]
        readable = text is not None and (
            (p.type == "integer" and _INT.match(text) is not None)
            or (p.type == "amount" and _AMOUNTS[spec.name].match(text) is not None)
            or p.type == "string"
        )
        if readable and text is not None:
            values[p.name] = text
        else:
            unreadable[p.name] = text
    if "errorCode" not in values:  # no code, nothing else is certain
        return {}, unreadable
    return values, unreadable


def _utf8(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


# ---------------------------------------------------------------------- comparing


def _integer(value: Any) -> int | None:
    """An integer the adapter reported: a JSON integer, or its digits as a string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit() and value.isascii() and len(value) < 4000:
        return int(value)
    return None


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str) and len(value) < 4000:
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return None


def _show(value: Any) -> str:
    text = str(value) if isinstance(value, Decimal) else json.dumps(value, default=str, ensure_ascii=False)
    return cut(text, 80)


def _same(p: codec.ParamSpec, got: Any, want: str) -> bool:
    if p.type == "integer":
        return _integer(got) == int(want)
    if p.type == "amount":
        return _amount(got) == Decimal(want)
    return bool(got == want)


def outcome_of(code: int) -> str:
    """The outcome an API reports for *code*: success for 0 and the positive codes (status 1,
    'Successful, Payment Required'), failure for the negative ones."""
    return "success" if code >= 0 else "failure"


def not_exposed(answer: Mapping[str, Any]) -> tuple[str, ...]:
    """The parameters the answer says its API does not expose (protocol v2 ``not_exposed``)."""
    listed = answer.get("not_exposed")
    if not isinstance(listed, list):
        return ()
    return tuple(sorted({cut(str(n), 60) for n in listed if isinstance(n, str)}))


def grade(variant: Variant, reading: Reading, answer: Mapping[str, Any]) -> tuple[Finding, ...]:
    """Judge the adapter's *answer* to *variant* against what its body says (*reading*)."""
    spec = codec.endpoint_spec(variant.endpoint)
    hidden = set(not_exposed(answer))
    why = f" (note {variant.note})" if variant.note else ""
    findings: list[Finding] = []
    outcome = answer.get("outcome")
    if outcome is not None and outcome not in OUTCOMES:
        findings.append(
            Finding("failure", "adapter.protocol.outcome", f"outcome {_show(outcome)}: not one of {OUTCOMES}")
        )
        outcome = None
    refused = answer.get("error")
    if refused is not None:
        if reading.kind in ("letter", "note"):
            rule = variant.note or f"{spec.name}.responses"
            findings.append(
                Finding("failure", rule, f"refused {variant.about}, which the tables allow{why}: {_show(refused)}")
            )
        if outcome == "success":
            findings.append(Finding("failure", f"{spec.name}.responses", "refused the body, yet reported success"))
        return tuple(findings)
    code = reading.code
    if code is None:  # nothing in the body says which code: any the decoder reports is its own
        rule = f"{spec.name}.responses.errorCode"
        said = {k: v for k, v in answer.items() if k not in ("id", "not_exposed")}
        return (
            *findings,
            Finding(
                "failure",
                rule,
                f"accepted a body whose errorCode cannot be read ({variant.about}): reported {_show(said)}",
            ),
        )
    if outcome is not None and outcome != outcome_of(code):
        findings.append(
            Finding(
                "failure",
                f"{spec.name}.codes.{code}",
                f"reported {outcome} for errorCode {code}, which is a {outcome_of(code)}{why}",
            )
        )
    if "errorCode" in hidden and outcome is None:
        findings.append(
            Finding("failure", "adapter.protocol.outcome", "errorCode is not exposed, and no outcome says what it was")
        )
    for p in spec.params:
        if p.name in hidden or (p.name == "errorMessage" and code == 0):
            continue  # errorMessage beside 0: tolerated and ignored (note format1-success-message)
        got = answer.get(p.name)
        row = f"{spec.name}.responses.{p.name}"
        if p.name in reading.unreadable:
            raw = reading.unreadable[p.name]
            if got is not None and p.type != "string" and got != raw:
                what = _show(raw) if raw is not None else "value (not UTF-8)"
                findings.append(
                    Finding("failure", row, f"reported {p.name}={_show(got)}; the body's {what} is no {p.type}")
                )
            continue
        want = reading.values.get(p.name)
        if want is None:
            if got is not None:
                findings.append(Finding("failure", row, f"reported {p.name}={_show(got)}; the body has none{why}"))
        elif got is None:
            if want == "":  # an empty value reported absent: tolerated
                findings.append(Finding("note", "adapter.empty-as-absent", f"{p.name} is empty; reported null"))
            else:
                findings.append(Finding("failure", row, f"reported no {p.name}; the body says {_show(want)}{why}"))
        elif not _same(p, got, want):
            findings.append(
                Finding("failure", row, f"reported {p.name}={_show(got)}; the body says {_show(want)}{why}")
            )
    if reading.kind in ("off-letter", "unreadable") and not any(f.severity == "failure" for f in findings):
        departures = "; ".join(reading.deviations)
        findings.append(Finding("note", "adapter.tolerated", cut(f"accepted {variant.about}: {departures}")))
    return tuple(findings)


def shown_answer(answer: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The answer as a report keeps it: every text cut, nested values shown as cut JSON."""
    if answer is None:
        return None
    shown: dict[str, Any] = {}
    for key, value in list(answer.items())[:40]:
        if isinstance(value, str):
            value = cut(value)
        elif isinstance(value, dict | list):
            value = cut(json.dumps(value, default=str, ensure_ascii=False))
        shown[cut(str(key), 60)] = value
    return shown
