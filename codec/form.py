"""application/x-www-form-urlencoded, as the tables' note ``form-encoding-details`` reads it.

* Encoding writes exactly what ``urllib.parse.urlencode`` writes for ``str`` values (spaces as
  ``+``, every byte outside ``A-Z a-z 0-9 _ . - ~`` percent-encoded from UTF-8), with one C-level
  ``str.translate`` per value instead of urllib's Python-level quoting.
* Decoding splits on ``&`` only, keeps blank values, decodes ``+`` as space, and refuses bad
  percent escapes and invalid UTF-8 with :class:`FormError` naming the pair, instead of passing
  them through as ``parse_qsl`` does.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

__all__ = ["FormError", "decode_form", "encode_form", "quote_value"]

# quote_plus as one str.translate: A-Z a-z 0-9 _ . - ~ stay, space becomes "+", every other
# byte (of the UTF-8 encoding, seen through latin-1) becomes %XX -- what urlencode writes.
_ALWAYS_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_QUOTE = {i: ("+" if i == 32 else f"%{i:02X}") for i in range(256) if chr(i) not in _ALWAYS_SAFE}
# percent-decoding: "%xx" (any case) -> the byte, as a latin-1 character
_UNHEX = {f"{i:02x}": chr(i) for i in range(256)} | {f"{i:02X}": chr(i) for i in range(256)}
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_UNHEX |= {f"{i:02x}"[0] + f"{i:02X}"[1]: chr(i) for i in range(256)} | {
    f"{i:02X}"[0] + f"{i:02x}"[1]: chr(i) for i in range(256)
}


class FormError(ValueError):
    """A form body that cannot be decoded: which pair (0-based), its name if readable, and why."""

    def __init__(self, index: int, name: str | None, reason: str) -> None:
        self.index = index
        self.name = name
        self.reason = reason
        where = f"variable {name!r}" if name else f"pair {index + 1}"
        super().__init__(f"{where}: {reason}")


def quote_value(value: str) -> str:
    """Percent-encode one name or value exactly as ``urllib.parse.quote_plus`` does, in C:
    one ``str.translate`` over the value (or over its UTF-8 bytes seen as latin-1)."""
    if value.isascii():
        return value.translate(_QUOTE)
    return value.encode("utf-8").decode("latin-1").translate(_QUOTE)


def encode_form(pairs: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> bytes:
    """``[(name, value), ...]`` -> body bytes; same bytes as ``urlencode(pairs).encode()``."""
    return "&".join(
        [
            f"{k.translate(_QUOTE) if k.isascii() else quote_value(k)}={v.translate(_QUOTE) if v.isascii() else quote_value(v)}"
            for k, v in pairs
        ]
    ).encode("ascii")


def _unquote_text(text: str, index: int, name: str | None) -> str:
    """Percent-decode ASCII *text* (``+`` already turned into spaces) and read it as UTF-8."""
    parts = text.split("%")
    out = [parts[0]]
    for part in parts[1:]:
        byte = _UNHEX.get(part[:2])
        if byte is None:
            raise FormError(index, name, "bad percent escape")
        out.append(byte)
        out.append(part[2:])
    try:
        return "".join(out).encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        raise FormError(index, name, "invalid UTF-8 after percent-decoding") from None


def _decode_ascii(text: str) -> list[tuple[str, str]]:
    if "+" in text:
        text = text.replace("+", " ")
    out: list[tuple[str, str]] = []
    for index, piece in enumerate(text.split("&")):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        if "%" in name:
            name = _unquote_text(name, index, None)
        if "%" in value:
            value = _unquote_text(value, index, name)
        out.append((name, value))
    return out


def _unquote(raw: bytes, index: int, name: str | None) -> str:
    if b"%" not in raw and b"+" not in raw:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise FormError(index, name, "invalid UTF-8") from None
    if _BAD_ESCAPE.search(raw):
        raise FormError(index, name, "bad percent escape")
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise FormError(index, name, "invalid UTF-8 after percent-decoding") from None


def decode_form(body: bytes) -> list[tuple[str, str]]:
    """Body bytes -> ``[(name, value), ...]`` in order, blanks kept, duplicates kept.

    A piece without ``=`` is a name with an empty value; empty pieces (``a=1&&b=2``) are skipped.
    Raises :class:`FormError` for a bad percent escape or invalid UTF-8.
    """
    if not body:
        return []
    if body.isascii():  # the usual case: everything outside ASCII is percent-encoded
        return _decode_ascii(body.decode("ascii"))
    out: list[tuple[str, str]] = []
    for index, piece in enumerate(body.split(b"&")):
        if not piece:
            continue
        raw_name, _, raw_value = piece.partition(b"=")
        name = _unquote(raw_name, index, None)
        out.append((name, _unquote(raw_value, index, name)))
    return out
