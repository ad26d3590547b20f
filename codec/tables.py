"""The spec tables as typed, frozen classes, built once at import from the generated data.

``codec/_tables.py`` holds each endpoint's table as written by ``python -m spec regenerate``;
this module turns it into :class:`EndpointSpec` objects -- fields with their value kinds, rules,
policy, response formats and parameters, statuses, codes with their templates, notes and the
version history -- and checks, at import, that every note the tables cite exists (a table citing
an unknown note fails the import with the table row that cites it).

:func:`endpoint_spec` binds an endpoint to a document version: the newest (:data:`ENDPOINTS`,
built at import), an older document kept in spec/sources (``VERSION_TABLES``, built on first
use), or a version only a history lists (the next document cut back to the variables that
existed then).  Each bound spec is built once and kept, and hashed by identity, so the codec
keeps what it works out per version in :class:`PerSpec` caches.  :data:`MODEL_FIELDS` and
:data:`MODEL_PARAMS` are the variables and parameters of the typed classes: every kept version's.

Nothing here types a limit, code or value, and nothing re-derives what the generator wrote:
attribute names, the order of versions, the kind of each variable are read from the tables.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal, TypeVar

import attrs

from ._notes import NoteId
from ._tables import COUNTRIES, TABLES, VERSION_TABLES
from .errors import UnknownEndpoint, UnknownVersion, wrong_type
from .kinds import Check, ValueKind, Verdict, kind_from_row

__all__ = [
    "AUTO_APPLY_IDA",
    "COUNTRIES",
    "DOCUMENT_VERSIONS",
    "ENDPOINTS",
    "INTEGER_TEXT",
    "MODEL_FIELDS",
    "MODEL_PARAMS",
    "UPDATE_USER_EV_CLICK_THROUGH",
    "VERSIONS",
    "CodeClass",
    "CodeSpec",
    "DeliveryMeaning",
    "EndpointSpec",
    "ExclusiveRule",
    "FieldSpec",
    "LineLayout",
    "MessageAllowance",
    "NewlineFormat",
    "Note",
    "NoteId",
    "ParamSpec",
    "PerSpec",
    "Policy",
    "Presence",
    "PresenceAllowance",
    "RequiredUnlessRule",
    "RequiredWhenRule",
    "ResponseFormat",
    "Rule",
    "StatusSpec",
    "TableError",
    "UrlencodedFormat",
    "VersionEntry",
    "canonical_endpoint",
    "code_class",
    "endpoint_spec",
    "media_type",
    "request_members",
    "response_members",
]

AUTO_APPLY_IDA = "AutoApplyIdA"
UPDATE_USER_EV_CLICK_THROUGH = "UpdateUserEvClickThrough"


class TableError(ValueError):
    """The generated tables are not what this codec reads (stale or hand-edited): which endpoint,
    which row, what is wrong.  Run ``python -m spec regenerate``."""


CodeClass = Literal["zero", "positive", "negative"]

INTEGER_TEXT = rf"-?[0-9]{{1,{sys.int_info.str_digits_check_threshold}}}"
"""A response integer on the wire: at most as many digits as ``int()`` converts under any
interpreter setting (longer ones raise ValueError)."""


def code_class(code: int) -> CodeClass:
    """How the notes group status codes: ``zero`` (success), ``positive``, ``negative`` (errors)."""
    return "zero" if code == 0 else ("positive" if code > 0 else "negative")


# --------------------------------------------------------------------------- notes


@attrs.frozen
class PresenceAllowance:
    """A note's ``accept.presence`` item: with codes of class ``codes``, the ``parameters`` may be
    present or absent whatever the letter says."""

    codes: CodeClass
    parameters: tuple[str, ...]


@attrs.frozen
class MessageAllowance:
    """A note's ``accept.messages`` item: code ``code``'s message may differ from its template:
    ``any`` message, or one equal to it ``casefold``-ed."""

    code: int
    match: Literal["any", "casefold"]

    def allows(self, message: str, template: str) -> bool:
        return self.match == "any" or message.casefold() == template.casefold()


LenientFor = Literal["receivers", "both", "none"]
"""Whom a note's lenient reading serves: ``receivers`` only (a sender -- a client sending a
request, a server sending an answer -- is held to the strict reading, the letter being explicit),
``both`` (the documents are silent or contradict each other: a sender may take it too), or
``none`` (strict and lenient are the same)."""


@attrs.frozen
class Note:
    """A reading of ``spec/readings.toml``: what the documents say (``finding``), what this
    project does (``reading``), the ``strict`` and ``lenient`` behaviours (``differs``: they are
    not the same), whom the lenient one serves (``lenient_for``) and what a peer following either
    may do (``accept_*``)."""

    id: NoteId
    topic: str
    fields: tuple[str, ...]
    finding: str
    reading: str
    strict: str
    lenient: str
    differs: bool
    lenient_for: LenientFor = "none"
    accept_codes: frozenset[int] = frozenset()
    accept_presence: tuple[PresenceAllowance, ...] = ()
    accept_messages: tuple[MessageAllowance, ...] = ()


# --------------------------------------------------------------------------- request


@attrs.frozen
class ExclusiveRule:
    """``field`` excludes ``excludes`` (saspSessionID and the login variables): ``error_code``."""

    kind: ClassVar[str] = "exclusive"
    id: str
    field: str
    excludes: tuple[str, ...]
    error_code: int
    note: NoteId
    source_line: int


@attrs.frozen
class RequiredUnlessRule:
    """``fields`` are required unless ``unless`` is sent."""

    kind: ClassVar[str] = "required_unless"
    id: str
    fields: tuple[str, ...]
    unless: str
    error_code: int
    note: NoteId
    source_line: int


@attrs.frozen
class RequiredWhenRule:
    """``field`` is required when ``when_field`` equals ``when_equals``."""

    kind: ClassVar[str] = "required_when"
    id: str
    field: str
    when_field: str
    when_equals: str
    error_code: int
    note: NoteId
    source_line: int


Rule = ExclusiveRule | RequiredUnlessRule | RequiredWhenRule
_R = TypeVar("_R", ExclusiveRule, RequiredUnlessRule, RequiredWhenRule)


def _note_id(value: str, where: str) -> NoteId:
    """A note id the tables cite at *where*, as its constant."""
    try:
        return NoteId(value)
    except ValueError:
        raise TableError(f"{where} cites note {value!r}, which codec/_notes.py does not have") from None


def _rule(row: Mapping[str, Any]) -> Rule:
    kind = row["kind"]
    common = {
        "id": row["id"],
        "error_code": row["error_code"],
        "note": _note_id(row["note"], f"request.rules.{row['id']}"),
    }
    common["source_line"] = row["source_line"]
    if kind == ExclusiveRule.kind:
        return ExclusiveRule(field=row["field"], excludes=tuple(row["excludes"]), **common)
    if kind == RequiredUnlessRule.kind:
        return RequiredUnlessRule(fields=tuple(row["fields"]), unless=row["unless"], **common)
    if kind == RequiredWhenRule.kind:
        when = row["when"]
        return RequiredWhenRule(field=row["field"], when_field=when["field"], when_equals=when["equals"], **common)
    raise TableError(f"rule {row['id']}: kind {kind!r} is not one this codec enforces")


@attrs.frozen
class FieldSpec:
    """One request variable, as its table row says.  ``kind`` is its value kind (with the allowed
    values); ``since`` the document version it appeared in."""

    name: str
    key: str
    attribute: str
    type: Literal["integer", "string"]
    kind: ValueKind
    max_length: int | None
    presence: Literal["required", "optional", "conditional"]
    default: str | None
    special_values: tuple[str, ...]
    since: str
    secret: bool
    notes: tuple[NoteId, ...]
    description: str
    source_line: int
    _checks: tuple[Check, Check] = attrs.field(eq=False, repr=False)

    @property
    def row(self) -> str:
        """The table row this field is, for citing: ``request.product``."""
        return f"request.{self.name}"

    def checker(self, strict: bool) -> Check:
        """The check of one non-empty value of this variable (built once)."""
        return self._checks[0 if strict else 1]

    def check(self, value: str, *, strict: bool) -> Verdict:
        """None, or (vendor code, rule, detail) for one non-empty sent value."""
        return self._checks[0 if strict else 1](value)


@attrs.frozen
class Policy:
    """The project's decisions that apply to a whole endpoint (``[policy]`` of the readings)."""

    error_precedence: tuple[int, ...]
    blank_value_is_absent: bool
    duplicate_name_code: int
    exclusive_violation_code: int
    fon_not_unique_code: int
    format0_line_ending: str
    format0_trailing_newline: bool
    amount_pattern: str
    click_through_unknown_order_message: str

    def rank(self, code: int) -> int:
        """A code's place in ``error_precedence`` (codes not in it come last)."""
        order = self.error_precedence
        return order.index(code) if code in order else len(order)


