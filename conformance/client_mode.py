"""``python -m conformance client``: check a client program's requests, or its response decoder.

Requests: ``python -m conformance client [options] -- CMD ARGS...``
    Starts a *checking vendor* on loopback -- the reference server (:mod:`conformance.app` over
    a throw-away in-memory store holding one account with generous credit and one SASP session)
    with every request recorded and judged by :func:`conformance.judge.judge_request` -- then runs
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
    ``conformance/ADAPTER.md`` and :mod:`conformance.adapters.protocol`).  The kit sends it every
    response variant the tables allow -- both formats, every code with its filled message, every
    status, the lenient variants the notes allow -- and bodies a decoder must refuse, and
    compares each answer with the codec's reading.  The reference adapter is
    ``python -m conformance.adapters.codec_adapter``.

Reports: the terminal summary, ``--junit FILE`` (a testcase per request or variant) and
``--json FILE`` (every request or variant, failing ones with the full example).  loginPassword
and saspSessionID never appear in any of them: neither the vendor's nor any value a client sent.

Exit status: 0 conforming; 1 not conforming (a request broke a rule, no request arrived, an
adapter answer differed); 2 could not run (bad arguments, CMD not found, the vendor could not
start, the adapter answered nothing in three starts) with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import functools
import json
import os
import re
import secrets as pysecrets
import shlex
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Final, NoReturn
from urllib.parse import unquote_plus

import attrs

import codec

from .judge import Finding, judge_request, redact

__all__ = ["Case", "Outcome", "Received", "Recorder", "RecordingApp", "add_client_parser", "cmd_client"]

DEFAULT_COMMAND_TIMEOUT: Final = 60.0
DEFAULT_ANSWER_TIMEOUT: Final = 10.0
_ITERATIONS: Final = 1_000  # PBKDF2 rounds for the throw-away in-memory account: speed, not safety
_SECRET_FIELDS: Final = sorted({f.name for n in codec.ENDPOINTS for f in codec.endpoint_spec(n).fields if f.secret})
# a secret pair as a form or query string writes it, and as JSON does
_NAMES: Final = "|".join(_SECRET_FIELDS)
_SECRET_PAIR: Final = re.compile(rf"(?i)\b({_NAMES})(=|%3D)([^&\s'\"]+)")
_SECRET_JSON: Final = re.compile(rf"(?i)(\"(?:{_NAMES})\"\s*:\s*\")([^\"\\]+)\"")
_MIN_SEEN_SECRET: Final = 4  # shorter values a client sent are scrubbed from bodies only, not from all text

CLIENT_HELP = """\
Check a client program: every request it sends (default), or how it decodes answers (--adapter).

Requests: starts a checking vendor on loopback (the reference server, recording and judging every
request), runs CMD with COMODO_API_URL (the base URL ending /products/), SSL_CERT_FILE and
COMODO_CA_FILE (the test CA; not with --no-tls) and COMODO_LOGIN_NAME / COMODO_LOGIN_PASSWORD /
COMODO_SASP_SESSION_ID (a throw-away account), and judges each request for path, method,
Content-Type, names, lengths, values and the required / conditional / exclusive rules, citing the
table row it breaks.  A request that only a note's lenient reading accepts fails (a vendor taking
the strict reading refuses it) unless --lenient; where the documents leave the outcome open the
request passes with a note.  CMD's exit status is reported, not judged.

--listen HOST:PORT: no CMD; the vendor stays up for a client driven by hand, printing a verdict
line per request, until Ctrl+C; the environment for a client is written to a file (path printed).

--adapter: CMD is a decoding adapter speaking JSON lines on stdin/stdout (conformance/ADAPTER.md);
the kit sends every response variant the tables allow (both formats, every code and status, the
lenient variants of the notes) and malformed bodies, and compares what the adapter understood with
the codec's reading.  No secret is printed or written to any report.
"""

CLIENT_EPILOG = """\
examples:
  python -m conformance client -- python my_client.py --order
      run my_client.py against the checking vendor; exit 1 if any request breaks a rule
  python -m conformance client --no-tls --junit client.xml --json client.json -- ./client.sh
      plain HTTP; reports for CI (no password or SASP session id in them)
  python -m conformance client --listen 127.0.0.1:8443
      keep the checking vendor up; drive your client by hand (. the printed client.env first)
  python -m conformance client --adapter -- python -m conformance.adapters.codec_adapter
      check a response decoder through the adapter protocol (here the reference adapter: passes)
  python -m conformance client --adapter --dry-run
      list every response variant an adapter is sent

