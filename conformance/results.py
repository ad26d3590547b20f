"""The one result model: what every mode of the kit produces and every report reads.

A :class:`Result` is one judged thing -- a server check, a request a client program sent, or a
decoding adapter's answer to one response variant -- with its id, its group (the endpoint), the
table row it cites, its :class:`Finding` s, the example that shows it (an :class:`Exchange`, or a
:class:`DecodingExample` for an adapter), its duration and status.  A :class:`Run` collects the
results of one run with what the reports need besides them (the run's one secret scrubber, the
seed, the run's own failures).  Nothing here renders anything: that is :mod:`conformance.report`, the only
writer of summaries, JSON, JUnit and replay lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from .scrub import Scrubber

__all__ = [
    "CouldNotRun",
    "CredentialsRefused",
    "DecodingExample",
    "Exchange",
    "Finding",
    "Mode",
    "Result",
    "Run",
    "RunStopped",
    "Severity",
    "Status",
]

Status = Literal["passed", "failed", "skipped"]
Mode = Literal["server", "client", "adapter"]
Severity = Literal["failure", "note"]


class CouldNotRun(Exception):
    """The run could not happen at all (exit status 2): the message is the one-line reason."""


class RunStopped(BaseException):
    """The run must stop now, wherever it is (a signal, or credentials the server refused): the
    message is the one-line reason.  A BaseException, as KeyboardInterrupt is, so that nothing on
    the way -- Hypothesis above all, which would shrink a failing example by sending more requests
    -- takes it for a failure of the check that was running."""


class CredentialsRefused(RunStopped):
    """The server answered -16 to the account's own credentials: no further request may carry
    them (a second refusal may lock the account)."""


@attrs.frozen
class Finding:
    """One observation: ``failure`` (the implementation breaks a table row) or ``note`` (it takes
    a reading a note allows).  ``rule`` is the table row or note id; ``details`` what the JSON
    report adds to it (a request's fault: the vendor ``code``, the ``argument`` its message names,
    whether the vendor ``answers_first`` with it)."""

    severity: Severity
    rule: str
    message: str
    details: Mapping[str, Any] = attrs.field(factory=dict, hash=False, kw_only=True)


@attrs.frozen
class Exchange:
    """One HTTP request and what came back (or the transport error): a request the kit sent to a
    server, or one a client program sent to the checking vendor.  ``endpoint`` is None for a
    path that names none; ``response_format`` is the format the answer must use (None: either);
    ``version`` the document version the answer is judged by (None: the newest);
    ``error`` says in one line why no whole answer came (then ``body`` is what came, if any);
    ``content_encoding`` is the answer's Content-Encoding (its body left as sent)."""

    endpoint: str | None
    method: str
    url: str
    request_body: bytes
    response_format: int | None
    status: int | None = None
    content_type: str | None = None
    body: bytes | None = None
    error: str | None = None
    elapsed: float = 0.0
    request_content_type: str | None = None
    version: str | None = None
    content_encoding: str | None = None


@attrs.frozen(kw_only=True)
class DecodingExample:
    """A response variant sent to a decoding adapter, the codec's reading of it and the adapter's
    answer (None: no usable answer); ``stray`` the lines it wrote on stdout that were no answer,
    ``stderr`` the last lines of its stderr when it died on this variant."""

    endpoint: str
    content_type: str | None
    response_format: int | None
    body: bytes
    expected: Mapping[str, Any]
    answer: Mapping[str, Any] | None
    stray: tuple[str, ...] = ()
    stderr: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Result:
    """One judged thing, as every report shows it.

    ``id`` is stable (a check id ``ENDPOINT/FAMILY[/VARIABLE]``, ``request N: METHOD PATH``, or a
    variant id); ``group`` is the endpoint (a suite in JUnit, a row in the summary); ``cites`` the
    table row it enforces (checks); ``expects`` what it expects (checks); ``about`` one line shown
    after the id when it fails; ``label`` the name on its progress line (default: the id);
    ``example`` the exchange that shows it; ``examples`` how many exchanges were judged;
    ``reason`` why it was skipped; ``details`` catalog fields the JSON report adds."""

    id: str
    group: str
    status: Status
    findings: tuple[Finding, ...] = ()
    cites: str = ""
    expects: str = ""
    about: str = ""
    label: str = ""
    example: Exchange | DecodingExample | None = None
    duration: float = 0.0
    examples: int = 1
    reason: str = ""
    details: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def failures(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "failure")

    @property
    def notes(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "note")


@attrs.define
class Run:
    """The results of one run and its context.

    ``noun`` names what a result is (``check``, ``request``, ``variant``); ``run_failures`` are
    failures outside any result (no request arrived); ``info`` is the run's context for the JSON
    report (target, vendor, command...); ``requests`` how many requests the kit sent (server mode),
    ``seed`` the Hypothesis seed; ``ca_file`` the CA a replay line trusts; ``scrubber`` the run's
    one :class:`~conformance.scrub.Scrubber`, built once from every secret the run knows (what no
    report may show: ``secrets``), which every sink applies last; ``planned`` how many results the run set out to produce (None: open-ended);
    ``scope`` a restriction every verdict must state (``account-free checks only``);
    ``stopped`` why it ended before its last result, and ``interrupted`` whether that leaves it
    without a verdict (a signal, refused credentials: exit status 2) -- ``--max-failures`` does not.
    ``replay`` names the environment variables a replay line reads each secret from."""

    mode: Mode
    noun: str
    results: list[Result] = attrs.Factory(list)
    scrubber: Scrubber = attrs.field(factory=Scrubber, repr=False)
    duration: float = 0.0
    run_failures: list[str] = attrs.Factory(list)
    info: dict[str, Any] = attrs.Factory(dict)
    requests: int | None = None
    seed: int | None = None
    ca_file: str | None = None
    planned: int | None = None
    scope: str = ""
    stopped: str = ""
    interrupted: bool = False
    replay: Mapping[str, str] = attrs.field(factory=dict, repr=False)

    @property
    def secrets(self) -> list[str]:
        """What no report may show (the scrubber's secrets)."""
        return sorted(self.scrubber.secrets)

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def conforming(self) -> bool:
        return not self.run_failures and not self.failed and not self.interrupted

    @property
    def ran(self) -> int:
        """How many results were really judged (passed or failed; not skipped)."""
        return sum(r.status != "skipped" for r in self.results)

    @property
    def verdict(self) -> str:
        """``CONFORMING``, ``NOT CONFORMING``, or no verdict: ``INTERRUPTED``, or ``NOT CHECKED``
        when the run set out to judge something and judged nothing (every check skipped)."""
        if self.interrupted:
            return "INTERRUPTED"
        if self.planned is not None and self.ran == 0 and not self.run_failures:
            return "NOT CHECKED"
        return "CONFORMING" if self.conforming else "NOT CONFORMING"

    @property
    def exit_status(self) -> int:
        """0 conforming, 1 not conforming, 2 no verdict (interrupted, or nothing checked)."""
        return {"CONFORMING": 0, "NOT CONFORMING": 1}.get(self.verdict, 2)

    def summary(self) -> dict[str, dict[str, int]]:
        """Per group: passed, failed, skipped, and notes (the distinct notes of each result, summed)."""
        out: dict[str, dict[str, int]] = {}
        for r in self.results:
            row = out.setdefault(r.group, {"passed": 0, "failed": 0, "skipped": 0, "notes": 0})
            row[r.status] += 1
            row["notes"] += len({n.rule for n in r.notes})
        return out
