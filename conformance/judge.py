"""Judging one exchange against the tables: what is a failure, and what is only a note.

Every answer of these APIs is HTTP 200; the verdict lives in ``errorCode``, the message and the
format.  :func:`judge_response` decodes an answer with the codec (leniently), then:

* a departure that a note in the tables allows becomes a *note* (never a failure);
* anything else the tables forbid is a *failure* naming the table row it breaks;
* the code must be one the check expects; a code outside that set but inside the set a note
  accepts is a note.

:func:`judge_request` does the same for a request a client sent (client mode);
:func:`cite_rule` says where a rule a finding names comes from.
"""

from __future__ import annotations

from typing import Any

import attrs

import codec

from .results import Exchange, Finding

__all__ = [
    "SUCCESS",
    "Expectation",
    "Verdict",
    "cite_rule",
    "judge_request",
    "judge_response",
    "request_row",
    "success_codes",
]

SUCCESS = "success"


def success_codes(endpoint: str, version: str | None = None) -> frozenset[int]:
    """The codes a valid request may earn: the table's (of document *version*) non-negative codes."""
    return frozenset(c for c in codec.endpoint_spec(endpoint, version).codes if c >= 0)


@attrs.frozen
class Expectation:
    """What a check expects of an answer.

    ``codes`` pass outright; codes in the ``note``'s ``accept.codes`` are reported as notes, and so
    are the codes in ``also`` (what the note allows for this request in particular, e.g. the codes
    of the other faults a request carries under note ``error-precedence``); ``argument`` /
    ``country`` is what a -2/-3/-4 or -7 message must name; ``action`` makes the status checked
    against the statuses that action may return.
    """

    codes: frozenset[int]
    row: str
    argument: str | None = None
    country: str | None = None
    note: str | None = None
    action: str | None = None
    statuses: frozenset[int] | None = None
    also: frozenset[int] = frozenset()


@attrs.frozen
class Verdict:
    response: Any
    findings: tuple[Finding, ...]

    @property
    def failed(self) -> bool:
        return any(f.severity == "failure" for f in self.findings)

    @property
    def notes(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "note")


def _accepts(spec: codec.EndpointSpec, note: str | None) -> frozenset[int]:
    if note is None or note not in spec.notes:
        return frozenset()
    return spec.notes[note].accept_codes


def _is_note(spec: codec.EndpointSpec, rule: str) -> bool:
    return rule in spec.notes


def judge_response(exchange: Exchange, expect: Expectation) -> Verdict:
    """Judge *exchange*'s answer against the tables and *expect*."""
    if exchange.endpoint is None:
        return Verdict(None, (Finding("failure", "endpoint.path", f"{exchange.url}: no endpoint there"),))
    spec = codec.endpoint_spec(exchange.endpoint, exchange.version)
    findings: list[Finding] = []
    if exchange.error is not None or exchange.body is None:
        return Verdict(None, (Finding("failure", "transport", f"no answer: {exchange.error}"),))
    if exchange.status != 200:
        findings.append(
            Finding(
                "failure",
                f"{spec.name}.transport.http-200",
                f"HTTP {exchange.status}; the vendor answers every request with HTTP 200 and a vendor body",
            )
        )
    try:
        response = codec.decode_response(
            spec.name,
            exchange.body,
            content_type=exchange.content_type,
            response_format=exchange.response_format,
            version=exchange.version,
        )
    except codec.ResponseInvalid as exc:
        rule = f"{spec.name}.responses.{exc.field or 'body'}.{exc.rule}"
        findings.append(Finding("failure", rule, exc.message))
        return Verdict(None, tuple(findings))
    for d in response.deviations:
        if _is_note(spec, d.note):
            findings.append(Finding("note", d.note, d.message))
        else:
            findings.append(Finding("failure", f"{spec.name}.{d.note}", d.message))
    code = response.error_code
    accepted = _accepts(spec, expect.note) | expect.also
    if code not in expect.codes:
        if code in accepted:
            findings.append(
                Finding(
                    "note",
                    expect.note or "",
                    f"answered {code} where {_codes(expect.codes)} was expected; note {expect.note} allows it",
                )
            )
        else:
            said = f": {response.error_message}" if response.error_message else ""
            findings.append(
                Finding("failure", expect.row, f"answered errorCode {code}{said}; expected {_codes(expect.codes)}")
            )
    elif code < 0:
        detail = codec.error_detail(response, version=exchange.version)
        if detail is not None and detail.matches_template:
            if (
                expect.argument is not None
                and detail.argument is not None
                and detail.argument.casefold() != expect.argument.casefold()
            ):
                findings.append(
                    Finding(
                        "failure",
                        f"{spec.name}.codes.{code}.message",
                        f"the message names {detail.argument!r}, not {expect.argument!r}",
                    )
                )
            if expect.country is not None and detail.country is not None and detail.country != expect.country:
                findings.append(
                    Finding(
                        "failure",
                        f"{spec.name}.codes.{code}.message",
                        f"the message names country {detail.country!r}, not {expect.country!r}",
                    )
                )
    if spec.statuses and code == 0:
        status: int | None = getattr(response, "status", None)  # the endpoints with statuses have one
        allowed = {s for s, row in spec.statuses.items() if expect.action is None or expect.action in row.actions}
        if status is None:
            findings.append(
                Finding("failure", f"{spec.name}.responses.parameters.status", "no status with errorCode=0")
            )
        elif status not in allowed:
            findings.append(
                Finding(
                    "failure",
                    f"{spec.name}.statuses",
                    f"status {status} is not one the action {expect.action} may return ({sorted(allowed)})",
                )
            )
        elif expect.statuses is not None and status not in expect.statuses:
            findings.append(Finding("failure", expect.row, f"status {status}; expected {sorted(expect.statuses)}"))
    return Verdict(response, tuple(findings))


