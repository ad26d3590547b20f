"""pytest plugin: ``pytest --comodo-url=URL`` runs the conformance checks as pytest items.

Registered as the ``pytest11`` entry point ``comodo_conformance``, so it is active wherever the
kit is installed, and does nothing until ``--comodo-url`` is given.  Each check of the catalog
becomes one item, ``ENDPOINT::CHECK_ID`` (``AutoApplyIdA::AutoApplyIdA/missing/postalCode``): in
JUnit (``--junitxml``) its classname is the endpoint and its name the check id (with ``check_id``
and ``cites`` properties); ``-k`` and pytest-xdist's ``-n`` work as for any test; and a node id
printed in a failure can be passed back to pytest to rerun that one check.
``--comodo-url=embedded`` checks the reference server, started once per test process.

It follows the command line's rules: with a URL, the run needs an account (``--comodo-login-name``
with a password, or ``--comodo-sasp-session-id``) or an explicit ``--comodo-no-account`` -- else a
usage error at session start, not a hundred skipped items; one valid test order checks the
credentials before any item (-16 is a usage error, and nothing else is sent with them); skip
reasons name the plugin's own options; ``--comodo-lenient`` as ``--lenient``.

Secrets come from options or the environment (COMODO_LOGIN_NAME, COMODO_LOGIN_PASSWORD,
COMODO_SASP_SESSION_ID) and never appear in a failure report.

The strategies in :mod:`conformance.strategies` are public: use them in your own Hypothesis tests.
The ``comodo_context`` fixture gives your own tests the run's :class:`~conformance.context.RunContext`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
from typing import Any

import pytest

from . import DEFAULT_EXAMPLES

__all__ = ["comodo_context", "pytest_addoption", "pytest_collection_modifyitems"]

_KEY = "_comodo_conformance"
_PREFIX = "--comodo-"
EMBEDDED = "embedded"
# a node id of a check: ENDPOINT::ENDPOINT/FAMILY[/VARIABLE]
_NODE_ID = re.compile(r"(?P<endpoint>\w+)::(?P<check>(?P=endpoint)/[^\s:]+)")


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
    group.addoption("--comodo-no-account", action="store_true", help="no account: run only the checks that need none")
    group.addoption("--comodo-endpoint", action="append", help="only this endpoint (repeatable)")
    group.addoption(
        "--comodo-only", action="append", metavar="FAMILY|GLOB", help="only a family, or checks whose id matches"
    )
    group.addoption(
        "--comodo-examples", type=int, default=DEFAULT_EXAMPLES, help="Hypothesis examples per property check"
    )
    group.addoption("--comodo-seed", type=int, default=None, help="Hypothesis seed (default: random)")
    group.addoption("--comodo-cacert", help="CA file (PEM) to verify the server's certificate")
    group.addoption("--comodo-insecure", action="store_true", help="do not verify the server's certificate")
    group.addoption("--comodo-check-auth", action="store_true", help="also send wrong credentials")
    group.addoption("--comodo-order-number", help="an existing order for click-through checks")
    group.addoption(
        "--comodo-lenient", action="store_true", help="answers taking a reading only receivers may take are notes"
    )
    # the checks named by node id on the command line (see pytest_load_initial_conftests)
    group.addoption("--comodo-node-id", action="append", default=[], help=argparse.SUPPRESS)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """A check's node id on the command line (``AutoApplyIdA::AutoApplyIdA/missing/postalCode``,
    as pytest prints it) names no file: it becomes ``--comodo-node-id``, so it reruns that check."""
    for i, arg in enumerate(args):
        if _NODE_ID.fullmatch(arg):
            args[i] = f"--comodo-node-id={arg}"


def _target_options(config: pytest.Config) -> dict[str, Any]:
    """The account and options the plugin was given (nothing from the account with --comodo-no-account)."""
    no_account = bool(config.getoption("--comodo-no-account"))
    password = config.getoption("--comodo-login-password") or os.environ.get("COMODO_LOGIN_PASSWORD")
    sasp = config.getoption("--comodo-sasp-session-id") or os.environ.get("COMODO_SASP_SESSION_ID")
    return {
        "plain_url": config.getoption("--comodo-plain-url"),
        "login_name": None if no_account else config.getoption("--comodo-login-name"),
        "login_password": None if no_account else password,
        "sasp_session_id": None if no_account else sasp,
        "check_auth": bool(config.getoption("--comodo-check-auth")),
        "no_account": no_account,
    }


def pytest_configure(config: pytest.Config) -> None:
    """Refuse, as a usage error at session start, what the command line refuses before a request:
    a URL that does not parse, a CA file that is not PEM, --comodo-only matching nothing, and a URL
    without an account (or --comodo-no-account)."""
    url = config.getoption("--comodo-url", None)
    if not url:
        return
    from .arguments import check_base_url, check_ca_file
    from .runner import select_checks

    try:
        select_checks(config.getoption("--comodo-endpoint"), config.getoption("--comodo-only"))
        if url != EMBEDDED:
            check_base_url(url, "--comodo-url")
            if config.getoption("--comodo-plain-url"):
                check_base_url(config.getoption("--comodo-plain-url"), "--comodo-plain-url", schemes=("http",))
            if config.getoption("--comodo-cacert"):
                check_ca_file(config.getoption("--comodo-cacert"), "--comodo-cacert")
    except ValueError as exc:
        raise pytest.UsageError(f"comodo-conformance: {exc}") from None
    options = _target_options(config)
    has_login = options["login_name"] and options["login_password"]
    if url != EMBEDDED and not options["no_account"] and not has_login and not options["sasp_session_id"]:
        raise pytest.UsageError(
            "comodo-conformance: --comodo-url needs an account: --comodo-login-name (or $COMODO_LOGIN_NAME) with "
            "--comodo-login-password (or $COMODO_LOGIN_PASSWORD), or --comodo-sasp-session-id (or "
            "$COMODO_SASP_SESSION_ID); --comodo-no-account runs only the account-free checks"
        )


def pytest_sessionstart(session: pytest.Session) -> None:
    """Check the target before any item, once (in the controller under xdist): it answers, and
    accepts the credentials; a refusal is a usage error."""
    config = session.config
    if not config.getoption("--comodo-url", None) or hasattr(config, "workerinput") or config.option.collectonly:
        return
    if config.getoption("--comodo-url") == EMBEDDED and config.pluginmanager.hasplugin("dsession"):
        return  # each xdist worker starts its own embedded server: nothing to check here
    _context(config, preflight=True)


class ConformanceCollector(pytest.Collector):
    """The parent of one endpoint's check items (no file behind it): its name is the endpoint."""

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
        from .results import CredentialsRefused
        from .runner import check_result, run_check

        ctx = _context(self.config)
        check = check_by_id(self.check_id)
        self.user_properties.append(("cites", check.cites))
        try:
            outcome = run_check(check, ctx, _PREFIX)
        except CredentialsRefused as exc:
            self.session.shouldstop = str(exc)
            raise CheckFailed(f"FAIL {self.check_id}\n  {exc}; no further request carries these credentials") from None
        for note in outcome.notes:
            self.user_properties.append(("note", f"{note.rule}: {note.message}"))
        if outcome.status == "skipped":
            pytest.skip(outcome.reason)
        if outcome.status == "failed":
            target = ctx.target
            ca_file = target.verify if isinstance(target.verify, str) else None
            result = check_result(check, outcome, 0.0)
            raise CheckFailed(failure_block(result, ctx.scrubber, ca_file, target.replay_env))

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

    named = [_NODE_ID.fullmatch(n) for n in config.getoption("--comodo-node-id")]
    wanted = {m.group("check") for m in named if m is not None}
    collectors: dict[str, ConformanceCollector] = {}
    for check in select_checks(config.getoption("--comodo-endpoint"), config.getoption("--comodo-only")):
        if wanted and check.id not in wanted:
            continue
        if check.endpoint not in collectors:
            # node id ENDPOINT (as a file's would be): items are ENDPOINT::CHECK_ID, JUnit classname ENDPOINT
            collectors[check.endpoint] = ConformanceCollector.from_parent(
                session, name=check.endpoint, nodeid=check.endpoint
            )
        items.append(CheckItem.from_parent(collectors[check.endpoint], name=check.id, check_id=check.id))
    if wanted:  # a rerun by node id: only those checks (pytest collected the folder's own tests too)
        others = [item for item in items if not isinstance(item, CheckItem)]
        if others:
            config.hook.pytest_deselected(items=others)
            items[:] = [item for item in items if isinstance(item, CheckItem)]


