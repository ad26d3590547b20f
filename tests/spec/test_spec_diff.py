"""``python -m spec diff``: exactly the attribute that changed, whom it breaks, and how it reads.

Made-up next versions of both vendor documents (edited copies of the committed text in a temporary
folder) carry one change of each sort a vendor makes; the diff must report each with its attribute,
class and audience, render it as text, JSON and a Markdown changelog, and refuse to compare two
different endpoints.  Changes a document edit cannot produce easily (a response parameter's
presence, a message template, a default...) are made on a copy of a committed table.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

import spec.__main__ as cli
from spec.diff import AUDIENCES, describe, diff_tables, format_changes, format_markdown
from spec.render import ROOT, SOURCES

AUTO = "AutoApplyIdA"
CLICK = "UpdateUserEvClickThrough"
DOCS = {AUTO: SOURCES / "AutoApplyIdA-1.05.txt", CLICK: SOURCES / "UpdateUserEvClickThrough-1.02.txt"}
TABLES = {name: ROOT / "spec" / "tables" / f"{name}.json" for name in DOCS}


def table(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(TABLES[name].read_text(encoding="utf-8"))
    return loaded


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def run(*args: str | Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


class Expected(NamedTuple):
    kind: str
    what: str
    attribute: str | None
    cls: str
    breaks: list[str]
    old: Any
    new: Any


def got(changes: list[dict[str, Any]]) -> list[Expected]:
    return [
        Expected(c["kind"], c["what"], c["attribute"], c["class"], c["breaks"], c["old"], c["new"]) for c in changes
    ]


# --------------------------------------------------------------------------- made-up next documents

DAYS_TEXT = "For most products: 365 , 730 or 1095"
CELL = "<the whole Allowed Values cell, filled in from the tables>"
LOCATION_TEXT = "The location and scope of the website for which the TrustLogo may be displayed."


def next_auto(text: str) -> str:
    """AutoApplyIdA 1.06: one change of each sort."""
    text = replace_once(  # a new history line
        text,
        '"idaFaxNumber" parameters.\n',
        '"idaFaxNumber" parameters.\n- 1.06 Added: "newField" and "tradeRegister" parameters.\n',
    )
    text = replace_once(  # a new optional and a new required variable
        text,
        "<i>idaFaxNumber</i>\t",
        "<i>newField</i>\tstring\t32 chars\t\tA new field\n"
        "tradeRegister\tstring\t64 chars\t\tTrade register entry\n<i>idaFaxNumber</i>\t",
    )
    text = replace_once(text, "<i>companyNumber</i>\tstring\t25 chars", "<i>companyNumber</i>\tstring\t30 chars")
    text = replace_once(text, "loginName\tstring\t64 chars", "loginName\tstring\t32 chars")
    text = replace_once(  # a new allowed value
        text, "37 = Card Payment TrustLogo Some", "37 = Card Payment TrustLogo 38 = Extended TrustLogo Some"
    )
    text = replace_once(  # only the Allowed Values cell of location: no value follows from it
        text, LOCATION_TEXT, "The location and the scope of the website for which the TrustLogo may be displayed."
    )
    text = replace_once(  # a new error code
        text,
        "-17 = Request used GET rather than POST!",
        "-17 = Request used GET rather than POST! -18 = Something new!",
    )
    text = replace_once(text, "<i>dunsNumber</i>", "dunsNumber")  # made required
    return replace_once(text, "<i>postOfficeBox</i>\tstring\t40 chars\t\tPost Office Box\n", "")  # removed


def next_click(text: str) -> str:
    """UpdateUserEvClickThrough 1.03: a new variable, action, status, code and response parameter."""
    text = replace_once(text, "adminEmailAddress\n", 'adminEmailAddress\n- 1.03 Added: "newField" parameter.\n')
    text = replace_once(
        text, "adminEmailAddress *\t", "<i>newField</i>\tstring\t32 chars\tA new field\nadminEmailAddress *\t"
    )
    text = replace_once(text, "orderNumber\tstring\t128 chars", "orderNumber\tstring\t256 chars")
    text = replace_once(
        text,
        "ResendEmail\tRe-sends Email to Customer\t\n",
        "ResendEmail\tRe-sends Email to Customer\t\nCancelEmail\tCancels the click-through Email\t\n",
    )
    text = replace_once(
        text,
        "Email was re-sent.\t",
        "Email was re-sent.\t\nCancelEmail\t3\tEmail was cancelled.\t",
    )
    text = replace_once(
        text, "Explanation of status\n", "Explanation of status\nretryAfter\tinteger\tSeconds to wait\n"
    )
    text = replace_once(text, "Explanation of error.", "Explanation of the error.")
    return replace_once(text, "(see errorMessage for details)", "(see errorMessage for details)\n-21\tSomething new!")


AUTO_CHANGES = [
    Expected("document-version", "document", "document_version", "editorial", [], "1.05", "1.06"),
    Expected("history-added", "1.06", None, "editorial", [], None, 'Added: "newField" and "tradeRegister" parameters.'),
    Expected(
        "field-added",
        "newField",
        None,
        "additive",
        ["server"],
        None,
        {"presence": "optional", "type": "string", "max_length": 32, "since": "1.06"},
    ),
    Expected(
        "field-added",
        "tradeRegister",
        None,
        "breaking",
        ["client", "server"],
        None,
        {"presence": "required", "type": "string", "max_length": 64, "since": "1.06"},
    ),
    Expected("field-removed", "postOfficeBox", None, "breaking", ["client"], "optional", None),
    Expected("max-length", "companyNumber", "max_length", "additive", ["server"], 25, 30),
    Expected("presence", "dunsNumber", "presence", "breaking", ["client"], "optional", "required"),
    Expected(
        "allowed-text",
        "location",
        "allowed_text",
        "editorial",
        [],
        CELL,
        CELL,
    ),
    Expected("max-length", "loginName", "max_length", "breaking", ["client"], 64, 32),
    Expected("allowed-added", "product", "allowed.values", "additive", ["server"], None, ["38"]),
    Expected(
        "allowed-text",
        "product",
        "allowed_text",
        "editorial",
        [],
        CELL,
        CELL,
    ),
    Expected("code-added", "-18", None, "additive", ["decoder"], None, "Something new!"),
]

CLICK_CHANGES = [
    Expected("document-version", "document", "document_version", "editorial", [], "1.02", "1.03"),
    Expected("history-added", "1.03", None, "editorial", [], None, 'Added: "newField" parameter.'),
    Expected(
        "field-added",
        "newField",
        None,
        "additive",
        ["server"],
        None,
        {"presence": "optional", "type": "string", "max_length": 32, "since": "1.03"},
    ),
    Expected("max-length", "orderNumber", "max_length", "additive", ["server"], 128, 256),
    Expected("code-added", "-21", None, "additive", ["decoder"], None, "Something new!"),
    Expected("response-parameter-added", "retryAfter", None, "additive", ["decoder"], None, {"always": True}),
    Expected(
        "response-parameter-description",
        "errorMessage",
        "description",
        "editorial",
        [],
        "Explanation of error.",
        "Explanation of the error.",
    ),
    Expected("status-added", "3", None, "additive", ["decoder"], None, "Email was cancelled."),
    # "Any action" statuses now answer the new action too
    Expected("status-actions", "0", "actions", "additive", ["decoder"], None, ["CancelEmail"]),
    Expected("status-actions", "1", "actions", "additive", ["decoder"], None, ["CancelEmail"]),
    Expected("action-added", "CancelEmail", None, "additive", ["server"], None, "Cancels the click-through Email"),
]

NEXT = {AUTO: ("1.06", next_auto, AUTO_CHANGES), CLICK: ("1.03", next_click, CLICK_CHANGES)}


@pytest.fixture(params=[AUTO, CLICK])
def next_version(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path, list[Expected]]:
    endpoint = request.param
    version, edit, expected = NEXT[endpoint]
    path = tmp_path / f"{endpoint}-{version}.txt"
    path.write_text(edit(DOCS[endpoint].read_text(encoding="utf-8")), encoding="utf-8")
    return endpoint, path, expected


def _fill_texts(expected: list[Expected], old_table: dict[str, Any], new_path: Path) -> list[Expected]:
    """The allowed-text rows carry whole cells: take them from the two tables."""
    new_table = cli._load(new_path)
    fields = [{f["name"]: f for f in t["request"]["fields"]} for t in (old_table, new_table)]
    return [
        e._replace(old=fields[0][e.what]["allowed_text"], new=fields[1][e.what]["allowed_text"])
        if e.kind == "allowed-text"
        else e
        for e in expected
    ]


@pytest.mark.parametrize("old_form", ["document", "table"])
def test_each_change_has_its_attribute_class_and_audience(
    next_version: tuple[str, Path, list[Expected]], old_form: str, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint, new, expected = next_version
    old = DOCS[endpoint] if old_form == "document" else TABLES[endpoint]
    code, out, err = run("diff", old, new, "--json", capsys=capsys)
    assert (code, err) == (1, "")
    report = json.loads(out)
    assert report["endpoint"] == endpoint
    assert got(report["changes"]) == _fill_texts(expected, table(endpoint), new)
    for change in report["changes"]:
        assert set(change) == {"kind", "what", "attribute", "class", "breaks", "old", "new"}
        assert set(change["breaks"]) <= set(AUDIENCES)
        # editorial changes break nobody; every other change breaks someone
        assert (change["class"] == "editorial") == (change["breaks"] == [])


def test_only_the_allowed_values_cell_changed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Regression: a change of only days' Allowed Values cell printed ``description days Validity
    Period (in days) -> Validity Period (in days)`` (compared one attribute, printed another)."""
    new_cell = "For most products: 365 , 730 or 1095 (ask for others)"
    path = tmp_path / "AutoApplyIdA-1.05.txt"
    path.write_text(replace_once(DOCS[AUTO].read_text(encoding="utf-8"), DAYS_TEXT, new_cell), encoding="utf-8")

    changes = diff_tables(table(AUTO), cli._load(path))
    assert got(changes) == [Expected("allowed-text", "days", "allowed_text", "editorial", [], DAYS_TEXT, new_cell)]

    code, out, _ = run("diff", TABLES[AUTO], path, capsys=capsys)
    assert code == 1
    assert "description" not in out and "Validity Period" not in out
    assert out.splitlines()[1:] == [
        "0 breaking, 0 additive, 1 editorial",
        "",
        "editorial:",
        f"  allowed-text                 days                     {DAYS_TEXT} -> {new_cell}  [breaks nobody]",
    ]
    assert describe(changes[0]) == "`days`: the Allowed Values text reworded: “…1095” → “…1095 (ask for others)”."


