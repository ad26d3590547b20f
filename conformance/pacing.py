"""Pacing a run against a real vendor: a rate limit shared by all workers, and a request budget.

* :class:`TokenBucket` -- ``--rate-limit N/s``: at most *rate* requests a second on average, in
  bursts of at most *burst*, across every thread that shares it.  Each caller reserves the next
  free slot under a lock and then sleeps outside it (the generic cell rate algorithm), so callers
  are served in order of arrival and the lock is never held while waiting.
* :class:`RequestBudget` -- ``--max-requests N``: a thread-safe count of requests left; taking
  from an exhausted budget fails (:class:`BudgetExhausted`) instead of sending.
* :class:`Concurrency` -- ``--workers N``: how many checks run at once, up to N, sized from how
  busy the kit is (more threads only when it waits for answers).
* :func:`parse_rate` reads ``N/s``, ``N/min`` or ``N`` (per second) as the command line gives it.

Each takes its clocks (and the bucket its sleep) as parameters, so they are tested without
waiting.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Final

__all__ = ["BudgetExhausted", "Concurrency", "RequestBudget", "TokenBucket", "parse_rate"]

_RATE: Final = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:/\s*(s|sec|second|m|min|minute|h|hour))?\s*", re.IGNORECASE)
_PER: Final = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0, "h": 3600.0, "hour": 3600.0}


def parse_rate(text: str) -> float:
    """Requests per second for ``10/s``, ``2.5/s``, ``600/min``, ``3600/h`` or ``10``.
    ValueError (with the accepted forms) for anything else, and for a rate of 0."""
    m = _RATE.fullmatch(text)
    if m is None or float(m.group(1)) <= 0:
        raise ValueError(f"a rate is a number above 0 per s, min or h (10/s, 600/min), not {text[:40]!r}")
    return float(m.group(1)) / _PER[(m.group(2) or "s").lower()]


class TokenBucket:
    """At most *rate* acquisitions per second on average, *burst* at once; thread-safe.

    :meth:`acquire` blocks until the caller may go (returning the seconds it waited);
    :meth:`try_acquire` never blocks.  Reservations are served in the order they are made."""

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be above 0 per second, not {rate!r}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, not {burst!r}")
        self.rate = float(rate)
        self.burst = burst
        self._interval = 1.0 / self.rate
        self._tolerance = (burst - 1) * self._interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next: float | None = None  # the theoretical arrival time of the next request

    def _reserve(self, max_wait: float | None) -> float | None:
        """Reserve a slot and return how long to wait for it (None: it would be over *max_wait*)."""
        with self._lock:
            now = self._clock()
            tat = now if self._next is None else max(self._next, now)
            wait = max(tat - self._tolerance - now, 0.0)
            if max_wait is not None and wait > max_wait:
                return None
            self._next = tat + self._interval
            return wait

    def acquire(self, timeout: float | None = None) -> float | None:
        """Wait for a slot and take it; the seconds waited.  With *timeout*, take none and
        return None at once when the wait would be longer."""
        wait = self._reserve(timeout)
        if wait:
            self._sleep(wait)
        return wait

    def try_acquire(self) -> bool:
        """Take a slot if one is free now."""
        return self._reserve(0.0) is not None


class BudgetExhausted(Exception):
    """The run's request budget is spent (``--max-requests``)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request budget of {limit} is spent (--max-requests)")
        self.limit = limit


class RequestBudget:
    """A thread-safe count of the requests a run may still send; *limit* None means no limit."""

    def __init__(self, limit: int | None = None) -> None:
        if limit is not None and limit < 0:
            raise ValueError(f"the request budget must be 0 or more, not {limit!r}")
        self.limit = limit
        self._used = 0
        self._lock = threading.Lock()

    @property
    def used(self) -> int:
        return self._used

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(self.limit - self._used, 0)

    @property
    def exhausted(self) -> bool:
        return self.limit is not None and self._used >= self.limit

    def try_take(self, count: int = 1) -> bool:
        """Take *count* requests if that many are left (all or none)."""
        with self._lock:
            if self.limit is not None and self._used + count > self.limit:
                return False
            self._used += count
            return True

    def take(self, count: int = 1) -> None:
        """Take *count* requests, or raise :class:`BudgetExhausted`."""
        if not self.try_take(count):
            raise BudgetExhausted(self.limit or 0)


class Concurrency:
    """How many checks a run with ``--workers most`` runs at once: more only while the kit would
    otherwise wait more than it works.

    Threads only pay when the kit waits for answers: on a slow server (a real vendor's round trip
    is 100-300 ms) each added thread multiplies the throughput, but against one that answers
    faster than the kit prepares its next request every thread but one waits for the interpreter
    lock, and CPython spends a third more CPU time handing it over (measured here: four threads
    drawing Hypothesis examples cost 1.3-1.45 times one thread's CPU for the same work).  So a run
    starts with one check and :meth:`update` (called every few tens of milliseconds) sizes the
    pool from how busy the kit was over the last *window* seconds: *busy* is the process's CPU
    time over the wall time (1.0: one core's worth, all the interpreter lock gives).  With *k*
    checks allowed and busy *b*, *k* x *target* / *b* checks would make it *target* busy: the
    pool grows to that at once (at most *most*) and shrinks towards it one check a window
    (running checks finish; none is stopped), so a few slow answers do not leave it large.  The
    target is half busy: a second check starts only when answers take over three times the
    kit's own work on a request (against a real vendor, at 100-300 ms a round trip, the pool is
    full after the first window), because each thread added costs CPU as well as saving time.

    The clocks are parameters, so it is tested without running anything."""

    def __init__(
        self,
        most: int,
        *,
        window: float = 0.2,
        target: float = 0.5,
        cpu: Callable[[], float] = time.process_time,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if most < 1:
            raise ValueError(f"--workers must be 1 or more, not {most!r}")
        self.most, self.window, self.target = most, window, target
        self.allowed = 1
        self._cpu, self._clock = cpu, clock
        self._since = (cpu(), clock())

    def update(self) -> int:
        """Re-size the pool when a window has passed; the checks that may run at once."""
        cpu, now = self._cpu(), self._clock()
        elapsed = now - self._since[1]
        if elapsed < self.window:
            return self.allowed
        busy = (cpu - self._since[0]) / elapsed
        self._since = (cpu, now)
        wanted = self.most if busy <= 0 else max(1, min(self.most, int(self.allowed * self.target / busy)))
        self.allowed = wanted if wanted > self.allowed else max(wanted, self.allowed - 1)
        return self.allowed
