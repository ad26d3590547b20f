"""Build an endpoint's table from the facts of its document, the readings and the country list.

The table is a plain, JSON-ready dict with sorted keys; :mod:`spec.render` writes it.  Its shape
is described in ``spec/README.md``.  Where a table value is a reading rather than a fact, the
field or row carries the id of the note in ``spec/readings.toml`` that explains it.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .document import Document, DocumentError

__all__ = ["BASE_URL", "SCHEMA_VERSION", "attribute_name", "build_table", "load_readings"]

SCHEMA_VERSION = 1
BASE_URL = "https://secure.comodo.net"
READINGS = Path(__file__).with_name("readings.toml")

_SECRET = {"loginPassword", "saspSessionID"}
_PLACEHOLDERS = {"'xxxx'": "argument", "'xx'": "country"}


def load_readings(path: Path = READINGS) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def attribute_name(wire: str) -> str:
    """``checkFONIsUnique`` -> ``check_fon_is_unique``; ``streetAddress1`` -> ``street_address1``."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", wire)
    s = re.sub(r"([a-z])([A-Z])", r"\1_\2", s)
    return s.lower()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


LENIENT_FOR = ("receivers", "both", "none")
"""Whom a note's lenient reading serves (``lenient_for``): receivers only, senders too, or no one
(strict and lenient are the same).  See ``spec/readings.toml``."""


def _check_lenient_for(note: dict[str, Any]) -> None:
    """Every note says whom its lenient reading serves; a note that lets a peer depart from the
    letter (``accept``) cannot say "none"."""
    side = note.get("lenient_for")
    if side not in LENIENT_FOR:
        raise DocumentError(str(READINGS.name), 0, f"note {note['id']}: lenient_for one of {LENIENT_FOR}", str(side))
    if side == "none" and note.get("accept"):
        raise DocumentError(
            str(READINGS.name), 0, f"note {note['id']}: lenient_for other than none (it has accept)", side
        )


def _notes_for(readings: dict[str, Any], endpoint: str, field_names: set[str]) -> list[dict[str, Any]]:
    notes = []
    for note in readings.get("note", []):
        _check_lenient_for(note)
        if "*" not in note["endpoints"] and endpoint not in note["endpoints"]:
            continue
        if not set(note.get("fields", [])) <= field_names:
            continue
        item = {k: v for k, v in note.items() if k != "endpoints"}
        item.setdefault("accept", {})
        notes.append(item)
    return sorted(notes, key=lambda n: n["id"])


def _field_notes(notes: list[dict[str, Any]], name: str) -> list[str]:
    return [n["id"] for n in notes if name in n.get("fields", [])]


# The value kinds.  Each name is one class in codec/kinds.py (its check, lenient acceptance,
# Python type and examples) and one Hypothesis strategy in conformance/strategies.py; here, each
# kind's table row is built from what spec.extract read (and the notes that widen it).
def _enum_row(allowed: dict[str, Any], note_ids: set[str]) -> dict[str, Any]:
    return {
        "values": allowed["values"],
        "lenient_values": [],
        "lenient_case_insensitive": False,
        "labels": allowed.get("labels", {}),
    }


def _flag_row(allowed: dict[str, Any], note_ids: set[str]) -> dict[str, Any]:
    strict = sorted(set(allowed["values"]) | set(allowed["documented_lowercase"]))
    lenient = sorted({"N", "Y", "n", "y"} - set(strict)) if "flag-lowercase" in note_ids else []
    return {"values": strict, "lenient_values": lenient, "lenient_case_insensitive": False, "labels": {}}


def _integer_enum_row(allowed: dict[str, Any], note_ids: set[str]) -> dict[str, Any]:
    return {
        "values": allowed["values"],
        "hedge": allowed["hedge"],
        "lenient_any_positive_integer": "days-for-most-products" in note_ids,
    }


