"""The reference server as a plain ASGI application (no framework).

``POST /products/!AutoApplyIdA`` and ``POST /products/!UpdateUserEvClickThrough`` are answered as
the vendor answers (:mod:`conformance.reference.vendor`); every answer is HTTP 200 with the vendor's body,
whatever happens.  Any other path is HTTP 404 with a short text body.

Bounds, each answered in the vendor's terms and logged without secrets:

* a body over ``max_body`` bytes -> -4 naming the variable being read at the limit (-2 when its
  name is not a variable); the rest is read and dropped for up to a second (so a client still
  sending can read the answer), then the connection is closed if it has not ended;
* a body not complete within ``body_timeout`` seconds -> -14, and the connection is closed;
* at most ``max_concurrency`` requests at the store at once; one that waits longer than
  ``queue_timeout`` seconds for its turn -> -14;
* any exception while answering -> -14 in the requested format (:mod:`conformance.formats`: the
  codec's reading; the default format if the codec itself failed).  The log names the endpoint,
  the code, the order number and the exception's type and place -- never the body, the
  exception's message, loginPassword or saspSessionID.

The app is testable in-process: ``conformance.http.ASGITransport(app)`` (what server mode
sends through; ``RunContext(target, transport=...)``), or httpx's ``ASGITransport``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
import weakref
from collections.abc import Mapping
from typing import Final

from codec import RequestRejected

from ..asgi import ROUTES, Receive, Scope, Send, header, request_method, send_response
from ..formats import requested_format
from .answers import Answer, Prices, oversized_answer, refused, unknown_error
from .records import order_number_named
from .store import Store
from .vendor import Vendor

__all__ = [
    "DEFAULT_BODY_TIMEOUT",
    "DEFAULT_MAX_BODY",
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_QUEUE_TIMEOUT",
    "ReferenceApp",
    "make_app",
]

DEFAULT_MAX_BODY: Final = 64 * 1024
DEFAULT_BODY_TIMEOUT: Final = 10.0
DEFAULT_MAX_CONCURRENCY: Final = 64
DEFAULT_QUEUE_TIMEOUT: Final = 10.0

logger = logging.getLogger("conformance.server")

_TOO_LARGE = "too large"
_TOO_LARGE_UNREAD = "too large, not all read"
_DRAIN_SECONDS: Final = 1.0
_TOO_SLOW = "too slow"
_GONE = "client gone"


def _where(exc: BaseException) -> str:
    """``file.py:123 in function`` of the innermost frame: a place, never a value."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name}"


