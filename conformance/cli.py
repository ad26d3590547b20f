"""``python -m conformance``: check servers and clients against the vendor documents' tables.

Commands: ``server`` (check a server at a URL, or the embedded reference server), ``client``
(check a client program), ``checks`` (the catalog), ``serve`` (run the reference server),
``accounts`` (its accounts).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

import codec

from . import DEFAULT_EXAMPLES
from .versions import VERSION_HELP, describe, parse_versions

__all__ = ["build_parser", "main"]

EPILOG = """\
examples:
  python -m conformance server
      check the embedded reference server (starts it on loopback HTTPS with a throw-away account)
  python -m conformance server --url https://secure.comodo.net/products/ \\
      --login-name me --login-password-env MY_PW --endpoint AutoApplyIdA --junit report.xml
      check the vendor (orders carry test=Y; wrong-credential checks need --check-auth)
  python -m conformance server --version AutoApplyIdA=1.03
      check the embedded reference server, both speaking AutoApplyIdA document 1.03
  python -m conformance client -- ./my-client --order
      check every request a client program sends (it gets COMODO_API_URL)
  python -m conformance checks --markdown > CHECKS.md
      the catalog: every check id, what it sends, what it expects, the table row it cites
  python -m conformance serve --account demo:secret
      run the reference server for your own tests

exit status: 0 conforming, 1 not conforming, 2 could not run (a one-line reason on stderr).
"""

SERVER_HELP = """\
Check the server at --url (the base URL ending /products/) against every table row: each
variable missing, one character over its limit, exactly at it in non-ASCII characters, each
allowed value and one outside, unknown names and countries, the conditional and exclusive rules,
GET, plain HTTP, both response formats; then Hypothesis breadth (valid requests over the whole
space, requests with exactly one fault) and a state machine (foreign order numbers,
click-through).  Every answer is judged for format, MIME type, parameters, types, codes, messages,
statuses and delivery values.  Where the documents are ambiguous, every allowed reading passes
and is listed as a note.

