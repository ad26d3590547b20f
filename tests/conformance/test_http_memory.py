"""The kit's HTTP client keeps its memory bounded under every attack of issue 11: its peak RSS,
measured in a child process that does one exchange against a hostile loopback server (which
runs here), stays under 150 MiB.  What each run measured is printed (``pytest -rP``).

The peak is the child's ``VmHWM`` (``/proc/self/status``, read by
:func:`tests.support.peak_rss.peak_rss_kib`): unlike ``ru_maxrss``, which Linux carries over
``exec`` from the forking parent (pytest), it is the child's own high-water mark."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import hostile
from tests.support.hostile import serving

pytestmark = [
    pytest.mark.network,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status"),
]
PEAK_LIMIT_MIB = 150
REPOSITORY = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, sys, time
from conformance.http import Client, HTTPClientError
from tests.support.peak_rss import peak_rss_kib as high_water_kib

url, timeout = sys.argv[1], float(sys.argv[2])
before = high_water_kib()
started = time.monotonic()
with Client(timeout=timeout) as client:
    try:
        r = client.request("POST", url, body=b"loginName=bob")
        outcome = f"HTTP {r.status}, {len(r.body):,} bytes, Content-Encoding {r.content_encoding}"
    except HTTPClientError as exc:
        outcome = f"{type(exc).__name__}: {exc}"
peak = high_water_kib()
print(json.dumps({"outcome": outcome, "before": before, "peak": peak, "seconds": time.monotonic() - started}))
"""

ATTACKS = {
    "400 MB chunked answer": (hostile.huge_chunked(), "AnswerTooLarge"),
    "gzip bomb (400 MiB inflated)": (
        hostile.fixed(hostile.answer(hostile.gzip_bomb(), extra=b"Content-Encoding: gzip\r\n")),
        "HTTP 200",
    ),
    "endless header line": (hostile.endless_header_line, "HeadTooLarge"),
    "100 Continue flood": (hostile.informational_flood, "TooManyInformational"),
    "drip body": (hostile.drip_body(0.1), "ExchangeTimeout"),
    "declared 10 GB": (
        hostile.fixed(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n", then_close=True),
        "AnswerTooLarge",
    ),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_peak_memory_stays_bounded(attack: str) -> None:
    handler, expected = ATTACKS[attack]
    with serving(handler) as server:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, server.url, "2"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            cwd=REPOSITORY,  # the child imports tests.support
        )
    measured = json.loads(done.stdout)
    peak_mib = measured["peak"] / 1024
    print(
        f"{attack}: {measured['outcome']} -- peak RSS {peak_mib:.1f} MiB "
        f"({measured['before'] / 1024:.1f} MiB before the exchange), {measured['seconds']:.2f} s"
    )
    assert measured["outcome"].startswith(expected)
    assert peak_mib < PEAK_LIMIT_MIB
