"""What changed between two versions of an endpoint's table, and whom each change breaks.

Each change names the item (``what``: a variable, a code, a response parameter...), the table
attribute that changed (``attribute``: ``max_length``, ``allowed.values``, ``allowed_text``...),
its old and new value, a class, the way API-diff tools (buf, oasdiff) classify:

* ``breaking`` -- an implementation written for OLD may now fail (a variable removed or made
  required, a limit lowered, an allowed value, code or response parameter removed);
* ``additive`` -- new things a careful peer must now handle (a new optional variable, a new
  error code, a raised limit, a new allowed value);
* ``editorial`` -- text only (descriptions, history wording, labels);

and its audience, ``breaks``: which implementations written for OLD the change breaks --

* ``client`` -- a client that *sends* requests (a limit lowered, a variable made required, an
  allowed value or a variable removed: what it sends is now refused);
* ``server`` -- a server that *accepts* requests and answers them (a limit raised, a new variable or
  allowed value, a variable made optional: what clients may now send is refused; a code removed,
  a message template changed: what it answers no longer conforms);
* ``decoder`` -- a client that *reads* answers (a new code, response parameter or status);

an empty list: nobody (editorial changes).  The order of the changes is stable: the document,
then the request variables (by name), the codes, the responses, the statuses and the actions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "AUDIENCES",
    "CLASSES",
    "Change",
    "EndpointMismatch",
    "condition_phrases",
    "describe",
    "diff_tables",
    "format_changes",
    "format_markdown",
]

Change = dict[str, Any]
Table = dict[str, Any]

CLIENT, SERVER, DECODER = "client", "server", "decoder"
AUDIENCES = (CLIENT, SERVER, DECODER)
CLASSES = ("breaking", "additive", "editorial")

_PRESENCE_RANK = {"optional": 0, "conditional": 1, "required": 2}


class EndpointMismatch(ValueError):
    """OLD and NEW describe two different endpoints: a diff between them means nothing."""

    def __init__(self, old: str, new: str, detail: str) -> None:
        self.old = old
        self.new = new
        super().__init__(f"cannot compare {old} with {new}: {detail}")


def _change(
    kind: str, what: str, attribute: str | None, cls: str, breaks: Iterable[str], old: Any = None, new: Any = None
) -> Change:
    wanted = set(breaks)
    return {
        "kind": kind,
        "what": what,
        "attribute": attribute,
        "class": cls,
        "breaks": [a for a in AUDIENCES if a in wanted],
        "old": old,
        "new": new,
    }


def _editorial(kind: str, what: str, attribute: str | None, old: Any, new: Any) -> list[Change]:
    """A text-only change that breaks nobody, when *old* and *new* differ."""
    return [] if old == new else [_change(kind, what, attribute, "editorial", [], old, new)]


def _by(items: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    return {item[key]: item for item in items}


def _grown(old: Iterable[Any], new: Iterable[Any]) -> tuple[list[Any], list[Any]]:
    """(removed, added), each sorted."""
    o, n = set(old), set(new)
    return sorted(o - n, key=str), sorted(n - o, key=str)


# ---------------------------------------------------------------------------- request variables


def _field_added(f: dict[str, Any]) -> Change:
    summary = {"presence": f["presence"], "type": f["type"], "max_length": f["max_length"], "since": f["since"]}
    if f["presence"] == "required":  # clients do not send it yet, servers do not know it yet
        return _change("field-added", f["name"], None, "breaking", [CLIENT, SERVER], None, summary)
    return _change("field-added", f["name"], None, "additive", [SERVER], None, summary)


def _max_length(name: str, old: int | None, new: int | None) -> Change:
    lowered = new is not None and (old is None or new < old)
    if lowered:
        return _change("max-length", name, "max_length", "breaking", [CLIENT], old, new)
    return _change("max-length", name, "max_length", "additive", [SERVER], old, new)


def _presence(name: str, old: str, new: str) -> Change:
    if _PRESENCE_RANK[new] > _PRESENCE_RANK[old]:
        return _change("presence", name, "presence", "breaking", [CLIENT], old, new)
    return _change("presence", name, "presence", "additive", [SERVER], old, new)


def _type(name: str, o: dict[str, Any], n: dict[str, Any]) -> list[Change]:
    if o["type"] != n["type"]:
        # narrowed to integer: text a client sends is refused; widened to text: a server refuses it
        breaks = [CLIENT] if n["type"] == "integer" else [SERVER] if n["type"] == "string" else [CLIENT, SERVER]
        return [_change("type", name, "type", "breaking", breaks, o["type"], n["type"])]
    if o["doc_type"] != n["doc_type"]:  # char and string are one wire type (note type-char-vs-string)
        return [_change("doc-type", name, "doc_type", "editorial", [], o["doc_type"], n["doc_type"])]
    return []


_LENIENT_KEYS = (
    "lenient_values",
    "lenient_case_insensitive",
    "lenient_any_positive_integer",
    "lenient_spaces_and_repeats",
)


def _allowed(name: str, o: dict[str, Any] | None, n: dict[str, Any] | None) -> list[Change]:
    ok, nk = (o or {}).get("kind"), (n or {}).get("kind")
    if ok != nk:
        # free text restricted: clients break; a restriction lifted: servers break
        breaks = [CLIENT] if ok is None else [SERVER] if nk is None else [CLIENT, SERVER]
        return [_change("allowed-kind", name, "allowed.kind", "breaking", breaks, ok, nk)]
    if o is None or n is None:
        return []
    out: list[Change] = []
    # values taken from the Action table are reported once, as action-added/-removed
    from_actions = "source_line" in o and "source_line" in n
    if not from_actions:
        removed, added = _grown(o.get("values", []), n.get("values", []))
        if removed:
            out.append(_change("allowed-removed", name, "allowed.values", "breaking", [CLIENT], removed, None))
        if added:
            out.append(_change("allowed-added", name, "allowed.values", "additive", [SERVER], None, added))
        # the label of a value that stayed (a new value's label comes with it)
        o_labels, n_labels = o.get("labels") or {}, n.get("labels") or {}
        relabelled = sorted(v for v in o_labels.keys() & n_labels.keys() if o_labels[v] != n_labels[v])
        if relabelled:
            was = {v: o_labels[v] for v in relabelled}
            now = {v: n_labels[v] for v in relabelled}
            out.append(_change("allowed-labels", name, "allowed.labels", "editorial", [], was, now))
    for key in sorted((o.keys() | n.keys()) - {"kind", "values", "labels", "source_line"}):
        before, after = o.get(key), n.get(key)
        if before == after:
            continue
        attribute = f"allowed.{key}"
        if key == "hedge":
            out.append(_change("allowed-rule", name, attribute, "editorial", [], before, after))
        elif key in _LENIENT_KEYS:
            widened = (
                bool(set(after or []) - set(before or [])) if key == "lenient_values" else bool(after) and not before
            )
            cls, breaks = ("additive", [SERVER]) if widened else ("editorial", [])
            out.append(_change("allowed-rule", name, attribute, cls, breaks, before, after))
        else:
            out.append(_change("allowed-rule", name, attribute, "breaking", [CLIENT, SERVER], before, after))
    return out


def _special_values(name: str, o: list[dict[str, Any]], n: list[dict[str, Any]]) -> list[Change]:
    ov, nv = {s["value"]: s["meaning"] for s in o}, {s["value"]: s["meaning"] for s in n}
    removed, added = _grown(ov, nv)
    out = []
    if removed:
        out.append(_change("special-values", name, "special_values", "breaking", [CLIENT], removed, None))
    if added:
        out.append(_change("special-values", name, "special_values", "additive", [SERVER], None, added))
    for value in sorted(ov.keys() & nv.keys()):
        out += _editorial("special-value-meaning", name, "special_values", ov[value], nv[value])
    return out


def _same_field(o: dict[str, Any], n: dict[str, Any]) -> list[Change]:
    name = n["name"]
    out: list[Change] = []
    if o["name"] != n["name"]:  # the same key: names are case-insensitive on the wire
        out.append(_change("name", name, "name", "editorial", [], o["name"], n["name"]))
    if o["max_length"] != n["max_length"]:
        out.append(_max_length(name, o["max_length"], n["max_length"]))
    if o["presence"] != n["presence"]:
        out.append(_presence(name, o["presence"], n["presence"]))
    elif o.get("printed_as") != n.get("printed_as"):
        out.append(_change("printed-as", name, "printed_as", "editorial", [], o.get("printed_as"), n.get("printed_as")))
    if o["condition"] != n["condition"]:
        # a cross-field rule changed: what clients send and what servers accept both move
        out.append(
            _change("condition", name, "condition", "breaking", [CLIENT, SERVER], o["condition"], n["condition"])
        )
    out += _type(name, o, n)
    out += _allowed(name, o.get("allowed"), n.get("allowed"))
    out += _editorial("allowed-text", name, "allowed_text", o.get("allowed_text"), n.get("allowed_text"))
    if o["default"] != n["default"]:
        # a client that leaves it out now gets the new default; a server still applies the old one
        out.append(_change("default", name, "default", "breaking", [CLIENT, SERVER], o["default"], n["default"]))
    out += _special_values(name, o["special_values"], n["special_values"])
    out += _editorial("since", name, "since", o["since"], n["since"])
    out += _editorial("changed-in", name, "changed_in", o.get("changed_in", []), n.get("changed_in", []))
    # not on the wire: what the kit redacts in reports and logs
    out += _editorial("secret", name, "secret", o.get("secret"), n.get("secret"))
    out += _editorial("description", name, "description", o["description"], n["description"])
    return out


def _field_changes(old: Table, new: Table) -> list[Change]:
    o_fields = {f["key"]: f for f in old["request"]["fields"]}
    n_fields = {f["key"]: f for f in new["request"]["fields"]}
    out = [_field_added(n_fields[key]) for key in sorted(n_fields.keys() - o_fields.keys())]
    for key in sorted(o_fields.keys() - n_fields.keys()):
        # a client still sending it is refused (unrecognised); nobody else is hurt
        f = o_fields[key]
        out.append(_change("field-removed", f["name"], None, "breaking", [CLIENT], f["presence"], None))
    for key in sorted(o_fields.keys() & n_fields.keys()):
        out += _same_field(o_fields[key], n_fields[key])
    return out


# ---------------------------------------------------------------------------- codes


def _code_changes(old: Table, new: Table) -> list[Change]:
    out: list[Change] = []
    o, n = _by(old["codes"], "code"), _by(new["codes"], "code")
    for code in sorted(n.keys() - o.keys(), reverse=True):
        out.append(_change("code-added", str(code), None, "additive", [DECODER], None, n[code]["message"]))
    for code in sorted(o.keys() - n.keys(), reverse=True):
        # a server still answering it answers a code its endpoint no longer has
        out.append(_change("code-removed", str(code), None, "breaking", [SERVER], o[code]["message"], None))
    for code in sorted(o.keys() & n.keys(), reverse=True):
        if o[code]["message"] == n[code]["message"]:
            continue
        # messages are judged against their code's template: a server sending the old text fails;
        # a decoder reading the argument out of the message needs the new placeholder
        placeholder_moved = o[code]["placeholder"] != n[code]["placeholder"]
        breaks = [SERVER, DECODER] if placeholder_moved else [SERVER]
        out.append(
            _change("code-message", str(code), "message", "breaking", breaks, o[code]["message"], n[code]["message"])
        )
    return out


# ---------------------------------------------------------------------------- responses


def _parameter_changes(old: Table, new: Table) -> list[Change]:
    out: list[Change] = []
    o, n = _by(old["responses"]["parameters"], "name"), _by(new["responses"]["parameters"], "name")
    for name in sorted(n.keys() - o.keys()):
        out.append(_change("response-parameter-added", name, None, "additive", [DECODER], None, n[name]["presence"]))
    for name in sorted(o.keys() - n.keys()):
        out.append(_change("response-parameter-removed", name, None, "breaking", [DECODER], o[name]["presence"], None))
    for name in sorted(o.keys() & n.keys()):
        op, np_ = o[name], n[name]
        if op["presence"] != np_["presence"]:
            # now always sent: old servers that leave it out break; no longer always: decoders relying on it
            always_now, always_before = np_["presence"] == {"always": True}, op["presence"] == {"always": True}
            breaks = [SERVER] if always_now else [DECODER] if always_before else [SERVER, DECODER]
            out.append(
                _change(
                    "response-parameter-presence", name, "presence", "breaking", breaks, op["presence"], np_["presence"]
                )
            )
        if op["type"] != np_["type"]:
            breaks = [DECODER] if np_["type"] == "string" else [SERVER] if op["type"] == "string" else [SERVER, DECODER]
            out.append(_change("response-parameter-type", name, "type", "breaking", breaks, op["type"], np_["type"]))
        out += _editorial(
            "response-parameter-description", name, "description", op.get("description"), np_.get("description")
        )
    return out


def _format_changes(old: Table, new: Table) -> list[Change]:
    out: list[Change] = []
    of, nf = _by(old["responses"]["formats"], "name"), _by(new["responses"]["formats"], "name")
    for name in sorted(nf.keys() - of.keys()):
        # only a client asking for it gets it; the server must produce it
        out.append(_change("response-format-added", name, None, "additive", [SERVER], None, nf[name]))
    for name in sorted(of.keys() - nf.keys()):
        out.append(_change("response-format-removed", name, None, "breaking", [CLIENT], of[name], None))
    for name in sorted(of.keys() & nf.keys()):
        o, n = of[name], nf[name]
        for key in sorted(o.keys() | n.keys()):
            before, after = o.get(key), n.get(key)
            if before == after:
                continue
            if key == "expected_delivery":
                removed, added = _grown(before or [], after or [])
                if removed:
                    out.append(_change("response-format", name, key, "breaking", [SERVER], removed, None))
                if added:
                    out.append(_change("response-format", name, key, "additive", [DECODER], None, added))
            elif key == "value":  # the responseFormat value that asks for it
                out.append(_change("response-format", name, key, "breaking", [CLIENT], before, after))
            else:  # mime_type, lines: what the server writes and the decoder reads
                out.append(_change("response-format", name, key, "breaking", [SERVER, DECODER], before, after))
    o_sel, n_sel = old["responses"].get("selected_by"), new["responses"].get("selected_by")
    if o_sel != n_sel:
        out.append(_change("response-selected-by", "responses", "selected_by", "breaking", [CLIENT], o_sel, n_sel))
    o_case = old["responses"].get("names_case_insensitive", False)
    n_case = new["responses"].get("names_case_insensitive", False)
    if o_case != n_case:  # decoders must now match names in any case (or servers must spell them exactly)
        whom = [DECODER] if n_case else [SERVER]
        out.append(
            _change("response-names-case", "responses", "names_case_insensitive", "breaking", whom, o_case, n_case)
        )
    o_mean = {m["hours"]: m["meaning"] for m in old["responses"].get("expected_delivery_meanings", [])}
    n_mean = {m["hours"]: m["meaning"] for m in new["responses"].get("expected_delivery_meanings", [])}
    for hours in sorted(o_mean.keys() | n_mean.keys()):
        out += _editorial("expected-delivery-meaning", str(hours), "meaning", o_mean.get(hours), n_mean.get(hours))
    return out


def _status_changes(old: Table, new: Table) -> list[Change]:
    out: list[Change] = []
    o, n = _by(old["statuses"], "status"), _by(new["statuses"], "status")
    for status in sorted(n.keys() - o.keys()):
        out.append(_change("status-added", str(status), None, "additive", [DECODER], None, n[status]["description"]))
    for status in sorted(o.keys() - n.keys()):
        out.append(_change("status-removed", str(status), None, "breaking", [SERVER], o[status]["description"], None))
    for status in sorted(o.keys() & n.keys()):
        removed, added = _grown(o[status]["actions"], n[status]["actions"])
        if removed:  # a server still answering it for those actions
            out.append(_change("status-actions", str(status), "actions", "breaking", [SERVER], removed, None))
        if added:
            out.append(_change("status-actions", str(status), "actions", "additive", [DECODER], None, added))
        out += _editorial(
            "status-description", str(status), "description", o[status]["description"], n[status]["description"]
        )
    return out


def _action_changes(old: Table, new: Table) -> list[Change]:
    out: list[Change] = []
    o, n = _by(old["actions"], "value"), _by(new["actions"], "value")
    for value in sorted(n.keys() - o.keys()):
        out.append(_change("action-added", value, None, "additive", [SERVER], None, n[value]["description"]))
    for value in sorted(o.keys() - n.keys()):
        out.append(_change("action-removed", value, None, "breaking", [CLIENT], o[value]["description"], None))
    for value in sorted(o.keys() & n.keys()):
        out += _editorial("action-description", value, "description", o[value]["description"], n[value]["description"])
    return out


# ---------------------------------------------------------------------------- the document


def _document_changes(old: Table, new: Table) -> list[Change]:
    out: list[Change] = []
    for key in sorted((old["endpoint"].keys() | new["endpoint"].keys()) - {"name", "url_printed_in_document"}):
        before, after = old["endpoint"].get(key), new["endpoint"].get(key)
        if before != after:  # where and how a client sends
            out.append(_change("endpoint", new["endpoint"]["name"], key, "breaking", [CLIENT], before, after))
    out += _editorial(
        "document-version", "document", "document_version", old["document_version"], new["document_version"]
    )
    o, n = _by(old["version_history"], "version"), _by(new["version_history"], "version")
    for version in sorted(n.keys() - o.keys(), key=_version_key):
        out.append(_change("history-added", version, None, "editorial", [], None, n[version]["change"]))
    for version in sorted(o.keys() - n.keys(), key=_version_key):
        out.append(_change("history-removed", version, None, "editorial", [], o[version]["change"], None))
    for version in sorted(o.keys() & n.keys(), key=_version_key):
        out += _editorial("history-changed", version, "change", o[version]["change"], n[version]["change"])
    oc = (old.get("provenance") or {}).get("countries")
    nc = (new.get("provenance") or {}).get("countries")
    if oc and nc and oc != nc:  # the ISO 3166 list behind countryName (-7)
        out.append(_change("countries", "countries", "provenance.countries", "breaking", [CLIENT, SERVER], oc, nc))
    on, nn = {x["id"] for x in old.get("notes", [])}, {x["id"] for x in new.get("notes", [])}
    for note in sorted(nn - on):
        out.append(_change("note-added", note, None, "editorial", []))
    for note in sorted(on - nn):
        out.append(_change("note-removed", note, None, "editorial", []))
    return out


def _version_key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in version.split("."))
    except ValueError:
        return (0,)


def diff_tables(old: Table, new: Table) -> list[Change]:
    """Every change from *old* to *new*, in a stable order.

    Raises :class:`EndpointMismatch` when the two tables are of different endpoints.
    """
    o_name, n_name = old["endpoint"]["name"], new["endpoint"]["name"]
    if o_name != n_name:
        raise EndpointMismatch(
            o_name, n_name, "OLD and NEW must be two versions of the same endpoint's document or table"
        )
    return (
        _document_changes(old, new)
        + _field_changes(old, new)
        + _code_changes(old, new)
        + _parameter_changes(old, new)
        + _format_changes(old, new)
        + _status_changes(old, new)
        + _action_changes(old, new)
    )


# ---------------------------------------------------------------------------- plain text


def _show(value: Any, limit: int = 70) -> str:
    if value is None:
        return "none"
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _breaks_text(breaks: list[str]) -> str:
    return "breaks " + ("/".join(breaks) if breaks else "nobody")


def format_changes(old: Table, new: Table, changes: list[Change]) -> str:
    """Readable text: a heading, the counts, then one line a change grouped by class, each with
    the attribute's old and new value and whom it breaks."""
    head = f"{new['endpoint']['name']}: {old['document_version']} -> {new['document_version']}"
    if not changes:
        return head + "\nno changes\n"
    lines = [head]
    counts = {cls: sum(1 for c in changes if c["class"] == cls) for cls in CLASSES}
    lines.append(", ".join(f"{n} {cls}" for cls, n in counts.items()))
    for cls in CLASSES:
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
            lines.append(f"  {c['kind']:<28} {c['what']:<24} {detail}  [{_breaks_text(c['breaks'])}]".rstrip())
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- Markdown


