"""The Python types the public functions take, checked where it costs nothing on the usual call.

A value of the wrong Python type is a programming error, not bad input: it raises ``TypeError``
naming the parameter (:func:`codec.errors.wrong_type`), never an AttributeError or KeyError from
deep inside.  The checks sit where the usual call does not reach them -- after a dictionary miss,
on a branch the usual value does not take, or as one identity comparison -- so the fast paths
stay as fast as they were.

Bodies are *bytes-like*: ``bytes``, or a ``bytearray`` or ``memoryview`` (copied into ``bytes``
once); a ``str`` is refused (which encoding it was meant to have is the caller's to say).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .errors import wrong_type

__all__ = ["BYTES_LIKE", "as_bytes", "check_flag", "check_optional_text", "check_pairs", "check_text", "wire_pairs"]

BYTES_LIKE = "bytes (or a bytearray or memoryview)"


def as_bytes(value: object, parameter: str) -> bytes:
    """*value* as ``bytes`` (a copy of a bytearray or memoryview); TypeError for anything else."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    hint = "; encode the text first" if isinstance(value, str) else ""
    raise TypeError(f"{parameter} must be {BYTES_LIKE}, not {type(value).__name__}{hint}")


def check_flag(value: object, parameter: str) -> None:
    """``True`` or ``False`` (not 1, not ``"no"``)."""
    if value is not True and value is not False:
        raise wrong_type(parameter, value, "a bool")


def check_text(value: object, parameter: str) -> None:
    if not isinstance(value, str):
        raise wrong_type(parameter, value, "a str")


def check_optional_text(value: object, parameter: str) -> None:
    if value is not None and not isinstance(value, str):
        raise wrong_type(parameter, value, "a str or None")


_VALUE = "str, int, bool, or a list or tuple of them (a comma list)"


def _wire_value(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple) and all(isinstance(v, str | int) and not isinstance(v, bool) for v in value):
        return ",".join(str(v) for v in value)
    raise TypeError


def wire_pairs(fields: object, parameter: str) -> list[tuple[str, str]]:
    """``[(name, text), ...]`` of a mapping or a sequence of ``(name, value)`` pairs whose names
    are ``str`` and values ``str``, ``int``, ``bool`` (``Y``/``N``) or a list or tuple of ``str``
    and ``int`` (a comma list); TypeError naming *parameter* (and the pair) for anything else."""
    if isinstance(fields, Mapping):
        items: Sequence[Any] = list(fields.items())
    elif isinstance(fields, Sequence) and not isinstance(fields, str | bytes | bytearray | memoryview):
        items = fields
    else:
        raise wrong_type(parameter, fields, "a mapping or a sequence of (name, value) pairs")
    pairs: list[tuple[str, str]] = []
    for i, item in enumerate(items):
        if not isinstance(item, Sequence) or isinstance(item, str | bytes | bytearray | memoryview) or len(item) != 2:
            raise TypeError(f"{parameter}: item {i} must be a (name, value) pair, not {type(item).__name__}")
        name, value = item
        if not isinstance(name, str):
            raise TypeError(f"{parameter}: the name of item {i} must be a str, not {type(name).__name__}")
        try:
            pairs.append((name, _wire_value(value)))
        except TypeError:
            raise TypeError(
                f"{parameter}: the value of item {i} must be {_VALUE}, not {type(value).__name__}"
            ) from None
    return pairs


def check_pairs(pairs: object, parameter: str) -> None:
    """A sequence of ``(name, value)`` pairs of ``str`` (what a form is written from)."""
    if not isinstance(pairs, Sequence) or isinstance(pairs, str | bytes | bytearray | memoryview):
        raise wrong_type(parameter, pairs, "a sequence of (name, value) pairs of str")
    for i, item in enumerate(pairs):
        if not isinstance(item, Sequence) or isinstance(item, bytes | bytearray | memoryview) or len(item) != 2:
            raise TypeError(f"{parameter}: item {i} must be a (name, value) pair of str, not {type(item).__name__}")
        if not isinstance(item[0], str) or not isinstance(item[1], str):
            raise TypeError(f"{parameter}: item {i} must be a (name, value) pair of str")
