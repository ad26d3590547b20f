"""Pacing (conformance/pacing.py): the token bucket holds its rate across threads, the request
budget never over-spends, rates parse as the command line writes them."""

from __future__ import annotations

import itertools
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.pacing import BudgetExhausted, Concurrency, RequestBudget, TokenBucket, parse_rate


class FakeClock:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.mark.parametrize(
    ("text", "per_second"),
    [("10/s", 10.0), ("2.5/s", 2.5), ("600/min", 10.0), ("3600/h", 1.0), ("7", 7.0), (" 5 / sec ", 5.0), (".5/s", 0.5)],
)
def test_rates_parse(text: str, per_second: float) -> None:
    assert parse_rate(text) == pytest.approx(per_second)


@pytest.mark.parametrize("text", ["", "0/s", "-1/s", "10/fortnight", "ten", "10/s/s"])
def test_bad_rates_are_refused_with_the_forms_accepted(text: str) -> None:
    with pytest.raises(ValueError, match="10/s, 600/min"):
        parse_rate(text)


def test_the_bucket_spaces_requests_at_its_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(4, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(9):
        bucket.acquire()
        starts.append(clock.now)
    assert [round(b - a, 9) for a, b in itertools.pairwise(starts)] == [0.25] * 8


def test_a_burst_goes_at_once_then_the_rate_holds() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, burst=3, clock=clock, sleep=clock.sleep)
    assert [bucket.try_acquire() for _ in range(4)] == [True, True, True, False]
    clock.now += 0.1  # one interval later, one more slot
    assert bucket.try_acquire() and not bucket.try_acquire()
    assert bucket.acquire(timeout=0.01) is None  # the next slot is 0.1 s away
    assert bucket.acquire() == pytest.approx(0.1)


def test_an_idle_bucket_does_not_save_up_more_than_its_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2, burst=2, clock=clock, sleep=clock.sleep)
    clock.now += 3600
    assert [bucket.try_acquire() for _ in range(3)] == [True, True, False]


@given(rate=st.floats(0.5, 1000), burst=st.integers(1, 5), count=st.integers(1, 60))
def test_no_window_holds_more_than_the_rate_allows(rate: float, burst: int, count: int) -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate, burst=burst, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(count):
        bucket.acquire()
        times.append(clock.now)
    # any n consecutive requests span at least (n - burst) intervals
    for i in range(count):
        for j in range(i + burst, count):
            assert times[j] - times[i] >= (j - i - burst + 1) / rate - 1e-9


def test_threads_share_one_rate() -> None:
    """8 threads x 5 requests at 200/s: the 40 requests take at least 39 intervals in all."""
    bucket = TokenBucket(200)
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            bucket.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(stamps) == 40
    assert max(stamps) - started >= 39 / 200 - 0.01


def test_the_budget_never_overspends_across_threads() -> None:
    budget = RequestBudget(100)
    taken = []

    def worker() -> None:
        while budget.try_take():
            taken.append(1)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(taken) == 100 and budget.exhausted and budget.remaining == 0
    with pytest.raises(BudgetExhausted, match="budget of 100 is spent"):
        budget.take()


def test_a_budget_takes_all_or_none_and_none_means_unlimited() -> None:
    budget = RequestBudget(3)
    assert budget.try_take(2) and not budget.try_take(2) and budget.try_take(1)
    assert budget.used == 3
    unlimited = RequestBudget()
    assert all(unlimited.try_take() for _ in range(1000)) and unlimited.remaining is None
    with pytest.raises(ValueError):
        RequestBudget(-1)
    with pytest.raises(ValueError):
        TokenBucket(0)


class Meter:
    """A process clock and a wall clock the test moves: *busy* seconds of CPU per second."""

    def __init__(self) -> None:
        self.cpu_seconds, self.wall = 0.0, 0.0

    def spend(self, seconds: float, busy: float) -> None:
        self.wall += seconds
        self.cpu_seconds += seconds * busy


def _concurrency(most: int) -> tuple[Concurrency, Meter]:
    meter = Meter()
    return Concurrency(most, cpu=lambda: meter.cpu_seconds, clock=lambda: meter.wall), meter


def test_a_slow_server_gets_every_worker_at_once() -> None:
    """One check waiting on 50 ms answers keeps the kit 3% busy: all eight workers start."""
    concurrency, meter = _concurrency(8)
    assert concurrency.update() == 1
    meter.spend(0.25, busy=0.03)
    assert concurrency.update() == 8


def test_a_fast_server_keeps_one_check_at_a_time() -> None:
    """Answers in less than three times the kit's own work on a request: the kit is over 25% busy
    with one check, and more threads would cost more CPU than the time they save."""
    concurrency, meter = _concurrency(8)
    for busy in (0.85, 0.9, 1.0, 0.5, 0.3):
        meter.spend(0.25, busy=busy)
        assert concurrency.update() == 1
    assert concurrency.allowed == 1


def test_the_pool_grows_to_what_keeps_the_kit_half_busy_and_shrinks_one_at_a_time() -> None:
    concurrency, meter = _concurrency(8)
    meter.spend(0.25, busy=0.2)  # one check: 20% busy -> 0.5 / 0.2 = 2 checks
    assert concurrency.update() == 2
    meter.spend(0.25, busy=0.1)  # two checks, 10% busy -> 10, at most 8
    assert concurrency.update() == 8
    meter.spend(0.25, busy=1.0)  # fully busy: 4 would do, one fewer a window
    assert concurrency.update() == 7
    meter.spend(0.25, busy=1.0)
    assert concurrency.update() == 6
    meter.spend(0.25, busy=0.5)  # at the target: kept
    assert concurrency.update() == 6
    meter.spend(0.25, busy=0.6)  # a little over: 5 would do
    assert concurrency.update() == 5
    assert concurrency.allowed == 5


def test_it_waits_for_a_whole_window_and_never_passes_its_bounds() -> None:
    concurrency, meter = _concurrency(3)
    meter.spend(0.1, busy=0.0)
    assert concurrency.update() == 1  # under one window: nothing measured yet
    meter.spend(0.15, busy=0.0)  # idle: as many as allowed
    assert concurrency.update() == 3
    for _ in range(5):
        meter.spend(0.25, busy=2.0)
        concurrency.update()
    assert concurrency.allowed == 1
    with pytest.raises(ValueError, match="--workers"):
        Concurrency(0)
