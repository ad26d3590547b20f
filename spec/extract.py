"""Extract an endpoint's facts from a parsed vendor document.

Everything here is read from the document's own text: the version history list, the request
table (``<i>`` markup = optional, ``*`` = sometimes required, no markup = required), the
allowed-values and description cells (comma lists, ``Y or N``, ``If omitted, it's value defaults
to``...), the response sections of either format and the error codes, including the ones the
AutoApplyIdA document packs into one table cell.  Decisions the documents leave open are not
made here: they come from ``spec/readings.toml`` (see :mod:`spec.build`).

Each extracted item keeps ``line``, the source line it was read from.
"""

from __future__ import annotations

import re
from typing import Any

from .document import Document, Line, Table, is_italic, strip_markup

__all__ = ["extract", "version_key"]

_VERSION_LINE = re.compile(r"^-\s+(\d+\.\d+)\s+(.*\S)\s*$")
_URL = re.compile(r"https://[\w.-]+(/products/!(\w+))")
_BANG_NAME = re.compile(r"!([A-Z]\w+)")
_QUOTED = re.compile(r'"(\w+)"')
_CODE_ITEM = re.compile(r"(?:^|\s)(-?\d+) = ")
_LENGTH = re.compile(r"^(\d+)\s+chars?$")


def _text(cell: str) -> str:
    """A cell's words: markup removed, Markdown escapes (``\\$``) undone, white space folded."""
    return " ".join(re.sub(r"\\([$*_])", r"\1", strip_markup(cell)).split())


def extract(doc: Document) -> dict[str, Any]:
    """Return the endpoint facts of *doc*; raise DocumentError where its shape is not understood."""
    history = _history(doc)
    request_table = _find_table(
        doc,
        lambda t: _col0(t).startswith("variable name") and "max. length" in _lower_cols(t),
        "a request table headed 'Variable Name ... Max. Length'",
    )
    fields = _request_fields(doc, request_table, history)
    if not any(re.match(r"\d+\.\s+Response\b", strip_markup(h.text.lstrip("#").strip())) for h in doc.headings):
        raise _missing(doc, "a response section (a heading like '2. Response')")
    two_formats = _has_heading(doc, "2.1") or _has_heading(doc, "3. Response")  # AutoApplyIdA's shape
    responses = _auto_apply_responses(doc) if two_formats else _click_through_responses(doc)
    name, path, url_printed = _endpoint_name(doc)  # AutoApplyIdA names itself only in its responses
    facts: dict[str, Any] = {
        "endpoint": name,
        "path": path,
        "url_printed_in_document": url_printed,
        "document_version": history[-1]["version"],
        "version_history": history,
        "request_fields": fields,
        "post_required": bool(re.search(r"POSTed \(rather than GETed\)", doc.text)),
    }
    facts["actions"] = _actions(doc)
    facts["responses"] = responses
    return facts


# --------------------------------------------------------------------------- helpers


def _col0(t: Table) -> str:
    return t.columns[0].lower() if t.columns else ""


def _lower_cols(t: Table) -> list[str]:
    return [c.lower() for c in t.columns]


def _find_table(doc: Document, pred: Any, expected: str, *, required: bool = True) -> Table:
    for table in doc.tables:
        if pred(table):
            return table
    if not required:
        return None  # type: ignore[return-value]
    raise _missing(doc, expected)


def _missing(doc: Document, expected: str) -> Exception:
    """*expected* is nowhere in the document: point at its last non-blank line."""
    last = next((ln.number for ln in reversed(doc.lines) if ln.text.strip()), 1)
    return doc.error(last, expected, "the end of the document")


def _has_heading(doc: Document, prefix: str) -> bool:
    return any(strip_markup(h.text.lstrip("#").strip()).startswith(prefix) for h in doc.headings)


def _history(doc: Document) -> list[dict[str, Any]]:
    start = next((h for h in doc.headings if "Version History" in h.text), None)
    if start is None:
        raise doc.error(1, "a 'Version History' heading", doc.lines[0].text if doc.lines else "")
    history: list[dict[str, Any]] = []
    for line in doc.lines[start.number :]:
        stripped = line.text.strip()
        if not stripped:
            if history:
                break
            continue
        match = _VERSION_LINE.match(stripped)
        if not match:
            if history and not stripped.startswith("-"):
                break  # prose after the list ends it; a malformed "- ..." item does not
            raise doc.error(line.number, "a version line like '- 1.00 Original version.'", stripped)
        version, change = match.groups()
        if history and version_key(version) <= version_key(history[-1]["version"]):
            raise doc.error(line.number, f"a version after {history[-1]['version']}", version)
        named: dict[str, set[str]] = {"added": set(), "changed": set(), "removed": set()}
        for kind, clause in _clauses(change):
            # the names are the quoted words before "parameter(s)"; later quotes are values
            named[kind].update(_QUOTED.findall(re.split(r"\bparameters?\b", clause, maxsplit=1)[0]))
        history.append({"version": version, "change": change, **{k: sorted(v) for k, v in named.items()}})
        history[-1]["line"] = line.number
    if not history:
        raise doc.error(start.number + 1, "at least one version line", "nothing")
    return history


