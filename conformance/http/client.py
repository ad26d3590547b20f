"""The kit's HTTP/1.1 client: a thread-safe keep-alive pool, one deadline per exchange, retries
only where no answer can have been lost.

:class:`Client` ``.request(method, url, body=..., headers=..., timeout=...)`` returns a
:class:`~conformance.http.connection.Response` or raises one of
:mod:`conformance.http.errors`.  Its promises:

* **One deadline per exchange**: *timeout* seconds (the client's ``timeout`` by default) from the
  call cover connecting, the TLS handshake, sending, and the whole answer, including any retry.
* **Bounded memory**: the answer is read under the client's
  :class:`~conformance.http.connection.Limits` (1 MiB of body by default); nothing is inflated.
  The client sends no ``Accept-Encoding``.
* **Connection reuse**: HTTP/1.1 keep-alive connections are kept per (scheme, host, port), at
  most ``max_idle`` each, for ``idle_timeout`` seconds; a connection is checked before reuse
  (one the peer closed or wrote to while idle is dropped).  Any number of threads may share one
  client (the pool is locked; each exchange has its connection to itself).
* **Retries** (:class:`RetryPolicy`): only for a connection that could not be opened
  (:class:`~conformance.http.errors.ConnectError`), after a back-off, and for a reused
  keep-alive connection the server closed before any byte of the answer (the race every
  keep-alive client meets; retried at once on a new connection).  Never for an answer, a
  timeout, a TLS verification failure, or a fresh connection closed without an answer.
* **TLS**: ``verify`` is a CA file, True (the system store) or False (``--insecure``), or a ready
  :class:`ssl.SSLContext`; SNI is sent for host names; ``TCP_NODELAY`` is set.
* A URL with user information (``https://user:pw@host/``) is refused without echoing it.
"""

from __future__ import annotations

import functools
import ssl
import threading
import time
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from typing import Final
from urllib.parse import urlsplit

import attrs

from .connection import Connection, Limits, Origin, Response, make_request
from .errors import ConnectError, ConnectionClosed, HTTPClientError, InvalidRequest, InvalidSetting

__all__ = ["DEFAULT_RETRIES", "DEFAULT_TIMEOUT", "Client", "PoolStats", "RetryPolicy", "parse_url", "ssl_context"]

DEFAULT_TIMEOUT: Final = 15.0
"""Seconds one exchange may take as a whole (``--timeout``): connect, TLS, send, the whole answer."""
DEFAULT_RETRIES: Final = 1
"""Connection attempts after the first that fails before any byte of the answer (``--retries``)."""
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_FRAMING: Final = frozenset({b"content-length", b"transfer-encoding"})


def _user_agent() -> bytes:
    try:
        return f"comodo-conformance/{version('comodo-conformance')}".encode("ascii")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return b"comodo-conformance"


@attrs.frozen
class RetryPolicy:
    """How often to try again after a connection error before any byte of the answer:
    ``retries`` more attempts (default 1), the *n*-th after ``backoff * 2 ** (n - 1)`` seconds
    (a stale keep-alive connection is retried at once); never past the exchange's deadline."""

    retries: int = attrs.field(default=DEFAULT_RETRIES, validator=attrs.validators.ge(0))
    backoff: float = attrs.field(default=0.05, validator=attrs.validators.ge(0))

    def delay(self, retry: int) -> float:
        return float(self.backoff * 2 ** (retry - 1))


@attrs.define
class PoolStats:
    """Counts since the client was made: connections ``opened``, exchanges on a ``reused``
    connection, ``retries``, and idle connections ``discarded`` because the peer had closed them."""

    opened: int = 0
    reused: int = 0
    retries: int = 0
    discarded: int = 0


@functools.lru_cache(maxsize=512)
def parse_url(url: str) -> tuple[Origin, bytes, bytes]:
    """*url*'s origin, request target (path and query) and ``Host`` header value.  Raises
    :class:`~conformance.http.errors.InvalidRequest` for anything but an absolute ``http`` or
    ``https`` URL with a host and no user information (the message never repeats the URL)."""
    try:
        parts = urlsplit(url)
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError as exc:
        raise InvalidRequest(f"not a usable URL: {exc}") from None
    if scheme not in _DEFAULT_PORTS:
        raise InvalidRequest(f"the URL's scheme must be http or https, not {scheme[:20]!r}")
    if "@" in parts.netloc:
        raise InvalidRequest("the URL holds user information (user:password@); give credentials another way")
    if not host:
        raise InvalidRequest("the URL has no host")
    port = port or _DEFAULT_PORTS[scheme]
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        target_bytes = target.encode("ascii")
    except UnicodeEncodeError:
        raise InvalidRequest("the URL's path and query must be ASCII (percent-encode the rest)") from None
    shown = f"[{host}]" if ":" in host else host
    host_header = shown if port == _DEFAULT_PORTS[scheme] else f"{shown}:{port}"
    return Origin(scheme, host, port), target_bytes, host_header.encode("idna" if not host.isascii() else "ascii")


def ssl_context(verify: str | bool | ssl.SSLContext) -> ssl.SSLContext:
    """The TLS context for *verify*: a CA file, True (the system store), False (no verification,
    ``--insecure``) or a context of the caller's.  Offers HTTP/1.1 by ALPN."""
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is False:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        try:
            context = ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
        except (OSError, ssl.SSLError) as exc:
            raise InvalidSetting(f"cannot load the CA file {verify}: {exc.strerror or exc}") from None
    context.set_alpn_protocols(["http/1.1"])
    return context


