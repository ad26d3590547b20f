"""Judging one request a client program sent: strict about what a sender sends, every fault listed.

:func:`judge_client_request` holds a client to what *every* reading accepts: each rule the
request breaks under the documents' letter (the notes' strict readings) is a failure citing its
table row and the code the vendor answers for it, the one the vendor answers first marked --
including a fault only a note's lenient reading forgives (saspSessionID beside loginName, country
``gb``), since a vendor taking the strict reading refuses it -- unless the run is lenient.  Where
the documents leave the outcome open (a blank optional value, a name spelled in another case) the
request passes with a note.  An unknown path is a failure.

A request the kit kept only part of (``--max-request-bytes``) is judged by :func:`judge_cut_request`:
only what the part shows for certain.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote_to_bytes

import codec

from ..asgi import ROUTES, method_refusal
from ..judge import SENDER, grade, lenient_note, request_row
from ..report import cut
from ..results import Finding

__all__ = ["judge_client_request", "judge_cut_request", "judge_received"]


def _unknown_path(method: str, path: str) -> Finding:
    near = [name for p, name in ROUTES.items() if p.lower() == path.lower() or p.replace("!", "") == path]
    if near:
        spec = codec.endpoint_spec(near[0])
        return Finding("failure", f"{spec.name}.endpoint.path", f"{method} {cut(path)}: the endpoint is {spec.path}")
    known = " and ".join(sorted(ROUTES))
    return Finding("failure", "endpoint.path", f"{method} {cut(path)}: no endpoint there; the API has {known}")


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
                    f"sent {cut(name)!r}; the table spells it {f.name} (case may matter)",
                )
            )
        if value == "" and f.presence != "required" and codec.NoteId.BLANK_VALUE in spec.notes:
            notes.append(
                Finding(
                    "note", codec.NoteId.BLANK_VALUE, f"{f.name} sent empty: read as absent; a vendor may answer -4"
                )
            )
    return notes


def _key(fault: codec.RequestFault) -> tuple[int, str | None, str, str | None]:
    return fault.code, fault.field, fault.rule, fault.argument


def _content_type(spec: codec.EndpointSpec, content_type: str | None) -> list[Finding]:
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime == spec.content_type:
        return []
    shown = cut(repr(content_type))
    return [
        Finding(
            "failure",
            f"{spec.name}.endpoint.request_content_type",
            f"Content-Type {shown}; the API takes {spec.content_type}",
        )
    ]


def _fault_finding(fault: codec.RequestFault, *, first: bool, also: str = "") -> Finding:
    """A fault as a failure citing its table row: the vendor's code and message, and whether
    the vendor answers this one first."""
    answered = "; the vendor answers this one first" if first else ""
    return Finding(
        "failure",
        fault.row,
        cut(fault.detail) + answered + also,
        details={"code": fault.code, "argument": fault.argument, "answers_first": first},
    )


def judge_client_request(
    path: str, *, method: str, scheme: str, content_type: str | None, body: bytes, lenient: bool = False
) -> tuple[str | None, tuple[Finding, ...]]:
    """The endpoint *path* names (None: unknown, a failure) and the findings for one request.

    Every fault :func:`codec.request_faults` finds under the strict reading is graded as sent
    (:func:`~conformance.judge.grade`, the rule server mode uses too): a failure citing its table
    row (the first of them is the one the vendor answers), except one that a note's lenient
    reading forgives where the note lets a sender take it (``both``) or *lenient* is set -- then a
    note naming it.  A forgiven fault that stays a failure says which note would forgive it.
    Notes are added for what the documents leave open (see :func:`_open_questions`)."""
    endpoint = ROUTES.get(path)
    if endpoint is None:
        return None, (_unknown_path(method, path),)
    spec = codec.endpoint_spec(endpoint)
    refusal = method_refusal(endpoint, method)
    if refusal is not None:  # compared exactly (``post`` too); the method's -17 says it all
        return endpoint, (Finding("failure", request_row(spec, refusal), refusal.message),)
    findings = _content_type(spec, content_type)

    def faults(strict: bool) -> tuple[codec.RequestFault, ...]:
        return codec.request_faults(
            endpoint, body, method=method, scheme=scheme, content_type=content_type, strict=strict
        )

    strict_faults = faults(True)
    lenient_faults = faults(False) if strict_faults else ()
    kept = set(map(_key, lenient_faults))
    answered_first = (lenient_faults if lenient else strict_faults)[:1]
    for f in strict_faults:
        if _key(f) in kept:
            findings.append(_fault_finding(f, first=f in answered_first))
            continue
        note = lenient_note(spec, f)
        if grade(spec.notes.get(note), SENDER, lenient=lenient) == "note":
            findings.append(Finding("note", note, cut(f.detail)))
            continue
        reading = spec.notes[note].strict if note in spec.notes else ""
        whole = " (the lenient reading accepts the request)" if not lenient_faults else ""
        also = f"; only note {note}'s lenient reading forgives it{whole} (strict reading: {reading})"
        findings.append(_fault_finding(f, first=f in answered_first, also=also))
    strict_keys = set(map(_key, strict_faults))
    findings += [_fault_finding(f, first=f in answered_first) for f in lenient_faults if _key(f) not in strict_keys]
    if not any(f.severity == "failure" for f in findings):
        findings.extend(_open_questions(spec, body))
    return endpoint, tuple(findings)


def judge_received(
    path: str, *, method: str, scheme: str, content_type: str | None, body: bytes, size: int, lenient: bool = False
) -> tuple[str | None, tuple[Finding, ...]]:
    """:func:`judge_client_request`, or :func:`judge_cut_request` when *body* is only the first
    part of a body of *size* bytes (-1: *body* is all of it)."""
    if size > len(body):
        return judge_cut_request(
            path, method=method, scheme=scheme, content_type=content_type, kept=body, size=size, lenient=lenient
        )
    return judge_client_request(
        path, method=method, scheme=scheme, content_type=content_type, body=body, lenient=lenient
    )


# what a part of a request cannot show: a variable the rest may still bring
_ABSENCE_RULES = frozenset({"required", "required_unless", "required_when"})


def judge_cut_request(
    path: str, *, method: str, scheme: str, content_type: str | None, kept: bytes, size: int, lenient: bool = False
) -> tuple[str | None, tuple[Finding, ...]]:
    """Findings for a request of *size* bytes of which the kit kept only the first ``len(kept)``.

    The kept part is judged up to its last whole pair, and only for what the rest cannot undo
    (every fault but a missing variable); the pair the cut fell in is judged by what it already
    shows: a name longer than any variable's is unrecognised (-2), a value already longer than
    its variable's limit is invalid (-4).  The cut itself is a note: the verdict on what was not
    kept is not given."""
    cut_note = Finding(
        "note",
        "kit.max-request-bytes",
        f"the body was {size} bytes; the kit kept and judged the first {len(kept)} (--max-request-bytes)",
    )
    endpoint = ROUTES.get(path)
    if endpoint is None:
        return None, (_unknown_path(method, path), cut_note)
    whole, _, partial = kept.rpartition(b"&")
    if not _:  # no whole pair at all
        whole, partial = b"", kept
    _, judged = judge_client_request(
        path, method=method, scheme=scheme, content_type=content_type, body=whole, lenient=lenient
    )
    findings = [f for f in judged if f.severity == "failure" and f.rule.rsplit(".", 1)[-1] not in _ABSENCE_RULES]
    findings += _cut_pair(codec.endpoint_spec(endpoint), partial)
    return endpoint, (*findings, cut_note)


def _cut_pair(spec: codec.EndpointSpec, partial: bytes) -> list[Finding]:
    """What the pair a cut fell in already shows for certain."""
    raw_name, equals, raw_value = partial.partition(b"=")
    longest = max(len(f.name) for f in spec.fields)
    if len(raw_name) > 12 * longest:  # even as percent-encoded 4-byte characters, no variable's name
        shown = cut(raw_name.decode("utf-8", "replace"))
        return [
            Finding(
                "failure",
                f"{spec.name}.request.unrecognised",
                f"a name of over {len(raw_name)} bytes ({shown!r}) is not a variable of {spec.name} (vendor error -2)",
                details={"code": -2, "argument": None, "answers_first": False},
            )
        ]
    f = spec.by_key.get(unquote_to_bytes(raw_name.replace(b"+", b" ")).decode("utf-8", "replace").lower())
    if not equals or f is None or f.max_length is None:
        return []
    # the cut may fall inside a percent escape or a character: count the whole characters before it
    value = _PARTIAL_ESCAPE.sub(b"", raw_value)
    length = len(unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8", "ignore"))
    if length <= f.max_length:
        return []
    return [
        Finding(
            "failure",
            f"{spec.name}.request.{f.name}.max_length",
            f"{f.name}: at least {length} characters, more than the {f.max_length} allowed (vendor error -4)",
            details={"code": -4, "argument": f.name, "answers_first": False},
        )
    ]


_PARTIAL_ESCAPE: Final = re.compile(rb"%[0-9A-Fa-f]?\Z")
