"""Recording and judging every request a client program sends to the checking vendor.

:class:`RecordingApp` is ASGI middleware around the reference server: it passes each exchange on
unchanged and hands it to a :class:`Recorder` before the answer's last byte leaves, so a client
never sees an answer that is not yet recorded.  The recorder judges each request
(:func:`~conformance.client.judging.judge_client_request`) and keeps it as a :class:`Received`,
which :meth:`Received.result` turns into the kit's one :class:`~conformance.results.Result`.

Bounded in memory whatever a client sends: of each request body the first ``max_request_bytes``
(:data:`DEFAULT_MAX_REQUEST_BYTES`, ``client --max-request-bytes``) are kept and the rest only
counted, as they arrive (the reference server itself reads at most its ``max_body`` and drops the
rest); a request cut so is judged by what the kept part shows for certain
(:func:`~conformance.client.judging.judge_cut_request`), with a note saying so.  The checking
vendor's own answers are kept up to the same bound.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Final

import attrs

import codec

from ..asgi import App, Message, Receive, Scope, Send, header, request_method
from ..report import sent_secrets
from ..results import Exchange, Finding, Result
from ..scrub import Scrubber
from .judging import judge_received

__all__ = ["DEFAULT_MAX_REQUEST_BYTES", "Received", "Recorder", "RecordingApp"]

DEFAULT_MAX_REQUEST_BYTES: Final = 1024 * 1024
"""Bytes of each request body (and of each answer) the recorder keeps; the rest is counted only."""


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
    size: int = -1  # the body's whole size in bytes (-1: all of it was kept)

    @property
    def cut(self) -> bool:
        """Whether the kit kept only part of the body."""
        return self.size > len(self.body)

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

    def result(self, base_url: str) -> Result:
        """This request as a result of the run; *base_url* is the vendor's (ending ``/products/``)."""
        query = f"?{self.query.decode('utf-8', 'backslashreplace')}" if self.query else ""
        exchange = Exchange(
            self.endpoint,
            self.method,
            base_url.split("/products/", 1)[0] + self.path + query,
            self.body,
            None,
            status=self.status,
            content_type=self.response_content_type,
            body=self.response_body if self.status is not None else None,
            request_content_type=self.content_type,
        )
        answered = self.answered
        return Result(
            id=f"request {self.index}: {self.method} {self.path}",
            group=self.endpoint or "unknown path",
            status="failed" if self.failed else "passed",
            findings=self.findings,
            about=f"answered {answered}",
            label=f"{self.method} {self.path} -> {answered}",
            example=exchange,
            details={
                "index": self.index,
                "endpoint": self.endpoint,
                "scheme": self.scheme,
                "answered": answered,
                "body_bytes": max(self.size, len(self.body)),
                "body_kept": len(self.body),
            },
        )


class Recorder:
    """Judges and keeps every request (thread-safe); *on_record* sees each as it is recorded."""

    def __init__(
        self,
        *,
        secrets: list[str],
        lenient: bool = False,
        scheme: str | None = None,
        on_record: Callable[[Received], None] | None = None,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    ) -> None:
        self.max_request_bytes = max_request_bytes
        self._secrets = [s for s in secrets if s]
        self._seen: list[str] = []
        self._scrubber = Scrubber(self._secrets)
        self.lenient = lenient
        self.scheme = scheme  # None: the connection's own; "https" with --no-tls (answered as if HTTPS)
        self.on_record = on_record
        self.received: list[Received] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()

    @property
    def secrets(self) -> list[str]:
        """The run's secrets and every secret value a client has sent so far."""
        with self._lock:
            return [*self._secrets, *self._seen]

    @property
    def scrubber(self) -> Scrubber:
        """The run's one scrubber, for every secret known so far (rebuilt only when a client sent a
        new one: building is linear in the secrets, and scrubbing does not grow with them)."""
        with self._lock:
            return self._scrubber

    def record(
        self,
        scope: Scope,
        body: bytes,
        status: int | None,
        response_content_type: str | None,
        response_body: bytes,
        size: int = -1,
    ) -> None:
        """Judge one exchange (*body* the part kept of a body of *size* bytes; -1: all of it) and
        keep it.  Never raises: a failure of the kit itself is kept in ``errors`` (the run then
        exits 2)."""
        try:
            method = request_method(scope)  # as sent: a ``post`` is recorded as ``post``, and earns -17
            scheme = self.scheme or str(scope.get("scheme", "http"))
            query = bytes(scope.get("query_string", b""))
            content_type = header(scope, b"content-type")
            path = str(scope.get("path", ""))
            judged_body = body if method == "POST" else query  # a GET's query string is its body
            endpoint, findings = judge_received(
                path,
                method=method,
                scheme=scheme,
                content_type=content_type,
                body=judged_body,
                size=size if method == "POST" else -1,
                lenient=self.lenient,
            )
            seen = sent_secrets(body) + sent_secrets(query)
            with self._lock:
                new = [s for s in dict.fromkeys(seen) if s not in self._scrubber.secrets]
                if new:
                    self._seen.extend(new)
                    self._scrubber = self._scrubber.with_secrets(new)
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
                    size,
                )
                self.received.append(received)
            if self.on_record is not None:
                self.on_record(received)
        except Exception as exc:  # the kit's own fault: reported as such, never as a traceback
            with self._lock:
                self.errors.append(f"{type(exc).__name__} while judging a request")


class RecordingApp:
    """ASGI middleware: passes each HTTP exchange to *app* unchanged and hands it to *recorder*
    before the answer's last byte leaves (so a client never sees an answer not yet recorded)."""

    def __init__(self, app: App, recorder: Recorder) -> None:
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.recorder.max_request_bytes
        body = _Kept(limit)
        answer = _Kept(limit)
        head: dict[str, Any] = {"status": None, "content_type": None}
        recorded = False

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                size = body.size if body.size > len(body.data) else -1
                self.recorder.record(
                    scope, bytes(body.data), head["status"], head["content_type"], bytes(answer.data), size
                )

        async def receive_() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.add(message.get("body", b""))
            return message

        async def send_(message: Message) -> None:
            if message["type"] == "http.response.start":
                head["status"] = message["status"]
                head["content_type"] = header(message, b"content-type")
            elif message["type"] == "http.response.body":
                answer.add(message.get("body", b""))
                if not message.get("more_body", False):
                    record()
            await send(message)

        try:
            await self.app(scope, receive_, send_)
        finally:
            record()


class _Kept:
    """The first *limit* bytes of a stream, and how many bytes it had in all."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]