def _code(value: Any) -> str:
    text = str(value)
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _quote(text: Any) -> str:
    return "“" + str(text).replace("\n", " ") + "”"


def _values(values: Any) -> str:
    return ", ".join(_code(v) for v in values) if values else "none"


def _length(value: Any) -> str:
    return "no limit" if value is None else f"{value} characters"


def condition_phrases(condition: dict[str, Any] | None) -> list[str]:
    """A field's ``condition`` (see spec/README.md) in words, one phrase per part."""
    if not condition:
        return []
    parts = []
    if "required_when" in condition:
        when = condition["required_when"]
        parts.append(f"required when {_code(when['field'])} is {_code(when['equals'])}, optional otherwise")
    if "required_unless" in condition:
        parts.append(f"required unless {_code(condition['required_unless'])} is given")
    if "forbidden_with" in condition:
        parts.append(f"not allowed together with {_code(condition['forbidden_with'])}")
    return parts


def _condition(value: Any) -> str:
    return "; ".join(condition_phrases(value)) or ("none" if not value else str(value))


def _response_presence(value: Any) -> str:
    if not isinstance(value, dict):
        return str(value)
    if value.get("always"):
        return "always present"
    if "code_in" in value:
        return "present only when errorCode is " + " or ".join(map(str, value["code_in"]))
    if "code_not_in" in value:
        return "present except when errorCode is " + " or ".join(map(str, value["code_not_in"]))
    return "sometimes present"


