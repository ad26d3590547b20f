"""One HTTP/1.1 connection, and one exchange on it under one deadline and the read limits.

:meth:`Connection.open` opens one (:mod:`conformance.http.opening`: connect, TLS with SNI);
:meth:`Connection.exchange` sends one request and reads one whole answer.  Both take an
absolute ``deadline`` (``time.monotonic()`` seconds): before every blocking call the time left
is checked and becomes the socket's timeout, so nothing -- a peer that drips one byte a second,
drips its headers, sends ``100 Continue`` forever, or never finishes the TLS handshake -- holds
an exchange past its deadline (CPython bounds each ``recv``, and a whole TLS handshake, by the
socket's timeout).

HTTP framing is h11's (sans-IO, RFC 9112); this module owns every ``recv``, so it enforces
:class:`Limits` while reading: the head (status line and headers) in bytes and in fields, the
informational answers, and the body -- a ``Content-Length`` over the cap is refused before a byte
of the body is read, and a chunked or close-delimited body is cut as soon as it passes the cap.
Memory is bounded by the cap plus one read.  Nothing is decompressed: a ``Content-Encoding``
is only reported (:attr:`Response.content_encoding`).  Errors are the types of
:mod:`conformance.http.errors`.
"""

from __future__ import annotations

import select
import socket
import ssl
import time
from typing import Final

import attrs
import h11

from .errors import (
    AnswerTooLarge,
    ConnectionClosed,
    HeadTooLarge,
    InvalidRequest,
    Phase,
    ProtocolViolation,
    TooManyInformational,
    detail,
)
from .opening import Origin, open_socket, timeout_error

__all__ = ["DEFAULT_MAX_BODY", "Connection", "Limits", "Origin", "Response", "make_request"]

DEFAULT_MAX_BODY: Final = 1 << 20
"""The default cap on an answer's body: 1 MiB (the vendor's answers are a few hundred bytes)."""
_RECV_SIZE: Final = 65536


def _positive(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or value < 1:
        raise ValueError(f"{attribute.name} must be a whole number of at least 1, not {value!r}")


@attrs.frozen
class Limits:
    """Caps on what one answer may hold, checked while it is read: ``max_body`` bytes of body
    (default 1 MiB), ``max_head`` bytes of status line and headers (64 KiB, like
    ``http.client``'s line limit), ``max_headers`` header fields (100, ``http.client``'s), and
    ``max_informational`` 1xx answers before the final one (10)."""

    max_body: int = attrs.field(default=DEFAULT_MAX_BODY, validator=_positive)
    max_head: int = attrs.field(default=65536, validator=_positive)
    max_headers: int = attrs.field(default=100, validator=_positive)
    max_informational: int = attrs.field(default=10, validator=_positive)


def _hidden(value: bytes | tuple[tuple[str, str], ...]) -> str:
    return f"<{len(value)} {'bytes' if isinstance(value, bytes) else 'fields'}>"


@attrs.frozen
class Response:
    """One whole answer.  ``headers`` are ``(lower-case name, value)`` pairs in the order they
    came (values decoded as Latin-1); ``body`` is exactly the bytes sent, never decompressed;
    ``informational`` the status codes of 1xx answers before it; ``elapsed`` the seconds the
    exchange took; ``attempts`` the connections tried; ``reused`` whether it came on a
    keep-alive connection.  Its repr shows neither the headers nor the body (they may hold
    secrets), only their size."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...] = attrs.field(repr=_hidden)
    body: bytes = attrs.field(repr=_hidden)
    http_version: str = "1.1"
    elapsed: float = 0.0
    informational: tuple[int, ...] = ()
    attempts: int = 1
    reused: bool = False

    def header(self, name: str) -> str | None:
        """The first value of header *name* (any case), or None."""
        name = name.lower()
        return next((v for k, v in self.headers if k == name), None)

    @property
    def content_type(self) -> str | None:
        return self.header("content-type")

    @property
    def content_encoding(self) -> str | None:
        """The answer's Content-Encoding (``gzip``...) or None; the body is left encoded."""
        return self.header("content-encoding")


def make_request(method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]) -> h11.Request:
    """The request head, checked by h11 (a method that is not a token, a header value with a
    newline...) before any I/O: :class:`~conformance.http.errors.InvalidRequest` if it is wrong."""
    try:
        return h11.Request(method=method, target=target, headers=headers)
    except h11.LocalProtocolError as exc:
        raise InvalidRequest(f"cannot send this request: {detail(str(exc))}") from None


