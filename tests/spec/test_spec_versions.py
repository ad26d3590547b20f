"""Every document version kept in spec/sources is made into a table (issue 13 item 2).

* the version history reads ``Added:``, ``Changed:`` and ``Removed:`` clauses, several to a line;
  a removed variable must be gone from the request table;
* a document's file name gives its endpoint and version, and its text must agree;
* ``render_all`` writes the newest document's table as ``spec/tables/NAME.json`` and every older
  one's as ``NAME-VERSION.json``, carries them in ``codec/_tables.py`` (``VERSION_TABLES``), and
  generates typed classes holding the variables of every kept version (typed as documented);
* ``check`` reports, and ``regenerate`` removes, a versioned table whose document left.
"""

from __future__ import annotations

import ast
import copy
import shutil
from pathlib import Path
from typing import Any

import pytest

from spec import render
from spec.codegen import models_module
from spec.document import DocumentError
from spec.render import SOURCES, render_all, stale_tables, table_from_document, version_tables
from tests.support.next_versions import AUTO_CHANGES, CLICK_CHANGES, next_auto_apply_ida, write_next_versions

AUTO, CLICK = "AutoApplyIdA", "UpdateUserEvClickThrough"


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """spec/sources with a made-up next version of both documents beside the current ones."""
    folder = tmp_path_factory.mktemp("sources")
    for doc in SOURCES.glob("*.txt"):
        shutil.copyfile(doc, folder / doc.name)
    write_next_versions(folder)
    return folder


@pytest.fixture(scope="module")
def files(sources: Path) -> dict[Path, bytes]:
    return render_all(sources)


def test_history_lines_read_added_changed_and_removed_clauses(sources: Path) -> None:
    table = table_from_document(sources / "AutoApplyIdA-1.06.txt")
    last = table["version_history"][-1]
    assert (last["version"], last["added"], last["changed"], last["removed"]) == (
        "1.06",
        ["contactName", "idaWebsite"],
        ["organizationName"],
        ["postOfficeBox"],
    )
    assert all(h["removed"] == [] for h in table["version_history"][:-1])
    names = {f["name"]: f for f in table["request"]["fields"]}
    assert "postOfficeBox" not in names
    assert names["contactName"]["since"] == "1.06" and names["contactName"]["presence"] == "required"
    assert names["organizationName"]["changed_in"] == ["1.06"]
    click = table_from_document(sources / "UpdateUserEvClickThrough-1.03.txt")
    assert click["version_history"][-1]["removed"] == ["adminEmailAddress"]


def test_a_removed_variable_still_in_the_table_is_an_error(tmp_path: Path) -> None:
    text = next_auto_apply_ida((SOURCES / "AutoApplyIdA-1.05.txt").read_text(encoding="utf-8"))
    text = text.replace('Removed: "postOfficeBox"', 'Removed: "streetAddress2"')
    path = tmp_path / "AutoApplyIdA-1.06.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        table_from_document(path)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("- 1.06 "))
    assert (info.value.line, info.value.found) == (line, "streetAddress2")
    assert "removed variable" in info.value.expected


def test_the_file_name_gives_the_version_the_text_must_agree(tmp_path: Path) -> None:
    for doc in SOURCES.glob("*.txt"):
        shutil.copyfile(doc, tmp_path / doc.name)
    (tmp_path / "AutoApplyIdA-1.05.txt").rename(tmp_path / "AutoApplyIdA-1.07.txt")
    with pytest.raises(DocumentError) as info:
        version_tables(tmp_path)
    assert str(info.value).startswith(f"{tmp_path / 'AutoApplyIdA-1.07.txt'}:10: expected the last version")
    assert info.value.found == "1.05"
    (tmp_path / "AutoApplyIdA-1.07.txt").rename(tmp_path / "UpdateUserEvClickThrough-1.05.txt")
    with pytest.raises(DocumentError, match="a document of UpdateUserEvClickThrough"):
        version_tables(tmp_path)


def test_every_kept_document_gets_a_table(files: dict[Path, bytes]) -> None:
    tables = Path("spec/tables")
    assert {p for p in files if p.parent == tables} == {
        tables / "AutoApplyIdA.json",
        tables / "AutoApplyIdA-1.05.json",
        tables / "UpdateUserEvClickThrough.json",
        tables / "UpdateUserEvClickThrough-1.02.json",
        tables / "countries.json",
    }
    assert b'"document_version": "1.06"' in files[tables / "AutoApplyIdA.json"]
    assert b'"document_version": "1.05"' in files[tables / "AutoApplyIdA-1.05.json"]
    module = ast.literal_eval(_assigned(files[Path("codec/_tables.py")], "VERSION_TABLES"))
    assert {name: sorted(v) for name, v in module.items()} == {AUTO: ["1.05"], CLICK: ["1.02"]}
    assert module[AUTO]["1.05"]["request"]["fields"][8]["name"] == "postOfficeBox"
    header = files[Path("codec/_models.py")].decode().splitlines()[1:5]
    assert [line.split(":")[0] for line in header] == [
        "# AutoApplyIdA 1.06",
        "# AutoApplyIdA 1.05",
        "# UpdateUserEvClickThrough 1.03",
        "# UpdateUserEvClickThrough 1.02",
    ]


def _assigned(source: bytes, name: str) -> str:
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            return ast.unparse(node.value)
    raise AssertionError(f"no {name} in the module")


def test_the_typed_classes_carry_every_kept_version(files: dict[Path, bytes]) -> None:
    models = files[Path("codec/_models.py")].decode()
    # new in 1.06 and required there, but a 1.05 request has none: optional in the class
    assert "    contact_name: str | None = attrs.field(default=None, validator=_v.optional_text)\n" in models
    assert "    ida_website: str | None = attrs.field(default=None, validator=_v.optional_text)\n" in models
    # removed in 1.06: kept, after the newest document's variables, and named in the docstring
    assert "    post_office_box: str | None = attrs.field(default=None, validator=_v.optional_text)\n" in models
    assert "Only older documents have: postOfficeBox (1.05)" in models
    assert "admin_email_address: str | None" in models and "adminEmailAddress (1.02)" in models
    # required by every kept version: still required
    assert "    days: int = attrs.field(validator=_v.integer)\n" in models
    auto = models[models.index("class AutoApplyIdARequest") : models.index("class AutoApplyIdAResponse")]
    assert auto.index("ida_website") < auto.index("post_office_box")


def test_a_variable_the_versions_type_differently_takes_either_type(sources: Path) -> None:
    every = version_tables(sources)
    older: dict[str, list[dict[str, Any]]] = {name: copy.deepcopy(kept[:-1]) for name, kept in every.items()}
    postal = next(f for f in older[AUTO][0]["request"]["fields"] if f["name"] == "postalCode")
    postal.update(kind="integer", type="integer")  # as if 1.05 had typed it integer
    models = models_module({name: kept[-1] for name, kept in every.items()}, older).decode()
    assert "    postal_code: str | int = attrs.field(validator=_v.any_of(_v.text, _v.integer))\n" in models
    assert CLICK_CHANGES["removed"] in models and AUTO_CHANGES["optional"] == "idaWebsite"


def test_a_table_whose_document_left_is_reported_and_removed(tmp_path: Path, files: dict[Path, bytes]) -> None:
    folder = tmp_path / render.TABLES
    folder.mkdir(parents=True)
    for name in ("AutoApplyIdA-1.04.json", "AutoApplyIdA-1.05.json", "notes.json", "AutoApplyIdA.json"):
        (folder / name).write_text("{}")
    assert stale_tables(files, tmp_path) == [render.TABLES / "AutoApplyIdA-1.04.json"]