# --------------------------------------------------------------------------- responses


@attrs.frozen
class Presence:
    """When the letter has a response parameter present: ``always``, with the codes ``code_in``,
    with every code but ``code_not_in``, or ``sometimes`` (never by the letter)."""

    kind: Literal["always", "code_in", "code_not_in", "sometimes"]
    codes: frozenset[int] = frozenset()

    @property
    def always(self) -> bool:
        return self.kind == "always"

    def present_for(self, code: int) -> bool:
        """Whether the document's letter says the parameter is present with *code*."""
        if self.kind == "always":
            return True
        if self.kind == "code_in":
            return code in self.codes
        if self.kind == "code_not_in":
            return code not in self.codes
        return False


def _presence(row: Mapping[str, Any]) -> Presence:
    for kind in ("code_in", "code_not_in"):
        if kind in row:
            return Presence(kind, frozenset(row[kind]))
    if row.get("always"):
        return Presence("always")
    if row.get("sometimes"):
        return Presence("sometimes")
    raise TableError(f"presence {row!r} is not one this codec reads")


@attrs.frozen
class ParamSpec:
    """One response parameter (the URL-encoded name; the newline format's lines map to these)."""

    name: str
    key: str
    attribute: str
    type: Literal["integer", "amount", "string"]
    presence: Presence
    description: str
    source_line: int

    def present_for(self, code: int) -> bool:
        return self.presence.present_for(code)


