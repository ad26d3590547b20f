"""Concurrent loopback load over HTTPS: N keep-alive connections, each sending one request after
another for T seconds (after a warm-up), every answer decoded with the codec and compared with
the expected one.

The client is a minimal HTTP/1.1 writer/reader over ``asyncio`` TLS streams (one process, one
event loop), so that the server, not the client, is what the numbers measure.  A request that
fails (connection error, HTTP status other than 200, a body that cannot be read) is an *error*;
one answered with another code than the expected one (or an order without an order number) is a
*wrong answer*.
"""

from __future__ import annotations

import asyncio
import itertools
import ssl
import statistics
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import attrs
from bench_data import AUTO, AUTO_REQUEST

import codec

__all__ = ["LoadResult", "order_request", "rejected_request", "run_load"]

# the rejected request: the full AutoApplyIdA order without its postal code -> -3, format 1
REJECTED_CODE = -3
REJECTED_ARGUMENT = "postalCode"
REJECTED_FORMAT = 1
ORDER_FORMAT = 1


def rejected_request(_: int) -> bytes:
    wire = codec.request_to_wire(AUTO_REQUEST)
    del wire[REJECTED_ARGUMENT]
    wire["responseFormat"] = str(REJECTED_FORMAT)
    return bytes(codec.encode_request_fields(AUTO, wire, validate=False).body)


def order_request(n: int) -> bytes:
    """A valid test order (test=Y) with a foreign order number of its own (checkFONIsUnique=Y)."""
    wire = codec.request_to_wire(AUTO_REQUEST)
    wire["foreignOrderNumber"] = f"bench-{time.time_ns()}-{n}"
    wire["responseFormat"] = str(ORDER_FORMAT)
    return bytes(codec.encode_request_fields(AUTO, wire).body)


def rejected_answer_is_right(content_type: str | None, body: bytes) -> bool:
    response = codec.decode_response(AUTO, body, content_type=content_type, response_format=REJECTED_FORMAT)
    detail = codec.error_detail(response)
    return response.error_code == REJECTED_CODE and detail is not None and detail.argument == REJECTED_ARGUMENT


def order_answer_is_right(content_type: str | None, body: bytes) -> bool:
    response = codec.decode_response(AUTO, body, content_type=content_type, response_format=ORDER_FORMAT)
    return response.error_code == 0 and response.order_number is not None


@attrs.define
class LoadResult:
    seconds: float
    connections: int
    ok: int = 0  # right answers in the measured window
    errors: int = 0
    wrong: int = 0
    acknowledged: int = 0  # right answers, warm-up included (orders: what must be in the database)
    latencies: list[float] = attrs.Factory(list)

    @property
    def rps(self) -> float:
        return (self.ok + self.wrong) / self.seconds

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")

    @property
    def p99(self) -> float:
        return self.percentile(0.99)

    def line(self) -> str:
        return (
            f"{self.rps:7.0f} req/s  p50 {self.p50 * 1e3:6.2f} ms  p99 {self.p99 * 1e3:6.2f} ms  "
            f"errors {self.errors}  wrong answers {self.wrong}  ({self.connections} connections, {self.seconds:.0f} s)"
        )


async def _one_connection(
    host: str,
    port: int,
    context: ssl.SSLContext,
    path: str,
    make: Callable[[int], bytes],
    right: Callable[[str | None, bytes], bool],
    counter: itertools.count[int],
    measure_from: float,
    stop_at: float,
    result: LoadResult,
) -> None:
    head = f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    reader = writer = None
    while time.perf_counter() < stop_at:
        body = make(next(counter))
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port, ssl=context, server_hostname=host)
            assert reader is not None
            writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body)
            raw = await reader.readuntil(b"\r\n\r\n")
            lines = raw.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            answer = await reader.readexactly(int(headers["content-length"]))
            if headers.get("connection", "").lower() == "close":
                writer.close()
                writer = None
            ok = status == 200 and right(headers.get("content-type"), answer)
            failed = status != 200
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, KeyError):
            if writer is not None:
                writer.close()
            writer = None
            ok, failed = False, True
        finished = time.perf_counter()
        if ok:
            result.acknowledged += 1
        if started < measure_from or finished > stop_at:
            continue
        if failed:
            result.errors += 1
        elif ok:
            result.ok += 1
            result.latencies.append(finished - started)
        else:
            result.wrong += 1
            result.latencies.append(finished - started)
    if writer is not None:
        writer.close()


def run_load(
    url: str,
    ca_file: str,
    make: Callable[[int], bytes],
    right: Callable[[str | None, bytes], bool],
    *,
    connections: int,
    seconds: float,
    warmup: float = 1.0,
) -> LoadResult:
    """Load the AutoApplyIdA endpoint under *url* (the base URL ending ``/products/``): requests
    made by *make* (from a counter), answers judged by *right*."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 443
    path = parts.path.rstrip("/") + "/!" + AUTO
    context = ssl.create_default_context(cafile=ca_file)
    result = LoadResult(seconds=seconds, connections=connections)
    counter = itertools.count()

    async def load() -> None:
        measure_from = time.perf_counter() + warmup
        stop_at = measure_from + seconds
        await asyncio.gather(
            *(
                _one_connection(host, port, context, path, make, right, counter, measure_from, stop_at, result)
                for _ in range(connections)
            )
        )

    asyncio.run(load())
    return result
