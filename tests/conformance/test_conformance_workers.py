"""--workers: checks run on several threads, and the results and reports are those of a
sequential run with the same seed (issue 14 item 2).

Two runs of the whole catalog against the same broken server (one that fails some checks in
every phase: the deterministic ones, the Hypothesis properties and the state machines), one check
at a time and four at a time, compared through their JSON reports.  What differs between *any*
two runs is taken out first: timings, the order numbers the server hands out (in the order
requests reach it), and the run's random tag in foreign order numbers.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from conformance import runner
from conformance.checks import catalog
from conformance.pacing import Concurrency
from conformance.reference.serve import RunningServer, running_server
from conformance.runner import preflight, run_checks
from conformance.sinks import write_json
from tests.support.mutants import FAULTS, LOGIN_NAME, PASSWORD, SASP, Switchboard, broken_server, context_for

pytestmark = pytest.mark.network

# answers a missing variable naming the previous one: fails deterministic and Hypothesis checks
FAULT = "names-previous-variable"


@pytest.fixture(scope="module")
def loopback() -> Iterator[tuple[RunningServer, Switchboard]]:
    with broken_server() as pair:
        yield pair


def _normalised(report: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(report, sort_keys=True)
    text = re.sub(r'"(duration|elapsed)": [0-9.e-]+', r'"\1": 0', text)
    text = re.sub(r"cfk-[0-9a-f]{10}-", "cfk-TAG-", text)  # the run's random tag
    text = re.sub(r"(orderNumber=|order |Order '|orderNumber\\u003d)\d+", r"\1N", text)
    out: dict[str, Any] = json.loads(text)
    for key in ("preflight", "workers", "requests"):
        out.pop(key, None)
    return out


def _run(server: RunningServer, board: Switchboard, workers: int) -> dict[str, Any]:
    ctx = context_for(server, None, seed=11, examples=12)
    try:
        with board.switched(FAULTS[FAULT]):
            preflight(ctx)
            run = run_checks(ctx, list(catalog()), workers=workers)
    finally:
        ctx.close()
    out = io.StringIO()
    write_json(run, out)
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def test_four_workers_report_what_one_worker_reports(loopback: tuple[RunningServer, Switchboard]) -> None:
    server, board = loopback
    sequential = _run(server, board, 1)
    parallel = _run(server, board, 4)
    assert parallel["workers"] == 4 and sequential["workers"] == 1
    failed = [r["id"] for r in sequential["results"] if r["outcome"] == "failed"]
    assert len(failed) > 3, failed  # the comparison covers failing checks, their examples and findings
    assert [r["id"] for r in parallel["results"]] == [c.id for c in catalog()]
    assert _normalised(parallel) == _normalised(sequential)


def test_the_planned_count_in_help_is_the_default_runs() -> None:
    """``server --help`` states the default run's planned requests (its worst case is that times
    --timeout); the figure follows the catalog."""
    from conformance.context import Target
    from conformance.runner import planned_requests
    from conformance.server_command import _DEFAULT_PLANNED

    target = Target(
        base_url="https://h/products/",
        plain_url="http://h/products/",
        login_name="a",
        login_password="b",
        sasp_session_id="c",
        check_auth=True,
    )
    assert abs(planned_requests(catalog(), target, 100) - _DEFAULT_PLANNED) <= _DEFAULT_PLANNED * 0.05


def test_ast_parses_are_serialised_while_workers_run() -> None:
    """The workaround for CPython 3.11's shared AST depth counter: during a parallel run
    ``ast.parse`` takes a lock (and is itself again afterwards); parses on 8 threads all succeed."""
    import ast
    import concurrent.futures

    from conformance.interpreter import one_ast_parse_at_a_time

    parse = ast.parse
    source = "x = " + "(" * 80 + "1" + ")" * 80
    with one_ast_parse_at_a_time():
        assert ast.parse is not parse
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            trees = list(pool.map(lambda _: ast.parse(source), range(400)))
    assert ast.parse is parse and len(trees) == 400


class _Slow:
    """An ASGI app that answers 40 ms late (asyncio.sleep: the server answers others meanwhile)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(0.04)
        await self.app(scope, receive, send)


def test_a_slow_server_gets_several_checks_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run starts with one check and adds more while the kit waits for answers: against a
    server that takes 40 ms to answer, the deterministic checks run several at a time (and the
    results are still those of a sequential run, as above)."""
    peaks: list[int] = []

    class Recorded(Concurrency):
        def update(self) -> int:
            allowed = super().update()
            peaks.append(allowed)
            return allowed

    monkeypatch.setattr(runner, "Concurrency", Recorded)
    checks = [c for c in catalog() if c.planned(12) <= 3][:24]  # deterministic checks of a few requests
    with running_server(
        accounts=[(LOGIN_NAME, PASSWORD)],
        sasp_sessions=[(SASP, LOGIN_NAME)],
        plain_port=True,
        pbkdf2_iterations=1000,
        app_wrapper=_Slow,
    ) as server:
        ctx = context_for(server, None, seed=3, examples=12)
        try:
            preflight(ctx)
            started = time.perf_counter()
            run = run_checks(ctx, checks, workers=4)
            wall = time.perf_counter() - started
        finally:
            ctx.close()
    assert [r.id for r in run.results] == [c.id for c in checks]
    assert max(peaks) == 4
    assert wall < 0.04 * run.requests * 0.75  # sequentially: at least 40 ms a request


def test_runs_collect_garbage_less_often_and_restore_the_thresholds() -> None:
    """While runs go on (one, or several at once) the collector's first threshold is raised;
    the thresholds the process had come back when the last of them ends, even on an error."""
    import gc

    from conformance.interpreter import fewer_collections

    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold()[0] > before[0]
        with fewer_collections():
            assert gc.get_threshold()[0] > before[0]
        assert gc.get_threshold()[0] > before[0]  # the outer run still going
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("a run that fails")
    assert gc.get_threshold() == before


def test_a_process_without_the_collector_keeps_it_off() -> None:
    import gc

    from conformance.interpreter import fewer_collections

    before = gc.get_threshold()
    try:
        gc.set_threshold(0)
        with fewer_collections():
            assert gc.get_threshold()[0] == 0
        gc.set_threshold(200_000, 5, 5)
        with fewer_collections():
            assert gc.get_threshold() == (200_000, 5, 5)
    finally:
        gc.set_threshold(*before)


def test_shorter_turns_nest_and_give_the_interval_back() -> None:
    import sys

    from conformance.interpreter import shorter_turns

    before = sys.getswitchinterval()
    with shorter_turns():
        assert sys.getswitchinterval() <= 0.0005
        with shorter_turns():
            assert sys.getswitchinterval() <= 0.0005
        assert sys.getswitchinterval() <= 0.0005
    assert sys.getswitchinterval() == before
