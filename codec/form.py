"""application/x-www-form-urlencoded, as the tables' note ``form-encoding-details`` reads it.

* Encoding writes exactly what ``urllib.parse.urlencode`` writes for ``str`` values (spaces as
  ``+``, every byte outside ``A-Z a-z 0-9 _ . - ~`` percent-encoded from UTF-8).
* Decoding splits on ``&`` only, keeps blank values, decodes ``+`` as space, and refuses bad
  percent escapes and invalid UTF-8 with :class:`FormError` naming the pair, instead of passing
  them through as ``parse_qsl`` does.

The functions here are the general paths, pair by pair; ``codec/_fast.py`` works on the whole
body at once where it can (and gives the same answer).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import unquote_to_bytes

from . import _fast
from ._args import as_bytes, check_pairs
from .errors import FormError

__all__ = ["FormError", "decode_form", "encode_form", "quote_value"]

# quote_plus as one str.translate: A-Z a-z 0-9 _ . - ~ stay, space becomes "+", every other
# byte (of the UTF-8 encoding, seen through latin-1) becomes %XX -- what urlencode writes.
_ALWAYS_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_QUOTE = {i: ("+" if i == 32 else f"%{i:02X}") for i in range(256) if chr(i) not in _ALWAYS_SAFE}
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def quote_value(value: str) -> str:
    """Percent-encode one name or value exactly as ``urllib.parse.quote_plus`` does, in C:
    one ``str.translate`` over the value (or over its UTF-8 bytes seen as latin-1)."""
    if value.isascii():
        return value.translate(_QUOTE)
    return value.encode("utf-8").decode("latin-1").translate(_QUOTE)


def encode_form(pairs: Sequence[tuple[str, str]]) -> bytes:
    """``[(name, value), ...]`` -> body bytes; same bytes as ``urlencode(pairs).encode()``.

    Raises UnicodeEncodeError for a name or value no UTF-8 body can carry (a lone surrogate), and
    TypeError naming ``pairs`` for anything but a sequence of pairs of ``str``."""
    if not isinstance(pairs, list | tuple):
        check_pairs(pairs, "pairs")
    try:
        body = _fast.encode_form(pairs)
    except TypeError:  # not text: the general path names the pair
        body = None
    if body is not None:
        return body
    check_pairs(pairs, "pairs")
    return "&".join([f"{quote_value(k)}={quote_value(v)}" for k, v in pairs]).encode("ascii")


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
    Raises :class:`FormError` for a bad percent escape or invalid UTF-8.  *body* is bytes, a
    bytearray or a memoryview.
    """
    if type(body) is not bytes:
        body = as_bytes(body, "body")
    if not body:
        return []
    pairs = _fast.decode_form(body)
    if pairs is not None:
        return pairs
    out: list[tuple[str, str]] = []
    for index, piece in enumerate(body.split(b"&")):
        if not piece:
            continue
        raw_name, _, raw_value = piece.partition(b"=")
        name = _unquote(raw_name, index, None)
        out.append((name, _unquote(raw_value, index, name)))
    return out
