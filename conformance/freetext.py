"""Free text as the strategies draw it: the alphabet, text of any length and at a limit, e-mail
addresses and telephone numbers (:mod:`conformance.strategies` builds requests from them).

Each comes as a :class:`Drawn`: what Hypothesis draws and the function that makes it a wire value,
so a strategy that draws many values can call the functions itself instead of paying Hypothesis
for a ``.map`` per value.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import attrs
from hypothesis import strategies as st

__all__ = [
    "ALPHABET_RANGES",
    "Drawn",
    "any_length",
    "at_limit",
    "email_addresses",
    "phone_numbers",
    "text_at_limit",
    "text_of_length",
]

# Printable text: no surrogates, no control characters, nothing unassigned, private or invisible
# (the documents give no rule for them, so a server refusing them is not at fault), not blank
# after stripping (blank counts as absent).  The alphabet is whole blocks of every script family a
# server may meet -- ASCII, Latin, combining marks, Greek, Cyrillic, Hebrew and Arabic
# (right-to-left), Devanagari, kana, CJK, Hangul, symbols, full-width forms, and characters beyond
# the BMP (emoji, CJK extension B, mathematical letters: surrogate pairs in JSON, four UTF-8
# bytes) -- each a range of assigned characters (tests/conformance/test_strategies_alphabet.py
# checks every one against unicodedata).  A few ranges rather than all of Unicode's 700 runs of
# assigned characters: Hypothesis checks each drawn character against the ranges one by one, and
# with 700 that was a quarter of a whole run's time.
ALPHABET_RANGES: tuple[tuple[int, int], ...] = (
    (0x20, 0x7E),  # ASCII
    (0xA1, 0xAC),  # Latin-1 (without the soft hyphen, an invisible format character)
    (0xAE, 0x24F),  # Latin-1, Latin Extended-A and -B
    (0x300, 0x36F),  # combining diacritical marks
    (0x391, 0x3A1),  # Greek
    (0x3A3, 0x3FF),
    (0x400, 0x52F),  # Cyrillic
    (0x5D0, 0x5EA),  # Hebrew
    (0x620, 0x64A),  # Arabic
    (0x904, 0x939),  # Devanagari
    (0x2010, 0x2027),  # punctuation (dashes, quotes, bullets, ellipsis)
    (0x2030, 0x205E),
    (0x20A0, 0x20BF),  # currency signs
    (0x2190, 0x21FF),  # arrows
    (0x2500, 0x257F),  # box drawing
    (0x3041, 0x3096),  # hiragana
    (0x4E00, 0x4FFF),  # CJK unified ideographs (the first 512)
    (0xAC00, 0xADFF),  # Hangul syllables (the first 512)
    (0xFF01, 0xFF5E),  # full-width forms
    (0x1D400, 0x1D454),  # mathematical letters (beyond the BMP)
    (0x1F600, 0x1F64F),  # emoticons
    (0x20000, 0x200FF),  # CJK extension B
)
_CHARS = st.characters(
    codec=None,
    categories=(),
    include_characters="".join(chr(c) for lo, hi in ALPHABET_RANGES for c in range(lo, hi + 1)),
)


def _unblank_edges(text: str) -> str:
    """*text* with a space at either end replaced by ``_`` (the alphabet's only white space), so
    it is its own strip and never blank, at the length it was drawn: no draw is thrown away."""
    if text[:1] == " ":
        text = "_" + text[1:]
    if text[-1:] == " ":
        text = text[:-1] + "_"
    return text


def same(value: str) -> str:
    return value


@attrs.frozen
class Drawn:
    """Values as Hypothesis draws them (``raw``) and the function that makes each a wire value
    (``finish``).  :func:`valid_wire` draws ``raw`` and calls ``finish`` itself: a ``.map`` is a
    draw of its own, and Hypothesis' cost is per draw."""

    raw: st.SearchStrategy[Any]
    finish: Callable[[Any], str] = same

    def strategy(self) -> st.SearchStrategy[str]:
        """The finished values, as one strategy."""
        return self.raw if self.finish is same else self.raw.map(self.finish)


def any_length(min_size: int, max_size: int) -> Drawn:
    return Drawn(st.text(_CHARS, min_size=max(min_size, 1), max_size=max_size), _unblank_edges)


def text_of_length(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """Unicode text of *min_size*..*max_size* characters (not bytes), not blank and with no space
    at either end."""
    return any_length(min_size, max_size).strategy()


# An at-limit value repeats a short drawn stem up to the limit: Hypothesis pays for each character
# it draws (a 512-character value cost as much as the rest of a request), and the limit is what
# such a value tests.  The stem keeps every kind of character the alphabet has.
_STEM = 16


def _stretch_to(limit: int, stem: str) -> str:
    return _unblank_edges((stem * (limit // len(stem) + 1))[:limit])


def at_limit(limit: int) -> Drawn:
    return Drawn(st.text(_CHARS, min_size=1, max_size=min(limit, _STEM)), functools.partial(_stretch_to, limit))


def text_at_limit(limit: int) -> st.SearchStrategy[str]:
    """Unicode text of exactly *limit* characters (not bytes): a drawn stem of up to 16 characters
    repeated to the limit, not blank and with no space at either end."""
    return at_limit(limit).strategy()


_EMAIL_LOCAL = "abcdefghijklmnopqrstuvwxyz0123456789._-"
_EMAIL_DOMAIN = "abcdefghijklmnopqrstuvwxyz0123456789"
_EMAIL_TAIL = ".example"


def _email(local: str, domain: str) -> str:
    if not local[0].isalnum():
        local = "a" + local[1:]
    return f"{local}@{domain}{_EMAIL_TAIL}"


def email_addresses(max_size: int | None) -> st.SearchStrategy[str]:
    """Plausible e-mail addresses within *max_size* characters (the documents give no syntax,
    but a vendor is likely to check one; see note ``email-none``): a local part of up to 20
    characters starting with a letter or digit, ``@``, a domain label of up to 20, ``.example``.
    The parts are sized to fit *max_size*, so no draw is thrown away."""
    most = 20 if max_size is None else min(20, (max_size - len(_EMAIL_TAIL) - 1) // 2)
    if most < 1:
        return st.nothing()
    local = st.text(_EMAIL_LOCAL, min_size=1, max_size=most)
    return st.builds(_email, local, st.text(_EMAIL_DOMAIN, min_size=1, max_size=most))


def _phone_number(longest: int, plus: bool, digits: str) -> str:
    return "+" + digits[: longest - 1] if plus else digits


def phone_numbers(max_size: int | None) -> st.SearchStrategy[str]:
    """Telephone numbers: an optional ``+`` and 6 to 15 digits, within *max_size* characters.

    Built from two flat draws, not ``st.from_regex`` (a regular expression's character classes
    make Hypothesis build its table of every code point's UTF-8 encoding the first time a process
    meets one, about 2 s of CPU in a folder without a ``.hypothesis`` cache) nor a ``flatmap``
    (which builds a new strategy for every example)."""
    longest = 15 if max_size is None else min(15, max_size)
    digits = st.text("0123456789", min_size=min(6, longest), max_size=longest)
    return st.builds(functools.partial(_phone_number, longest), st.booleans(), digits)
