"""Never a false alarm: a server that takes a reading a note of the tables allows -- where the
note's strict and lenient readings differ and concern what a server answers -- is reported
conforming, with the note named as a note (never as a failure).

Each such server is the reference server behind the switchboard of ``tests/support/mutants.py`` with one
reading switched on (``READINGS``); the kit runs with a fixed seed over the checks that exercise it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import codec
from conformance.checks import check_by_id
from conformance.reference.serve import RunningServer
from tests.support.mutants import (
    FAULTS,
    NOTES_SHOWN,
    READINGS,
    Call,
    Switchboard,
    Variant,
    broken_server,
    killed,
    run_kit,
)

SEED = 20240601

# Notes about how a server *reads requests*: the kit only sends values that are valid under both
# readings or invalid under both (conformance.strategies), so a server decoding with the lenient
# readings (the "lenient-decoding" switch: make_app(strict=False)) answers the kit exactly as the
# strict one does, except where the kit sends login variables beside saspSessionID.
READ_BY_LENIENT_DECODING = {
    "sasp-excludes-login",
    "days-for-most-products",
    "product-list-syntax",
    "flag-lowercase",
    "country-case",
    "names-case-insensitive",
    "duplicate-names",
}


@pytest.fixture(scope="module")
def loopback() -> Iterator[tuple[RunningServer, Switchboard]]:
    with broken_server() as pair:
        yield pair


def _differing_notes() -> set[str]:
    return {note for spec in codec.ENDPOINTS.values() for note, row in spec.notes.items() if row.differs}


def _sent_by_the_letter() -> dict[str, Variant]:
    """The broken servers whose answers break a letter only a receivers' reading tolerates."""
    return {name: v for name, v in FAULTS.items() if v.note is not None}


def test_every_note_with_two_readings_has_a_server_taking_the_other_one() -> None:
    """Coverage: each note whose strict and lenient readings differ is reported by one of the
    reading servers, is one a server's answer may not take (a broken server fails it, and with
    --lenient reports it), or is about reading requests, which the lenient-decoding server covers.
    The reading servers take only readings a server may send; the broken ones only readings that
    serve receivers."""
    shown = {note for note in NOTES_SHOWN.values() if note is not None}
    letter = {v.note for v in _sent_by_the_letter().values()}
    assert _differing_notes() <= shown | letter | READ_BY_LENIENT_DECODING
    assert shown | letter <= _differing_notes()
    sides = {n: row.lenient_for for spec in codec.ENDPOINTS.values() for n, row in spec.notes.items()}
    assert {sides[n] for n in letter} == {"receivers"}
    assert all(sides[n] == "both" or n in READ_BY_LENIENT_DECODING | {"blank-value", "error-precedence"} for n in shown)


@pytest.mark.parametrize("name", sorted(READINGS))
def test_a_reading_a_note_allows_is_a_note_not_a_failure(
    loopback: tuple[RunningServer, Switchboard], name: str
) -> None:
    """The run is conforming and lists the note (a reading that leaves nothing to note lists
    none); the server really departed from the reference during the run."""
    server, board = loopback
    variant = READINGS[name]
    report = run_kit(server, board, variant, seed=SEED)
    failures = [(r.id, r.failures) for r in report.failed]
    assert report.conforming, failures
    assert any(r.status == "passed" for r in report.results)
    notes = {n.rule for r in report.results for n in r.notes}
    assert notes == ({variant.note} if variant.note else set())
    assert variant.lenient_decoding or board.departures > 0, f"{name} never changed an answer"
    # notes reach the reports: the summary counts them
    assert sum(row["notes"] for row in report.summary().values()) == sum(
        len({n.rule for n in r.notes}) for r in report.results
    )


@pytest.mark.parametrize("name", sorted(_sent_by_the_letter()))
def test_lenient_reports_a_receivers_reading_a_server_took_as_a_note(
    loopback: tuple[RunningServer, Switchboard], name: str
) -> None:
    """A server whose answers take a reading only receivers may take (errorMessage=Successful with
    errorCode=0, padded newline lines) fails by default, citing the table row and the note; with
    --lenient (for a double that imitates a vendor quirk on purpose) the same run is conforming
    and reports the note."""
    server, board = loopback
    variant = FAULTS[name]
    strict = run_kit(server, board, variant, seed=SEED)
    assert killed(variant, strict)
    assert any(variant.note in f.message for r in strict.failed for f in r.failures)
    lenient = run_kit(server, board, variant, seed=SEED, lenient=True)
    assert lenient.conforming, [(r.id, r.failures) for r in lenient.failed]
    assert {n.rule for r in lenient.results for n in r.notes} == {variant.note}


def test_the_letter_reading_of_payment_required_skips_the_click_through_it_makes_impossible(
    loopback: tuple[RunningServer, Switchboard],
) -> None:
    """A server that answers 1 without an order number (the letter of format1-status1) leaves no
    order to click through: that check is skipped with the reason, not failed."""
    server, board = loopback
    report = run_kit(server, board, READINGS["payment-required-by-the-letter"], seed=SEED)
    [click] = [r for r in report.results if check_by_id(r.id).family == "stateful"]
    assert click.status == "skipped" and "could not place a test order" in click.reason


def _long_country_accepted(call: Call, board: Switchboard) -> None:
    if len(call.get("countryName") or "") > 2:
        call.set("countryName", "GB")


def test_the_allowance_for_other_faults_is_narrow(loopback: tuple[RunningServer, Switchboard]) -> None:
    """Accepting -3 beside -17/-1 and -7 beside an over-long country (error-precedence) does not
    blunt the checks: a server that accepts an over-long country, denies a request for a missing
    login (-16), answers GET with HTTP 405 or plain HTTP with a redirect is still failed."""
    server, board = loopback
    long_country = Variant(
        "long-country-accepted",
        "a country over its limit is taken as GB",
        "over-length",
        request=_long_country_accepted,
    )
    for variant in (
        long_country,
        *(FAULTS[n] for n in ("missing-login-denied", "plain-http-redirected", "get-answered-405")),
    ):
        assert killed(variant, run_kit(server, board, variant, seed=SEED)), variant.name
