"""A text read through the decoders of the encodings the kit's sinks use, one layer at a time.

:func:`decoded_views` yields the text itself and then each *view* of it that differs: the text
with one layer of percent-encoding decoded (as UTF-8, and as Latin-1), of backslash escapes (JSON
and Python ``repr``: ``\\"``, ``\\\\``, ``\\n``, ``\\uXXXX`` and surrogate pairs, ``\\xNN`` runs
read as UTF-8 bytes), of XML references (the five entities, decimal and hex), of shell quoting
(``'"'"'``), and the stacks the sinks produce (percent twice, JSON in JSON, JSON in XML).
Decoding runs left to right and is exact, as the sink's own decoder reads the text, so a string
a sink encoded is the string itself in the right view.

Each :class:`View` knows, for every run of its text, the span of its parent it came from:
:meth:`View.source_span` maps a span of the view to a span of the original text, widened to
whole escapes (so replacing it never leaves half an escape), and :meth:`View.windows` says
where a short match can hold a decoded character (elsewhere the view is its parent's text).
A view is built only when its parent holds the escape character it decodes; building one is
linear in the parent's length.  :mod:`conformance.scrub` searches every view for secrets.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from typing import Final
from urllib.parse import unquote_to_bytes

__all__ = ["View", "decoded_views"]


class View:
    """A decoded text and, for each run of it, the span of its parent text it came from.

    ``starts[i]`` is where unit *i* begins in ``text``; a literal unit is copied 1:1 from
    ``src_start[i]`` on, a decoded unit (one escape) stands for all of ``[src_start[i],
    src_end[i])``.  :meth:`source_span` maps a span of this view to a span of the original text
    (through the parent views), widened to whole escapes."""

    __slots__ = ("literal", "parent", "src_end", "src_start", "starts", "text")

    def __init__(self, text: str, parent: View | None = None) -> None:
        self.text = text
        self.parent = parent
        self.starts: list[int] = []
        self.src_start: list[int] = []
        self.src_end: list[int] = []
        self.literal: list[bool] = []

    def add(self, at: int, start: int, end: int, literal: bool) -> None:
        self.starts.append(at)
        self.src_start.append(start)
        self.src_end.append(end)
        self.literal.append(literal)

    def _start(self, p: int) -> int:
        i = bisect_right(self.starts, p) - 1
        return self.src_start[i] + (p - self.starts[i]) if self.literal[i] else self.src_start[i]

    def _end(self, q: int) -> int:
        i = bisect_right(self.starts, q - 1) - 1
        return self.src_start[i] + (q - self.starts[i]) if self.literal[i] else self.src_end[i]

    def windows(self, reach: int) -> list[tuple[int, int]]:
        """The spans of this view a match of at most *reach* characters must lie in to hold a
        decoded character: elsewhere the view is its parent's text, already searched."""
        if self.parent is None:
            return [(0, len(self.text))]
        out: list[tuple[int, int]] = []
        bounds = [*self.starts[1:], len(self.text)]
        for at, stop, literal in zip(self.starts, bounds, self.literal, strict=True):
            if literal:
                continue
            lo, hi = max(at - reach + 1, 0), min(stop + reach - 1, len(self.text))
            if out and lo <= out[-1][1]:
                out[-1] = (out[-1][0], hi)
            else:
                out.append((lo, hi))
        return out

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        view: View | None = self
        while view is not None and view.parent is not None:
            start, end = view._start(start), view._end(end)
            view = view.parent
        return start, end


# A decoder turns one escape match into (decoded text, start, end) pieces of the source; None
# keeps the match as literal text (an escape that decodes to nothing valid).
_Pieces = list[tuple[str, int, int]]
_Decoder = Callable[[re.Match[str]], _Pieces | None]


def _decode_view(parent: View, token: re.Pattern[str], decode: _Decoder) -> View | None:
    """*parent*'s text with every *token* decoded, or None when nothing was decoded."""
    text = parent.text
    pieces: list[str] = []
    view = View("", parent)
    at = pos = 0
    for m in token.finditer(text):
        decoded = decode(m)
        if decoded is None:
            continue
        if m.start() > pos:
            view.add(at, pos, m.start(), True)
            pieces.append(text[pos : m.start()])
            at += m.start() - pos
        for piece, start, end in decoded:
            view.add(at, start, end, False)
            pieces.append(piece)
            at += len(piece)
        pos = m.end()
    if not view.starts:
        return None
    view.add(at, pos, len(text), True)
    pieces.append(text[pos:])
    view.text = "".join(pieces)
    return view


