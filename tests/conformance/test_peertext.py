"""Peer text made safe to show (conformance/peertext.py): terminal control characters escaped,
every string XML 1.0-safe (JUnit always parses), long strings cut with a marker, secrets scrubbed
before the cut."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.peertext import DEFAULT_PEER_LIMIT, cut, peer_text, printable, xml_safe
from conformance.scrub import REDACTED, Scrubber


def _round_trip(text: str) -> str:
    """*text* written as an XML attribute and as element text, parsed back (raises if it cannot)."""
    element = ET.Element("case", message=text)
    element.text = text
    parsed = ET.fromstring(ET.tostring(element, encoding="unicode"))
    assert parsed.get("message") is not None
    return parsed.text or ""


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2J\x1b]0;owned\x07", "\\x1b[2J\\x1b]0;owned\\x07"),  # clear screen, window title, bell
        ("ok\x1b[8mhidden", "ok\\x1b[8mhidden"),  # ESC[8m hides what follows
        ("\x9b31m", "\\x9b31m"),  # the one-byte C1 CSI
        ("FAIL\rok  ", "FAIL\\rok  "),  # a carriage return overwrites the line
        ("nul\x00del\x7f", "nul\\x00del\\x7f"),
        ("abc\u202edcba", "abc\\u202edcba"),  # right-to-left override
        ("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"),
        ("line\u2028sep", "line\\u2028sep"),
        ("lone\ud800surrogate", "lone\\ud800surrogate"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("tab\tstays", "tab\tstays"),
        ("naïve café 😀", "naïve café 😀"),
    ],
)
def test_control_characters_are_shown_escaped(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def test_newlines_are_escaped_in_a_line_and_kept_in_a_block() -> None:
    assert printable("a\nb") == "a\\nb"  # a peer cannot forge a progress line
    assert printable("a\nb\r\n", keep_newlines=True) == "a\nb\\r\n"


def test_every_code_point_is_xml_safe_after_either_function() -> None:
    everything = "".join(map(chr, range(0x10000))) + "\U0001f600\U000e0001\U0010ffff"
    for safe in (xml_safe(everything), printable(everything, keep_newlines=True)):
        _round_trip(safe)


@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF)))
def test_any_string_parses_back_from_junit_after_xml_safe(text: str) -> None:
    back = _round_trip(xml_safe(text))
    # XML parsers turn CR and CRLF into LF; everything else comes back as written
    assert back == xml_safe(text).replace("\r\n", "\n").replace("\r", "\n")


def test_xml_safe_keeps_what_xml_can_hold() -> None:
    assert xml_safe('a<b & "c"\t\n\r é \U0001f600') == 'a<b & "c"\t\n\r é \U0001f600'
    assert xml_safe("\x00\x0b\ufffe") == "\\x00\\x0b\\ufffe"


def test_long_strings_are_cut_with_a_marker() -> None:
    assert cut("x" * 10, 10) == "x" * 10
    assert cut("x" * 5_000_000, 100) == "x" * 100 + "… [cut: 4999900 more characters]"
    assert cut("abc", -1) == "… [cut: 3 more characters]"
    assert len(peer_text("y" * 5_000_000)) < DEFAULT_PEER_LIMIT + 50


def test_peer_text_scrubs_before_it_cuts_and_escapes_after() -> None:
    secret = "s3cr3t-&-pass"
    message = "x" * 95 + secret + "\x1b[2J"  # the cut at 100 would split the secret
    shown = peer_text(message, limit=100, scrubber=Scrubber([secret]))
    assert "s3cr" not in shown and shown.startswith("x" * 95 + REDACTED[:5])
    assert "\x1b" not in peer_text(message.encode() + b"\xff\x1b", scrubber=Scrubber([secret]))
    assert peer_text(b"bad \xff byte") == "bad \\xff byte"
