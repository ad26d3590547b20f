"""Text from a peer made safe to show: on a terminal, in XML, and at a bounded length.

A server, client or adapter under test chooses the bytes of its answers, error messages and
variable names; the kit copies some of them into its messages.  Before any such string reaches
a sink it goes through :func:`peer_text` (or the three steps it is made of):

* :func:`printable` -- every character that could act on a terminal or hide text is shown
  escaped as Python writes it (``\\x1b``, ``\\u202e``): C0 and C1 controls and DEL (escape
  sequences, clear-screen, bells, the carriage return that overwrites a line), Unicode format
  characters that reorder or hide text (bidirectional overrides, zero-width characters, the byte
  order mark), line and paragraph separators, lone surrogates and the two non-characters XML
  forbids.  Tab is kept, and newline too when the caller asks (a multi-line body).  The result
  is also XML 1.0-safe.
* :func:`xml_safe` -- only the characters XML 1.0 cannot hold (``\\x00``-``\\x08``, ``\\x0b``,
  ``\\x0c``, ``\\x0e``-``\\x1f``, surrogates, ``\\ufffe``, ``\\uffff``) shown escaped, so a JUnit
  file always parses; everything else is left for the XML writer to escape.
* :func:`cut` -- a string longer than the limit is cut, with a marker that says how much went:
  ``… [cut: N more characters]``.

Order matters: scrub secrets first (:mod:`conformance.scrub`: a cut can split a secret so that
it no longer matches), then cut, then escape (so the marker counts characters of the peer's
text, and an escape is never split).  :func:`peer_text` does exactly that.  Every function is
linear in its input and never raises on any ``str``.
"""

from __future__ import annotations

import re
from typing import Final, Protocol

__all__ = ["DEFAULT_PEER_LIMIT", "cut", "peer_text", "printable", "xml_safe"]

DEFAULT_PEER_LIMIT: Final = 2000
"""Characters of one peer-supplied string shown in a message before it is cut."""

# characters that act on a terminal or hide text; XML's forbidden ones are among them
_UNSAFE: Final = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 (but tab and newline), DEL, C1
    "\xad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"  # soft hyphen, invisible joiners and marks
    "\u200b-\u200f\u2028-\u202e\u2060-\u206f"  # zero width, LRM/RLM, separators, bidi embeddings and isolates
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb"  # fillers, variation selectors, BOM, annotations
    "\ud800-\udfff\ufffe\uffff"  # surrogates and non-characters (not XML)
    "\U000e0000-\U000e0fff"  # tag characters and supplementary variation selectors
)
_UNSAFE_LINE: Final = re.compile(f"[{_UNSAFE}\n]")
_UNSAFE_BLOCK: Final = re.compile(f"[{_UNSAFE}]")
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


_SHORT: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(m: re.Match[str]) -> str:
    """One character as Python's ``repr`` writes it (``\\n``, ``\\x1b``, ``\\u202e``)."""
    if m.group() in _SHORT:
        return _SHORT[m.group()]
    code = ord(m.group())
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """*text* with every character that could act on a terminal or hide text shown escaped
    (``\\x1b``); newlines are escaped too unless *keep_newlines*.  XML 1.0-safe as well."""
    return (_UNSAFE_BLOCK if keep_newlines else _UNSAFE_LINE).sub(_escape, text)


def xml_safe(text: str) -> str:
    """*text* with the characters XML 1.0 cannot hold shown escaped (``\\x00``, ``\\ud800``):
    the result can be written to any XML text or attribute and parsed back."""
    return _NOT_XML.sub(_escape, text)


def cut(text: str, limit: int = DEFAULT_PEER_LIMIT) -> str:
    """*text* if it has at most *limit* characters; else its first *limit* and a marker,
    ``… [cut: N more characters]``.  A negative *limit* counts as 0."""
    limit = max(limit, 0)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [cut: {len(text) - limit} more characters]"


class _Scrubs(Protocol):
    def scrub(self, text: str) -> str: ...


def peer_text(
    value: str | bytes,
    *,
    limit: int = DEFAULT_PEER_LIMIT,
    scrubber: _Scrubs | None = None,
    keep_newlines: bool = False,
) -> str:
    """A peer's string or bytes made ready for a message: decoded (UTF-8, undecodable bytes
    shown as ``\\xNN``), scrubbed of secrets by *scrubber* (before the cut), cut to *limit*
    characters with a marker, and made :func:`printable`."""
    text = value.decode("utf-8", "backslashreplace") if isinstance(value, bytes | bytearray) else value
    if scrubber is not None:
        text = scrubber.scrub(text)
    return printable(cut(text, limit), keep_newlines=keep_newlines)
