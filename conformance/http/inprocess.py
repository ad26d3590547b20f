"""An in-process transport: the same promises as :class:`~conformance.http.Client`, over an ASGI
app in this process instead of a socket.

Server mode sends every request through a *transport* -- anything with
``request(method, url, *, body, headers, timeout) -> Response`` and ``close()`` (the
:class:`Transport` protocol).  :class:`~conformance.http.Client` is the real one;
:class:`ASGITransport` hands each request to an ASGI application (the reference server's app, a
test's broken server) on an event loop of its own thread, so tests and benchmarks run the whole
kit without sockets, and any number of worker threads may share it.

Its answers obey the client's :class:`~conformance.http.Limits` (a body over ``max_body`` is
:class:`~conformance.http.AnswerTooLarge`, read no further) and deadline (an app that does not
answer in time is :class:`~conformance.http.ExchangeTimeout`); a URL with user information is
refused as the client refuses it.  Only the framing a socket adds (chunking, 1xx answers, TLS)
is out of its reach.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any, Protocol

from .client import DEFAULT_TIMEOUT, parse_url
from .connection import Limits, Response
from .errors import AnswerTooLarge, ConnectionClosed, ExchangeTimeout, InvalidSetting

__all__ = ["ASGITransport", "Transport"]

_App = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[MutableMapping[str, Any]]], Callable[..., Awaitable[None]]],
    Awaitable[None],
]


class Transport(Protocol):
    """What server mode sends through (:class:`~conformance.http.Client` is one)."""

    def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes = b"",
        headers: Iterable[tuple[str, str]] = (),
        timeout: float | None = None,
    ) -> Response: ...

    def close(self) -> None: ...


class _TooLarge(Exception):
    def __init__(self, status: int, headers: tuple[tuple[str, str], ...], partial: bytes) -> None:
        self.status, self.headers, self.partial = status, headers, partial


class ASGITransport:
    """Sends requests to the ASGI *app* in this process (see the module docstring); the ASGI
    scope's scheme, host and port are the URL's.  Thread-safe."""

    def __init__(self, app: _App, *, timeout: float = DEFAULT_TIMEOUT, limits: Limits | None = None) -> None:
        if not timeout > 0:
            raise InvalidSetting(f"timeout must be more than 0 seconds, not {timeout!r}")
        self.app = app
        self.timeout = float(timeout)
        self.limits = limits or Limits()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="conformance-asgi", daemon=True)
        self._thread.start()
        self._closed = False

    def __enter__(self) -> ASGITransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes = b"",
        headers: Iterable[tuple[str, str]] = (),
        timeout: float | None = None,
    ) -> Response:
        """One exchange with the app; the answer whole, or an error of :mod:`conformance.http`."""
        started = time.monotonic()
        limit = self.timeout if timeout is None else timeout
        origin, target, host = parse_url(url)
        path, _, query = target.partition(b"?")
        pairs = [(b"host", host), *((k.lower().encode("ascii"), v.encode("latin-1")) for k, v in headers)]
        pairs.append((b"content-length", str(len(body)).encode("ascii")))
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": origin.scheme,
            "path": path.decode("ascii"),
            "raw_path": path,
            "query_string": query,
            "root_path": "",
            "headers": pairs,
            "client": ("127.0.0.1", 50000),
            "server": (origin.host, origin.port),
        }
        future = asyncio.run_coroutine_threadsafe(self._exchange(scope, bytes(body)), self._loop)
        try:
            status, answer_headers, content = future.result(timeout=max(limit - (time.monotonic() - started), 0))
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise ExchangeTimeout(phase="head", timeout=limit, elapsed=time.monotonic() - started) from None
        except _TooLarge as exc:
            raise AnswerTooLarge(
                limit=self.limits.max_body,
                status=exc.status,
                headers=exc.headers,
                partial=exc.partial,
                declared=None,
                elapsed=time.monotonic() - started,
            ) from None
        except Exception as exc:  # the app raised: to a client, the connection closed without an answer
            raise ConnectionClosed(
                f"the server closed the connection before any byte of the answer ({type(exc).__name__} in the app)",
                phase="head",
                elapsed=time.monotonic() - started,
            ) from None
        return Response(
            status=status,
            reason="",
            headers=answer_headers,
            body=content,
            elapsed=time.monotonic() - started,
        )

    async def _exchange(self, scope: dict[str, Any], body: bytes) -> tuple[int, tuple[tuple[str, str], ...], bytes]:
        sent = False
        start: dict[str, Any] = {}
        content = bytearray()
        done = asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                content.extend(message.get("body", b""))
                if len(content) > self.limits.max_body:
                    raise _TooLarge(
                        int(start.get("status", 0)), _headers(start), bytes(content[: self.limits.max_body])
                    )
                if not message.get("more_body", False):
                    done.set()

        try:
            await self.app(scope, receive, send)
        finally:
            done.set()
        if not start:
            raise RuntimeError("the app sent no answer")
        return int(start["status"]), _headers(start), bytes(content)


def _headers(start: MutableMapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((bytes(k).decode("latin-1").lower(), bytes(v).decode("latin-1")) for k, v in start.get("headers", ()))
