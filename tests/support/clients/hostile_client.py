"""A hostile client for ``python -m conformance client``: requests no real client sends.

    python tests/support/clients/hostile_client.py ATTACK

``big-bodies``: 8 requests of 50 MB each (a form whose organizationName never ends), streamed so
that this program itself stays small; ``long-name``: one request whose first variable's name is
20 MB long.  Each is sent over a plain socket to ``COMODO_API_URL`` (plain HTTP: run the kit with
``--no-tls``), and whatever happens to the connection (the server answers early and closes it)
is fine: the point is what the kit keeps of it.
"""

from __future__ import annotations

import socket
import sys
from os import environ
from urllib.parse import urlsplit

CHUNK = b"x" * (1024 * 1024)


def send(path: str, head: bytes, size: int, tail: bytes = b"") -> None:
    """POST a body of *size* bytes: *head*, then x's, then *tail*."""
    url = urlsplit(environ["COMODO_API_URL"])
    with socket.create_connection((url.hostname, url.port or 80), timeout=30) as sock:
        sock.sendall(
            f"POST {url.path}{path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {size}\r\n"
            "Connection: close\r\n\r\n".encode()
            + head
        )
        left = size - len(head) - len(tail)
        try:
            while left > 0:
                sent = sock.send(CHUNK[: min(left, len(CHUNK))])
                left -= sent
            sock.sendall(tail)
            sock.shutdown(socket.SHUT_WR)
            while sock.recv(65536):
                pass
        except OSError:  # the server answered and closed before the body ended
            pass


def main() -> int:
    attack = sys.argv[1]
    if attack == "big-bodies":
        for _ in range(8):
            send("!AutoApplyIdA", b"loginName=a&loginPassword=b&organizationName=", 50 * 1024 * 1024)
    elif attack == "long-name":
        send("!AutoApplyIdA", b"", 20 * 1024 * 1024, b"=1")
    else:
        print(f"unknown attack {attack!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
