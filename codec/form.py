"""application/x-www-form-urlencoded, as the tables' note ``form-encoding-details`` reads it.

* Encoding writes exactly what ``urllib.parse.urlencode`` writes for ``str`` values (spaces as
  ``+``, every byte outside ``A-Z a-z 0-9 _ . - ~`` percent-encoded from UTF-8), but skips the
  quoting call for values that need none -- most values in this protocol.
* Decoding splits on ``&`` only, keeps blank values, decodes ``+`` as space, and refuses bad
  percent escapes and invalid UTF-8 with :class:`FormError` naming the pair, instead of passing
  them through as ``parse_qsl`` does.
"""

from __future__ import annotations

import re
from urllib.parse import quote_plus, unquote_to_bytes

__all__ = ["FormError", "decode_form", "encode_form", "quote_value"]

_SAFE = re.compile(r"[A-Za-z0-9_.~-]*\Z")
_SAFE_OR_SPACE = re.compile(r"[A-Za-z0-9_.~ -]*\Z")
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


class FormError(ValueError):
    """A form body that cannot be decoded: which pair (0-based), its name if readable, and why."""

    def __init__(self, index: int, name: str | None, reason: str) -> None:
        self.index = index
        self.name = name
        self.reason = reason
        where = f"variable {name!r}" if name else f"pair {index + 1}"
        super().__init__(f"{where}: {reason}")


def quote_value(value: str) -> str:
    """Percent-encode one name or value the way ``urlencode`` does, skipping work where possible."""
    if _SAFE.match(value):
        return value
    if _SAFE_OR_SPACE.match(value):
        return value.replace(" ", "+")
    return quote_plus(value)


def encode_form(pairs: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> bytes:
    """``[(name, value), ...]`` -> body bytes; same bytes as ``urlencode(pairs).encode()``."""
    return "&".join(f"{quote_value(k)}={quote_value(v)}" for k, v in pairs).encode("ascii")


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
    out: list[tuple[str, str]] = []
    for index, piece in enumerate(body.split(b"&")):
        if not piece:
            continue
        raw_name, _, raw_value = piece.partition(b"=")
        name = _unquote(raw_name, index, None)
        out.append((name, _unquote(raw_value, index, name)))
    return out
