"""Run the reference server under uvicorn: :func:`running_server`, or ``python -m conformance serve``.

HTTPS by default, with a certificate from the data folder's test CA (:mod:`conformance.reference.tls`);
``--no-tls`` serves plain HTTP and answers it as if it were HTTPS.  ``--plain-port`` opens a
second, plain-HTTP port on which every request earns the vendor's -1 (its app requires HTTPS and
sees scheme ``http``).  All servers run in one asyncio loop (``uvicorn.Server.serve``), in the
main thread for the command and in a background thread for :func:`running_server`.

uvicorn is told not to trust ``X-Forwarded-*`` headers (a plain-port client must not be able to
claim HTTPS) and not to write access logs (a GET's query string is its body and may hold a
password); the app logs each answer itself, without secrets.

Hostile peers at the transport (see ``tests/RELIABILITY.md``):

* **One head deadline** (``head_timeout``, :data:`DEFAULT_HEAD_TIMEOUT` seconds, ``serve
  --head-timeout``): a new connection must finish its TLS handshake *and* send a whole request
  head within it, counted from the moment it was accepted; a kept-alive connection must send its
  next head within it of the previous answer.  asyncio's own TLS handshake timeout (60 s, which
  uvicorn does not change) is set to the same value, and the head deadline starts at accept, not
  after the handshake, so a connection that never finishes its handshake is closed as soon as
  one that never sends a request.
* **Accept-loop errors are logged once per interval**: out of file descriptors, ``accept()``
  fails for every waiting connection; asyncio 3.11 logs a traceback for each failure and keeps
  trying the rest of its backlog in the same pass (CPython gh-151615).  The listening socket
  (:class:`_ListeningSocket`) ends such a pass after the first failure, and the loop's exception
  handler (:class:`LoopErrorLog`) writes one line per kind of error per
  :data:`ERROR_LOG_INTERVAL` seconds, with a count, never a traceback.  Connections wait in the
  listen queue meanwhile and are served as the head deadline frees descriptors.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import math
import signal
import socket
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import attrs
import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .app import (
    ReferenceApp,
    make_app,
)
from .records import MEMORY
from .store import DEFAULT_PBKDF2_ITERATIONS, Store
from .tls import TlsFiles, server_tls

__all__ = [
    "DEFAULT_HEAD_TIMEOUT",
    "DEFAULT_PORT",
    "ERROR_LOG_INTERVAL",
    "GENEROUS_CREDIT",
    "LoopErrorLog",
    "RunningServer",
    "ServerGroup",
    "running_server",
    "seed_store",
    "server_group",
    "serving_in_background",
]

GENEROUS_CREDIT: Final = Decimal("1000000.00")
DEFAULT_PORT: Final = 8443
DEFAULT_HEAD_TIMEOUT: Final = 5.0
"""Seconds a connection has to finish its TLS handshake and send a whole request head (see the
module docstring); also how long a kept-alive connection may stay silent."""
ERROR_LOG_INTERVAL: Final = 5.0
"""Seconds between two log lines about the same kind of event-loop error (see :class:`LoopErrorLog`)."""
# uvicorn's own connection limit (it answers 503 beyond it): only an outer guard around the app's
# semaphore, which answers -14
_OUTER_LIMIT_FACTOR: Final = 16
_START_TIMEOUT: Final = 15.0
_GRACE: Final = 1.0  # seconds running_server waits for open connections at exit

logger = logging.getLogger("conformance.server")

try:  # imported now: out of file descriptors, an import fails too
    import resource as _resource
except ImportError:  # not POSIX
    _resource = None  # type: ignore[assignment]


class _Config(uvicorn.Config):
    """uvicorn's configuration plus the head deadline, in seconds (uvicorn's own timeouts are whole
    seconds; ``timeout_keep_alive`` is set to this deadline rounded up, so ours always fires first)."""

    head_timeout: float = DEFAULT_HEAD_TIMEOUT


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its owner (several share one loop) and gives
    the TLS handshake the head deadline."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's start-up on the sockets given (the only way :class:`ServerGroup` starts it),
        with one change: ``ssl_handshake_timeout`` is the head deadline, not asyncio's 60 s."""
        if sockets is None:
            raise RuntimeError("the reference server is started on its own sockets")
        await self.lifespan.startup()  # lifespan is off: nothing to do, kept as uvicorn does it
        config = self.config
        handshake = config.head_timeout if isinstance(config, _Config) else None
        loop = asyncio.get_running_loop()

        def create_protocol(_loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Protocol:
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state, _loop=_loop
            )

        self.servers = []
        for sock in sockets:
            server = await loop.create_server(
                create_protocol,
                sock=sock,
                ssl=config.ssl,
                backlog=config.backlog,
                ssl_handshake_timeout=handshake if config.ssl is not None else None,
            )
            self.servers.append(server)
        self.started = True


