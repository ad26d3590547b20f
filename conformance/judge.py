"""Judging one exchange against the tables: what is a failure, and what is only a note.

The kit's one grading rule, for every mode: **strict about what a sender sends, every allowed
reading in what a receiver accepts.**  :func:`grade` applies it to one departure from the
documents' letter, from the note that allows the departure (its ``lenient_for``), the side of the
implementation (a server *receives* a request and *sends* an answer; a client sends requests) and
``--lenient``.  Both server mode (here) and client mode (:mod:`conformance.client.judging`) call it.

Every answer of these APIs is HTTP 200; the verdict lives in ``errorCode``, the message and the
format.  :func:`judge_response` decodes an answer with the codec (leniently), then:

* a departure of the answer that a note allows is graded as *sent*: a note when the note serves
  senders too (the documents are silent or contradict each other), a *failure* citing the table
  row when its letter is explicit (the note serves receivers only) -- a note with ``--lenient``;
* anything else the tables forbid is a *failure* naming the table row it breaks;
* the code must be one the check expects; a code outside that set but inside the set a note
  accepts for this request is graded as *received* (how the server read the request): a note.

:func:`judge_request` does the same for a request a client sent (client mode);
:func:`cite_rule` says where a rule a finding names comes from.
"""

from __future__ import annotations

from typing import Any, Final, Literal

import attrs

import codec

from .results import Exchange, Finding, Severity

__all__ = [
    "RECEIVER",
    "SENDER",
    "SUCCESS",
    "Expectation",
    "Side",
    "Verdict",
    "cite_rule",
    "grade",
    "judge_request",
    "judge_response",
    "lenient_note",
    "request_row",
    "success_codes",
]

SUCCESS = "success"

Side = Literal["sender", "receiver"]
SENDER: Final[Side] = "sender"
"""A client sending a request, a server sending an answer: held to the documents' letter."""
RECEIVER: Final[Side] = "receiver"
"""A server accepting a request, a decoder reading an answer: may take every reading a note allows."""


def grade(note: codec.Note | None, side: Side, *, lenient: bool = False) -> Severity:
    """Whether a departure from the documents' letter is a ``failure`` or a ``note``: the kit's one
    grading rule, for server and client mode alike.

    *note* is the note that allows the departure (None: none does -- a failure); *side* is what
    the implementation did with the message that shows it.  A note whose lenient reading serves
    ``both`` sides (the documents are silent or contradict each other) makes it a note; one that
    serves ``receivers`` only makes it a note for a receiver and a failure for a sender -- the
    letter is explicit there -- unless *lenient* (``--lenient``: for doubles that imitate a vendor
    quirk on purpose); one whose readings are the same (``none``) allows nothing."""
    if note is None or note.lenient_for == "none":
        return "failure"
    if note.lenient_for == "both" or side == RECEIVER or lenient:
        return "note"
    return "failure"


def success_codes(endpoint: str, version: str | None = None) -> frozenset[int]:
    """The codes a valid request may earn: the table's (of document *version*) non-negative codes."""
    return frozenset(c for c in codec.endpoint_spec(endpoint, version).codes if c >= 0)


@attrs.frozen
class Expectation:
    """What a check expects of an answer.

    ``codes`` pass outright; codes in the ``note``'s ``accept.codes`` are reported as notes, and so
    are the codes in ``also`` (what the note allows for this request in particular, e.g. the codes
    of the other faults a request carries under note ``error-precedence``); ``argument`` /
    ``country`` is what a -2/-3/-4 or -7 message must name (a name in ``also_named`` is a note:
    the note allows the message to name any of them); ``action`` makes the status checked against
    the statuses that action may return.
    """

    codes: frozenset[int]
    row: str
    argument: str | None = None
    country: str | None = None
    note: str | None = None
    action: str | None = None
    statuses: frozenset[int] | None = None
    also: frozenset[int] = frozenset()
    also_named: frozenset[str] = frozenset()


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


def _sent_departure(spec: codec.EndpointSpec, d: codec.Deviation, lenient: bool) -> Finding:
    """A departure of a server's answer from the letter, graded as sent (see :func:`grade`)."""
    note = spec.notes.get(d.note)
    if grade(note, SENDER, lenient=lenient) == "note":
        return Finding("note", d.note, d.message)
    if note is None:  # no note allows it: the deviation names the row it breaks
        return Finding("failure", f"{spec.name}.{d.note}", d.message)
    return Finding(
        "failure",
        f"{spec.name}.{d.row or d.note}",
        f"{d.message}: a server sends the letter ({note.strict.rstrip('.')}); note {note.id}'s lenient "
        "reading is a tolerance for receivers only (--lenient reports this as a note)",
    )


