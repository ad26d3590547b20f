"""Running a client program or an adapter: in a process group of its own, stopped for good.

:func:`spawn` starts a program in a session (process group) of its own and :func:`stop` ends all
of it (end of input, then SIGTERM, then SIGKILL); :func:`run_command` runs a client program to
the end, or until its timeout, copying its output -- secrets removed, control characters escaped,
each line cut -- with a ``CMD|`` prefix.
"""

from __future__ import annotations

import collections
import contextlib
import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from typing import IO, Any, Final

import attrs

from ..report import Secrets, cut, scrub
from ..results import CouldNotRun
from .lines import LongLine, pump_lines

__all__ = ["DEFAULT_COMMAND_TIMEOUT", "CannotStart", "CommandResult", "run_command", "spawn", "stop"]

DEFAULT_COMMAND_TIMEOUT: Final = 60.0
_OUTPUT_LINE_BYTES: Final = 8 * 1024  # of one line of CMD's output read; the rest dropped


class CannotStart(Exception):
    """A program could not be started (not found, not executable...); the message says which and why."""


def spawn(
    argv: list[str], *, stdin: Any, stdout: Any, stderr: Any, env: dict[str, str] | None
) -> subprocess.Popen[bytes]:
    """Start *argv* in a session (process group) of its own, so :func:`stop` can end all of it."""
    try:
        return subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=stderr, env=env, start_new_session=True)
    except OSError as exc:
        raise CannotStart(f"cannot run {argv[0]!r}: {exc.strerror or exc}") from None


def stop(proc: subprocess.Popen[bytes], grace: float = 1.0) -> None:
    """End a program started by :func:`spawn`: close its stdin, wait *grace* seconds, then
    SIGTERM its process group, and SIGKILL two seconds later."""
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    for sig, wait in ((None, grace), (signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
        if sig is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@attrs.frozen
class CommandResult:
    """How a program ran: its exit status (None when it had to be stopped), whether it ran out of
    time, for how long, and its last lines of output (secrets removed)."""

    argv: tuple[str, ...]
    status: int | None
    timed_out: bool
    duration: float
    output_tail: tuple[str, ...]

    def describe(self) -> str:
        name = shlex.join(self.argv)
        if self.timed_out:
            return f"{name} did not finish within {self.duration:.0f} s and was stopped"
        return f"{name} exited with status {self.status} after {self.duration:.1f} s"


def run_command(
    argv: list[str],
    env: dict[str, str],
    timeout: float,
    *,
    secrets: Callable[[], Secrets],
    out: IO[str] | None,
) -> CommandResult:
    """Run CMD to the end (its process group stopped after *timeout* seconds), copying its
    output, secrets removed, to *out* with a ``CMD|`` prefix.  CouldNotRun if it cannot start."""
    started = time.monotonic()
    try:
        proc = spawn(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    except CannotStart as exc:
        raise CouldNotRun(str(exc)) from None
    tail: collections.deque[str] = collections.deque(maxlen=40)

    def keep(raw: object) -> None:
        if isinstance(raw, LongLine):
            raw = raw.head + f" [... over {_OUTPUT_LINE_BYTES} bytes]".encode()
        if not isinstance(raw, bytes):
            return
        line = cut(scrub(raw.decode("utf-8", "replace").rstrip("\r\n"), secrets()))
        tail.append(line)
        if out is not None:
            with contextlib.suppress(OSError, ValueError):
                out.write(f"  CMD| {line}\n")
                out.flush()

    def pump() -> None:
        pump_lines(proc.stdout, keep, max_line=_OUTPUT_LINE_BYTES)

    reader = threading.Thread(target=pump, name="cmd-output", daemon=True)
    reader.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        if proc.poll() is None:  # timed out, or the kit was interrupted
            stop(proc, grace=0)
    reader.join(timeout=2)
    return CommandResult(tuple(argv), proc.returncode, timed_out, time.monotonic() - started, tuple(tail))
