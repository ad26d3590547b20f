"""An OpenAPI 3.1 description of the endpoints, made from their tables.

For the tools a user may already have (Schemathesis, Dredd, Prism, Postman): every request variable
with its limit, allowed values (an ``enum``) and syntax (a ``pattern`` for comma lists, integers
and countries), what is required and the cross-field rules as JSON Schema (``if``/``then``,
``not``); each response media type as precisely as OpenAPI allows -- the newline format as a
string with a pattern (one alternative per code, its lines in order, the messages' templates), the
URL-encoded answers as objects whose required and forbidden parameters depend on ``errorCode``
(``oneOf``); the codes and their message templates as documentation (``x-error-codes`` and the
descriptions).  The description is the documents' letter, which is what a sender must send; where
a note of ``spec/readings.toml`` lets a receiver accept more, the description says so.

Every answer of the vendor is HTTP 200: the outcome is the ``errorCode`` in the body.

The functions take tables as ``python -m spec regenerate`` builds them (dicts, see
``spec/README.md``) and never import the codec: the description can be written even when the
generated codec files are broken.  Output is deterministic (sorted keys).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any, Final

from .diff import condition_phrases
from .document import DocumentError
from .extract import version_key

__all__ = ["OPENAPI_FILE", "load_tables", "openapi_document", "openapi_files", "render_openapi"]

OPENAPI_FILE: Final = Path("spec") / "openapi.json"
OPENAPI_VERSION: Final = "3.1.0"
FORM: Final = "application/x-www-form-urlencoded"

Table = dict[str, Any]
Schema = dict[str, Any]

# the end of the text: ECMA-262 reads '$' so, but Python's re (the jsonschema package) also lets '$'
# match before a final newline; answers are only validated, never generated, so a look-ahead is safe
END: Final = "(?![\\s\\S])"

# the note that lets a code-1 answer carry the order's parameters (the letter leaves them out)
_STATUS1_NOTE: Final = "format1-status1"


# ---------------------------------------------------------------------------- regular expressions


def _escape(text: str) -> str:
    """*text* as a literal in a pattern that ECMA-262 (JSON Schema) and Python read alike."""
    return "".join("\\" + ch if ch in "\\^$.|?*+()[]{}/" else ch for ch in text)


def _alternatives(values: list[str]) -> str:
    return "(?:" + "|".join(_escape(v) for v in values) + ")"


def _unanchored(pattern: str) -> str:
    """A table pattern (``^...$``) to embed in a larger one."""
    return pattern.removeprefix("^").removesuffix("$")


def _template_pattern(code: dict[str, Any], line: bool) -> str:
    """The messages *code* allows: its template with the placeholder as any text (one line in the
    newline format); any text for a free-text code."""
    anything = "[^\\n]*" if line else ".*"
    if code["free_text"]:
        return anything
    placeholder = code["placeholder"]
    if placeholder is None:
        return _escape(code["message"])
    quoted = f"'{placeholder['token']}'"
    before, _, after = code["message"].partition(quoted)
    return _escape(before) + "'" + anything + "'" + _escape(after)


# ---------------------------------------------------------------------------- requests


def _labels(allowed: dict[str, Any]) -> str:
    labels = allowed.get("labels") or {}
    return "; ".join(f"{value} = {labels[value]}" for value in allowed.get("values", []) if value in labels)


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if not text or text.endswith((".", "!", "?")) else text + "."


def _notes_text(table: Table, ids: list[str]) -> list[str]:
    notes = {n["id"]: n for n in table.get("notes", [])}
    out = []
    for note_id in ids:
        note = notes.get(note_id)
        if note is None:
            continue
        lenient = note.get("lenient", "")
        extra = "" if lenient.startswith("Same as the reading") or not note.get("differs") else f" Lenient: {lenient}"
        out.append(f"Note `{note_id}`: {_sentence(note['reading'])}{extra}")
    return out


def _condition_text(condition: dict[str, Any] | None) -> str | None:
    parts = condition_phrases(condition)
    return "Conditional: " + "; ".join(parts) + "." if parts else None


_MAX_LISTS: Final = 64  # distinct lists spelled out one by one in a pattern, at most


def _list_pattern(values: list[str], separator: str, unique: bool) -> str:
    """A separated list of *values*: when each value may appear once and there are few such
    lists, every one of them spelled out (a regular expression cannot otherwise refuse a repeat);
    else any sequence of the values."""
    lists: list[tuple[str, ...]] = []
    if unique:
        for size in range(1, len(values) + 1):
            lists += itertools.permutations(values, size)
            if len(lists) > _MAX_LISTS:
                break
    if unique and len(lists) <= _MAX_LISTS:
        return "^" + _alternatives([separator.join(items) for items in lists]) + "$"
    item = _alternatives(values)
    return f"^{item}(?:{_escape(separator)}{item})*$"


def _field_schema(table: Table, field: dict[str, Any], countries: list[str]) -> Schema:
    schema: Schema = {"type": "string", "x-since": field["since"]}
    text = [_sentence(field["description"])] if field["description"] else []
    if field.get("allowed_text"):
        text.append("Allowed values (document): " + _sentence(field["allowed_text"]))
    if field["max_length"] is not None:
        schema["maxLength"] = field["max_length"]
        text.append(f"At most {field['max_length']} characters.")
    if field["presence"] != "optional":
        schema["minLength"] = 1  # an empty value counts as absent (policy blank_value_is_absent)
    condition = _condition_text(field["condition"])
    if condition:
        text.append(condition)
    allowed = field.get("allowed")
    if field["type"] == "integer":
        schema["pattern"] = "^[1-9][0-9]*$"
    if allowed is not None:
        kind = allowed["kind"]
        if kind in ("enum", "flag", "numeric_enum", "integer_enum"):
            schema["enum"] = list(allowed["values"])
            labels = _labels(allowed)
            if labels:
                text.append(labels + ".")
            if allowed.get("hedge"):
                text.append(f"The document hedges: '{allowed['hedge']}'.")
        elif kind == "comma_list":
            schema["pattern"] = _list_pattern(
                allowed["values"], allowed["separator"], allowed.get("strict_unique", False)
            )
            text.append(
                f"A '{allowed['separator']}'-separated list of "
                + ("distinct " if allowed.get("strict_unique") else "")
                + "values: "
                + _labels(allowed)
                + "."
            )
        elif kind == "country":
            schema["enum"] = list(countries)
            schema["pattern"] = "^[A-Z]{2}$"
            text.append(f"An ISO 3166-1 alpha-2 code in upper case; any other earns {allowed['error_code']}.")
    for special in field.get("special_values", []):
        text.append(f"The special value '{special['value']}': {_sentence(special['meaning'])}")
    if field["default"] is not None:
        schema["default"] = field["default"]
    if field.get("secret"):
        schema["format"] = "password"
        schema["writeOnly"] = True
        text.append("Secret: never logged or echoed.")
    text += _notes_text(table, field.get("notes", []))
    if field.get("notes"):
        schema["x-notes"] = list(field["notes"])
    schema["description"] = " ".join(text)
    return schema


def _rule_schema(rule: dict[str, Any]) -> Schema:
    """A cross-field rule of ``request.rules`` as JSON Schema."""
    kind = rule["kind"]
    comment = f"{rule['id']}: error {rule['error_code']}, note {rule['note']}"
    if kind == "exclusive":
        return {
            "$comment": comment,
            "if": {"required": [rule["field"]]},
            "then": {"not": {"anyOf": [{"required": [name]} for name in rule["excludes"]]}},
        }
    if kind == "required_unless":
        return {
            "$comment": comment,
            "if": {"not": {"required": [rule["unless"]]}},
            "then": {"required": rule["fields"]},
        }
    if kind == "required_when":
        when = rule["when"]
        return {
            "$comment": comment,
            "if": {"required": [when["field"]], "properties": {when["field"]: {"const": when["equals"]}}},
            "then": {"required": [rule["field"]]},
        }
    raise ValueError(f"a rule of unknown kind {kind!r}")


def _rules_text(rules: list[dict[str, Any]]) -> list[str]:
    out = []
    for rule in rules:
        if rule["kind"] == "exclusive":
            excluded = ", ".join(f"`{n}`" for n in rule["excludes"])
            out.append(f"`{rule['field']}` excludes {excluded} ({rule['error_code']}).")
        elif rule["kind"] == "required_unless":
            needed = ", ".join(f"`{n}`" for n in rule["fields"])
            out.append(f"{needed} are required unless `{rule['unless']}` is given ({rule['error_code']}).")
        elif rule["kind"] == "required_when":
            when = rule["when"]
            out.append(
                f"`{rule['field']}` is required when `{when['field']}` is `{when['equals']}` ({rule['error_code']})."
            )
    return out


def _request_schema(table: Table, countries: list[str]) -> Schema:
    fields = table["request"]["fields"]
    policy = table["policy"]
    text = [
        f"The form variables of !{table['endpoint']['name']} (document {table['document_version']}).",
        "Names are matched without regard to case (note `names-case-insensitive`); this schema spells them as "
        "the document does.",
        "An empty value counts as absent (note `blank-value`); a repeated variable earns "
        f"{policy['duplicate_name_code']}; a variable the table does not have earns -2.",
    ]
    schema: Schema = {
        "type": "object",
        "properties": {f["name"]: _field_schema(table, f, countries) for f in fields},
        "additionalProperties": False,
    }
    required = [f["name"] for f in fields if f["presence"] == "required"]
    if required:
        schema["required"] = required
    rules = table["request"].get("rules", [])
    if rules:
        schema["allOf"] = [_rule_schema(rule) for rule in rules]
        text += _rules_text(rules)
    schema["description"] = " ".join(text)
    return schema


# ---------------------------------------------------------------------------- responses


def _codes(table: Table) -> list[dict[str, Any]]:
    return list(table["codes"])


def _parameter_pattern(table: Table, name: str, fmt: dict[str, Any]) -> str:
    """What one response parameter's value looks like (unanchored)."""
    params = {p["name"]: p for p in table["responses"]["parameters"]}
    param = params.get(name)
    if name == "expectedDeliveryTime" and "expected_delivery" in fmt:
        return _alternatives([str(h) for h in fmt["expected_delivery"]])
    kind = param["type"] if param else "string"
    if kind == "integer":
        return "[0-9]+"
    if kind == "amount":
        return _unanchored(table["policy"]["amount_pattern"])
    return "[^\\n]*"


