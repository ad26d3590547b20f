"""``python -m conformance client``: the command line of client mode (see :mod:`conformance.client.modes`).

Exit status: 0 conforming; 1 not conforming (a request broke a rule, no request arrived, an
adapter answer differed); 2 could not run (bad arguments, CMD not found, the vendor could not
start, the adapter answered nothing in three starts) with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import fnmatch
import functools
import random
import sys
from pathlib import Path
from typing import Any, NoReturn

from ..results import CouldNotRun
from ..sinks import finish_run
from .adapter import DEFAULT_ANSWER_TIMEOUT, DEFAULT_MAX_LINE_BYTES
from .command import DEFAULT_COMMAND_TIMEOUT
from .decoding import check_decoder
from .modes import check_requests, listen
from .recording import DEFAULT_MAX_REQUEST_BYTES
from .variants import Variant, variants

__all__ = ["add_client_parser", "cmd_client"]

CLIENT_HELP = """\
Check a client program: every request it sends (default), or how it decodes answers (--adapter).

Requests: starts a checking vendor on loopback (the reference server, recording and judging every
request), runs CMD with COMODO_API_URL (the base URL ending /products/), COMODO_CA_FILE and
SSL_CERT_FILE (the test CA; not with --no-tls) and COMODO_LOGIN_NAME / COMODO_LOGIN_PASSWORD /
COMODO_SASP_SESSION_ID (a throw-away account), and judges each request for path, method,
Content-Type, names, lengths, values and the required / conditional / exclusive rules.  Every
rule a request breaks is listed, each citing its table row and the code the vendor answers, the
one it answers first marked.  A fault that only a note's lenient reading forgives fails (a vendor
taking the strict reading refuses it) unless --lenient; where the documents leave the outcome open
the request passes with a note.  CMD's exit status is reported, not judged.  When no request
arrives the report says why: the client did not trust the CA (a TLS handshake broken off), plain
HTTP to the HTTPS port, or the handshake's error.  Of each body the first --max-request-bytes are
kept; a request cut so is judged by what the kept part shows, with a note.

--listen HOST:PORT: no CMD; the vendor stays up for a client driven by hand, printing a verdict
line per request, until Ctrl+C; the environment for a client is written to a file (path printed).

--adapter: CMD is a decoding adapter speaking JSON lines on stdin/stdout (conformance/ADAPTER.md);
the kit sends every response variant made from the tables (every code in both formats, text
carrying + %2B %26 %3D %25 ; non-ASCII and empty values, names in other cases where the table says
names are case-insensitive, shuffled orders, the lenient variants of the notes, bodies that break
the letter or cannot be read), then --examples N more per endpoint drawn by Hypothesis (--seed S
replays).  A decoder fails only when it reports what the body does not say; tolerating a departure
is a note.  Stdout belongs to the protocol: the adapter logs to stderr (a stray stdout line fails
the variant it came with); its last 40 stderr lines are shown when it dies.  No secret is printed
or written to any report.
"""

CLIENT_EPILOG = """\
examples:
  python -m conformance client -- python my_client.py --order
      run my_client.py against the checking vendor; exit 1 if any request breaks a rule
  python -m conformance client --no-tls --junit client.xml --json client.json -- ./client.sh
      plain HTTP; reports for CI (no password or SASP session id in them)
  python -m conformance client --data-dir .comodo-ca -- java -Djavax.net.ssl.trustStore=... -jar client.jar
      keep the test CA in .comodo-ca across runs (import .comodo-ca/ca.pem into a trust store once)
  python -m conformance client --listen 127.0.0.1:8443
      keep the checking vendor up; drive your client by hand (. the printed client.env first)
  python -m conformance client --adapter -- python -m conformance.adapters.codec_adapter
      check a response decoder through the adapter protocol (here the reference adapter: passes)
  python -m conformance client --adapter --examples 500 --seed 7 -- node my-adapter.js
      the fixed variants, then 500 per endpoint drawn by Hypothesis (a failing one shrunk)
  python -m conformance client --adapter --dry-run
      list every response variant an adapter is sent, and what each is (letter, note, ...)

