"""Running checks against a server: choosing them, checking the target first, running one (or
skipping it), running many.

The command line (:mod:`conformance.cli`) and the pytest plugin (:mod:`conformance.pytest_plugin`)
both check the target with :func:`preflight` before any check (it answers at all, and accepts the
credentials: one valid test order), run a check with :func:`run_check`, so they skip for the same
reasons (:func:`unmet_requirement`, naming each front end's own options), and turn its
:class:`~conformance.checks.Outcome` into the kit's one :class:`~conformance.results.Result` with
:func:`check_result`.  :func:`run_checks` is the whole run loop: it stops early at
``max_failures``, and at a signal or refused credentials it keeps what it collected and marks
the run interrupted.
"""

from __future__ import annotations

import collections
import contextlib
import fnmatch
import secrets as pysecrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import codec

from .checks import FAMILIES, Check, Outcome, catalog
from .context import RunContext, Target, TargetUnreachable
from .endpoints import OrderUnavailable, ordering_endpoint, place_order
from .interpreter import fewer_collections, kit_sources_not_local, one_ast_parse_at_a_time, shorter_turns
from .judge import Expectation
from .pacing import Concurrency
from .results import CredentialsRefused, Exchange, Finding, Result, Run, RunStopped
from .versions import describe

__all__ = [
    "ACCOUNT_FREE",
    "check_result",
    "embedded_target",
    "preflight",
    "probe_target",
    "run_check",
    "run_checks",
    "select_checks",
    "unmet_requirement",
]

ACCOUNT_FREE = "account-free checks only"
"""The scope a run without an account (``--no-account``) states in its verdict."""

_ACCOUNT = frozenset({"login", "credentials", "sasp", "order"})


def select_checks(
    endpoints: Iterable[str] | None = None,
    only: Iterable[str] | None = None,
    checks: Iterable[Check] | None = None,
    versions: Mapping[str, str] | None = None,
) -> list[Check]:
    """The catalog's checks for *endpoints* (any case; all when None) that match one of *only*: a
    family name (``over-length``) or a glob on check ids (``*/over-length/*``), any case; made from
    the tables of the document *versions* (default: each endpoint's newest).  ValueError for an
    unknown endpoint, or a pattern that matches none of them."""
    wanted = {codec.canonical_endpoint(e) for e in endpoints} if endpoints else None
    patterns = list(only or [])
    pool = [c for c in (checks if checks is not None else catalog(versions)) if wanted is None or c.endpoint in wanted]
    if not patterns:
        return pool
    matched = {p: [c for c in pool if _matches(c, p)] for p in patterns}
    for p, found in matched.items():
        if not found:
            raise ValueError(
                f"{p!r} matches no check: give a family ({', '.join(sorted(FAMILIES))}) or a glob on check ids "
                "such as '*/over-length/*' (python -m conformance checks lists them)"
            )
    return [c for c in pool if any(c in found for found in matched.values())]


def _matches(check: Check, pattern: str) -> bool:
    if pattern.lower() == check.family:
        return True
    return fnmatch.fnmatchcase(check.id, pattern) or fnmatch.fnmatchcase(check.id.lower(), pattern.lower())


def unmet_requirement(check: Check, target: Target, prefix: str = "--") -> str | None:
    """Why *check* cannot run against *target*, or None.  Options are named with *prefix*
    (``--`` for the command line, ``--comodo-`` for the pytest plugin)."""
    has_login = target.has_login
    for need in sorted(check.requires):
        if target.no_account and need in _ACCOUNT:
            return f"needs an account ({prefix}no-account runs the {ACCOUNT_FREE})"
        if need == "login" and not has_login:
            return f"needs {prefix}login-name and {prefix}login-password"
        if need == "credentials" and not (has_login or target.sasp_session_id):
            return f"needs {prefix}login-name/{prefix}login-password or {prefix}sasp-session-id"
        if need == "sasp" and not target.sasp_session_id:
            return f"needs {prefix}sasp-session-id"
        if need == "check_auth" and not target.check_auth:
            return f"sends wrong credentials: runs only with {prefix}check-auth"
        if need == "plain_url":
            if not target.is_https:
                return "the target URL is plain HTTP, so the HTTPS requirement cannot be checked"
            if not target.plain_url:
                return f"needs {prefix}plain-url (the same server over plain HTTP)"
        if need == "order" and not has_login and not target.order_number:
            return f"needs {prefix}login-name/{prefix}login-password to place a test order (or {prefix}order-number)"
    return None


