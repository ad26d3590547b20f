"""Judging one request a client program sent: strict about what a sender sends.

:func:`judge_client_request` holds a client to what *every* reading accepts: a request the
documents' letter forbids (the notes' strict readings) is a failure citing the table row --
including one that only a note's lenient reading would accept (saspSessionID beside loginName,
country ``gb``), since a vendor taking the strict reading refuses it -- unless the run is lenient.
Where the documents leave the outcome open (a blank optional value, a name spelled in another
case) the request passes with a note.  An unknown path is a failure.
"""

from __future__ import annotations

import codec

from ..asgi import ROUTES, method_refusal
from ..judge import SENDER, grade, judge_request, request_row
from ..results import Finding

__all__ = ["judge_client_request"]


def _unknown_path(method: str, path: str) -> Finding:
    near = [name for p, name in ROUTES.items() if p.lower() == path.lower() or p.replace("!", "") == path]
    if near:
        spec = codec.endpoint_spec(near[0])
        return Finding("failure", f"{spec.name}.endpoint.path", f"{method} {path}: the endpoint is {spec.path}")
    known = " and ".join(sorted(ROUTES))
    return Finding("failure", "endpoint.path", f"{method} {path}: no endpoint there; the API has {known}")


def _open_questions(spec: codec.EndpointSpec, body: bytes) -> list[Finding]:
    """Notes for what the documents leave open: names spelled unlike the table, blank optional values."""
    try:
        pairs = codec.decode_form(body)
    except codec.FormError:
        return []
    notes: list[Finding] = []
    for name, value in pairs:
        f = spec.by_key.get(name.lower())
        if f is None:
            continue
        if name != f.name and codec.NoteId.NAMES_CASE_INSENSITIVE in spec.notes:
            notes.append(
                Finding(
                    "note",
                    codec.NoteId.NAMES_CASE_INSENSITIVE,
                    f"sent {name!r}; the table spells it {f.name} (case may matter)",
                )
            )
        if value == "" and f.presence != "required" and codec.NoteId.BLANK_VALUE in spec.notes:
            notes.append(
                Finding(
                    "note", codec.NoteId.BLANK_VALUE, f"{f.name} sent empty: read as absent; a vendor may answer -4"
                )
            )
    return notes


def judge_client_request(
    path: str, *, method: str, scheme: str, content_type: str | None, body: bytes, lenient: bool = False
) -> tuple[str | None, tuple[Finding, ...]]:
    """The endpoint *path* names (None: unknown, a failure) and the findings for one request.

    :func:`~conformance.judge.judge_request` decides; a request it accepts only under a note's
    lenient reading is graded as sent (:func:`~conformance.judge.grade`, the rule server mode
    uses too): a failure naming the strict reading's table row and the note where the note serves
    receivers only, unless *lenient*.  Notes are added for what the documents leave open (see
    :func:`_open_questions`)."""
    endpoint = ROUTES.get(path)
    if endpoint is None:
        return None, (_unknown_path(method, path),)
    spec = codec.endpoint_spec(endpoint)
    refusal = method_refusal(endpoint, method)
    if refusal is not None:  # compared exactly (``post`` too); the method's -17 says it all
        return endpoint, (Finding("failure", request_row(spec, refusal), refusal.message),)
    _, judged = judge_request(endpoint, method=method, scheme=scheme, content_type=content_type, body=body)
    findings: list[Finding] = []
    for f in judged:
        if f.severity == "note" and grade(spec.notes.get(f.rule), SENDER, lenient=lenient) == "failure":
            try:
                codec.decode_request(
                    endpoint, body, method=method, scheme=scheme, content_type=content_type, strict=True
                )
                row = f.rule
            except codec.RequestRejected as exc:
                row = request_row(spec, exc)
            reading = spec.notes[f.rule].strict if f.rule in spec.notes else ""
            findings.append(
                Finding(
                    "failure",
                    row,
                    f"{f.message}; only note {f.rule}'s lenient reading accepts it (strict reading: {reading})",
                )
            )
        else:
            findings.append(f)
    if not any(f.severity == "failure" for f in findings):
        findings.extend(_open_questions(spec, body))
    return endpoint, tuple(findings)
