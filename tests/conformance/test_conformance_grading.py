"""The kit's one grading rule: strict about what a sender sends, every allowed reading in what a
receiver accepts (``conformance.judge.grade``), applied alike to a server's answers (server mode)
and to a client's requests (client mode)."""

from __future__ import annotations

import itertools
import re

import pytest

import codec
from conformance.client.judging import judge_client_request
from conformance.judge import RECEIVER, SENDER, Expectation, Side, grade, judge_response
from conformance.results import Exchange
from tests.support.server import order

AUTO = codec.AUTO_APPLY_IDA
NOTES = {n.id: n for spec in codec.ENDPOINTS.values() for n in spec.notes.values()}


@pytest.mark.parametrize(("side", "lenient"), list(itertools.product((SENDER, RECEIVER), (False, True))), ids=str)
def test_grade_by_whom_the_lenient_reading_serves(side: Side, lenient: bool) -> None:
    """``receivers``: a note for a receiver, a failure for a sender unless --lenient; ``both``: a
    note; ``none`` (or no note at all): a failure, --lenient or not."""
    for note in NOTES.values():
        expected = {
            "receivers": "note" if side == RECEIVER or lenient else "failure",
            "both": "note",
            "none": "failure",
        }[note.lenient_for]
        assert grade(note, side, lenient=lenient) == expected, note.id
    assert grade(None, side, lenient=lenient) == "failure"


def _answer(body: bytes, content_type: str, fmt: int) -> Exchange:
    url = f"https://127.0.0.1/products/!{AUTO}"
    return Exchange(AUTO, "POST", url, b"", fmt, status=200, content_type=content_type, body=body)


OK1 = b"errorCode=0&errorMessage=Successful&orderNumber=12&totalCost=9.50&expectedDeliveryTime=1"
SUCCESS = Expectation(codes=frozenset({0, 1}), row=f"{AUTO}.request")


def test_a_server_sending_what_only_a_decoder_may_tolerate_fails_citing_the_row_and_the_note() -> None:
    """errorMessage with errorCode=0 ('This parameter is not present when errorCode=0'): a server
    sent it, so it fails, naming the parameter's row (cited to its document line) and the note;
    with --lenient it is the note."""
    from conformance.judge import cite_rule

    exchange = _answer(OK1, "application/x-www-form-urlencoded", 1)
    verdict = judge_response(exchange, SUCCESS)
    [failure] = [f for f in verdict.findings if f.severity == "failure"]
    assert failure.rule == f"{AUTO}.responses.parameters.errorMessage"
    assert "format1-success-message" in failure.message and "--lenient" in failure.message
    line = codec.endpoint_spec(AUTO).params_by_key["errormessage"].source_line
    assert cite_rule(failure.rule) == f"{codec.endpoint_spec(AUTO).source} line {line} (errorMessage)"
    lenient = judge_response(exchange, SUCCESS, lenient=True)
    assert not lenient.failed and [n.rule for n in lenient.notes] == ["format1-success-message"]


@pytest.mark.parametrize(
    ("body", "note", "fails"),
    [
        (b"0\r\n12\r\n9.50\r\n1\r\n", "format0-line-ending", False),  # the document is silent: both
        (b"0\n12\n9.50\n1\n\n\n", "format0-padding", True),  # a line is the value itself
        (b"0\n 12 \n9.50\n1\n", "format0-padding", True),
        (b"0\n12\n9.50\n0\n", "expected-delivery-values", False),  # the two formats disagree: both
    ],
)
def test_newline_answers_are_graded_by_the_note_they_take(body: bytes, note: str, fails: bool) -> None:
    verdict = judge_response(_answer(body, "text/plain; charset=utf-8", 0), SUCCESS)
    assert verdict.failed == fails
    if fails:
        assert [f.rule for f in verdict.findings] == [f"{AUTO}.responses.formats.0.lines"]
    else:
        assert [n.rule for n in verdict.notes] == [note]


def test_which_code_a_request_earns_is_graded_as_received() -> None:
    """-4 for a blank required variable: the server read the request (a receiver): a note."""
    body = b"-4\nThe value of the 'postalCode' argument is invalid!\n"
    expect = Expectation(
        codes=frozenset({-3}), row=f"{AUTO}.request.postalCode", argument="postalCode", note=codec.NoteId.BLANK_VALUE
    )
    verdict = judge_response(_answer(body, "text/plain", 0), expect)
    assert not verdict.failed and [n.rule for n in verdict.notes] == ["blank-value"]


def test_client_mode_grades_a_request_by_the_same_rule() -> None:
    """A client sending saspSessionID beside loginName (note sasp-excludes-login serves receivers)
    fails; with --lenient it is the note -- what grade() says for a sender."""
    pairs = [("saspSessionID", "0123456789abcdef"), *order(loginPassword=None).items()]
    body = codec.encode_request_fields(AUTO, pairs, validate=False).body
    path, ctype = f"/products/!{AUTO}", "application/x-www-form-urlencoded"
    _, strict = judge_client_request(path, method="POST", scheme="https", content_type=ctype, body=body)
    assert grade(NOTES[codec.NoteId.SASP_EXCLUDES_LOGIN], SENDER) == "failure"
    assert [f.severity for f in strict] == ["failure"] and "sasp-excludes-login" in strict[0].message
    _, lenient = judge_client_request(path, method="POST", scheme="https", content_type=ctype, body=body, lenient=True)
    assert [f for f in lenient if f.severity == "failure"] == []
    assert "sasp-excludes-login" in {f.rule for f in lenient}


def test_the_readme_lists_whom_each_notes_lenient_reading_serves() -> None:
    """README's grading principle names every note that serves receivers only, and every one that
    serves both sides, from the tables (so it cannot drift from spec/readings.toml)."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = text.split("<!-- receivers-only notes -->", 1)[1].split("\n\n", 1)[0]
    receivers, both = section.split("\n- lenient for both", 1)
    listed = {
        side: {w for w in re.findall(r"`([a-z0-9-]+)`", part) if w in NOTES}
        for side, part in (("receivers", receivers), ("both", both))
    }
    for side in ("receivers", "both"):
        assert listed[side] == {n for n, note in NOTES.items() if note.lenient_for == side}, side
