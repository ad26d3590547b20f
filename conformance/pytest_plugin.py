"""pytest plugin: ``pytest --comodo-url=URL`` runs the conformance checks as pytest items.

Registered as the ``pytest11`` entry point ``comodo_conformance``, so it is active wherever the
kit is installed, and does nothing until ``--comodo-url`` is given.  Each check of the catalog
becomes one item, ``comodo-conformance::ENDPOINT/FAMILY/VARIABLE``, so ``-k``, ``--junitxml``
(each testcase carries a ``check_id`` property) and pytest-xdist's ``-n`` work as for any test.
``--comodo-url=embedded`` checks the reference server, started once per test process.

Secrets come from options or the environment (COMODO_LOGIN_NAME, COMODO_LOGIN_PASSWORD,
COMODO_SASP_SESSION_ID) and never appear in a failure report.

The strategies in :mod:`conformance.strategies` are public: use them in your own Hypothesis tests.
The ``comodo_context`` fixture gives your own tests the run's :class:`~conformance.context.RunContext`.
"""

from __future__ import annotations

import contextlib
import os
import random
from typing import Any

import pytest

from . import DEFAULT_EXAMPLES

__all__ = ["comodo_context", "pytest_addoption", "pytest_collection_modifyitems"]

_KEY = "_comodo_conformance"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("comodo-conformance", "Comodo reseller API conformance checks")
    group.addoption(
        "--comodo-url", help="base URL ending /products/ of the server to check ('embedded': the reference server)"
    )
    group.addoption("--comodo-plain-url", help="the same server over plain HTTP (for the -1 check)")
    group.addoption(
        "--comodo-login-name", default=os.environ.get("COMODO_LOGIN_NAME"), help="account name (env COMODO_LOGIN_NAME)"
    )
    group.addoption("--comodo-login-password", default=None, help="account password (prefer env COMODO_LOGIN_PASSWORD)")
    group.addoption("--comodo-sasp-session-id", default=None, help="SASP session id (env COMODO_SASP_SESSION_ID)")
    group.addoption("--comodo-endpoint", action="append", help="only this endpoint (repeatable)")
    group.addoption("--comodo-only", action="append", metavar="GLOB", help="only checks whose id matches (repeatable)")
    group.addoption(
        "--comodo-examples", type=int, default=DEFAULT_EXAMPLES, help="Hypothesis examples per property check"
    )
    group.addoption("--comodo-seed", type=int, default=None, help="Hypothesis seed (default: random)")
    group.addoption("--comodo-cacert", help="CA file to verify the server's certificate")
    group.addoption("--comodo-insecure", action="store_true", help="do not verify the server's certificate")
    group.addoption("--comodo-check-auth", action="store_true", help="also send wrong credentials")
    group.addoption("--comodo-order-number", help="an existing order for click-through checks")


class ConformanceCollector(pytest.Collector):
    """The parent of the check items (no file behind it)."""

    def collect(self) -> list[pytest.Item]:  # pragma: no cover - items are added directly
        return []


class CheckFailed(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class CheckItem(pytest.Item):
    """One conformance check."""

    def __init__(self, *, check_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check_id = check_id
        self.user_properties.append(("check_id", check_id))

    def runtest(self) -> None:
        from .checks import check_by_id
        from .report import failure_block
        from .runner import check_result, run_check

        ctx = _context(self.config)
        check = check_by_id(self.check_id)
        self.user_properties.append(("cites", check.cites))
        outcome = run_check(check, ctx)
        for note in outcome.notes:
            self.user_properties.append(("note", f"{note.rule}: {note.message}"))
        if outcome.status == "skipped":
            pytest.skip(outcome.reason)
        if outcome.status == "failed":
            raise CheckFailed(failure_block(check_result(check, outcome, 0.0), ctx.secrets))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CheckFailed):
            return excinfo.value.text
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int, str]:
        return "comodo-conformance", 0, self.check_id


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--comodo-url"):
        return
    from .runner import select_checks

    parent = ConformanceCollector.from_parent(session, name="comodo-conformance")
    for check in select_checks(config.getoption("--comodo-endpoint"), config.getoption("--comodo-only")):
        items.append(CheckItem.from_parent(parent, name=check.id, check_id=check.id))


def _context(config: pytest.Config) -> Any:
    """The process's RunContext, made on first use (and the embedded server, if asked for)."""
    state = getattr(config, _KEY, None)
    if state is not None:
        return state["ctx"]
    from .context import RunContext, Target, TargetUnreachable
    from .runner import embedded_target, probe_target

    stack = contextlib.ExitStack()
    url = config.getoption("--comodo-url")
    opts = {
        "plain_url": config.getoption("--comodo-plain-url"),
        "login_name": config.getoption("--comodo-login-name"),
        "login_password": config.getoption("--comodo-login-password") or os.environ.get("COMODO_LOGIN_PASSWORD"),
        "sasp_session_id": config.getoption("--comodo-sasp-session-id") or os.environ.get("COMODO_SASP_SESSION_ID"),
        "check_auth": config.getoption("--comodo-check-auth"),
    }
    verify: str | bool = (
        False if config.getoption("--comodo-insecure") else (config.getoption("--comodo-cacert") or True)
    )
    if url == "embedded":
        settings = stack.enter_context(embedded_target())
        url = settings["url"]
        verify = settings["cacert"]
        opts = {k: settings[k] for k in opts}
    seed = config.getoption("--comodo-seed")
    target = Target(base_url=url, verify=verify, order_number=config.getoption("--comodo-order-number"), **opts)
    ctx = RunContext(
        target,
        seed=seed if seed is not None else random.SystemRandom().randrange(2**32),
        examples=config.getoption("--comodo-examples"),
    )
    stack.callback(ctx.close)
    try:
        probe_target(ctx)
    except TargetUnreachable as exc:
        stack.close()
        raise pytest.UsageError(f"comodo-conformance: cannot reach the server: {exc}") from None
    setattr(config, _KEY, {"ctx": ctx, "stack": stack})
    config.add_cleanup(stack.close)
    return ctx


@pytest.fixture
def comodo_context(request: pytest.FixtureRequest) -> Any:
    """The conformance run's context (target, HTTP client, baselines) for your own tests."""
    if not request.config.getoption("--comodo-url"):
        pytest.skip("needs --comodo-url")
    return _context(request.config)
