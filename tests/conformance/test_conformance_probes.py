"""Single-fault probes: every probe that expects one code carries exactly one fault, as the
reference server (behind the recording switchboard of ``tests/support/mutants.py``) receives it.

The GET and plain-HTTP probes are complete valid requests apart from their method or scheme (so a
server that acts on them fails), except that the password never goes over plain HTTP to a host
that is not loopback; an absent variable and an empty one are separate probes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import codec
from conformance.reference.serve import RunningServer
from tests.support.mutants import PASSWORD, Seen, Switchboard, Variant, broken_server, run_kit

SEED = 20240601


@pytest.fixture(scope="module")
def loopback() -> Iterator[tuple[RunningServer, Switchboard]]:
    with broken_server() as pair:
        yield pair


def _seen(loopback: tuple[RunningServer, Switchboard], only: str, variant: Variant | None = None) -> list[Seen]:
    server, board = loopback
    board.seen.clear()
    variant = variant or Variant("recording", "the reference server, recording", only=(only,))
    report = run_kit(server, board, variant, seed=SEED)
    assert report.conforming, [(r.id, r.failures) for r in report.failed]
    assert all(r.status == "passed" for r in report.results)
    return list(board.seen)


def _valid_as_post(seen: Seen) -> bool:
    """The request would be accepted if it were a POST over HTTPS (strictly): its one fault is
    how it arrived."""
    body = codec.encode_form(list(seen.pairs or ()))
    try:
        codec.decode_request(seen.endpoint, body, method="POST", scheme="https", strict=True)
    except codec.RequestRejected:
        return False
    return True


def test_the_get_probe_is_a_complete_valid_request_in_the_query_string(
    loopback: tuple[RunningServer, Switchboard],
) -> None:
    gets = [s for s in _seen(loopback, "*/method/*") if s.method == "GET"]
    assert {s.endpoint for s in gets} == set(codec.ENDPOINTS)
    assert all(_valid_as_post(s) and s.get("loginPassword") == PASSWORD for s in gets)
    assert all((s.get("test") or "Y") == "Y" for s in gets)


def test_the_plain_http_probe_to_loopback_is_a_complete_valid_request(
    loopback: tuple[RunningServer, Switchboard],
) -> None:
    plain = [s for s in _seen(loopback, "*/https/*") if s.scheme == "http"]
    assert {s.endpoint for s in plain} == set(codec.ENDPOINTS)
    assert all(_valid_as_post(s) for s in plain)


def test_the_password_never_goes_over_plain_http_to_another_host(loopback: tuple[RunningServer, Switchboard]) -> None:
    """A plain URL whose host is not loopback (routed to the test server): the probe carries no
    credentials at all, and the server's -1 passes."""
    elsewhere = Variant("elsewhere", "plain URL on another host", only=("*/https/*",), plain_elsewhere=True)
    plain = [s for s in _seen(loopback, "", elsewhere) if s.scheme == "http"]
    assert {s.endpoint for s in plain} == set(codec.ENDPOINTS)
    for s in plain:
        assert not any(s.get(n) for n in ("loginName", "loginPassword", "saspSessionID")), s


def test_absent_and_empty_are_separate_probes(loopback: tuple[RunningServer, Switchboard]) -> None:
    """missing/postalCode sends no postalCode pair at all; blank/postalCode sends postalCode= and
    nothing else wrong."""
    missing = _seen(loopback, "AutoApplyIdA/missing/postalCode")
    assert [s.get("postalCode") for s in missing] == [None]
    blank = _seen(loopback, "AutoApplyIdA/blank/postalCode")
    assert [s.get("postalCode") for s in blank] == [""]
    [seen] = blank
    filled = Seen(seen.endpoint, "POST", "https", tuple((k, v or "LS1 1AA") for k, v in seen.pairs or ()))
    assert _valid_as_post(filled)