def _bytes_pieces(data: bytes, offsets: list[int], end: int) -> _Pieces:
    """Bytes decoded as UTF-8 where they are valid and as Latin-1 where not, one piece per
    character; byte *k* came from ``offsets[k]`` on (the last one ends at *end*)."""
    out: _Pieces = []
    k = 0
    for ch in data.decode("utf-8", "surrogateescape"):
        if "\udc80" <= ch <= "\udcff":  # a byte that is not UTF-8: read as Latin-1
            n, ch = 1, chr(ord(ch) - 0xDC00)
        else:
            n = len(ch.encode("utf-8"))
        out.append((ch, offsets[k], offsets[k + n] if k + n < len(offsets) else end))
        k += n
    return out


_PERCENT: Final = re.compile(r"(?:%[0-9A-Fa-f]{2})+|\+")


def _percent(m: re.Match[str]) -> _Pieces:
    if m.group() == "+":
        return [(" ", m.start(), m.end())]
    data = unquote_to_bytes(m.group())
    return _bytes_pieces(data, list(range(m.start(), m.end(), 3)), m.end())


def _percent_latin_1(m: re.Match[str]) -> _Pieces:
    """Bytes that are valid UTF-8 may have been Latin-1 all the same: this view reads them so."""
    if m.group() == "+":
        return [(" ", m.start(), m.end())]
    return [
        (chr(int(m.group()[i + 1 : i + 3], 16)), m.start() + i, m.start() + i + 3) for i in range(0, len(m.group()), 3)
    ]


_BACKSLASH: Final = re.compile(
    r"\\(?:u([dD][89abAB][0-9A-Fa-f]{2})\\u([dD][c-fC-F][0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})"
    r"|((?:x[0-9A-Fa-f]{2})(?:\\x[0-9A-Fa-f]{2})*)|([0-7]{1,3})|(.))",
    re.DOTALL,
)
_SHORT: Final = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v", "a": "\a"}


def _backslash(m: re.Match[str]) -> _Pieces | None:
    high, low, u4, u8, xs, octal, char = m.groups()
    if high is not None:  # JSON's surrogate pair: one character outside the BMP
        code = 0x10000 + ((int(high, 16) - 0xD800) << 10) + (int(low, 16) - 0xDC00)
        return [(chr(code), m.start(), m.end())]
    if u4 is not None:
        return [(chr(int(u4, 16)), m.start(), m.end())]
    if u8 is not None:
        return [(chr(int(u8, 16)), m.start(), m.end())] if int(u8, 16) <= 0x10FFFF else None
    if xs is not None:
        data = bytes.fromhex(xs.replace("\\", "").replace("x", ""))
        return _bytes_pieces(data, list(range(m.start(), m.end(), 4)), m.end())
    if octal is not None:
        return [(chr(int(octal, 8)), m.start(), m.end())]
    return [(_SHORT.get(char, char), m.start(), m.end())]


_XML: Final = re.compile(r"&(?:(amp|lt|gt|quot|apos)|#([0-9]{1,7})|#[xX]([0-9A-Fa-f]{1,6}));")
_ENTITIES: Final = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _xml(m: re.Match[str]) -> _Pieces | None:
    name, dec, hexa = m.groups()
    code = int(dec) if dec is not None else int(hexa, 16) if hexa is not None else None
    if code is not None and code > 0x10FFFF:
        return None
    return [(_ENTITIES[name] if name is not None else chr(code or 0), m.start(), m.end())]


_SHELL: Final = re.compile(r"'\"'\"'|'\\''")


def _shell(m: re.Match[str]) -> _Pieces:
    return [("'", m.start(), m.end())]


# a step: what the text must hold for the view to differ, the escapes, and how to decode one
_Step = tuple[re.Pattern[str], re.Pattern[str], _Decoder]
_STEPS: Final[dict[str, _Step]] = {
    "percent": (re.compile("[%+]"), _PERCENT, _percent),
    "percent-latin-1": (re.compile("%[89a-fA-F][0-9a-fA-F]"), _PERCENT, _percent_latin_1),
    "backslash": (re.compile(r"\\"), _BACKSLASH, _backslash),
    "xml": (re.compile("&"), _XML, _xml),
    "shell": (re.compile("'"), _SHELL, _shell),
}
# which decoded views to search: one layer of each encoding, and the layers the sinks stack
_PLANS: Final = (
    ("percent",),
    ("percent", "percent"),
    ("percent-latin-1",),
    ("backslash",),
    ("backslash", "backslash"),
    ("xml",),
    ("xml", "backslash"),
    ("xml", "backslash", "backslash"),
    ("shell",),
)


def decoded_views(text: str) -> Iterator[View]:
    """The text itself, then each decoded view of :data:`_PLANS` that differs from its parent."""
    root = View(text)
    yield root
    built: dict[tuple[str, ...], View | None] = {(): root}
    for plan in _PLANS:
        parent = built.get(plan[:-1])
        if parent is None:
            built[plan] = None
            continue
        needs, token, decode = _STEPS[plan[-1]]
        if not needs.search(parent.text):
            built[plan] = None
            continue
        view = _decode_view(parent, token, decode)
        built[plan] = view
        if view is not None:
            yield view