def judge_response(exchange: Exchange, expect: Expectation, *, lenient: bool = False, decoded: Any = None) -> Verdict:
    """Judge *exchange*'s answer against the tables and *expect*; *lenient*: departures only a
    receivers' reading allows are notes, not failures (see :func:`grade`).  *decoded*: the
    answer as :func:`codec.decode_response` already read it with the arguments used here (its
    endpoint, content type, response format and version), not to decode it twice."""
    if exchange.endpoint is None:
        return Verdict(None, (Finding("failure", "endpoint.path", f"{exchange.url}: no endpoint there"),))
    spec = codec.endpoint_spec(exchange.endpoint, exchange.version)
    findings: list[Finding] = []
    if exchange.error is not None or exchange.body is None:
        return Verdict(None, (Finding("failure", "transport", f"no answer: {exchange.error}"),))
    coding = (exchange.content_encoding or "identity").strip().lower()
    if coding != "identity":
        said = f"Content-Encoding {exchange.content_encoding[:60]!r}" if exchange.content_encoding else ""
        return Verdict(
            None,
            (
                Finding(
                    "failure",
                    f"{spec.name}.transport.content-encoding",
                    f"the answer is coded ({said}) though the request said Accept-Encoding: identity; "
                    "the vendor's answers are plain bodies (the kit does not decode it)",
                ),
            ),
        )
    if exchange.status != 200:
        findings.append(
            Finding(
                "failure",
                f"{spec.name}.transport.http-200",
                f"HTTP {exchange.status}; the vendor answers every request with HTTP 200 and a vendor body",
            )
        )
    response = decoded
    if response is None:
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
    findings.extend(_sent_departure(spec, d, lenient) for d in response.deviations)
    code = response.error_code
    accepted = _accepts(spec, expect.note) | expect.also
    if code not in expect.codes:
        # which code a request earns is how the server read it: graded as received
        if code in accepted and grade(spec.notes.get(expect.note or ""), RECEIVER, lenient=lenient) == "note":
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
            named = detail.argument
            if expect.argument is not None and named is not None and named.casefold() != expect.argument.casefold():
                if named.casefold() in {n.casefold() for n in expect.also_named} and expect.note:
                    findings.append(
                        Finding(
                            "note",
                            expect.note,
                            f"the message names {named!r} (the reading names {expect.argument!r}; note "
                            f"{expect.note} allows any of {', '.join(sorted(expect.also_named | {expect.argument}))})",
                        )
                    )
                else:
                    findings.append(
                        Finding(
                            "failure",
                            f"{spec.name}.codes.{code}.message",
                            f"the message names {named!r}, not {expect.argument!r}",
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


def lenient_note(spec: codec.EndpointSpec, fault: codec.RequestRejected | codec.RequestFault) -> str:
    """The note whose lenient reading accepts what *fault* (a strict reading's refusal) refuses."""
    return _note_for(spec, fault)


def _note_for(spec: codec.EndpointSpec, exc: codec.RequestRejected | codec.RequestFault) -> str:
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
    if len(parts) >= 3 and parts[0] in codec.ENDPOINTS:
        spec = codec.endpoint_spec(parts[0])
        found: Any = None
        if parts[1] == "request":
            found = spec.by_key.get(parts[2].lower())
        elif parts[1:3] == ["responses", "parameters"] and len(parts) >= 4:
            found = spec.params_by_key.get(parts[3].lower())
        elif parts[1] == "codes" and parts[2].lstrip("-").isdigit():
            code = spec.codes.get(int(parts[2]))
            if code is not None:
                return f"{spec.source} line {code.source_line} (errorCode {code.code})"
        if found is not None:
            return f"{spec.source} line {found.source_line} ({found.name})"
    if len(parts) >= 2 and parts[0] in codec.ENDPOINTS:
        return f"spec/tables/{parts[0]}.json ({'.'.join(parts[1:])})"
    if any(rule in codec.endpoint_spec(name).notes for name in codec.ENDPOINTS):
        return f"spec/readings.toml (note {rule})"
    return None
