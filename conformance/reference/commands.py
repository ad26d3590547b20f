"""The reference server's commands: ``python -m conformance serve`` and ``accounts``.

``serve`` runs the server until interrupted (see :mod:`conformance.reference.serve`).
``accounts``: ``add NAME [--credit N] [--payment-required] [--manual-approval]`` (the password comes from
``$COMODO_ACCOUNT_PASSWORD`` or a prompt, never from an argument), ``list`` (never shows password
material), ``remove NAME`` and ``sasp NAME`` (a new SASP session id for the account).  Each takes
``--data-dir``/``--db`` like ``serve``.  A refusal prints one line on stderr and exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import getpass
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

from ..arguments import port, positive_int, positive_seconds
from ..versions import VERSION_HELP, describe, parse_versions
from .app import DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_BODY, DEFAULT_MAX_CONCURRENCY, DEFAULT_QUEUE_TIMEOUT
from .credentials import (
    SASP_MAX,
    CredentialError,
    account_entry,
    check_name,
    check_password,
    from_environment,
    read_accounts_file,
    sasp_entry,
)
from .records import StoreError, default_data_dir, resolve_db
from .serve import DEFAULT_PORT, seed_store, server_group
from .store import Store
from .transport import DEFAULT_HEAD_TIMEOUT, ERROR_LOG_INTERVAL

__all__ = ["DEFAULT_CREDIT", "PASSWORD_ENV", "add_accounts_parser", "add_serve_parser"]

PASSWORD_ENV: Final = "COMODO_ACCOUNT_PASSWORD"
DEFAULT_CREDIT: Final = Decimal("1000.00")


_DESCRIPTION: Final = (
    "Add, list and remove the reference server's accounts, and create SASP session ids for them. "
    f"Passwords come from ${PASSWORD_ENV} or a prompt, never from an argument."
)


class _Refused(Exception):
    """A one-line reason to exit 1."""


def _credit(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a decimal amount: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError(f"credit must be a non-negative amount, not {text!r}")
    cents = value.quantize(Decimal("0.01"))
    return cents if cents == value else value  # 5 -> 5.00; 0.125 stays exact


def _open(args: argparse.Namespace) -> Store:
    data_dir = args.data_dir if args.data_dir is not None else default_data_dir()
    return Store(resolve_db(data_dir, args.db))


def _password(name: str) -> str:
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        password = getpass.getpass(f"password for {name}: ")
    if not password:
        raise _Refused(f"empty password (set {PASSWORD_ENV} or type one at the prompt)")
    check_password(password)
    return password


def cmd_add(args: argparse.Namespace) -> int:
    check_name(args.name)
    password = _password(args.name)
    with _open(args) as store:
        account = store.add_account(
            args.name,
            password,
            credit=args.credit,
            payment_required=args.payment_required,
            manual_approval=args.manual_approval,
        )
    print(f"added {account.name} (credit {account.credit})")
    return 0


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def cmd_list(args: argparse.Namespace) -> int:
    with _open(args) as store:
        summaries = store.list_accounts()
    if args.json:
        rows = [
            {
                "name": s.account.name,
                "credit": str(s.account.credit),
                "payment_required": s.account.payment_required,
                "manual_approval": s.account.manual_approval,
                "orders": s.order_count,
            }
            for s in summaries
        ]
        print(json.dumps(rows, indent=2))
        return 0
    table = [("NAME", "CREDIT", "PAYMENT-REQUIRED", "MANUAL-APPROVAL", "ORDERS")]
    table += [
        (
            s.account.name,
            str(s.account.credit),
            _yes(s.account.payment_required),
            _yes(s.account.manual_approval),
            str(s.order_count),
        )
        for s in summaries
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    with _open(args) as store:
        store.remove_account(args.name)
    print(f"removed {args.name}")
    return 0


def cmd_sasp(args: argparse.Namespace) -> int:
    with _open(args) as store:
        print(store.create_sasp_session(args.name, SASP_MAX))
    return 0


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Run *command*; a refusal or a store error is one line on stderr and exit 1, no traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except (_Refused, CredentialError, StoreError) as exc:
            print(f"accounts: {exc}", file=sys.stderr)
        except (OSError, sqlite3.Error) as exc:
            print(f"accounts: cannot use the database: {type(exc).__name__}: {exc}", file=sys.stderr)
        except EOFError:
            print("accounts: no password given", file=sys.stderr)
        return 1

    return run


def add_accounts_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``accounts`` with its subcommands; each ``func`` returns the exit code."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        type=Path,
        help="folder of the database (default $COMODO_CONFORMANCE_DATA or ~/.local/share/comodo-conformance)",
    )
    common.add_argument("--db", help="database file (default DATA_DIR/reference.sqlite3)")

    p: argparse.ArgumentParser = subparsers.add_parser(
        "accounts", help="manage the reference server's accounts", description=_DESCRIPTION
    )
    sub = p.add_subparsers(dest="accounts_command", required=True, metavar="ACTION")

    def usage(_args: argparse.Namespace) -> int:  # unreachable while ACTION is required; kept for safety
        p.print_help(sys.stderr)
        return 2

    p.set_defaults(func=usage)

    add = sub.add_parser(
        "add",
        parents=[common],
        help="add an account",
        description=f"The password is read from ${PASSWORD_ENV} or a prompt.",
    )
    add.add_argument("name", metavar="NAME")
    add.add_argument(
        "--credit", type=_credit, default=DEFAULT_CREDIT, help=f"starting credit (default {DEFAULT_CREDIT})"
    )
    add.add_argument("--payment-required", action="store_true", help="orders answer status 1 and debit nothing")
    add.add_argument("--manual-approval", action="store_true", help="validated orders await an account manager (24 h)")
    add.set_defaults(func=_guarded(cmd_add))

    lst = sub.add_parser("list", parents=[common], help="list accounts (name, credit, flags, order count)")
    lst.add_argument("--json", action="store_true", help="as JSON")
    lst.set_defaults(func=_guarded(cmd_list))

    rm = sub.add_parser("remove", parents=[common], help="remove an account with its sessions and orders")
    rm.add_argument("name", metavar="NAME")
    rm.set_defaults(func=_guarded(cmd_remove))

    sasp = sub.add_parser("sasp", parents=[common], help=f"create and print a {SASP_MAX}-character SASP session id")
    sasp.add_argument("name", metavar="NAME")
    sasp.set_defaults(func=_guarded(cmd_sasp))
    return p


# ---------------------------------------------------------------------- serve


_SERVE_EXAMPLES: Final = f"""examples:
  DEMO_ACCOUNT='demo:secret' python -m conformance serve --account-env DEMO_ACCOUNT
      an account from the environment (--account NAME:PASSWORD works too, but every user sees it in ps)
  python -m conformance serve --accounts-file accounts.txt
      accounts and SASP sessions from a chmod-600 file, lines 'account NAME:PASSWORD' and 'sasp ID:NAME'
  python -m conformance serve --no-tls --port 8080 --db :memory: --head-timeout 2
      plain HTTP, a throw-away database, and 2 s for a connection to send its request head
  python -m conformance serve --accounts-file accounts.txt --version AutoApplyIdA=1.03
      serve AutoApplyIdA as document 1.03 says (UpdateUserEvClickThrough: its newest document);
      --version 1.02 alone serves every endpoint that has a version 1.02 as that version

