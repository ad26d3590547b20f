"""The kit's HTTP client (conformance/http) against hostile loopback servers: one deadline per
exchange, caps while reading, typed errors that say what happened, keep-alive reuse across
threads, retries only where no answer can be lost.

Each hostile server is a handler of tests/support/hostile.py; every test is bounded (timeouts
of 1-2 s, servers that stop with the test).  "Ends within timeout + 1 s" is the deadline's
promise, so it is asserted; speed is measured by ``tox -e bench``, not here.
"""

from __future__ import annotations

import contextlib
import gc
import gzip
import os
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from conformance.http import (
    AnswerTooLarge,
    Client,
    ConnectError,
    ConnectionClosed,
    ExchangeTimeout,
    HeadTooLarge,
    InvalidRequest,
    InvalidSetting,
    Limits,
    ProtocolViolation,
    RetryPolicy,
    TLSError,
    TooManyInformational,
)
from conformance.reference.serve import RunningServer, running_server
from tests.support import hostile
from tests.support.hostile import serving

pytestmark = pytest.mark.network
TIMEOUT = 1.0


def timed_failure(client: Client, url: str, error: type[Exception]) -> tuple[Exception, float]:
    started = time.monotonic()
    with pytest.raises(error) as info:
        client.request("POST", url, body=b"loginName=bob")
    return info.value, time.monotonic() - started


# ---------------------------------------------------------------------------- one deadline


@pytest.mark.parametrize(
    ("handler", "phase", "says"),
    [
        (
            hostile.drip_body(0.15),
            "body",
            "the body was still arriving",
        ),  # every 0.15 s: a per-read timeout never fires
        (hostile.drip_head(0.15), "head", "status line and headers"),
        (hostile.endless_informational(0.2), "informational", "informational answers"),
        (hostile.silent, "head", "no byte of the answer received"),
    ],
    ids=["drip-body", "drip-head", "endless-100-continue", "silent"],
)
def test_a_slow_server_ends_the_exchange_at_its_deadline(handler: hostile.Handler, phase: str, says: str) -> None:
    with serving(handler) as server, Client(timeout=TIMEOUT) as client:
        error, elapsed = timed_failure(client, server.url, ExchangeTimeout)
    assert isinstance(error, ExchangeTimeout)
    assert error.phase == phase and says in str(error) and str(error).startswith("no complete answer within 1 s")
    assert TIMEOUT - 0.05 <= elapsed < TIMEOUT + 1.0
    assert error.attempts == 1  # a timeout is never retried


def test_a_tls_handshake_that_never_finishes_ends_at_the_deadline() -> None:
    with serving(hostile.silent) as server, Client(timeout=TIMEOUT, verify=False) as client:
        error, elapsed = timed_failure(client, server.url.replace("http:", "https:"), ExchangeTimeout)
    assert isinstance(error, ExchangeTimeout) and error.phase == "tls"
    assert elapsed < TIMEOUT + 1.0


def test_the_deadline_covers_the_retries_and_each_request_may_set_its_own() -> None:
    with serving(hostile.silent) as server, Client(timeout=30) as client:
        started = time.monotonic()
        with pytest.raises(ExchangeTimeout, match=r"within 0\.5 s"):
            client.request("GET", server.url, timeout=0.5)
        assert time.monotonic() - started < 1.5


# ---------------------------------------------------------------------------- caps


def test_a_huge_chunked_answer_is_cut_at_the_cap_with_its_head_kept() -> None:
    with serving(hostile.huge_chunked()) as server, Client(timeout=10, limits=Limits(max_body=256 << 10)) as client:
        error, _ = timed_failure(client, server.url, AnswerTooLarge)
    assert isinstance(error, AnswerTooLarge)
    assert error.status == 200 and ("transfer-encoding", "chunked") in error.headers
    assert error.partial == b"z" * (256 << 10) and error.declared is None
    assert "larger than the 262,144-byte limit" in str(error) and server.sent < 400 << 20


def test_a_declared_length_over_the_cap_is_refused_before_the_body() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n"
    with serving(hostile.fixed(head, then_close=True)) as server, Client(timeout=TIMEOUT) as client:
        error, elapsed = timed_failure(client, server.url, AnswerTooLarge)
    assert isinstance(error, AnswerTooLarge) and error.declared == 10_000_000 and error.partial == b""
    assert elapsed < TIMEOUT  # not a timeout: nothing of the body was waited for