environment given to CMD:
  COMODO_API_URL            base URL ending /products/
  COMODO_CA_FILE, SSL_CERT_FILE, CURL_CA_BUNDLE, REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS
                            the test CA file (not set with --no-tls); PHP's cURL, Java and others
                            need it passed: README, "TLS set-up"
  COMODO_LOGIN_NAME, COMODO_LOGIN_PASSWORD, COMODO_SASP_SESSION_ID
                            the vendor's throw-away account and a SASP session for it

bounds: --max-request-bytes (1 MiB) of each request body; --adapter: --max-line-bytes (1 MiB) of
each line of the adapter's output, JSON up to 32 levels deep, --timeout (10 s) per answer.

exit status: 0 conforming, 1 not conforming (or no request arrived), 2 could not run (a one-line
reason on stderr -- bad arguments, CMD not found, the vendor could not start -- followed, for an
adapter that never answered, by its last lines of stderr).
"""


def _host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT (e.g. 127.0.0.1:8443), got {text!r}")
    return host, int(port)


def _account(text: str) -> tuple[str, str]:
    name, sep, password = text.partition(":")
    if not sep or not name or not password:
        raise argparse.ArgumentTypeError(f"expected NAME:PASSWORD, got {name!r}...")
    return name, password


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _byte_count(text: str) -> int:
    """A number of bytes, with an optional K (KiB) or M (MiB) suffix; at least 1 KiB."""
    units = {"k": 1024, "m": 1024 * 1024}
    number, unit = (text[:-1], units[text[-1].lower()]) if text[-1:].lower() in units else (text, 1)
    if not number.isdigit() or int(number) * unit < 1024:
        raise argparse.ArgumentTypeError(f"expected a number of bytes of at least 1024 (e.g. 1M, 512K), got {text!r}")
    return int(number) * unit


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a number of examples (0 or more), got {text!r}")
    return int(text)


def _argument_error(parser: argparse.ArgumentParser, message: str) -> NoReturn:
    """One line on stderr and exit status 2 (argparse's default prints the usage first)."""
    print(f"{parser.prog}: {message} (see --help)", file=sys.stderr)
    raise SystemExit(2)


def add_client_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``client`` on *sub* (the ``python -m conformance`` subcommands)."""
    p: argparse.ArgumentParser = sub.add_parser(
        "client",
        help="check a client program's requests (or, with --adapter, its decoder)",
        description=CLIENT_HELP,
        epilog=CLIENT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.error = functools.partial(_argument_error, p)  # type: ignore[method-assign]
    p.add_argument("--no-tls", action="store_true", help="serve plain HTTP (no CA variables are set)")
    p.add_argument(
        "--listen",
        type=_host_port,
        metavar="HOST:PORT",
        help="no CMD: stay up for a client driven by hand, a verdict line per request (port 0: any free port)",
    )
    p.add_argument(
        "--timeout",
        type=_positive,
        metavar="SECONDS",
        help=f"stop CMD after this long (default {DEFAULT_COMMAND_TIMEOUT:g}); with --adapter, "
        f"seconds per answer (default {DEFAULT_ANSWER_TIMEOUT:g})",
    )
    p.add_argument(
        "--account",
        type=_account,
        metavar="NAME:PASSWORD",
        help="the vendor's account (default: a throw-away one); never printed or reported",
    )
    p.add_argument(
        "--lenient",
        action="store_true",
        help="judge by the notes' lenient readings: requests only they accept pass with a note "
        "(and the vendor answers by them)",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="keep the test CA (and --listen's client.env) here (default: a temporary folder)",
    )
    p.add_argument(
        "--adapter",
        action="store_true",
        help="CMD is a decoding adapter (JSON lines on stdin/stdout, conformance/ADAPTER.md)",
    )
    p.add_argument("--endpoint", action="append", help="--adapter: only this endpoint's variants (repeatable)")
    p.add_argument("--only", action="append", metavar="GLOB", help="--adapter: only variants whose id matches")
    p.add_argument("--dry-run", action="store_true", help="--adapter: list the variants and exit")
    p.add_argument(
        "--examples",
        type=_count,
        default=0,
        metavar="N",
        help="--adapter: after the fixed variants, N more per endpoint drawn by Hypothesis from the tables "
        "(default 0: the fixed set only); a failing one is shrunk to the smallest that fails",
    )
    p.add_argument(
        "--seed", type=int, help="--adapter --examples: Hypothesis seed (default: random, printed for replay)"
    )
    p.add_argument(
        "--max-line-bytes",
        type=_byte_count,
        default=DEFAULT_MAX_LINE_BYTES,
        metavar="BYTES",
        help=f"--adapter: read at most this much of one line of the adapter's output (default {DEFAULT_MAX_LINE_BYTES}, "
        "1 MiB; K and M suffixes); a longer line is a finding and the rest of it is dropped",
    )
    p.add_argument(
        "--max-request-bytes",
        type=_byte_count,
        default=DEFAULT_MAX_REQUEST_BYTES,
        metavar="BYTES",
        help=f"keep at most this much of each request body (default {DEFAULT_MAX_REQUEST_BYTES}, 1 MiB; K and M "
        "suffixes); the rest is counted, and a request cut so is judged by what the kept part shows, with a note",
    )
    p.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML here")
    p.add_argument("--json", type=Path, metavar="FILE", help="write a JSON report here (every failing example)")
    p.add_argument("--quiet", "-q", action="store_true", help="no line per request or variant; CMD's output not shown")
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD ARGS", help="the client program to run")
    p.set_defaults(func=cmd_client)
    return p


def _chosen_variants(args: argparse.Namespace) -> list[Variant]:
    try:
        chosen = variants(args.endpoint)
    except (KeyError, ValueError) as exc:
        raise CouldNotRun(f"--endpoint: {exc}") from None
    if args.only:
        chosen = [v for v in chosen if any(fnmatch.fnmatchcase(v.id, p) for p in args.only)]
    if not chosen and not args.examples:
        raise CouldNotRun("no response variant matches --endpoint/--only")
    return chosen


def _dry_run(chosen: list[Variant], examples: int) -> int:
    for v in chosen:
        kind = f"note {v.note}" if v.note else v.kind
        print(f"{v.id}  [{kind}]  {v.about}")
    drawn = f", then {examples} per endpoint drawn by Hypothesis" if examples else ""
    print(f"\n{len(chosen)} variants{drawn}")
    return 0


def cmd_client(args: argparse.Namespace) -> int:
    """``client``: 0 conforming, 1 not, 2 could not run (a one-line reason on stderr)."""
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    try:
        if args.adapter:
            if args.listen:
                raise CouldNotRun("--adapter and --listen do not go together")
            if not command and not args.dry_run:
                raise CouldNotRun("--adapter needs the adapter to run: client --adapter -- CMD ARGS")
            chosen = _chosen_variants(args)
            if args.dry_run:
                return _dry_run(chosen, args.examples)
            run_seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
            run = check_decoder(
                command,
                chosen,
                timeout=args.timeout or DEFAULT_ANSWER_TIMEOUT,
                quiet=args.quiet,
                max_line=args.max_line_bytes,
                examples=args.examples,
                run_seed=run_seed,
                endpoints=args.endpoint,
            )
        elif args.listen:
            if command:
                raise CouldNotRun("--listen runs no CMD (drive the vendor by hand, or drop --listen)")
            host, port = args.listen
            run = listen(
                host,
                port,
                account=args.account,
                lenient=args.lenient,
                tls=not args.no_tls,
                data_dir=args.data_dir,
                max_request_bytes=args.max_request_bytes,
            )
        else:
            if not command:
                raise CouldNotRun("no CMD: client [options] -- CMD ARGS (or --listen HOST:PORT)")
            run = check_requests(
                command,
                account=args.account,
                lenient=args.lenient,
                tls=not args.no_tls,
                timeout=args.timeout or DEFAULT_COMMAND_TIMEOUT,
                quiet=args.quiet,
                max_request_bytes=args.max_request_bytes,
                data_dir=args.data_dir,
            )
        return finish_run(run, sys.stdout, junit=args.junit, json_path=args.json)
    except CouldNotRun as exc:
        print(f"conformance client: {exc}", file=sys.stderr)
        return 2
