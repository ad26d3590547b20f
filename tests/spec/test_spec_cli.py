"""``python -m spec``: regenerate, check and diff, on the committed tree and on made-up documents.

Nothing here writes to the committed tree: ``regenerate`` and ``check`` run either with ``--out``
into ``tmp_path`` or in-process with ``spec.__main__.ROOT`` pointed at a copy in ``tmp_path``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

import spec.__main__ as cli
from spec.render import ROOT, SOURCES, render_all

AUTO = "AutoApplyIdA"
CLICK = "UpdateUserEvClickThrough"
AUTO_DOC = SOURCES / "AutoApplyIdA-1.05.txt"
CLICK_DOC = SOURCES / "UpdateUserEvClickThrough-1.02.txt"
DOCS = {AUTO: AUTO_DOC, CLICK: CLICK_DOC}
GENERATED = sorted(render_all())  # what regenerate writes, relative to the project root


def run_spec(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """``python -m spec ARGS`` in a child process (the package found through PYTHONPATH)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "spec", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


Run = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def spec_main(capsys: pytest.CaptureFixture[str]) -> Run:
    """Like :func:`run_spec`, but calls ``spec.__main__.main`` in this process (faster)."""

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        argv = [str(a) for a in args]
        code = cli.main(argv)
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(argv, code, captured.out, captured.err)

    return run


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    """The 1-based number of the line of *text* that contains *needle*."""
    return text[: text.index(needle)].count("\n") + 1


# --------------------------------------------------------------------------- check and regenerate