def _comma_list_row(allowed: dict[str, Any], note_ids: set[str]) -> dict[str, Any]:
    return {
        "values": allowed["values"],
        "labels": allowed["labels"],
        "separator": ",",
        "strict_unique": True,
        "lenient_spaces_and_repeats": "product-list-syntax" in note_ids,
    }


def _country_row(allowed: dict[str, Any], note_ids: set[str]) -> dict[str, Any]:
    return {"lenient_case_insensitive": "country-case" in note_ids, "error_code": -7}


_ALLOWED_ROWS: dict[str, Callable[[dict[str, Any], set[str]], dict[str, Any]]] = {
    "enum": _enum_row,
    "numeric_enum": _enum_row,
    "flag": _flag_row,
    "integer_enum": _integer_enum_row,
    "comma_list": _comma_list_row,
    "country": _country_row,
}
# the kinds of variables without allowed values, by their type
_PLAIN_KINDS = {"integer": "integer", "string": "text"}


def _allowed(field: dict[str, Any], actions: list[dict[str, Any]], note_ids: set[str]) -> dict[str, Any] | None:
    """Turn the extracted allowed values into strict and lenient value sets (see the notes cited)."""
    allowed = field["allowed"]
    if allowed is None and actions and "One of available actions" in field["description"]:
        return {
            "kind": "enum",
            "values": sorted(a["value"] for a in actions),
            "lenient_values": [],
            "lenient_case_insensitive": "names-case-insensitive" in note_ids,
            "labels": {a["value"]: a["description"] for a in actions},
            "source_line": actions[0]["line"],
        }
    if allowed is None:
        return None
    return {"kind": allowed["kind"], **_ALLOWED_ROWS[allowed["kind"]](allowed, note_ids)}


def _condition(field: dict[str, Any], excluded_by: dict[str, str]) -> dict[str, Any] | None:
    if field["required_when"]:
        return {"required_when": field["required_when"]}
    if field["name"] in excluded_by:
        return {"required_unless": excluded_by[field["name"]], "forbidden_with": excluded_by[field["name"]]}
    return None


def _request(facts: dict[str, Any], notes: list[dict[str, Any]], policy: dict[str, Any]) -> dict[str, Any]:
    excluded_by = {name: f["name"] for f in facts["request_fields"] for name in f["excludes"]}
    fields = []
    rules = []
    for f in facts["request_fields"]:
        note_ids = set(_field_notes(notes, f["name"])) | {n["id"] for n in notes if not n.get("fields")}
        condition = _condition(f, excluded_by)
        allowed = _allowed(f, facts["actions"], note_ids)
        value_type = "integer" if f["doc_type"] == "integer" else "string"
        presence = f["presence"]
        if condition and "required_unless" in condition:
            presence = "conditional"
        fields.append(
            {
                "name": f["name"],
                "key": f["name"].lower(),
                "attribute": attribute_name(f["name"]),
                "type": value_type,
                "kind": allowed["kind"] if allowed else _PLAIN_KINDS[value_type],
                "doc_type": f["doc_type"],
                "max_length": f["max_length"],
                "presence": presence,
                "printed_as": "italic" if f["italic"] else ("starred" if f["starred"] else "plain"),
                "condition": condition,
                "allowed": allowed,
                "default": f["default"],
                "special_values": f["special_values"],
                "since": f["since"],
                "changed_in": f["changed_in"],
                "description": f["description"],
                "allowed_text": f["allowed_text"],
                "secret": f["name"] in _SECRET,
                "source_line": f["line"],
                "notes": _field_notes(notes, f["name"]),
            }
        )
        if f["excludes"]:
            rules.append(
                {
                    "id": f"exclusive.{f['name']}",
                    "kind": "exclusive",
                    "field": f["name"],
                    "excludes": f["excludes"],
                    "error_code": policy["exclusive_violation_code"],
                    "source_line": f["line"],
                    "note": "sasp-excludes-login",
                }
            )
            rules.append(
                {
                    "id": f"required-unless.{f['name']}",
                    "kind": "required_unless",
                    "fields": f["excludes"],
                    "unless": f["name"],
                    "error_code": -3,
                    "source_line": f["line"],
                    "note": "sasp-excludes-login",
                }
            )
        if f["required_when"]:
            rules.append(
                {
                    "id": f"required-when.{f['name']}",
                    "kind": "required_when",
                    "field": f["name"],
                    "when": f["required_when"],
                    "error_code": -3,
                    "source_line": f["line"],
                    "note": "starred-not-italic",
                }
            )
    return {"names_case_insensitive": True, "fields": fields, "rules": rules}