def _span(old: str | None, new: str | None, limit: int = 100) -> tuple[str, str]:
    """The part of two texts that differs, with the common start and end cut to '…'."""
    a, b = old or "", new or ""
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1

    def mid_word(text: str, at: int) -> bool:
        return 0 < at < len(text) and not text[at - 1].isspace() and not text[at].isspace()

    # widen to whole words so that the excerpt reads
    while start > 0 and (mid_word(a, start) or mid_word(b, start)):
        start -= 1
    while end > 0 and (mid_word(a, len(a) - end) or mid_word(b, len(b) - end)):
        end -= 1
    if not a[start : len(a) - end].strip() or not b[start : len(b) - end].strip():
        # an insertion or a deletion: show a word of context on each side
        start = max(0, a.rfind(" ", 0, max(0, start - 1)) + 1) if start else 0
        if end:
            after = a.find(" ", len(a) - end + 1)
            end = 0 if after < 0 else len(a) - after

    def cut(text: str) -> str:
        middle = text[start : len(text) - end]
        if len(middle) > limit:
            middle = middle[: limit - 1] + "…"
        return ("…" if start else "") + middle + ("…" if end else "")

    return cut(a), cut(b)


def _reworded(subject: str, old: Any, new: Any) -> str:
    before, after = _span(old, new)
    return f"{subject} reworded: {_quote(before)} → {_quote(after)}."


