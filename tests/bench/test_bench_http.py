"""The kit's HTTP client (conformance/http) against httpx, one thread, one keep-alive HTTPS
connection, on loopback: requests per second, and the client thread's CPU time per request
(``time.thread_time``: the server runs in a process of its own and is not counted).

Two servers: the reference server (``bench_serve.py reference``) and its floor, uvicorn answering
a fixed body (``static``).  Each round sends ``COMODO_BENCH_HTTP_REQUESTS`` (2,000) rejected
AutoApplyIdA requests with each client in turn, alternating, so that the machine's other load
falls on both alike; the lines give medians of ``COMODO_BENCH_ROUNDS`` (3) rounds.  Issue 14's
budget for the kit's whole per-request overhead is 1.5 ms of CPU.
"""

from __future__ import annotations

import os
import ssl
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench_load import rejected_request
from bench_results import record_line
from bench_serve import serving

from conformance.http import Client

ROUNDS = int(os.environ.get("COMODO_BENCH_ROUNDS", "3"))
REQUESTS = int(os.environ.get("COMODO_BENCH_HTTP_REQUESTS", "2000"))
SECTION = f"HTTP client, one thread, one keep-alive HTTPS connection ({REQUESTS} requests, medians of {ROUNDS} rounds)"
FORM = "application/x-www-form-urlencoded"

Send = Callable[[], int]


def _kit(url: str, ca: str) -> tuple[Send, Callable[[], None]]:
    client, body = Client(verify=ca, timeout=15), rejected_request(0)
    headers = [("Content-Type", FORM)]
    return (lambda: client.request("POST", url, body=body, headers=headers).status), client.close


def _httpx(url: str, ca: str) -> tuple[Send, Callable[[], None]]:
    client, body = httpx.Client(verify=ssl.create_default_context(cafile=ca), timeout=15), rejected_request(0)
    headers = {"Content-Type": FORM}
    return (lambda: client.post(url, content=body, headers=headers).status_code), client.close


CLIENTS = {"conformance.http": _kit, "httpx": _httpx}


def _measure(
    make: Callable[[str, str], tuple[Send, Callable[[], None]]], server: dict[str, str]
) -> tuple[float, float]:
    """(requests per second, CPU seconds of this thread per request)."""
    send, close = make(server["url"] + "!AutoApplyIdA", server["ca"])
    try:
        for _ in range(50):  # connect, handshake, warm up
            assert send() == 200
        wall, cpu = time.perf_counter(), time.thread_time()
        for _ in range(REQUESTS):
            assert send() == 200
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    finally:
        close()
    return REQUESTS / wall, cpu / REQUESTS


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, str]]]:
    data: Path = tmp_path_factory.mktemp("bench-http")
    with serving("reference", data, data / "reference.sqlite3") as reference, serving("static", data) as static:
        yield {"reference server": reference, "uvicorn static body": static}


@pytest.mark.parametrize("server_name", ["uvicorn static body", "reference server"])
def test_client_cost_per_request(benchmark: Any, servers: dict[str, dict[str, str]], server_name: str) -> None:
    measured: dict[str, list[tuple[float, float]]] = {name: [] for name in CLIENTS}

    def one_round() -> None:
        for name, make in CLIENTS.items():
            measured[name].append(_measure(make, servers[server_name]))

    benchmark.group = "HTTP client"
    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1)
    rps = {name: statistics.median(r for r, _ in rows) for name, rows in measured.items()}
    cpu = {name: statistics.median(c for _, c in rows) for name, rows in measured.items()}
    benchmark.extra_info.update({f"{name} rps": rps[name] for name in CLIENTS})
    benchmark.extra_info.update({f"{name} cpu_us": cpu[name] * 1e6 for name in CLIENTS})
    for name in CLIENTS:
        record_line(
            SECTION,
            f"{server_name:<20} {name:<17} {rps[name]:7.0f} req/s  client CPU {cpu[name] * 1e6:6.0f} us/request",
        )
    ratio = cpu["httpx"] / cpu["conformance.http"]
    record_line(SECTION, f"{server_name:<20} httpx CPU / conformance.http CPU per request: {ratio:.2f}")