def _codes(items: list[dict[str, Any]], success_codes: set[int]) -> list[dict[str, Any]]:
    codes = []
    for item in items:
        placeholder = None
        for token, kind in _PLACEHOLDERS.items():
            if token in item["message"]:
                placeholder = {"token": token.strip("'"), "kind": kind}
        code = item["code"]
        codes.append(
            {
                "code": code,
                "kind": "success" if code in success_codes or code >= 0 else "error",
                "message": item["message"],
                "placeholder": placeholder,
                "free_text": "see errorMessage for details" in item["message"],
                "source_line": item["line"],
            }
        )
    return codes


def _param_type(description: str, declared: str = "") -> str:
    if declared in {"integer", "string"}:
        return declared
    d = description.lower()
    if d.startswith("an integer") or "number of hours" in d:
        return "integer"
    if d.startswith("amount"):
        return "amount"
    return "string"


def _parameter(p: dict[str, Any], value_type: str, presence: dict[str, Any]) -> dict[str, Any]:
    """A response parameter's row: its wire name, the key it is matched by (any case) and the
    attribute that holds it in the codec's response class."""
    return {
        "name": p["name"],
        "key": p["name"].lower(),
        "attribute": attribute_name(p["name"]),
        "type": value_type,
        "presence": presence,
        "description": p["description"],
        "source_line": p["line"],
    }


# newline-format line labels -> URL-encoded parameter names; most specific first ("(If Status
# Code = 0): Amount Debited" is the amount, not the status code)
_FORMAT0_NAMES = {
    "error message": "errorMessage",
    "order number": "orderNumber",
    "amount": "totalCost",
    "expected delivery time": "expectedDeliveryTime",
    "status code": "errorCode",
}


def _format0_name(doc: Document, label: str, line: int) -> str:
    low = label.lower()
    for key, name in _FORMAT0_NAMES.items():
        if key in low:
            return name
    raise DocumentError(doc.file, line, "a newline-format line the URL-encoded format also has", label)


def _auto_apply_responses(doc: Document, r: dict[str, Any]) -> dict[str, Any]:
    params = []
    for p in r["format1"]["parameters"]:
        if p["always"]:
            presence: dict[str, Any] = {"always": True}
        elif p["present_only_when"]:
            presence = {"code_in": [p["present_only_when"]["equals"]]}
        elif p["absent_when"]:
            presence = {"code_not_in": [p["absent_when"]["equals"]]}
        else:
            presence = {"sometimes": True}
        params.append(_parameter(p, _param_type(p["description"]), presence))
    known = {p["name"] for p in params}
    if "errorCode" not in known:
        where = params[0]["source_line"] if params else r["format0"]["lines"]["error"][0]["source_line"]
        found = ", ".join(sorted(known)) or "none"
        raise DocumentError(doc.file, where, "an 'errorCode' parameter in section 3.2", found)
    lines: dict[str, list[str]] = {}
    for case, rows in r["format0"]["lines"].items():
        names = ["errorCode"]
        for row in sorted(rows, key=lambda x: x["line"]):
            if row["line"] != len(names) + 1:
                raise DocumentError(doc.file, row["source_line"], f"Line {len(names) + 1}", f"Line {row['line']}")
            name = _format0_name(doc, row["label"], row["source_line"])
            if name not in known:
                expected = f"a URL-encoded parameter '{name}' in section 3.2 for this line"
                raise DocumentError(doc.file, row["source_line"], expected, "none")
            names.append(name)
        lines["code_negative" if case == "error" else "code_non_negative"] = names
    delivery0 = [d["hours"] for d in r["delivery_format0"]]
    return {
        "formats": [
            {
                "value": "0",
                "name": "newline",
                "mime_type": r["format0"]["mime_type"],
                "lines": lines,
                "expected_delivery": delivery0,
            },
            {
                "value": "1",
                "name": "urlencoded",
                "mime_type": r["format1"]["mime_type"],
                "expected_delivery": r["delivery_format1"],
            },
        ],
        "selected_by": "responseFormat",
        "names_case_insensitive": r["format1"]["names"]["case_insensitive"],
        "names_source_line": r["format1"]["names"]["line"],
        "parameters": params,
        "expected_delivery_meanings": [
            {"hours": d["hours"], "meaning": d["meaning"], "source_line": d["line"]} for d in r["delivery_format0"]
        ],
    }


