"""Hostile HTTP servers on loopback for the kit's HTTP client tests (tests/conformance/test_http_*.py).

:class:`LoopbackServer` listens on 127.0.0.1 and runs a handler on a thread per connection.
Every handler is bounded: it stops when the test ends (``server.stopping``), after a fixed
number of steps, or when the client goes away; sockets time out after :data:`IO_TIMEOUT`.
The handlers are the attacks of issue 11 and the keep-alive cases of issue 14.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Final

IO_TIMEOUT: Final = 5.0
MAX_SECONDS: Final = 20.0  # no handler runs longer, whatever happens

Handler = Callable[["LoopbackServer", socket.socket], None]


class LoopbackServer:
    """A TCP server on loopback; ``connections`` counts accepted connections and ``requests``
    holds each request head the handlers read (as bytes), in order."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.stopping = threading.Event()
        self.connections = 0
        self.requests: list[bytes] = []
        self.sent = 0  # bytes of answers handlers sent (those that count)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/products/!AutoApplyIdA"

    def __enter__(self) -> LoopbackServer:
        self._acceptor.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._acceptor.join(5)
        self._listener.close()
        for thread in self._threads:
            thread.join(5)

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(IO_TIMEOUT)
        with contextlib.suppress(OSError), conn:
            self.handler(self, conn)

    def read_request(self, conn: socket.socket) -> bytes | None:
        """One request (head and Content-Length body), recorded; None when the client closed."""
        message = read_message(conn)
        if message is None:
            return None
        head = message.partition(b"\r\n\r\n")[0]
        self.requests.append(head)
        return head

    def pause(self, seconds: float) -> bool:
        """Sleep, unless the test is over (then False)."""
        return not self.stopping.wait(seconds)


@contextlib.contextmanager
def serving(handler: Handler) -> Iterator[LoopbackServer]:
    with LoopbackServer(handler) as server:
        yield server


def answer(body: bytes = b"-3\nThe 'product' argument is missing!\n", *, extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n"
        + extra
        + b"\r\n"
        + body
    )


# ---------------------------------------------------------------------------- attacks


def drip_body(interval: float) -> Handler:
    """A head that promises 1,000 bytes, then one byte every *interval* seconds."""

    def handler(server: LoopbackServer, conn: socket.socket) -> None:
        server.read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(1000):
            if not server.pause(interval):
                return
            conn.sendall(b"x")

    return handler


def drip_head(interval: float) -> Handler:
    """The status line and headers, one byte every *interval* seconds, never finished."""

    def handler(server: LoopbackServer, conn: socket.socket) -> None:
        server.read_request(conn)
        head = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 10_000
        for byte in head:
            if not server.pause(interval):
                return
            conn.sendall(bytes([byte]))

    return handler


def endless_informational(interval: float) -> Handler:
    """``100 Continue`` every *interval* seconds, and never the final answer."""

    def handler(server: LoopbackServer, conn: socket.socket) -> None:
        server.read_request(conn)
        deadline = time.monotonic() + MAX_SECONDS
        while time.monotonic() < deadline:
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            if not server.pause(interval):
                return

    return handler


def endless_header_line(server: LoopbackServer, conn: socket.socket) -> None:
    """A header line that never ends, as fast as the client reads it (bounded: 400 MB)."""
    server.read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Endless: ")
    while server.sent < 400 << 20 and not server.stopping.is_set():
        conn.sendall(b"a" * 65536)
        server.sent += 65536


