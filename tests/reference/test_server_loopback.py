"""The reference server over real loopback sockets: HTTPS verified against its trustme CA, the
plain-HTTP port's -1, --no-tls, a restart that keeps orders and the CA, slow and oversized bodies,
stalled TLS handshakes, and the event loop's errors logged once per interval."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

import codec
from conformance.reference.serve import running_server
from conformance.reference.store import Store
from conformance.reference.transport import LoopErrorLog
from tests.support.server import FAST, PASSWORD, click, order

pytestmark = pytest.mark.network

ACCOUNTS = [("alice", PASSWORD)]
ORDER = order()


def _server(tmp_path: Path, **kwargs: Any) -> Any:
    kwargs.setdefault("accounts", ACCOUNTS)
    return running_server(data_dir=tmp_path, pbkdf2_iterations=FAST, **kwargs)


def test_https_verified_with_the_test_ca_and_the_plain_port_answers_minus_1(tmp_path: Path) -> None:
    with _server(tmp_path, plain_port=True) as server:
        url = urlsplit(server.base_url)
        assert (url.scheme, url.hostname, url.path) == ("https", "127.0.0.1", "/products/")
        assert server.ca_file == str(tmp_path / "ca.pem")
        with httpx.Client(verify=server.ssl_context()) as client:
            answer = client.post(server.base_url + "!AutoApplyIdA", data={**ORDER, "responseFormat": "1"})
            assert answer.headers["content-type"] == "application/x-www-form-urlencoded"
            placed = codec.decode_response("AutoApplyIdA", answer.content, response_format=1, strict=True)
            assert (placed.error_code, placed.total_cost) == (0, Decimal("39.00"))
            by_name = server.base_url.replace("127.0.0.1", "localhost")  # the certificate names localhost too
            assert client.post(by_name + "!UpdateUserEvClickThrough", data=click(placed.order_number)).text == (
                "errorCode=0&errorMessage=Successful&status=1&description=Successfully+completed"
            )
        with pytest.raises(httpx.ConnectError):  # not trusted without the test CA
            httpx.post(server.base_url + "!AutoApplyIdA", data=ORDER, verify=ssl.create_default_context())
        assert server.plain_url is not None and server.plain_url.startswith("http://127.0.0.1:")
        for endpoint, fields in [("AutoApplyIdA", ORDER), ("UpdateUserEvClickThrough", click(placed.order_number))]:
            # X-Forwarded-Proto must not let a plain request pass for HTTPS
            plain = httpx.post(server.plain_url + "!" + endpoint, data=fields, headers={"X-Forwarded-Proto": "https"})
            assert plain.status_code == 200
            assert codec.decode_response(endpoint, plain.content).error_code == -1
        assert len(server.store.list_orders()) == 1


def test_no_tls_serves_plain_http_normally(tmp_path: Path) -> None:
    with _server(tmp_path, tls=False) as server:
        assert server.base_url.startswith("http://") and server.ca_file is None and server.plain_url is None
        assert httpx.post(server.base_url + "!AutoApplyIdA", data=ORDER).text.startswith("0\n")


def test_no_tls_with_a_plain_port_still_answers_minus_1_there(tmp_path: Path) -> None:
    with _server(tmp_path, tls=False, plain_port=0) as server:
        assert server.plain_url is not None
        assert httpx.post(server.base_url + "!AutoApplyIdA", data=ORDER).text.startswith("0\n")
        assert httpx.post(server.plain_url + "!AutoApplyIdA", data=ORDER).text.startswith("-1\n")


def test_a_restart_keeps_orders_accounts_and_the_ca(tmp_path: Path) -> None:
    db = tmp_path / "reference.sqlite3"
    with _server(tmp_path, db=db, accounts=[("alice", PASSWORD), ("bob", "bob-pw")]) as server:
        context = server.ssl_context()
        with httpx.Client(verify=context) as client:
            numbers = [
                int(client.post(server.base_url + "!AutoApplyIdA", data=ORDER).text.split("\n")[1]) for _ in "ab"
            ]
        ca = Path(server.ca_file or "").read_bytes()
    with Store(db) as store:  # the server is gone; the orders are on disk
        assert [o.order_number for o in store.list_orders("alice")] == numbers
    with _server(tmp_path, db=db, accounts=()) as server:
        assert Path(server.ca_file or "").read_bytes() == ca  # the same CA: old trust still works
        with httpx.Client(verify=context) as client:
            answer = client.post(server.base_url + "!UpdateUserEvClickThrough", data=click(numbers[0]))
            assert "status=1" in answer.text
            third = client.post(server.base_url + "!AutoApplyIdA", data=ORDER).text.split("\n")
            assert int(third[1]) == numbers[1] + 1
        account = server.store.get_account("alice")
        assert account is not None and account.credit == Decimal("1000000.00") - 3 * Decimal("39.00")


def _raw_exchange(server: Any, request: bytes) -> bytes:
    """Send *request* on a fresh TLS connection and read until the server closes it."""
    url = urlsplit(server.base_url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as raw:
        with server.ssl_context().wrap_socket(raw, server_hostname=url.hostname) as tls:
            tls.sendall(request)
            received = b""
            while chunk := tls.recv(65536):
                received += chunk
    return received


def test_a_slow_body_is_answered_minus_14_and_the_connection_closed(tmp_path: Path) -> None:
    with _server(tmp_path, body_timeout=0.3) as server:
        head = (
            b"POST /products/!AutoApplyIdA HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\n"
        )
        received = _raw_exchange(server, head + b"responseFormat=1&loginName=alice")  # 468 bytes never come
        header, _, body = received.partition(b"\r\n\r\n")
        assert header.startswith(b"HTTP/1.1 200") and b"connection: close" in header.lower()
        assert codec.decode_response("AutoApplyIdA", body, response_format=1).error_code == -14
        with httpx.Client(verify=server.ssl_context()) as client:  # still serving
            assert client.post(server.base_url + "!AutoApplyIdA", data=ORDER).text.startswith("0\n")


def test_an_oversized_body_is_answered_and_the_server_keeps_serving(tmp_path: Path) -> None:
    with _server(tmp_path, max_body=4096) as server, httpx.Client(verify=server.ssl_context()) as client:
        for size in (6_000, 3_000_000):  # the rest is drained, so even a client still sending reads the answer
            big = client.post(server.base_url + "!AutoApplyIdA", data={**ORDER, "location": "x" * size})
            assert big.status_code == 200
            assert big.text == "-4\nThe value of the 'location' argument is invalid!\n"
        assert client.post(server.base_url + "!AutoApplyIdA", data=ORDER).text.startswith("0\n")
        assert client.get(server.base_url + "!AutoApplyIdA", params=ORDER).text.startswith("-17\n")
        assert client.post(server.base_url + "elsewhere").status_code == 404


def test_lowercase_post_over_the_wire_earns_minus_17_and_places_no_order(tmp_path: Path) -> None:
    """uvicorn passes the method on as sent; the server compares it exactly (RFC 9110 section 9.1)."""
    with _server(tmp_path) as server:
        body = codec.encode_form(list(ORDER.items()))
        head = (
            f"post /products/!AutoApplyIdA HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        received = _raw_exchange(server, head.encode() + body)
        assert received.startswith(b"HTTP/1.1 200")
        assert received.partition(b"\r\n\r\n")[2] == b"-17\nRequest used GET rather than POST!\n"
        assert server.store.list_orders() == []


def test_a_server_that_cannot_start_raises(tmp_path: Path) -> None:
    with _server(tmp_path) as first:
        port = urlsplit(first.base_url).port
        assert port is not None
        with pytest.raises(OSError):
            with _server(tmp_path, port=port):
                pass


def _closed_by_server(sock: socket.socket) -> float:
    """Seconds until the server closes *sock* (its timeout fails the test if it never does)."""
    start = time.monotonic()
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    return time.monotonic() - start


@pytest.mark.parametrize(
    "sent",
    [b"", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"],  # nothing; the first bytes of a ClientHello
    ids=["no handshake", "part of a ClientHello"],
)
def test_a_tls_handshake_that_never_finishes_is_closed_at_the_head_deadline(tmp_path: Path, sent: bytes) -> None:
    """asyncio alone waits 60 s for a TLS handshake; the head deadline (here 0.5 s) covers it."""
    with _server(tmp_path, head_timeout=0.5) as server:
        url = urlsplit(server.base_url)
        with socket.create_connection((url.hostname, url.port), timeout=10) as raw:
            raw.sendall(sent)
            waited = _closed_by_server(raw)
        print(f"\nTLS handshake never finished ({len(sent)} bytes sent): closed after {waited:.2f} s")
        assert waited < 10
        with httpx.Client(verify=server.ssl_context()) as client:  # a real client is served as before
            assert client.post(server.base_url + "!AutoApplyIdA", data=ORDER).text.startswith("0\n")


def test_the_head_deadline_counts_from_accept_so_the_handshake_uses_it_up(tmp_path: Path) -> None:
    """A client that takes most of the deadline to finish its handshake has only the rest of it to
    send its request head: the connection is closed at accept + deadline, not handshake + deadline."""
    with _server(tmp_path, head_timeout=1.0) as server:
        url = urlsplit(server.base_url)
        with socket.create_connection((url.hostname, url.port), timeout=10) as raw:
            accepted = time.monotonic()
            time.sleep(0.6)  # the server waits for the ClientHello meanwhile
            with server.ssl_context().wrap_socket(raw, server_hostname=url.hostname) as tls:
                tls.sendall(b"POST /products/!AutoApplyIdA HTTP/1.1\r\n")  # never the rest of the head
                _closed_by_server(tls)
                waited = time.monotonic() - accepted
        print(f"\nhandshake after 0.6 s, then half a head: closed {waited:.2f} s after connecting")
        assert 0.9 < waited < 1.6 + 5  # accept + 1.0 s, with room for a busy machine; not 1.6 s + 1.0 s


def test_the_head_timeout_must_be_positive(tmp_path: Path) -> None:
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="head timeout"):
            with _server(tmp_path, head_timeout=bad):
                pass


def test_event_loop_errors_are_logged_once_per_interval_with_a_count(caplog: pytest.LogCaptureFixture) -> None:
    """A storm of accept() failures (out of file descriptors) is one line at once and one line per
    interval with the count, never a traceback per attempt."""

    async def storm() -> None:
        loop = asyncio.get_running_loop()
        handler = LoopErrorLog(loop, interval=0.2)
        emfile = OSError(24, "Too many open files")
        for _ in range(10_000):
            handler(loop, {"message": "socket.accept() out of system resource", "exception": emfile})
        handler(loop, {"message": "something else", "exception": ValueError("a peer's secret")})
        await asyncio.sleep(0.3)  # the first interval ends: the count is logged
        for _ in range(5):
            handler(loop, {"message": "socket.accept() out of system resource", "exception": emfile})
        await asyncio.sleep(0.5)  # the second interval ends, then nothing more

    with caplog.at_level(logging.ERROR, logger="conformance.server"):
        asyncio.run(storm())
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4, lines
    assert lines[0].startswith("socket.accept() out of system resource: OSError: [Errno 24] Too many open files")
    assert "open-file limit" in lines[0]
    assert lines[1].startswith("something else: ValueError") and "secret" not in lines[1]
    assert lines[2].endswith(": 9999 more times in the last 0.2s")
    assert lines[3].endswith(": 5 more times in the last 0.2s")
    assert not any(r.exc_info for r in caplog.records)
