"""application/x-www-form-urlencoded, as the tables' note ``form-encoding-details`` reads it.

* Encoding writes exactly what ``urllib.parse.urlencode`` writes for ``str`` values (spaces as
  ``+``, every byte outside ``A-Z a-z 0-9 _ . - ~`` percent-encoded from UTF-8).
* Decoding splits on ``&`` only, keeps blank values, decodes ``+`` as space, and refuses bad
  percent escapes and invalid UTF-8 with :class:`FormError` naming the pair, instead of passing
  them through as ``parse_qsl`` does.

Both directions work on the whole body at once, in C: encoding joins the pairs with two separator
bytes, finds the distinct bytes that need quoting with one ``bytes.translate`` and replaces each
with ``bytes.replace``; decoding joins every name and value, turns ``%XX`` into ``=XX`` and lets
``binascii.a2b_qp`` (quoted-printable) turn them into bytes.  Where that shortcut cannot decide
(a separator byte in the data, a bad escape, invalid UTF-8...) the pair-by-pair path does the
work and names the pair at fault.
"""

from __future__ import annotations

import re
from binascii import a2b_qp
from urllib.parse import unquote_to_bytes

__all__ = ["FormError", "decode_form", "encode_form", "quote_value", "unquote_value"]

# quote_plus as one str.translate: A-Z a-z 0-9 _ . - ~ stay, space becomes "+", every other
# byte (of the UTF-8 encoding, seen through latin-1) becomes %XX -- what urlencode writes.
_ALWAYS_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_QUOTE = {i: ("+" if i == 32 else f"%{i:02X}") for i in range(256) if chr(i) not in _ALWAYS_SAFE}
# the same, byte by byte, for the whole-body encoder: NUL and SOH are its pair and name separators
_SAFE_BYTES = "".join(sorted(_ALWAYS_SAFE)).encode("ascii")
_PAIR_SEP, _NAME_SEP = "\x00", "\x01"
_BYTE = [bytes([i]) for i in range(256)]
_QUOTED = [value.encode("ascii") if (value := _QUOTE.get(i)) else _BYTE[i] for i in range(256)]
_QUOTED[0], _QUOTED[1] = b"&", b"="
# replacement order: "%" before anything writes a "%", "+" before space writes one, separators last
_ORDER = [3] * 256
_ORDER[ord("%")], _ORDER[ord("+")], _ORDER[ord(" ")], _ORDER[0], _ORDER[1] = 0, 1, 2, 4, 4
_MAX_DISTINCT = 64  # more distinct bytes to quote than this: one translate per value instead
# percent-decoding: "%xx" (any case) -> the byte, as a latin-1 character
_UNHEX = {f"{i:02x}": chr(i) for i in range(256)} | {f"{i:02X}": chr(i) for i in range(256)}
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_UNHEX |= {f"{i:02x}"[0] + f"{i:02X}"[1]: chr(i) for i in range(256)} | {
    f"{i:02X}"[0] + f"{i:02x}"[1]: chr(i) for i in range(256)
}
_TO_QP = bytes.maketrans(b"&=%+", b"\x00\x00= ")  # separators -> NUL; %XX -> =XX for a2b_qp; + -> space
_NOT_SEPARATORS = bytes(i for i in range(256) if i not in b"&=\x00\r\n")


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
    """``[(name, value), ...]`` -> body bytes; same bytes as ``urlencode(pairs).encode()``.

    Raises UnicodeEncodeError for a name or value no UTF-8 body can carry (a lone surrogate)."""
    body = _PAIR_SEP.join(map(_NAME_SEP.join, pairs)).encode("utf-8")
    unsafe = body.translate(None, _SAFE_BYTES)  # the bytes to quote, separators included
    if unsafe.count(0) == len(pairs) - 1 and unsafe.count(1) == len(pairs):
        distinct = set(unsafe)
        if len(distinct) <= _MAX_DISTINCT:
            for byte in sorted(distinct, key=_ORDER.__getitem__):
                body = body.replace(_BYTE[byte], _QUOTED[byte])
            return body
    # a separator byte inside the data, no pairs, or many distinct bytes: value by value
    return "&".join([f"{quote_value(k)}={quote_value(v)}" for k, v in pairs]).encode("ascii")


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


def _decode_whole(body: bytes) -> list[tuple[str, str]] | None:
    """The pairs of *body* decoded all at once, or None when the shortcut cannot decide."""
    # "name=value&name=value": every piece has one "=", none is empty, no NUL, CR or LF anywhere
    separators = body.translate(None, _NOT_SEPARATORS)
    count = len(separators) // 2 + 1
    if separators != b"=&" * (count - 1) + b"=":
        return None
    raw = body.translate(_TO_QP)  # "&" and "=" -> NUL, %XX -> =XX, + -> space
    decoded = a2b_qp(raw)
    if len(raw) - len(decoded) != 2 * body.count(b"%"):  # each good escape is 2 bytes shorter
        return None
    try:
        items = decoded.decode("utf-8").split("\x00")
    except UnicodeDecodeError:
        return None
    if len(items) != 2 * count:  # a %00 in the data
        return None
    return list(zip(items[0::2], items[1::2], strict=True))


def unquote_value(value: str) -> str | None:
    """Percent-decode one ASCII value holding no ``&``, ``=``, CR or LF (as a canonical body's
    values are), ``+`` as space; None when it cannot be decoded (a bad escape, invalid UTF-8)."""
    if "%" not in value:
        return value.replace("+", " ")
    raw = value.encode("ascii").translate(_TO_QP)
    decoded = a2b_qp(raw)
    if len(raw) - len(decoded) != 2 * value.count("%"):  # each good escape is 2 bytes shorter
        return None
    try:
        return decoded.decode("utf-8")
    except UnicodeDecodeError:
        return None


def decode_form(body: bytes) -> list[tuple[str, str]]:
    """Body bytes -> ``[(name, value), ...]`` in order, blanks kept, duplicates kept.

    A piece without ``=`` is a name with an empty value; empty pieces (``a=1&&b=2``) are skipped.
    Raises :class:`FormError` for a bad percent escape or invalid UTF-8.
    """
    if not body:
        return []
    pairs = _decode_whole(body)
    if pairs is not None:
        return pairs
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