@attrs.frozen
class LineLayout:
    """The newline format's lines: parameter names by line, for negative and other codes."""

    code_negative: tuple[str, ...]
    code_non_negative: tuple[str, ...]

    def for_code(self, code: int) -> tuple[str, ...]:
        return self.code_negative if code < 0 else self.code_non_negative


@attrs.frozen
class ResponseFormat:
    """One response format: the ``responseFormat`` value that picks it (``key``; None for an
    endpoint with a single format), its MIME type and the expected-delivery hours it lists."""

    key: str | None
    name: str
    mime_type: str
    expected_delivery: tuple[int, ...]

    @property
    def row(self) -> str:
        return f"responses.formats.{self.key}"


@attrs.frozen
class NewlineFormat(ResponseFormat):
    """Values one per line (AutoApplyIdA's format 0), laid out by ``lines``."""

    lines: LineLayout


@attrs.frozen
class UrlencodedFormat(ResponseFormat):
    """``name=value&...`` with the parameters' names."""


def _format(row: Mapping[str, Any]) -> ResponseFormat:
    common = {
        "key": row["value"],
        "name": row["name"],
        "mime_type": row["mime_type"],
        "expected_delivery": tuple(row.get("expected_delivery", ())),
    }
    if row["name"] == "newline":
        lines = row["lines"]
        return NewlineFormat(
            lines=LineLayout(tuple(lines["code_negative"]), tuple(lines["code_non_negative"])), **common
        )
    if row["name"] == "urlencoded":
        return UrlencodedFormat(**common)
    raise TableError(f"response format {row['name']!r} is not one this codec reads")


@attrs.frozen
class StatusSpec:
    """UpdateUserEvClickThrough's ``status``: its value, the actions it answers, its text."""

    status: int
    actions: tuple[str, ...]
    description: str
    source_line: int


@attrs.frozen
class CodeSpec:
    """An error (or status) code, its message template and where its placeholder is."""

    code: int
    kind: str
    message: str
    placeholder_token: str | None
    placeholder_kind: str | None
    free_text: bool
    pattern: re.Pattern[str]
    source_line: int


def _template_pattern(message: str, token: str | None) -> re.Pattern[str]:
    if token is None:
        return re.compile(re.escape(message) + r"\Z")
    before, _, after = message.partition(f"'{token}'")
    return re.compile(re.escape(before) + "'(.*)'" + re.escape(after) + r"\Z", re.DOTALL)


