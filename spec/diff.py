"""What changed between two versions of an endpoint's table.

Each change is classified the way API-diff tools (buf, oasdiff) do:

* ``breaking`` -- a client or server written for OLD may now fail (a variable removed or made
  required, a limit lowered, an allowed value or response parameter removed);
* ``additive`` -- new things a careful peer must now handle (a new optional variable, a new
  error code, a raised limit, a new allowed value);
* ``editorial`` -- text only (descriptions, messages, version history).
"""

from __future__ import annotations

from typing import Any

__all__ = ["Change", "diff_tables", "format_changes"]

Change = dict[str, Any]


def _change(kind: str, what: str, cls: str, old: Any = None, new: Any = None) -> Change:
    return {"kind": kind, "what": what, "class": cls, "old": old, "new": new}


def _by(items: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    return {item[key]: item for item in items}


def _allowed_values(field: dict[str, Any]) -> set[str]:
    allowed = field.get("allowed") or {}
    return set(allowed.get("values", []))


def _field_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    out: list[Change] = []
    o_fields = {f["key"]: f for f in old["request"]["fields"]}
    n_fields = {f["key"]: f for f in new["request"]["fields"]}
    for key in sorted(n_fields.keys() - o_fields.keys()):
        f = n_fields[key]
        cls = "breaking" if f["presence"] == "required" else "additive"
        out.append(
            _change(
                "field-added",
                f["name"],
                cls,
                None,
                {"presence": f["presence"], "type": f["type"], "max_length": f["max_length"], "since": f["since"]},
            )
        )
    for key in sorted(o_fields.keys() - n_fields.keys()):
        out.append(_change("field-removed", o_fields[key]["name"], "breaking", o_fields[key]["presence"], None))
    for key in sorted(o_fields.keys() & n_fields.keys()):
        o, n = o_fields[key], n_fields[key]
        name = n["name"]
        if o["max_length"] != n["max_length"]:
            lowered = n["max_length"] is not None and (o["max_length"] is None or n["max_length"] < o["max_length"])
            out.append(
                _change("max-length", name, "breaking" if lowered else "additive", o["max_length"], n["max_length"])
            )
        if o["presence"] != n["presence"]:
            stricter = {"optional": 0, "conditional": 1, "required": 2}
            cls = "breaking" if stricter[n["presence"]] > stricter[o["presence"]] else "additive"
            out.append(_change("presence", name, cls, o["presence"], n["presence"]))
        if o["condition"] != n["condition"]:
            out.append(_change("condition", name, "breaking", o["condition"], n["condition"]))
        if o["type"] != n["type"] or o["doc_type"] != n["doc_type"]:
            out.append(_change("type", name, "breaking", o["doc_type"], n["doc_type"]))
        ov, nv = _allowed_values(o), _allowed_values(n)
        if ov - nv:
            out.append(_change("allowed-removed", name, "breaking", sorted(ov - nv), None))
        if nv - ov:
            out.append(_change("allowed-added", name, "additive", None, sorted(nv - ov)))
        if (o.get("allowed") or {}).get("kind") != (n.get("allowed") or {}).get("kind"):
            out.append(
                _change(
                    "allowed-kind",
                    name,
                    "breaking",
                    (o.get("allowed") or {}).get("kind"),
                    (n.get("allowed") or {}).get("kind"),
                )
            )
        if o["default"] != n["default"]:
            out.append(_change("default", name, "breaking", o["default"], n["default"]))
        if o["special_values"] != n["special_values"]:
            out.append(
                _change(
                    "special-values",
                    name,
                    "additive",
                    [s["value"] for s in o["special_values"]],
                    [s["value"] for s in n["special_values"]],
                )
            )
        if o["since"] != n["since"]:
            out.append(_change("since", name, "editorial", o["since"], n["since"]))
        if o["description"] != n["description"] or o.get("allowed_text") != n.get("allowed_text"):
            out.append(_change("description", name, "editorial", o["description"], n["description"]))
    return out


def _code_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    out: list[Change] = []
    o, n = _by(old["codes"], "code"), _by(new["codes"], "code")
    for code in sorted(n.keys() - o.keys()):
        out.append(_change("code-added", str(code), "additive", None, n[code]["message"]))
    for code in sorted(o.keys() - n.keys()):
        out.append(_change("code-removed", str(code), "breaking", o[code]["message"], None))
    for code in sorted(o.keys() & n.keys()):
        if o[code]["message"] != n[code]["message"]:
            cls = "breaking" if o[code]["placeholder"] != n[code]["placeholder"] else "editorial"
            out.append(_change("code-message", str(code), cls, o[code]["message"], n[code]["message"]))
    return out


def _response_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    out: list[Change] = []
    o, n = _by(old["responses"]["parameters"], "name"), _by(new["responses"]["parameters"], "name")
    for name in sorted(n.keys() - o.keys()):
        out.append(_change("response-parameter-added", name, "additive", None, n[name]["presence"]))
    for name in sorted(o.keys() - n.keys()):
        out.append(_change("response-parameter-removed", name, "breaking", o[name]["presence"], None))
    for name in sorted(o.keys() & n.keys()):
        if o[name]["presence"] != n[name]["presence"]:
            out.append(
                _change("response-parameter-presence", name, "breaking", o[name]["presence"], n[name]["presence"])
            )
        if o[name]["type"] != n[name]["type"]:
            out.append(_change("response-parameter-type", name, "breaking", o[name]["type"], n[name]["type"]))
    of, nf = _by(old["responses"]["formats"], "name"), _by(new["responses"]["formats"], "name")
    for name in sorted(of.keys() | nf.keys()):
        if of.get(name) != nf.get(name):
            out.append(_change("response-format", name, "breaking", of.get(name), nf.get(name)))
    os_, ns = _by(old["statuses"], "status"), _by(new["statuses"], "status")
    for status in sorted(os_.keys() | ns.keys()):
        if os_.get(status, {}).get("actions") != ns.get(status, {}).get("actions"):
            cls = "breaking" if status in os_ else "additive"
            out.append(
                _change(
                    "status", str(status), cls, os_.get(status, {}).get("actions"), ns.get(status, {}).get("actions")
                )
            )
    oa, na = {a["value"] for a in old["actions"]}, {a["value"] for a in new["actions"]}
    for a in sorted(na - oa):
        out.append(_change("action-added", a, "additive"))
    for a in sorted(oa - na):
        out.append(_change("action-removed", a, "breaking"))
    return out


def _history_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    out: list[Change] = []
    if old["endpoint"] != new["endpoint"]:
        out.append(_change("endpoint", new["endpoint"]["name"], "breaking", old["endpoint"], new["endpoint"]))
    if old["document_version"] != new["document_version"]:
        out.append(
            _change("document-version", "document", "editorial", old["document_version"], new["document_version"])
        )
    o, n = _by(old["version_history"], "version"), _by(new["version_history"], "version")
    for version in sorted(n.keys() - o.keys()):
        out.append(_change("history-added", version, "editorial", None, n[version]["change"]))
    for version in sorted(o.keys() - n.keys()):
        out.append(_change("history-removed", version, "editorial", o[version]["change"], None))
    for version in sorted(o.keys() & n.keys()):
        if o[version]["change"] != n[version]["change"]:
            out.append(_change("history-changed", version, "editorial", o[version]["change"], n[version]["change"]))
    on, nn = {x["id"] for x in old.get("notes", [])}, {x["id"] for x in new.get("notes", [])}
    for note in sorted(nn - on):
        out.append(_change("note-added", note, "editorial"))
    for note in sorted(on - nn):
        out.append(_change("note-removed", note, "editorial"))
    return out


def diff_tables(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every change from *old* to *new*, in a stable order."""
    return _history_changes(old, new) + _field_changes(old, new) + _code_changes(old, new) + _response_changes(old, new)


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        return value if len(value) <= 70 else value[:67] + "..."
    return str(value)


def format_changes(old: dict[str, Any], new: dict[str, Any], changes: list[Change]) -> str:
    """Readable text: a heading, then one line a change grouped by class."""
    head = f"{new['endpoint']['name']}: {old['document_version']} -> {new['document_version']}"
    if not changes:
        return head + "\nno changes\n"
    lines = [head]
    counts = {cls: sum(1 for c in changes if c["class"] == cls) for cls in ("breaking", "additive", "editorial")}
    lines.append(", ".join(f"{n} {cls}" for cls, n in counts.items()))
    for cls in ("breaking", "additive", "editorial"):
        group = [c for c in changes if c["class"] == cls]
        if not group:
            continue
        lines.append(f"\n{cls}:")
        for c in group:
            if c["old"] is None and c["new"] is not None:
                detail = f"= {_show(c['new'])}"
            elif c["new"] is None and c["old"] is not None:
                detail = f"(was {_show(c['old'])})"
            elif c["old"] is None and c["new"] is None:
                detail = ""
            else:
                detail = f"{_show(c['old'])} -> {_show(c['new'])}"
            lines.append(f"  {c['kind']:<28} {c['what']:<24} {detail}".rstrip())
    return "\n".join(lines) + "\n"