class ReferenceApp:
    """The ASGI application; build it with :func:`make_app`."""

    def __init__(
        self,
        store: Store,
        *,
        require_https: bool,
        strict: bool,
        max_body: int,
        body_timeout: float,
        max_concurrency: int,
        queue_timeout: float,
        prices: Prices | None,
        versions: Mapping[str, str] | None = None,
    ) -> None:
        self.store = store
        self.vendor = Vendor(store, prices=prices, strict=strict, versions=versions)
        self.require_https = require_https
        self.max_body = max_body
        self.body_timeout = body_timeout
        self.max_concurrency = max_concurrency
        self.queue_timeout = queue_timeout
        # one semaphore per event loop (an asyncio primitive belongs to the loop that first waits on it)
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        endpoint = ROUTES.get(scope["path"])
        if endpoint is None:
            await self._send(send, 404, "text/plain; charset=utf-8", b"Not Found\n", close=False)
            return
        await self._exchange(endpoint, scope, receive, send)

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    # ------------------------------------------------------------------ one request

    async def _exchange(self, endpoint: str, scope: Scope, receive: Receive, send: Send) -> None:
        method = request_method(scope)  # exactly as sent: ``post`` is not POST and earns -17
        version = self.vendor.version(endpoint)
        scheme = str(scope.get("scheme", "http")) if self.require_https else "https"
        body = b""
        close = False
        try:
            # any method's body is read (bounded), so client mode records what was sent; a GET's
            # query string is its body, and any method but POST earns -17 (conformance.asgi)
            sent, problem = await self._read_body(receive)
            body = sent if method == "POST" else bytes(scope.get("query_string", b""))
            if problem is _GONE:
                return
            if problem is _TOO_SLOW:
                close = True
                logger.warning("%s: body not complete within %ss", endpoint, self.body_timeout)
                answer = unknown_error(endpoint, self._format(endpoint, body, method), version=version)
            elif problem is _TOO_LARGE or problem is _TOO_LARGE_UNREAD:
                close = problem is _TOO_LARGE_UNREAD
                logger.warning("%s: body over %d bytes", endpoint, self.max_body)
                answer = oversized_answer(endpoint, sent, self.max_body, method=method, scheme=scheme, version=version)
            else:
                answer = await self._answer(endpoint, body, method, scheme, header(scope, b"content-type"))
            encoded = answer.encode()
        except Exception as exc:
            try:
                fmt = self._format(endpoint, body, method)
            except Exception:
                fmt = None
            answer = self._failed(endpoint, exc, fmt, None, version)
            encoded = answer.encode()
        logger.info("%s %s: answered %s (order %s)", method, endpoint, answer.response.error_code, answer.order_number)
        await self._send(send, encoded.status, encoded.content_type, encoded.body, close=close)

    def _format(self, endpoint: str, body: bytes, method: str) -> int | None:
        """The format to answer in (the codec's reading, by the version *endpoint* speaks)."""
        return requested_format(endpoint, body, method, self.vendor.version(endpoint))

    @staticmethod
    def _failed(
        endpoint: str, exc: BaseException, fmt: int | None, order_number: int | None, version: str | None
    ) -> Answer:
        """Log an internal failure (type and place only) and answer -14 in *fmt*."""
        answer = unknown_error(endpoint, fmt, order_number, version=version)
        logger.error(
            "%s: internal failure, answered %d (order %s): %s at %s",
            endpoint,
            answer.response.error_code,
            order_number,
            type(exc).__name__,
            _where(exc),
        )
        return answer

    async def _read_body(self, receive: Receive) -> tuple[bytes, str | None]:
        """The body, with what cut it short: too large (the rest drained by :meth:`_drain`, or not:
        then the connection must close), too slow, the client gone, or None."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout
        body = bytearray()
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                return bytes(body), _TOO_SLOW
            if message["type"] == "http.disconnect":
                return bytes(body), _GONE
            body += message.get("body", b"")
            more = bool(message.get("more_body", False))
            if len(body) > self.max_body:
                drained = not more or await self._drain(receive, min(deadline, loop.time() + _DRAIN_SECONDS))
                return bytes(body), _TOO_LARGE if drained else _TOO_LARGE_UNREAD
            if not more:
                return bytes(body), None

    @staticmethod
    async def _drain(receive: Receive, deadline: float) -> bool:
        """Read and drop the rest of an oversized body until *deadline*, so that a client still
        sending can read the answer (closing on unread data resets the connection, and the answer
        is lost with it).  Nothing is kept, so the cost is bounded by time.  True if it ended."""
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                return False
            if message["type"] == "http.disconnect":
                return False
            if not message.get("more_body", False):
                return True

    async def _answer(self, endpoint: str, body: bytes, method: str, scheme: str, content_type: str | None) -> Answer:
        try:
            request = self.vendor.decode(endpoint, body, method=method, scheme=scheme, content_type=content_type)
        except RequestRejected as exc:
            return refused(endpoint, exc, version=self.vendor.version(endpoint))
        order = getattr(request, "order_number", None)
        name, password = getattr(request, "login_name", None), getattr(request, "login_password", None)
        if name is not None and password is not None:
            # PBKDF2 off the store's single thread (see conformance.reference.store); should it fail, the
            # store thread judges the password again and the request answers -14 there
            with contextlib.suppress(Exception):
                await self.store.verify_login_async(name, password)
        semaphore = self._semaphore()
        try:
            async with asyncio.timeout(self.queue_timeout):
                await semaphore.acquire()
        except TimeoutError:
            logger.warning("%s: waited over %ss for the store: answered -14", endpoint, self.queue_timeout)
            return unknown_error(endpoint, self._format(endpoint, body, method), version=self.vendor.version(endpoint))
        try:
            return await self.store.run(self.vendor.answer, endpoint, request)
        except Exception as exc:
            # the order number a click-through names is worth logging; nothing else of the request is
            number = order_number_named(order) if isinstance(order, str) else None
            return self._failed(
                endpoint, exc, self._format(endpoint, body, method), number, self.vendor.version(endpoint)
            )
        finally:
            semaphore.release()

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self.max_concurrency)
        return semaphore

    @staticmethod
    async def _send(send: Send, status: int, content_type: str, body: bytes, *, close: bool) -> None:
        await send_response(send, status, content_type, body, [(b"connection", b"close")] if close else [])


def make_app(
    store: Store,
    *,
    require_https: bool = True,
    strict: bool = True,
    max_body: int = DEFAULT_MAX_BODY,
    body_timeout: float = DEFAULT_BODY_TIMEOUT,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    queue_timeout: float = DEFAULT_QUEUE_TIMEOUT,
    prices: Prices | None = None,
    versions: Mapping[str, str] | None = None,
) -> ReferenceApp:
    """The reference server's ASGI app over *store*.

    *require_https*: a request whose scope scheme is not https earns -1 (False: every request is
    treated as if it came over HTTPS, for ``--no-tls``).  *strict*: decode with the notes' strict
    readings (False: lenient).  *prices*: the price list (default the packaged ``prices.toml``).
    *versions*: the document version each endpoint speaks (``{endpoint: version}``, see
    :class:`~conformance.reference.vendor.Vendor`; default: every endpoint's newest).
    """
    return ReferenceApp(
        store,
        require_https=require_https,
        strict=strict,
        max_body=max_body,
        body_timeout=body_timeout,
        max_concurrency=max_concurrency,
        queue_timeout=queue_timeout,
        prices=prices,
        versions=versions,
    )