def _code_value(code: int) -> str:
    return str(code)


def _newline_pattern(table: Table, fmt: dict[str, Any]) -> str:
    """The whole newline-format answer: one alternative per code, its lines in order."""
    ending = _escape(table["policy"]["format0_line_ending"])
    alternatives = []
    for code in _codes(table):
        names = fmt["lines"]["code_negative" if code["code"] < 0 else "code_non_negative"]
        lines = []
        for name in names:
            if name == "errorCode":
                lines.append(_escape(_code_value(code["code"])))
            elif name == "errorMessage":
                lines.append(_template_pattern(code, line=True))
            else:
                lines.append(_parameter_pattern(table, name, fmt))
        alternatives.append(ending.join(lines))
    return "^(?:" + "|".join(f"(?:{a})" for a in alternatives) + f"){ending}?" + END


def _newline_description(table: Table, fmt: dict[str, Any]) -> str:
    ending = table["policy"]["format0_line_ending"].replace("\n", "LF").replace("\r", "CR")
    negative = ", ".join(fmt["lines"]["code_negative"])
    non_negative = ", ".join(fmt["lines"]["code_non_negative"])
    hours = ", ".join(str(h) for h in fmt["expected_delivery"])
    meanings = " ".join(
        f"{m['hours']} = {_sentence(m['meaning'])}" for m in table["responses"].get("expected_delivery_meanings", [])
    )
    return (
        f"responseFormat={fmt['value']} (the default): one value per line, lines ending with {ending} (the last "
        f"line's ending is optional). For a code below 0 the lines are: {negative}; for 0 or above: "
        f"{non_negative}. The message is the code's template (see x-error-codes) with its placeholder filled; "
        f"the amount has no currency symbol; expectedDeliveryTime is one of {hours} hours: {meanings} "
        "Note `format0-line-ending`: CRLF is allowed too. Note `format0-padding`: a receiver may also accept "
        "blank lines at the end and white space around values; a server sends neither."
    )


