"""The reference server's transport, hardened against hostile connections: uvicorn and asyncio
with one head deadline that covers the TLS handshake, and event-loop errors logged once per interval.

Against hostile peers (see ``tests/RELIABILITY.md``):

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
  (:class:`ListeningSocket`) ends such a pass after the first failure, and the loop's exception
  handler (:class:`LoopErrorLog`) writes one line per kind of error per
  :data:`ERROR_LOG_INTERVAL` seconds, with a count, never a traceback.  Connections wait in the
  listen queue meanwhile and are served as the head deadline frees descriptors.

* **Handshakes are watched** (:class:`HandshakeWatch`): each TLS handshake that fails is counted
  by OpenSSL's reason (``TLSV1_ALERT_UNKNOWN_CA``: the client did not trust the certificate;
  ``HTTP_REQUEST``: plain HTTP to the TLS port), and so is each connection that ended during its
  handshake without a word (a client that gave up on the certificate without an alert), so
  client mode can say why no request arrived.

:mod:`conformance.reference.serve` builds its servers from these pieces.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import errno
import logging
import socket
import ssl
import threading
import traceback
from collections.abc import Iterator
from typing import Any, Final

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = [
    "DEFAULT_HEAD_TIMEOUT",
    "ERROR_LOG_INTERVAL",
    "HandshakeWatch",
    "HeadDeadlineProtocol",
    "ListeningSocket",
    "LoopErrorLog",
    "TransportConfig",
    "TransportServer",
    "bind",
]

DEFAULT_HEAD_TIMEOUT: Final = 5.0
"""Seconds a connection has to finish its TLS handshake and send a whole request head (see the
module docstring); also how long a kept-alive connection may stay silent."""
ERROR_LOG_INTERVAL: Final = 5.0
"""Seconds between two log lines about the same kind of event-loop error (see :class:`LoopErrorLog`)."""

logger = logging.getLogger("conformance.server")

try:  # imported now: out of file descriptors, an import fails too
    import resource as _resource
except ImportError:  # not POSIX
    _resource = None  # type: ignore[assignment]


class HandshakeWatch:
    """What became of a TLS server's handshakes (thread-safe counts).

    ``failed`` counts the handshakes that failed, by OpenSSL's reason; ``silent`` the connections
    that ended during their handshake without an error on this side (the client closed it, e.g.
    Node.js on a certificate it does not trust).  :meth:`watch` makes a TLS context report to it
    (through ``SSLContext.sslobject_class``, the documented hook)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.failed: collections.Counter[str] = collections.Counter()
        self._accepted = 0
        self._completed = 0

    def watch(self, context: ssl.SSLContext) -> None:
        watch = self

        class WatchedObject(ssl.SSLObject):
            def do_handshake(self) -> None:
                try:
                    super().do_handshake()
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    raise
                except ssl.SSLError as exc:
                    watch.record_failure(str(exc.reason or type(exc).__name__))
                    raise

        context.sslobject_class = WatchedObject

    def record_failure(self, reason: str) -> None:
        with self._lock:
            self.failed[reason] += 1

    def accepted(self) -> None:
        with self._lock:
            self._accepted += 1

    def completed(self) -> None:
        with self._lock:
            self._completed += 1

    @property
    def silent(self) -> int:
        with self._lock:
            return max(0, self._accepted - self._completed - sum(self.failed.values()))


class TransportConfig(uvicorn.Config):
    """uvicorn's configuration plus the head deadline, in seconds (uvicorn's own timeouts are whole
    seconds; ``timeout_keep_alive`` is set to this deadline rounded up, so ours always fires first),
    and the :class:`HandshakeWatch` its TLS connections report to (None: not watched)."""

    head_timeout: float = DEFAULT_HEAD_TIMEOUT
    handshakes: HandshakeWatch | None = None


class TransportServer(uvicorn.Server):
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
        handshake = config.head_timeout if isinstance(config, TransportConfig) else None
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


class HeadDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol with one deadline for each request head.

    uvicorn closes a keep-alive connection that stays silent ``timeout_keep_alive`` seconds after
    an answer, but waits for ever on one that never sends a request or sends only part of its
    head (a slow-loris client), and each such connection holds one of ``limit_concurrency``'s
    slots.  Here the whole head must arrive within the head deadline (``TransportConfig.head_timeout``) of
    the connection being accepted -- the protocol is made at accept, before any TLS handshake,
    which shares the deadline -- or of the previous answer, or the connection is closed (the body
    then has the app's ``body_timeout``)."""

    _head_deadline: asyncio.TimerHandle | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        config = self.config
        self._head_timeout = (
            config.head_timeout if isinstance(config, TransportConfig) else float(config.timeout_keep_alive)
        )
        self._accepted_at = self.loop.time()
        self._handshakes = config.handshakes if isinstance(config, TransportConfig) else None
        if self._handshakes is not None:
            self._handshakes.accepted()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)  # over TLS: after the handshake
        if self._handshakes is not None:
            self._handshakes.completed()
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


class ListeningSocket(socket.socket):
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


_BACKLOG = 2048  # uvicorn's default


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
    # without it every answer (headers and body are two writes) waits ~40 ms for a delayed ACK
    sock = ListeningSocket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
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
