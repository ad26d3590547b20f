"""Free text as the strategies draw it: the alphabet, text of any length and at a limit, e-mail
addresses and telephone numbers (:mod:`conformance.strategies` builds requests from them).

Every value is *decoded from a tape*: bytes that one Hypothesis draw gives (:func:`tape_integers`,
:func:`tape_bytes`).  Hypothesis' cost is per choice it records, and a drawn string records two
for every character (whether to go on, and which character; a replayed one is checked against the
alphabet, character by character), so an AutoApplyIdA request drawn as strings cost 5 ms, then
1.3 ms drawn flat.  Decoded from one tape -- a request is one choice -- it costs a few tenths of
a millisecond (tests/bench/RESULTS.md).  Each decoder (:class:`FreeText`, :class:`EmailAddress`,
:class:`PhoneNumber`) says how many bytes it reads (``size``) and makes its value from them
(``decode``); :mod:`conformance.strategies` lays a whole request's decoders out on one tape, and
:func:`decoded` makes any one of them a strategy of its own.

Tapes shrink towards zero bytes, so a failing example shrinks towards the shortest values made of
each alphabet's first characters.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import attrs
from hypothesis import strategies as st

__all__ = [
    "ALPHABET_RANGES",
    "Decoder",
    "EmailAddress",
    "FreeText",
    "PhoneNumber",
    "decoded",
    "email_addresses",
    "phone_numbers",
    "tape_bytes",
    "tape_integers",
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
# checks every one against unicodedata).  Half the characters drawn are printable ASCII; the other
# half come from the other ranges in turn, so every script family is met in every run.
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
_ASCII = "".join(chr(c) for c in range(ALPHABET_RANGES[0][0], ALPHABET_RANGES[0][1] + 1))
_OTHERS = tuple("".join(chr(c) for c in range(lo, hi + 1)) for lo, hi in ALPHABET_RANGES[1:])


def _chars(tape: bytes) -> str:
    """The characters a tape's byte pairs give: printable ASCII below 0x8000, else the other
    ranges in turn (each of up to 512 characters, so every one can be drawn)."""
    out = []
    for high, low in zip(tape[::2], tape[1::2], strict=True):
        number = high << 8 | low
        if number < 0x8000:
            out.append(_ASCII[number % len(_ASCII)])
        else:
            number -= 0x8000
            chars = _OTHERS[number % len(_OTHERS)]
            out.append(chars[number // len(_OTHERS) % len(chars)])
    return "".join(out)


def _unblank_edges(text: str) -> str:
    """*text* with a space at either end replaced by ``_`` (the alphabet's only white space), so
    it is its own strip and never blank, at the length it was drawn: no draw is thrown away."""
    if text[:1] == " ":
        text = "_" + text[1:]
    if text[-1:] == " ":
        text = text[:-1] + "_"
    return text


# A value longer than this repeats a drawn stem of this many characters up to its length: the
# limit is what a long value tests, and the stem keeps every kind of character the alphabet has.
_STEM = 16


@attrs.frozen
class FreeText:
    """Unicode text of *min_size*..*max_size* characters (not bytes), exactly *max_size* when
    *at_limit*; never blank, no space at either end.  *min_size* is at least 1.

    Tape: two bytes of length (below 192 in the first: 1 to 16 characters, three times in four;
    else any length up to the limit), then two bytes a character of the stem."""

    min_size: int
    max_size: int
    at_limit: bool = False
    size = 2 + 2 * _STEM

    def decode(self, tape: bytes) -> str:
        span = self.max_size - self.min_size + 1
        if self.at_limit:
            length = self.max_size
        elif tape[0] < 192:
            length = self.min_size + tape[1] % min(span, _STEM)
        else:
            length = self.min_size + ((tape[0] & 63) << 8 | tape[1]) % span
        stem = _chars(tape[2 : 2 + 2 * min(length, _STEM)])
        return _unblank_edges((stem * (length // len(stem) + 1))[:length])


_EMAIL_LOCAL = "abcdefghijklmnopqrstuvwxyz0123456789._-"
_EMAIL_DOMAIN = "abcdefghijklmnopqrstuvwxyz0123456789"
_EMAIL_TAIL = ".example"
_EMAIL_PART = 20  # the most characters of a local part, and of a domain label


def _email(local: str, domain: str) -> str:
    if not local[0].isalnum():
        local = "a" + local[1:]
    return f"{local}@{domain}{_EMAIL_TAIL}"


def _pick(alphabet: str, tape: bytes) -> str:
    return "".join(alphabet[b * len(alphabet) >> 8] for b in tape)


@attrs.frozen
class EmailAddress:
    """Plausible e-mail addresses within *max_size* characters (the documents give no syntax,
    but a vendor is likely to check one; see note ``email-none``): a local part of up to 20
    characters starting with a letter or digit, ``@``, a domain label of up to 20, ``.example``;
    the parts are sized to fit *max_size*.  One value in four is one of *special* (words the
    table allows in place of an address), when there are any.

    Tape: a byte choosing a special word, a byte each of length, 20 bytes of local part, 20 of
    domain."""

    max_size: int | None
    special: tuple[str, ...] = ()
    size = 3 + 2 * _EMAIL_PART

    @property
    def most(self) -> int:
        """The longest each part may be (below 1: no address fits)."""
        if self.max_size is None:
            return _EMAIL_PART
        return min(_EMAIL_PART, (self.max_size - len(_EMAIL_TAIL) - 1) // 2)

    def decode(self, tape: bytes) -> str:
        if self.special and (tape[0] < 64 or self.most < 1):
            return self.special[tape[1] % len(self.special)]
        local = _pick(_EMAIL_LOCAL, tape[3 : 3 + 1 + tape[1] % self.most])
        domain = _pick(_EMAIL_DOMAIN, tape[3 + _EMAIL_PART : 3 + _EMAIL_PART + 1 + tape[2] % self.most])
        return _email(local, domain)


@attrs.frozen
class PhoneNumber:
    """Telephone numbers: an optional ``+`` and 6 to 15 digits, within *max_size* characters.

    Tape: a byte for the ``+`` and the length, then a byte a digit."""

    max_size: int | None
    size = 2 + 15

    def decode(self, tape: bytes) -> str:
        longest = 15 if self.max_size is None else min(15, self.max_size)
        shortest = min(6, longest)
        digits = _pick("0123456789", tape[2 : 2 + shortest + tape[1] % (longest - shortest + 1)])
        return "+" + digits[: longest - 1] if tape[0] & 1 else digits


Decoder = FreeText | EmailAddress | PhoneNumber
"""A value made from *size* bytes of a tape."""

# Hypothesis draws an integer whose range is beyond a float's (2**1024) uniformly, in one choice;
# below that its distribution favours small numbers, which would leave the later bytes zero
# (tests/conformance/test_strategies.py counts every optional variable and every limit).
_UNIFORM_BYTES = 129


@functools.cache
def tape_integers(size: int) -> st.SearchStrategy[int]:
    """The one draw a tape of *size* bytes is made from (see :func:`tape_bytes`)."""
    return st.integers(min_value=0, max_value=(1 << 8 * max(size, _UNIFORM_BYTES)) - 1)


def tape_bytes(number: int, size: int) -> bytes:
    """The tape *number* (drawn from ``tape_integers(size)``) gives: its most significant bytes
    first, so shrinking the number clears the first bytes first."""
    return number.to_bytes(max(size, _UNIFORM_BYTES), "big")


def _decode_with(decoder: Decoder) -> Callable[[int], str]:
    def decode(number: int) -> str:
        return decoder.decode(tape_bytes(number, decoder.size))

    return decode


def decoded(decoder: Decoder) -> st.SearchStrategy[str]:
    """*decoder*'s values, as a strategy of their own."""
    return tape_integers(decoder.size).map(_decode_with(decoder))


def text_of_length(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """Unicode text of *min_size*..*max_size* characters (not bytes), not blank and with no space
    at either end (one over 16 characters repeats a drawn 16-character stem)."""
    return decoded(FreeText(max(min_size, 1), max_size))


def text_at_limit(limit: int) -> st.SearchStrategy[str]:
    """Unicode text of exactly *limit* characters (not bytes): a drawn stem of up to 16 characters
    repeated to the limit, not blank and with no space at either end."""
    return decoded(FreeText(1, limit, at_limit=True))


def email_addresses(max_size: int | None) -> st.SearchStrategy[str]:
    """Plausible e-mail addresses within *max_size* characters (:class:`EmailAddress`); none
    when not even ``a@b.example`` fits."""
    decoder = EmailAddress(max_size)
    return st.nothing() if decoder.most < 1 else decoded(decoder)


def phone_numbers(max_size: int | None) -> st.SearchStrategy[str]:
    """Telephone numbers: an optional ``+`` and 6 to 15 digits, within *max_size* characters
    (:class:`PhoneNumber`)."""
    return decoded(PhoneNumber(max_size))