def _presence_of(param: dict[str, Any], code: int) -> str:
    """'required', 'forbidden' or 'allowed' for *param* in an answer carrying *code*."""
    presence = param["presence"]
    if presence.get("always"):
        return "required"
    if "code_in" in presence:
        return "required" if code in presence["code_in"] else "forbidden"
    if "code_not_in" in presence:
        return "forbidden" if code in presence["code_not_in"] else "required"
    return "allowed"


def _form_value_schema(table: Table, param: dict[str, Any], fmt: dict[str, Any]) -> Schema:
    name = param["name"]
    schema: Schema = {"type": "string", "description": _sentence(param["description"])}
    if name == "errorCode":
        schema["enum"] = [_code_value(c["code"]) for c in _codes(table)]
    elif name == "status" and table["statuses"]:
        schema["enum"] = [str(s["status"]) for s in table["statuses"]]
    elif name == "expectedDeliveryTime" and "expected_delivery" in fmt:
        schema["enum"] = [str(h) for h in fmt["expected_delivery"]]
    elif param["type"] in ("integer", "amount"):
        schema["pattern"] = "^" + _parameter_pattern(table, name, fmt) + END
    return schema


def _form_response_schema(table: Table, fmt: dict[str, Any]) -> Schema:
    """The URL-encoded answer: its parameters, which of them each code requires or forbids
    (``oneOf`` over groups of codes), and each code's message template."""
    params = table["responses"]["parameters"]
    note_ids = {n["id"] for n in table.get("notes", [])}
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[int]] = {}
    for code in _codes(table):
        value = code["code"]
        required = tuple(p["name"] for p in params if _presence_of(p, value) == "required")
        forbidden = [p["name"] for p in params if _presence_of(p, value) == "forbidden"]
        if value > 0 and _STATUS1_NOTE in note_ids:  # the order's parameters may come with it
            forbidden = [n for n in forbidden if n == "errorMessage"]
        groups.setdefault((required, tuple(forbidden)), []).append(value)
    branches = []
    for (needed, refused), codes in groups.items():
        branch: Schema = {
            "properties": {"errorCode": {"enum": [_code_value(c) for c in codes]}},
            "required": list(needed),
        }
        if refused:
            branch["not"] = {"anyOf": [{"required": [name]} for name in refused]}
        branches.append(branch)
    messages = [
        {
            "properties": {
                "errorCode": {"const": _code_value(c["code"])},
                "errorMessage": {"pattern": "^" + _template_pattern(c, line=False) + END},
            }
        }
        for c in _codes(table)
    ]
    schema: Schema = {
        "type": "object",
        "properties": {p["name"]: _form_value_schema(table, p, fmt) for p in params},
        "required": [p["name"] for p in params if p["presence"].get("always")],
        "additionalProperties": False,
        "allOf": [{"oneOf": branches}, {"oneOf": messages}],
    }
    return schema


