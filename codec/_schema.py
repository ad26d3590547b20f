"""A typed, indexed view of the generated tables (``codec/_tables.py``), built once at import.

Nothing here types a limit, code or value: every one is read from ``TABLES``.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from ._tables import COUNTRIES, TABLES

__all__ = [
    "AUTO_APPLY_IDA",
    "COUNTRIES",
    "ENDPOINTS",
    "UPDATE_USER_EV_CLICK_THROUGH",
    "CodeSpec",
    "EndpointSpec",
    "FieldSpec",
    "ParamSpec",
    "canonical_endpoint",
    "endpoint_spec",
    "version_key",
]

AUTO_APPLY_IDA = "AutoApplyIdA"
UPDATE_USER_EV_CLICK_THROUGH = "UpdateUserEvClickThrough"


def version_key(version: str) -> tuple[int, int]:
    """``"1.05"`` -> ``(1, 5)``; comparable."""
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)


@attrs.frozen
class FieldSpec:
    """One request variable, as its table row says."""

    name: str
    key: str
    attribute: str
    type: str
    max_length: int | None
    presence: str
    condition: dict[str, Any] | None
    allowed: dict[str, Any] | None
    default: str | None
    special_values: tuple[str, ...]
    since: tuple[int, int]
    secret: bool
    notes: tuple[str, ...]
    source_line: int

    @property
    def row(self) -> str:
        """The table row this field is, for citing: ``AutoApplyIdA.request.product``."""
        return f"request.{self.name}"

    @property
    def is_flag(self) -> bool:
        return bool(self.allowed and self.allowed["kind"] == "enum" and set(self.allowed["values"]) >= {"Y", "N"})

    @property
    def is_integer_enum(self) -> bool:
        a = self.allowed
        return bool(a and a["kind"] == "enum" and all(v.isdigit() for v in a["values"]))


@attrs.frozen
class CodeSpec:
    code: int
    kind: str
    message: str
    placeholder_token: str | None
    placeholder_kind: str | None
    free_text: bool
    pattern: re.Pattern[str]
    source_line: int


@attrs.frozen
class ParamSpec:
    name: str
    key: str
    attribute: str
    type: str
    presence: dict[str, Any]

    def present_for(self, code: int) -> bool:
        """Whether the document's letter says this parameter is present with *code*."""
        p = self.presence
        if p.get("always"):
            return True
        if "code_in" in p:
            return code in p["code_in"]
        if "code_not_in" in p:
            return code not in p["code_not_in"]
        return False


def _template_pattern(message: str, token: str | None) -> re.Pattern[str]:
    if token is None:
        return re.compile(re.escape(message) + r"\Z")
    before, _, after = message.partition(f"'{token}'")
    return re.compile(re.escape(before) + "'(.*)'" + re.escape(after) + r"\Z", re.DOTALL)


@attrs.frozen
class EndpointSpec:
    """Everything the codec knows about one endpoint, from its table."""

    name: str
    path: str
    url: str
    method: str
    content_type: str
    document_version: str
    fields: tuple[FieldSpec, ...]
    by_key: dict[str, FieldSpec]
    rules: tuple[dict[str, Any], ...]
    codes: dict[int, CodeSpec]
    params: tuple[ParamSpec, ...]
    params_by_key: dict[str, ParamSpec]
    formats: dict[str | None, dict[str, Any]]
    statuses: dict[int, dict[str, Any]]
    actions: tuple[str, ...]
    policy: dict[str, Any]
    notes: dict[str, dict[str, Any]]
    versions: tuple[str, ...]
    table: dict[str, Any] = attrs.field(repr=False)

    def fields_in(self, version: str | None) -> tuple[FieldSpec, ...]:
        """The variables a codec bound to *version* (None: the newest) recognises."""
        if version is None:
            return self.fields
        bound = version_key(version)
        return tuple(f for f in self.fields if f.since <= bound)

    @property
    def format_field(self) -> str | None:
        """The variable that picks the response format (``responseFormat``), if any."""
        selected: str | None = self.table["responses"]["selected_by"]
        return selected

    def message(self, code: int) -> str | None:
        spec = self.codes.get(code)
        return spec.message if spec else None


def _build(table: dict[str, Any]) -> EndpointSpec:
    fields = tuple(
        FieldSpec(
            name=f["name"],
            key=f["key"],
            attribute=f["attribute"],
            type=f["type"],
            max_length=f["max_length"],
            presence=f["presence"],
            condition=f["condition"],
            allowed=f["allowed"],
            default=f["default"],
            special_values=tuple(s["value"] for s in f["special_values"]),
            since=version_key(f["since"]),
            secret=f["secret"],
            notes=tuple(f["notes"]),
            source_line=f["source_line"],
        )
        for f in table["request"]["fields"]
    )
    codes = {}
    for c in table["codes"]:
        token = c["placeholder"]["token"] if c["placeholder"] else None
        codes[c["code"]] = CodeSpec(
            code=c["code"],
            kind=c["kind"],
            message=c["message"],
            placeholder_token=token,
            placeholder_kind=c["placeholder"]["kind"] if c["placeholder"] else None,
            free_text=c["free_text"],
            pattern=_template_pattern(c["message"], token),
            source_line=c["source_line"],
        )
    params = tuple(
        ParamSpec(
            name=p["name"],
            key=p["name"].lower(),
            attribute=re.sub(r"([a-z])([A-Z])", r"\1_\2", p["name"]).lower(),
            type=p["type"],
            presence=p["presence"],
        )
        for p in table["responses"]["parameters"]
    )
    ep = table["endpoint"]
    return EndpointSpec(
        name=ep["name"],
        path=ep["path"],
        url=ep["url"],
        method=ep["method"],
        content_type=ep["request_content_type"],
        document_version=table["document_version"],
        fields=fields,
        by_key={f.key: f for f in fields},
        rules=tuple(table["request"]["rules"]),
        codes=codes,
        params=params,
        params_by_key={p.key: p for p in params},
        formats={f["value"]: f for f in table["responses"]["formats"]},
        statuses={s["status"]: s for s in table["statuses"]},
        actions=tuple(a["value"] for a in table["actions"]),
        policy=table["policy"],
        notes={n["id"]: n for n in table["notes"]},
        versions=tuple(h["version"] for h in table["version_history"]),
        table=table,
    )


ENDPOINTS: dict[str, EndpointSpec] = {name: _build(table) for name, table in TABLES.items()}
_BY_LOWER = {name.lower(): name for name in ENDPOINTS}


def canonical_endpoint(name: str) -> str:
    """The endpoint's name as the tables spell it; any case, with or without ``!``."""
    key = name.strip().lstrip("!").lower()
    try:
        return _BY_LOWER[key]
    except KeyError:
        raise ValueError(f"unknown endpoint {name!r}; known: {', '.join(sorted(ENDPOINTS))}") from None


def endpoint_spec(name: str) -> EndpointSpec:
    found = ENDPOINTS.get(name)  # spelled as the tables spell it: no need to normalise
    return found if found is not None else ENDPOINTS[canonical_endpoint(name)]
