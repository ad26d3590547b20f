"""The portable test vectors (``python -m conformance vectors``): current, valid against their
schema, and written by the command exactly as packaged (issue 12 item 5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import codec
from conformance import cli
from conformance.client.vectors import FILES, PACKAGED, VECTORS_VERSION, render


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return render()


def test_the_packaged_copy_is_current(rendered: dict[str, str]) -> None:
    """Fails when the tables (or the kit's variants) changed and the vectors were not regenerated:
    run ``python -m conformance vectors --out conformance/vectors``."""
    for name in FILES:
        assert (PACKAGED / name).read_text(encoding="utf-8") == rendered[name], name


def test_every_file_follows_the_schema() -> None:
    schema = json.loads((PACKAGED / "vectors.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for name in ("requests.json", "responses.json"):
        data = json.loads((PACKAGED / name).read_text(encoding="utf-8"))
        assert data["vectors_version"] == VECTORS_VERSION
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
        assert errors == [], name
        assert len({v["id"] for v in data["vectors"]}) == len(data["vectors"])


def _requests() -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads((PACKAGED / "requests.json").read_text(encoding="utf-8"))["vectors"]
    return vectors


def test_the_requests_cover_the_tables() -> None:
    ids = {v["id"] for v in _requests()}
    for name, spec in codec.ENDPOINTS.items():
        assert f"{name}/valid/minimal" in ids and f"{name}/fault/unrecognised" in ids
        for f in spec.fields:
            for example in f.kind.invalid_examples(f.max_length):
                assert f.name == "test" or f"{name}/fault/{example.rule}/{f.name}" in ids
            for value in f.kind.values:
                assert f.name == "test" or f"{name}/valid/{f.name}/{value}" in ids
    four = next(v for v in _requests() if v["id"] == "AutoApplyIdA/fault/four-at-once")
    assert [f["errorCode"] for f in four["strict"]["faults"]] == [-2, -3, -4, -4]
    case = next(v for v in _requests() if v["id"] == "AutoApplyIdA/fault/case/countryName")
    assert case["strict"]["errorCode"] == -7 and case["lenient"]["accepted"] is True


def test_the_command_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["vectors", "--out", str(tmp_path)]) == 0
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (PACKAGED / name).read_bytes()
    assert "wrote requests.json (" in capsys.readouterr().out
    assert cli.main(["vectors", "--check", str(tmp_path)]) == 0
    (tmp_path / "responses.json").write_text("{}", encoding="utf-8")
    assert cli.main(["vectors", "--check", str(tmp_path)]) == 1
    assert f"stale: {tmp_path / 'responses.json'}" in capsys.readouterr().out


def test_a_folder_it_cannot_write_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert cli.main(["vectors", "--out", str(blocker / "vectors")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("conformance vectors: cannot write")
