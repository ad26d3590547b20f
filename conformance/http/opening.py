"""Opening a connection under the exchange's deadline: resolve, connect, shake hands.

:func:`open_socket` returns a connected socket (``TCP_NODELAY`` set) to an :class:`Origin`, and
for ``https`` the TLS socket after a complete handshake (SNI: the origin's host), or raises:
:class:`~conformance.http.errors.ExchangeTimeout` (phase ``connect`` or ``tls``) when the
deadline passes, :class:`~conformance.http.errors.ConnectError` when no connection can be had
(the client may retry it), :class:`~conformance.http.errors.TLSError` when the handshake fails
otherwise.  An IP address is used as it is; a host name is resolved on a helper thread that is
waited for no longer than the deadline (Python cannot interrupt the system resolver).  CPython
bounds a whole ``do_handshake`` by the socket's timeout, which is set to the time left.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time

import attrs

from .errors import ConnectError, ExchangeTimeout, Phase, TLSError, detail

__all__ = ["Origin", "open_socket", "timeout_error"]


@attrs.frozen
class Origin:
    """Where a connection goes: scheme (``http`` or ``https``), host and port; the pool's key."""

    scheme: str
    host: str
    port: int


def timeout_error(
    phase: Phase, started: float, deadline: float, received: int = 0, informational: int = 0
) -> ExchangeTimeout:
    """The error for a deadline passed in *phase*, with the progress made."""
    now = time.monotonic()
    return ExchangeTimeout(
        phase=phase,
        timeout=round(deadline - started, 3),
        elapsed=now - started,
        received=received,
        informational=informational,
    )


def _resolve(host: str, port: int, started: float, deadline: float) -> list[tuple[int, int, int, tuple[object, ...]]]:
    """The addresses of *host*: at once for an IP address, else from the system resolver on a
    helper thread, waited for until the deadline."""
    wanted = (host, port, socket.AF_UNSPEC, socket.SOCK_STREAM)
    try:
        infos = socket.getaddrinfo(*wanted, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        found: list[object] = []

        def lookup() -> None:
            try:
                found.append(socket.getaddrinfo(*wanted))
            except OSError as exc:
                found.append(exc)

        thread = threading.Thread(target=lookup, name="conformance-http-resolve", daemon=True)
        thread.start()
        thread.join(max(deadline - time.monotonic(), 0))
        if not found:
            raise timeout_error("connect", started, deadline) from None
        if isinstance(found[0], OSError):
            error = found[0]
            raise ConnectError(
                f"cannot resolve {host!r}: {getattr(error, 'strerror', None) or error}",
                phase="connect",
                elapsed=time.monotonic() - started,
            ) from None
        infos = found[0]  # type: ignore[assignment]
    return [(family, kind, proto, address) for family, kind, proto, _, address in infos]


def _connect(origin: Origin, started: float, deadline: float) -> socket.socket:
    error: OSError | None = None
    for family, kind, proto, address in _resolve(origin.host, origin.port, started, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(remaining)
            sock.connect(address)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        except TimeoutError:
            sock.close()
            break
        except OSError as exc:
            sock.close()
            error = exc
    if error is None:
        raise timeout_error("connect", started, deadline)
    raise ConnectError(
        f"cannot connect to {origin.host}:{origin.port}: {error.strerror or error}",
        phase="connect",
        elapsed=time.monotonic() - started,
    )


def _handshake(
    sock: socket.socket, origin: Origin, context: ssl.SSLContext, started: float, deadline: float
) -> ssl.SSLSocket:
    """The TLS handshake (SNI: *origin*'s host), bounded by the deadline as a whole.  On any
    failure the socket is closed (the TLS socket owns it once it wraps it)."""
    error: type[ConnectError | TLSError]
    owner: socket.socket = sock
    try:
        owner = tls = context.wrap_socket(sock, server_hostname=origin.host, do_handshake_on_connect=False)
        tls.settimeout(max(deadline - time.monotonic(), 1e-3))
        tls.do_handshake()
        return tls
    except TimeoutError:
        owner.close()
        raise timeout_error("tls", started, deadline) from None
    except ssl.SSLCertVerificationError as exc:
        error, reason = TLSError, f"the certificate does not verify: {exc.verify_message or exc.reason}"
    except (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionError) as exc:  # hung up: retried
        error = ConnectError
        reason = "the peer closed the connection" if isinstance(exc, ssl.SSLError) else exc.strerror or str(exc)
    except (OSError, ValueError) as exc:  # no common protocol or cipher, a bad record, ...
        error, reason = TLSError, getattr(exc, "reason", None) or str(exc)
    owner.close()
    message = f"TLS handshake with {origin.host}:{origin.port} failed: {detail(reason)}"
    raise error(message, phase="tls", elapsed=time.monotonic() - started)


def open_socket(origin: Origin, context: ssl.SSLContext | None, *, started: float, deadline: float) -> socket.socket:
    """A socket connected to *origin* (through TLS with *context* for ``https``) by *deadline*."""
    sock = _connect(origin, started, deadline)
    if origin.scheme == "https":
        assert context is not None
        return _handshake(sock, origin, context, started, deadline)
    return sock
