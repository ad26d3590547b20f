"""The decoding adapter program: started, fed one JSON line per response variant, its answers read.

:class:`Adapter` runs the adapter (started on first use, again after it exits or times out) and
exchanges one JSON line per variant; :mod:`conformance.client.grading` judges its answers.  The
protocol is documented in ``conformance/ADAPTER.md``; the variants are
:mod:`conformance.client.variants`.

Bounded whatever the adapter writes: a line of its stdout is read up to ``max_line`` bytes
(:data:`DEFAULT_MAX_LINE_BYTES`, ``client --max-line-bytes``) and the rest dropped; an answer
nested deeper than :data:`MAX_JSON_DEPTH` is refused; the last :data:`STDERR_LINES` lines of its
stderr are kept, each cut; every text of the adapter's a finding shows is cut.

Stdout belongs to the protocol.  A line there that is not JSON (a warning a runtime printed) is
reported with the answer it preceded and skipped, and an answer to an earlier message (one that
timed out) is skipped too: the run stays in step on message ids.
"""

from __future__ import annotations

import collections
import json
import queue
import shlex
import subprocess
import threading
import time
from decimal import Decimal
from typing import Any, Final, NoReturn

import attrs

from ..report import cut
from .command import CannotStart, spawn, stop
from .lines import EOF, LongLine, pump_lines

__all__ = [
    "DEFAULT_ANSWER_TIMEOUT",
    "DEFAULT_MAX_LINE_BYTES",
    "MAX_JSON_DEPTH",
    "STDERR_LINES",
    "STRIKES",
    "Adapter",
    "AdapterFailed",
    "AdapterNotRunning",
    "Reply",
]

DEFAULT_ANSWER_TIMEOUT: Final = 10.0
DEFAULT_MAX_LINE_BYTES: Final = 1024 * 1024
"""Bytes of one line of the adapter's output the kit reads; a longer line is a finding."""
MAX_JSON_DEPTH: Final = 32
"""How deep an answer's JSON may nest (an answer is one flat object; its own debugging keys get room)."""
STDERR_LINES: Final = 40
"""Lines of the adapter's stderr kept, and shown when it dies."""
STRIKES: Final = 3  # starts without a single answer before the adapter is deemed not to run at all
_STDERR_LINE_BYTES: Final = 8 * 1024
_STRAY_SHOWN: Final = 5


