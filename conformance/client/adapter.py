"""The decoding adapter: talking to it (one JSON line per response variant) and judging its answers.

:class:`Adapter` runs the adapter program (started on first use, again after it exits or times
out) and exchanges one JSON line per variant; :func:`compare` judges its answer against the
codec's reading.  The protocol is documented in ``conformance/ADAPTER.md``; the variants are
:mod:`conformance.client.variants`.
"""

from __future__ import annotations

import collections
import json
import queue
import shlex
import subprocess
import threading
import time
from decimal import Decimal, InvalidOperation
from typing import IO, Any, Final, NoReturn

import codec

from ..results import Finding
from .command import CannotStart, spawn, stop
from .variants import Variant

__all__ = ["DEFAULT_ANSWER_TIMEOUT", "STRIKES", "Adapter", "AdapterFailed", "AdapterNotRunning", "compare"]

DEFAULT_ANSWER_TIMEOUT: Final = 10.0


# ---------------------------------------------------------------------- comparing


def _integer(value: Any) -> int | None:
    """An integer the adapter reported: a JSON integer, or its digits as a string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit() and value.isascii():
        return int(value)
    return None


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return None


def _show(value: Any) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False) if not isinstance(value, Decimal) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def compare(variant: Variant, expected: Any, answer: dict[str, Any]) -> tuple[Finding, ...]:
    """Judge the adapter's *answer* to *variant* against the codec's reading *expected*.

    A malformed body must be refused (``error``); an allowed one must not be, and every parameter
    the body carries must be reported with the same value (integers exactly, ``totalCost`` as the
    same decimal, texts exactly).  ``errorMessage`` is not compared with errorCode 0 (note
    ``format1-success-message``: tolerated and ignored); parameters the body lacks may be absent
    or null, and keys that are not parameters are ignored."""
    spec = codec.endpoint_spec(variant.endpoint)
    refused = answer.get("error")
    if isinstance(expected, codec.ResponseInvalid):
        if refused is not None:
            return ()
        rule = f"{spec.name}.responses.{expected.field or 'body'}.{expected.rule}"
        shown = {k: v for k, v in answer.items() if k != "id"}
        return (Finding("failure", rule, f"accepted {variant.about}: {_show(shown)}; it cannot be read ({expected})"),)
    why = f" (note {variant.note})" if variant.note else ""
    if refused is not None:
        rule = variant.note or f"{spec.name}.responses"
        return (Finding("failure", rule, f"refused {variant.about}, which the tables allow{why}: {_show(refused)}"),)
    wire: dict[str, str] = codec.converter.unstructure(expected)
    code = expected.error_code
    findings: list[Finding] = []
    for p in spec.params:
        if p.name == "errorMessage" and code == 0:
            continue
        want = wire.get(p.name)
        got = answer.get(p.name)
        if want is None:
            if got is not None and p.name != "errorMessage":
                findings.append(
                    Finding(
                        "failure",
                        f"{spec.name}.responses.{p.name}",
                        f"reported {p.name}={_show(got)}; the body has none",
                    )
                )
            continue
        if p.type == "integer":
            same = _integer(got) == int(want)
        elif p.type == "amount":
            same = _amount(got) == Decimal(want)
        else:
            same = got == want
        if not same:
            findings.append(
                Finding(
                    "failure",
                    f"{spec.name}.responses.{p.name}",
                    f"reported {p.name}={_show(got)}; the body says {_show(want)}{why}",
                )
            )
    return tuple(findings)


# ---------------------------------------------------------------------- the adapter process


class AdapterNotRunning(CannotStart):
    """The adapter could not be started, or exited before answering anything (exit status 2)."""


class AdapterFailed(Exception):
    """One message got no usable answer: the adapter exited, timed out or wrote something else."""


_EOF: Final = object()
STRIKES: Final = 3  # starts without a single answer before the adapter is deemed not to run at all


class Adapter:
    """The adapter program, started on first use and again after it exits or times out.

    :meth:`ask` sends one message and returns the adapter's answer (a dict with the same id) or
    raises :class:`AdapterFailed`; :meth:`close` ends it (end of input, then a signal)."""

    def __init__(self, argv: list[str], *, timeout: float, env: dict[str, str] | None = None) -> None:
        self.argv = argv
        self.timeout = timeout
        self.env = env
        self.answered = 0
        self.starts = 0
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self._proc: subprocess.Popen[bytes] | None = None
        self._lines: queue.Queue[object] = queue.Queue()
        self._stderr_pump = threading.Thread()

    def _start(self) -> subprocess.Popen[bytes]:
        pipe = subprocess.PIPE
        try:
            proc = spawn(self.argv, stdin=pipe, stdout=pipe, stderr=pipe, env=self.env)
        except CannotStart as exc:
            raise AdapterNotRunning(str(exc)) from None
        self.starts += 1
        lines: queue.Queue[object] = queue.Queue()
        self._lines = lines
        threading.Thread(target=_pump, args=(proc.stdout, lines.put), daemon=True).start()
        self._stderr_pump = threading.Thread(target=_pump, args=(proc.stderr, self._keep_stderr), daemon=True)
        self._stderr_pump.start()
        return proc

    def _keep_stderr(self, line: object) -> None:
        if isinstance(line, bytes):
            self.stderr_tail.append(line.decode("utf-8", "replace").rstrip())

    def ask(self, message: dict[str, Any]) -> dict[str, Any]:
        if self._proc is None:
            self._proc = self._start()
        proc = self._proc
        assert proc.stdin is not None
        try:
            proc.stdin.write(json.dumps(message, ensure_ascii=True).encode("ascii") + b"\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._gone()
        deadline = time.monotonic() + self.timeout
        line: object = b""
        while isinstance(line, bytes) and not line.strip():  # blank lines are skipped
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                stop(proc)
                self._proc = None
                self._give_up(f"gave no answer within {self.timeout:g} s")
                raise AdapterFailed(f"no answer within {self.timeout:g} s (the adapter was restarted)") from None
        if not isinstance(line, bytes):  # end of its output: it exited
            self._gone()
        assert isinstance(line, bytes)
        try:
            reply = json.loads(line, parse_float=Decimal)
        except ValueError:
            raise AdapterFailed(
                f"answered with a line that is not JSON: {_show(line.decode('utf-8', 'replace'))}"
            ) from None
        if not isinstance(reply, dict):
            raise AdapterFailed(f"answered with JSON that is not an object: {_show(reply)}")
        if reply.get("id") != message["id"]:
            raise AdapterFailed(f"answered id {_show(reply.get('id'))} to message {message['id']}")
        self.answered += 1
        return reply

    def _gone(self) -> NoReturn:
        proc = self._proc
        self._proc = None
        status = proc.wait(timeout=5) if proc is not None else None
        self._stderr_pump.join(timeout=1)  # its last words, if any
        last = f"; its last words: {self.stderr_tail[-1]}" if self.stderr_tail else ""
        self._give_up(f"exited with status {status}{last}")
        raise AdapterFailed(f"the adapter exited with status {status} instead of answering{last}")

    def _give_up(self, what: str) -> None:
        """AdapterNotRunning when the adapter has answered nothing in :data:`STRIKES` starts."""
        if self.answered == 0 and self.starts >= STRIKES:
            raise AdapterNotRunning(
                f"the adapter ({_command(self.argv)}) answered none of its first {self.starts} messages: it {what}"
            )

    def close(self) -> None:
        if self._proc is not None:
            stop(self._proc)
            self._proc = None


def _command(argv: list[str]) -> str:
    text = shlex.join(argv)
    return text if len(text) <= 60 else text[:57] + "..."


def _pump(stream: IO[bytes] | None, put: Any) -> None:
    """Hand each line of *stream* to *put*, then the end-of-file marker."""
    if stream is not None:
        for line in iter(stream.readline, b""):
            put(line)
    put(_EOF)
