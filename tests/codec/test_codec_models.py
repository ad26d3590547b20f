"""The generated half of the codec: models, note ids and the typed tables made from the tables.

* a variable added to a document is, after one regenerate, an attribute of the typed request,
  decoded, encoded, refused by a codec bound to the older version, and printed by the CLI --
  with no hand edit (the regenerated codec is run from a copy in ``tmp_path``);
* each value kind's Python type as the generator writes it matches the kind's class;
* the tables are checked at import: a note cited but missing, or an unknown rule kind, is an
  error naming the row.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import textwrap
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import codec
from codec import kinds, tables
from codec._tables import TABLES
from spec.codegen import KIND_TYPES, PARAM_TYPES
from spec.render import ROOT, SOURCES, render_all, write_files

AUTO = "AutoApplyIdA"


# --------------------------------------------------------------------------- a new variable, end to end

NEW_ROW = "<i>idaWebsite</i>\tstring\t255 chars\t\tA Website to add to IdAuthority."
NEW_FIELD_CHECK = textwrap.dedent(
    """
    import json, subprocess, sys
    sys.path.insert(0, sys.argv[1])
    import codec

    assert codec.__file__.startswith(sys.argv[1]), codec.__file__
    spec = codec.endpoint_spec("AutoApplyIdA")
    assert spec.document_version == "1.06" and spec.versions[-1] == "1.06"
    f = spec.by_key["idawebsite"]
    assert (f.attribute, f.since, f.max_length, f.presence) == ("ida_website", "1.06", 255, "optional")
    cls = codec.AutoApplyIdARequest
    assert "ida_website" in {a.name for a in __import__("attrs").fields(cls)}
    body = sys.argv[2].encode()
    request = codec.decode_request("AutoApplyIdA", body)
    assert request.ida_website == "https://example.com/é", request
    assert codec.encode_request(request).body == body
    assert codec.converter.unstructure(request)["idaWebsite"] == "https://example.com/é"
    try:
        codec.decode_request("AutoApplyIdA", body, version="1.05")
    except codec.RequestRejected as exc:
        assert (exc.code, exc.argument) == (-2, "idaWebsite"), exc
    else:
        raise AssertionError("a codec bound to 1.05 accepted idaWebsite")
    too_long = body.replace(b"https", b"h" * 300)
    try:
        codec.decode_request("AutoApplyIdA", too_long)
    except codec.RequestRejected as exc:
        assert (exc.code, exc.argument, exc.rule) == (-4, "idaWebsite", "max_length"), exc
    cli = subprocess.run(
        [sys.executable, "-m", "codec", "decode-request", "AutoApplyIdA"],
        input=body, capture_output=True, cwd=sys.argv[1], timeout=60,
    )
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["idaWebsite"] == "https://example.com/é"
    print("new field OK")
    """
)


def test_a_variable_added_to_a_document_reaches_every_part_of_the_codec(tmp_path: Path) -> None:
    """Issue 13: regenerate after a new optional variable, and the codec carries it (models,
    converter, validators, version binding, CLI) without a hand edit."""
    sources = tmp_path / "sources"
    sources.mkdir()
    for doc in SOURCES.glob("*.txt"):
        shutil.copyfile(doc, sources / doc.name)
    text = (SOURCES / "AutoApplyIdA-1.05.txt").read_text(encoding="utf-8")
    fax = next(line for line in text.splitlines() if line.startswith("<i>idaFaxNumber</i>"))
    assert text.count(fax) == 1
    text = text.replace(fax, f"{fax}\n{NEW_ROW}")
    last = '- 1.05 Added: "idaEmailAddress", "idaTelephoneNumber" and "idaFaxNumber" parameters.'
    text = text.replace(last, f'{last}\n- 1.06 Added: "idaWebsite" parameter.')
    (sources / "AutoApplyIdA-1.06.txt").write_text(text, encoding="utf-8")

    root = tmp_path / "tree"
    shutil.copytree(ROOT / "codec", root / "codec", ignore=shutil.ignore_patterns("__pycache__"))
    changed = write_files(render_all(sources), root)
    assert {str(p) for p in changed} >= {"codec/_tables.py", "codec/_models.py", "spec/tables/AutoApplyIdA.json"}
    models = (root / "codec" / "_models.py").read_text(encoding="utf-8")
    assert "    ida_website: str | None = attrs.field(default=None, validator=_v.optional_text)\n" in models
    assert "AutoApplyIdA 1.06: " in models.splitlines()[1]

    wire = {k: v for k, v in _valid_auto_wire().items()}
    wire["idaWebsite"] = "https://example.com/é"
    body = codec.encode_form(list(wire.items()))
    result = subprocess.run(
        [sys.executable, "-I", "-c", NEW_FIELD_CHECK, str(root), body.decode("ascii")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "new field OK"


def _valid_auto_wire() -> dict[str, str]:
    spec = codec.endpoint_spec(AUTO)
    wire = {f.name: f.kind.baseline_value(f.max_length) for f in spec.fields if f.presence == "required"}
    wire.update(loginName="me", loginPassword="pw")
    return {f.name: wire[f.name] for f in spec.fields if f.name in wire}


# --------------------------------------------------------------------------- kinds and types


def test_every_kind_has_a_python_type_in_the_generator_and_a_class_in_the_codec() -> None:
    assert set(KIND_TYPES) == set(kinds.KINDS)
    for name, cls in kinds.KINDS.items():
        annotation = eval(KIND_TYPES[name], {"Decimal": Decimal})
        assert (typing.get_origin(annotation) or annotation) is cls.python_type, name
        assert cls.name == name


def test_every_field_of_the_tables_has_the_kind_its_row_names() -> None:
    for name, table in TABLES.items():
        spec = codec.endpoint_spec(name)
        for row, f in zip(table["request"]["fields"], spec.fields, strict=True):
            assert f.kind.name == row["kind"], f.name
            assert type(f.kind) is kinds.KINDS[row["kind"]]
            if row["allowed"] is not None:
                assert row["allowed"]["kind"] == row["kind"]
                assert f.kind.values == tuple(row["allowed"].get("values", ()))


@pytest.mark.parametrize("name", sorted(TABLES))
def test_generated_classes_follow_the_kinds_and_parameter_types(name: str) -> None:
    spec = codec.endpoint_spec(name)
    hints = typing.get_type_hints(codec.REQUEST_CLASSES[name])
    for f in spec.fields:
        expected = eval(KIND_TYPES[f.kind.name], {"Decimal": Decimal})
        assert hints[f.attribute] == (expected if f.presence == "required" else expected | None), f.name
    hints = typing.get_type_hints(codec.RESPONSE_CLASSES[name])
    for p in spec.params:
        expected = eval(PARAM_TYPES[p.type], {"Decimal": Decimal})
        assert hints[p.attribute] == (expected if p.name == "errorCode" else expected | None), p.name


@pytest.mark.parametrize("name", sorted(TABLES))
def test_invalid_examples_earn_their_code_under_both_readings(name: str) -> None:
    """Each kind's invalid examples are refused with the code it gives, strict and lenient."""
    spec = codec.endpoint_spec(name)
    for f in spec.fields:
        for example in f.kind.invalid_examples(f.max_length):
            for strict in (True, False):
                found = f.check(example.value, strict=strict)
                assert found is not None and found[0] == example.code, (f.name, example, strict)
        baseline = f.kind.baseline_value(f.max_length)
        assert f.check(baseline, strict=True) is None, (f.name, baseline)