environment given to CMD:
  COMODO_API_URL            base URL ending /products/
  SSL_CERT_FILE, COMODO_CA_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, NODE_EXTRA_CA_CERTS
                            the test CA file (not set with --no-tls)
  COMODO_LOGIN_NAME, COMODO_LOGIN_PASSWORD, COMODO_SASP_SESSION_ID
                            the vendor's throw-away account and a SASP session for it

exit status: 0 conforming, 1 not conforming (or no request arrived), 2 could not run (a one-line
reason on stderr: bad arguments, CMD not found, the vendor could not start).
"""


class CouldNotRun(Exception):
    """The check could not run at all (exit status 2); the message is the one-line reason."""


# ---------------------------------------------------------------------- secrets


def scrub(text: str, secrets: list[str]) -> str:
    """*text* without any secret: the values of secret pairs (loginPassword=..., saspSessionID=...)
    whatever they are, and every known secret wherever it appears (see :func:`judge.redact`)."""
    text = _SECRET_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}{codec.REDACTED}", text)
    text = _SECRET_JSON.sub(lambda m: f'{m.group(1)}{codec.REDACTED}"', text)
    return redact(text, secrets)


def _sent_secrets(body: bytes) -> list[str]:
    """The values of secret variables in a form body (any spelling of the name), long enough to
    be scrubbed from all text."""
    values = (unquote_plus(m.group(3)) for m in _SECRET_PAIR.finditer(body.decode("latin-1")))
    return [v for v in values if len(v) >= _MIN_SEEN_SECRET]


def _text(data: bytes, limit: int = 2000, secrets: list[str] | None = None) -> str:
    """*data* as text cut to *limit*; with *secrets*, scrubbed *before* the cut (a secret the
    cut split would no longer match, and its first part would be shown)."""
    text = data.decode("utf-8", "backslashreplace")
    if secrets is not None:
        text = scrub(text, secrets)
    return text if len(text) <= limit else text[:limit] + f"... ({len(data)} bytes)"


# ---------------------------------------------------------------------- judging a request

ROUTES: Final = {codec.endpoint_spec(name).path: name for name in codec.ENDPOINTS}


def _row(spec: codec.EndpointSpec, exc: codec.RequestRejected) -> str:
    return f"{spec.name}.request.{exc.field}.{exc.rule}" if exc.field else f"{spec.name}.request.{exc.rule}"


def _unknown_path(method: str, path: str) -> Finding:
    near = [name for p, name in ROUTES.items() if p.lower() == path.lower() or p.replace("!", "") == path]
    if near:
        spec = codec.endpoint_spec(near[0])
        return Finding("failure", f"{spec.name}.endpoint.path", f"{method} {path}: the endpoint is {spec.path}")
    known = " and ".join(sorted(ROUTES))
    return Finding("failure", "endpoint.path", f"{method} {path}: no endpoint there; the API has {known}")


def _open_questions(spec: codec.EndpointSpec, body: bytes) -> list[Finding]:
    """Notes for what the documents leave open: names spelled unlike the table, blank optional values."""
    try:
        pairs = codec.decode_form(body)
    except codec.FormError:
        return []
    notes: list[Finding] = []
    for name, value in pairs:
        f = spec.by_key.get(name.lower())
        if f is None:
            continue
        if name != f.name and codec.NoteId.NAMES_CASE_INSENSITIVE in spec.notes:
            notes.append(
                Finding(
                    "note",
                    codec.NoteId.NAMES_CASE_INSENSITIVE,
                    f"sent {name!r}; the table spells it {f.name} (case may matter)",
                )
            )
        if value == "" and f.presence != "required" and codec.NoteId.BLANK_VALUE in spec.notes:
            notes.append(
                Finding(
                    "note", codec.NoteId.BLANK_VALUE, f"{f.name} sent empty: read as absent; a vendor may answer -4"
                )
            )
    return notes


def judge_client_request(
    path: str, *, method: str, scheme: str, content_type: str | None, body: bytes, lenient: bool = False
) -> tuple[str | None, tuple[Finding, ...]]:
    """The endpoint *path* names (None: unknown, a failure) and the findings for one request.

    :func:`judge_request` decides; a request it accepts only under a note's lenient reading is
    a failure naming the strict reading's table row and the note, unless *lenient*.  Notes are
    added for what the documents leave open (see :func:`_open_questions`)."""
    endpoint = ROUTES.get(path)
    if endpoint is None:
        return None, (_unknown_path(method, path),)
    spec = codec.endpoint_spec(endpoint)
    _, judged = judge_request(endpoint, method=method, scheme=scheme, content_type=content_type, body=body)
    if method != "POST":  # no body, so no Content-Type to judge: the method's -17 says it all
        judged = tuple(f for f in judged if f.rule != f"{spec.name}.endpoint.request_content_type")
    findings: list[Finding] = []
    for f in judged:
        if f.severity == "note" and not lenient:
            try:
                codec.decode_request(
                    endpoint, body, method=method, scheme=scheme, content_type=content_type, strict=True
                )
                row = f.rule
            except codec.RequestRejected as exc:
                row = _row(spec, exc)
            reading = spec.notes[f.rule].strict if f.rule in spec.notes else ""
            findings.append(
                Finding(
                    "failure",
                    row,
                    f"{f.message}; only note {f.rule}'s lenient reading accepts it (strict reading: {reading})",
                )
            )
        else:
            findings.append(f)
    if not any(f.severity == "failure" for f in findings):
        findings.extend(_open_questions(spec, body))
    return endpoint, tuple(findings)


def cites(rule: str) -> str | None:
    """Where a rule's table row comes from: the document and line of the variable it names."""
    parts = rule.split(".")
    if len(parts) >= 3 and parts[0] in codec.ENDPOINTS and parts[1] == "request":
        spec = codec.endpoint_spec(parts[0])
        f = spec.by_key.get(parts[2].lower())
        if f is not None:
            return f"{spec.source} line {f.source_line} ({f.name})"
    if len(parts) >= 2 and parts[0] in codec.ENDPOINTS:
        return f"spec/tables/{parts[0]}.json ({'.'.join(parts[1:])})"
    if any(rule in codec.endpoint_spec(name).notes for name in codec.ENDPOINTS):
        return f"spec/readings.toml (note {rule})"
    return None