class _H11Protocol(H11Protocol):
    """uvicorn's h11 protocol with one deadline for each request head.

    uvicorn closes a keep-alive connection that stays silent ``timeout_keep_alive`` seconds after
    an answer, but waits for ever on one that never sends a request or sends only part of its
    head (a slow-loris client), and each such connection holds one of ``limit_concurrency``'s
    slots.  Here the whole head must arrive within the head deadline (``_Config.head_timeout``) of
    the connection being accepted -- the protocol is made at accept, before any TLS handshake,
    which shares the deadline -- or of the previous answer, or the connection is closed (the body
    then has the app's ``body_timeout``)."""

    _head_deadline: asyncio.TimerHandle | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        config = self.config
        self._head_timeout = config.head_timeout if isinstance(config, _Config) else float(config.timeout_keep_alive)
        self._accepted_at = self.loop.time()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head(self._accepted_at + self._head_timeout)  # the handshake's time counts

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._await_head(self.loop.time() + self._head_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
        super().connection_lost(exc)

    def _await_head(self, when: float) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
        self._head_deadline = self.loop.call_at(when, self._head_late)

    def _head_late(self) -> None:
        self._head_deadline = None
        if self.conn.their_state is h11.IDLE:  # no complete request head yet
            self.timeout_keep_alive_handler()  # closes the connection, as for a silent keep-alive one


_OUT_OF_RESOURCES: Final = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class _ListeningSocket(socket.socket):
    """A listening socket whose ``accept`` ends asyncio's accept pass after running out of resources.

    asyncio (3.11) calls ``accept`` up to ``backlog`` times per pass; on EMFILE and its kin it
    reports the error, pauses the listener for a second -- and goes on calling ``accept`` for the
    rest of the pass, reporting and rescheduling each time (CPython gh-151615, fixed upstream by a
    ``return``).  After such a failure the next ``accept`` here raises BlockingIOError, which
    ends the pass quietly, as the fix does.  (Where asyncio already returns, the next pass loses
    one call: it finds the queue "empty" and is called again at once, as the listener is ready.)"""

    _exhausted = False

    def accept(self) -> tuple[socket.socket, Any]:
        if self._exhausted:
            self._exhausted = False
            raise BlockingIOError(errno.EAGAIN, "accept paused: out of resources")
        try:
            return super().accept()
        except OSError as exc:
            if exc.errno in _OUT_OF_RESOURCES:
                self._exhausted = True
            raise


class LoopErrorLog:
    """An event loop's exception handler that logs each kind of error once per *interval* seconds.

    A kind is asyncio's message with the exception's type (``socket.accept() out of system
    resource`` / ``OSError``).  Its first occurrence is logged at once, in one line: the message,
    the exception's type, and for an OSError its errno and text (for any other exception its
    place, never its message, as the app logs failures); later ones within the interval are
    counted, and one line at the interval's end says how many there were -- a storm of errors is
    one line per interval, never a traceback per attempt.  Running out of file descriptors adds
    the process's limit to the line."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, interval: float = ERROR_LOG_INTERVAL) -> None:
        self.loop = loop
        self.interval = interval
        self._pending: dict[tuple[str, str], tuple[int, str]] = {}  # kind -> (count since its last line, line)

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        message = str(context.get("message") or "event loop error")
        kind = (message, type(exc).__name__ if exc is not None else "")
        if kind in self._pending:
            count, line = self._pending[kind]
            self._pending[kind] = (count + 1, line)
            return
        line = f"{message}: {_describe(exc)}" if exc is not None else message
        logger.error("%s (repeats are counted: one line per %gs)", line, self.interval)
        self._pending[kind] = (0, line)
        self.loop.call_later(self.interval, self._interval_over, kind)

    def _interval_over(self, kind: tuple[str, str]) -> None:
        count, line = self._pending.pop(kind, (0, ""))
        if count:
            logger.error("%s: %d more time%s in the last %gs", line, count, "" if count == 1 else "s", self.interval)
            self._pending[kind] = (0, line)  # a continuing storm: one line per interval
            self.loop.call_later(self.interval, self._interval_over, kind)


def _describe(exc: BaseException) -> str:
    """An exception in one line without its message (which may hold what a peer sent): an
    OSError's errno and text, otherwise where it was raised."""
    if isinstance(exc, OSError) and exc.errno is not None:
        text = f"{type(exc).__name__}: [Errno {exc.errno}] {exc.strerror}"
        if exc.errno in (errno.EMFILE, errno.ENFILE):
            text += f" (open-file limit {_file_limit()}: new connections wait in the listen queue)"
        return text
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{where}"


def _file_limit() -> str:
    if _resource is None:
        return "unknown"
    return str(_resource.getrlimit(_resource.RLIMIT_NOFILE)[0])


def _url(scheme: str, host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}/products/"


_BACKLOG = 2048  # uvicorn's default


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
    # without it every answer (headers and body are two writes) waits ~40 ms for a delayed ACK
    sock = _ListeningSocket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        # listen now, not when uvicorn starts: the base URL is printed (and a test may connect)
        # before the servers are up, and a bound socket that is not listening refuses connections
        sock.listen(_BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock


def seed_store(
    store: Store,
    accounts: Iterable[tuple[str, str]] = (),
    sasp_sessions: Iterable[tuple[str, str]] = (),
    *,
    credit: Decimal = GENEROUS_CREDIT,
) -> None:
    """Create or update each ``(name, password)`` account with *credit* (no flags), then point each
    ``(session id, account name)`` SASP session at its account (:class:`UnknownAccount` if none)."""
    for name, password in accounts:
        store.add_account(name, password, credit=credit, replace=True)
    for session_id, name in sasp_sessions:
        store.add_sasp_session(session_id, name)


class ServerGroup:
    """The reference server's listening sockets and their uvicorn servers, run in one loop.

    Binds at construction (port 0 picks a free port); ``base_url`` and ``plain_url`` name the
    actual ports.  *tls* files are loaded at construction, so they may be deleted afterwards.
    *head_timeout*: the head deadline (TLS handshake included; see the module docstring);
    *error_log_interval*: seconds between two log lines about the same event-loop error."""

    def __init__(
        self,
        store: Store,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: TlsFiles | None = None,
        plain_port: int | None = None,
        strict: bool = True,
        log_level: str = "warning",
        head_timeout: float = DEFAULT_HEAD_TIMEOUT,
        error_log_interval: float = ERROR_LOG_INTERVAL,
        app_wrapper: Callable[[Any], Any] | None = None,
        **app_options: Any,
    ) -> None:
        if not head_timeout > 0 or not math.isfinite(head_timeout):
            raise ValueError(f"the head timeout must be a positive number of seconds, not {head_timeout!r}")
        self.store = store
        self.head_timeout = head_timeout
        self.error_log_interval = error_log_interval
        wrap = app_wrapper if app_wrapper is not None else (lambda app: app)
        self.ca_file = str(tls.ca_file) if tls is not None else None
        self.app: ReferenceApp = make_app(store, require_https=tls is not None, strict=strict, **app_options)
        limit = self.app.max_concurrency * _OUTER_LIMIT_FACTOR
        self._servers: list[tuple[uvicorn.Server, socket.socket]] = []
        try:
            main = _bind(host, port)
            self._servers.append((self._server(wrap(self.app), tls, limit, log_level, head_timeout), main))
            self.base_url = _url("https" if tls is not None else "http", host, main.getsockname()[1])
            self.plain_url: str | None = None
            if plain_port is not None:
                # every request here earns -1: an app that requires HTTPS, on a plain socket
                plain_app = self.app if tls is not None else make_app(store, strict=strict, **app_options)
                plain = _bind(host, plain_port)
                self._servers.append((self._server(wrap(plain_app), None, limit, log_level, head_timeout), plain))
                self.plain_url = _url("http", host, plain.getsockname()[1])
        except BaseException:
            self.close_sockets()
            raise

    @staticmethod
    def _server(app: Any, tls: TlsFiles | None, limit: int, log_level: str, head_timeout: float) -> uvicorn.Server:
        config = _Config(
            app,
            http=_H11Protocol,  # h11, with one deadline for the TLS handshake and each request head
            ws="none",
            lifespan="off",  # the app needs no start-up or shut-down work
            interface="asgi3",
            proxy_headers=False,
            server_header=False,
            access_log=False,
            log_config=None,
            log_level=log_level,
            limit_concurrency=limit,
            timeout_keep_alive=max(1, math.ceil(head_timeout)),
            timeout_graceful_shutdown=5,
            ssl_certfile=str(tls.cert_file) if tls is not None else None,
            ssl_keyfile=str(tls.key_file) if tls is not None else None,
        )
        config.head_timeout = head_timeout
        config.load()  # reads the certificate now, while its file exists
        return _Server(config)

    @property
    def started(self) -> bool:
        return all(server.started for server, _ in self._servers)

    async def serve(self, *, handle_signals: bool = False) -> None:
        """Serve until :meth:`stop` (or, with *handle_signals*, SIGINT/SIGTERM; a second one stops
        without waiting for open connections).  The loop's exception handler is a
        :class:`LoopErrorLog` meanwhile."""
        loop = asyncio.get_running_loop()
        previous = loop.get_exception_handler()
        loop.set_exception_handler(LoopErrorLog(loop, interval=self.error_log_interval))
        try:
            await self._serve(loop, handle_signals=handle_signals)
        finally:
            loop.set_exception_handler(previous)

    async def _serve(self, loop: asyncio.AbstractEventLoop, *, handle_signals: bool) -> None:
        if handle_signals:
            signals: list[int] = []

            def on_signal(sig: int) -> None:  # the first asks politely, the second does not wait
                signals.append(sig)
                self.stop(force=len(signals) > 1)

            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):  # not POSIX / not main thread
                    loop.add_signal_handler(sig, on_signal, sig)
        await asyncio.gather(*(server.serve(sockets=[sock]) for server, sock in self._servers))

    def stop(self, *, force: bool = False) -> None:
        """Ask every server to finish its requests and exit (thread-safe: flags uvicorn polls).
        *force*: stop waiting for open connections (idle keep-alive clients included)."""
        for server, _ in self._servers:
            server.should_exit = True
            if force:
                server.force_exit = True

    def close_sockets(self) -> None:
        for _, sock in self._servers:
            sock.close()


def server_group(store: Store, *, tls: bool, data_dir: str | Path, **options: Any) -> ServerGroup:
    """A :class:`ServerGroup` over *store*: with *tls*, its certificate comes from the test CA in
    *data_dir* (:func:`conformance.reference.tls.server_tls`); *options* go to ServerGroup."""
    if not tls:
        return ServerGroup(store, **options)
    with server_tls(data_dir) as files:
        return ServerGroup(store, tls=files, **options)


@attrs.define
class RunningServer:
    """A reference server running in a background thread (see :func:`running_server`).

    ``base_url`` ends in ``/products/``; ``ca_file`` is the CA to verify it with (None without
    TLS); ``plain_url`` is the plain-HTTP port's base URL (None without one)."""

    base_url: str
    ca_file: str | None
    plain_url: str | None
    store: Store
    app: ReferenceApp

    def ssl_context(self) -> Any:
        """An ``ssl.SSLContext`` trusting ``ca_file`` (for ``httpx.Client(verify=...)``)."""
        import ssl

        return ssl.create_default_context(cafile=self.ca_file)


@contextlib.contextmanager
def running_server(
    *,
    store: Store | None = None,
    db: str | Path = MEMORY,
    data_dir: str | Path | None = None,
    tls: bool = True,
    plain_port: int | bool | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    strict: bool = True,
    accounts: Iterable[tuple[str, str]] = (),
    sasp_sessions: Iterable[tuple[str, str]] = (),
    log_level: str = "warning",
    pbkdf2_iterations: int = DEFAULT_PBKDF2_ITERATIONS,
    app_wrapper: Callable[[Any], Any] | None = None,
    **app_options: Any,
) -> Iterator[RunningServer]:
    """Start the reference server in a background thread; yield a :class:`RunningServer`; stop it.

    *store*: use this store (left open afterwards); otherwise open *db* (default ``:memory:``) and
    close it afterwards.  *data_dir* holds the test CA (default: a temporary folder, removed
    afterwards).  *plain_port*: True or 0 for a free port, a number for that port, None/False for
    none.  *accounts* ``(name, password)`` and *sasp_sessions* ``(id, name)`` are created first
    (see :func:`seed_store`).  *app_options* go to :class:`ServerGroup` (``head_timeout``,
    ``error_log_interval``) and :func:`conformance.reference.app.make_app` (``max_body``,
    ``body_timeout``, ``max_concurrency``, ``queue_timeout``, ``prices``).
    *app_wrapper* is called with each app served (the main one, and the plain port's) and what it
    returns is served instead: an ASGI middleware, e.g. the deliberately broken servers of the tests.
    Raises RuntimeError if the server does not start.
    """
    with contextlib.ExitStack() as stack:
        if store is None:
            store = stack.enter_context(Store(db, pbkdf2_iterations=pbkdf2_iterations))
        seed_store(store, accounts, sasp_sessions)
        if data_dir is None:
            data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="comodo-conformance-"))
        extra = 0 if plain_port is True else (None if plain_port is False else plain_port)
        options: dict[str, Any] = {"host": host, "port": port, "plain_port": extra, "strict": strict}
        options.update(log_level=log_level, app_wrapper=app_wrapper, **app_options)
        group = server_group(store, tls=tls, data_dir=data_dir, **options)
        stack.callback(group.close_sockets)
        stack.enter_context(serving_in_background(group))
        yield RunningServer(
            base_url=group.base_url, ca_file=group.ca_file, plain_url=group.plain_url, store=store, app=group.app
        )


@contextlib.contextmanager
def serving_in_background(group: ServerGroup, *, name: str = "reference-server") -> Iterator[None]:
    """Serve *group* on a thread of its own (with its own event loop) until the block ends, then
    stop it, waiting a moment for open connections.  RuntimeError if it does not start."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(group.serve())
        except BaseException as exc:  # SystemExit from a failed startup included
            failure.append(exc)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT
    while not group.started:
        if failure or not thread.is_alive():
            raise RuntimeError(f"the server did not start: {failure[0]!r}" if failure else "the server stopped")
        if time.monotonic() > deadline:
            group.stop()
            raise RuntimeError("the server did not start in time")
        time.sleep(0.005)
    try:
        yield
    finally:
        group.stop()
        thread.join(timeout=_GRACE)
        if thread.is_alive():  # idle keep-alive connections left open by clients
            group.stop(force=True)
            thread.join(timeout=10)