@attrs.frozen
class VersionEntry:
    """One line of a document's version history."""

    version: str
    change: str
    added: tuple[str, ...]
    changed: tuple[str, ...]
    source_line: int


@attrs.frozen
class DeliveryMeaning:
    """What an expectedDeliveryTime value means (AutoApplyIdA's newline format lists them)."""

    hours: int
    meaning: str
    source_line: int


# --------------------------------------------------------------------------- endpoints


@attrs.frozen(unsafe_hash=False)
class EndpointSpec:
    """Everything the codec knows about one endpoint bound to one document version, from its
    table: ``version`` is the version bound (:func:`endpoint_spec`), ``document_version`` the
    version of the document the table was made from -- the same, unless the version is one a
    history lists without a document kept for it (then the variables are the later document's
    that its history says existed by then).

    Hashed by identity (each bound version is one object, made once), so per-version data can be
    kept in a dict keyed by the spec itself."""

    __hash__ = object.__hash__

    name: str
    path: str
    url: str
    method: str
    content_type: str
    document_version: str
    version: str  # the document version this spec binds
    source: str  # the document the table was made from (spec/sources/...)
    source_sha256: str
    fields: tuple[FieldSpec, ...]
    by_key: Mapping[str, FieldSpec]
    rules: tuple[Rule, ...]
    codes: Mapping[int, CodeSpec]
    params: tuple[ParamSpec, ...]
    params_by_key: Mapping[str, ParamSpec]
    response_names_case_insensitive: bool  # the response table says its names are case-insensitive
    format_field: str | None  # the variable that picks the response format (responseFormat)
    formats: Mapping[str | None, ResponseFormat]
    expected_delivery_meanings: tuple[DeliveryMeaning, ...]
    statuses: Mapping[int, StatusSpec]
    actions: tuple[str, ...]
    policy: Policy
    notes: Mapping[str, Note]
    history: tuple[VersionEntry, ...]
    versions: tuple[str, ...]  # the history up to ``version``, oldest first, as the document lists them
    _letter: Mapping[int, frozenset[str]] = attrs.field(eq=False, repr=False)
    _presence_notes: Mapping[tuple[str, CodeClass], NoteId] = attrs.field(eq=False, repr=False)
    _message_notes: Mapping[int, tuple[NoteId, MessageAllowance]] = attrs.field(eq=False, repr=False)
    table: Mapping[str, Any] = attrs.field(eq=False, repr=False)  # the raw table, for provenance only

    def bound(self, version: str | None) -> EndpointSpec:
        """This endpoint bound to document *version* (None: this spec itself); see
        :func:`endpoint_spec`.  Raises :class:`UnknownVersion` for a version no table lists."""
        if version is None or version == self.version:
            return self
        return endpoint_spec(self.name, version)

    def fields_in(self, version: str | None) -> tuple[FieldSpec, ...]:
        """The variables a codec bound to document *version* (None: this spec's) recognises.
        Raises :class:`UnknownVersion` (a ValueError) for a version no table lists."""
        return self.bound(version).fields

    def keys_in(self, version: str | None) -> Mapping[str, FieldSpec]:
        """``{name key: variable}`` for the variables a codec bound to *version* recognises."""
        return self.by_key if version is None else self.bound(version).by_key

    @property
    def order_parameters(self) -> frozenset[str]:
        """The parameters the letter has only with errorCode=0: a successful order's number, cost
        and delivery time (none for an endpoint whose parameters are always present)."""
        return frozenset(p.name for p in self.params if p.presence.kind == "code_in" and 0 in p.presence.codes)

    def letter_parameters(self, code: int) -> frozenset[str]:
        """The parameters the documents' letter has present with *code* (errorCode included)."""
        found = self._letter.get(code)
        if found is None:
            found = frozenset(p.name for p in self.params if p.name == "errorCode" or p.present_for(code))
        return found

    def format_of(self, body: bytes, content_type: str | None, requested: int | None) -> str | None:
        """Which format key (``"0"``, ``"1"`` or None for single-format endpoints) to decode *body*
        with: the *requested* one, else the one whose MIME type *content_type* names, else the
        URL-encoded one when the body starts with ``errorCode=``, the other otherwise."""
        if None in self.formats:
            return None
        if requested is not None:
            return str(requested)
        mime = media_type(content_type)
        for key, f in self.formats.items():
            if mime is not None and f.mime_type == mime:
                return key
        urlencoded = body.split(b"&", 1)[0].split(b"=", 1)[0].lower() == b"errorcode"
        return next(k for k, f in self.formats.items() if isinstance(f, UrlencodedFormat) == urlencoded)

    def rules_of(self, kind: type[_R]) -> tuple[_R, ...]:
        """The rules of one class (``spec.rules_of(RequiredWhenRule)``), in table order."""
        return tuple(r for r in self.rules if isinstance(r, kind))

    def message(self, code: int) -> str | None:
        spec = self.codes.get(code)
        return spec.message if spec else None

    def presence_note(self, parameter: str, code: int) -> NoteId | None:
        """The note allowing *parameter*'s presence to differ from the letter with *code*."""
        return self._presence_notes.get((parameter, code_class(code)))

    def message_note(self, code: int, message: str) -> NoteId | None:
        """The note allowing *message* where *code*'s template is expected, if one does."""
        found = self._message_notes.get(code)
        if found is None or code not in self.codes:
            return None
        note, allowance = found
        return note if allowance.allows(message, self.codes[code].message) else None