def _presence_text(param: dict[str, Any]) -> str:
    presence = param["presence"]
    if presence.get("always"):
        return "always present"
    if "code_in" in presence:
        return "present only when errorCode is " + " or ".join(map(str, presence["code_in"]))
    if "code_not_in" in presence:
        return "present except when errorCode is " + " or ".join(map(str, presence["code_not_in"]))
    return "not always present"


def _form_description(table: Table, fmt: dict[str, Any]) -> str:
    params = "; ".join(f"{p['name']} ({_presence_text(p)})" for p in table["responses"]["parameters"])
    selected = table["responses"].get("selected_by")
    head = f"{selected}={fmt['value']}: " if selected and fmt.get("value") is not None else ""
    text = (
        f"{head}URL-encoded parameters, as the request: {params}. Each errorMessage is its code's template "
        "(see x-error-codes) with the placeholder filled."
    )
    notes = {n["id"] for n in table.get("notes", [])}
    if _STATUS1_NOTE in notes:
        text += (
            " Note `format1-status1`: with errorCode 1 the document leaves out orderNumber, totalCost and "
            "expectedDeliveryTime; the reference server sends them (either is allowed)."
        )
    if table["statuses"]:
        statuses = " ".join(
            f"{s['status']} = {_sentence(s['description'])} (actions: {', '.join(s['actions'])})"
            for s in table["statuses"]
        )
        text += f" Statuses: {statuses}"
    return text