_CLAUSE = re.compile(r"\b(Added|Changed|Removed):")


def _clauses(change: str) -> list[tuple[str, str]]:
    """``Added: "a" parameter. Removed: "b" parameter.`` -> ``[("added", ' "a" parameter. '),
    ("removed", ' "b" parameter.')]``: each clause of a history line, by the word that opens it
    (a line opening with none, like ``Original version.``, has no clause)."""
    marks = list(_CLAUSE.finditer(change))
    return [
        (m.group(1).lower(), change[m.end() : marks[i + 1].start() if i + 1 < len(marks) else len(change)])
        for i, m in enumerate(marks)
    ]


def version_key(version: str) -> tuple[int, int]:
    """``"1.05"`` -> ``(1, 5)``: document versions in order.  The only place versions are compared;
    the tables list each endpoint's versions oldest first, so the codec never compares them."""
    major, minor = version.split(".")
    return int(major), int(minor)


def _endpoint_name(doc: Document) -> tuple[str, str, bool]:
    for line in doc.lines:
        match = _URL.search(line.text)
        if match:
            return match.group(2), match.group(1), True
    names = [m.group(1) for m in _BANG_NAME.finditer(doc.text)]
    if not names:
        raise _missing(doc, "the API's URL or its '!Name'")
    name = max(set(names), key=names.count)
    return name, f"/products/!{name}", False


# --------------------------------------------------------------------------- request