# --------------------------------------------------------------------------- load-time checks


def _table(**change: Any) -> dict[str, Any]:
    table = copy.deepcopy(TABLES[AUTO])
    for path, value in change.items():
        *parents, last = path.split("__")
        node: Any = table
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[int(last) if last.isdigit() else last] = value
    return table


def test_the_committed_tables_load() -> None:
    for name, table in TABLES.items():
        assert tables._build(table) == codec.endpoint_spec(name)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"request__fields__0__notes": ["no-such-note"]},
            "AutoApplyIdA.request.loginName.notes cites note 'no-such-note'",
        ),
        ({"request__rules__0__note": "flag-lowercase"}, "cites note 'flag-lowercase', which the table does not have"),
        ({"request__rules__0__kind": "forbidden_on_sundays"}, "kind 'forbidden_on_sundays' is not one this codec"),
        ({"request__fields__3__kind": "colour"}, "kind 'colour' has no class in codec/kinds.py"),
        ({"request__fields__3__since": "0.99"}, "request.product.since is '0.99'"),
        ({"policy__surprise": True}, "Policy"),
    ],
)
def test_tables_the_codec_cannot_read_fail_naming_the_row(change: dict[str, Any], message: str) -> None:
    table = _table(**change)
    if "request__rules__0__note" in change:  # a note this endpoint's table lacks
        table["notes"] = [n for n in table["notes"] if n["id"] != "flag-lowercase"]
        for f in table["request"]["fields"]:
            f["notes"] = [n for n in f["notes"] if n != "flag-lowercase"]
    with pytest.raises(tables.TableError) as info:
        tables._build(table)
    assert message in str(info.value)
    assert "python -m spec regenerate" in str(info.value)


def test_note_ids_are_the_tables_notes() -> None:
    carried = {n["id"] for table in TABLES.values() for n in table["notes"]}
    assert {n.value for n in codec.NoteId} == carried
    assert codec.NoteId.BLANK_VALUE == "blank-value"
    assert json.dumps({"note": codec.NoteId.BLANK_VALUE}) == '{"note": "blank-value"}'
