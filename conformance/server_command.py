"""``python -m conformance server``: check a server at a URL, or the embedded reference server.

:func:`server_plan` checks everything the command was given before the first request (every
argument, the credentials, where the reports go); :func:`cmd_server` then checks the target
(:func:`~conformance.runner.preflight`: it answers, and accepts the credentials), runs the checks
(:func:`~conformance.runner.run_checks`) and ends with :func:`~conformance.sinks.finish_run`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from . import DEFAULT_EXAMPLES, DEFAULT_WORKERS
from .arguments import check_base_url, check_ca_file, positive_int, positive_seconds, rate, whole_number
from .http import DEFAULT_MAX_BODY, DEFAULT_RETRIES, DEFAULT_TIMEOUT
from .results import CouldNotRun, RunStopped
from .versions import VERSION_HELP, describe, parse_versions

__all__ = ["ServerPlan", "add_server_parser", "cmd_server", "selected_checks", "server_plan"]

SERVER_HELP = """\
Check the server at --url (the base URL ending /products/) against every table row: each
variable missing, empty, one character over its limit, exactly at it in non-ASCII characters,
each allowed value and one outside, unknown names and countries, the conditional and exclusive
rules, GET, plain HTTP, both response formats; then Hypothesis breadth (valid requests over the
whole space, requests with exactly one fault) and a state machine (foreign order numbers,
click-through).  Every probe carries exactly one fault, so the expected code is certain.

Grading: strict about what a sender sends, every allowed reading in what a receiver accepts.
Where a note of the tables allows several readings of how a server reads a request, every one
passes (listed as a note).  A server's answer is held to the documents' letter where it is
explicit (errorMessage is not present when errorCode=0, a newline line is the value itself):
breaking it fails, citing the line; --lenient reports those as notes instead (for a double that
imitates a vendor quirk on purpose).

Before any check, one valid test order checks the credentials: -16 stops the run (exit 2), and
no request carrying refused credentials is ever sent again.  With --url a run needs an account
(--login-name with a password, or --sasp-session-id) -- or an explicit --no-account, which runs
only the account-free checks and says so in its verdict.  Orders the kit places always carry
test=Y; checks that send wrong credentials run only with --check-auth.  Secrets come from the
environment (COMODO_LOGIN_NAME, COMODO_LOGIN_PASSWORD, COMODO_SASP_SESSION_ID) or options, and
are never printed: a replay line reads them back as "$COMODO_LOGIN_PASSWORD".

Without --url the embedded reference server is started on loopback and checked.  Ctrl-C or
SIGTERM stops a run: the partial summary and reports (marked interrupted) are written, exit 2.