def _click_through_responses(r: dict[str, Any], actions: list[str]) -> dict[str, Any]:
    params = [
        _parameter(
            p, _param_type(p["description"], p["type"]), {"always": True} if p["always"] else {"sometimes": True}
        )
        for p in r["parameters"]
    ]
    return {
        "formats": [{"value": None, "name": "urlencoded", "mime_type": r["mime_type"]}],
        "selected_by": None,
        "names_case_insensitive": r["names"]["case_insensitive"],
        "names_source_line": r["names"]["line"],
        "parameters": params,
    }


def build_table(
    doc: Document, facts: dict[str, Any], readings: dict[str, Any], countries: dict[str, Any], source_name: str
) -> dict[str, Any]:
    """Return the table of one endpoint (a JSON-ready dict)."""
    policy = dict(readings["policy"])
    names = {f["name"] for f in facts["request_fields"]}
    notes = _notes_for(readings, facts["endpoint"], names)
    r = facts["responses"]
    action_values = [a["value"] for a in facts["actions"]]
    if r["kind"] == "auto_apply":
        responses = _auto_apply_responses(doc, r)
        codes = _codes(r["codes"], {0, 1})
        statuses: list[dict[str, Any]] = []
    else:
        responses = _click_through_responses(r, action_values)
        codes = _codes(r["codes"], {0})
        statuses = [
            {
                "status": s["status"],
                "actions": action_values if s["actions"] == "any" else [s["actions"]],
                "description": s["description"],
                "source_line": s["line"],
            }
            for s in r["statuses"]
        ]
    return {
        "schema_version": SCHEMA_VERSION,
        "provenance": {
            "generator": "python -m spec regenerate",
            "source": source_name,
            "source_sha256": _sha256(doc.text),
            "readings": "spec/readings.toml",
            "countries": {k: countries[k] for k in ("package", "version", "count")},
        },
        "endpoint": {
            "name": facts["endpoint"],
            "path": facts["path"],
            "url": BASE_URL + facts["path"],
            "method": "POST",
            "request_content_type": "application/x-www-form-urlencoded",
            "url_printed_in_document": facts["url_printed_in_document"],
        },
        "document_version": facts["document_version"],
        "version_history": [
            {
                "version": h["version"],
                "change": h["change"],
                "added": h["added"],
                "changed": h["changed"],
                "removed": h["removed"],
                "source_line": h["line"],
            }
            for h in facts["version_history"]
        ],
        "request": _request(facts, notes, policy),
        "actions": [
            {"value": a["value"], "description": a["description"], "source_line": a["line"]} for a in facts["actions"]
        ],
        "responses": responses,
        "codes": codes,
        "statuses": statuses,
        "policy": policy,
        "notes": notes,
    }