def _context(config: pytest.Config, *, preflight: bool = False) -> Any:
    """The process's RunContext, made on first use (and the embedded server, if asked for);
    *preflight*: check the target first (a usage error when it does not answer or refuses the
    credentials)."""
    state = getattr(config, _KEY, None)
    if state is not None:
        return state["ctx"]
    from .context import RunContext, Target, TargetUnreachable
    from .results import CredentialsRefused
    from .runner import embedded_target
    from .runner import preflight as check_target

    stack = contextlib.ExitStack()
    url = config.getoption("--comodo-url")
    opts = _target_options(config)
    verify: str | bool = (
        False if config.getoption("--comodo-insecure") else (config.getoption("--comodo-cacert") or True)
    )
    if url == EMBEDDED:
        settings = stack.enter_context(embedded_target())
        url = settings["url"]
        verify = settings["cacert"]
        opts.update({k: settings[k] for k in opts if k in settings and not opts["no_account"]})
        opts["plain_url"] = settings["plain_url"]
    seed = config.getoption("--comodo-seed")
    target = Target(
        base_url=url if url.endswith("/") else url + "/",
        verify=verify,
        order_number=config.getoption("--comodo-order-number"),
        **opts,
    )
    ctx = RunContext(
        target,
        seed=seed if seed is not None else random.SystemRandom().randrange(2**32),
        examples=config.getoption("--comodo-examples"),
        lenient=bool(config.getoption("--comodo-lenient")),
    )
    stack.callback(ctx.close)
    if preflight:
        try:
            check_target(ctx)
        except TargetUnreachable as exc:
            stack.close()
            raise pytest.UsageError(f"comodo-conformance: cannot reach the server: {exc}") from None
        except CredentialsRefused as exc:
            stack.close()
            raise pytest.UsageError(f"comodo-conformance: {exc}") from None
    setattr(config, _KEY, {"ctx": ctx, "stack": stack})
    config.add_cleanup(stack.close)
    return ctx


@pytest.fixture
def comodo_context(request: pytest.FixtureRequest) -> Any:
    """The conformance run's context (target, HTTP client, baselines) for your own tests."""
    if not request.config.getoption("--comodo-url"):
        pytest.skip("needs --comodo-url")
    return _context(request.config)