bounds: a connection has --head-timeout seconds (default {DEFAULT_HEAD_TIMEOUT:g}) from accept to finish its TLS
handshake and send a whole request head; a body --body-timeout (default {DEFAULT_BODY_TIMEOUT:g}) and --max-body bytes
(default {DEFAULT_MAX_BODY}); at most --max-concurrency requests at the store (default {DEFAULT_MAX_CONCURRENCY}), each
waiting at most --queue-timeout (default {DEFAULT_QUEUE_TIMEOUT:g}; then -14).  Event-loop errors (such as running out
of file descriptors) are logged once per {ERROR_LOG_INTERVAL:g} s with a count.
"""


def _flag_entry(text: str, *, sasp: bool) -> tuple[str, str]:
    """An ``--account`` / ``--sasp-session`` value, checked (a bad one is argparse's exit 2)."""
    try:
        return sasp_entry(text, "--sasp-session") if sasp else account_entry(text, "--account")
    except CredentialError as exc:
        raise argparse.ArgumentTypeError(str(exc).split(": ", 1)[1]) from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text!r}")
    return value


def add_serve_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``serve``; its ``func`` runs the server until interrupted and returns the exit code."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="run the reference server (a stateful simulator of the vendor)",
        description=(
            "Serve POST /products/!AutoApplyIdA and /products/!UpdateUserEvClickThrough as the vendor "
            "documents (and spec/readings.toml) say, with state in SQLite. HTTPS with a local test CA "
            "(DATA_DIR/ca.pem) unless --no-tls. Prints the base URL (and the CA file) and runs until "
            "Ctrl+C. The database (DATA_DIR/reference.sqlite3, mode 0600) is checked at start: a damaged "
            "one, or a -wal file that does not belong to it, is refused in one line (exit 1)."
        ),
        epilog=_SERVE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any free port)")
    p.add_argument("--no-tls", action="store_true", help="serve plain HTTP (requests are answered as if over HTTPS)")
    p.add_argument(
        "--plain-port",
        type=port,
        metavar="N",
        help="also listen on plain-HTTP port N, answering -1 (0 = any free port)",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        help="folder for the database and the test CA (default $COMODO_CONFORMANCE_DATA or ~/.local/share/comodo-conformance)",
    )
    p.add_argument("--db", help="database file (default DATA_DIR/reference.sqlite3; ':memory:' = throw-away)")
    p.add_argument("--lenient", action="store_true", help="decode requests with the notes' lenient readings")
    p.add_argument(
        "--version",
        action="append",
        default=[],
        metavar="[ENDPOINT=]V",
        help="serve an older document version: judge requests and word answers by its table. " + VERSION_HELP,
    )
    _add_credential_options(p)
    p.add_argument("--max-body", type=positive_int, default=DEFAULT_MAX_BODY, help="request body limit in bytes")
    p.add_argument(
        "--body-timeout", type=positive_seconds, default=DEFAULT_BODY_TIMEOUT, help="seconds to receive a body"
    )
    p.add_argument(
        "--max-concurrency", type=positive_int, default=DEFAULT_MAX_CONCURRENCY, help="requests at the store"
    )
    p.add_argument(
        "--queue-timeout",
        type=positive_seconds,
        default=DEFAULT_QUEUE_TIMEOUT,
        help="seconds to wait for the store (then -14)",
    )
    p.add_argument(
        "--head-timeout",
        type=_seconds,
        default=DEFAULT_HEAD_TIMEOUT,
        metavar="SECONDS",
        help=(
            "seconds a connection has to finish its TLS handshake and send a whole request head, from the "
            "moment it is accepted (and a kept-alive one, from the previous answer); then it is closed "
            f"(default {DEFAULT_HEAD_TIMEOUT:g})"
        ),
    )
    p.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"], help="default info"
    )
    p.set_defaults(func=cmd_serve)
    return p


