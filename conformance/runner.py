"""Running checks against a server: choosing them, running one (or skipping it), running many.

The command line (:mod:`conformance.cli`) and the pytest plugin (:mod:`conformance.pytest_plugin`)
both run a check with :func:`run_check`, so they skip for the same reasons, and turn its
:class:`~conformance.checks.Outcome` into the kit's one :class:`~conformance.results.Result`
with :func:`check_result`.
"""

from __future__ import annotations

import contextlib
import fnmatch
import secrets as pysecrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import codec

from .checks import Check, Outcome, catalog
from .context import RunContext, Target, TargetUnreachable
from .endpoints import OrderUnavailable
from .judge import Expectation
from .reference.serve import running_server
from .results import Result, Run
from .versions import describe

__all__ = [
    "check_result",
    "embedded_target",
    "probe_target",
    "run_check",
    "run_checks",
    "select_checks",
    "unmet_requirement",
]


def select_checks(
    endpoints: Iterable[str] | None = None,
    only: Iterable[str] | None = None,
    checks: Iterable[Check] | None = None,
    versions: Mapping[str, str] | None = None,
) -> list[Check]:
    """The catalog's checks for *endpoints* (any case; all when None) whose ids match a glob in
    *only*, made from the tables of the document *versions* (default: each endpoint's newest)."""
    wanted = {codec.canonical_endpoint(e) for e in endpoints} if endpoints else None
    patterns = list(only or [])
    out = []
    for c in checks if checks is not None else catalog(versions):
        if wanted is not None and c.endpoint not in wanted:
            continue
        if patterns and not any(
            fnmatch.fnmatchcase(c.id, p) or fnmatch.fnmatchcase(c.id.lower(), p.lower()) for p in patterns
        ):
            continue
        out.append(c)
    return out


def unmet_requirement(check: Check, target: Target) -> str | None:
    """Why *check* cannot run against *target*, or None."""
    has_login = bool(target.login_name and target.login_password)
    for need in sorted(check.requires):
        if need == "login" and not has_login:
            return "needs --login-name and --login-password"
        if need == "credentials" and not (has_login or target.sasp_session_id):
            return "needs --login-name/--login-password or --sasp-session-id"
        if need == "sasp" and not target.sasp_session_id:
            return "needs --sasp-session-id"
        if need == "check_auth" and not target.check_auth:
            return "sends wrong credentials: runs only with --check-auth"
        if need == "plain_url":
            if not target.is_https:
                return "the target URL is plain HTTP, so the HTTPS requirement cannot be checked"
            if not target.plain_url:
                return "needs --plain-url (the same server over plain HTTP)"
        if need == "order" and not has_login and not target.order_number:
            return "needs --login-name/--login-password to place a test order (or --order-number)"
    return None


def probe_target(ctx: RunContext) -> None:
    """Raise TargetUnreachable with a one-line reason when the target does not answer at all."""
    endpoint = min(codec.ENDPOINTS)
    exchange = ctx.send(endpoint, {}, method="GET")
    if exchange.error is not None:
        raise TargetUnreachable(f"{ctx.target.base_url}: {exchange.error}")
    verdict = ctx.check(exchange, Expectation(codes=frozenset({-17}), row=f"{endpoint}.codes.-17"))
    # 405: the URL exists and refuses GET, which is for the method check to judge, not a reason not to run
    if verdict.response is None and exchange.status not in (200, 405):
        raise TargetUnreachable(
            f"{ctx.target.base_url}: HTTP {exchange.status} for {exchange.url}; is this the API's base URL (ending /products/)?"
        )


def run_check(check: Check, ctx: RunContext) -> Outcome:
    """Run *check*, or skip it: when the target does not meet its requirements, or no test order
    could be placed for it."""
    reason = unmet_requirement(check, ctx.target)
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


def run_checks(ctx: RunContext, checks: list[Check], progress: Progress | None = None) -> Run:
    """Run *checks* in order (see :func:`run_check`); *progress* sees each result as it comes."""
    target = ctx.target
    run = Run(
        mode="server",
        noun="check",
        secrets=ctx.secrets,
        info={
            "target": target.base_url,
            "seed": ctx.seed,
            "examples": ctx.examples,
            "documents": describe(target.versions),
        },
        seed=ctx.seed,
        ca_file=target.verify if isinstance(target.verify, str) else None,
    )
    started = time.perf_counter()
    for i, check in enumerate(checks, 1):
        t0 = time.perf_counter()
        result = check_result(check, run_check(check, ctx), time.perf_counter() - t0)
        run.results.append(result)
        if progress is not None:
            progress(result, i, len(checks))
    run.duration = time.perf_counter() - started
    run.requests = ctx.sent
    run.info["requests"] = ctx.sent
    return run


@contextlib.contextmanager
def embedded_target(versions: Mapping[str, str] | None = None) -> Iterator[dict[str, Any]]:
    """Start the reference server on loopback (TLS, plain port, throw-away account and SASP id),
    speaking the document *versions* (default: each endpoint's newest)."""
    name = "conformance"
    password = pysecrets.token_urlsafe(18)
    sasp = pysecrets.token_hex(8)
    with running_server(
        accounts=[(name, password)],
        sasp_sessions=[(sasp, name)],
        plain_port=True,
        db=":memory:",
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