_Describe = Callable[[Change], str]

_SENTENCES: dict[str, _Describe] = {
    "endpoint": lambda c: f"The endpoint's {c['attribute']} is now {_code(c['new'])} (was {_code(c['old'])}).",
    "document-version": lambda c: f"Document version {c['old']} → {c['new']}.",
    "history-added": lambda c: f"Version history: new line {_code('- ' + c['what'] + ' ' + c['new'])}.",
    "history-removed": lambda c: f"Version history: the line for {c['what']} was removed (it read {_quote(c['old'])}).",
    "history-changed": lambda c: _reworded(f"Version history: the line for {c['what']}", c["old"], c["new"]),
    "countries": lambda c: (
        f"The country list behind `countryName` changed: {c['old'].get('package')} {c['old'].get('version')} "
        f"({c['old'].get('count')} codes) → {c['new'].get('package')} {c['new'].get('version')} "
        f"({c['new'].get('count')} codes)."
    ),
    "note-added": lambda c: f"Note {_code(c['what'])} of `spec/readings.toml` now applies.",
    "note-removed": lambda c: f"Note {_code(c['what'])} of `spec/readings.toml` no longer applies (check its fields).",
    "field-added": lambda c: (
        f"New {c['new']['presence']} variable {_code(c['what'])} ({c['new']['type']}, "
        f"{_length(c['new']['max_length'])}, since {c['new']['since']})."
    ),
    "field-removed": lambda c: f"Variable {_code(c['what'])} ({c['old']}) was removed: servers no longer recognise it.",
    "name": lambda c: (
        f"Variable {_code(c['old'])} is now spelled {_code(c['new'])} (names are case-insensitive on the wire)."
    ),
    "max-length": lambda c: f"{_code(c['what'])}: maximum length {_length(c['old'])} → {_length(c['new'])}.",
    "presence": lambda c: f"{_code(c['what'])} is now {c['new']} (was {c['old']}).",
    "printed-as": lambda c: f"{_code(c['what'])} is printed {c['new']} (was {c['old']}); its presence is unchanged.",
    "condition": lambda c: f"{_code(c['what'])}: rule {_condition(c['old'])} → {_condition(c['new'])}.",
    "type": lambda c: f"{_code(c['what'])}: type {c['old']} → {c['new']}.",
    "doc-type": lambda c: f"{_code(c['what'])}: printed type {c['old']} → {c['new']} (the same text on the wire).",
    "allowed-kind": lambda c: (
        f"{_code(c['what'])}: allowed values are now {c['new'] or 'free text'} (were {c['old'] or 'free text'})."
    ),
    "allowed-added": lambda c: f"{_code(c['what'])}: new allowed value(s) {_values(c['new'])}.",
    "allowed-removed": lambda c: f"{_code(c['what'])}: allowed value(s) {_values(c['old'])} removed.",
    "allowed-labels": lambda c: f"{_code(c['what'])}: labels of the allowed values {c['old']} → {c['new']}.",
    "allowed-rule": lambda c: f"{_code(c['what'])}: {c['attribute']} {c['old']} → {c['new']}.",
    "allowed-text": lambda c: _reworded(f"{_code(c['what'])}: the Allowed Values text", c["old"], c["new"]),
    "default": lambda c: f"{_code(c['what'])}: default {_code(c['old'])} → {_code(c['new'])}.",
    "special-values": lambda c: (
        f"{_code(c['what'])}: new special value(s) {_values(c['new'])}."
        if c["new"]
        else f"{_code(c['what'])}: special value(s) {_values(c['old'])} removed."
    ),
    "special-value-meaning": lambda c: _reworded(f"{_code(c['what'])}: a special value's meaning", c["old"], c["new"]),
    "since": lambda c: f"{_code(c['what'])}: since version {c['old']} → {c['new']}.",
    "changed-in": lambda c: f"{_code(c['what'])}: changed in versions {c['old']} → {c['new']}.",
    "secret": lambda c: (
        f"{_code(c['what'])} is now {'secret (never logged or echoed)' if c['new'] else 'no longer secret'}."
    ),
    "description": lambda c: _reworded(f"{_code(c['what'])}: the description", c["old"], c["new"]),
    "code-added": lambda c: f"New code {_code(c['what'])}: {_quote(c['new'])}.",
    "code-removed": lambda c: f"Code {_code(c['what'])} was removed (it read {_quote(c['old'])}).",
    "code-message": lambda c: f"Code {_code(c['what'])}: message template {_quote(c['old'])} → {_quote(c['new'])}.",
    "response-parameter-added": lambda c: f"New response parameter {_code(c['what'])}, {_response_presence(c['new'])}.",
    "response-parameter-removed": lambda c: f"Response parameter {_code(c['what'])} was removed.",
    "response-parameter-presence": lambda c: (
        f"Response parameter {_code(c['what'])}: {_response_presence(c['old'])} → {_response_presence(c['new'])}."
    ),
    "response-parameter-type": lambda c: f"Response parameter {_code(c['what'])}: type {c['old']} → {c['new']}.",
    "response-parameter-description": lambda c: _reworded(
        f"Response parameter {_code(c['what'])}: the description", c["old"], c["new"]
    ),
    "response-format-added": lambda c: f"New response format {_code(c['what'])} ({c['new'].get('mime_type')}).",
    "response-format-removed": lambda c: f"Response format {_code(c['what'])} was removed.",
    "response-format": lambda c: (
        f"Response format {_code(c['what'])}: {c['attribute']} "
        + (
            f"gains {_values(c['new'])}."
            if c["old"] is None
            else f"loses {_values(c['old'])}."
            if c["new"] is None
            else f"{c['old']} → {c['new']}."
        )
    ),
    "response-selected-by": lambda c: f"The response format is chosen by {_code(c['new'])} (was {_code(c['old'])}).",
    "expected-delivery-meaning": lambda c: _reworded(
        f"Expected delivery time {c['what']} hours: the meaning", c["old"], c["new"]
    ),
    "status-added": lambda c: f"New status {_code(c['what'])}: {_quote(c['new'])}.",
    "status-removed": lambda c: f"Status {_code(c['what'])} was removed (it read {_quote(c['old'])}).",
    "status-actions": lambda c: (
        f"Status {_code(c['what'])} may now answer action(s) {_values(c['new'])}."
        if c["new"]
        else f"Status {_code(c['what'])} no longer answers action(s) {_values(c['old'])}."
    ),
    "status-description": lambda c: _reworded(f"Status {_code(c['what'])}: the description", c["old"], c["new"]),
    "action-added": lambda c: f"New action {_code(c['what'])}: {_quote(c['new'])}.",
    "action-removed": lambda c: f"Action {_code(c['what'])} was removed.",
    "action-description": lambda c: _reworded(f"Action {_code(c['what'])}: the description", c["old"], c["new"]),
}