def test_check_passes_on_the_committed_tree() -> None:
    result = run_spec("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == f"spec check: {len(GENERATED)} files up to date\n"
    assert result.stderr == ""


@pytest.fixture
def tree_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the generated files (and pyproject.toml, which makes it a checkout); ``check``
    and ``regenerate`` (in-process) work on it."""
    root = tmp_path / "tree"
    for rel in [*GENERATED, Path("pyproject.toml")]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / rel, root / rel)
    monkeypatch.setattr(cli, "ROOT", root)
    return root


def test_check_detects_drift_and_regenerate_repairs_it(tree_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check"]) == 0
    capsys.readouterr()

    table = tree_copy / "spec" / "tables" / "AutoApplyIdA.json"
    table.write_text(
        table.read_text(encoding="utf-8").replace('"max_length": 64', '"max_length": 65', 1), encoding="utf-8"
    )
    (tree_copy / "codec" / "_tables.py").unlink()
    assert cli.main(["check"]) == 1
    out, err = capsys.readouterr()
    assert "--- spec/tables/AutoApplyIdA.json (committed)" in out
    assert re.search(r'^- +"max_length": 65,$', out, re.MULTILINE)
    assert re.search(r'^\+ +"max_length": 64,$', out, re.MULTILINE)
    assert "+++ codec/_tables.py (regenerated)" in out
    assert err == "spec check: 2 file(s) differ from what `python -m spec regenerate` writes\n"

    assert cli.main(["regenerate"]) == 0
    out, _ = capsys.readouterr()
    assert f"wrote     {table}" in out
    assert f"wrote     {tree_copy / 'codec' / '_tables.py'}" in out
    assert f"unchanged {tree_copy / 'spec' / 'tables' / 'countries.json'}" in out
    assert cli.main(["check"]) == 0
    for rel in GENERATED:
        assert (tree_copy / rel).read_bytes() == (ROOT / rel).read_bytes(), rel


def test_regenerate_writes_nothing_when_one_document_is_bad(
    tree_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    shutil.copyfile(AUTO_DOC, sources / AUTO_DOC.name)
    text = CLICK_DOC.read_text(encoding="utf-8")
    (sources / CLICK_DOC.name).write_text(replace_once(text, "100 chars", "100 bytes"), encoding="utf-8")
    (tree_copy / "codec" / "_tables.py").unlink()  # so a write would show
    before = {p: p.read_bytes() for p in tree_copy.rglob("*") if p.is_file()}
    assert cli.main(["regenerate", "--sources", str(sources)]) == 2
    _, err = capsys.readouterr()
    assert err.startswith(f"spec: {sources / CLICK_DOC.name}:{line_of(text, '100 chars')}: expected ")
    assert {p: p.read_bytes() for p in tree_copy.rglob("*") if p.is_file()} == before


def test_regenerate_takes_each_endpoints_newest_document(
    tree_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    for doc in DOCS.values():
        shutil.copyfile(doc, sources / doc.name)
    text = AUTO_DOC.read_text(encoding="utf-8")
    newer = replace_once(text, '"idaFaxNumber" parameters.\n', '"idaFaxNumber" parameters.\n- 1.10 Editorial.\n')
    (sources / "AutoApplyIdA-1.10.txt").write_text(newer, encoding="utf-8")
    assert cli.main(["regenerate", "--sources", str(sources)]) == 0
    table = json.loads((tree_copy / "spec" / "tables" / "AutoApplyIdA.json").read_text(encoding="utf-8"))
    assert table["document_version"] == "1.10"
    assert table["provenance"]["source"].endswith("AutoApplyIdA-1.10.txt")

    (sources / "AutoApplyIdA-new.txt").write_text(newer, encoding="utf-8")
    assert cli.main(["check", "--sources", str(sources)]) == 2
    _, err = capsys.readouterr()
    assert "AutoApplyIdA-new.txt: expected a source named ENDPOINT-VERSION.txt" in err


@pytest.mark.parametrize("endpoint", [AUTO, CLICK])
def test_regenerate_one_document_into_a_folder(tmp_path: Path, endpoint: str) -> None:
    out = tmp_path / "out"
    result = run_spec("regenerate", DOCS[endpoint], "--out", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote     {out / f'{endpoint}.json'}\n"
    assert sorted(p.name for p in out.iterdir()) == [f"{endpoint}.json"]
    assert (out / f"{endpoint}.json").read_bytes() == (ROOT / "spec" / "tables" / f"{endpoint}.json").read_bytes()

    again = run_spec("regenerate", DOCS[endpoint], "--out", out, cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, f"unchanged {out / f'{endpoint}.json'}\n")


def test_out_needs_a_document(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert cli.main(["regenerate", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "spec: --out goes with a DOCUMENT\n"
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- diff

Edit = Callable[[str], str]


def next_auto(text: str) -> str:
    """AutoApplyIdA 1.06: newField, companyNumber 30 chars, code -18, dunsNumber required."""
    text = replace_once(
        text, '"idaFaxNumber" parameters.\n', '"idaFaxNumber" parameters.\n- 1.06 Added: "newField" parameter.\n'
    )
    text = replace_once(
        text, "<i>idaFaxNumber</i>\t", "<i>newField</i>\tstring\t32 chars\t\tA new field\n<i>idaFaxNumber</i>\t"
    )
    text = replace_once(text, "<i>companyNumber</i>\tstring\t25 chars", "<i>companyNumber</i>\tstring\t30 chars")
    text = replace_once(
        text,
        "-17 = Request used GET rather than POST!",
        "-17 = Request used GET rather than POST! -18 = Something new!",
    )
    return replace_once(text, "<i>dunsNumber</i>", "dunsNumber")


def next_click(text: str) -> str:
    """UpdateUserEvClickThrough 1.03: newField, loginName 32 chars, code -21, adminEmailAddress required."""
    text = replace_once(text, "adminEmailAddress\n", 'adminEmailAddress\n- 1.03 Added: "newField" parameter.\n')
    text = replace_once(
        text, "adminEmailAddress *\t", "<i>newField</i>\tstring\t32 chars\tA new field\nadminEmailAddress\t"
    )
    text = replace_once(text, "loginName\tstring\t64 chars", "loginName\tstring\t32 chars")
    return replace_once(text, "(see errorMessage for details)", "(see errorMessage for details)\n-21\tSomething new!")


Expected = tuple[str, str, str, Any, Any]  # (kind, what, class, old, new)


def new_version_with_new_field(old: str, new: str) -> list[Expected]:
    """What both made-up documents change first: the version, its history line and newField."""
    added = {"presence": "optional", "type": "string", "max_length": 32, "since": new}
    return [
        ("document-version", "document", "editorial", old, new),
        ("history-added", new, "editorial", None, 'Added: "newField" parameter.'),
        ("field-added", "newField", "additive", None, added),
    ]


# the changes in the order diff_tables reports them
NEXT_VERSIONS: dict[str, tuple[str, Edit, list[Expected]]] = {
    AUTO: (
        "1.06",
        next_auto,
        [
            *new_version_with_new_field("1.05", "1.06"),
            ("max-length", "companyNumber", "additive", 25, 30),
            ("presence", "dunsNumber", "breaking", "optional", "required"),
            ("code-added", "-18", "additive", None, "Something new!"),
        ],
    ),
    CLICK: (
        "1.03",
        next_click,
        [
            *new_version_with_new_field("1.02", "1.03"),
            ("presence", "adminEmailAddress", "breaking", "conditional", "required"),
            ("max-length", "loginName", "breaking", 64, 32),
            ("code-added", "-21", "additive", None, "Something new!"),
        ],
    ),
}


@pytest.fixture(params=[AUTO, CLICK])
def next_version(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path, list[Expected]]:
    """(endpoint, path of its made-up next document, the changes diff must report)."""
    endpoint = request.param
    version, edit, changes = NEXT_VERSIONS[endpoint]
    path = tmp_path / f"{endpoint}-{version}.txt"
    path.write_text(edit(DOCS[endpoint].read_text(encoding="utf-8")), encoding="utf-8")
    return endpoint, path, changes


@pytest.mark.parametrize("old_form", ["document", "table"])
def test_diff_json_reports_each_change(
    spec_main: Run, next_version: tuple[str, Path, list[Expected]], old_form: str
) -> None:
    endpoint, new, expected = next_version
    old = DOCS[endpoint] if old_form == "document" else ROOT / "spec" / "tables" / f"{endpoint}.json"
    result = spec_main("diff", old, new, "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["endpoint"] == endpoint
    assert (report["old_version"], report["new_version"]) == (expected[0][3], expected[0][4])
    got = [(c["kind"], c["what"], c["class"], c["old"], c["new"]) for c in report["changes"]]
    assert got == expected


def test_diff_text_groups_changes_by_class(next_version: tuple[str, Path, list[Expected]]) -> None:
    endpoint, new, expected = next_version
    result = run_spec("diff", DOCS[endpoint], new)
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == f"{endpoint}: {expected[0][3]} -> {expected[0][4]}"
    counts = {cls: sum(1 for c in expected if c[2] == cls) for cls in ("breaking", "additive", "editorial")}
    assert lines[1] == f"{counts['breaking']} breaking, {counts['additive']} additive, {counts['editorial']} editorial"
    for kind, what, cls, _, _ in expected:
        section = lines.index(f"{cls}:")
        following = lines[section + 1 : section + 1 + counts[cls]]
        assert any(re.match(rf"  {re.escape(kind)}\s+{re.escape(what)}(\s|$)", line) for line in following), (
            kind,
            what,
        )


@pytest.mark.parametrize("endpoint", [AUTO, CLICK])
@pytest.mark.parametrize("json_flag", [False, True])
def test_diff_against_the_committed_table_finds_no_change(spec_main: Run, endpoint: str, json_flag: bool) -> None:
    table = ROOT / "spec" / "tables" / f"{endpoint}.json"
    result = spec_main("diff", DOCS[endpoint], table, *(["--json"] if json_flag else []))
    assert result.returncode == 0, result.stderr
    if json_flag:
        assert json.loads(result.stdout)["changes"] == []
    else:
        version = DOCS[endpoint].stem.split("-")[1]
        assert result.stdout == f"{endpoint}: {version} -> {version}\nno changes\n"


# --------------------------------------------------------------------------- malformed input


class Malformed(NamedTuple):
    endpoint: str
    fault: str
    edit: Edit
    line_text: str | None  # text on the line the error must name; None = line 1
    expected: str  # words of what the reader expected there
    found: str  # words of what it found


def swap(old: str, new: str) -> Edit:
    return lambda text: replace_once(text, old, new)


def cut_at(marker: str) -> Edit:
    return lambda text: text[: text.index(marker)]


MALFORMED = [
    Malformed(AUTO, "no-version-history", swap("Version History", "Versions"), None, "'Version History' heading", ""),
    Malformed(
        CLICK, "no-version-history", swap("**Version History**", "History"), None, "'Version History'", "## https:"
    ),
    Malformed(
        AUTO, "bad-version-line", swap("- 1.03 Added", "- 1.3a Added"), "- 1.3a", "a version line", "- 1.3a Added"
    ),
    Malformed(
        CLICK, "bad-version-line", swap("- 1.01 Some", "- 1.01: Some"), "- 1.01:", "a version line", "- 1.01: Some"
    ),
    Malformed(
        AUTO, "versions-out-of-order", swap("- 1.04 Added", "- 1.02 Added"), "- 1.02 Added", "after 1.03", "1.02"
    ),
    Malformed(
        AUTO,
        "bad-max-length",
        swap("loginName\tstring\t64 chars", "loginName\tstring\t64 bytes"),
        "64 bytes",
        "a max. length like",
        "64 bytes",
    ),
    Malformed(CLICK, "bad-max-length", swap("\t100 chars", "\t100 bytes"), "100 bytes", "a max. length", "100 bytes"),
    Malformed(
        AUTO, "bad-type", swap("postalCode\tstring", "postalCode\tfloat"), "\tfloat", "a type of string", "float"
    ),
    Malformed(CLICK, "bad-type", swap("action\tstring", "action\tenum"), "action\tenum", "a type of string", "enum"),
    Malformed(
        AUTO,
        "duplicate-variable",
        swap("<i>dunsNumber</i>", "POSTALCODE"),
        "POSTALCODE",
        "each variable once",
        "POSTALCODE",
    ),
    Malformed(
        CLICK,
        "duplicate-variable",
        swap("orderNumber\t", "loginName\t"),
        "loginName\tstring\t128",
        "each variable once",
        "loginName",
    ),
    Malformed(
        AUTO,
        "history-names-unknown-variable",
        swap('"checkFONIsUnique" parameter', '"checkFonUnique" parameter'),
        "- 1.04",
        "naming only variables in the request table",
        "checkFonUnique",
    ),
    Malformed(
        AUTO,
        "no-response-sections",
        cut_at("2. Response"),
        "<i>idaFaxNumber</i>",
        "a response section",
        "the end of the document",
    ),
    Malformed(
        CLICK,
        "no-response-sections",
        cut_at("## 2. Response"),
        "ResendEmail\t",
        "a response section",
        "the end of the document",
    ),
    Malformed(
        AUTO,
        "no-urlencoded-section",
        cut_at("3. Response"),
        "Line 4: ",
        "a table under '3.2 Parameters'",
        "the end of the document",
    ),
    Malformed(
        CLICK,
        "no-error-code-table",
        cut_at("Here are the possible"),
        "ReplaceMailAddress\t2\t",
        "an 'errorCode / errorMessage' table",
        "the end of the document",
    ),
    Malformed(
        CLICK, "bad-error-code", swap("-14\tAn unknown", "-14a\tAn unknown"), "-14a\t", "an integer error code", "-14a"
    ),
    Malformed(AUTO, "empty-file", lambda text: "", None, "'Version History' heading", ""),
]


def assert_one_line_error(stderr: str, path: Path, line: int | None, expected: str, found: str) -> None:
    """``spec: FILE:LINE: expected X, found 'Y'`` and nothing else."""
    assert "Traceback" not in stderr
    assert stderr.count("\n") == 1 and stderr.endswith("\n"), stderr
    where = re.escape(f"{path}:{line}" if line else str(path))
    match = re.fullmatch(rf"spec: {where}: expected (.+), found (['\"])(.*)\2\n", stderr)
    assert match, stderr
    assert expected in match.group(1)
    assert found in match.group(3)


@pytest.mark.parametrize("command", ["regenerate", "diff"])
@pytest.mark.parametrize("case", MALFORMED, ids=lambda case: f"{case.endpoint}-{case.fault}")
def test_malformed_document_is_refused_with_file_and_line(
    spec_main: Run, tmp_path: Path, case: Malformed, command: str
) -> None:
    text = case.edit(DOCS[case.endpoint].read_text(encoding="utf-8"))
    path = tmp_path / DOCS[case.endpoint].name
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    if command == "regenerate":
        result = spec_main("regenerate", path, "--out", out)
    else:
        result = spec_main("diff", DOCS[case.endpoint], path)
    assert result.returncode == 2
    assert result.stdout == ""
    line = line_of(text, case.line_text) if case.line_text else 1
    assert_one_line_error(result.stderr, path, line, case.expected, case.found)
    assert list(out.iterdir()) == []


def test_document_that_is_not_utf8(tmp_path: Path) -> None:
    data = AUTO_DOC.read_bytes().replace(b"- 1.01 Added", b"- 1.01 \xff\xfeAdded", 1)
    path = tmp_path / "AutoApplyIdA-1.05.txt"
    path.write_bytes(data)
    out = tmp_path / "out"
    out.mkdir()
    result = run_spec("regenerate", path, "--out", out)
    assert result.returncode == 2
    assert_one_line_error(result.stderr, path, line_of(data.decode("latin-1"), "- 1.01 "), "UTF-8 text", "xff")
    assert list(out.iterdir()) == []


def test_existing_table_is_not_overwritten_by_a_bad_document(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "AutoApplyIdA.json").write_bytes(b"previous\n")
    path = tmp_path / "AutoApplyIdA-1.05.txt"
    text = replace_once(AUTO_DOC.read_text(encoding="utf-8"), "\t2 chars\t", "\ttwo chars\t")
    path.write_text(text, encoding="utf-8")
    result = run_spec("regenerate", path, "--out", out)
    assert result.returncode == 2
    assert_one_line_error(result.stderr, path, line_of(text, "two chars"), "a max. length like", "two chars")
    assert (out / "AutoApplyIdA.json").read_bytes() == b"previous\n"
    assert [p.name for p in out.iterdir()] == ["AutoApplyIdA.json"]


@pytest.mark.parametrize("command", ["regenerate", "diff"])
def test_nonexistent_document(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "AutoApplyIdA-9.99.txt"
    out = tmp_path / "out"
    out.mkdir()
    args = ["regenerate", missing, "--out", out] if command == "regenerate" else ["diff", AUTO_DOC, missing]
    result = run_spec(*args)
    assert result.returncode == 2
    # a file that cannot be opened has no line to name
    assert_one_line_error(result.stderr, missing, None, "a readable file", "No such file or directory")
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"{not json", "a JSON table"),
        (b'{"a": 1}', "a table written by `python -m spec regenerate`"),
    ],
)
def test_diff_refuses_a_file_that_is_not_a_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, expected: str
) -> None:
    path = tmp_path / "table.json"
    path.write_bytes(content)
    assert cli.main(["diff", str(path), str(AUTO_DOC)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"spec: {path}") and f"expected {expected}, found " in err
    assert err.count("\n") == 1
