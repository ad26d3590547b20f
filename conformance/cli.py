"""``python -m conformance``: check servers and clients against the vendor documents' tables.

Commands: ``server`` (check a server at a URL, or the embedded reference server:
:mod:`conformance.server_command`), ``client`` (check a client program: :mod:`conformance.client.cli`),
``checks`` (the catalog), ``vectors`` (portable test vectors), ``serve`` (run the reference server)
and ``accounts`` (its accounts: :mod:`conformance.reference.commands`).  Every parser is a
:class:`~conformance.arguments.OneLineParser`: a bad argument is one line and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Final

import codec

from .arguments import OneLineParser
from .results import CouldNotRun, RunStopped

__all__ = ["build_parser", "main"]

EPILOG = """\
examples:
  python -m conformance server
      check the embedded reference server (starts it on loopback HTTPS with a throw-away account)
  COMODO_LOGIN_NAME=me COMODO_LOGIN_PASSWORD=... python -m conformance server \\
      --url https://secure.comodo.net/products/ --endpoint AutoApplyIdA --junit reports/junit.xml
      check the vendor (orders carry test=Y; wrong-credential checks need --check-auth)
  python -m conformance server --version AutoApplyIdA=1.03
      check the embedded reference server, both speaking AutoApplyIdA document 1.03
  python -m conformance client -- ./my-client --order
      check every request a client program sends (it gets COMODO_API_URL)
  python -m conformance client --adapter -- node my-adapter.js
      check how a client decodes answers (conformance/ADAPTER.md)
  python -m conformance checks --markdown > CHECKS.md
      the catalog: every check id, what it sends, what it expects, the table row it cites
  python -m conformance vectors --out vectors/
      portable test vectors (JSON and its schema) for unit tests in any language
  python -m conformance serve --account-env DEMO_ACCOUNT
      run the reference server for your own tests

exit status: 0 conforming, 1 not conforming, 2 no verdict: could not run, nothing checked, or
interrupted (a one-line reason on stderr).
"""


def add_checks_parser(sub: Any) -> None:
    p = sub.add_parser(
        "checks",
        help="list the check catalog",
        description="Every check id, what it sends, what it expects and the table row it cites.",
        epilog="examples:\n  python -m conformance checks --only blank\n  python -m conformance checks --endpoint "
        "UpdateUserEvClickThrough --json\n  python -m conformance checks --markdown > CHECKS.md\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--endpoint", action="append", help="only this endpoint (repeatable)")
    p.add_argument("--only", action="append", metavar="FAMILY|GLOB", help="only this family, or ids matching a glob")
    p.add_argument(
        "--version",
        action="append",
        default=[],
        metavar="[ENDPOINT=]V",
        help="the catalog for a document version (as server --version takes it)",
    )
    p.add_argument("--markdown", action="store_true", help="as a Markdown table (for the docs)")
    p.add_argument("--json", action="store_true", help="as JSON")
    p.set_defaults(func=cmd_checks)


def cmd_checks(args: argparse.Namespace) -> int:
    from .server_command import selected_checks

    checks = selected_checks(args)
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


def _prog(default: str) -> str:
    """The name this command was started as: ``comodo-conformance`` (the console script) or *default*."""
    started_as = sys.argv[0].rsplit("/", 1)[-1] if sys.argv and sys.argv[0] else ""
    return started_as if started_as.startswith("comodo-") else default


_COMMANDS: Final = ("server", "client", "checks", "vectors", "serve", "accounts")


def _add_command(sub: Any, name: str) -> str | None:
    """Add command *name*'s parser (importing only that command's module); None, or why the
    command cannot load (a module of the install is missing or broken)."""
    try:
        if name == "server":
            from .server_command import add_server_parser

            add_server_parser(sub)
        elif name == "client":
            from .client.cli import add_client_parser

            add_client_parser(sub)
        elif name == "checks":
            add_checks_parser(sub)
        elif name == "vectors":
            from .client.vectors import add_vectors_parser

            add_vectors_parser(sub)
        elif name == "serve":
            from .reference.commands import add_serve_parser

            add_serve_parser(sub)
        elif name == "accounts":
            from .reference.commands import add_accounts_parser

            add_accounts_parser(sub)
    except ImportError as exc:
        missing = exc.name or str(exc)
        return f"the {name} command cannot load: module {missing} is missing or broken ({exc}); reinstall the kit"
    return None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser.  Given the arguments, it holds only the command they name (a
    run of ``server`` does not import client mode or the reference server's commands); without a
    command among them, every command (``--help`` lists them all).  A named command that cannot
    load ends the program with one line naming the module (exit 2); without one, ``--help`` lists
    the commands that can, and says which cannot and why."""
    parser = OneLineParser(
        prog=_prog("python -m conformance"),
        description="Conformance test kit for the Comodo reseller APIs !AutoApplyIdA and !UpdateUserEvClickThrough.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    first = next((a for a in argv or () if not a.startswith("-")), None)
    named = first is not None and first in _COMMANDS
    names: tuple[str, ...] = (first,) if first is not None and named else _COMMANDS
    problems = [p for name in names if (p := _add_command(sub, name))]
    if problems and named:
        parser.error(problems[0])
    if problems:
        parser.epilog = f"{EPILOG}\nunavailable in this install:\n" + "".join(f"  {p}\n" for p in problems)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser(sys.argv[1:] if argv is None else argv).parse_args(argv)
    try:
        return int(args.func(args))
    except CouldNotRun as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, RunStopped) as exc:
        print(f"conformance: interrupted{f' ({exc})' if isinstance(exc, RunStopped) else ''}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `python -m conformance checks | head`: the reader left; not an error
        # point stdout at devnull so the interpreter's final flush does not complain again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except codec.CodecError as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return 2