Bounds and pace.  --timeout is one deadline for a whole exchange: connecting, the TLS handshake,
sending, and the whole answer (a server that drips its answer a byte at a time, or sends 100
Continue forever, is cut there: a finding).  An answer's body is read up to --max-answer-bytes
(1 MiB; the rest is not read: a finding), never decompressed (the kit asks for
Accept-Encoding: identity; a coded answer is a finding).  A run plans a count of requests (what it
sends when every check passes: shown before it starts, and by --dry-run; the default run of both
endpoints: about {planned}; a failing property check sends more as it shrinks), so its worst case
is planned requests x --timeout ({worst} with the defaults); --max-duration caps the whole run
and --max-requests its requests: a run cut by either reports what ran and gives no verdict
(exit 2).  A connection that cannot be opened is tried again --retries times; an answer never
is.  Up to --workers checks run at once (each check's own requests in order) over one
keep-alive connection pool: the run starts with one and adds checks while the kit waits for
answers, and keeps to one against a server that answers faster than the kit prepares its
requests (more threads would only cost CPU); results do not depend on it.  Against the
vendor's live test system be polite: --workers 2 --rate-limit 2/s --timeout 30.
"""

SERVER_EXAMPLES = """\
examples:
  python -m conformance server
      the embedded reference server, every check
  export COMODO_LOGIN_NAME=me COMODO_LOGIN_PASSWORD=...
  python -m conformance server --url https://my-double:8443/products/ --cacert ca.pem \\
      --junit reports/junit.xml --json reports/run.json
      a server of your own; reports (and their folders) are written even if the run is stopped
  python -m conformance server --url https://my-double:8443/products/ --only over-length --only '*/missing/*'
      one family of checks, and the checks whose id matches a glob
  python -m conformance server --url http://localhost:8080/products/ --no-account
      no account at hand: the account-free checks only (the verdict says so)
  python -m conformance server --url https://my-double:8443/products/ --max-failures 5 --lenient
      stop after five failing checks; answers that imitate a vendor quirk are notes
  python -m conformance server --dry-run --url https://secure.comodo.net/products/
      which checks would run, why the others would be skipped, and how many requests (nothing is sent)
  python -m conformance server --url https://secure.comodo.net/products/ --workers 2 --rate-limit 2/s \
      --timeout 30 --max-duration 900
      the vendor's live test system: two checks at a time, at most 2 requests a second, 15 minutes at most

exit status: 0 conforming, 1 not conforming, 2 no verdict: could not run (bad argument, no
account, unreachable, credentials refused), nothing checked, or interrupted.
"""

_ACCOUNT_NEEDED = (
    "--url needs an account: --login-name (or $COMODO_LOGIN_NAME) with a password (--login-password-env VAR or "
    "$COMODO_LOGIN_PASSWORD), or --sasp-session-id (or $COMODO_SASP_SESSION_ID); --no-account runs only the "
    "account-free checks"
)


_DEFAULT_PLANNED = 767
"""About how many requests the default run of both endpoints plans (``--dry-run`` prints the
count for the options given; a test keeps this figure within 5% of it)."""


def _worst(requests: int, timeout: float) -> str:
    """*requests* x *timeout* seconds, in words."""
    seconds = requests * timeout
    if seconds >= 3600:
        return f"{requests} x {timeout:g} s = {seconds / 3600:.1f} h"
    return f"{requests} x {timeout:g} s = " + (f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:g} s")


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value else None


def add_server_parser(sub: Any) -> None:
    p = sub.add_parser(
        "server",
        help="check a server at a URL (default: the embedded reference server)",
        description=SERVER_HELP.format(planned=_DEFAULT_PLANNED, worst=_worst(_DEFAULT_PLANNED, 15.0)),
        epilog=SERVER_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    target = p.add_argument_group("the server")
    target.add_argument("--url", help="base URL ending /products/ (default: start the embedded reference server)")
    target.add_argument("--plain-url", help="the same server over plain HTTP, for the -1 check")
    target.add_argument("--cacert", metavar="FILE", help="CA file (PEM) to verify the server's certificate")
    target.add_argument("--insecure", action="store_true", help="do not verify the server's certificate")
    target.add_argument(
        "--timeout",
        type=positive_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="one deadline per exchange: connect, TLS handshake, send and the whole answer (default %(default)g)",
    )
    target.add_argument(
        "--max-answer-bytes",
        type=positive_int,
        default=DEFAULT_MAX_BODY,
        metavar="N",
        help="read at most N bytes of an answer's body; a longer answer is a finding (default %(default)d)",
    )
    target.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="without --url: keep the embedded server's test CA here, so replay lines' --cacert outlives the run "
        "(default: a temporary folder)",
    )
    account = p.add_argument_group("the account (never printed)")
    account.add_argument("--login-name", default=_env("COMODO_LOGIN_NAME"), help="account name (env COMODO_LOGIN_NAME)")
    account.add_argument(
        "--login-password",
        default=None,
        help="account password (prefer env COMODO_LOGIN_PASSWORD: arguments show in process lists)",
    )
    account.add_argument("--login-password-env", metavar="VAR", help="read the password from environment variable VAR")
    account.add_argument("--sasp-session-id", default=None, help="a SASP session id (env COMODO_SASP_SESSION_ID)")
    account.add_argument(
        "--no-account",
        action="store_true",
        help="no account at hand: run only the checks that need none (the verdict says so)",
    )
    account.add_argument(
        "--check-auth",
        action="store_true",
        help="also send wrong credentials (may lock a real account after repeated failures)",
    )
    account.add_argument(
        "--order-number", help="an existing order for the click-through checks (default: the run's own test order)"
    )
    which = p.add_argument_group("which checks, how")
    which.add_argument(
        "--endpoint", action="append", help="AutoApplyIdA or UpdateUserEvClickThrough (repeatable; default both)"
    )
    which.add_argument(
        "--only",
        action="append",
        metavar="FAMILY|GLOB",
        help="run only a family of checks (over-length) or the checks whose id matches a glob ('*/missing/*'); "
        "repeatable",
    )
    which.add_argument(
        "--examples",
        type=positive_int,
        default=DEFAULT_EXAMPLES,
        help=f"Hypothesis examples per property check (default {DEFAULT_EXAMPLES})",
    )
    which.add_argument("--seed", type=int, help="Hypothesis seed (default: random, printed for replay)")
    which.add_argument(
        "--version",
        action="append",
        default=[],
        metavar="[ENDPOINT=]V",
        help="the document version the server claims to speak: the checks, strategies and verdicts are made "
        "from that version's table (the embedded reference server speaks it too). " + VERSION_HELP,
    )
    which.add_argument(
        "--lenient",
        action="store_true",
        help="report answers that take a reading only receivers may take (errorMessage=Successful with "
        "errorCode=0, padded lines) as notes, not failures",
    )
    which.add_argument(
        "--max-failures", type=positive_int, metavar="N", help="stop after N failing checks (the verdict stands)"
    )
    which.add_argument(
        "--dry-run", action="store_true", help="list the checks that would run, and why others would be skipped"
    )
    pace = p.add_argument_group("pace and bounds")
    pace.add_argument(
        "--workers",
        type=positive_int,
        default=DEFAULT_WORKERS,
        metavar="N",
        help="at most N checks at once, over one keep-alive pool (default %(default)d; 1: one at a time): "
        "more while the kit waits for answers, one when the server answers faster than the kit prepares "
        "requests; results do not depend on it",
    )
    pace.add_argument(
        "--rate-limit", type=rate, metavar="N/s", help="at most N requests a second across all workers (2/s, 120/min)"
    )
    pace.add_argument(
        "--max-requests", type=whole_number, metavar="N", help="send at most N requests; then the run stops (exit 2)"
    )
    pace.add_argument(
        "--max-duration",
        type=positive_seconds,
        metavar="SECONDS",
        help="end the run after SECONDS, whatever it is doing (what ran is reported; exit 2)",
    )
    pace.add_argument(
        "--retries",
        type=whole_number,
        default=DEFAULT_RETRIES,
        metavar="N",
        help="try a connection that could not be opened N more times (default %(default)d); an answer is never retried",
    )
    out = p.add_argument_group("reports")
    out.add_argument("--junit", type=Path, metavar="FILE", help="JUnit XML, a testcase per check ('-': stdout)")
    out.add_argument("--json", type=Path, metavar="FILE", help="JSON, every failing example in full ('-': stdout)")
    out.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_server)


def selected_versions(args: argparse.Namespace) -> dict[str, str]:
    """The document versions ``--version`` names (endpoint -> version); CouldNotRun when one is unknown."""
    try:
        return parse_versions(args.version)
    except ValueError as exc:
        raise CouldNotRun(f"--version: {exc}") from None


def selected_checks(args: argparse.Namespace) -> list[Any]:
    """The checks ``--endpoint``, ``--only`` and ``--version`` choose; CouldNotRun naming the option at fault."""
    from .runner import select_checks

    versions = selected_versions(args)
    try:
        return select_checks(args.endpoint, args.only, versions=versions)
    except ValueError as exc:
        option = "--endpoint" if "endpoint" in str(exc) else "--only"
        raise CouldNotRun(f"{option}: {exc}") from None


# ---------------------------------------------------------------------------- server


@attrs.frozen
class ServerPlan:
    """Everything ``server`` will do, checked before the first request: the checks, where and
    as whom (``target``: the options of :class:`~conformance.context.Target`; None: the
    embedded server), the run's seed and scope."""

    checks: list[Any]
    target: dict[str, Any] | None
    seed: int
    scope: str
    versions: dict[str, str] = attrs.field(factory=dict)


def _credentials(args: argparse.Namespace) -> dict[str, Any]:
    """The account the options and environment give (nothing with --no-account)."""
    if args.no_account:
        return {"login_name": None, "login_password": None, "sasp_session_id": None, "no_account": True}
    password, password_env = args.login_password, "COMODO_LOGIN_PASSWORD"
    if args.login_password_env:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", args.login_password_env):
            raise CouldNotRun(f"--login-password-env {args.login_password_env!r} is not an environment variable name")
        password, password_env = _env(args.login_password_env), args.login_password_env
        if password is None:
            raise CouldNotRun(f"environment variable {args.login_password_env} is not set")
    return {
        "login_name": args.login_name,
        "login_password": password or _env("COMODO_LOGIN_PASSWORD"),
        "sasp_session_id": args.sasp_session_id or _env("COMODO_SASP_SESSION_ID"),
        "password_env": password_env,
    }


def server_plan(args: argparse.Namespace) -> ServerPlan:
    """Check every argument of ``server`` before anything is sent; :class:`CouldNotRun` with a
    one-line reason for the first that cannot be acted on."""
    from .runner import ACCOUNT_FREE
    from .sinks import prepare_report_paths

    checks = selected_checks(args)
    if args.cacert and args.insecure:
        raise CouldNotRun("--cacert and --insecure do not go together")
    try:
        cacert = check_ca_file(args.cacert, "--cacert") if args.cacert else None
        url = check_base_url(args.url, "--url") if args.url else None
        plain = check_base_url(args.plain_url, "--plain-url", schemes=("http",)) if args.plain_url else None
    except ValueError as exc:
        raise CouldNotRun(str(exc)) from None
    credentials = _credentials(args)
    target: dict[str, Any] | None = None
    if url is not None:
        if args.data_dir is not None:
            raise CouldNotRun("--data-dir keeps the embedded server's test CA; with --url give --cacert")
        has_login = credentials["login_name"] and credentials["login_password"]
        if not (args.no_account or args.dry_run or has_login or credentials["sasp_session_id"]):
            raise CouldNotRun(_ACCOUNT_NEEDED)
        verify: str | bool = False if args.insecure else (cacert or True)
        target = dict(credentials, base_url=url, plain_url=plain, verify=verify, check_auth=args.check_auth)
    elif args.data_dir is not None and args.data_dir.exists() and not args.data_dir.is_dir():
        raise CouldNotRun(f"--data-dir {args.data_dir}: not a folder")
    prepare_report_paths(args.junit, args.json)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    return ServerPlan(checks, target, seed, ACCOUNT_FREE if args.no_account else "", selected_versions(args))


@contextlib.contextmanager
def _stopped_by_sigterm() -> Iterator[None]:
    """While the block runs, SIGTERM stops the run as Ctrl-C does (RunStopped)."""

    def stop(signum: int, frame: Any) -> None:
        raise RunStopped("terminated (SIGTERM)")

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def cmd_server(args: argparse.Namespace) -> int:
    from .context import Pacing, RunContext, Target, TargetUnreachable
    from .report import progress_line
    from .results import CredentialsRefused, Result
    from .runner import embedded_target, planned_requests, preflight, run_checks, unmet_requirement
    from .sinks import finish_run

    plan = server_plan(args)
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        stack.enter_context(_stopped_by_sigterm())
        settings = plan.target
        if settings is None:
            try:
                embedded = stack.enter_context(embedded_target(args.data_dir, plan.versions))
            except Exception as exc:  # the embedded server could not start: report, do not trace
                raise CouldNotRun(
                    f"could not start the embedded reference server: {type(exc).__name__}: {exc}"
                ) from None
            print(f"checking the embedded reference server at {embedded['url']}", file=sys.stderr)
            keep = {} if not args.no_account else _credentials(args)
            settings = dict(
                {k: embedded[k] for k in ("login_name", "login_password", "sasp_session_id", "check_auth")},
                base_url=embedded["url"],
                plain_url=embedded["plain_url"],
                verify=embedded["cacert"],
                **keep,
            )
        target = Target(
            timeout=args.timeout,
            max_answer_bytes=args.max_answer_bytes,
            retries=args.retries,
            order_number=args.order_number,
            versions=plan.versions,
            **settings,
        )
        planned = planned_requests(plan.checks, target, args.examples)
        if args.max_requests is not None:
            planned = min(planned, args.max_requests)
        worst = _worst(planned, args.timeout)
        if args.dry_run:
            for c in plan.checks:
                reason = unmet_requirement(c, target)
                print(f"{'skip' if reason else 'run '} {c.id}" + (f"  ({reason})" if reason else ""))
            print(f"planned: at most {planned} requests (worst case {worst} at --timeout {args.timeout:g})")
            return 0
        deadline = started + args.max_duration if args.max_duration else None
        pacing = Pacing(rate=args.rate_limit, max_requests=args.max_requests, deadline=deadline)
        ctx = RunContext(target, seed=plan.seed, examples=args.examples, lenient=args.lenient, pacing=pacing)
        stack.callback(ctx.close)
        try:
            checked = preflight(ctx)
        except TargetUnreachable as exc:
            raise CouldNotRun(f"cannot reach the server: {exc}") from None
        except CredentialsRefused as exc:
            raise CouldNotRun(str(exc)) from None
        except RunStopped as exc:
            raise CouldNotRun(f"the run stopped before its first check: {exc}") from None
        if not args.quiet:
            print(checked, file=sys.stderr)
            if plan.versions:
                print(f"checking it as documents {describe(plan.versions)}", file=sys.stderr)
            print(
                f"planned: at most {planned} requests, up to {args.workers} at a time (worst case {worst})",
                file=sys.stderr,
            )

        def progress(result: Result, i: int, n: int) -> None:
            if not args.quiet:
                sys.stderr.write(progress_line(result, i, n, ctx.scrubber) + "\n")
                sys.stderr.flush()

        run = run_checks(
            ctx, plan.checks, progress, max_failures=args.max_failures, scope=plan.scope, workers=args.workers
        )
        run.info.update(preflight=checked, lenient=args.lenient, planned_requests=planned)
        return finish_run(run, sys.stdout, junit=args.junit, json_path=args.json)
