"""Read a vendor document's text into lines, headings and tab-separated tables.

The documents arrive as plain text: headings (optionally ``##``-prefixed), a version-history list
(``- 1.00 Original version.``), prose, and tables whose cells are separated by TAB characters.
Italic markup survives as ``<i>...</i>``; bold markup was lost (sometimes it remains as
``**...**`` or ``<b>...</b>``).

This module knows nothing about the two endpoints; :mod:`spec.extract` does.  Everything here
keeps the 1-based line number of what it found so that errors can point at the source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Document", "DocumentError", "Line", "Table", "parse_document", "read_document"]


class DocumentError(Exception):
    """The document could not be read.

    Carries the file, the 1-based line (0 when the fault is the whole document), what the reader
    expected there and what it found, so the message can be printed on one line.
    """

    def __init__(self, file: str, line: int, expected: str, found: str) -> None:
        self.file = file
        self.line = line
        self.expected = expected
        self.found = found
        where = f"{file}:{line}" if line else file
        shown = found if len(found) <= 120 else found[:117] + "..."
        super().__init__(f"{where}: expected {expected}, found {shown!r}")


@dataclass(frozen=True)
class Line:
    number: int
    text: str

    @property
    def cells(self) -> list[str]:
        return self.text.split("\t")


@dataclass
class Table:
    """A run of tab-separated lines: the first is the header."""

    header: Line
    rows: list[Line] = field(default_factory=list)
    heading: str = ""  # the nearest heading above the table

    @property
    def columns(self) -> list[str]:
        return [strip_markup(c).strip() for c in self.header.cells if c.strip()]


@dataclass
class Document:
    file: str
    text: str
    lines: list[Line]
    tables: list[Table]
    headings: list[Line]

    def error(self, line: int, expected: str, found: str) -> DocumentError:
        return DocumentError(self.file, line, expected, found)


_MARKUP = re.compile(r"</?[ib]>|\*\*")


def strip_markup(text: str) -> str:
    """Remove ``<i>``/``<b>`` tags and ``**`` bold markers, keep the words."""
    return _MARKUP.sub("", text)


def is_italic(cell: str) -> bool:
    """True when the cell's first word is wrapped in ``<i>...</i>``."""
    return cell.strip().startswith("<i>")


_HEADING = re.compile(r"^(?:#+\s*)?(?:\*\*)?(\d+(?:\.\d+)*\.?\s+\S.*|Version History)(?:\*\*)?\s*$")


def read_document(path: Path) -> Document:
    """Read *path* as UTF-8 and split it; a file that is not UTF-8 text is a DocumentError."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(str(path), 0, "a readable file", exc.strerror or str(exc)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DocumentError(str(path), line, "UTF-8 text", repr(raw[exc.start : exc.start + 8])) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise DocumentError(str(path), line, "text without NUL bytes", "a NUL byte")
    return parse_document(text, str(path))


def parse_document(text: str, file: str = "<document>") -> Document:
    """Split *text* into numbered lines, headings and tables (tables end at a heading)."""
    lines = [Line(i + 1, t.rstrip("\r")) for i, t in enumerate(text.split("\n"))]
    tables: list[Table] = []
    headings: list[Line] = []
    current: Table | None = None
    heading = ""
    for line in lines:
        stripped = line.text.strip()
        if "\t" not in line.text and _HEADING.match(stripped):
            headings.append(line)
            heading = strip_markup(stripped.lstrip("#").strip())
            current = None
            continue
        if "\t" in line.text:
            if current is None:
                current = Table(header=line, heading=heading)
                tables.append(current)
            else:
                current.rows.append(line)
        elif stripped and current is not None and current.rows:
            # a prose line ends the table; blank lines inside a table do not
            current = None
        elif stripped and current is not None:
            current = None
    return Document(file=file, text=text, lines=lines, tables=tables, headings=headings)