# ---------------------------------------------------------------------- recording


@attrs.frozen
class Received:
    """One request the checking vendor received, the answer it gave and the verdict."""

    index: int
    method: str
    scheme: str
    path: str
    query: bytes
    content_type: str | None
    body: bytes
    endpoint: str | None
    findings: tuple[Finding, ...]
    status: int | None = None
    response_content_type: str | None = None
    response_body: bytes = b""

    @property
    def failed(self) -> bool:
        return any(f.severity == "failure" for f in self.findings)

    @property
    def answered(self) -> str:
        """What the client got: ``errorCode N``, ``HTTP 404`` or ``no answer``."""
        if self.status is None:
            return "no answer"
        if self.endpoint is not None and self.status == 200:
            try:
                response = codec.decode_response(
                    self.endpoint, self.response_body, content_type=self.response_content_type
                )
                return f"errorCode {response.error_code}"
            except codec.CodecError:
                pass
        return f"HTTP {self.status}"


class Recorder:
    """Judges and keeps every request (thread-safe); *on_record* sees each as it is recorded."""

    def __init__(
        self,
        *,
        secrets: list[str],
        lenient: bool = False,
        scheme: str | None = None,
        on_record: Callable[[Received], None] | None = None,
    ) -> None:
        self._secrets = [s for s in secrets if s]
        self._seen: list[str] = []
        self.lenient = lenient
        self.scheme = scheme  # None: the connection's own; "https" with --no-tls (answered as if HTTPS)
        self.on_record = on_record
        self.received: list[Received] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()

    @property
    def secrets(self) -> list[str]:
        with self._lock:
            return [*self._secrets, *self._seen]

    def record(
        self,
        scope: dict[str, Any],
        body: bytes,
        status: int | None,
        response_content_type: str | None,
        response_body: bytes,
    ) -> None:
        """Judge one exchange and keep it.  Never raises: a failure of the kit itself is kept in
        ``errors`` (the run then exits 2)."""
        try:
            method = str(scope.get("method", "")).upper()
            scheme = self.scheme or str(scope.get("scheme", "http"))
            query = bytes(scope.get("query_string", b""))
            content_type = _header(scope, b"content-type")
            path = str(scope.get("path", ""))
            judged_body = body if method == "POST" else query  # a GET's query string is its body
            endpoint, findings = judge_client_request(
                path, method=method, scheme=scheme, content_type=content_type, body=judged_body, lenient=self.lenient
            )
            seen = _sent_secrets(body) + _sent_secrets(query)
            with self._lock:
                self._seen.extend(s for s in seen if s not in self._seen)
                received = Received(
                    len(self.received) + 1,
                    method,
                    scheme,
                    path,
                    query,
                    content_type,
                    body,
                    endpoint,
                    findings,
                    status,
                    response_content_type,
                    response_body,
                )
                self.received.append(received)
            if self.on_record is not None:
                self.on_record(received)
        except Exception as exc:  # the kit's own fault: reported as such, never as a traceback
            with self._lock:
                self.errors.append(f"{type(exc).__name__} while judging a request")


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if bytes(key).lower() == name:
            return bytes(value).decode("latin-1")
    return None