def _codes_description(table: Table) -> str:
    rows = ["| errorCode | message template |", "| --- | --- |"]
    for code in _codes(table):
        message = code["message"].replace("|", "\\|")
        extra = " (any text)" if code["free_text"] else ""
        if code["placeholder"]:
            extra = f" ('{code['placeholder']['token']}' = the {code['placeholder']['kind']})"
        rows.append(f"| {code['code']} | {message}{extra} |")
    return "\n".join(rows)


def _error_codes(table: Table) -> list[dict[str, Any]]:
    return [
        {
            "code": c["code"],
            "kind": c["kind"],
            "message": c["message"],
            "placeholder": c["placeholder"]["token"] if c["placeholder"] else None,
            "placeholder_kind": c["placeholder"]["kind"] if c["placeholder"] else None,
            "free_text": c["free_text"],
        }
        for c in _codes(table)
    ]


def _links(table: Table, tables: list[Table]) -> dict[str, Any]:
    """OpenAPI links from this endpoint's answer to each other endpoint whose request takes one of
    the answer's parameters by name (AutoApplyIdA's orderNumber -> UpdateUserEvClickThrough's): the
    value goes into the next request's body.  A tool following links (Schemathesis's stateful
    phase) can then reach the second endpoint with an order that exists."""
    params = {p["name"].lower(): p["name"] for p in table["responses"]["parameters"]}
    links: dict[str, Any] = {}
    for other in tables:
        if other is table:
            continue
        taken = [f["name"] for f in other["request"]["fields"] if f["key"] in params]
        if taken:
            target = other["endpoint"]["name"]
            links[target] = {
                "operationId": target,
                "requestBody": {name: f"$response.body#/{params[name.lower()]}" for name in taken},
                "description": f"{', '.join(taken)} of this answer (when it carries "
                + ("them" if len(taken) > 1 else "it")
                + f") in the body of !{target}",
            }
    return links


def _responses(table: Table, tables: list[Table]) -> dict[str, Any]:
    content: dict[str, Any] = {}
    for fmt in table["responses"]["formats"]:
        if fmt["name"] == "newline":
            content[fmt["mime_type"]] = {
                "schema": {
                    "type": "string",
                    "pattern": _newline_pattern(table, fmt),
                    "description": _newline_description(table, fmt),
                }
            }
        else:
            content[fmt["mime_type"]] = {
                "schema": {
                    "$ref": f"#/components/schemas/{table['endpoint']['name']}Response",
                }
            }
    selected = table["responses"].get("selected_by")
    chooser = f" The request's `{selected}` chooses the media type." if selected else ""
    answer: dict[str, Any] = {
        "description": (
            "Every answer, success or error, is HTTP 200; the outcome is errorCode."
            + chooser
            + "\n\n"
            + _codes_description(table)
        ),
        "content": content,
    }
    links = _links(table, tables)
    if links:
        answer["links"] = links
    return {"200": answer}


def _operation(table: Table, tables: list[Table]) -> dict[str, Any]:
    name = table["endpoint"]["name"]
    history = "\n".join(f"- {h['version']} {h['change']}" for h in table["version_history"])
    return {
        "operationId": name,
        "summary": f"!{name} (document {table['document_version']})",
        "description": (
            f"POST the form to `{table['endpoint']['url']}`. Orders placed while testing carry `test=Y`.\n\n"
            f"Version history:\n\n{history}"
        ),
        "requestBody": {
            "required": True,
            "content": {FORM: {"schema": {"$ref": f"#/components/schemas/{name}Request"}}},
        },
        "responses": _responses(table, tables),
        "x-error-codes": _error_codes(table),
        "x-notes": {n["id"]: _sentence(n["reading"]) for n in table.get("notes", [])},
    }