def _note(row: Mapping[str, Any]) -> Note:
    accept = dict(row["accept"])
    codes = accept.pop("codes", [])
    presence = accept.pop("presence", [])
    messages = accept.pop("messages", [])
    if accept:
        raise TableError(f"note {row['id']}: accept.{sorted(accept)[0]} is not one this codec reads")
    return Note(
        id=_note_id(row["id"], f"notes.{row['id']}"),
        topic=row["topic"],
        fields=tuple(row["fields"]),
        finding=row["finding"],
        reading=row["reading"],
        strict=row["strict"],
        lenient=row["lenient"],
        differs=row["differs"],
        lenient_for=row["lenient_for"],
        accept_codes=frozenset(codes),
        accept_presence=tuple(PresenceAllowance(p["codes"], tuple(p["parameters"])) for p in presence),
        accept_messages=tuple(MessageAllowance(m["code"], m["match"]) for m in messages),
    )


def _field(row: Mapping[str, Any]) -> FieldSpec:
    kind = kind_from_row(row["kind"], row["allowed"])
    return FieldSpec(
        name=row["name"],
        key=row["key"],
        attribute=row["attribute"],
        type=row["type"],
        kind=kind,
        max_length=row["max_length"],
        presence=row["presence"],
        default=row["default"],
        special_values=tuple(s["value"] for s in row["special_values"]),
        since=row["since"],
        secret=row["secret"],
        notes=tuple(_note_id(n, f"request.{row['name']}.notes") for n in row["notes"]),
        description=row["description"],
        source_line=row["source_line"],
        checks=(kind.checker(row["max_length"], True), kind.checker(row["max_length"], False)),
    )


def _code(row: Mapping[str, Any]) -> CodeSpec:
    placeholder = row["placeholder"]
    token = placeholder["token"] if placeholder else None
    return CodeSpec(
        code=row["code"],
        kind=row["kind"],
        message=row["message"],
        placeholder_token=token,
        placeholder_kind=placeholder["kind"] if placeholder else None,
        free_text=row["free_text"],
        pattern=_template_pattern(row["message"], token),
        source_line=row["source_line"],
    )


def _param(row: Mapping[str, Any]) -> ParamSpec:
    return ParamSpec(
        name=row["name"],
        key=row["key"],
        attribute=row["attribute"],
        type=row["type"],
        presence=_presence(row["presence"]),
        description=row["description"],
        source_line=row["source_line"],
    )


def media_type(content_type: str | None) -> str | None:
    """The media type a Content-Type names, lower-cased and without parameters (cached: a
    client sees a few values).  TypeError for a content type that is not a str."""
    if content_type is None:
        return None
    try:
        found = _MEDIA_TYPES.get(content_type)
    except TypeError:  # unhashable
        found = None
    if found is None:
        if not isinstance(content_type, str):
            raise wrong_type("content_type", content_type, "a str or None")
        found = content_type.split(";", 1)[0].strip().lower()
        if len(_MEDIA_TYPES) < 64:
            _MEDIA_TYPES[content_type] = found
    return found


_MEDIA_TYPES: dict[str, str] = {}