class _Pool:
    """Idle keep-alive connections per origin, newest first; thread-safe."""

    def __init__(self, max_idle: int, idle_timeout: float, stats: PoolStats) -> None:
        self._idle: dict[Origin, list[Connection]] = {}
        self._lock = threading.Lock()
        self._max_idle = max_idle
        self._idle_timeout = idle_timeout
        self._stats = stats
        self._closed = False

    def take(self, origin: Origin) -> Connection | None:
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                if not idle:
                    return None
                connection = idle.pop()
            if connection.idle_and_open(self._idle_timeout):
                return connection
            connection.close()
            self.note("discarded")

    def give(self, connection: Connection) -> None:
        with self._lock:
            idle = self._idle.setdefault(connection.origin, [])
            if not self._closed and len(idle) < self._max_idle:
                idle.append(connection)
                return
        connection.close()

    def note(self, counter: str) -> None:
        """Add one to a :class:`PoolStats` counter."""
        with self._lock:
            setattr(self._stats, counter, getattr(self._stats, counter) + 1)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connections = [c for idle in self._idle.values() for c in idle]
            self._idle.clear()
        for connection in connections:
            connection.close()


class Client:
    """A bounded HTTP/1.1 client for one run (see the module docstring).  Use it as a context
    manager, or call :meth:`close`, to close the idle connections."""

    def __init__(
        self,
        *,
        verify: str | bool | ssl.SSLContext = True,
        timeout: float = DEFAULT_TIMEOUT,
        limits: Limits | None = None,
        retry: RetryPolicy | None = None,
        max_idle: int = 16,
        idle_timeout: float = 30.0,
    ) -> None:
        if not timeout > 0:
            raise InvalidSetting(f"timeout must be more than 0 seconds, not {timeout!r}")
        self.timeout = float(timeout)
        self.limits = limits or Limits()
        self.retry = retry or RetryPolicy()
        self.stats = PoolStats()
        self._verify = verify
        self._context: ssl.SSLContext | None = None
        self._context_lock = threading.Lock()
        self._pool = _Pool(max_idle, idle_timeout, self.stats)
        self._user_agent = _user_agent()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._pool.close()

    def _tls(self, origin: Origin) -> ssl.SSLContext | None:
        if origin.scheme != "https":
            return None
        with self._context_lock:  # made on first use: a plain-HTTP run never loads a CA file
            if self._context is None:
                self._context = ssl_context(self._verify)
            return self._context

    def _headers(
        self, method: bytes, host: bytes, body: bytes, headers: Iterable[tuple[str, str]]
    ) -> list[tuple[bytes, bytes]]:
        given: list[tuple[bytes, bytes]] = []
        for name, value in headers:
            try:
                pair = (name.encode("ascii").lower(), value.encode("latin-1"))
            except (UnicodeEncodeError, AttributeError):
                raise InvalidRequest(f"header {name[:40]!r}: names must be ASCII and values Latin-1") from None
            if pair[0] in _FRAMING:
                raise InvalidRequest(f"the client sets {name} itself (from the body)")
            given.append(pair)
        names = {n for n, _ in given}
        out = [(b"host", host)] if b"host" not in names else []
        out += [(n, v) for n, v in ((b"user-agent", self._user_agent), (b"accept", b"*/*")) if n not in names]
        out += given
        if body or method not in (b"GET", b"HEAD"):
            out.append((b"content-length", str(len(body)).encode("ascii")))
        return out

    def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes = b"",
        headers: Iterable[tuple[str, str]] = (),
        timeout: float | None = None,
    ) -> Response:
        """Send one request and return the whole answer, or raise an
        :class:`~conformance.http.errors.HTTPClientError` (see the module docstring).  *method*
        is sent as given (``post`` stays lower case); Host, User-Agent, Accept and
        Content-Length are added unless *headers* give them (Content-Length and
        Transfer-Encoding cannot be given)."""
        started = time.monotonic()
        deadline = started + (self.timeout if timeout is None else timeout)
        origin, target, host = parse_url(url)
        if not isinstance(body, bytes | bytearray | memoryview):
            raise InvalidRequest(f"the body must be bytes, not {type(body).__name__}")
        try:
            method_bytes = method.encode("ascii")
        except (UnicodeEncodeError, AttributeError):
            raise InvalidRequest(f"the method must be an ASCII token, not {method!r:.40}") from None
        payload = bytes(body)
        head = make_request(method_bytes, target, self._headers(method_bytes, host, payload, headers))
        attempt, pooled = 0, True
        while True:
            attempt += 1
            connection = self._pool.take(origin) if pooled else None
            reused = connection is not None
            try:
                if connection is None:
                    connection = Connection.open(
                        origin, self.limits, self._tls(origin), started=started, deadline=deadline
                    )
                    self._pool.note("opened")
                response = connection.exchange(
                    head, payload, started=started, deadline=deadline, attempts=attempt, reused=reused
                )
            except HTTPClientError as exc:
                if connection is not None:
                    connection.close()
                if self._retry(exc, reused, attempt, deadline):
                    pooled = not reused  # the server closed one idle connection: the others may be closed too
                    continue
                exc.attempts = attempt
                raise
            except BaseException:
                if connection is not None:
                    connection.close()
                raise
            if reused:
                self._pool.note("reused")
            if connection.reusable:
                self._pool.give(connection)
            else:
                connection.close()
            return response

    def _retry(self, exc: HTTPClientError, reused: bool, attempt: int, deadline: float) -> bool:
        """Whether to try again after *exc* (sleeping the back-off first)."""
        if attempt > self.retry.retries:
            return False
        stale = reused and isinstance(exc, ConnectionClosed) and exc.received == 0
        if not stale and not isinstance(exc, ConnectError):
            return False
        pause = 0.0 if stale else self.retry.delay(attempt)
        if time.monotonic() + pause >= deadline:
            return False
        time.sleep(pause)
        self._pool.note("retries")
        return True
