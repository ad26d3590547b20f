"""What a run changes in the interpreter while it goes on, and gives back when the last run ends.

* :func:`fewer_collections` -- the cyclic garbage collector runs less often (Hypothesis allocates
  thousands of objects per example);
* :func:`shorter_turns` -- threads take shorter turns with the interpreter lock, so an answer's
  thread does not wait long for a check that is generating its next example;
* :func:`one_ast_parse_at_a_time` -- :func:`ast.parse` on one thread at a time (CPython 3.11's
  parser is not safe to run on two at once).

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
from collections.abc import Iterator
from typing import Any, Final

__all__ = ["fewer_collections", "one_ast_parse_at_a_time", "shorter_turns"]

_SWITCH_INTERVAL: Final = 0.0005
_switch_lock = threading.Lock()
_switch_runs: list[float] = []  # per block going on: the interval before the first


@contextlib.contextmanager
def shorter_turns() -> Iterator[None]:
    """While the block runs, a thread holds the interpreter lock at most 0.5 ms before another
    that waits gets it (CPython's default is 5 ms: an answer's thread would wait that long for a
    check that is generating its next example)."""
    with _switch_lock:
        before = _switch_runs[0] if _switch_runs else sys.getswitchinterval()
        _switch_runs.append(before)
        sys.setswitchinterval(min(before, _SWITCH_INTERVAL))
    try:
        yield
    finally:
        with _switch_lock:
            before = _switch_runs.pop()
            if not _switch_runs:
                sys.setswitchinterval(before)


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


_gc_lock = threading.Lock()
_gc_runs: list[tuple[int, int, int]] = []  # per run going on: the thresholds before the first


_GC_FIRST_THRESHOLD: Final = 50_000


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """While runs go on, the cyclic collector waits for 50,000 new objects, not CPython's 700
    (Hypothesis allocates thousands per example: the collector ran ~100 times a default run and,
    with the whole heap of a pytest process to walk, cost 10-12% of the kit's CPU there, 5%
    in a process of its own); the last run to end restores the thresholds.  A process that
    turned the collector off (threshold 0), or set a higher threshold, keeps its own."""
    with _gc_lock:
        before = _gc_runs[0] if _gc_runs else gc.get_threshold()
        _gc_runs.append(before)
        if before[0]:
            gc.set_threshold(max(before[0], _GC_FIRST_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        with _gc_lock:
            before = _gc_runs.pop()
            if not _gc_runs:  # the last run to end
                gc.set_threshold(*before)
