"""The alphabet the strategies draw text from: assigned, printable characters only, of every
script family a server may meet, in few ranges (Hypothesis checks each drawn character against
the ranges one by one: conformance/strategies.py says why)."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings

from conformance.strategies import ALPHABET_RANGES, text_of_length

# what the strategies promise never to send in free text (the documents give no rule for them)
EXCLUDED = {"Cs", "Cc", "Cn", "Co", "Zl", "Zp", "Cf"}


def test_every_character_of_the_alphabet_is_assigned_and_printable() -> None:
    bad = [
        f"U+{c:04X} {unicodedata.category(chr(c))}"
        for lo, hi in ALPHABET_RANGES
        for c in range(lo, hi + 1)
        if unicodedata.category(chr(c)) in EXCLUDED
    ]
    assert bad == []


def test_the_alphabet_spans_scripts_and_planes() -> None:
    chars = "".join(chr(c) for lo, hi in ALPHABET_RANGES for c in range(lo, hi + 1))
    scripts = {
        name.split()[0]
        for name in map(unicodedata.name, chars)
        if " LETTER " in name or "IDEOGRAPH" in name or "SYLLABLE" in name
    }
    assert {"LATIN", "GREEK", "CYRILLIC", "HEBREW", "ARABIC", "DEVANAGARI", "HIRAGANA", "HANGUL", "CJK"} <= scripts
    assert any(ord(c) > 0xFFFF for c in chars)  # four UTF-8 bytes, a surrogate pair in JSON
    assert any(unicodedata.category(c) == "Mn" for c in chars)  # combining marks
    assert len(ALPHABET_RANGES) < 30


@settings(max_examples=200)
@given(text_of_length(1, 40))
def test_drawn_text_is_from_the_alphabet(text: str) -> None:
    assert text.strip() == text and text
    assert all(any(lo <= ord(c) <= hi for lo, hi in ALPHABET_RANGES) for c in text)