def _codes(codes: frozenset[int]) -> str:
    items = sorted(codes, reverse=True)
    return " or ".join(str(c) for c in items)


def judge_request(
    endpoint: str, *, method: str, scheme: str, content_type: str | None, body: bytes, version: str | None = None
) -> tuple[Any, tuple[Finding, ...]]:
    """Judge a request a client sent: a failure for each rule the strict reading breaks that the
    lenient reading breaks too; a note where only the strict reading objects."""
    spec = codec.endpoint_spec(endpoint)
    findings: list[Finding] = []
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime != spec.content_type:
        findings.append(
            Finding(
                "failure",
                f"{spec.name}.endpoint.request_content_type",
                f"Content-Type {content_type!r}; the API takes {spec.content_type}",
            )
        )
    try:
        request = codec.decode_request(
            spec.name, body, method=method, scheme=scheme, content_type=content_type, strict=True, version=version
        )
        return request, tuple(findings)
    except codec.RequestRejected as strict_exc:
        try:
            request = codec.decode_request(
                spec.name, body, method=method, scheme=scheme, content_type=content_type, strict=False, version=version
            )
        except codec.RequestRejected as exc:
            findings.append(Finding("failure", request_row(spec, exc), exc.message))
            return None, tuple(findings)
        note = _note_for(spec, strict_exc)
        findings.append(Finding("note", note, strict_exc.message))
        return request, tuple(findings)


def request_row(spec: codec.EndpointSpec, exc: codec.RequestRejected) -> str:
    """The table row a rejected request breaks: ``ENDPOINT.request.FIELD.RULE`` (or ``ENDPOINT.request.RULE``)."""
    if exc.field:
        return f"{spec.name}.request.{exc.field}.{exc.rule}"
    return f"{spec.name}.request.{exc.rule}"


def _note_for(spec: codec.EndpointSpec, exc: codec.RequestRejected) -> str:
    f = spec.by_key.get((exc.field or "").lower())
    if f is not None and f.notes:
        differing = [n for n in f.notes if n in spec.notes and spec.notes[n].differs]
        if differing:
            return differing[0]
    if exc.rule == "exclusive":
        return codec.NoteId.SASP_EXCLUDES_LOGIN
    return codec.NoteId.NAMES_CASE_INSENSITIVE


def cite_rule(rule: str) -> str | None:
    """Where a rule's table row comes from: the document and line of the variable it names."""
    parts = rule.split(".")
    if len(parts) >= 3 and parts[0] in codec.ENDPOINTS and parts[1] == "request":
        spec = codec.endpoint_spec(parts[0])
        f = spec.by_key.get(parts[2].lower())
        if f is not None:
            return f"{spec.source} line {f.source_line} ({f.name})"
    if len(parts) >= 2 and parts[0] in codec.ENDPOINTS:
        return f"spec/tables/{parts[0]}.json ({'.'.join(parts[1:])})"
    if any(rule in codec.endpoint_spec(name).notes for name in codec.ENDPOINTS):
        return f"spec/readings.toml (note {rule})"
    return None
