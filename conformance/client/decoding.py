"""``client --adapter``: every response variant to a decoding adapter, each answer graded.

:func:`check_decoder` sends the deterministic variants (:mod:`conformance.client.variants`) one
message each, then -- with *examples* -- as many drawn by Hypothesis for each endpoint
(:mod:`conformance.client.generated`), seeded so that a run replays; a failing drawn variant is
shrunk to the smallest that still fails (adapter timeouts and crashes are not shrunk).  Each
answer is graded by :func:`conformance.client.grading.grade`; the result is the kit's one
:class:`~conformance.results.Run`.
"""

from __future__ import annotations

import contextlib
import itertools
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from typing import IO, Any

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import errors as hypothesis_errors

import codec

from ..adapters.codec_adapter import typed_wire
from ..interpreter import kit_sources_not_local
from ..report import cut, progress_line
from ..results import CouldNotRun, DecodingExample, Finding, Result, Run
from .adapter import DEFAULT_ANSWER_TIMEOUT, DEFAULT_MAX_LINE_BYTES, Adapter, AdapterFailed, AdapterNotRunning
from .bodies import Variant
from .generated import response_variants
from .grading import Reading, grade, not_exposed, read_variant, shown_answer

__all__ = ["check_decoder"]

_PROTOCOL = "adapter.protocol"


def _expected(reading: Reading) -> dict[str, Any]:
    """What the body says, as a report shows it."""
    if reading.response is not None:
        return typed_wire(reading.response)
    return {
        "unreadable": str(reading.refusal),
        "says_for_certain": dict(reading.values),
        "carries_unreadably": sorted(reading.unreadable),
    }


class _Session:
    """One run's adapter, message numbers and what the adapter said it does not expose."""

    def __init__(self, adapter: Adapter) -> None:
        self.adapter = adapter
        self.numbers = itertools.count(1)
        self.not_exposed: set[str] = set()

    def judge(self, variant: Variant, result_id: str | None = None) -> Result:
        """Send *variant*, grade the answer: its result."""
        reading = read_variant(variant)
        answer: dict[str, Any] | None = None
        stray: tuple[str, ...] = ()
        stderr: tuple[str, ...] = ()
        findings: list[Finding] = []
        hidden: tuple[str, ...] = ()
        try:
            reply = self.adapter.ask(variant.message(next(self.numbers)))
            answer, stray = reply.answer, reply.stray
            hidden = not_exposed(answer)
            self.not_exposed.update(hidden)
            findings += grade(variant, reading, answer)
        except AdapterFailed as exc:
            findings.append(Finding("failure", _PROTOCOL, cut(str(exc))))
            stray, stderr = exc.stray, exc.stderr
        noise = [s for s in stray if s.startswith("not JSON")]
        if noise:
            findings.insert(
                0,
                Finding(
                    "failure",
                    f"{_PROTOCOL}.stdout",
                    f"wrote {len(noise)} line(s) on stdout that are no answer -- stdout belongs to the protocol, "
                    f"log to stderr: {noise[0]}",
                ),
            )
        findings += [Finding("note", f"{_PROTOCOL}.late", s) for s in stray if not s.startswith("not JSON")]
        failed = any(f.severity == "failure" for f in findings)
        return Result(
            id=result_id or variant.id,
            group=variant.endpoint,
            status="failed" if failed else "passed",
            findings=tuple(findings),
            about=variant.about + (f"; note {variant.note}" if variant.note else ""),
            example=DecodingExample(
                endpoint=variant.endpoint,
                content_type=variant.content_type,
                response_format=variant.response_format,
                body=variant.body,
                expected=_expected(reading),
                answer=shown_answer(answer),
                stray=stray,
                stderr=stderr,
            ),
            details={
                "about": variant.about,
                "note": variant.note,
                "kind": variant.kind,
                "not_judged": list(hidden),
            },
        )


class _Stop(Exception):
    """A drawn variant's answer failed: Hypothesis shrinks from here."""