def informational_flood(server: LoopbackServer, conn: socket.socket) -> None:
    """``100 Continue`` as fast as the client reads them (bounded: 1,000,000)."""
    server.read_request(conn)
    for _ in range(1_000_000 // 1000):
        if server.stopping.is_set():
            return
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n" * 1000)


def huge_chunked(total: int = 400 << 20) -> Handler:
    """A chunked answer of *total* bytes (400 MB), sent as fast as the client reads."""

    def handler(server: LoopbackServer, conn: socket.socket) -> None:
        server.read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"10000\r\n" + b"z" * 0x10000 + b"\r\n"
        while server.sent < total and not server.stopping.is_set():
            conn.sendall(chunk)
            server.sent += 0x10000
        conn.sendall(b"0\r\n\r\n")

    return handler


def gzip_bomb(inflated_mib: int = 400) -> bytes:
    """A gzip body of about 400 KB that inflates to *inflated_mib* MiB of zeros (gzip members
    concatenated: a valid gzip stream)."""
    return gzip.compress(bytes(1 << 20), compresslevel=9) * inflated_mib


def fixed(data: bytes, *, then_close: bool = False, times: int = 1) -> Handler:
    """Answer *times* requests on a connection with *data* each (then close if asked)."""

    def handler(server: LoopbackServer, conn: socket.socket) -> None:
        for _ in range(times):
            if server.read_request(conn) is None:
                return
            conn.sendall(data)
            server.sent += len(data)
        if then_close:
            return
        while server.read_request(conn) is not None:  # keep answering on the same connection
            conn.sendall(data)

    return handler


def close_mid_answer(server: LoopbackServer, conn: socket.socket) -> None:
    server.read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")


def reset_mid_answer(server: LoopbackServer, conn: socket.socket) -> None:
    server.read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close


def close_without_answer(server: LoopbackServer, conn: socket.socket) -> None:
    server.read_request(conn)


def silent(server: LoopbackServer, conn: socket.socket) -> None:
    """Accept and never say a word (a TLS handshake that never finishes; a server that hangs)."""
    with contextlib.suppress(OSError):
        while server.pause(0.05) and conn.recv(65536):
            pass


def keep_alive(server: LoopbackServer, conn: socket.socket) -> None:
    """Answer every request on the connection (HTTP/1.1 keep-alive)."""
    while server.read_request(conn) is not None:
        conn.sendall(answer())


def close_when_idle(idle: float) -> Handler:
    """Answer each request, then close the connection once it has been idle *idle* seconds
    (uvicorn's keep-alive timeout, shortened)."""

    def handler(server: LoopbackServer, conn: socket.socket) -> None:
        if server.read_request(conn) is None:
            return
        conn.sendall(answer())
        server.pause(idle)

    return handler


def close_on_second_request(server: LoopbackServer, conn: socket.socket) -> None:
    """Answer the first request; read the second and close without answering (the race of a
    server closing an idle connection just as the client reuses it)."""
    if server.read_request(conn) is None:
        return
    conn.sendall(answer())
    server.read_request(conn)


# ---------------------------------------------------------------------------- a hostile front for server mode


Attack = Callable[[LoopbackServer, socket.socket], None]
"""What the front does, instead of forwarding, with a request that triggers it: the request is
already read; the attack writes (or withholds) the answer on *conn*."""


def read_message(sock: socket.socket) -> bytes | None:
    """One whole HTTP/1.1 message (head and Content-Length body) as sent; None when the peer closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
        0,
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head + b"\r\n\r\n" + body


def front(
    backend_port: int,
    *,
    trigger: bytes = b"notAVariable",
    attack: Attack | None = None,
    rewrite: Callable[[bytes], bytes] | None = None,
    spare: int = 1,
) -> Handler:
    """A front for server-mode runs: forwards every request to the plain-HTTP reference server on
    *backend_port* (one backend connection per client connection) and relays its answer -- except
    for a request whose head or body holds *trigger*, which gets *attack* instead -- and passes
    every relayed answer through *rewrite* (an echoing server) if given.  The first *spare*
    requests (the kit's credentials check) are relayed whatever they hold, and the checks the
    trigger does not touch are answered as the reference server answers them."""

    def handler(server: LoopbackServer, conn: socket.socket) -> None:
        with socket.create_connection(("127.0.0.1", backend_port), timeout=IO_TIMEOUT) as backend:
            while not server.stopping.is_set():
                request = read_message(conn)
                if request is None:
                    return
                server.requests.append(request.partition(b"\r\n\r\n")[0])
                if attack is not None and trigger in request and len(server.requests) > spare:
                    attack(server, conn)
                    return
                backend.sendall(request)
                answer_bytes = read_message(backend)
                if answer_bytes is None:
                    return
                conn.sendall(rewrite(answer_bytes) if rewrite is not None else answer_bytes)

    return handler


class _AlreadyRead:
    """The server as a handler sees it, with the request already read (``read_request`` returns
    at once, once); every other attribute is the server's."""

    def __init__(self, server: LoopbackServer) -> None:
        self._server = server
        self._read = False

    def read_request(self, conn: socket.socket) -> bytes | None:
        if self._read:
            return None
        self._read = True
        return b""

    def __getattr__(self, name: str) -> object:
        return getattr(self._server, name)


def attack_of(handler: Handler) -> Attack:
    """One of the handlers above as an attack on a request the front already read."""

    def attack(server: LoopbackServer, conn: socket.socket) -> None:
        handler(_AlreadyRead(server), conn)  # type: ignore[arg-type]

    return attack