def test_a_gzip_bomb_is_returned_as_sent_and_never_inflated() -> None:
    bomb = hostile.gzip_bomb(400)
    data = hostile.answer(bomb, extra=b"Content-Encoding: gzip\r\n")
    with serving(hostile.fixed(data)) as server, Client(timeout=5) as client:
        response = client.request("POST", server.url, body=b"x=1")
    assert response.content_encoding == "gzip" and response.body == bomb and len(bomb) < 1 << 20
    assert len(gzip.decompress(bomb[: len(bomb) // 400])) == 1 << 20  # it really is a bomb


@pytest.mark.parametrize(
    ("data", "error", "says"),
    [
        (hostile.answer(extra=b"".join(b"X-%d: v\r\n" % i for i in range(101))), HeadTooLarge, "100 header fields"),
        (hostile.answer(extra=b"X-Big: " + b"a" * 70_000 + b"\r\n"), HeadTooLarge, "65,536 bytes"),
        (b"HTTP/1.1 100 Continue\r\n\r\n" * 11 + hostile.answer(), TooManyInformational, "more than 10 informational"),
        (b"HTTP/1.1 2OO OK\r\n\r\n", ProtocolViolation, "not valid HTTP/1.1"),
        (b"SMTP ready\r\n\r\n", ProtocolViolation, "not valid HTTP/1.1"),
    ],
    ids=["too-many-fields", "head-too-large", "too-many-1xx", "bad-status", "not-http"],
)
def test_a_broken_head_is_a_typed_error(data: bytes, error: type[Exception], says: str) -> None:
    with serving(hostile.fixed(data, then_close=True)) as server, Client(timeout=TIMEOUT) as client:
        raised, elapsed = timed_failure(client, server.url, error)
    assert says in str(raised) and elapsed < TIMEOUT


def test_some_informational_answers_are_fine() -> None:
    data = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n" + hostile.answer()
    with serving(hostile.fixed(data)) as server, Client(timeout=TIMEOUT) as client:
        response = client.request("POST", server.url)
    assert response.status == 200 and response.informational == (100, 103)


@pytest.mark.parametrize("handler", [hostile.close_mid_answer, hostile.reset_mid_answer], ids=["close", "reset"])
def test_a_server_that_hangs_up_mid_answer_is_a_closed_connection(handler: hostile.Handler) -> None:
    with serving(handler) as server, Client(timeout=TIMEOUT) as client:
        error, _ = timed_failure(client, server.url, ConnectionClosed)
    assert isinstance(error, ConnectionClosed) and error.received > 0 and error.phase == "body"
    assert "after" in str(error) and error.attempts == 1  # bytes of the answer came: never retried


def test_a_fresh_connection_closed_without_an_answer_is_not_retried() -> None:
    with serving(hostile.close_without_answer) as server, Client(timeout=TIMEOUT) as client:
        error, _ = timed_failure(client, server.url, ConnectionClosed)
    assert "before any byte of the answer" in str(error)
    assert len(server.requests) == 1  # the request may have been acted on: it is not sent again


# ---------------------------------------------------------------------------- keep-alive


def test_keep_alive_reuses_one_connection() -> None:
    with serving(hostile.keep_alive) as server, Client(timeout=TIMEOUT) as client:
        responses = [client.request("POST", server.url, body=b"a=%d" % i) for i in range(20)]
    assert server.connections == 1 and len(server.requests) == 20
    assert [r.reused for r in responses] == [False] + [True] * 19
    assert client.stats.opened == 1 and client.stats.reused == 19


def test_a_connection_the_server_closed_while_idle_is_replaced_silently() -> None:
    with serving(hostile.close_when_idle(0.05)) as server, Client(timeout=TIMEOUT) as client:
        first = client.request("POST", server.url)
        time.sleep(0.3)  # the server has closed it by now: the pool sees that before reuse
        second = client.request("POST", server.url)
    assert first.status == second.status == 200 and not second.reused and second.attempts == 1
    assert client.stats.discarded == 1 and server.connections == 2


def test_a_reused_connection_closed_before_any_byte_is_retried_once_on_a_new_one() -> None:
    with serving(hostile.close_on_second_request) as server, Client(timeout=TIMEOUT) as client:
        client.request("POST", server.url)
        second = client.request("POST", server.url)
    assert second.status == 200 and second.attempts == 2 and not second.reused
    assert client.stats.retries == 1 and server.connections == 2 and len(server.requests) == 3


def test_threads_share_the_pool() -> None:
    with serving(hostile.keep_alive) as server, Client(timeout=5) as client:
        results: list[int] = []

        def worker() -> None:
            for _ in range(25):
                results.append(client.request("POST", server.url, body=b"x=1").status)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert results == [200] * 200
    assert server.connections <= 8 and client.stats.opened == server.connections
    assert client.stats.reused == 200 - client.stats.opened


# ---------------------------------------------------------------------------- connecting, TLS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_refused_connection_is_retried_with_backoff_then_reported() -> None:
    url = f"http://127.0.0.1:{_free_port()}/products/"
    with Client(timeout=TIMEOUT, retry=RetryPolicy(retries=2, backoff=0.01)) as client:
        with pytest.raises(ConnectError, match=r"cannot connect to 127\.0\.0\.1") as info:
            client.request("GET", url)
    assert info.value.attempts == 3 and client.stats.retries == 2


@pytest.fixture(scope="module")
def reference() -> Iterator[RunningServer]:
    with running_server(accounts=[("bob", "pw-123456")], plain_port=True) as server:
        yield server


def test_tls_with_the_servers_ca_reuses_its_connections(reference: RunningServer) -> None:
    with Client(verify=reference.ca_file, timeout=5) as client:
        statuses = [client.request("POST", reference.base_url + "!AutoApplyIdA", body=b"a=b").status for _ in range(5)]
    assert statuses == [200] * 5 and client.stats.opened == 1


def test_tls_verification_against_the_system_store_fails_and_insecure_does_not(reference: RunningServer) -> None:
    with Client(timeout=5) as client, pytest.raises(TLSError, match="certificate does not verify") as info:
        client.request("GET", reference.base_url)
    assert info.value.attempts == 1  # verification failures are not retried
    with Client(verify=False, timeout=5) as client:
        assert client.request("GET", reference.base_url + "!AutoApplyIdA").status == 200


def test_sni_names_the_host(reference: RunningServer) -> None:
    seen: list[str | None] = []
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.sni_callback = lambda sock, name, ctx: seen.append(name)  # type: ignore[assignment]
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def accept_one() -> None:
            conn, _ = listener.accept()
            with contextlib.suppress(OSError), context.wrap_socket(conn, server_side=True):
                pass

        thread = threading.Thread(target=accept_one, daemon=True)
        thread.start()
        with Client(verify=False, timeout=2) as client, pytest.raises((TLSError, ConnectError)):
            client.request("GET", f"https://localhost:{port}/")
        thread.join(5)
    assert seen == ["localhost"]


# ---------------------------------------------------------------------------- the caller's mistakes


@pytest.mark.parametrize(
    ("method", "url", "says"),
    [
        ("GET", "https://bob:s3cret@example.com/", "user information"),
        ("GET", "ftp://example.com/", "scheme must be http or https"),
        ("GET", "https:///nohost", "no host"),
        ("GET", "https://example.com:99999/", "not a usable URL"),
        ("GE T", "http://127.0.0.1:9/", "cannot send this request"),
    ],
)
def test_bad_requests_are_refused_before_any_io(method: str, url: str, says: str) -> None:
    with Client(timeout=TIMEOUT) as client, pytest.raises(InvalidRequest, match=says) as info:
        client.request(method, url)
    assert "s3cret" not in str(info.value)


def test_bad_headers_and_settings_are_refused() -> None:
    with Client() as client:
        with pytest.raises(InvalidRequest, match="sets Content-Length itself"):
            client.request("POST", "http://127.0.0.1:9/", headers=[("Content-Length", "5")])
        with pytest.raises(InvalidRequest, match="cannot send"):
            client.request("POST", "http://127.0.0.1:9/", headers=[("X-A", "a\r\nInjected: yes")])
    with pytest.raises(InvalidSetting, match="cannot load the CA file"):
        Client(verify="/nonexistent/ca.pem").request("GET", "https://127.0.0.1:9/")
    with pytest.raises(ValueError, match="max_body"):
        Limits(max_body=0)


def test_the_request_goes_out_as_given_without_accept_encoding() -> None:
    with serving(hostile.keep_alive) as server, Client(timeout=TIMEOUT) as client:
        client.request("post", server.url, body=b"a=1", headers=[("Content-Type", "application/x-www-form-urlencoded")])
        client.request("GET", server.url)
    post, get = (h.lower() for h in server.requests)
    assert post.startswith(b"post /products/!autoapplyida http/1.1\r\n")  # the method's case is kept
    assert b"content-length: 3" in post and b"content-type: application/x-www-form-urlencoded" in post
    assert b"accept-encoding" not in post and b"content-length" not in get
    assert b"host: 127.0.0.1:" in post and b"user-agent: comodo-conformance" in post


def test_no_failure_leaks_a_socket() -> None:
    """Every failed exchange closes its socket at once, not when its exception is freed (the
    errors are kept alive while the descriptors are counted)."""

    def open_fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    attacks = [
        (hostile.silent, "https", ExchangeTimeout),
        (hostile.close_mid_answer, "http", ConnectionClosed),
        (hostile.huge_chunked(), "http", AnswerTooLarge),
        (hostile.endless_header_line, "http", HeadTooLarge),
        (hostile.drip_body(0.1), "http", ExchangeTimeout),
    ]
    for handler, scheme, error in attacks:
        gc.disable()
        try:
            before = open_fds()
            raised = []
            with serving(handler) as server, Client(timeout=0.5, verify=False) as client:
                for _ in range(3):
                    with pytest.raises(error) as info:
                        client.request("GET", server.url.replace("http:", f"{scheme}:"))
                    raised.append(info.value)
            assert open_fds() == before, handler  # the server's sockets are closed by now too
            del raised
        finally:
            gc.enable()


def test_connections_are_opened_with_tcp_nodelay() -> None:
    with serving(hostile.keep_alive) as server, Client(timeout=TIMEOUT) as client:
        client.request("POST", server.url)
        (connection,) = client._pool._idle[next(iter(client._pool._idle))]  # white box: the pooled connection
        assert connection._sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