def _generated(session: _Session, endpoint: str, examples: int, run_seed: int) -> Result:
    """*examples* variants of *endpoint* drawn by Hypothesis: one result, failed with the
    smallest failing variant found (its id ``ENDPOINT/generated``)."""
    failures: list[Result] = []
    notes: dict[tuple[str, str], Finding] = {}
    stopped: list[AdapterNotRunning] = []  # raised after Hypothesis is done, never shrunk
    count = 0
    kit_sources_not_local()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.generate, Phase.shrink),
        verbosity=Verbosity.quiet,
        print_blob=False,
    )
    @seed(run_seed)
    @given(response_variants(endpoint))
    def prop(variant: Variant) -> None:
        nonlocal count
        if stopped:
            return
        count += 1
        try:
            result = session.judge(variant, f"{endpoint}/generated")
        except AdapterNotRunning as exc:
            stopped.append(exc)
            return
        for n in result.notes:
            notes[(n.rule, n.message)] = n
        if result.status == "failed":
            failures.append(result)
            if any(not f.rule.startswith(_PROTOCOL) for f in result.failures):
                raise _Stop  # a wrong reading: shrink it (a timeout or a crash is not shrunk)

    with contextlib.suppress(_Stop, hypothesis_errors.FlakyFailure, hypothesis_errors.Flaky, ExceptionGroup):
        prop()
    if stopped:
        raise stopped[0]
    about = f"{count} variants drawn by Hypothesis (seed {run_seed})"
    if failures:
        last = failures[-1]
        return Result(
            id=last.id,
            group=endpoint,
            status="failed",
            findings=last.findings,
            about=f"{about}; the smallest failing: {last.about}",
            example=last.example,
            examples=count,
            details={**last.details, "seed": run_seed, "failing_variants": len(failures)},
        )
    return Result(
        id=f"{endpoint}/generated",
        group=endpoint,
        status="passed",
        findings=tuple(notes.values()),
        about=about,
        examples=count,
        details={"seed": run_seed},
    )


def check_decoder(
    command: list[str],
    chosen: list[Variant],
    *,
    timeout: float = DEFAULT_ANSWER_TIMEOUT,
    quiet: bool = False,
    out: IO[str] | None = None,
    max_line: int = DEFAULT_MAX_LINE_BYTES,
    examples: int = 0,
    run_seed: int = 0,
    endpoints: list[str] | None = None,
) -> Run:
    """``--adapter``: every variant in *chosen* to the adapter *command* (*timeout* seconds per
    answer, lines up to *max_line* bytes), then *examples* drawn variants per endpoint in
    *endpoints* (default both) with Hypothesis seed *run_seed*; a line per failing result on *out*
    unless *quiet*.  :class:`~conformance.results.CouldNotRun` when the adapter answers nothing
    (its last stderr lines follow the reason)."""
    out = out or sys.stdout
    started = time.monotonic()
    adapter = Adapter(command, timeout=timeout, max_line=max_line)
    session = _Session(adapter)
    results: list[Result] = []
    wanted = [codec.canonical_endpoint(e) for e in endpoints] if endpoints else list(codec.ENDPOINTS)
    total = len(chosen) + (len(wanted) if examples else 0)

    def runs() -> Iterator[Callable[[], Result]]:
        for variant in chosen:
            yield lambda v=variant: session.judge(v)  # type: ignore[misc]
        if examples:
            for endpoint in wanted:
                yield lambda e=endpoint: _generated(session, e, examples, run_seed)  # type: ignore[misc]

    try:
        for number, run in enumerate(runs(), 1):
            results.append(run())
            if results[-1].status == "failed" and not quiet:
                with contextlib.suppress(OSError, ValueError):
                    out.write(progress_line(results[-1], number, total, []) + "\n")
                    out.flush()
    except AdapterNotRunning as exc:
        tail = "".join(f"\n  adapter stderr| {line}" for line in exc.stderr)
        raise CouldNotRun(f"{exc}{tail}") from None
    finally:
        adapter.close()
    summary = (
        f"{shlex.join(command)} answered {adapter.answered} of {next(session.numbers) - 1} messages "
        f"(started {adapter.starts} time(s))"
    )
    if adapter.stray_lines:
        summary += f"; wrote {adapter.stray_lines} line(s) on stdout that were no answer"
    if session.not_exposed:
        summary += f"; not judged, as its API does not expose them: {', '.join(sorted(session.not_exposed))}"
    info = {
        "command": {"argv": list(command), "starts": adapter.starts, "summary": summary},
        "not_exposed": sorted(session.not_exposed),
    }
    return Run(
        mode="adapter",
        noun="variant",
        results=results,
        duration=time.monotonic() - started,
        info=info,
        seed=run_seed if examples else None,
    )