def _check_citations(
    notes: Mapping[str, Note], fields: tuple[FieldSpec, ...], rules: tuple[Rule, ...], versions: list[str]
) -> None:
    """Every note the tables cite exists, every version a field appeared in is in the history."""
    cited = [(f"request.{f.name}.notes", n) for f in fields for n in f.notes]
    cited += [(f"request.rules.{r.id}.note", r.note) for r in rules]
    for row, note in cited:
        if note not in notes:
            raise TableError(f"{row} cites note {note.value!r}, which the table does not have")
    for f in fields:
        if f.since not in versions:
            raise TableError(f"request.{f.name}.since is {f.since!r}, not a version of its history")


def _allowances(
    params: tuple[ParamSpec, ...], notes: Mapping[str, Note]
) -> tuple[dict[tuple[str, CodeClass], NoteId], dict[int, tuple[NoteId, MessageAllowance]]]:
    presence: dict[tuple[str, CodeClass], NoteId] = {}
    messages: dict[int, tuple[NoteId, MessageAllowance]] = {}
    known = {p.name for p in params}
    for note in notes.values():
        for p in note.accept_presence:
            for parameter in p.parameters:
                if parameter not in known or (parameter, p.codes) in presence:
                    raise TableError(f"notes.{note.id}.accept.presence: {parameter} unknown or allowed twice")
                presence[(parameter, p.codes)] = note.id
        for m in note.accept_messages:
            if m.code in messages:
                raise TableError(f"notes.{note.id}.accept.messages: code {m.code} allowed twice")
            messages[m.code] = (note.id, m)
    return presence, messages


def _build(table: Mapping[str, Any]) -> EndpointSpec:
    ep = table["endpoint"]
    name = ep["name"]
    try:
        notes = {n["id"]: _note(n) for n in table["notes"]}
        fields = tuple(_field(f) for f in table["request"]["fields"])
        rules = tuple(_rule(r) for r in table["request"]["rules"])
        history = tuple(
            VersionEntry(h["version"], h["change"], tuple(h["added"]), tuple(h["changed"]), h["source_line"])
            for h in table["version_history"]
        )
        versions = tuple(h.version for h in history)
        _check_citations(notes, fields, rules, list(versions))
        params = tuple(_param(p) for p in table["responses"]["parameters"])
        presence_notes, message_notes = _allowances(params, notes)
        responses = table["responses"]
        codes = {c["code"]: _code(c) for c in table["codes"]}
        letter = {
            code: frozenset(p.name for p in params if p.name == "errorCode" or p.present_for(code)) for code in codes
        }
        return EndpointSpec(
            name=name,
            path=ep["path"],
            url=ep["url"],
            method=ep["method"],
            content_type=ep["request_content_type"],
            document_version=table["document_version"],
            version=table["document_version"],
            source=table["provenance"]["source"],
            source_sha256=table["provenance"]["source_sha256"],
            fields=fields,
            by_key={f.key: f for f in fields},
            rules=rules,
            codes=codes,
            params=params,
            params_by_key={p.key: p for p in params},
            response_names_case_insensitive=responses["names_case_insensitive"],
            format_field=responses["selected_by"],
            formats={f["value"]: _format(f) for f in responses["formats"]},
            expected_delivery_meanings=tuple(
                DeliveryMeaning(d["hours"], d["meaning"], d["source_line"])
                for d in responses.get("expected_delivery_meanings", ())
            ),
            statuses={
                s["status"]: StatusSpec(s["status"], tuple(s["actions"]), s["description"], s["source_line"])
                for s in table["statuses"]
            },
            actions=tuple(a["value"] for a in table["actions"]),
            policy=Policy(**{**table["policy"], "error_precedence": tuple(table["policy"]["error_precedence"])}),
            notes=notes,
            history=history,
            versions=versions,
            letter=letter,
            presence_notes=presence_notes,
            message_notes=message_notes,
            table=table,
        )
    except TableError as exc:
        raise TableError(f"codec/_tables.py: {name}.{exc} (run `python -m spec regenerate`)") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise TableError(
            f"codec/_tables.py: {name}: {type(exc).__name__}: {exc} -- the tables are not what this codec reads "
            "(run `python -m spec regenerate`)"
        ) from None


