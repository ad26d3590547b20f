"""Turn documents into output files (bytes, in memory) and write them atomically.

:func:`render_all` returns every file ``regenerate`` writes, keyed by its path relative to the
project root, so ``check`` can compare them with what is committed and ``regenerate`` can write
them only once all were built (no half-written table).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from .build import build_table, load_readings
from .codegen import models_module, notes_module, tables_module
from .countries import load_countries
from .document import DocumentError, read_document
from .extract import extract, version_key
from .openapi import openapi_files

__all__ = [
    "ROOT",
    "SOURCES",
    "documents",
    "latest_sources",
    "older_table_path",
    "render_all",
    "render_table",
    "stale_tables",
    "table_from_document",
    "version_tables",
    "write_files",
]

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "spec" / "sources"
TABLES = Path("spec") / "tables"
CODEC_MODULE = Path("codec") / "_tables.py"
NOTES_MODULE = Path("codec") / "_notes.py"
MODELS_MODULE = Path("codec") / "_models.py"

_SOURCE_NAME = re.compile(r"^(\w+)-(\d+\.\d+)\.txt$")
_OLDER_TABLE = re.compile(r"^(\w+)-(\d+\.\d+)\.json$")


def table_from_document(
    path: Path, countries: dict[str, Any] | None = None, readings: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Parse the document at *path* and build its table."""
    doc = read_document(path)
    facts = extract(doc)
    name = path.name
    try:
        name = str(path.resolve().relative_to(ROOT))
    except ValueError:
        pass
    return build_table(doc, facts, readings or load_readings(), countries or load_countries(), name)


def render_table(table: dict[str, Any]) -> bytes:
    """Stable, sorted, diff-friendly JSON: same table, same bytes."""
    return (json.dumps(table, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def documents(sources: Path = SOURCES) -> dict[str, list[Path]]:
    """Every document in *sources* (named ``Endpoint-1.05.txt``), by the endpoint its name gives,
    oldest first."""
    found: dict[str, list[tuple[tuple[int, int], Path]]] = {}
    for path in sorted(sources.glob("*.txt")):
        m = _SOURCE_NAME.match(path.name)
        if not m:
            raise DocumentError(
                str(path), 0, "a source named ENDPOINT-VERSION.txt (e.g. AutoApplyIdA-1.05.txt)", path.name
            )
        found.setdefault(m.group(1), []).append((version_key(m.group(2)), path))
    if not found:
        raise DocumentError(str(sources), 0, "at least one document", "an empty folder")
    return {name: [p for _, p in sorted(docs)] for name, docs in sorted(found.items())}


def latest_sources(sources: Path = SOURCES) -> list[Path]:
    """The newest document of each endpoint in *sources* (named ``Endpoint-1.05.txt``)."""
    return [docs[-1] for docs in documents(sources).values()]


def _named_as_its_file(path: Path, table: dict[str, Any]) -> None:
    """The endpoint and version a document's file name gives are the ones its text gives: the
    codec binds ``version="1.05"`` to the table of ``ENDPOINT-1.05.txt``."""
    m = _SOURCE_NAME.match(path.name)
    assert m is not None  # documents() checked every name
    endpoint, version = m.groups()
    if table["endpoint"]["name"] != endpoint:
        raise DocumentError(
            str(path), 0, f"a document of {endpoint} (as its file name says)", table["endpoint"]["name"]
        )
    if table["document_version"] != version:
        line = table["version_history"][-1]["source_line"]
        expected = f"the last version of the history to be {version} (as the file name says)"
        raise DocumentError(str(path), line, expected, table["document_version"])


def version_tables(sources: Path = SOURCES) -> dict[str, list[dict[str, Any]]]:
    """Every endpoint's tables, one per document in *sources*, oldest first (the last is the
    newest, the one ``spec/tables/ENDPOINT.json`` holds)."""
    countries = load_countries()
    readings = load_readings()
    out: dict[str, list[dict[str, Any]]] = {}
    for name, paths in documents(sources).items():
        out[name] = []
        for path in paths:
            table = table_from_document(path, countries, readings)
            _named_as_its_file(path, table)
            out[name].append(table)
    return out


def older_table_path(name: str, version: str) -> Path:
    """Where the table of an older document is kept, beside the newest: ``spec/tables/NAME-VERSION.json``."""
    return TABLES / f"{name}-{version}.json"


def render_all(sources: Path = SOURCES) -> dict[Path, bytes]:
    """Every file regenerate writes, relative to the project root: for each endpoint the newest
    document's table (``spec/tables/NAME.json``) and every older document's
    (``spec/tables/NAME-VERSION.json``), the country list, the codec's generated modules (which
    carry every version) and the OpenAPI description (of the newest)."""
    countries = load_countries()
    every = version_tables(sources)
    tables = {name: versions[-1] for name, versions in every.items()}
    older = {name: versions[:-1] for name, versions in every.items()}
    out: dict[Path, bytes] = {}
    for name, versions in every.items():
        out[TABLES / f"{name}.json"] = render_table(versions[-1])
        for table in versions[:-1]:
            out[older_table_path(name, table["document_version"])] = render_table(table)
    out[TABLES / "countries.json"] = render_table(countries)
    out[CODEC_MODULE] = tables_module(tables, countries, older)
    out[NOTES_MODULE] = notes_module(tables, older)
    out[MODELS_MODULE] = models_module(tables, older)
    out.update(openapi_files(tables, countries))  # spec/openapi.json
    return out


def stale_tables(files: dict[Path, bytes], root: Path = ROOT) -> list[Path]:
    """Tables of older documents in ``spec/tables/`` that *files* (what regenerate writes) no
    longer has: their document left ``spec/sources/`` (regenerate removes them, check reports them)."""
    folder = root / TABLES
    kept = [folder / rel.name for rel in files if rel.parent == TABLES]
    return sorted(TABLES / p.name for p in folder.glob("*-*.json") if _OLDER_TABLE.match(p.name) and p not in kept)


def write_files(files: dict[Path, bytes], root: Path = ROOT) -> list[Path]:
    """Write each file via a temporary file and rename; return the ones whose bytes changed."""
    changed = []
    for rel, data in sorted(files.items()):
        target = root / rel
        if target.exists() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        changed.append(rel)
    return changed
