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

__all__ = ["ROOT", "SOURCES", "latest_sources", "render_all", "render_table", "table_from_document", "write_files"]

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "spec" / "sources"
TABLES = Path("spec") / "tables"
CODEC_MODULE = Path("codec") / "_tables.py"
NOTES_MODULE = Path("codec") / "_notes.py"
MODELS_MODULE = Path("codec") / "_models.py"

_SOURCE_NAME = re.compile(r"^(\w+)-(\d+\.\d+)\.txt$")


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


def latest_sources(sources: Path = SOURCES) -> list[Path]:
    """The newest document of each endpoint in *sources* (named ``Endpoint-1.05.txt``)."""
    newest: dict[str, tuple[tuple[int, int], Path]] = {}
    for path in sorted(sources.glob("*.txt")):
        m = _SOURCE_NAME.match(path.name)
        if not m:
            raise DocumentError(
                str(path), 0, "a source named ENDPOINT-VERSION.txt (e.g. AutoApplyIdA-1.05.txt)", path.name
            )
        version = version_key(m.group(2))
        if m.group(1) not in newest or newest[m.group(1)][0] < version:
            newest[m.group(1)] = (version, path)
    if not newest:
        raise DocumentError(str(sources), 0, "at least one document", "an empty folder")
    return [p for _, p in sorted(newest.values(), key=lambda v: v[1].name)]


def render_all(sources: Path = SOURCES) -> dict[Path, bytes]:
    """Every file regenerate writes, relative to the project root."""
    countries = load_countries()
    readings = load_readings()
    tables: dict[str, dict[str, Any]] = {}
    out: dict[Path, bytes] = {}
    for path in latest_sources(sources):
        table = table_from_document(path, countries, readings)
        name = table["endpoint"]["name"]
        if name in tables:
            raise DocumentError(str(path), 0, "one document per endpoint", f"a second document for {name}")
        tables[name] = table
        out[TABLES / f"{name}.json"] = render_table(table)
    out[TABLES / "countries.json"] = render_table(countries)
    out[CODEC_MODULE] = tables_module(tables, countries)
    out[NOTES_MODULE] = notes_module(tables)
    out[MODELS_MODULE] = models_module(tables)
    out.update(openapi_files(tables, countries))  # spec/openapi.json
    return out


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
