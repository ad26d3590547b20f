"""Conformance throughput: checks per second against the reference server in-process (its ASGI
app behind the kit's in-process transport, no sockets), and the full default run of both endpoints over
loopback HTTPS as a user types it (``python -m conformance server --seed 1``), target under 20 s.
"""

from __future__ import annotations

import os
import secrets
import statistics
import subprocess
import sys
import time
from typing import Any

from bench_results import VERDICT, record_line

from conformance.context import RunContext, Target
from conformance.http import ASGITransport
from conformance.reference.app import make_app
from conformance.reference.serve import seed_store
from conformance.reference.store import Store
from conformance.runner import run_checks, select_checks

ROUNDS = int(os.environ.get("COMODO_BENCH_ROUNDS", "3"))
SECTION = f"conformance, default catalog of both endpoints, seed 1 (medians of {ROUNDS} rounds)"


def _in_process_run() -> tuple[int, int, int, float]:
    """One run of the default catalog in-process: (checks, failed, requests, seconds)."""
    name, password, sasp = "conformance", secrets.token_urlsafe(18), secrets.token_hex(8)
    with Store(":memory:") as store:  # the default PBKDF2 cost, as the embedded server has it
        seed_store(store, [(name, password)], [(sasp, name)])
        target = Target(
            base_url="https://testserver/products/",
            plain_url="http://testserver/products/",  # the same app, seen over plain HTTP: -1
            login_name=name,
            login_password=password,
            sasp_session_id=sasp,
            verify=False,
            check_auth=True,
        )
        ctx = RunContext(target, seed=1, transport=ASGITransport(make_app(store)))
        try:
            report = run_checks(ctx, select_checks())
        finally:
            ctx.close()
    return len(report.results), len(report.failed), report.requests, report.duration


def test_checks_per_second_in_process(benchmark: Any) -> None:
    runs: list[tuple[int, int, int, float]] = []
    benchmark.group = "conformance"
    benchmark.pedantic(lambda: runs.append(_in_process_run()), rounds=ROUNDS, iterations=1)
    checks, requests = runs[0][0], runs[0][2]
    seconds = statistics.median(r[3] for r in runs)
    benchmark.extra_info.update(checks=checks, requests=requests, checks_per_second=checks / seconds)
    record_line(
        SECTION,
        f"in-process app (ASGI transport): {checks} checks, {requests} requests in {seconds:.2f} s = "
        f"{checks / seconds:.1f} checks/s, {requests / seconds:.0f} requests/s; failed {sum(r[1] for r in runs)}",
    )
    assert all(r[1] == 0 for r in runs)


def test_full_default_run_over_loopback(benchmark: Any) -> None:
    runs: list[tuple[float, float, int, int]] = []

    def one_run() -> None:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "conformance", "server", "--seed", "1", "--quiet"],
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
        found = VERDICT.search(done.stdout)
        assert done.returncode == 0 and found, done.stdout + done.stderr
        runs.append((wall, float(found["seconds"]), int(found["checks"]), int(found["requests"])))

    benchmark.group = "conformance"
    benchmark.pedantic(one_run, rounds=ROUNDS, iterations=1)
    wall, checks_time = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
    checks, requests = runs[0][2], runs[0][3]
    benchmark.extra_info.update(wall_seconds=wall, checks_seconds=checks_time)
    record_line(
        SECTION,
        f"`python -m conformance server --seed 1` over loopback HTTPS: {wall:.1f} s wall for the command "
        f"({checks} checks, {requests} requests in {checks_time:.1f} s = {checks / checks_time:.1f} checks/s, "
        f"the rest is start-up); target under 20 s",
    )
    assert wall < 20.0