def _add_credential_options(p: argparse.ArgumentParser) -> None:
    visible = "; visible to every user in ps: prefer %s"
    p.add_argument(
        "--accounts-file",
        type=Path,
        metavar="FILE",
        help=(
            "accounts and SASP sessions to create or update, one a line: 'account NAME:PASSWORD' (the password "
            "is the rest of the line) or 'sasp ID:NAME'; '#' starts a comment line; the file must be chmod 600"
        ),
    )
    for flag, shape, text, env in (
        ("--account", "NAME:PASSWORD", "create or update an account with generous credit", "--account-env"),
        ("--sasp-session", "ID:NAME", "let SASP session ID stand for account NAME", "--sasp-session-env"),
    ):
        sasp = flag == "--sasp-session"
        p.add_argument(
            env,
            action="append",
            default=[],
            metavar="VAR",
            help=f"the environment variable VAR holds {shape}: {text} (repeatable)",
        )
        p.add_argument(
            flag,
            action="append",
            default=[],
            type=functools.partial(_flag_entry, sasp=sasp),
            metavar=shape,
            help=f"{text} (repeatable){visible % (env + ' or --accounts-file')}",
        )


def _credentials(args: argparse.Namespace) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Every account and SASP session given to serve (credentials.CredentialError for a bad one)."""
    accounts = [*args.account, *(from_environment(v) for v in args.account_env)]
    sessions = [*args.sasp_session, *(from_environment(v, sasp=True) for v in args.sasp_session_env)]
    if args.accounts_file is not None:
        from_file, file_sessions = read_accounts_file(args.accounts_file)
        accounts += from_file
        sessions += file_sessions
    return accounts, sessions


def cmd_serve(args: argparse.Namespace) -> int:
    """``serve``: 0 after a clean stop, 1 when the server cannot start, 2 for a --version no table
    has (a one-line reason)."""
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    data_dir = args.data_dir if args.data_dir is not None else default_data_dir()
    options: dict[str, Any] = {
        "max_body": args.max_body,
        "body_timeout": args.body_timeout,
        "max_concurrency": args.max_concurrency,
        "queue_timeout": args.queue_timeout,
    }
    try:
        versions = parse_versions(args.version)
    except ValueError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 2
    options["versions"] = versions
    try:
        accounts, sessions = _credentials(args)
        with contextlib.ExitStack() as stack:
            store = stack.enter_context(Store(resolve_db(data_dir, args.db)))
            seed_store(store, accounts, sessions)
            extra = {"plain_port": args.plain_port, "strict": not args.lenient, "log_level": args.log_level}
            extra["head_timeout"] = args.head_timeout
            group = server_group(
                store, tls=not args.no_tls, data_dir=data_dir, host=args.host, port=args.port, **extra, **options
            )
            stack.callback(group.close_sockets)
            print(f"serving {group.base_url}", flush=True)
            if group.ca_file:
                print(f"CA file {group.ca_file}", flush=True)
            if group.plain_url:
                print(f"plain HTTP (answers -1) {group.plain_url}", flush=True)
            print(f"documents {describe(versions)}", flush=True)
            asyncio.run(group.serve(handle_signals=True))
    except (StoreError, CredentialError) as exc:  # names the file: a damaged database, a foreign WAL, a bad line...
        print(f"serve: {exc}", file=sys.stderr)
        return 1
    except (OSError, sqlite3.Error, ValueError) as exc:
        print(f"serve: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print("stopped", flush=True)
    return 0