class AdapterNotRunning(CannotStart):
    """The adapter could not be started, or exited before answering anything (exit status 2);
    ``stderr`` is the tail of what it wrote there."""

    def __init__(self, message: str, stderr: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.stderr = stderr


class AdapterFailed(Exception):
    """One message got no usable answer: the adapter exited, timed out or wrote something else.
    ``stray`` are lines it wrote on stdout that were no answer; ``stderr`` its last stderr lines
    when it died."""

    def __init__(self, message: str, *, stray: tuple[str, ...] = (), stderr: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.stray = stray
        self.stderr = stderr


@attrs.frozen
class Reply:
    """The adapter's answer to one message, and the lines it wrote on stdout before it that were
    no answer (each cut: not JSON, or an answer to an earlier message)."""

    answer: dict[str, Any]
    stray: tuple[str, ...] = ()


def _depth(value: Any) -> int:
    """How deep *value* nests (1 for a flat object), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_JSON_DEPTH:
                stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def _show_line(raw: bytes) -> str:
    return repr(cut(raw.decode("utf-8", "replace").rstrip("\r\n"), 200))


class Adapter:
    """The adapter program, started on first use and again after it exits or times out.

    :meth:`ask` sends one message and returns the adapter's :class:`Reply` (an answer with the
    same id) or raises :class:`AdapterFailed`; :meth:`close` ends it (end of input, then a signal)."""

    def __init__(
        self,
        argv: list[str],
        *,
        timeout: float,
        env: dict[str, str] | None = None,
        max_line: int = DEFAULT_MAX_LINE_BYTES,
    ) -> None:
        self.argv = argv
        self.timeout = timeout
        self.env = env
        self.max_line = max_line
        self.answered = 0
        self.starts = 0
        self.stray_lines = 0
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        self._proc: subprocess.Popen[bytes] | None = None
        self._lines: queue.Queue[object] = queue.Queue()
        self._stderr_pump = threading.Thread()
        self._asked: set[int] = set()

    def _start(self) -> subprocess.Popen[bytes]:
        pipe = subprocess.PIPE
        try:
            proc = spawn(self.argv, stdin=pipe, stdout=pipe, stderr=pipe, env=self.env)
        except CannotStart as exc:
            raise AdapterNotRunning(str(exc)) from None
        self.starts += 1
        self.stderr_tail.clear()  # the last lines of this process's stderr, not its predecessors'
        lines: queue.Queue[object] = queue.Queue()
        self._lines = lines
        threading.Thread(
            target=pump_lines, args=(proc.stdout, lines.put), kwargs={"max_line": self.max_line}, daemon=True
        ).start()
        self._stderr_pump = threading.Thread(
            target=pump_lines, args=(proc.stderr, self._keep_stderr), kwargs={"max_line": _STDERR_LINE_BYTES}
        )
        self._stderr_pump.daemon = True
        self._stderr_pump.start()
        return proc

    def _keep_stderr(self, line: object) -> None:
        if isinstance(line, bytes):
            self.stderr_tail.append(cut(line.decode("utf-8", "replace").rstrip("\r\n")))
        elif isinstance(line, LongLine):
            self.stderr_tail.append(
                cut(line.head.decode("utf-8", "replace")) + f" [... over {_STDERR_LINE_BYTES} bytes]"
            )

    def ask(self, message: dict[str, Any]) -> Reply:
        if self._proc is None:
            self._proc = self._start()
        proc = self._proc
        assert proc.stdin is not None
        number = int(message["id"])
        self._asked.add(number)
        try:
            proc.stdin.write(json.dumps(message, ensure_ascii=True).encode("ascii") + b"\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._gone(())
        deadline = time.monotonic() + self.timeout
        stray: list[str] = []
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                stop(proc)
                self._proc = None
                self._give_up(f"gave no answer within {self.timeout:g} s")
                raise AdapterFailed(
                    f"no answer within {self.timeout:g} s (the adapter was restarted)", stray=tuple(stray)
                ) from None
            if line is EOF:  # the end of its output: it exited
                self._gone(tuple(stray))
            if isinstance(line, LongLine):
                raise AdapterFailed(
                    f"answered with {line.describe(self.max_line)} (--max-line-bytes)", stray=tuple(stray)
                )
            assert isinstance(line, bytes)
            if not line.strip():  # blank lines are skipped
                continue
            reply = self._read(line, number, stray)
            if reply is not None:
                self.answered += 1
                return Reply(reply, tuple(stray))

    def _read(self, line: bytes, number: int, stray: list[str]) -> dict[str, Any] | None:
        """The answer *line* holds, None for a line to skip (noted in *stray*), or AdapterFailed."""
        if not line.lstrip().startswith((b"{", b"[")):
            self.stray_lines += 1
            if len(stray) < _STRAY_SHOWN:
                stray.append(f"not JSON: {_show_line(line)}")
            return None
        try:
            reply = json.loads(line, parse_float=Decimal)
        except RecursionError:
            raise AdapterFailed(
                f"answered with JSON nested too deep to read: {_show_line(line)}", stray=tuple(stray)
            ) from None
        except ValueError:
            raise AdapterFailed(
                f"answered with a line that is not JSON: {_show_line(line)}", stray=tuple(stray)
            ) from None
        if not isinstance(reply, dict):
            raise AdapterFailed(f"answered with JSON that is not an object: {_show_line(line)}", stray=tuple(stray))
        if _depth(reply) > MAX_JSON_DEPTH:
            raise AdapterFailed(f"answered with JSON nested deeper than {MAX_JSON_DEPTH} levels", stray=tuple(stray))
        said = reply.get("id")
        if said == number and not isinstance(said, bool):
            return reply
        if isinstance(said, int) and not isinstance(said, bool) and said in self._asked and said < number:
            if len(stray) < _STRAY_SHOWN:
                stray.append(f"a late answer to message {said}, skipped")
            return None
        raise AdapterFailed(f"answered id {cut(repr(said), 60)} to message {number}", stray=tuple(stray))

    def _gone(self, stray: tuple[str, ...]) -> NoReturn:
        proc = self._proc
        self._proc = None
        status = proc.wait(timeout=5) if proc is not None else None
        self._stderr_pump.join(timeout=1)  # its last words, if any
        tail = tuple(self.stderr_tail)
        last = f"; its last words: {tail[-1]}" if tail else ""
        self._give_up(f"exited with status {status}{last}")
        raise AdapterFailed(
            f"the adapter exited with status {status} instead of answering{last}", stray=stray, stderr=tail
        )

    def _give_up(self, what: str) -> None:
        """AdapterNotRunning when the adapter has answered nothing in :data:`STRIKES` starts."""
        if self.answered == 0 and self.starts >= STRIKES:
            raise AdapterNotRunning(
                f"the adapter ({_command(self.argv)}) answered none of its first {self.starts} messages: it {what}",
                tuple(self.stderr_tail),
            )

    def close(self) -> None:
        if self._proc is not None:
            stop(self._proc)
            self._proc = None


def _command(argv: list[str]) -> str:
    text = shlex.join(argv)
    return text if len(text) <= 60 else text[:57] + "..."