class Connection:
    """One open connection to an :class:`Origin`.  Not thread-safe: one exchange at a time (the
    pool hands a connection to one caller)."""

    def __init__(self, sock: socket.socket, origin: Origin, limits: Limits) -> None:
        self.origin = origin
        self.limits = limits
        self.last_used = time.monotonic()
        self._sock = sock
        self._h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=limits.max_head)
        self._eof = False
        self._poll = select.poll()
        self._poll.register(sock, select.POLLIN)

    @classmethod
    def open(
        cls, origin: Origin, limits: Limits, context: ssl.SSLContext | None, *, started: float, deadline: float
    ) -> Connection:
        """Connect to *origin* (and shake hands with *context* for ``https``) by *deadline*."""
        return cls(open_socket(origin, context, started=started, deadline=deadline), origin, limits)

    @property
    def reusable(self) -> bool:
        """True when the last exchange ended cleanly and both sides keep the connection open."""
        h = self._h11
        return not self._eof and h.our_state is h11.IDLE and h.their_state is h11.IDLE

    def idle_and_open(self, idle_timeout: float) -> bool:
        """True when the connection has been idle less than *idle_timeout* seconds and the peer
        has neither closed it nor sent anything unasked (either makes the socket readable)."""
        if self._eof or time.monotonic() - self.last_used > idle_timeout:
            return False
        try:
            return not self._poll.poll(0)
        except (OSError, ValueError):
            return False

    def close(self) -> None:
        self._eof = True
        try:
            self._sock.close()
        except OSError:
            pass

    # ------------------------------------------------------------------ one exchange

    def exchange(
        self,
        request: h11.Request,
        body: bytes,
        *,
        started: float,
        deadline: float,
        attempts: int = 1,
        reused: bool = False,
    ) -> Response:
        """Send one request (see :func:`make_request`) and read one whole answer by *deadline*
        (see the module docstring).  On any error the connection is left unusable."""
        h = self._h11
        try:
            data = h.send(request)
            if body:
                data += h.send(h11.Data(data=body))
            data += h.send(h11.EndOfMessage())
        except h11.LocalProtocolError as exc:  # framing h11 refuses (make_request checked the rest)
            self._eof = True
            raise InvalidRequest(f"cannot send this request: {detail(str(exc))}") from None
        self._send(data, started, deadline)
        head, fields, informational, content = self._read(request.method != b"HEAD", started, deadline)
        if h.our_state is h11.DONE and h.their_state is h11.DONE and not h.trailing_data[0]:
            h.start_next_cycle()
        self.last_used = time.monotonic()
        return Response(
            status=head.status_code,
            reason=head.reason.decode("latin-1"),
            headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in fields),
            body=content,
            http_version=head.http_version.decode("ascii", "replace"),
            elapsed=self.last_used - started,
            informational=tuple(informational),
            attempts=attempts,
            reused=reused,
        )

    def _send(self, data: bytes, started: float, deadline: float) -> None:
        view = memoryview(data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._eof = True
                raise timeout_error("send", started, deadline)
            try:
                self._sock.settimeout(remaining)
                view = view[self._sock.send(view) :]
            except TimeoutError:
                self._eof = True
                raise timeout_error("send", started, deadline) from None
            except OSError as exc:
                self._eof = True
                raise ConnectionClosed(
                    f"the connection failed while sending the request: {exc.strerror or exc}",
                    phase="send",
                    elapsed=time.monotonic() - started,
                ) from None

    def _receive(self, phase: Phase, received: int, informational: int, started: float, deadline: float) -> bytes:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise timeout_error(phase, started, deadline, received, informational)
        try:
            self._sock.settimeout(remaining)
            data = self._sock.recv(_RECV_SIZE)
        except TimeoutError:
            raise timeout_error(phase, started, deadline, received, informational) from None
        except OSError as exc:  # reset, or a broken TLS record: the answer ends here
            self._eof = True
            raise self._closed(phase, received, started, exc.strerror or str(exc)) from None
        if not data:
            self._eof = True
        return data

    def _closed(self, phase: Phase, received: int, started: float, how: str = "") -> ConnectionClosed:
        what = f"after {received:,} bytes of the answer" if received else "before any byte of the answer"
        return ConnectionClosed(
            f"the server closed the connection {what}" + (f" ({how})" if how else ""),
            phase=phase,
            elapsed=time.monotonic() - started,
            received=received,
        )

    def _read(
        self, has_body: bool, started: float, deadline: float
    ) -> tuple[h11.Response, list[tuple[bytes, bytes]], list[int], bytes]:
        """The answer's head, its ``(lower-case name, value)`` fields, the 1xx codes before it
        and its body."""
        h, limits = self._h11, self.limits
        phase: Phase = "head"
        received = 0
        informational: list[int] = []
        head: h11.Response | None = None
        fields: list[tuple[bytes, bytes]] = []
        body = bytearray()
        while True:
            try:
                event = h.next_event()
            except h11.RemoteProtocolError as exc:
                self._eof = True
                raise self._protocol_error(exc, phase, received, started) from None
            if event is h11.NEED_DATA:
                data = self._receive(phase, received, len(informational), started, deadline)
                received += len(data)
                h.receive_data(data)
            elif isinstance(event, h11.InformationalResponse):
                informational.append(event.status_code)
                phase = "informational"
                if len(informational) > limits.max_informational:
                    self._eof = True
                    raise TooManyInformational(limit=limits.max_informational, elapsed=time.monotonic() - started)
            elif isinstance(event, h11.Response):
                head, phase = event, "body"
                fields = list(event.headers)  # once: h11's Headers is a slow sequence to walk
                self._check_head(event, fields, has_body, started)
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > limits.max_body:
                    assert head is not None
                    self._eof = True
                    raise self._too_large(head, bytes(body[: limits.max_body]), None, started)
            elif isinstance(event, h11.EndOfMessage):
                assert head is not None
                return head, fields, informational, bytes(body)
            else:  # ConnectionClosed, or PAUSED (h11 never pauses a client mid-answer)
                self._eof = True
                raise self._closed(phase, received, started)

    def _check_head(
        self, head: h11.Response, fields: list[tuple[bytes, bytes]], has_body: bool, started: float
    ) -> None:
        """The head's size and field count (h11 bounds only a head still incomplete, so one that
        arrives whole in a read is measured here), and a declared body over the cap (refused
        before it is read)."""
        if len(fields) > self.limits.max_headers:
            self._eof = True
            raise HeadTooLarge(limit=self.limits.max_headers, what="fields", elapsed=time.monotonic() - started)
        size = 15 + len(head.reason) + sum(len(k) + len(v) + 4 for k, v in fields)  # status line, CRLFs
        if size > self.limits.max_head:
            self._eof = True
            raise HeadTooLarge(limit=self.limits.max_head, what="bytes", elapsed=time.monotonic() - started)
        if not has_body or head.status_code in (204, 304):
            return
        length = next((v for k, v in fields if k == b"content-length"), None)
        if length is not None and int(length) > self.limits.max_body:  # h11 checked that it is a number
            self._eof = True
            raise self._too_large(head, b"", int(length), started)

    def _too_large(self, head: h11.Response, partial: bytes, declared: int | None, started: float) -> AnswerTooLarge:
        return AnswerTooLarge(
            limit=self.limits.max_body,
            status=head.status_code,
            headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in head.headers),
            partial=partial,
            declared=declared,
            elapsed=time.monotonic() - started,
        )

    def _protocol_error(
        self, exc: h11.RemoteProtocolError, phase: Phase, received: int, started: float
    ) -> ConnectionClosed | HeadTooLarge | ProtocolViolation:
        """What h11's complaint means: the peer closed mid-answer, the head is too large, or the
        answer breaks HTTP/1.1."""
        elapsed = time.monotonic() - started
        if self._h11.trailing_data[1]:  # h11 saw the end of the stream: the answer was cut short
            return self._closed(phase, received, started)
        if exc.error_status_hint == 431:  # h11's "Receive buffer too long": an unfinished line
            if phase != "body":
                return HeadTooLarge(limit=self.limits.max_head, what="bytes", elapsed=elapsed)
            reason = f"a chunk-size line or trailer section longer than {self.limits.max_head:,} bytes"
            return ProtocolViolation(reason, phase=phase, elapsed=elapsed)
        return ProtocolViolation(str(exc), phase=phase, elapsed=elapsed)