class RecordingApp:
    """ASGI middleware: passes each HTTP exchange to *app* unchanged and hands it to *recorder*
    before the answer's last byte leaves (so a client never sees an answer not yet recorded)."""

    def __init__(self, app: Any, recorder: Recorder) -> None:
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = bytearray()
        answer: dict[str, Any] = {"status": None, "content_type": None, "body": bytearray()}
        recorded = False

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                self.recorder.record(
                    scope, bytes(body), answer["status"], answer["content_type"], bytes(answer["body"])
                )

        async def receive_() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                body.extend(message.get("body", b""))
            return message

        async def send_(message: Any) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["content_type"] = _header(message, b"content-type")
            elif message["type"] == "http.response.body":
                answer["body"].extend(message.get("body", b""))
                if not message.get("more_body", False):
                    record()
            await send(message)

        try:
            await self.app(scope, receive_, send_)
        finally:
            record()


@attrs.frozen
class Vendor:
    """The checking vendor as a client sees it."""

    url: str
    ca_file: str | None
    credentials: Credentials

    def environment(self) -> dict[str, str]:
        """The variables a client needs (see the module docstring)."""
        c = self.credentials
        env = {
            "COMODO_API_URL": self.url,
            "COMODO_LOGIN_NAME": c.login_name,
            "COMODO_LOGIN_PASSWORD": c.login_password,
            "COMODO_SASP_SESSION_ID": c.sasp_session_id,
        }
        if self.ca_file:
            for name in (
                "SSL_CERT_FILE",
                "COMODO_CA_FILE",
                "REQUESTS_CA_BUNDLE",
                "CURL_CA_BUNDLE",
                "NODE_EXTRA_CA_CERTS",
            ):
                env[name] = self.ca_file
        return env


@attrs.frozen
class Credentials:
    """The vendor's account: the one given with --account, or a throw-away one; a SASP session."""

    login_name: str
    login_password: str = attrs.field(repr=False)
    sasp_session_id: str = attrs.field(repr=False)
    password_given: bool = False

    @classmethod
    def make(cls, account: tuple[str, str] | None) -> Credentials:
        name, password = account or ("conformance", pysecrets.token_urlsafe(18))
        return cls(name, password, pysecrets.token_hex(8), account is not None)

    @property
    def secrets(self) -> list[str]:
        return [self.login_password, self.sasp_session_id]


@contextlib.contextmanager
def checking_vendor(
    recorder: Recorder,
    credentials: Credentials,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: bool = True,
    lenient: bool = False,
    data_dir: Path | None = None,
    background: bool = True,
) -> Iterator[tuple[Vendor, Any]]:
    """Start the recording reference server for *credentials*; yield the :class:`Vendor` and its
    server group.  With *background* it serves in a thread until the block ends; otherwise the
    caller runs ``group.serve(...)``.  Raises :class:`CouldNotRun` with a one-line reason if it
    cannot start."""
    from .serve import GENEROUS_CREDIT, ServerGroup, seed_store, serving_in_background
    from .store import MEMORY, Store, StoreError
    from .tls import server_tls

    c = credentials
    with contextlib.ExitStack() as stack:
        try:
            store = stack.enter_context(Store(MEMORY, pbkdf2_iterations=_ITERATIONS))
            seed_store(
                store, [(c.login_name, c.login_password)], [(c.sasp_session_id, c.login_name)], credit=GENEROUS_CREDIT
            )
            folder = data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="comodo-client-")))
            options: dict[str, Any] = {"host": host, "port": port, "strict": not lenient}
            options["app_wrapper"] = lambda app: RecordingApp(app, recorder)
            if tls:
                with server_tls(folder) as files:
                    group = ServerGroup(store, tls=files, **options)
            else:
                group = ServerGroup(store, **options)
            stack.callback(group.close_sockets)
            if background:
                stack.enter_context(serving_in_background(group, name="checking-vendor"))
        except (OSError, RuntimeError, StoreError, ValueError) as exc:
            where = f" on {host}:{port}" if port else ""
            raise CouldNotRun(f"the checking vendor could not start{where}: {type(exc).__name__}: {exc}") from None
        yield Vendor(group.base_url, group.ca_file, c), group


# ---------------------------------------------------------------------- running CMD


@attrs.frozen
class CommandResult:
    argv: tuple[str, ...]
    status: int | None
    timed_out: bool
    duration: float
    output_tail: tuple[str, ...]

    def describe(self) -> str:
        name = shlex.join(self.argv)
        if self.timed_out:
            return f"{name} did not finish within {self.duration:.0f} s and was stopped"
        return f"{name} exited with status {self.status} after {self.duration:.1f} s"


