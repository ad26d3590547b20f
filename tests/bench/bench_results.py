"""What the benchmarks measured, gathered for the table printed at the end of ``tox -e bench``.

Codec operations record the median seconds per call of each implementation (``codec``, the bare
``floor``, the ``pydantic`` and ``msgspec`` peers); the conformance and server benchmarks record
finished lines of text.  Ratios are computed from medians measured in the same run.
"""

from __future__ import annotations

import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["VERDICT", "TimedRun", "record", "record_line", "run_timed", "summary"]

IMPLEMENTATIONS = ("codec", "floor", "pydantic", "msgspec")

VERDICT = re.compile(
    r"(?P<checks>\d+) of \d+ checks ran(?: \([^)]*\))?, \d+ failed, \d+ with notes, "
    r"(?P<requests>\d+) requests in (?P<seconds>[0-9.]+) s"
)
"""The server command's verdict line (``CONFORMING: 103 of 103 checks ran, 0 failed, 0 with notes,
633 requests in 3.7 s (seed 1)``): the checks that ran, the requests sent, the seconds."""


class TimedRun:
    """A finished child process: its ``CompletedProcess``, wall seconds and CPU seconds."""

    def __init__(self, done: subprocess.CompletedProcess[str], wall: float, cpu: float) -> None:
        self.done, self.wall, self.cpu = done, wall, cpu


def run_timed(
    command: list[str], *, env: dict[str, str], cwd: str | Path | None = None, timeout: float | None = None
) -> TimedRun:
    """Run *command* to its end (output captured as text) and measure its wall time and the CPU
    time of the process and its children (``RUSAGE_CHILDREN`` grows when a child is waited for:
    exact when one child runs at a time)."""

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    cpu, started = children_cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    return TimedRun(done, time.perf_counter() - started, children_cpu() - cpu)


_OPS: dict[str, dict[str, float]] = {}  # operation -> implementation -> median seconds per call
_LINES: dict[str, list[str]] = {}  # section -> lines
_TIMER: list[str] = []


def record(operation: str, implementation: str, benchmark: Any) -> None:
    """Keep the median of a finished pytest-benchmark run (nothing when benchmarking is disabled)."""
    stats = getattr(benchmark, "stats", None)
    if not stats:
        return
    _OPS.setdefault(operation, {})[implementation] = stats.stats.median
    timer = stats.options.get("timer")
    if timer is not None and not _TIMER:
        _TIMER.append(getattr(timer, "__qualname__", str(timer)))


def record_line(section: str, line: str) -> None:
    _LINES.setdefault(section, []).append(line)


def _us(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e6:.2f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}"


def table() -> str:
    """The codec table: µs per call, codec/floor (below 1.0: faster than the floor), and how many
    times slower each peer is than the codec (above 1.0: the codec is faster)."""
    head = [
        "operation",
        "codec µs",
        "floor µs",
        "codec/floor",
        "pydantic µs",
        "msgspec µs",
        "pydantic/codec",
        "msgspec/codec",
    ]
    rows = [head]
    for op, found in _OPS.items():
        codec, floor, pyd, msg = (found.get(i) for i in IMPLEMENTATIONS)
        rows.append(
            [
                op,
                _us(codec),
                _us(floor),
                _ratio(codec, floor),
                _us(pyd),
                _us(msg),
                _ratio(pyd, codec),
                _ratio(msg, codec),
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = []
    for n, r in enumerate(rows):
        lines.append(
            "| "
            + " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            + " |"
        )
        if n == 0:
            lines.append(
                "|" + "|".join("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths)) + "|"
            )
    return "\n".join(lines)


def machine() -> str:
    timer = f"; codec timer time.{_TIMER[0]}" if _TIMER else ""
    return (
        f"machine: {os.cpu_count()} CPUs, {platform.machine()}, {platform.system()} {platform.release()}; "
        f"Python {sys.version.split()[0]} ({platform.python_implementation()}){timer}"
    )


def summary() -> str:
    if not _OPS and not _LINES:
        return ""
    parts = [machine()]
    if _OPS:
        parts.append("codec (median µs per call; floor = bare urllib / line splitting on the same data):\n" + table())
    for section, lines in _LINES.items():
        parts.append(section + ":\n" + "\n".join(f"  {line}" for line in lines))
    return "\n\n".join(parts)
