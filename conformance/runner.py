"""Running checks against a target, with progress, and collecting the results."""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable, Iterable
from typing import Any

import attrs

import codec

from .checks import Check, Outcome, catalog
from .context import OrderUnavailable, RunContext, Target, TargetUnreachable
from .judge import Expectation

__all__ = ["CheckResult", "RunReport", "probe_target", "run_checks", "select_checks", "unmet_requirement"]


@attrs.frozen
class CheckResult:
    check: Check
    outcome: Outcome
    duration: float

    @property
    def status(self) -> str:
        return self.outcome.status


@attrs.define
class RunReport:
    target: str
    seed: int
    examples: int
    results: list[CheckResult] = attrs.Factory(list)
    duration: float = 0.0
    requests: int = 0
    secrets: list[str] = attrs.Factory(list)

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def conforming(self) -> bool:
        return not self.failed

    def summary(self) -> dict[str, dict[str, int]]:
        """Per endpoint: passed, failed, skipped, and notes (distinct notes seen)."""
        out: dict[str, dict[str, int]] = {}
        for r in self.results:
            row = out.setdefault(r.check.endpoint, {"passed": 0, "failed": 0, "skipped": 0, "notes": 0})
            row[r.status] += 1
            row["notes"] += len({n.rule for n in r.outcome.notes})
        return out


def select_checks(
    endpoints: Iterable[str] | None = None, only: Iterable[str] | None = None, checks: Iterable[Check] | None = None
) -> list[Check]:
    """The catalog's checks for *endpoints* (any case; all when None) whose ids match a glob in *only*."""
    wanted = {codec.canonical_endpoint(e) for e in endpoints} if endpoints else None
    patterns = list(only or [])
    out = []
    for c in checks if checks is not None else catalog():
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
    exchange = ctx.send("AutoApplyIdA", {}, method="GET")
    if exchange.error is not None:
        raise TargetUnreachable(f"{ctx.target.base_url}: {exchange.error}")
    verdict = ctx.check(exchange, Expectation(codes=frozenset({-17}), row="AutoApplyIdA.codes.-17"))
    # 405: the URL exists and refuses GET, which is for the method check to judge, not a reason not to run
    if verdict.response is None and exchange.status not in (200, 405):
        raise TargetUnreachable(
            f"{ctx.target.base_url}: HTTP {exchange.status} for {exchange.url}; is this the API's base URL (ending /products/)?"
        )


Progress = Callable[[CheckResult, int, int], None]


def run_checks(ctx: RunContext, checks: list[Check], progress: Progress | None = None) -> RunReport:
    """Run *checks* in order; a check whose requirements are unmet is skipped with the reason."""
    report = RunReport(target=ctx.target.base_url, seed=ctx.seed, examples=ctx.examples, secrets=ctx.secrets)
    started = time.perf_counter()
    for i, check in enumerate(checks, 1):
        t0 = time.perf_counter()
        reason = unmet_requirement(check, ctx.target)
        outcome: Outcome
        if reason is not None:
            outcome = Outcome("skipped", reason=reason, examples=0)
        else:
            try:
                outcome = check.run(ctx)
            except OrderUnavailable as exc:
                outcome = Outcome("skipped", reason=str(exc), examples=0)
        result = CheckResult(check, outcome, time.perf_counter() - t0)
        report.results.append(result)
        if progress is not None:
            progress(result, i, len(checks))
    report.duration = time.perf_counter() - started
    report.requests = ctx.sent
    return report


def result_dict(result: CheckResult, secrets: list[str]) -> dict[str, Any]:
    from .report import exchange_dict

    out: dict[str, Any] = result.check.as_dict()
    out.update(
        outcome=result.status,
        duration=round(result.duration, 4),
        examples=result.outcome.examples,
        reason=result.outcome.reason or None,
        findings=[{"severity": f.severity, "rule": f.rule, "message": f.message} for f in result.outcome.findings],
    )
    if result.status == "failed" and result.outcome.exchange is not None:
        out["example"] = exchange_dict(result.outcome.exchange, secrets)
    return out
