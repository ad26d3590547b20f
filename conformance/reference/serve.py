"""Run the reference server under uvicorn: :func:`running_server`, or ``python -m conformance serve``.

HTTPS by default, with a certificate from the data folder's test CA (:mod:`conformance.reference.tls`);
``--no-tls`` serves plain HTTP and answers it as if it were HTTPS.  ``--plain-port`` opens a
second, plain-HTTP port on which every request earns the vendor's -1 (its app requires HTTPS and
sees scheme ``http``).  All servers run in one asyncio loop (``uvicorn.Server.serve``), in the
main thread for the command and in a background thread for :func:`running_server`.

uvicorn is told not to trust ``X-Forwarded-*`` headers (a plain-port client must not be able to
claim HTTPS) and not to write access logs (a GET's query string is its body and may hold a
password); the app logs each answer itself, without secrets.

The transport is hardened against hostile connections (one head deadline covering the TLS
handshake, accept-loop errors logged once per interval): :mod:`conformance.reference.transport`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import attrs
import uvicorn

from .app import (
    ReferenceApp,
    make_app,
)
from .records import MEMORY
from .store import DEFAULT_PBKDF2_ITERATIONS, Store
from .tls import TlsFiles, server_tls
from .transport import (
    DEFAULT_HEAD_TIMEOUT,
    ERROR_LOG_INTERVAL,
    HandshakeWatch,
    HeadDeadlineProtocol,
    LoopErrorLog,
    TransportConfig,
    TransportServer,
    bind,
)

__all__ = [
    "DEFAULT_PORT",
    "GENEROUS_CREDIT",
    "RunningServer",
    "ServerGroup",
    "running_server",
    "seed_store",
    "server_group",
    "serving_in_background",
]

GENEROUS_CREDIT: Final = Decimal("1000000.00")
DEFAULT_PORT: Final = 8443
# uvicorn's own connection limit (it answers 503 beyond it): only an outer guard around the app's
# semaphore, which answers -14
_OUTER_LIMIT_FACTOR: Final = 16
_START_TIMEOUT: Final = 15.0
_GRACE: Final = 1.0  # seconds running_server waits for open connections at exit


def _url(scheme: str, host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}/products/"


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
    *error_log_interval*: seconds between two log lines about the same event-loop error.
    ``handshakes`` counts what became of the main port's TLS handshakes (:class:`HandshakeWatch`)."""

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
        self.handshakes = HandshakeWatch()
        self.app: ReferenceApp = make_app(store, require_https=tls is not None, strict=strict, **app_options)
        limit = self.app.max_concurrency * _OUTER_LIMIT_FACTOR
        self._servers: list[tuple[uvicorn.Server, socket.socket]] = []
        try:
            main = bind(host, port)
            server = self._server(wrap(self.app), tls, limit, log_level, head_timeout, self.handshakes)
            self._servers.append((server, main))
            self.base_url = _url("https" if tls is not None else "http", host, main.getsockname()[1])
            self.plain_url: str | None = None
            if plain_port is not None:
                # every request here earns -1: an app that requires HTTPS, on a plain socket
                plain_app = self.app if tls is not None else make_app(store, strict=strict, **app_options)
                plain = bind(host, plain_port)
                self._servers.append((self._server(wrap(plain_app), None, limit, log_level, head_timeout), plain))
                self.plain_url = _url("http", host, plain.getsockname()[1])
        except BaseException:
            self.close_sockets()
            raise

    @staticmethod
    def _server(
        app: Any,
        tls: TlsFiles | None,
        limit: int,
        log_level: str,
        head_timeout: float,
        handshakes: HandshakeWatch | None = None,
    ) -> uvicorn.Server:
        config = TransportConfig(
            app,
            http=HeadDeadlineProtocol,  # h11, with one deadline for the TLS handshake and each request head
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
        if handshakes is not None and config.ssl is not None:
            config.handshakes = handshakes
            handshakes.watch(config.ssl)
        return TransportServer(config)

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