def _base_url(table: Table) -> str:
    url: str = table["endpoint"]["url"]
    return url.removesuffix(table["endpoint"]["path"])


def openapi_document(tables: dict[str, Table], countries: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI 3.1 description of *tables* (endpoint name -> table); *countries* is
    ``spec/tables/countries.json`` (its ``codes`` are the country enum)."""
    ordered = [tables[name] for name in sorted(tables)]
    codes = list(countries["codes"])
    servers = sorted({_base_url(t) for t in ordered})
    schemas: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for table in ordered:
        name = table["endpoint"]["name"]
        schemas[f"{name}Request"] = _request_schema(table, codes)
        for fmt in table["responses"]["formats"]:
            if fmt["name"] != "newline":
                schemas[f"{name}Response"] = _form_response_schema(table, fmt)
                schemas[f"{name}Response"]["description"] = _form_description(table, fmt)
        operation = _operation(table, ordered)
        if servers != [_base_url(table)]:
            operation["servers"] = [{"url": _base_url(table)}]
        paths[table["endpoint"]["path"]] = {table["endpoint"]["method"].lower(): operation}
    documents = [
        {
            "endpoint": t["endpoint"]["name"],
            "version": t["document_version"],
            "source": t["provenance"]["source"],
            "sha256": t["provenance"]["source_sha256"],
        }
        for t in ordered
    ]
    listed = "; ".join(f"{d['endpoint']} {d['version']} ({d['source']}, sha256 {d['sha256']})" for d in documents)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Comodo (Sectigo) reseller API: " + ", ".join(f"!{t['endpoint']['name']}" for t in ordered),
            "version": "; ".join(f"{d['endpoint']} {d['version']}" for d in documents),
            "summary": "Generated from the vendor documents' tables by `python -m spec regenerate`; do not edit.",
            "description": (
                f"Made from the tables of {listed}, with the readings of "
                f"{ordered[0]['provenance'].get('readings', 'spec/readings.toml')} and the ISO 3166-1 list of "
                f"{countries['package']} {countries['version']} ({countries['count']} codes). Requests and answers "
                "are form-encoded text, so every value is a string; limits count characters. This description is "
                "the documents' letter (what a sender must send); where a note lets a receiver accept more, the "
                "description of the variable says so."
            ),
            "x-provenance": {
                "generator": "python -m spec regenerate",
                "documents": documents,
                "readings": ordered[0]["provenance"].get("readings"),
                "countries": {k: countries[k] for k in ("package", "version", "count")},
            },
        },
        "servers": [{"url": url, "description": "the vendor"} for url in servers],
        "paths": paths,
        "components": {"schemas": schemas},
    }


def render_openapi(tables: dict[str, Table], countries: dict[str, Any]) -> bytes:
    """The description as JSON: sorted keys, two-space indent, UTF-8, a final newline."""
    document = openapi_document(tables, countries)
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def openapi_files(tables: dict[str, Table], countries: dict[str, Any]) -> dict[Path, bytes]:
    """What ``regenerate`` writes for the description, relative to the project root."""
    return {OPENAPI_FILE: render_openapi(tables, countries)}


def _newer(table: Table, than: Table) -> bool:
    try:
        return version_key(table["document_version"]) > version_key(than["document_version"])
    except (KeyError, TypeError, ValueError):
        return False


def load_tables(folder: Path) -> tuple[dict[str, Table], dict[str, Any]]:
    """The endpoint tables and the country list of a tables folder (``spec/tables``)."""
    tables: dict[str, Table] = {}
    countries: dict[str, Any] | None = None
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DocumentError(str(path), getattr(exc, "lineno", 0), "a JSON table", str(exc)) from None
        if path.name == "countries.json":
            countries = data
        elif isinstance(data, dict) and "endpoint" in data and "request" in data:
            name = data["endpoint"]["name"]  # the newest of each endpoint (older ones are NAME-VERSION.json)
            if name not in tables or _newer(data, tables[name]):
                tables[name] = data
    if countries is None or not tables:
        found = ", ".join(sorted(p.name for p in folder.glob("*.json"))) or "no table"
        raise DocumentError(str(folder), 0, "the endpoint tables and countries.json", found)
    return tables, countries