def run_command(
    argv: list[str],
    env: dict[str, str],
    timeout: float,
    *,
    secrets: Callable[[], list[str]],
    out: IO[str] | None,
) -> CommandResult:
    """Run CMD to the end (its process group stopped after *timeout* seconds), copying its
    output, secrets removed, to *out* with a ``CMD|`` prefix.  CouldNotRun if it cannot start."""
    from .adapters.protocol import CannotStart, spawn, stop

    started = time.monotonic()
    try:
        proc = spawn(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    except CannotStart as exc:
        raise CouldNotRun(str(exc)) from None
    tail: collections.deque[str] = collections.deque(maxlen=40)

    def pump() -> None:
        assert proc.stdout is not None
        for raw in iter(proc.stdout.readline, b""):
            line = scrub(raw.decode("utf-8", "replace").rstrip("\r\n"), secrets())
            tail.append(line)
            if out is not None:
                with contextlib.suppress(OSError, ValueError):
                    out.write(f"  CMD| {line}\n")
                    out.flush()

    reader = threading.Thread(target=pump, name="cmd-output", daemon=True)
    reader.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        if proc.poll() is None:  # timed out, or the kit was interrupted
            stop(proc, grace=0)
    reader.join(timeout=2)
    return CommandResult(tuple(argv), proc.returncode, timed_out, time.monotonic() - started, tuple(tail))


# ---------------------------------------------------------------------- results and reports


@attrs.frozen
class Case:
    """One judged thing -- a request, or a response variant -- as the reports show it."""

    name: str
    group: str
    findings: tuple[Finding, ...]
    details: dict[str, Any]
    block: str = ""

    @property
    def failed(self) -> bool:
        return any(f.severity == "failure" for f in self.findings)

    @property
    def notes(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "note")


@attrs.define
class Outcome:
    """A run: its cases, what failed outside them (no request arrived...), and context."""

    mode: str
    cases: list[Case]
    run_failures: list[str]
    info: dict[str, Any]
    secrets: list[str]
    duration: float

    @property
    def failed(self) -> list[Case]:
        return [c for c in self.cases if c.failed]

    @property
    def conforming(self) -> bool:
        return not self.run_failures and not self.failed

    def summary(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for c in self.cases:
            row = out.setdefault(c.group, {"passed": 0, "failed": 0, "notes": 0})
            row["failed" if c.failed else "passed"] += 1
            row["notes"] += bool(c.notes)
        return out


def _replay(r: Received, base_url: str, ca_file: str | None, secrets: list[str]) -> str:
    url = base_url.split("/products/", 1)[0] + r.path + (f"?{_text(r.query, 100_000)}" if r.query else "")
    parts = ["curl", "-sS", "-X", r.method]
    if ca_file:
        parts += ["--cacert", ca_file]
    if r.content_type is not None:
        parts += ["-H", f"Content-Type: {r.content_type}"]
    if r.body:
        parts += ["--data-binary", _text(r.body, 100_000)]
    parts.append(url)
    return scrub(" ".join(shlex.quote(p) for p in parts), secrets)


def verdict_line(r: Received, secrets: list[str]) -> str:
    """One line: index, verdict, method, path, what the client got, and the first finding."""
    mark = "FAIL" if r.failed else ("note" if r.findings else "ok  ")
    line = f"[{r.index}] {mark} {r.method} {r.path} -> {r.answered}"
    shown = [f for f in r.findings if f.severity == "failure"] or list(r.findings)
    if shown:
        line += ": " + "; ".join(f"{f.rule}: {f.message}" for f in shown)
    return scrub(line, secrets)


def request_case(r: Received, vendor: Vendor, secrets: list[str]) -> Case:
    """The report entry for one request: findings, the request and answer, a replay command."""
    url = vendor.url.split("/products/", 1)[0] + r.path
    replay = _replay(r, vendor.url, vendor.ca_file, secrets)
    details = {
        "index": r.index,
        "endpoint": r.endpoint,
        "request": {
            "method": r.method,
            "scheme": r.scheme,
            "url": url,
            "query": _text(r.query, secrets=secrets),
            "content_type": r.content_type,
            "body": _text(r.body, secrets=secrets),
            "replay": replay,
        },
        "response": {
            "status": r.status,
            "content_type": r.response_content_type,
            "body": _text(r.response_body, secrets=secrets),
            "answered": r.answered,
        },
    }
    lines = [f"FAIL request {r.index}: {r.method} {r.path} (answered {r.answered})"]
    for f in r.findings:
        if f.severity == "failure":
            lines.append(f"  broke:    {f.rule}: {f.message}")
            where = cites(f.rule)
            if where:
                lines.append(f"  cites:    {where}")
    lines.append(f"  sent:     Content-Type {r.content_type or '(none)'}")
    for text in (r.query, r.body):
        if text:
            lines.append(f"            {_text(text, 600, secrets)}")
    lines.append(f"  replay:   {replay}")
    block = scrub("\n".join(lines), secrets)
    return Case(f"request {r.index}: {r.method} {r.path}", r.endpoint or "unknown path", r.findings, details, block)


def print_summary(outcome: Outcome, out: IO[str]) -> None:
    """Failures in full, a table per endpoint, the notes, the run's own failures, the verdict."""
    s = outcome.secrets
    for c in outcome.failed:
        out.write(scrub(c.block, s) + "\n\n")
    summary = outcome.summary()
    if summary:
        width = max(len("endpoint"), *(len(g) for g in summary))
        out.write(f"{'endpoint':<{width}}  {'passed':>6}  {'failed':>6}  {'notes':>5}\n")
        for group, row in summary.items():
            out.write(f"{group:<{width}}  {row['passed']:>6}  {row['failed']:>6}  {row['notes']:>5}\n")
    notes: dict[str, str] = {}
    for c in outcome.cases:
        for n in c.notes:
            notes.setdefault(n.rule, n.message)
    if notes:
        out.write("\nnotes (what the documents leave open; not failures):\n")
        for rule, message in sorted(notes.items()):
            out.write(scrub(f"  {rule}: {message}\n", s))
    command = outcome.info.get("command")
    if command:
        out.write(scrub(f"\ncommand: {command['summary']}\n", s))
    for failure in outcome.run_failures:
        out.write(scrub(f"\nFAIL {failure}\n", s))
    what = ("request" if outcome.mode == "client" else "variant") + ("" if len(outcome.cases) == 1 else "s")
    verdict = "CONFORMING" if outcome.conforming else "NOT CONFORMING"
    out.write(
        f"\n{verdict}: {len(outcome.cases)} {what}, {len(outcome.failed)} failed, "
        f"{sum(bool(c.notes) for c in outcome.cases)} with notes, in {outcome.duration:.1f} s\n"
    )
    out.flush()


def write_json(outcome: Outcome, path: Path) -> None:
    """Every case with its findings and example, the run's failures and context; no secret."""
    data = {
        "mode": outcome.mode,
        "verdict": "conforming" if outcome.conforming else "not conforming",
        **outcome.info,
        "duration": round(outcome.duration, 3),
        "summary": outcome.summary(),
        "run_failures": outcome.run_failures,
        "cases": [
            {
                "name": c.name,
                "group": c.group,
                "outcome": "failed" if c.failed else "passed",
                "findings": [
                    {"severity": f.severity, "rule": f.rule, "message": f.message, "cites": cites(f.rule)}
                    for f in c.findings
                ],
                **c.details,
            }
            for c in outcome.cases
        ],
    }
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    path.write_text(scrub(text, outcome.secrets) + "\n", encoding="utf-8")


def write_junit(outcome: Outcome, path: Path) -> None:
    """JUnit XML: a testsuite per endpoint, a testcase per case, and a ``run`` suite whose one
    testcase fails when the run itself failed (no request arrived, ...)."""
    s = outcome.secrets
    suites = ET.Element("testsuites", name=f"comodo-conformance-{outcome.mode}", tests=str(len(outcome.cases) + 1))
    groups: dict[str, list[Case]] = {}
    for c in outcome.cases:
        groups.setdefault(c.group, []).append(c)
    for group, cases in groups.items():
        suite = ET.SubElement(
            suites, "testsuite", name=group, tests=str(len(cases)), failures=str(sum(c.failed for c in cases))
        )
        suite.set("errors", "0")
        for c in cases:
            case = ET.SubElement(suite, "testcase", classname=f"comodo.{outcome.mode}.{group}", name=scrub(c.name, s))
            props = ET.SubElement(case, "properties")
            for f in c.findings:
                ET.SubElement(props, "property", name=f.severity, value=scrub(f"{f.rule}: {f.message}", s))
            if c.failed:
                first = next(f for f in c.findings if f.severity == "failure")
                failure = ET.SubElement(
                    case, "failure", message=scrub(f"{first.rule}: {first.message}", s), type="nonconforming"
                )
                failure.text = scrub(c.block, s)
    run = ET.SubElement(
        suites, "testsuite", name="run", tests="1", failures=str(int(bool(outcome.run_failures))), errors="0"
    )
    case = ET.SubElement(run, "testcase", classname=f"comodo.{outcome.mode}", name="run")
    command = outcome.info.get("command")
    if command:
        props = ET.SubElement(case, "properties")
        ET.SubElement(props, "property", name="command", value=scrub(command["summary"], s))
    if outcome.run_failures:
        failure = ET.SubElement(case, "failure", message=scrub(outcome.run_failures[0], s), type="nonconforming")
        failure.text = scrub("\n".join(outcome.run_failures), s)
    ET.indent(suites)
    text = ET.tostring(suites, encoding="unicode", xml_declaration=True)
    path.write_text(scrub(text, s) + "\n", encoding="utf-8")


def _finish(outcome: Outcome, args: argparse.Namespace) -> int:
    print_summary(outcome, sys.stdout)
    try:
        if args.junit:
            write_junit(outcome, args.junit)
        if args.json:
            write_json(outcome, args.json)
    except OSError as exc:
        raise CouldNotRun(f"cannot write the report: {exc.strerror or exc}: {exc.filename}") from None
    return 0 if outcome.conforming else 1


# ---------------------------------------------------------------------- the modes


def _say(text: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def _client_outcome(recorder: Recorder, vendor: Vendor, info: dict[str, Any], duration: float) -> Outcome:
    secrets = recorder.secrets
    cases = [request_case(r, vendor, secrets) for r in recorder.received]
    run_failures = []
    if not cases:
        run_failures.append(
            "no request arrived: the client sent nothing to COMODO_API_URL "
            "(a plain-HTTP request to the HTTPS port is refused before it is seen)"
        )
    return Outcome("client", cases, run_failures, info, secrets, duration)


def _vendor_info(vendor: Vendor) -> dict[str, Any]:
    return {"vendor": {"url": vendor.url, "tls": vendor.ca_file is not None, "account": vendor.credentials.login_name}}


def run_client(args: argparse.Namespace, command: list[str]) -> int:
    """Requests mode: the checking vendor, CMD against it, the verdict."""
    started = time.monotonic()
    credentials = Credentials.make(args.account)
    recorder = Recorder(secrets=credentials.secrets, lenient=args.lenient, scheme="https" if args.no_tls else None)
    if not args.quiet:
        recorder.on_record = lambda r: _say(verdict_line(r, recorder.secrets))
    with checking_vendor(recorder, credentials, tls=not args.no_tls, lenient=args.lenient) as (vendor, _):
        ca = f" (CA {vendor.ca_file})" if vendor.ca_file else " (plain HTTP)"
        _say(f"checking vendor at {vendor.url}{ca}, account {credentials.login_name}")
        env = dict(os.environ)
        if args.no_tls:
            env.pop("COMODO_CA_FILE", None)
        env.update(vendor.environment())
        timeout = args.timeout or DEFAULT_COMMAND_TIMEOUT
        out = None if args.quiet else sys.stderr
        result = run_command(command, env, timeout, secrets=lambda: recorder.secrets, out=out)
    if recorder.errors:
        raise CouldNotRun(f"the kit failed: {recorder.errors[0]}")
    info = {
        **_vendor_info(vendor),
        "command": {
            "argv": [scrub(a, recorder.secrets) for a in result.argv],
            "exit_status": result.status,
            "timed_out": result.timed_out,
            "duration": round(result.duration, 3),
            "summary": result.describe() + " (reported, not judged)",
            "output_tail": list(result.output_tail),
        },
    }
    return _finish(_client_outcome(recorder, vendor, info, time.monotonic() - started), args)


def run_listen(args: argparse.Namespace) -> int:
    """--listen: the checking vendor in the foreground until Ctrl+C / SIGTERM, a line per request."""
    host, port = args.listen
    started = time.monotonic()
    credentials = Credentials.make(args.account)
    recorder = Recorder(secrets=credentials.secrets, lenient=args.lenient, scheme="https" if args.no_tls else None)
    recorder.on_record = lambda r: _say(verdict_line(r, recorder.secrets))
    with contextlib.ExitStack() as stack:
        data_dir = args.data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="comodo-client-")))
        vendor, group = stack.enter_context(
            checking_vendor(
                recorder,
                credentials,
                host=host,
                port=port,
                tls=not args.no_tls,
                lenient=args.lenient,
                data_dir=data_dir,
                background=False,
            )
        )
        env_file = _write_env_file(data_dir / "client.env", vendor)
        stack.callback(env_file.unlink, missing_ok=True)
        _say(f"checking vendor listening at {vendor.url}")
        if vendor.ca_file:
            _say(f"CA file {vendor.ca_file}")
        _say(f"account {credentials.login_name}; the environment for a client (secrets included) is in {env_file}")
        _say("a verdict line per request follows; Ctrl+C ends and prints the summary")
        asyncio.run(group.serve(handle_signals=True))
    if recorder.errors:
        raise CouldNotRun(f"the kit failed: {recorder.errors[0]}")
    info = {**_vendor_info(vendor), "listen": f"{host}:{port}"}
    return _finish(_client_outcome(recorder, vendor, info, time.monotonic() - started), args)


