"""The three client modes, each producing a :class:`~conformance.results.Run` the reports show.

:func:`check_requests` (``python -m conformance client -- CMD``), :func:`listen` (``--listen``) and
:func:`check_decoder` (``--adapter``) take plain arguments, so they run without the command line
(:mod:`conformance.client.cli`).

Requests: ``python -m conformance client [options] -- CMD ARGS...``
    Starts a *checking vendor* on loopback -- the reference server (:mod:`conformance.reference.app` over
    a throw-away in-memory store holding one account with generous credit and one SASP session)
    with every request recorded and judged by :func:`conformance.client.judging.judge_client_request` -- then runs
    CMD with these environment variables:

    ``COMODO_API_URL``
        the base URL, ending ``/products/`` (append ``!AutoApplyIdA`` or ``!UpdateUserEvClickThrough``);
    ``SSL_CERT_FILE``, ``COMODO_CA_FILE`` (and ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``, ``NODE_EXTRA_CA_CERTS``)
        the test CA that signed the vendor's certificate (none with ``--no-tls``: plain HTTP);
    ``COMODO_LOGIN_NAME``, ``COMODO_LOGIN_PASSWORD``, ``COMODO_SASP_SESSION_ID``
        the throw-away account (or the one given with ``--account``) and a SASP session for it.

    The client gets the reference server's real answers, so it can place a test order and click
    through on it.  A line per request is printed as it arrives; when CMD exits (or is stopped
    after ``--timeout`` seconds) the failures follow in full, then a summary.  CMD's exit status
    (or its timeout) is reported, never judged: the verdict is about the requests.  CMD's output is shown on
    stderr, each line prefixed ``CMD|``, with secrets removed, control characters escaped and each
    line cut.

    Each request is judged for path, method, scheme, Content-Type, names, lengths (in
    characters), values and the required / conditional / exclusive rules.  Every rule a request
    breaks under the documents' letter (the notes' strict readings) is a **failure** citing its
    table row and the code the vendor answers, the one it answers first marked -- including one
    that only a note's lenient reading would accept (for example saspSessionID beside loginName,
    or country ``gb``): a vendor taking the strict reading refuses it.  Where the documents leave
    the outcome open (a blank optional value, a name spelled in another case) the request passes
    with a **note**.  ``--lenient`` judges by the lenient readings instead (and the vendor answers
    by them).  An unknown path is a failure.  Of each body the first ``--max-request-bytes`` are
    kept (:mod:`conformance.client.recording`).  When no request arrives, the run's failure says
    why: TLS handshakes the client broke off (it did not trust the CA), plain HTTP to the HTTPS
    port, or nothing sent at all.

``--listen HOST:PORT``
    No CMD: the checking vendor stays up for a client driven by hand, printing one verdict line
    per request as it arrives, until Ctrl+C or SIGTERM; then the summary.  The environment a
    client needs is written to ``client.env`` in the data folder (path printed), ready for
    ``. client.env``; no secret is printed.

Decoder: ``python -m conformance client --adapter -- CMD ARGS...``
    CMD is a *decoding adapter* (JSON lines over stdin/stdout, any language; see
    ``conformance/ADAPTER.md``); :mod:`conformance.client.decoding` sends it every response
    variant of :mod:`conformance.client.variants` (and, with ``--examples``, Hypothesis's) and
    grades each answer against what the body says (:mod:`conformance.client.grading`).  The
    reference adapter is ``python -m conformance.adapters.codec_adapter``.

Reports (:mod:`conformance.report`): the terminal summary, JUnit (a testcase per request or
variant) and JSON (every request or variant with its example).  loginPassword and saspSessionID
never appear in any of them: neither the vendor's nor any value a client sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Final

from ..reference.transport import HandshakeWatch
from ..report import progress_line, scrub
from ..results import CouldNotRun, Run
from .command import DEFAULT_COMMAND_TIMEOUT, run_command
from .recording import DEFAULT_MAX_REQUEST_BYTES, Recorder
from .vendor import CheckingVendor, Credentials, checking_vendor

__all__ = ["check_requests", "listen"]


def _say(out: IO[str], text: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        out.write(text + "\n")
        out.flush()


@contextlib.contextmanager
def _recording(
    account: tuple[str, str] | None, *, lenient: bool, tls: bool, out: IO[str] | None, max_request_bytes: int
) -> Iterator[tuple[Credentials, Recorder]]:
    """Credentials and a recorder that prints a verdict line per request on *out*; raises
    :class:`~conformance.results.CouldNotRun` afterwards if judging a request failed."""
    credentials = Credentials.make(account)
    recorder = Recorder(
        secrets=credentials.secrets,
        lenient=lenient,
        scheme=None if tls else "https",
        max_request_bytes=max_request_bytes,
    )
    if out is not None:
        recorder.on_record = lambda r: _say(out, progress_line(r.result(""), r.index, None, recorder.scrubber))
    yield credentials, recorder
    if recorder.errors:
        raise CouldNotRun(f"the kit failed: {recorder.errors[0]}")


# OpenSSL's reasons for a handshake the client broke off because it did not trust the certificate
_DISTRUST: Final = ("UNKNOWN_CA", "CERTIFICATE_UNKNOWN", "BAD_CERTIFICATE", "UNSUPPORTED_CERTIFICATE", "DECRYPT_ERROR")


def tls_diagnosis(handshakes: HandshakeWatch, ca_file: str | None) -> list[str]:
    """Why TLS connections to the checking vendor carried no request, one line per cause."""
    lines = []
    distrust = sum(n for reason, n in handshakes.failed.items() if any(d in reason for d in _DISTRUST))
    silent = handshakes.silent
    if distrust or silent:
        how = []
        if distrust:
            how.append(f"{distrust} with an alert")
        if silent:
            how.append(f"{silent} by closing the connection")
        lines.append(
            f"{distrust + silent} TLS handshake(s) broken off by the client ({', '.join(how)}): the client did not "
            f"trust the CA (COMODO_CA_FILE={ca_file}); point its HTTP library at that file (README: 'TLS set-up')"
        )
    plain = handshakes.failed.get("HTTP_REQUEST", 0)
    if plain:
        lines.append(f"{plain} plain-HTTP request(s) came to the HTTPS port: use COMODO_API_URL as given (https://)")
    for reason, count in sorted(handshakes.failed.items()):
        if reason != "HTTP_REQUEST" and not any(d in reason for d in _DISTRUST):
            lines.append(f"{count} TLS handshake(s) failed: {reason}")
    return lines


def _requests_run(
    recorder: Recorder, vendor: CheckingVendor, info: dict[str, Any], started: float, handshakes: HandshakeWatch
) -> Run:
    tls = tls_diagnosis(handshakes, vendor.ca_file)
    run = Run(
        mode="client",
        noun="request",
        results=[r.result(vendor.url) for r in recorder.received],
        scrubber=recorder.scrubber,
        duration=time.monotonic() - started,
        info={**vendor.info(), **info, "tls_handshakes": tls},
        ca_file=vendor.ca_file,
    )
    if not run.results:
        why = "; ".join(tls) if tls else "the client sent nothing to COMODO_API_URL"
        run.run_failures.append(f"no request arrived: {why}")
    elif tls and "command" in run.info:
        run.info["command"]["summary"] += "; " + "; ".join(tls)
    return run


def check_requests(
    command: list[str],
    *,
    account: tuple[str, str] | None = None,
    lenient: bool = False,
    tls: bool = True,
    timeout: float = DEFAULT_COMMAND_TIMEOUT,
    quiet: bool = False,
    out: IO[str] | None = None,
    command_out: IO[str] | None = None,
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    data_dir: Path | None = None,
) -> Run:
    """Requests mode: the checking vendor, *command* against it (stopped after *timeout*
    seconds), every request it sent judged (of each body the first *max_request_bytes* kept);
    the test CA is kept in *data_dir* (default: a temporary folder).
    A verdict line per request on *out* and the command's output on *command_out* (default
    stdout and stderr), unless *quiet*."""
    out = out or sys.stdout
    started = time.monotonic()
    shown_on = None if quiet else out
    with _recording(account, lenient=lenient, tls=tls, out=shown_on, max_request_bytes=max_request_bytes) as (
        credentials,
        recorder,
    ):
        with checking_vendor(recorder, credentials, tls=tls, lenient=lenient, data_dir=data_dir) as (vendor, group):
            ca = f" (CA {vendor.ca_file})" if vendor.ca_file else " (plain HTTP)"
            _say(out, f"checking vendor at {vendor.url}{ca}, account {credentials.login_name}")
            env = dict(os.environ)
            if not tls:
                env.pop("COMODO_CA_FILE", None)
            env.update(vendor.environment())
            shown = None if quiet else (command_out or sys.stderr)
            result = run_command(command, env, timeout, secrets=lambda: recorder.scrubber, out=shown)
    info = {
        "command": {
            "argv": [scrub(a, recorder.scrubber) for a in result.argv],
            "exit_status": result.status,
            "timed_out": result.timed_out,
            "duration": round(result.duration, 3),
            "summary": result.describe() + " (reported, not judged)",
            "output_tail": list(result.output_tail),
        },
    }
    return _requests_run(recorder, vendor, info, started, group.handshakes)


def listen(
    host: str,
    port: int,
    *,
    account: tuple[str, str] | None = None,
    lenient: bool = False,
    tls: bool = True,
    data_dir: Path | None = None,
    out: IO[str] | None = None,
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
) -> Run:
    """``--listen``: the checking vendor in the foreground until Ctrl+C / SIGTERM, a verdict line
    per request on *out*; the environment for a client is written to ``client.env`` in
    *data_dir* (a temporary folder by default) and removed at the end."""
    out = out or sys.stdout
    started = time.monotonic()
    with _recording(account, lenient=lenient, tls=tls, out=out, max_request_bytes=max_request_bytes) as (
        credentials,
        recorder,
    ):
        with contextlib.ExitStack() as stack:
            folder = data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="comodo-client-")))
            vendor, group = stack.enter_context(
                checking_vendor(
                    recorder,
                    credentials,
                    host=host,
                    port=port,
                    tls=tls,
                    lenient=lenient,
                    data_dir=folder,
                    background=False,
                )
            )
            env_file = vendor.write_env_file(folder / "client.env")
            stack.callback(env_file.unlink, missing_ok=True)
            _say(out, f"checking vendor listening at {vendor.url}")
            if vendor.ca_file:
                _say(out, f"CA file {vendor.ca_file}")
            _say(
                out,
                f"account {credentials.login_name}; the environment for a client (secrets included) is in {env_file}",
            )
            _say(out, "a verdict line per request follows; Ctrl+C ends and prints the summary")
            asyncio.run(group.serve(handle_signals=True))
    return _requests_run(recorder, vendor, {"listen": f"{host}:{port}"}, started, group.handshakes)