ENDPOINTS: Mapping[str, EndpointSpec] = {name: _build(table) for name, table in TABLES.items()}
"""Every endpoint's spec, by its name as the tables spell it: the newest document's."""
_BY_LOWER = {name.lower(): name for name in ENDPOINTS}
_KNOWN = tuple(sorted(ENDPOINTS))


def _version_key(version: str) -> tuple[int, ...]:
    """``"1.05"`` -> ``(1, 5)`` (the tables' versions are ``MAJOR.MINOR``, as the generator read them)."""
    return tuple(int(part) for part in version.split("."))


def _documents(name: str) -> dict[str, Mapping[str, Any]]:
    """Every table of *name* by its document version: the older documents' and the newest's."""
    return {**VERSION_TABLES.get(name, {}), ENDPOINTS[name].version: TABLES[name]}


DOCUMENT_VERSIONS: Mapping[str, tuple[str, ...]] = {
    name: tuple(sorted(_documents(name), key=_version_key)) for name in ENDPOINTS
}
"""Every endpoint's document versions with a table of their own (kept in spec/sources), oldest first."""
VERSIONS: Mapping[str, tuple[str, ...]] = {
    name: tuple(
        sorted({h["version"] for t in _documents(name).values() for h in t["version_history"]}, key=_version_key)
    )
    for name in ENDPOINTS
}
"""Every version a codec can bind each endpoint to, oldest first: every version a kept document's
history lists (those in :data:`DOCUMENT_VERSIONS` bind to their own table)."""

_BOUND: dict[tuple[str, str], EndpointSpec] = {(name, spec.version): spec for name, spec in ENDPOINTS.items()}


def _applies(rule: Rule, names: set[str]) -> bool:
    """Whether a rule still applies to a version that has only the variables *names* (a
    required-unless rule whose exception came later makes its variables plainly required)."""
    if isinstance(rule, ExclusiveRule):
        return rule.field in names
    if isinstance(rule, RequiredUnlessRule):
        return set(rule.fields) <= names
    return rule.field in names and rule.when_field in names


def _history_subset(later: EndpointSpec, version: str) -> EndpointSpec:
    """*later* (a document's spec) cut back to *version*, which its history lists: the variables
    its history says existed by then, the history up to it, and -- when the variable choosing the
    response format came later -- the one format *later* answers in by default; everything else
    as *later* says."""
    rank = {v: i for i, v in enumerate(later.versions)}
    fields = tuple(f for f in later.fields if rank[f.since] <= rank[version])
    names = {f.name for f in fields}
    history = tuple(h for h in later.history if rank[h.version] <= rank[version])
    format_field, formats = later.format_field, later.formats
    if format_field is not None and format_field not in names:
        # no variable picks the format yet: every answer is in the one the later document defaults to
        chosen = later.by_key[format_field.lower()]
        formats = {None: later.formats[chosen.default or next(iter(later.formats))]}
        format_field = None
    return attrs.evolve(
        later,
        version=version,
        fields=fields,
        by_key={f.key: f for f in fields},
        rules=tuple(r for r in later.rules if _applies(r, names)),
        history=history,
        versions=tuple(h.version for h in history),
        format_field=format_field,
        formats=formats,
    )


def _bind(name: str, version: object) -> EndpointSpec:
    canonical = canonical_endpoint(name)
    if not isinstance(version, str):
        raise wrong_type("version", version, "a document version such as '1.05', or None")
    found = _BOUND.get((canonical, version))
    if found is not None:
        return found
    if version not in VERSIONS[canonical]:
        raise UnknownVersion(canonical, version, VERSIONS[canonical])
    table = VERSION_TABLES.get(canonical, {}).get(version)
    if table is not None:
        found = _build(table)
    else:  # listed by a history only: the first later document whose history lists it
        later = next(
            v
            for v in DOCUMENT_VERSIONS[canonical]
            if _version_key(v) > _version_key(version)
            and any(h["version"] == version for h in _documents(canonical)[v]["version_history"])
        )
        found = _history_subset(endpoint_spec(canonical, later), version)
    return _BOUND.setdefault((canonical, version), found)


