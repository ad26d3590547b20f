"""What a run changes in the interpreter while it goes on, and gives back when the last run ends.

* :func:`fewer_collections` -- the cyclic garbage collector runs less often (Hypothesis allocates
  thousands of objects per example);
* :func:`shorter_turns` -- threads take shorter turns with the interpreter lock, so an answer's
  thread does not wait long for a check that is generating its next example;
* :func:`one_ast_parse_at_a_time` -- :func:`ast.parse` on one thread at a time (CPython 3.11's
  parser is not safe to run on two at once);
* :func:`kit_sources_not_local` -- Hypothesis leaves the kit's own source files alone when it
  looks for constants in "local" code (once; it stays so).

Each nests and may be entered from several threads at once; each leaves the process as it found
it, whatever the block raises.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import gc
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, Final, Generic, TypeVar

__all__ = ["fewer_collections", "kit_sources_not_local", "one_ast_parse_at_a_time", "shorter_turns"]

T = TypeVar("T")


class _ProcessSetting(Generic[T]):
    """A setting of the whole process that runs change while any goes on: the first to start
    reads it, each sets *during* of that first value, and the last to end writes it back."""

    def __init__(self, read: Callable[[], T], write: Callable[[T], None], during: Callable[[T], T]) -> None:
        self._read, self._write, self._during = read, write, during
        self._lock = threading.Lock()
        self._runs = 0
        self._before: T | None = None

    @contextlib.contextmanager
    def changed(self) -> Iterator[None]:
        with self._lock:
            if not self._runs:
                self._before = self._read()
            self._runs += 1
            before = self._before
            assert before is not None
            self._write(self._during(before))
        try:
            yield
        finally:
            with self._lock:
                self._runs -= 1
                if not self._runs:
                    self._write(before)


_SWITCH_INTERVAL: Final = 0.0005
_switch = _ProcessSetting(sys.getswitchinterval, sys.setswitchinterval, lambda before: min(before, _SWITCH_INTERVAL))


def shorter_turns() -> contextlib.AbstractContextManager[None]:
    """While the block runs, a thread holds the interpreter lock at most 0.5 ms before another
    that waits gets it (CPython's default is 5 ms: an answer's thread would wait that long for a
    check that is generating its next example)."""
    return _switch.changed()


@contextlib.contextmanager
def one_ast_parse_at_a_time() -> Iterator[None]:
    """While the block runs, :func:`ast.parse` runs on one thread at a time.

    Hypothesis parses source as it prepares and draws (a state machine's module for its digest,
    a filter's lambda for its bounds, a module's constants), and CPython 3.11 can fail when two
    threads build AST objects at once (``SystemError: AST constructor recursion depth mismatch``:
    the ast module's depth counter is shared; seen here in about one run in four with
    ``--workers 8``).  With ``--workers``, property checks run on several threads, so their parses
    are serialised (each takes well under a millisecond)."""
    parse = ast.parse
    lock = threading.Lock()

    @functools.wraps(parse)
    def serial_parse(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return parse(*args, **kwargs)

    ast.parse = serial_parse
    try:
        yield
    finally:
        ast.parse = parse


_GC_FIRST_THRESHOLD: Final = 50_000


def _raised(before: tuple[int, int, int]) -> tuple[int, int, int]:
    first, second, third = before
    return (max(first, _GC_FIRST_THRESHOLD), second, third) if first else before


_thresholds = _ProcessSetting(gc.get_threshold, lambda t: gc.set_threshold(*t), _raised)


def fewer_collections() -> contextlib.AbstractContextManager[None]:
    """While runs go on, the cyclic collector waits for 50,000 new objects, not CPython's 700
    (Hypothesis allocates thousands per example: the collector ran ~100 times a default run and,
    with the whole heap of a pytest process to walk, cost 10-12% of the kit's CPU there, 5%
    in a process of its own); the last run to end restores the thresholds.  A process that
    turned the collector off (threshold 0), or set a higher threshold, keeps its own."""
    return _thresholds.changed()


_KIT_PACKAGES: Final = frozenset({"codec", "conformance", "spec"})


def kit_sources_not_local() -> None:
    """Hypothesis mixes constants it finds in the source of "local" modules (not the standard
    library's, not in site-packages) into one draw in twenty, parsing each such module the first
    time it draws after the module is imported.  Installed from a checkout (``pip install -e``),
    the kit's own modules count as local: Hypothesis parsed all 59 of them in every process
    (about 0.2 s of CPU) and drew the kit's own numbers and strings into requests.  This marks
    the kit's imported modules as already seen, so only the user's own code is read.

    It uses Hypothesis' private record of the modules it has seen
    (``hypothesis.internal.conjecture.providers._seen_modules``); if a Hypothesis version has no
    such record it does nothing (tests/conformance/test_interpreter.py notices)."""
    try:
        from hypothesis.internal.conjecture import providers

        seen: set[int] = providers._seen_modules
    except (ImportError, AttributeError):  # pragma: no cover - another Hypothesis
        return
    for name, module in list(sys.modules.items()):
        if name.partition(".")[0] in _KIT_PACKAGES:
            seen.add(id(module))