# ---------------------------------------------------------------------------- before any check


def _unreachable(ctx: RunContext, exchange: Exchange, decoded: bool) -> TargetUnreachable | None:
    """Why *exchange* shows the target is not the API at all (no answer, or an HTTP error page
    where the API's base URL should be), or None."""
    if exchange.error is not None:
        return TargetUnreachable(f"{ctx.target.base_url}: {exchange.error}")
    # 405: the URL exists and refuses GET, which is for the method check to judge, not a reason not to run
    if not decoded and exchange.status not in (200, 405):
        return TargetUnreachable(
            f"{ctx.target.base_url}: HTTP {exchange.status} for {exchange.url}; "
            "is this the API's base URL (ending /products/)?"
        )
    return None


def probe_target(ctx: RunContext) -> None:
    """Raise TargetUnreachable with a one-line reason when the target does not answer at all
    (a GET without variables: for a run without an account, which has no valid request to send)."""
    endpoint = min(codec.ENDPOINTS)
    exchange = ctx.send(endpoint, {}, method="GET")
    verdict = ctx.check(exchange, Expectation(codes=frozenset({-17}), row=f"{endpoint}.codes.-17"))
    problem = _unreachable(ctx, exchange, verdict.response is not None)
    if problem is not None:
        raise problem


def preflight(ctx: RunContext) -> str:
    """Check the target before any check, and say what was found: it answers, and -- with an
    account -- it accepts the credentials, shown by one valid test order (test=Y), which becomes
    the run's order for the checks that need one.

    TargetUnreachable when it does not answer as the API; CredentialsRefused (one line, the
    server's message) when it answers -16: the run must not start, and nothing else is sent with
    those credentials."""
    endpoint = ordering_endpoint()
    if not ctx.login_part(endpoint):
        probe_target(ctx)
        return "no account: only the account-free checks run"
    try:
        number = place_order(ctx, validated="N")
    except OrderUnavailable as exc:
        problem = _unreachable(ctx, ctx.last, False) if ctx.last is not None else None
        if problem is not None:
            raise problem from None
        return f"credentials not refused, but no test order: {exc}"
    ctx.adopt_order(number)
    return f"credentials accepted: test order {number} placed (test=Y)"


# ---------------------------------------------------------------------------- one check, many


def run_check(check: Check, ctx: RunContext, prefix: str = "--") -> Outcome:
    """Run *check*, or skip it: when the target does not meet its requirements (the reason names
    options with *prefix*), or no test order could be placed for it."""
    reason = unmet_requirement(check, ctx.target, prefix)
    if reason is not None:
        return Outcome("skipped", reason=reason, examples=0)
    try:
        return check.run(ctx)
    except OrderUnavailable as exc:
        return Outcome("skipped", reason=str(exc), examples=0)


def check_result(check: Check, outcome: Outcome, duration: float) -> Result:
    """*check*'s *outcome* as a result (the example shown only when it failed)."""
    details = check.as_dict()
    for key in ("id", "cites"):
        details.pop(key)
    return Result(
        id=check.id,
        group=check.endpoint,
        status=outcome.status,
        findings=outcome.findings,
        cites=check.cites,
        expects=check.expects,
        example=outcome.exchange if outcome.status == "failed" else None,
        duration=duration,
        examples=outcome.examples,
        reason=outcome.reason,
        details=details,
    )


Progress = Callable[[Result, int, int], None]

_RESIZE_EVERY: Final = 0.05  # seconds between the supervisor's looks at how busy the kit is


def planned_requests(checks: Iterable[Check], target: Target, examples: int) -> int:
    """The most requests a run of *checks* against *target* sends when every check passes: the
    credentials check and each check that will run (a failing Hypothesis check sends more as it
    shrinks; ``--max-requests`` caps it)."""
    return 1 + sum(c.planned(examples) for c in checks if unmet_requirement(c, target) is None)


def _refused_outcome(check: Check, ctx: RunContext, exc: CredentialsRefused) -> Outcome:
    finding = Finding(
        "failure",
        f"{check.endpoint}.codes.-16",
        f"{exc}; the run stopped so that no further request carries refused credentials",
    )
    return Outcome("failed", (finding,), ctx.last)


