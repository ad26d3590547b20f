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
    stderr, each line prefixed ``CMD|``, with secrets removed.

    Each request is judged for path, method, scheme, Content-Type, names, lengths (in
    characters), values and the required / conditional / exclusive rules.  A request the
    documents' letter forbids (the notes' strict readings) is a **failure** citing the table row
    -- including one that only a note's lenient reading would accept (for example saspSessionID
    beside loginName, or country ``gb``): a vendor taking the strict reading refuses it.  Where
    the documents leave the outcome open (a blank optional value, a name spelled in another case)
    the request passes with a **note**.  ``--lenient`` judges by the lenient readings instead (and
    the vendor answers by them).  An unknown path is a failure.

``--listen HOST:PORT``
    No CMD: the checking vendor stays up for a client driven by hand, printing one verdict line
    per request as it arrives, until Ctrl+C or SIGTERM; then the summary.  The environment a
    client needs is written to ``client.env`` in the data folder (path printed), ready for
    ``. client.env``; no secret is printed.

Decoder: ``python -m conformance client --adapter -- CMD ARGS...``
    CMD is a *decoding adapter* (JSON lines over stdin/stdout, any language; see
    ``conformance/ADAPTER.md`` and :mod:`conformance.client.variants`).  The kit sends it every
    response variant the tables allow -- both formats, every code with its filled message, every
    status, the lenient variants the notes allow -- and bodies a decoder must refuse, and
    compares each answer with the codec's reading.  The reference adapter is
    ``python -m conformance.adapters.codec_adapter``.

Reports (:mod:`conformance.report`): the terminal summary, JUnit (a testcase per request or
variant) and JSON (every request or variant with its example).  loginPassword and saspSessionID
never appear in any of them: neither the vendor's nor any value a client sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import codec

from ..adapters.codec_adapter import typed_wire
from ..report import progress_line, scrub
from ..results import CouldNotRun, DecodingExample, Finding, Result, Run
from .adapter import DEFAULT_ANSWER_TIMEOUT, Adapter, AdapterFailed, AdapterNotRunning, compare
from .command import DEFAULT_COMMAND_TIMEOUT, run_command
from .recording import Recorder
from .variants import Variant, expected_reading
from .vendor import CheckingVendor, Credentials, checking_vendor

__all__ = ["check_decoder", "check_requests", "listen"]


def _say(out: IO[str], text: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        out.write(text + "\n")
        out.flush()


@contextlib.contextmanager
def _recording(
    account: tuple[str, str] | None, *, lenient: bool, tls: bool, out: IO[str] | None
) -> Iterator[tuple[Credentials, Recorder]]:
    """Credentials and a recorder that prints a verdict line per request on *out*; raises
    :class:`~conformance.results.CouldNotRun` afterwards if judging a request failed."""
    credentials = Credentials.make(account)
    recorder = Recorder(secrets=credentials.secrets, lenient=lenient, scheme=None if tls else "https")
    if out is not None:
        recorder.on_record = lambda r: _say(out, progress_line(r.result(""), r.index, None, recorder.secrets))
    yield credentials, recorder
    if recorder.errors:
        raise CouldNotRun(f"the kit failed: {recorder.errors[0]}")


def _requests_run(recorder: Recorder, vendor: CheckingVendor, info: dict[str, Any], started: float) -> Run:
    run = Run(
        mode="client",
        noun="request",
        results=[r.result(vendor.url) for r in recorder.received],
        secrets=recorder.secrets,
        duration=time.monotonic() - started,
        info={**vendor.info(), **info},
        ca_file=vendor.ca_file,
    )
    if not run.results:
        run.run_failures.append(
            "no request arrived: the client sent nothing to COMODO_API_URL "
            "(a plain-HTTP request to the HTTPS port is refused before it is seen)"
        )
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
) -> Run:
    """Requests mode: the checking vendor, *command* against it (stopped after *timeout*
    seconds), every request it sent judged.  A verdict line per request on *out* and the
    command's output on *command_out* (default stdout and stderr), unless *quiet*."""
    out = out or sys.stdout
    started = time.monotonic()
    with _recording(account, lenient=lenient, tls=tls, out=None if quiet else out) as (credentials, recorder):
        with checking_vendor(recorder, credentials, tls=tls, lenient=lenient) as (vendor, _):
            ca = f" (CA {vendor.ca_file})" if vendor.ca_file else " (plain HTTP)"
            _say(out, f"checking vendor at {vendor.url}{ca}, account {credentials.login_name}")
            env = dict(os.environ)
            if not tls:
                env.pop("COMODO_CA_FILE", None)
            env.update(vendor.environment())
            shown = None if quiet else (command_out or sys.stderr)
            result = run_command(command, env, timeout, secrets=lambda: recorder.secrets, out=shown)
    info = {
        "command": {
            "argv": [scrub(a, recorder.secrets) for a in result.argv],
            "exit_status": result.status,
            "timed_out": result.timed_out,
            "duration": round(result.duration, 3),
            "summary": result.describe() + " (reported, not judged)",
            "output_tail": list(result.output_tail),
        },
    }
    return _requests_run(recorder, vendor, info, started)