def describe(change: Change) -> str:
    """One sentence a maintainer can read in a changelog."""
    sentence = _SENTENCES.get(change["kind"])
    if sentence is None:
        return f"{change['kind']} {_code(change['what'])}: {_show(change['old'])} → {_show(change['new'])}."
    return sentence(change)


_AUDIENCE_HEADINGS = {
    CLIENT: "Breaks clients (what a client sends)",
    SERVER: "Breaks servers (what a server accepts and answers)",
    DECODER: "Breaks decoders (the answers a client reads)",
}


def _source(table: Table) -> str:
    prov = table.get("provenance") or {}
    source, sha = prov.get("source"), prov.get("source_sha256")
    if not source:
        return ""
    return f" ({_code(source)}" + (f", sha256 {_code(sha[:12])}" if sha else "") + ")"


def format_markdown(old: Table, new: Table, changes: list[Change]) -> str:
    """A changelog section to paste: a heading with the endpoint and versions, the counts, then
    the changes grouped by whom they break (a change that breaks two audiences is listed under
    each), each one bullet."""
    name = new["endpoint"]["name"]
    lines = [f"## {name} {new['document_version']} (changes since {old['document_version']})", ""]
    lines.append(
        f"Compared document {old['document_version']}{_source(old)} with {new['document_version']}{_source(new)}."
    )
    if not changes:
        return "\n".join([*lines, "", "No changes.", ""])
    counts = ", ".join(f"{sum(1 for c in changes if c['class'] == cls)} {cls}" for cls in CLASSES)
    lines[-1] += f" {counts}."
    for audience in AUDIENCES:
        group = [c for c in changes if audience in c["breaks"]]
        if not group:
            continue
        lines += ["", f"### {_AUDIENCE_HEADINGS[audience]}", ""]
        for c in group:
            others = [a for a in c["breaks"] if a != audience]
            also = f" (also {' and '.join(a + 's' for a in others)})" if others else ""
            lines.append(f"- **{c['class']}**{also}: {describe(c)}")
    editorial = [c for c in changes if not c["breaks"]]
    if editorial:
        lines += ["", "### Breaks nobody (editorial)", ""]
        lines += [f"- {describe(c)}" for c in editorial]
    return "\n".join(lines) + "\n"