class _Loop:
    """One run's loop: runs a check on a context of its own and keeps its result by catalog
    index (reports list results in catalog order, whatever order they finish in)."""

    def __init__(self, ctx: RunContext, checks: list[Check], progress: Progress | None, max_failures: int | None):
        self.ctx, self.checks, self.progress, self.max_failures = ctx, checks, progress, max_failures
        self.results: dict[int, Result] = {}
        self.failed = 0
        self.enough = ""  # why --max-failures ended the run (the verdict stands)
        self.refused = False
        self.lock = threading.Lock()

    def one(self, i: int) -> None:
        """Run check *i* (0-based) and keep its result; RunStopped (and CredentialsRefused, after
        keeping the check that saw it) propagate."""
        check = self.checks[i]
        view = self.ctx.for_check(check.id)
        t0 = time.perf_counter()
        try:
            outcome = run_check(check, view)
        except CredentialsRefused as exc:
            with self.lock:  # the check that saw the refusal first fails; others in flight are left out
                first, self.refused = not self.refused, True
            if first:
                self.keep(i, check_result(check, _refused_outcome(check, view, exc), time.perf_counter() - t0))
            raise
        self.keep(i, check_result(check, outcome, time.perf_counter() - t0))

    def keep(self, i: int, result: Result) -> None:
        with self.lock:
            if self.enough:  # a check that finished after --max-failures ended the run: left out
                return
            self.results[i] = result
            self.failed += result.status == "failed"
            if self.progress is not None:
                self.progress(result, i + 1, len(self.checks))
            if self.max_failures is None or self.enough or self.failed < self.max_failures:
                return
            if len(self.results) < len(self.checks):
                self.enough = f"stopped after {self.failed} failed check(s) (--max-failures {self.max_failures})"
                self.ctx.stop(self.enough)

    def sequential(self) -> None:
        for i in range(len(self.checks)):
            if self.enough:
                return
            if self.ctx.stopped:
                raise RunStopped(self.ctx.stopped)
            self.one(i)

    def parallel(self, workers: int, deadline: float | None) -> None:
        """The checks on up to *workers* threads, the longest first (each check's own probes stay
        in order on one thread), more than one at once only while the kit would wait for answers
        more than it works (:class:`Concurrency`); the first RunStopped stops the others at their
        next request."""
        order = sorted(range(len(self.checks)), key=lambda i: -self.checks[i].planned(self.ctx.examples))
        with shorter_turns(), one_ast_parse_at_a_time():
            self._parallel(Concurrency(workers), deadline, order)

    def _parallel(self, concurrency: Concurrency, deadline: float | None, order: list[int]) -> None:
        """Worker *k* takes the next waiting check while more than *k* may run at once, and waits
        (parked, its thread kept warm) while no more may.  The run's own thread is worker 0, so
        with one allowed every check runs there, one after another, as a sequential run does (no
        thread waits for the interpreter lock, and none starts cold: Hypothesis keeps some of its
        caches per thread).  A supervisor thread re-sizes the pool (:class:`Concurrency`) every
        :data:`_RESIZE_EVERY` seconds, starting or waking workers 1 and up, and stops the run at
        its deadline.  The first exception a check raises stops the others at their next request,
        and is raised here when all have ended."""
        waiting = collections.deque(order)
        lock = threading.Lock()
        resized = threading.Condition(lock)  # the pool's size changed, or the run's end is near
        failures: list[BaseException] = []
        workers: dict[int, threading.Thread] = {}
        done = threading.Event()

        def work(k: int) -> None:
            while True:
                with resized:
                    while waiting and not self.ctx.stopped and not done.is_set() and k >= concurrency.allowed:
                        resized.wait()
                    if not waiting or self.ctx.stopped or done.is_set():
                        return
                    i = waiting.popleft()
                try:
                    self._guarded(i)
                except (KeyboardInterrupt, SystemExit):
                    raise  # only the run's own thread sees these
                except BaseException as exc:
                    if not (isinstance(exc, RunStopped) and self.enough and str(exc) == self.enough):
                        self.ctx.stop(str(exc) or type(exc).__name__)  # the others stop at their next request
                        with lock:
                            failures.append(exc)
                    return

        def supervise() -> None:
            while not done.is_set():
                if deadline is not None and time.monotonic() >= deadline:
                    self.ctx.stop("the run reached its --max-duration")
                with resized:
                    for k in range(1, concurrency.update()):
                        if waiting and not self.ctx.stopped and k not in workers:
                            workers[k] = threading.Thread(target=work, args=(k,), name=f"conformance-check-{k}")
                            workers[k].start()
                    resized.notify_all()  # parked workers look again: the pool may have grown, the run stopped
                timeout = _RESIZE_EVERY
                if deadline is not None:
                    timeout = min(timeout, max(deadline - time.monotonic(), 0) + 0.01)
                done.wait(timeout)

        supervisor = threading.Thread(target=supervise, name="conformance-workers")
        supervisor.start()
        try:
            while True:  # worker 0 ends when no check is left (or the run stopped): the others then end too
                work(0)
                with resized:
                    resized.notify_all()
                    others = [t for t in workers.values() if t.is_alive()]
                if not others and (not waiting or self.ctx.stopped):
                    break
                if others:
                    others[0].join(_RESIZE_EVERY)
        except BaseException as exc:  # Ctrl-C: the workers stop at their next request
            self.ctx.stop("interrupted (Ctrl-C)" if isinstance(exc, KeyboardInterrupt) else str(exc))
            raise
        finally:
            done.set()
            with resized:
                resized.notify_all()
            supervisor.join()
            for t in list(workers.values()):
                t.join()
        if failures:
            raise failures[0]

    def _guarded(self, i: int) -> None:
        if self.ctx.stopped:
            raise RunStopped(self.ctx.stopped)
        self.one(i)