def _model(name: str, rows_of: str) -> dict[str, Mapping[str, Any]]:
    """``{key: row}`` of every request variable (*rows_of* ``fields``) or response parameter
    (``parameters``) the kept documents of *name* have, newest document first: the typed class's
    attributes (``spec/codegen.py`` writes them in this order)."""
    tables = [TABLES[name], *(VERSION_TABLES.get(name, {})[v] for v in reversed(DOCUMENT_VERSIONS[name][:-1]))]
    rows: dict[str, Mapping[str, Any]] = {}
    for table in tables:
        found = table["request"]["fields"] if rows_of == "fields" else table["responses"]["parameters"]
        for row in found:
            rows.setdefault(row["key"], row)
    return rows


MODEL_FIELDS: Mapping[str, tuple[FieldSpec, ...]] = {
    name: tuple(ENDPOINTS[name].by_key.get(key) or _field(row) for key, row in _model(name, "fields").items())
    for name in ENDPOINTS
}
"""Every endpoint's request variables as its typed class has them: the newest document's, then
those only older documents kept in spec/sources have (as the newest of those defines each)."""
MODEL_PARAMS: Mapping[str, tuple[ParamSpec, ...]] = {
    name: tuple(ENDPOINTS[name].params_by_key.get(key) or _param(row) for key, row in _model(name, "params").items())
    for name in ENDPOINTS
}
"""Every endpoint's response parameters as its typed class has them (as :data:`MODEL_FIELDS`)."""


def request_members(spec: EndpointSpec) -> tuple[tuple[str, FieldSpec], ...]:
    """``(attribute, variable)`` for every attribute of *spec*'s typed request class: *spec*'s own
    variables in its document's order, then the ones only other kept versions have."""
    model = {f.key: f for f in MODEL_FIELDS[spec.name]}
    own = tuple((model[f.key].attribute, f) for f in spec.fields)
    return own + tuple((f.attribute, f) for f in MODEL_FIELDS[spec.name] if f.key not in spec.by_key)


def response_members(spec: EndpointSpec) -> tuple[tuple[str, ParamSpec], ...]:
    """``(attribute, parameter)`` for every attribute of *spec*'s typed response class."""
    model = {p.key: p for p in MODEL_PARAMS[spec.name]}
    own = tuple((model[p.key].attribute, p) for p in spec.params)
    return own + tuple((p.attribute, p) for p in MODEL_PARAMS[spec.name] if p.key not in spec.params_by_key)


_V = TypeVar("_V")


class PerSpec(dict[EndpointSpec, _V]):
    """Data made from each bound spec, once: filled for every endpoint's newest spec at once,
    and for a spec bound to another version the first time it is asked for (``per[spec]``)."""

    def __init__(self, make: Callable[[EndpointSpec], _V]) -> None:
        super().__init__((spec, make(spec)) for spec in ENDPOINTS.values())
        self.make = make

    def __missing__(self, spec: EndpointSpec) -> _V:
        value = self[spec] = self.make(spec)
        return value


def canonical_endpoint(endpoint: str) -> str:
    """The endpoint's name as the tables spell it; any case, with or without ``!``.
    Raises :class:`UnknownEndpoint` (naming the known ones), TypeError for a name not a str."""
    if not isinstance(endpoint, str):
        raise wrong_type("endpoint", endpoint, f"a str ({' or '.join(_KNOWN)})")
    found = _BY_LOWER.get(endpoint.strip().lstrip("!").lower())
    if found is None:
        raise UnknownEndpoint(endpoint, _KNOWN)
    return found


def endpoint_spec(endpoint: str, version: str | None = None) -> EndpointSpec:
    """The spec of *endpoint* (any case, with or without ``!``) bound to document *version*:
    None (the default) for the newest document; a version with a document kept in spec/sources
    for that document's own table (its variables, limits, allowed values, codes, messages); a
    version only a history lists for the next document's table cut back to the variables its
    history says existed then.  Each is built once and kept.

    Raises :class:`UnknownEndpoint` or :class:`UnknownVersion` (naming the known ones), and
    TypeError for an endpoint or version of the wrong type."""
    if version is None:
        try:
            found = ENDPOINTS.get(endpoint)  # spelled as the tables spell it: no need to normalise
        except TypeError:  # unhashable: not a name
            found = None
        return found if found is not None else ENDPOINTS[canonical_endpoint(endpoint)]
    try:
        bound = _BOUND.get((endpoint, version))
    except TypeError:
        bound = None
    return bound if bound is not None else _bind(endpoint, version)
