"""The kit's own cost per request, and what --workers buys against a slow server (issue 14 items
1 and 2).  The server runs in a process of its own (``bench_serve.py kit``), so its CPU is not
counted.

* **Per-request overhead**: the default run of both endpoints (seed 1) in this process against the
  reference server over loopback HTTPS; the kit's CPU time (``time.process_time()``: every thread
  of this process, the workers included) from the credentials check to the last result, divided
  by the requests sent -- one check at a time and with the default workers.  The whole command
  as a user types it (``python -m conformance server --url ...``: interpreter start, imports,
  parsing, the report) is measured too, by its child-process CPU time.
* **Workers against a slow server**: the same run as a command against the server with 50 ms
  added to every answer (``asyncio.sleep`` in the app: the server answers others meanwhile),
  ``--workers 1`` and ``--workers 8``, alternating; wall-time ratio of medians.  Target: at most
  0.2.

Budget (issue 14): at most 1.5 ms of kit CPU per request.  Medians of ``COMODO_BENCH_ROUNDS``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from bench_results import VERDICT, record_line, run_timed
from bench_serve import serving

from conformance import DEFAULT_WORKERS
from conformance.checks import catalog
from conformance.context import RunContext, Target
from conformance.runner import preflight, run_checks

ROUNDS = int(os.environ.get("COMODO_BENCH_ROUNDS", "3"))
SECTION = f"kit overhead and workers, default run of both endpoints, seed 1 (medians of {ROUNDS} rounds)"
PASSWORD_ENV = "COMODO_BENCH_KIT_PASSWORD"
DELAY_MS = 50


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with serving("kit", tmp_path_factory.mktemp("bench-kit"), "0") as line:
        yield line


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with serving("kit", tmp_path_factory.mktemp("bench-slow"), str(DELAY_MS)) as line:
        yield line


def _target(server: dict[str, str]) -> Target:
    return Target(
        base_url=server["url"],
        plain_url=server["plain_url"],
        login_name=server["login_name"],
        login_password=server["password"],
        sasp_session_id=server["sasp"],
        verify=server["ca"],
        check_auth=True,
    )


def _in_process(server: dict[str, str], workers: int) -> tuple[float, float, int]:
    """(kit CPU seconds, wall seconds, requests) of one run in this process."""
    ctx = RunContext(_target(server), seed=1)
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        preflight(ctx)
        run = run_checks(ctx, list(catalog()), workers=workers)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        ctx.close()
    assert run.exit_status == 0, [r.id for r in run.failed]
    return cpu, wall, ctx.sent


def _command(server: dict[str, str], *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "conformance",
        "server",
        "--url",
        server["url"],
        "--plain-url",
        server["plain_url"],
        "--login-name",
        server["login_name"],
        "--login-password-env",
        PASSWORD_ENV,
        "--sasp-session-id",
        server["sasp"],
        "--cacert",
        server["ca"],
        "--check-auth",
        "--seed",
        "1",
        "--quiet",
        *extra,
    ]


def _as_command(server: dict[str, str], *extra: str) -> tuple[float, float, int]:
    """(CPU seconds of the whole command, wall seconds, requests)."""
    run = run_timed(_command(server, *extra), env={**os.environ, PASSWORD_ENV: server["password"]})
    found = VERDICT.search(run.done.stdout)
    assert run.done.returncode == 0 and found, run.done.stdout + run.done.stderr
    return run.cpu, run.wall, int(found["requests"])


def test_kit_cpu_per_request(benchmark: Any, server: dict[str, str]) -> None:
    rows: dict[str, list[tuple[float, float, int]]] = {"1": [], str(DEFAULT_WORKERS): [], "command": []}

    def one_round() -> None:
        rows["1"].append(_in_process(server, 1))
        rows[str(DEFAULT_WORKERS)].append(_in_process(server, DEFAULT_WORKERS))
        rows["command"].append(_as_command(server))

    benchmark.group = "kit overhead"
    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1)
    for name, runs in rows.items():
        cpu = statistics.median(r[0] for r in runs)
        wall = statistics.median(r[1] for r in runs)
        requests = runs[0][2]
        what = (
            f"the command (`python -m conformance server --url ...`, default --workers {DEFAULT_WORKERS}), "
            "start-up, imports and report included"
            if name == "command"
            else f"in-process run, --workers {name} (credentials check to last result)"
        )
        record_line(
            SECTION,
            f"{what}: {requests} requests, {cpu:.2f} s kit CPU, {wall:.2f} s wall: "
            f"{cpu / requests * 1000:.2f} ms kit CPU per request (budget 1.5)",
        )
        benchmark.extra_info[f"cpu_ms_per_request_{name}"] = cpu / requests * 1000


def test_workers_against_a_50_ms_server(benchmark: Any, slow_server: dict[str, str]) -> None:
    runs: dict[int, list[tuple[float, float, int]]] = {1: [], 8: []}

    def one_round() -> None:
        for workers in runs:
            runs[workers].append(_as_command(slow_server, "--workers", str(workers)))

    benchmark.group = "kit workers"
    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1)
    wall = {w: statistics.median(r[1] for r in rows) for w, rows in runs.items()}
    for w in runs:
        record_line(
            SECTION,
            f"{DELAY_MS} ms added to every answer, --workers {w}: {wall[w]:.1f} s wall ({runs[w][0][2]} requests)",
        )
    record_line(
        SECTION,
        f"--workers 8 / --workers 1 wall time on the {DELAY_MS} ms server: {wall[8] / wall[1]:.2f} (target 0.2)",
    )
    benchmark.extra_info["workers_8_over_1"] = wall[8] / wall[1]