def run_checks(
    ctx: RunContext,
    checks: list[Check],
    progress: Progress | None = None,
    *,
    max_failures: int | None = None,
    scope: str = "",
    workers: int = 1,
) -> Run:
    """Run *checks* (see :func:`run_check`), on *workers* threads at once; *progress* sees each
    result as it finishes (with its catalog index).  Results are in catalog order and the same
    whatever *workers*: each check's probes stay in order on one thread.

    Stops after *max_failures* failed checks (the run keeps its verdict; checks still running
    stop at their next request and are left out).  At Ctrl-C, a :class:`~conformance.results.RunStopped` (SIGTERM, as the command line
    raises it; the run's request budget or deadline, from :class:`~conformance.context.Pacing`)
    or credentials the server refused (the check that saw it fails), it stops at once: the run
    keeps every result collected and is marked interrupted (no verdict)."""
    target = ctx.target
    run = Run(
        mode="server",
        noun="check",
        scrubber=ctx.scrubber,
        info={
            "target": target.base_url,
            "seed": ctx.seed,
            "examples": ctx.examples,
            "workers": workers,
            "documents": describe(target.versions),
        },
        seed=ctx.seed,
        ca_file=target.verify if isinstance(target.verify, str) else None,
        planned=len(checks),
        scope=scope,
        replay=target.replay_env,
    )
    loop = _Loop(ctx, checks, progress, max_failures)
    kit_sources_not_local()
    started = time.perf_counter()
    try:
        with fewer_collections():
            if workers > 1:
                loop.parallel(workers, ctx.deadline)
            else:
                loop.sequential()
    except KeyboardInterrupt:
        run.interrupted, run.stopped = True, "interrupted (Ctrl-C)"
    except RunStopped as exc:
        run.interrupted, run.stopped = True, str(exc)
    finally:
        run.results = [loop.results[i] for i in sorted(loop.results)]
        if not run.interrupted and loop.enough:
            run.stopped = loop.enough
        run.duration = time.perf_counter() - started
        run.requests = ctx.sent
        run.info["requests"] = ctx.sent
    return run


@contextlib.contextmanager
def embedded_target(
    data_dir: str | Path | None = None, versions: Mapping[str, str] | None = None
) -> Iterator[dict[str, Any]]:
    """Start the reference server on loopback (TLS, plain port, throw-away account and SASP id),
    speaking the document *versions* (default: each endpoint's newest); its test CA is kept in
    *data_dir* (default: a temporary folder, removed afterwards)."""
    from .reference.serve import running_server  # only a run of the embedded server needs it

    name = "conformance"
    password = pysecrets.token_urlsafe(18)
    sasp = pysecrets.token_hex(8)
    with running_server(
        accounts=[(name, password)],
        sasp_sessions=[(sasp, name)],
        plain_port=True,
        db=":memory:",
        data_dir=data_dir,
        versions=dict(versions or {}),
    ) as server:
        yield {
            "url": server.base_url,
            "plain_url": server.plain_url,
            "login_name": name,
            "login_password": password,
            "sasp_session_id": sasp,
            "cacert": server.ca_file,
            "check_auth": True,
        }