def listen(
    host: str,
    port: int,
    *,
    account: tuple[str, str] | None = None,
    lenient: bool = False,
    tls: bool = True,
    data_dir: Path | None = None,
    out: IO[str] | None = None,
) -> Run:
    """``--listen``: the checking vendor in the foreground until Ctrl+C / SIGTERM, a verdict line
    per request on *out*; the environment for a client is written to ``client.env`` in
    *data_dir* (a temporary folder by default) and removed at the end."""
    out = out or sys.stdout
    started = time.monotonic()
    with _recording(account, lenient=lenient, tls=tls, out=out) as (credentials, recorder):
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
    return _requests_run(recorder, vendor, {"listen": f"{host}:{port}"}, started)


def _variant_result(
    variant: Variant, expected: Any, answer: dict[str, Any] | None, findings: tuple[Finding, ...]
) -> Result:
    reading = {"error": str(expected)} if isinstance(expected, codec.CodecError) else typed_wire(expected)
    return Result(
        id=variant.id,
        group=variant.endpoint,
        status="failed" if any(f.severity == "failure" for f in findings) else "passed",
        findings=findings,
        about=variant.about + (f"; note {variant.note}" if variant.note else ""),
        example=DecodingExample(
            endpoint=variant.endpoint,
            content_type=variant.content_type,
            response_format=variant.response_format,
            body=variant.body,
            expected=reading,
            answer=answer,
        ),
        details={"about": variant.about, "note": variant.note, "must_refuse": variant.malformed},
    )


def check_decoder(
    command: list[str],
    chosen: list[Variant],
    *,
    timeout: float = DEFAULT_ANSWER_TIMEOUT,
    quiet: bool = False,
    out: IO[str] | None = None,
) -> Run:
    """``--adapter``: every variant in *chosen* to the adapter *command* (*timeout* seconds per
    answer), each answer compared with the codec's reading; a line per failing variant on *out*
    unless *quiet*.  :class:`~conformance.results.CouldNotRun` when the adapter answers nothing."""
    out = out or sys.stdout
    started = time.monotonic()
    adapter = Adapter(command, timeout=timeout)
    results: list[Result] = []
    try:
        for number, variant in enumerate(chosen, 1):
            expected = expected_reading(variant)
            answer: dict[str, Any] | None = None
            try:
                answer = adapter.ask(variant.message(number))
                findings = compare(variant, expected, answer)
            except AdapterFailed as exc:
                findings = (Finding("failure", "adapter.protocol", str(exc)),)
            results.append(_variant_result(variant, expected, answer, findings))
            if results[-1].status == "failed" and not quiet:
                _say(out, progress_line(results[-1], number, len(chosen), []))
    except AdapterNotRunning as exc:
        raise CouldNotRun(str(exc)) from None
    finally:
        adapter.close()
    summary = (
        f"{shlex.join(command)} answered {adapter.answered} of {len(chosen)} messages "
        f"(started {adapter.starts} time(s))"
    )
    info = {"command": {"argv": list(command), "starts": adapter.starts, "summary": summary}}
    return Run(mode="adapter", noun="variant", results=results, duration=time.monotonic() - started, info=info)
