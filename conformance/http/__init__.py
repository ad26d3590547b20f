"""The kit's own HTTP/1.1 client, bounded in time and memory, for server mode.

The server under test may be hostile: it may drip its answer a byte at a time, send ``100
Continue`` forever, never finish the TLS handshake, answer with 400 MB or a gzip bomb.  httpx
(over httpcore) cannot bound a whole exchange -- its timeouts restart with every read, and its
loops over headers and 1xx answers do not return control -- so the kit speaks HTTP/1.1 itself:
h11 for the framing (sans-IO), plain sockets and :mod:`ssl` for the I/O, and every ``recv``
under one deadline and the read limits.

* :mod:`conformance.http.client` -- :class:`Client`, the keep-alive pool, retries, TLS set-up;
* :mod:`conformance.http.connection` -- one connection and one exchange: :class:`Limits`,
  :class:`Response`; :mod:`conformance.http.opening` opens it (connect, TLS);
* :mod:`conformance.http.errors` -- every failure as a type with data, one line each;
* :mod:`conformance.http.inprocess` -- :class:`Transport`, what server mode sends through, and
  :class:`ASGITransport`, the same promises over an ASGI app in this process (tests, benchmarks).

Pacing a run (the rate limit and the request budget) is :mod:`conformance.pacing`.
"""

from .client import DEFAULT_RETRIES, DEFAULT_TIMEOUT, Client, PoolStats, RetryPolicy, parse_url, ssl_context
from .connection import DEFAULT_MAX_BODY, Limits, Origin, Response
from .errors import (
    AnswerTooLarge,
    ConnectError,
    ConnectionClosed,
    ExchangeTimeout,
    HeadTooLarge,
    HTTPClientError,
    InvalidRequest,
    InvalidSetting,
    LimitExceeded,
    Phase,
    ProtocolViolation,
    TLSError,
    TooManyInformational,
    TransportError,
)
from .inprocess import ASGITransport, Transport

__all__ = [
    "DEFAULT_MAX_BODY",
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "ASGITransport",
    "AnswerTooLarge",
    "Client",
    "ConnectError",
    "ConnectionClosed",
    "ExchangeTimeout",
    "HTTPClientError",
    "HeadTooLarge",
    "InvalidRequest",
    "InvalidSetting",
    "LimitExceeded",
    "Limits",
    "Origin",
    "Phase",
    "PoolStats",
    "ProtocolViolation",
    "Response",
    "RetryPolicy",
    "TLSError",
    "TooManyInformational",
    "Transport",
    "TransportError",
    "parse_url",
    "ssl_context",
]