def _request_fields(doc: Document, table: Table, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cols = _lower_cols(table)
    try:
        i_len = cols.index("max. length")
        i_desc = cols.index("description")
    except ValueError:
        raise doc.error(table.header.number, "columns 'Max. Length' and 'Description'", table.header.text) from None
    i_type = 1
    i_allowed = cols.index("allowed values") if "allowed values" in cols else None
    since: dict[str, str] = {}
    changed: dict[str, list[str]] = {}
    removed: dict[str, int] = {}  # removed (and not added again) -> the history line saying so
    for entry in history:
        for name in entry["added"]:
            if name not in since or name in removed:  # added again after a removal: since then
                since[name] = entry["version"]
            removed.pop(name, None)
        for name in entry["changed"]:
            changed.setdefault(name, []).append(entry["version"])
        for name in entry["removed"]:
            removed[name] = entry["line"]
    fields = []
    seen: set[str] = set()
    for row in table.rows:
        if not row.text.strip():
            continue
        cells = row.text.split("\t")
        if len(cells) < len(cols):
            cells += [""] * (len(cols) - len(cells))
        raw_name = cells[0].strip()
        starred = raw_name.endswith("*")
        name = _text(raw_name.rstrip("*"))
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", name):
            raise doc.error(row.number, "a variable name", raw_name)
        if name.lower() in seen:
            raise doc.error(row.number, "each variable once", name)
        seen.add(name.lower())
        length_text = _text(cells[i_len])
        max_length: int | None
        if not length_text:
            max_length = None
        else:
            m = _LENGTH.match(length_text)
            if not m:
                raise doc.error(row.number, "a max. length like '64 chars' or nothing", length_text)
            max_length = int(m.group(1))
        doc_type = _text(cells[i_type]).lower()
        if doc_type not in {"string", "char", "integer"}:
            raise doc.error(row.number, "a type of string, char or integer", doc_type)
        allowed_text = _text(cells[i_allowed]) if i_allowed is not None else ""
        description = _text(cells[i_desc])
        presence = "conditional" if starred else ("optional" if is_italic(raw_name) else "required")
        field = {
            "name": name,
            "doc_type": doc_type,
            "max_length": max_length,
            "presence": presence,
            "italic": is_italic(raw_name),
            "starred": starred,
            "allowed_text": allowed_text,
            "description": description,
            "since": since.get(name, history[0]["version"]),
            "changed_in": changed.get(name, []),
            "line": row.number,
        }
        field.update(_allowed(allowed_text, description, doc_type))
        fields.append(field)
    if not fields:
        raise doc.error(table.header.number + 1, "at least one request variable", "none")
    in_table = {f["name"] for f in fields}
    still_there = sorted(set(removed) & in_table, key=removed.__getitem__)
    if still_there:
        expected = "a removed variable to be gone from the request table"
        raise doc.error(removed[still_there[0]], expected, still_there[0])
    unknown = (set(since) | set(changed)) - in_table - set(removed)
    if unknown:
        entry = next(e for e in history if unknown & set(e["added"] + e["changed"]))  # the first line naming one
        named = ", ".join(sorted(unknown & set(entry["added"] + entry["changed"])))
        raise doc.error(entry["line"], "version history naming only variables in the request table", named)
    return fields


_ENUM_PAIRS = re.compile(r"(\d+) = (.+?)(?=\.?\s+\d+ = |\.?\s+Some examples|\.?\s+If omitted|\.?$)")


def _allowed(allowed: str, description: str, doc_type: str) -> dict[str, Any]:
    """Read the allowed values, default and special values out of the two free-text cells."""
    out: dict[str, Any] = {
        "allowed": None,
        "default": None,
        "special_values": [],
        "excludes": [],
        "required_when": None,
    }
    both = f"{allowed} {description}"
    m = re.search(r"defaults to (\w+)", both)
    if m:
        out["default"] = m.group(1)
    for m in re.finditer(r'If the value specified is "(\w+)", ([^.]+)\.', both):
        out["special_values"].append({"value": m.group(1), "meaning": m.group(2)})
    m = re.search(r"If this parameter is specified, (.+?) should not be specified", allowed)
    if m:
        out["excludes"] = _QUOTED.findall(m.group(1))
    m = re.search(r"required for action '\s*(\w+)\s*', optional for other actions", description)
    if m:
        out["required_when"] = {"field": "action", "equals": m.group(1)}
    if "comma-separated" in allowed:
        pairs = _ENUM_PAIRS.findall(allowed.split("following integers:", 1)[-1])
        out["allowed"] = {
            "kind": "comma_list",
            "values": [v for v, _ in pairs],
            "labels": {v: lbl.strip() for v, lbl in pairs},
        }
    elif re.fullmatch(r"Y or N\.?", allowed):
        lower = [c.lower() for c in "YN" if re.search(rf"{c} \(or {c.lower()}\)", description)]
        out["allowed"] = {"kind": "flag", "values": ["N", "Y"], "documented_lowercase": lower}
    elif "ISO-3166" in allowed:
        out["allowed"] = {"kind": "country"}
    elif re.match(r"\d+ = ", allowed):
        pairs = _ENUM_PAIRS.findall(allowed)
        out["allowed"] = {
            "kind": "numeric_enum",
            "values": [v for v, _ in pairs],
            "labels": {v: lbl.strip() for v, lbl in pairs},
        }
    elif doc_type == "integer" and re.search(r"\d+\s*,\s*\d+.*\bor\b\s*\d+", allowed):
        hedge = allowed.split(":", 1)[0].strip() if ":" in allowed else ""
        values = re.findall(r"\d+", allowed)
        out["allowed"] = {"kind": "integer_enum", "values": values, "hedge": hedge}
    return out


def _actions(doc: Document) -> list[dict[str, Any]]:
    table = _find_table(doc, lambda t: _col0(t) == "action", "", required=False)
    if table is None:
        return []
    actions = []
    for row in table.rows:
        cells = [_text(c) for c in row.cells]
        if cells and cells[0]:
            actions.append({"value": cells[0], "description": cells[1] if len(cells) > 1 else "", "line": row.number})
    return actions


# --------------------------------------------------------------------------- responses


def _names_header(table: Table) -> dict[str, Any]:
    """Whether a response table's header says its names are case-insensitive
    (``Variable Name (case insensitive)``), and the header's line."""
    return {"case_insensitive": "case insensitive" in _col0(table), "line": table.header.number}


def _codes_from_cell(doc: Document, line: Line, cell: str) -> list[dict[str, Any]]:
    """Split ``1 = Successful ... -17 = Request used GET rather than POST!`` into code items."""
    text = _text(cell)
    starts = list(_CODE_ITEM.finditer(text))
    if not starts:
        raise doc.error(line.number, "status codes like '-1 = message'", text)
    items = []
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        items.append({"code": int(m.group(1)), "message": text[m.end() : end].strip(), "line": line.number})
    return items


def _auto_apply_responses(doc: Document) -> dict[str, Any]:
    first = _find_table(doc, lambda t: t.heading.startswith("2.1"), "a table under '2.1 MIME Type and first line'")
    mime0 = _text(first.rows[0].cells[-1]) if first.rows else ""
    if "/" not in mime0:
        raise doc.error(first.rows[0].number if first.rows else first.header.number, "a MIME type", mime0)
    code_row = next((r for r in first.rows if _CODE_ITEM.search(_text(r.cells[-1]))), None)
    if code_row is None:
        raise doc.error(first.header.number, "a row listing the status codes", first.header.text)
    codes = _codes_from_cell(doc, code_row, code_row.cells[-1])
    lines_by_case: dict[str, list[dict[str, Any]]] = {}
    delivery: list[dict[str, Any]] = []
    for case, heading in (("error", "2.2.1"), ("success", "2.2.2")):
        table = _find_table(doc, lambda t, h=heading: t.heading.startswith(h), f"a table under '{heading}'")
        rows = []
        for row in table.rows:
            label, value = row.cells[0], _text(row.cells[-1])
            m = re.match(r"\s*Line (\d+):\s*(.*)", strip_markup(label))
            if not m:
                raise doc.error(row.number, "'Line N: ...'", label)
            rows.append(
                {
                    "line": int(m.group(1)),
                    "label": " ".join(m.group(2).split()),
                    "value": value,
                    "source_line": row.number,
                }
            )
            if "Expected number of hours" in value:
                for hm in re.finditer(r"(\d+) \u2013 (.+?)(?=\s+\d+ \u2013 |$)", value):
                    delivery.append({"hours": int(hm.group(1)), "meaning": hm.group(2).strip(), "line": row.number})
        lines_by_case[case] = rows
    params_table = _find_table(doc, lambda t: t.heading.startswith("3.2"), "a table under '3.2 Parameters'")
    mime_table = _find_table(doc, lambda t: t.heading.startswith("3.1"), "a table under '3.1 MIME Type'")
    mime1 = _text(mime_table.rows[0].cells[-1]) if mime_table.rows else ""
    params = []
    delivery1: list[int] = []
    for row in params_table.rows:
        cells = row.cells
        name = _text(cells[0])
        desc = _text(cells[-1])
        only = re.search(r"only present when (\w+)=(-?\d+)", desc)
        never = re.search(r"not present when (\w+)=(-?\d+)", desc)
        m = re.search(r"\(([\d, ]+ or \d+)\)", desc)
        if m:
            delivery1 = [int(v) for v in re.findall(r"\d+", m.group(1))]
        params.append(
            {
                "name": name,
                "always": not is_italic(cells[0]),
                "present_only_when": {"field": only.group(1), "equals": int(only.group(2))} if only else None,
                "absent_when": {"field": never.group(1), "equals": int(never.group(2))} if never else None,
                "description": desc,
                "line": row.number,
            }
        )
    return {
        "kind": "auto_apply",
        "format0": {"mime_type": mime0, "lines": lines_by_case},
        "format1": {"mime_type": mime1, "parameters": params, "names": _names_header(params_table)},
        "codes": codes,
        "delivery_format0": delivery,
        "delivery_format1": delivery1,
    }


def _click_through_responses(doc: Document) -> dict[str, Any]:
    m = re.search(r"MIME type will be \*?([\w.+-]+/[\w.+-]+)\*?", doc.text)
    if not m:
        raise _missing(doc, "a sentence naming the response MIME type")
    params_table = _find_table(
        doc,
        lambda t: _col0(t).startswith("variable name") and "max. length" not in _lower_cols(t),
        "a response table headed 'Variable Name'",
    )
    params = []
    for row in params_table.rows:
        cells = [_text(c) for c in row.cells]
        params.append(
            {
                "name": cells[0],
                "type": cells[1].lower(),
                "description": cells[-1],
                "always": not is_italic(row.cells[0]),
                "line": row.number,
            }
        )
    status_table = _find_table(doc, lambda t: "status value" in _lower_cols(t), "a status table headed 'Status Value'")
    statuses = []
    for row in status_table.rows:
        cells = [_text(c) for c in row.cells]
        if not cells[0]:
            continue
        actions = "any" if cells[0].lower() == "any action" else cells[0]
        statuses.append({"status": int(cells[1]), "actions": actions, "description": cells[2], "line": row.number})
    code_table = _find_table(
        doc,
        lambda t: _col0(t) == "errorcode" and "errormessage" in _lower_cols(t),
        "an 'errorCode / errorMessage' table",
    )
    codes = []
    for row in code_table.rows:
        cells = [_text(c) for c in row.cells]
        if not cells[0]:
            continue
        if not re.fullmatch(r"-?\d+", cells[0]):
            raise doc.error(row.number, "an integer error code", cells[0])
        codes.append({"code": int(cells[0]), "message": cells[1] if len(cells) > 1 else "", "line": row.number})
    return {
        "kind": "click_through",
        "mime_type": m.group(1),
        "parameters": params,
        "names": _names_header(params_table),
        "statuses": statuses,
        "codes": codes,
    }
