"""The kit proves its checks can fail: against deliberately broken servers (one fault each, at
least one for every family of checks and for the response rules) it reports a failure in the
family the fault targets, and against the unbroken reference server it reports none.

Each broken server is the reference server on loopback HTTPS behind the switchboard of
``tests/support/mutants.py`` with one switch on; the kit runs with a fixed seed over the checks of the
fault's family (``runner.run_checks``, as the CLI does).  ``python tests/support/mutants.py`` prints the
same kill table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from conformance.checks import FAMILIES, catalog, check_by_id
from conformance.reference.serve import RunningServer
from conformance.results import Exchange, Run
from tests.support.mutants import (
    FAULTS,
    KILLED_BY,
    Switchboard,
    broken_server,
    caught_by,
    failing_rules,
    killed,
    run_kit,
)

SEED = 20240601

_REPORTS: dict[str, Run] = {}

# what the failing example of a Hypothesis check must show: the server built from document 1.04
# fails on a request naming an ida* variable; the one skipping value checks for SASP sessions, on a
# SASP request
SHOWN: dict[str, Callable[[bytes], bool]] = {
    "newer-variables-unknown": lambda body: b"ida" in body,
    "sasp-requests-unvalidated": lambda body: b"saspSessionID=" in body and b"loginName" not in body,
}


@pytest.fixture(scope="module")
def loopback() -> Iterator[tuple[RunningServer, Switchboard]]:
    with broken_server() as pair:
        yield pair


def _report(loopback: tuple[RunningServer, Switchboard], name: str) -> Run:
    """The kit's report on mutant *name* (run once per test process)."""
    if name not in _REPORTS:
        server, board = loopback
        _REPORTS[name] = run_kit(server, board, FAULTS[name], seed=SEED)
        assert board.departures > 0, f"{name} never changed an exchange: it proves nothing"
    return _REPORTS[name]


def test_every_check_family_has_a_mutant() -> None:
    """The coverage map: each family of the catalog is the target of at least one mutant, and
    every mutant targets a family the catalog has."""
    assert set(KILLED_BY.values()) == set(FAMILIES)
    assert {c.family for c in catalog()} == set(FAMILIES)


def test_the_reference_server_passes_every_check(loopback: tuple[RunningServer, Switchboard]) -> None:
    """The unbroken reference server (all switches off) passes every check: none fails, none is
    skipped (HTTPS, a plain port, a login, a SASP session and --check-auth are all available) and
    none needs a note (the reference takes the readings the notes describe)."""
    server, board = loopback
    report = run_kit(server, board, None, seed=SEED)
    assert report.conforming, [(r.id, r.findings) for r in report.failed]
    assert [r.status for r in report.results] == ["passed"] * len(catalog())
    assert all(not r.notes for r in report.results)
    assert board.departures == 0


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_the_kit_fails_the_mutant_in_its_family(loopback: tuple[RunningServer, Switchboard], name: str) -> None:
    """The run is not conforming, a check of the mutant's family fails (naming the response rule
    the mutant breaks, for those that have one), and every failure carries the exchange to replay
    -- for the Hypothesis checks, the failing example itself (``SHOWN``)."""
    variant = FAULTS[name]
    report = _report(loopback, name)
    assert not report.conforming
    rules = failing_rules(report, variant.family)
    assert rules, f"{name}: no {variant.family} check failed; failures: {failing_rules(report)}"
    if variant.rule is not None:
        assert any(variant.rule in rule for rule in rules), f"{name}: {variant.rule!r} not among {rules}"
    for result in report.failed:
        assert isinstance(result.example, Exchange) and result.example.body is not None
    if name in SHOWN:
        [example] = [r.example for r in report.failed if check_by_id(r.id).family == variant.family]
        assert isinstance(example, Exchange) and SHOWN[name](example.request_body), example


def test_kill_count(loopback: tuple[RunningServer, Switchboard], record_property: pytest.RecordProperty) -> None:
    """Every mutant is killed: the kill count is total/total (printed, and recorded in JUnit)."""
    survivors = [name for name, variant in FAULTS.items() if not killed(variant, _report(loopback, name))]
    count = f"{len(FAULTS) - len(survivors)}/{len(FAULTS)}"
    record_property("kill_count", count)
    for name, variant in FAULTS.items():  # which check caught each (shown with -rP)
        print(f"{name}: caught by {', '.join(caught_by(variant, _report(loopback, name))[:3]) or 'nothing'}")
    print(f"kill count: {count}")
    assert not survivors, f"kill count {count}; survived: {survivors}"
