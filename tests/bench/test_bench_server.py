"""The reference server under concurrent loopback load over HTTPS, against its floor: the same
uvicorn configuration answering a static body (:mod:`bench_serve`), loaded the same way
(:mod:`bench_load`) in alternating rounds.

* rejected requests: the full AutoApplyIdA order without its postal code (-3; the codec reads the
  whole 800-byte body), against the static server answering the same bytes;
* durable orders: valid test orders (test=Y, each with its own foreign order number), each
  committed to the SQLite file (WAL, synchronous=FULL) before it is answered; afterwards the file
  must hold every order that was acknowledged.

``COMODO_BENCH_CONNECTIONS`` (default 16), ``COMODO_BENCH_LOAD_SECONDS`` (5 per round) and
``COMODO_BENCH_ROUNDS`` (3) size the runs.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bench_load import (
    LoadResult,
    order_answer_is_right,
    order_request,
    rejected_answer_is_right,
    rejected_request,
    run_load,
)
from bench_results import record_line
from bench_serve import serving

CONNECTIONS = int(os.environ.get("COMODO_BENCH_CONNECTIONS", "16"))
SECONDS = float(os.environ.get("COMODO_BENCH_LOAD_SECONDS", "5"))
ROUNDS = int(os.environ.get("COMODO_BENCH_ROUNDS", "3"))
SECTION = f"reference server, HTTPS on loopback, {CONNECTIONS} keep-alive connections (medians of {ROUNDS} rounds)"
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], dict[str, str], Path]]:
    data = tmp_path_factory.mktemp("bench-server")
    db = data / "reference.sqlite3"
    with serving("reference", data, db) as reference, serving("static", data) as static:
        yield reference, static, db


def _run(
    server: dict[str, str], make: Callable[[int], bytes], right: Callable[[str | None, bytes], bool]
) -> LoadResult:
    return run_load(server["url"], server["ca"], make, right, connections=CONNECTIONS, seconds=SECONDS)


def _median(results: list[LoadResult], what: str) -> float:
    return statistics.median(getattr(r, what) for r in results)


def _summary(results: list[LoadResult]) -> str:
    rps, p50, p99 = (_median(results, what) for what in ("rps", "p50", "p99"))
    errors, wrong = sum(r.errors for r in results), sum(r.wrong for r in results)
    return f"{rps:6.0f} req/s  p50 {p50 * 1e3:6.2f} ms  p99 {p99 * 1e3:6.2f} ms  errors {errors}  wrong answers {wrong}"


def test_rejected_requests_against_the_static_floor(benchmark: Any, servers: Any) -> None:
    reference, static, _ = servers
    floor: list[LoadResult] = []
    rejected: list[LoadResult] = []

    def one_round() -> None:  # alternating, so that the other engineers' load falls on both alike
        floor.append(_run(static, rejected_request, rejected_answer_is_right))
        rejected.append(_run(reference, rejected_request, rejected_answer_is_right))

    benchmark.group = "reference server under load"
    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1)
    ratio = _median(rejected, "rps") / _median(floor, "rps")
    benchmark.extra_info.update(rejected_rps=_median(rejected, "rps"), floor_rps=_median(floor, "rps"), ratio=ratio)
    record_line(SECTION, f"uvicorn static body (floor):   {_summary(floor)}")
    record_line(SECTION, f"rejected requests (-3):        {_summary(rejected)}")
    record_line(SECTION, f"rejected / floor throughput:   {ratio:.2f} (target >= 0.50)")
    assert all(r.errors == 0 and r.wrong == 0 for r in floor + rejected), [r.line() for r in floor + rejected]


def test_durable_orders(benchmark: Any, servers: Any) -> None:
    reference, _, db = servers
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as before:
        placed_before = before.execute("SELECT count(*) FROM orders").fetchone()[0]
    orders: list[LoadResult] = []

    def one_round() -> None:
        orders.append(_run(reference, order_request, order_answer_is_right))

    benchmark.group = "reference server under load"
    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as after:
        placed = after.execute("SELECT count(*) FROM orders").fetchone()[0] - placed_before
    acknowledged = sum(r.acknowledged for r in orders)
    benchmark.extra_info.update(orders_per_second=_median(orders, "rps"), acknowledged=acknowledged, in_file=placed)
    record_line(SECTION, f"durable test orders:           {_summary(orders)}")
    record_line(SECTION, f"orders acknowledged {acknowledged}, in the SQLite file afterwards {placed}")
    assert all(r.errors == 0 and r.wrong == 0 for r in orders), [r.line() for r in orders]
    assert placed == acknowledged
