"""The one Hypothesis runner, for property and stateful checks alike.

A property check sends its probes from a ``@given`` test (:func:`run_property`, a batch of them
a test case), a stateful
check from a rule-based state machine (:func:`run_machine`).  Either way every probe goes through
a :class:`Recorder`, which keeps each note once and ends the example at the first failing
exchange; Hypothesis shrinks it, and :func:`_explore` -- the one place that catches what
Hypothesis raises -- turns the last (shrunk) failure into the check's
:class:`~conformance.checks.base.Outcome`.  Both run with the run's seed and example budget, no
deadline and no example database, so a run replays from its seed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import errors as hypothesis_errors
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from ..context import RunContext
from ..judge import Verdict
from ..results import Exchange, Finding
from .base import Outcome

__all__ = ["BATCH", "Recorder", "batches", "machine_requests", "run_machine", "run_property", "settings_for"]

_STATEFUL_STEPS = 6


class _Stop(Exception):
    """A probe failed: this example ends here (Hypothesis shrinks from it)."""


class Recorder:
    """What a Hypothesis check's probes found: every note (once each, after a deterministic
    *prefix*'s), how many exchanges were judged, and the failures that stopped examples."""

    def __init__(self, prefix: Outcome | None = None) -> None:
        self.failures: list[tuple[Exchange, Verdict]] = []
        self.notes: dict[tuple[str, str], Finding] = {(n.rule, n.message): n for n in prefix.notes} if prefix else {}
        self.count = prefix.examples if prefix else 0

    def record(self, exchange: Exchange, verdict: Verdict) -> Verdict:
        """Keep *verdict*'s notes; end the example if it failed."""
        self.count += 1
        for n in verdict.notes:
            self.notes[(n.rule, n.message)] = n
        if verdict.failed:
            self.failures.append((exchange, verdict))
            raise _Stop
        return verdict


def settings_for(ctx: RunContext, **extra: Any) -> settings:
    """The run's Hypothesis settings: its example budget, no deadline, no database, quiet."""
    options: dict[str, Any] = {
        "max_examples": ctx.examples,
        "deadline": None,
        "database": None,
        "suppress_health_check": list(HealthCheck),
        "phases": (Phase.explicit, Phase.generate, Phase.shrink),
        "verbosity": Verbosity.quiet,
        "print_blob": False,
    }
    options.update(extra)
    return settings(**options)


def _explore(test: Callable[[], None], recorder: Recorder) -> Outcome:
    """Run a Hypothesis *test* whose probes go through *recorder*: failed with the last (shrunk)
    failing exchange, else passed with every note.  What Hypothesis raises for a failure the
    recorder did not see (a bug in the kit) propagates."""
    try:
        test()
    except (_Stop, hypothesis_errors.FlakyFailure, hypothesis_errors.Flaky, ExceptionGroup):
        if not recorder.failures:
            raise
        exchange, verdict = recorder.failures[-1]
        return Outcome("failed", verdict.findings, exchange, examples=recorder.count)
    return Outcome("passed", tuple(recorder.notes.values()), None, examples=recorder.count)


def run_property(
    ctx: RunContext,
    strategy: st.SearchStrategy[list[Any]],
    one: Callable[[Any], tuple[Exchange, Verdict] | None],
    batch: int,
) -> Outcome:
    """A property check: *one* probes with each value of each list *strategy* draws (None:
    nothing sent), *batch* values a test case, until the run's example budget of values."""
    recorder = Recorder()

    @settings_for(ctx, max_examples=batches(ctx.examples, batch))
    @seed(ctx.seed)
    @given(strategy)
    def prop(values: list[Any]) -> None:
        for value in values:
            result = one(value)
            if result is not None:
                recorder.record(*result)

    return _explore(prop, recorder)


BATCH = 4
"""The most values a property check's test case probes with: Hypothesis' own cost per test case
(about 0.3 ms here) is paid once for them (the strategies draw a batch as one choice)."""


def batches(examples: int, batch: int) -> int:
    """Test cases a property check runs for *examples* values, *batch* a test case."""
    return max(1, -(-examples // batch))


def _machine_examples(examples: int) -> int:
    return max(2, examples // 5)


def machine_requests(examples: int) -> int:
    """The most requests a state machine sends (one per step) with the run's *examples*."""
    return _machine_examples(examples) * _STATEFUL_STEPS


def run_machine(ctx: RunContext, machine: type[RuleBasedStateMachine], recorder: Recorder) -> Outcome:
    """A stateful check: *machine* (whose rules probe through *recorder*) with the run's seed and
    a fifth of its example budget, six steps each."""

    def run() -> None:
        budget = settings_for(ctx, stateful_step_count=_STATEFUL_STEPS, max_examples=_machine_examples(ctx.examples))
        run_state_machine_as_test(seed(ctx.seed)(machine), settings=budget)

    return _explore(run, recorder)