Without --url the embedded reference server is started on loopback and checked.
Orders the kit places always carry test=Y.  Secrets are read from the environment
(COMODO_LOGIN_NAME, COMODO_LOGIN_PASSWORD, COMODO_SASP_SESSION_ID) or options, and never printed.
"""


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value else None


def add_server_parser(sub: Any) -> None:
    p = sub.add_parser(
        "server",
        help="check a server at a URL (default: the embedded reference server)",
        description=SERVER_HELP,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--url", help="base URL ending /products/ (default: start the embedded reference server)")
    p.add_argument("--plain-url", help="the same server over plain HTTP, for the -1 check")
    p.add_argument("--login-name", default=_env("COMODO_LOGIN_NAME"), help="account name (env COMODO_LOGIN_NAME)")
    p.add_argument(
        "--login-password",
        default=None,
        help="account password (prefer env COMODO_LOGIN_PASSWORD: arguments show in process lists)",
    )
    p.add_argument("--login-password-env", metavar="VAR", help="read the password from environment variable VAR")
    p.add_argument("--sasp-session-id", default=None, help="a SASP session id (env COMODO_SASP_SESSION_ID)")
    p.add_argument(
        "--endpoint", action="append", help="AutoApplyIdA or UpdateUserEvClickThrough (repeatable; default both)"
    )
    p.add_argument(
        "--only",
        action="append",
        metavar="GLOB",
        help="run only checks whose id matches (repeatable), e.g. '*/over-length/*'",
    )
    p.add_argument(
        "--examples",
        type=int,
        default=DEFAULT_EXAMPLES,
        help=f"Hypothesis examples per property check (default {DEFAULT_EXAMPLES})",
    )
    p.add_argument("--seed", type=int, help="Hypothesis seed (default: random, printed for replay)")
    p.add_argument(
        "--order-number", help="an existing order for the click-through checks (default: place a test order)"
    )
    p.add_argument(
        "--check-auth",
        action="store_true",
        help="also send wrong credentials (may lock a real account after repeated failures)",
    )
    p.add_argument(
        "--version",
        action="append",
        default=[],
        metavar="[ENDPOINT=]V",
        help="the document version the server claims to speak: the checks, strategies and verdicts are made "
        "from that version's table (the embedded reference server speaks it too). " + VERSION_HELP,
    )
    p.add_argument("--cacert", help="CA file to verify the server's certificate")
    p.add_argument("--insecure", action="store_true", help="do not verify the server's certificate")
    p.add_argument("--timeout", type=float, default=15.0, help="seconds per request (default 15)")
    p.add_argument("--junit", type=Path, help="write JUnit XML here (a testcase per check per endpoint)")
    p.add_argument("--json", type=Path, help="write a JSON report with every failing example here")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    p.add_argument(
        "--dry-run", action="store_true", help="list the checks that would run, and why others would be skipped"
    )
    p.set_defaults(func=cmd_server)


def add_checks_parser(sub: Any) -> None:
    p = sub.add_parser(
        "checks",
        help="list the check catalog",
        description="Every check id, what it sends, what it expects and the table row it cites.",
    )
    p.add_argument("--endpoint", action="append", help="only this endpoint (repeatable)")
    p.add_argument("--markdown", action="store_true", help="as a Markdown table (for the docs)")
    p.add_argument("--json", action="store_true", help="as JSON")
    p.set_defaults(func=cmd_checks)


def cmd_checks(args: argparse.Namespace) -> int:
    from .runner import select_checks

    checks = select_checks(args.endpoint)
    if args.json:
        print(json.dumps([c.as_dict() for c in checks], indent=2, ensure_ascii=False))
        return 0
    if args.markdown:
        print("| id | family | sends | expects | cites | needs |\n|---|---|---|---|---|---|")
        for c in checks:
            cells = [f"`{c.id}`", c.family, c.sends, c.expects, c.cites, ", ".join(sorted(c.requires))]
            print("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
        return 0
    for c in checks:
        print(f"{c.id}\n    sends:   {c.sends}\n    expects: {c.expects}\n    cites:   {c.cites}")
    print(f"\n{len(checks)} checks")
    return 0


def cmd_server(args: argparse.Namespace) -> int:
    from .context import RunContext, Target, TargetUnreachable
    from .report import finish_run, progress_line
    from .results import CouldNotRun, Result
    from .runner import embedded_target, probe_target, run_checks, select_checks, unmet_requirement

    try:
        versions = parse_versions(args.version)
        checks = select_checks(args.endpoint, args.only, versions=versions)
    except ValueError as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return 2
    if not checks:
        print("conformance: no check matches --endpoint/--only", file=sys.stderr)
        return 2
    if args.examples < 1:
        print("conformance: --examples must be at least 1", file=sys.stderr)
        return 2
    password = args.login_password
    if args.login_password_env:
        password = _env(args.login_password_env)
        if password is None:
            print(f"conformance: environment variable {args.login_password_env} is not set", file=sys.stderr)
            return 2
    password = password or _env("COMODO_LOGIN_PASSWORD")
    sasp = args.sasp_session_id or _env("COMODO_SASP_SESSION_ID")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)

    with contextlib.ExitStack() as stack:
        if args.url:
            if not args.url.lower().startswith(("http://", "https://")):
                print(f"conformance: --url must start with https:// or http://, not {args.url!r}", file=sys.stderr)
                return 2
            settings = {
                "url": args.url,
                "plain_url": args.plain_url,
                "login_name": args.login_name,
                "login_password": password,
                "sasp_session_id": sasp,
                "cacert": args.cacert,
                "check_auth": args.check_auth,
            }
        else:
            try:
                settings = stack.enter_context(embedded_target(versions))
            except Exception as exc:  # the embedded server could not start: report, do not trace
                print(
                    f"conformance: could not start the embedded reference server: {type(exc).__name__}: {exc}",
                    file=sys.stderr,
                )
                return 2
            print(f"checking the embedded reference server at {settings['url']}", file=sys.stderr)
        url = settings["url"] if settings["url"].endswith("/") else settings["url"] + "/"
        verify: str | bool = False if args.insecure else (settings["cacert"] or True)
        if isinstance(verify, str) and not Path(verify).is_file():
            print(f"conformance: --cacert {verify}: no such file", file=sys.stderr)
            return 2
        target = Target(
            base_url=url,
            login_name=settings["login_name"],
            login_password=settings["login_password"],
            sasp_session_id=settings["sasp_session_id"],
            plain_url=settings["plain_url"],
            verify=verify,
            timeout=args.timeout,
            check_auth=settings["check_auth"],
            order_number=args.order_number,
            versions=versions,
        )
        if args.dry_run:
            for c in checks:
                reason = unmet_requirement(c, target)
                print(f"{'skip' if reason else 'run '} {c.id}" + (f"  ({reason})" if reason else ""))
            return 0
        ctx = RunContext(target, seed=seed, examples=args.examples)
        stack.callback(ctx.close)
        try:
            probe_target(ctx)
        except TargetUnreachable as exc:
            print(f"conformance: cannot reach the server: {exc}", file=sys.stderr)
            return 2

        def progress(result: Result, i: int, n: int) -> None:
            if not args.quiet:
                sys.stderr.write(progress_line(result, i, n, ctx.secrets) + "\n")
                sys.stderr.flush()

        if versions and not args.quiet:
            print(f"checking it as documents {describe(versions)}", file=sys.stderr)
        run = run_checks(ctx, checks, progress)
        try:
            return finish_run(run, sys.stdout, junit=args.junit, json_path=args.json)
        except CouldNotRun as exc:
            print(f"conformance: {exc}", file=sys.stderr)
            return 2


def _prog(default: str) -> str:
    """The name this command was started as: ``comodo-conformance`` (the console script) or *default*."""
    started_as = sys.argv[0].rsplit("/", 1)[-1] if sys.argv and sys.argv[0] else ""
    return started_as if started_as.startswith("comodo-") else default


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=_prog("python -m conformance"),
        description="Conformance test kit for the Comodo reseller APIs !AutoApplyIdA and !UpdateUserEvClickThrough.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_server_parser(sub)
    with contextlib.suppress(ImportError):
        from .client.cli import add_client_parser

        add_client_parser(sub)
    add_checks_parser(sub)
    with contextlib.suppress(ImportError):
        from .reference.commands import add_serve_parser

        add_serve_parser(sub)
    with contextlib.suppress(ImportError):
        from .reference.commands import add_accounts_parser

        add_accounts_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("conformance: interrupted", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `python -m conformance checks | head`: the reader left; not an error
        # point stdout at devnull so the interpreter's final flush does not complain again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except codec.CodecError as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return 2