def _write_env_file(path: Path, vendor: Vendor) -> Path:
    """``export NAME='value'`` lines for a shell, readable by its owner only; a password given
    with --account is not written (the user has it)."""
    lines = []
    for name, value in vendor.environment().items():
        if name == "COMODO_LOGIN_PASSWORD" and vendor.credentials.password_given:
            lines.append(f"# {name}: the password given with --account")
            continue
        lines.append(f"export {name}={shlex.quote(value)}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


def run_adapter(args: argparse.Namespace, command: list[str]) -> int:
    """--adapter: every response variant to the adapter, each answer compared with the codec's."""
    import fnmatch

    from .adapters.protocol import Adapter, AdapterFailed, AdapterNotRunning, compare, expected_reading, variants

    try:
        chosen = variants(args.endpoint)
    except (KeyError, ValueError) as exc:
        raise CouldNotRun(f"--endpoint: {exc}") from None
    if args.only:
        chosen = [v for v in chosen if any(fnmatch.fnmatchcase(v.id, p) for p in args.only)]
    if not chosen:
        raise CouldNotRun("no response variant matches --endpoint/--only")
    if args.dry_run:
        for v in chosen:
            kind = "refuse" if v.malformed else (f"note {v.note}" if v.note else "letter")
            _say(f"{v.id}  [{kind}]  {v.about}")
        _say(f"\n{len(chosen)} variants")
        return 0
    started = time.monotonic()
    adapter = Adapter(command, timeout=args.timeout or DEFAULT_ANSWER_TIMEOUT)
    cases: list[Case] = []
    try:
        for number, variant in enumerate(chosen, 1):
            expected = expected_reading(variant)
            try:
                answer: dict[str, Any] | None = adapter.ask(variant.message(number))
                assert answer is not None
                findings = compare(variant, expected, answer)
            except AdapterFailed as exc:
                answer = None
                findings = (Finding("failure", "adapter.protocol", str(exc)),)
            case = _variant_case(variant, expected, answer, findings)
            cases.append(case)
            if case.failed and not args.quiet:
                first = next(f for f in findings if f.severity == "failure")
                _say(f"FAIL {variant.id}: {first.rule}: {first.message}")
    except AdapterNotRunning as exc:
        raise CouldNotRun(str(exc)) from None
    finally:
        adapter.close()
    info = {
        "command": {
            "argv": list(command),
            "starts": adapter.starts,
            "summary": f"{shlex.join(command)} answered {adapter.answered} of {len(chosen)} messages "
            f"(started {adapter.starts} time(s))",
        }
    }
    return _finish(Outcome("adapter", cases, [], info, [], time.monotonic() - started), args)


def _variant_case(variant: Any, expected: Any, answer: dict[str, Any] | None, findings: tuple[Finding, ...]) -> Case:
    from .adapters.codec_adapter import typed_wire

    reading = {"error": str(expected)} if isinstance(expected, codec.CodecError) else typed_wire(expected)
    details = {
        "about": variant.about,
        "note": variant.note,
        "must_refuse": variant.malformed,
        "sent": {
            "endpoint": variant.endpoint,
            "content_type": variant.content_type,
            "response_format": variant.response_format,
            "body": _text(variant.body),
        },
        "expected": reading,
        "adapter": answer,
    }
    lines = [f"FAIL {variant.id}: {variant.about}" + (f" (note {variant.note})" if variant.note else "")]
    for f in findings:
        if f.severity == "failure":
            lines.append(f"  broke:    {f.rule}: {f.message}")
    lines.append(f"  sent:     {variant.content_type} (responseFormat {variant.response_format})")
    for line in _text(variant.body, 600).splitlines(keepends=True) or [""]:
        lines.append(f"            {line!r}")
    lines.append(f"  expected: {json.dumps(reading, ensure_ascii=False)}")
    lines.append(f"  adapter:  {json.dumps(answer, ensure_ascii=False, default=str)}")
    return Case(variant.id, variant.endpoint, findings, details, "\n".join(lines))


# ---------------------------------------------------------------------- the command line


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
    p.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML here")
    p.add_argument("--json", type=Path, metavar="FILE", help="write a JSON report here (every failing example)")
    p.add_argument("--quiet", "-q", action="store_true", help="no line per request or variant; CMD's output not shown")
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD ARGS", help="the client program to run")
    p.set_defaults(func=cmd_client)
    return p


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
            return run_adapter(args, command)
        if args.listen:
            if command:
                raise CouldNotRun("--listen runs no CMD (drive the vendor by hand, or drop --listen)")
            return run_listen(args)
        if not command:
            raise CouldNotRun("no CMD: client [options] -- CMD ARGS (or --listen HOST:PORT)")
        return run_client(args, command)
    except CouldNotRun as exc:
        print(f"conformance client: {exc}", file=sys.stderr)
        return 2
