"""What can go wrong in one exchange, as exception types with data (in the manner of h11).

Every error is an :class:`HTTPClientError` whose ``str()`` is one line that names what happened
and where, ready to become a finding: ``no complete answer within 5 s: the body was still
arriving (1,024 bytes of the answer received)``.  Peer-supplied text in a message (a protocol
error quoting a header line) is cut to :data:`DETAIL_LIMIT` characters and shown escaped; the
caller still scrubs secrets before any sink.

``phase`` says where the exchange stood: ``connect`` (resolving and opening the TCP
connection), ``tls`` (the handshake), ``send``, ``head`` (waiting for the answer or reading its
status line and headers), ``informational`` (1xx answers came, the final one has not), ``body``.
``elapsed`` is the time since the exchange began, ``attempts`` how many connections it tried.

* :class:`InvalidRequest`, :class:`InvalidSetting` -- the caller's mistake (a URL with user
  information, a header with a newline, a CA file that does not load); no I/O happened.
* :class:`TransportError` -- the connection failed: :class:`ConnectError` (no connection; the
  only kind retried, with :class:`ConnectionClosed` on a reused keep-alive connection before any
  byte of the answer), :class:`TLSError`, :class:`ConnectionClosed` (``received`` bytes of the
  answer came first).
* :class:`ExchangeTimeout` -- the one deadline of the exchange passed.
* :class:`ProtocolViolation` -- the answer is not HTTP/1.1 as RFC 9112 writes it.
* :class:`LimitExceeded` -- a cap on what the kit reads was hit: :class:`AnswerTooLarge` (it
  keeps the status, headers and the first ``limit`` bytes), :class:`HeadTooLarge`,
  :class:`TooManyInformational`.
"""

from __future__ import annotations

from typing import Final, Literal

from ..peertext import cut, printable

__all__ = [
    "DETAIL_LIMIT",
    "AnswerTooLarge",
    "ConnectError",
    "ConnectionClosed",
    "ExchangeTimeout",
    "HTTPClientError",
    "HeadTooLarge",
    "InvalidRequest",
    "InvalidSetting",
    "LimitExceeded",
    "Phase",
    "ProtocolViolation",
    "TLSError",
    "TooManyInformational",
    "TransportError",
]

Phase = Literal["setup", "connect", "tls", "send", "head", "informational", "body"]
DETAIL_LIMIT: Final = 200

_WHERE: Final[dict[str, str]] = {
    "setup": "before sending",
    "connect": "while connecting",
    "tls": "during the TLS handshake",
    "send": "while sending the request",
    "head": "waiting for the answer's status line and headers",
    "informational": "after informational (1xx) answers, waiting for the final one",
    "body": "the body was still arriving",
}


def detail(text: str) -> str:
    """A peer-supplied string made safe for a one-line message (escaped, cut)."""
    return printable(cut(text, DETAIL_LIMIT))


class HTTPClientError(Exception):
    """Base of every error of :mod:`conformance.http`; ``str()`` is a one-line message."""

    def __init__(self, message: str, *, phase: Phase, elapsed: float = 0.0) -> None:
        super().__init__(message)
        self.phase: Phase = phase
        self.elapsed = elapsed
        self.attempts = 1

    @property
    def message(self) -> str:
        return str(self.args[0])


class InvalidRequest(HTTPClientError, ValueError):
    """The request cannot be sent as asked (bad URL, method or header); nothing was sent."""

    def __init__(self, message: str) -> None:
        super().__init__(message, phase="setup")


class InvalidSetting(HTTPClientError, ValueError):
    """A client setting is unusable (a CA file that does not load, a limit below 1)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, phase="setup")


class TransportError(HTTPClientError):
    """The connection failed (see the subclasses)."""


class ConnectError(TransportError):
    """No connection could be opened: the name does not resolve, the port refuses, the network
    is unreachable, or the peer hung up during the TLS handshake.  Retried by the client."""


class TLSError(TransportError):
    """The TLS handshake failed: the certificate does not verify, or no common protocol."""


class ConnectionClosed(TransportError):
    """The peer closed or reset the connection before the answer was complete; ``received`` is
    how many bytes of the answer came first (0: none, the request may not have been read)."""

    def __init__(self, message: str, *, phase: Phase, elapsed: float = 0.0, received: int = 0) -> None:
        super().__init__(message, phase=phase, elapsed=elapsed)
        self.received = received


class ExchangeTimeout(HTTPClientError):
    """The exchange's one deadline passed.  ``timeout`` is the deadline (seconds from the start),
    ``received`` the bytes of the answer that came, ``informational`` how many 1xx answers."""

    def __init__(self, *, phase: Phase, timeout: float, elapsed: float, received: int = 0, informational: int = 0):
        progress = f"{received:,} bytes of the answer received" if received else "no byte of the answer received"
        if informational:
            progress += f", {informational} informational answer{'s' if informational > 1 else ''}"
        super().__init__(
            f"no complete answer within {timeout:g} s: {_WHERE[phase]} ({progress})", phase=phase, elapsed=elapsed
        )
        self.timeout = timeout
        self.received = received
        self.informational = informational


class ProtocolViolation(HTTPClientError):
    """The answer is not HTTP/1.1 (h11's reading of RFC 9112 says why, in ``detail``)."""

    def __init__(self, reason: str, *, phase: Phase, elapsed: float = 0.0) -> None:
        self.detail = detail(reason)
        super().__init__(
            f"the answer is not valid HTTP/1.1 ({_WHERE[phase]}): {self.detail}", phase=phase, elapsed=elapsed
        )


class LimitExceeded(HTTPClientError):
    """The answer went past a cap the kit reads it under; ``limit`` is the cap."""

    def __init__(self, message: str, *, phase: Phase, limit: int, elapsed: float = 0.0) -> None:
        super().__init__(message, phase=phase, elapsed=elapsed)
        self.limit = limit


class AnswerTooLarge(LimitExceeded):
    """The body is longer than ``limit`` bytes: reading stopped there.  ``declared`` is its
    Content-Length when it had one; ``status``, ``headers`` and the first bytes (``partial``, at
    most ``limit``) are kept for the report."""

    def __init__(
        self,
        *,
        limit: int,
        status: int,
        headers: tuple[tuple[str, str], ...],
        partial: bytes,
        declared: int | None,
        elapsed: float,
    ) -> None:
        said = f"it declares {declared:,} bytes" if declared is not None else f"more than {limit:,} bytes came"
        super().__init__(
            f"the answer's body is larger than the {limit:,}-byte limit ({said}; reading stopped)",
            phase="body",
            limit=limit,
            elapsed=elapsed,
        )
        self.status = status
        self.headers = headers
        self.partial = partial
        self.declared = declared


class HeadTooLarge(LimitExceeded):
    """The status line and headers are larger than ``limit`` bytes, or have more than ``limit``
    fields (``what`` says which)."""

    def __init__(self, *, limit: int, what: Literal["bytes", "fields"], elapsed: float) -> None:
        noun = "bytes" if what == "bytes" else "header fields"
        super().__init__(
            f"the answer's head is larger than the limit of {limit:,} {noun}",
            phase="head",
            limit=limit,
            elapsed=elapsed,
        )
        self.what = what


class TooManyInformational(LimitExceeded):
    """More than ``limit`` informational (1xx) answers came before the final one."""

    def __init__(self, *, limit: int, elapsed: float) -> None:
        super().__init__(
            f"more than {limit} informational (1xx) answers before the final one",
            phase="informational",
            limit=limit,
            elapsed=elapsed,
        )
