"""Run ``python -m conformance ARGS`` in this process and report its peak resident set size.

    python -m tests.support.peak_rss OUT_FILE ARGS...

Runs :func:`conformance.cli.main` with ARGS, then writes the process's own peak RSS in KiB
(``VmHWM`` of ``/proc/self/status``: every thread of the kit, the checking vendor included, and
nothing of the programs it starts) to OUT_FILE, and exits with the kit's status.
:func:`run_kit` does this from a test.

Not ``getrusage(RUSAGE_SELF).ru_maxrss``: Linux keeps that figure across ``execve``, so a child
started by a large pytest worker reports the worker's size (a 301 MiB worker made every kit run
"301 MiB"). ``VmHWM`` belongs to the address space, which ``execve`` replaces.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import attrs

MIB = 1024  # ru_maxrss is in KiB on Linux


@attrs.frozen
class KitRun:
    code: int
    stdout: str
    stderr: str
    peak_mib: float


def run_kit(argv: list[str], tmp: Path, *, timeout: float = 120, env: dict[str, str] | None = None) -> KitRun:
    """``python -m conformance ARGV`` in a child process: exit status, output and peak RSS in MiB."""
    out = tmp / "peak-rss.txt"
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.peak_rss", str(out), *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=Path(__file__).resolve().parents[2],
    )
    peak = int(out.read_text()) / MIB if out.exists() else float("nan")
    return KitRun(done.returncode, done.stdout, done.stderr, peak)


def peak_rss_kib() -> int:
    """This process's peak resident set size in KiB since it last called ``execve``."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:  # not Linux: ru_maxrss is the best there is
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    match = re.search(r"^VmHWM:\s+(\d+) kB$", status, re.MULTILINE)
    return int(match.group(1)) if match else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> int:
    from conformance.cli import main as kit

    target, argv = sys.argv[1], sys.argv[2:]
    try:
        code = kit(argv)
    finally:
        Path(target).write_text(str(peak_rss_kib()))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