def test_text_lines_show_attribute_values_and_audience(
    next_version: tuple[str, Path, list[Expected]], capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint, new, expected = next_version
    code, out, _ = run("diff", DOCS[endpoint], new, capsys=capsys)
    assert code == 1
    lines = out.splitlines()
    counts = {cls: sum(1 for e in expected if e.cls == cls) for cls in ("breaking", "additive", "editorial")}
    assert lines[1] == f"{counts['breaking']} breaking, {counts['additive']} additive, {counts['editorial']} editorial"
    for e in expected:
        section = lines.index(f"{e.cls}:")
        group = lines[section + 1 : section + 1 + counts[e.cls]]
        audience = "/".join(e.breaks) if e.breaks else "nobody"
        pattern = rf"  {re.escape(e.kind)}\s+{re.escape(e.what)}\s.*\[breaks {audience}\]$"
        assert sum(1 for line in group if re.match(pattern, line)) >= 1, (e.kind, e.what, group)
    if endpoint == AUTO:
        assert "  max-length                   loginName                64 -> 32  [breaks client]" in lines
        assert "  max-length                   companyNumber            25 -> 30  [breaks server]" in lines
        assert "  code-added                   -18                      = Something new!  [breaks decoder]" in lines


def test_markdown_changelog_groups_changes_by_audience(
    next_version: tuple[str, Path, list[Expected]], capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint, new, expected = next_version
    version = NEXT[endpoint][0]
    old_version = table(endpoint)["document_version"]
    code, out, err = run("diff", TABLES[endpoint], new, "--markdown", capsys=capsys)
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[0] == f"## {endpoint} {version} (changes since {old_version})"
    counts = ", ".join(
        f"{sum(1 for e in expected if e.cls == cls)} {cls}" for cls in ("breaking", "additive", "editorial")
    )
    assert lines[2].startswith(f"Compared document {old_version} (`spec/sources/{DOCS[endpoint].name}`, sha256 `")
    assert lines[2].endswith(f"with {version} (`{new.name}`, sha256 `{_sha(new)[:12]}`). {counts}.")
    sections = _sections(out)
    headings = {
        "client": "Breaks clients (what a client sends)",
        "server": "Breaks servers (what a server accepts and answers)",
        "decoder": "Breaks decoders (the answers a client reads)",
    }
    for audience, heading in headings.items():
        wanted = [e for e in expected if audience in e.breaks]
        assert (heading in sections) == bool(wanted)
        # each change one bullet, in the diff's order, marked with its class and its other audiences
        assert len(sections.get(heading, [])) == len(wanted)
        for bullet, e in zip(sections.get(heading, []), wanted, strict=True):
            assert bullet.startswith(f"- **{e.cls}**"), bullet
            assert f"`{e.what}`" in bullet or e.what in bullet
            others = [a + "s" for a in e.breaks if a != audience]
            assert (f"(also {' and '.join(others)})" in bullet) == bool(others)
    editorial = [e for e in expected if not e.breaks]
    assert len(sections["Breaks nobody (editorial)"]) == len(editorial)
    assert out.endswith("\n") and not out.endswith("\n\n")


def test_markdown_bullets_for_the_auto_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = tmp_path / "AutoApplyIdA-1.06.txt"
    new.write_text(next_auto(DOCS[AUTO].read_text(encoding="utf-8")), encoding="utf-8")
    _, out, _ = run("diff", DOCS[AUTO], new, "--markdown", capsys=capsys)
    sections = _sections(out)
    assert sections["Breaks clients (what a client sends)"] == [
        "- **breaking** (also servers): New required variable `tradeRegister` (string, 64 characters, since 1.06).",
        "- **breaking**: Variable `postOfficeBox` (optional) was removed: servers no longer recognise it.",
        "- **breaking**: `dunsNumber` is now required (was optional).",
        "- **breaking**: `loginName`: maximum length 64 characters → 32 characters.",
    ]
    assert sections["Breaks servers (what a server accepts and answers)"] == [
        "- **additive**: New optional variable `newField` (string, 32 characters, since 1.06).",
        "- **breaking** (also clients): New required variable `tradeRegister` (string, 64 characters, since 1.06).",
        "- **additive**: `companyNumber`: maximum length 25 characters → 30 characters.",
        "- **additive**: `product`: new allowed value(s) `38`.",
    ]
    assert sections["Breaks decoders (the answers a client reads)"] == [
        "- **additive**: New code `-18`: “Something new!”."
    ]
    assert sections["Breaks nobody (editorial)"] == [
        "- Document version 1.05 → 1.06.",
        '- Version history: new line `- 1.06 Added: "newField" and "tradeRegister" parameters.`.',
        "- `location`: the Allowed Values text reworded: “…and scope…” → “…and the scope…”.",
        "- `product`: the Allowed Values text reworded: “…TrustLogo Some…” → “…TrustLogo 38 = Extended TrustLogo Some…”.",
    ]


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_text(encoding="utf-8").encode("utf-8")).hexdigest()


def _sections(markdown: str) -> dict[str, list[str]]:
    """``### heading`` -> its bullets."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in markdown.splitlines():
        if line.startswith("### "):
            current = sections.setdefault(line[4:], [])
        elif line.startswith("- ") and current is not None:
            current.append(line)
    return sections


def test_no_changes_in_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run("diff", DOCS[CLICK], TABLES[CLICK], "--markdown", capsys=capsys)
    assert code == 0
    assert out.splitlines()[0] == "## UpdateUserEvClickThrough 1.02 (changes since 1.02)"
    assert out.endswith("\n\nNo changes.\n")


# --------------------------------------------------------------------------- two endpoints


@pytest.mark.parametrize("shape", [[], ["--json"], ["--markdown"]])
@pytest.mark.parametrize(("old", "new"), [(TABLES[AUTO], DOCS[CLICK]), (DOCS[CLICK], DOCS[AUTO])])
def test_two_different_endpoints_are_refused(
    old: Path, new: Path, shape: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run("diff", old, new, *shape, capsys=capsys)
    assert (code, out) == (2, "")
    o_name, n_name = (AUTO, CLICK) if old == TABLES[AUTO] else (CLICK, AUTO)
    assert err.startswith(f"spec: cannot compare {o_name} with {n_name}: {old} is {o_name} ")
    assert err.endswith("; diff compares two versions of one endpoint\n")
    assert err.count("\n") == 1


def test_two_endpoints_refused_in_a_child_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "spec", "diff", str(TABLES[AUTO]), str(DOCS[CLICK])],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("spec: cannot compare AutoApplyIdA with UpdateUserEvClickThrough: ")
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1


# --------------------------------------------------------------------------- table edits

Edit = Callable[[dict[str, Any]], None]


def _field(t: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in t["request"]["fields"] if f["name"] == name)


def _param(t: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in t["responses"]["parameters"] if p["name"] == name)


def _code(t: dict[str, Any], code: int) -> dict[str, Any]:
    return next(c for c in t["codes"] if c["code"] == code)


def _set(getter: Callable[[dict[str, Any]], dict[str, Any]], key: str, value: Any) -> Edit:
    def edit(t: dict[str, Any]) -> None:
        getter(t)[key] = value

    return edit


def _drop(key: str, match: Callable[[dict[str, Any]], bool]) -> Edit:
    def edit(t: dict[str, Any]) -> None:
        parts = key.split(".")
        holder = t
        for part in parts[:-1]:
            holder = holder[part]
        holder[parts[-1]] = [x for x in holder[parts[-1]] if not match(x)]

    return edit


class TableCase(NamedTuple):
    endpoint: str
    edit: Edit
    expected: Expected


TABLE_CASES = {
    "allowed-value-removed": TableCase(
        AUTO,
        lambda t: _field(t, "days")["allowed"].update(values=["365", "730"]),
        Expected("allowed-removed", "days", "allowed.values", "breaking", ["client"], ["1095"], None),
    ),
    "description": TableCase(
        AUTO,
        _set(lambda t: _field(t, "days"), "description", "Validity period (in days)"),
        Expected(
            "description",
            "days",
            "description",
            "editorial",
            [],
            "Validity Period (in days)",
            "Validity period (in days)",
        ),
    ),
    "made-optional": TableCase(
        AUTO,
        _set(lambda t: _field(t, "postalCode"), "presence", "optional"),
        Expected("presence", "postalCode", "presence", "additive", ["server"], "required", "optional"),
    ),
    "type-narrowed": TableCase(
        AUTO,
        _set(lambda t: _field(t, "postalCode"), "type", "integer"),
        Expected("type", "postalCode", "type", "breaking", ["client"], "string", "integer"),
    ),
    "type-widened": TableCase(
        AUTO,
        _set(lambda t: _field(t, "days"), "type", "string"),
        Expected("type", "days", "type", "breaking", ["server"], "integer", "string"),
    ),
    "printed-type": TableCase(
        AUTO,
        _set(lambda t: _field(t, "location"), "doc_type", "string"),
        Expected("doc-type", "location", "doc_type", "editorial", [], "char", "string"),
    ),
    "limit-removed": TableCase(
        AUTO,
        _set(lambda t: _field(t, "location"), "max_length", None),
        Expected("max-length", "location", "max_length", "additive", ["server"], 512, None),
    ),
    "limit-introduced": TableCase(
        AUTO,
        _set(lambda t: _field(t, "idaFaxNumber"), "max_length", 32),
        Expected("max-length", "idaFaxNumber", "max_length", "breaking", ["client"], None, 32),
    ),
    "default": TableCase(
        AUTO,
        _set(lambda t: _field(t, "responseFormat"), "default", "1"),
        Expected("default", "responseFormat", "default", "breaking", ["client", "server"], "0", "1"),
    ),
    "since": TableCase(
        AUTO,
        _set(lambda t: _field(t, "saspSessionID"), "since", "1.00"),
        Expected("since", "saspSessionID", "since", "editorial", [], "1.01", "1.00"),
    ),
    "secret": TableCase(
        AUTO,
        _set(lambda t: _field(t, "loginName"), "secret", True),
        Expected("secret", "loginName", "secret", "editorial", [], False, True),
    ),
    "condition": TableCase(
        CLICK,
        _set(lambda t: _field(t, "adminEmailAddress"), "condition", None),
        Expected(
            "condition",
            "adminEmailAddress",
            "condition",
            "breaking",
            ["client", "server"],
            {"required_when": {"equals": "ReplaceMailAddress", "field": "action"}},
            None,
        ),
    ),
    "free-text-restricted": TableCase(
        AUTO,
        _set(lambda t: _field(t, "location"), "allowed", {"kind": "enum", "values": ["*"], "labels": {}}),
        Expected("allowed-kind", "location", "allowed.kind", "breaking", ["client"], None, "enum"),
    ),
    "special-value-added": TableCase(
        AUTO,
        _set(lambda t: _field(t, "foreignOrderNumber"), "special_values", [{"value": "auto", "meaning": "m"}]),
        Expected("special-values", "foreignOrderNumber", "special_values", "additive", ["server"], None, ["auto"]),
    ),
    "lenient-widened": TableCase(
        AUTO,
        lambda t: _field(t, "checkFONIsUnique")["allowed"].update(lenient_case_insensitive=True),
        Expected(
            "allowed-rule",
            "checkFONIsUnique",
            "allowed.lenient_case_insensitive",
            "additive",
            ["server"],
            False,
            True,
        ),
    ),
    "code-removed": TableCase(
        AUTO,
        _drop("codes", lambda c: c["code"] == -15),
        Expected("code-removed", "-15", None, "breaking", ["server"], "Not enough credit!", None),
    ),
    "code-text": TableCase(
        AUTO,
        _set(lambda t: _code(t, -15), "message", "Not enough credit."),
        Expected("code-message", "-15", "message", "breaking", ["server"], "Not enough credit!", "Not enough credit."),
    ),
    "code-placeholder": TableCase(
        CLICK,
        lambda t: _code(t, -14).update(message="Error 'xxxx'!", placeholder={"kind": "argument", "token": "xxxx"}),
        Expected(
            "code-message",
            "-14",
            "message",
            "breaking",
            ["server", "decoder"],
            "An unknown error occurred!",
            "Error 'xxxx'!",
        ),
    ),
    "response-parameter-removed": TableCase(
        CLICK,
        _drop("responses.parameters", lambda p: p["name"] == "description"),
        Expected("response-parameter-removed", "description", None, "breaking", ["decoder"], {"always": True}, None),
    ),
    "response-parameter-now-always": TableCase(
        AUTO,
        _set(lambda t: _param(t, "errorMessage"), "presence", {"always": True}),
        Expected(
            "response-parameter-presence",
            "errorMessage",
            "presence",
            "breaking",
            ["server"],
            {"code_not_in": [0]},
            {"always": True},
        ),
    ),
    "response-parameter-not-always": TableCase(
        CLICK,
        _set(lambda t: _param(t, "status"), "presence", {"code_in": [0]}),
        Expected(
            "response-parameter-presence",
            "status",
            "presence",
            "breaking",
            ["decoder"],
            {"always": True},
            {"code_in": [0]},
        ),
    ),
    "response-parameter-type": TableCase(
        AUTO,
        _set(lambda t: _param(t, "orderNumber"), "type", "string"),
        Expected("response-parameter-type", "orderNumber", "type", "breaking", ["decoder"], "integer", "string"),
    ),
    "format-mime-type": TableCase(
        AUTO,
        lambda t: t["responses"]["formats"][0].update(mime_type="text/csv"),
        Expected(
            "response-format", "newline", "mime_type", "breaking", ["server", "decoder"], "text/plain", "text/csv"
        ),
    ),
    "format-delivery-removed": TableCase(
        AUTO,
        lambda t: t["responses"]["formats"][1].update(expected_delivery=[1, 24, 48]),
        Expected("response-format", "urlencoded", "expected_delivery", "breaking", ["server"], [0], None),
    ),
    "format-delivery-added": TableCase(
        AUTO,
        lambda t: t["responses"]["formats"][0].update(expected_delivery=[1, 24, 48, 72]),
        Expected("response-format", "newline", "expected_delivery", "additive", ["decoder"], None, [72]),
    ),
    "status-removed": TableCase(
        CLICK,
        _drop("statuses", lambda s: s["status"] == 2),
        Expected(
            "status-removed",
            "2",
            None,
            "breaking",
            ["server"],
            "Email Address was the same and wasn't changed. Email was re-sent.",
            None,
        ),
    ),
    "action-removed": TableCase(
        CLICK,
        _drop("actions", lambda a: a["value"] == "ResendEmail"),
        Expected("action-removed", "ResendEmail", None, "breaking", ["client"], "Re-sends Email to Customer", None),
    ),
    "history-reworded": TableCase(
        CLICK,
        lambda t: t["version_history"][1].update(change="Some variable descriptions updated."),
        Expected(
            "history-changed",
            "1.01",
            "change",
            "editorial",
            [],
            "Some variables description updated.",
            "Some variable descriptions updated.",
        ),
    ),
    "endpoint-url": TableCase(
        CLICK,
        lambda t: t["endpoint"].update(url="https://secure.sectigo.com/products/!UpdateUserEvClickThrough"),
        Expected(
            "endpoint",
            CLICK,
            "url",
            "breaking",
            ["client"],
            "https://secure.comodo.net/products/!UpdateUserEvClickThrough",
            "https://secure.sectigo.com/products/!UpdateUserEvClickThrough",
        ),
    ),
}


@pytest.mark.parametrize("case", TABLE_CASES.values(), ids=TABLE_CASES.keys())
def test_table_edit_reports_exactly_that_attribute(case: TableCase) -> None:
    old = table(case.endpoint)
    new = copy.deepcopy(old)
    case.edit(new)
    changes = diff_tables(old, new)
    assert got(changes) == [case.expected]
    # every rendering names it and says whom it breaks
    text = format_changes(old, new, changes)
    audience = "/".join(case.expected.breaks) or "nobody"
    assert re.search(
        rf"^  {re.escape(case.expected.kind)}\s+{re.escape(case.expected.what)}\s.*\[breaks {audience}\]$", text, re.M
    )
    markdown = format_markdown(old, new, changes)
    sentence = describe(changes[0])
    assert sentence.endswith(".") and "None" not in sentence
    assert sum(line.endswith(sentence) for line in markdown.splitlines()) == max(1, len(case.expected.breaks))


def test_action_values_are_reported_once() -> None:
    """The action variable's allowed values come from the Action table: a new action is one change."""
    old = table(CLICK)
    new = copy.deepcopy(old)
    new["actions"].append({"value": "CancelEmail", "description": "Cancels it", "source_line": 31})
    allowed = _field(new, "action")["allowed"]
    allowed["values"] = sorted([*allowed["values"], "CancelEmail"])
    allowed["labels"]["CancelEmail"] = "Cancels it"
    assert got(diff_tables(old, new)) == [
        Expected("action-added", "CancelEmail", None, "additive", ["server"], None, "Cancels it")
    ]
