"""Load and faults against ``python -m conformance serve`` (issue 6, item 3): loopback only, every
loop bounded in count and time, every server stopped by the test.

* load: N clients for T seconds mixing test orders, rejected requests and click-throughs; no
  transport error, every answer decoded strictly by the codec and equal to the expected one, and
  the database holds exactly the acknowledged orders afterwards;
* SIGKILL mid-load, restart on the same database file, twice: every acknowledged order is still
  there (in the file and to a click-through), credit matches the orders kept, and at most one
  unacknowledged order per client per kill;
* hostile inputs: each earns a clear vendor answer (HTTP 200, the tables' code, strictly
  well-formed in the requested or default format) and a normal request succeeds after it; a slow
  body is answered -14 after --body-timeout; idle connections past the connection limit do not
  stop service once they close;
* hostile connections (issue 11): TLS handshakes that never finish are closed at the head
  deadline; with the server at its file-descriptor limit real orders are still served and the
  log stays a few lines.

Measured counts and rates are printed (see them with ``pytest -rP``); nothing asserts on timing.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import resource
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

import codec
from codec import AUTO_APPLY_IDA as AUTO
from codec import UPDATE_USER_EV_CLICK_THROUGH as CLICK
from conformance.reference.serve import GENEROUS_CREDIT
from conformance.reference.store import Store
from tests.support.server import PASSWORD, click
from tests.support.server import order as support_order

pytestmark = [pytest.mark.network, pytest.mark.slow]

CLIENTS = int(os.environ.get("RELIABILITY_CLIENTS", "16"))
SECONDS = float(os.environ.get("RELIABILITY_SECONDS", "5"))
START_TIMEOUT = 60.0
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def order(**overrides: str | None) -> dict[str, str]:
    """A valid order by alice, a test order (test=Y: nothing is debited) unless *overrides* say otherwise."""
    return support_order(**{"test": "Y", **overrides})


def form(pairs: dict[str, str] | list[tuple[str, str]]) -> bytes:
    return codec.encode_form(list(pairs.items()) if isinstance(pairs, dict) else pairs)


# ---------------------------------------------------------------------- the server process


class Served:
    """``python -m conformance serve`` on a free loopback port, output to a log file."""

    count = itertools.count()

    def __init__(self, tmp: Path, *args: str, open_files: int | None = None) -> None:
        """*open_files*: the server's RLIMIT_NOFILE (soft and hard), as ``ulimit -n`` sets it."""
        self.log_path = tmp / f"serve-{next(self.count)}.log"

        def limit() -> None:
            if open_files is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

        with self.log_path.open("wb") as log:
            command = ["-m", "conformance", "serve", "--port", "0", "--data-dir", str(tmp), "--log-level", "warning"]
            self.proc = subprocess.Popen(
                [sys.executable, *command, *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=limit,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            lines = self.output().splitlines()
            base = [line.removeprefix("serving ") for line in lines if line.startswith("serving ")]
            ca = [line.removeprefix("CA file ") for line in lines if line.startswith("CA file ")]
            if base and ca:
                self.base_url, self.ca_file = base[0], ca[0]
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                raise RuntimeError(f"the server did not start:\n{self.output()}")
            time.sleep(0.02)
        self.context = ssl.create_default_context(cafile=self.ca_file)
        url = urlsplit(self.base_url)
        self.address = (url.hostname or "127.0.0.1", url.port or 0)

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def client(self, **kwargs: Any) -> httpx.Client:
        kwargs.setdefault("timeout", 15)
        return httpx.Client(base_url=self.base_url, verify=self.context, **kwargs)

    def stop(self) -> int:
        """SIGINT, then SIGKILL if it has not stopped within 15 s; the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        return self.proc.returncode

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=15)

    def close(self) -> None:
        """Whatever state it is in: gone afterwards."""
        if self.proc.poll() is None:
            self.kill()

    def assert_healthy(self) -> None:
        """Still running, and nothing in its log says it failed inside."""
        assert self.proc.poll() is None, self.output()
        log = self.output()
        assert "Traceback" not in log and "internal failure" not in log and " ERROR " not in log, log


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    with contextlib.ExitStack() as stack:

        def start(*args: str, open_files: int | None = None) -> Served:
            served = Served(tmp_path, *args, open_files=open_files)
            stack.callback(served.close)
            return served

        yield start


def decode(endpoint: str, answer: httpx.Response, response_format: int | None = None) -> Any:
    """Strictly decoded: any departure from the documents' letter fails the test."""
    assert answer.status_code == 200, answer.text[:200]
    return codec.decode_response(
        endpoint,
        answer.content,
        content_type=answer.headers.get("content-type"),
        response_format=response_format,
        strict=True,
    )


# ---------------------------------------------------------------------- N clients for T seconds


@dataclass
class Tally:
    requests: int = 0
    orders: list[int] = field(default_factory=list)
    click_throughs: int = 0
    transport_errors: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)


REJECTED: list[tuple[str, Any, int, str | None]] = [
    # (what, fields, code, argument the message names)
    ("missing days", order(days=None), -3, "days"),
    ("unknown country", order(countryName="ZZ"), -7, "ZZ"),
    ("unrecognised variable", [*order().items(), ("colour", "blue")], -2, None),
    ("duplicate name", [*order().items(), ("loginName", "alice")], -4, "loginName"),
    ("bad days", order(days="12"), -4, "days"),
]


def _client_loop(served: Served, index: int, deadline: float, tally: Tally) -> None:
    placed: list[tuple[int, bool]] = []  # (order number, validated by the Web Host)
    with served.client() as client:
        for step in itertools.count(index):
            if time.monotonic() >= deadline:
                return
            kind = step % 5
            try:
                if kind in (0, 1):  # a test order, newline (0) or URL-encoded (1), validated or not
                    validated = kind == 1
                    # a new organization each time: unvalidated, it awaits documents (48 h)
                    fields = order(
                        isCustomerValidated="Y" if validated else "N",
                        responseFormat=str(kind),
                        organizationName=f"Client {index} order {step}",
                    )
                    got = decode(AUTO, client.post("!AutoApplyIdA", data=fields), kind)
                    hours = 1 if validated else 48
                    if (got.error_code, got.total_cost, got.expected_delivery_time) != (0, Decimal("39.00"), hours):
                        tally.wrong.append(f"order: {got!r}")
                    elif got.order_number is None or got.order_number <= 0:
                        tally.wrong.append(f"order without a number: {got!r}")
                    else:
                        tally.orders.append(got.order_number)
                        placed.append((got.order_number, validated))
                elif kind == 2 and placed:  # a click-through on one of this client's orders
                    number, validated = placed[step % len(placed)]
                    got = decode(CLICK, client.post("!UpdateUserEvClickThrough", data=click(number)))
                    status = 0 if validated else 1
                    if (got.error_code, got.status) != (0, status):
                        tally.wrong.append(f"click-through on {number}: {got!r}")
                    else:
                        tally.click_throughs += 1
                elif kind == 3:  # a request the vendor rejects
                    what, fields, code, argument = REJECTED[step % len(REJECTED)]
                    got = decode(AUTO, client.post("!AutoApplyIdA", content=form(fields), headers=FORM))
                    if got != codec.error_response(AUTO, code, argument):
                        tally.wrong.append(f"{what}: {got!r}")
                else:  # a click-through naming an order that does not exist, or a GET
                    if step % 2:
                        got = decode(CLICK, client.post("!UpdateUserEvClickThrough", data=click(999_999_999)))
                        expected = (-20, "Order '999999999' was not found!")
                    else:
                        got = decode(AUTO, client.get("!AutoApplyIdA", params=order()))
                        expected = (-17, codec.message_for(codec.endpoint_spec(AUTO), -17))
                    if (got.error_code, got.error_message) != expected:
                        tally.wrong.append(f"{expected}: {got!r}")
                tally.requests += 1
            except (httpx.HTTPError, OSError) as exc:
                tally.transport_errors.append(f"{type(exc).__name__}: {exc}")
                return
            except Exception as exc:  # a codec error, a failed check, anything: a wrong answer
                tally.wrong.append(f"{type(exc).__name__}: {exc}")
                tally.requests += 1


def test_n_clients_for_t_seconds_get_only_right_answers(serve: Callable[..., Served], tmp_path: Path) -> None:
    db = tmp_path / "load.sqlite3"
    served = serve("--db", str(db), "--account", f"alice:{PASSWORD}")
    with served.client() as warm:  # the first login pays for PBKDF2 once; later ones hit the cache
        assert decode(AUTO, warm.post("!AutoApplyIdA", data=order())).error_code == 0
    tallies = [Tally() for _ in range(CLIENTS)]
    start = time.monotonic()
    deadline = start + SECONDS
    threads = [
        threading.Thread(target=_client_loop, args=(served, i, deadline, tallies[i]), daemon=True)
        for i in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 60)
    elapsed = time.monotonic() - start
    assert not any(thread.is_alive() for thread in threads), "a client hung"
    requests = sum(t.requests for t in tallies)
    orders = [n for t in tallies for n in t.orders]
    errors = [e for t in tallies for e in t.transport_errors]
    wrong = [w for t in tallies for w in t.wrong]
    print(
        f"\nload: {CLIENTS} clients x {SECONDS:g} s over HTTPS: {requests} requests in {elapsed:.2f} s"
        f" = {requests / elapsed:.0f} requests/s; {len(orders)} orders,"
        f" {sum(t.click_throughs for t in tallies)} click-throughs;"
        f" {len(errors)} transport errors, {len(wrong)} wrong answers"
    )
    assert errors == [] and wrong == []
    assert requests >= CLIENTS  # every client got answers
    assert len(set(orders)) == len(orders)  # no order number given twice
    served.assert_healthy()
    assert served.stop() == 0
    with Store(db) as store:  # exactly the acknowledged orders (and the warm-up one) were committed
        numbers = {o.order_number for o in store.list_orders("alice")}
        assert numbers >= set(orders) and len(numbers) == len(orders) + 1
        assert len(store.click_through_events()) == sum(t.click_throughs for t in tallies)
        account = store.get_account("alice")
        assert account is not None and account.credit == GENEROUS_CREDIT  # test orders debit nothing


# ---------------------------------------------------------------------- SIGKILL mid-load


KILL_CLIENTS = 8
KILL_AFTER = 1.5  # seconds of load before each SIGKILL
KILLS = 2


def _place_until_gone(
    served: Served, index: int, deadline: float, acked: list[tuple[int, Decimal]], wrong: list[str]
) -> None:
    """Place orders (every third one a real, debited order) until the server is gone or *deadline*."""
    with served.client() as client:
        for step in itertools.count(index):
            if time.monotonic() >= deadline:
                return
            real = step % 3 == 0
            fmt = step % 2
            try:
                answer = client.post("!AutoApplyIdA", data=order(test=None if real else "Y", responseFormat=str(fmt)))
            except (httpx.HTTPError, OSError):
                return  # killed: the answer to this request never came, so it was not acknowledged
            try:
                got = decode(AUTO, answer, fmt)
                assert got.error_code in (0, 1) and got.order_number is not None, got
            except Exception as exc:
                wrong.append(f"{type(exc).__name__}: {exc}")
                return
            acked.append((got.order_number, got.total_cost if real else Decimal(0)))


def test_orders_acknowledged_before_a_sigkill_survive_the_restart(serve: Callable[..., Served], tmp_path: Path) -> None:
    db = tmp_path / "kill.sqlite3"
    acked: list[tuple[int, Decimal]] = []
    wrong: list[str] = []
    for kill in range(KILLS):
        # accounts are created once; a restart must not reset the credit
        account = ["--account", f"alice:{PASSWORD}"] if kill == 0 else []
        served = serve("--db", str(db), *account)
        with served.client() as warm:
            assert decode(AUTO, warm.post("!AutoApplyIdA", data=order())).error_code == 0
        threads = [
            threading.Thread(
                target=_place_until_gone, args=(served, i, time.monotonic() + 30, acked, wrong), daemon=True
            )
            for i in range(KILL_CLIENTS)
        ]
        before = len(acked)
        for thread in threads:
            thread.start()
        time.sleep(KILL_AFTER)
        served.kill()  # SIGKILL: no shutdown, no flush, answers in flight are lost
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads), "a client hung after the kill"
        assert wrong == []
        assert len(acked) > before, "no order was acknowledged before the kill"
        print(f"\nkill {kill + 1}: {len(acked) - before} orders acknowledged before SIGKILL")
    served = serve("--db", str(db))
    numbers = [number for number, _ in acked]
    with served.client() as client:  # each acknowledged order is known to the vendor after the restart
        for number in numbers[-50:] + numbers[:10]:
            got = decode(CLICK, client.post("!UpdateUserEvClickThrough", data=click(number)))
            assert (got.error_code, got.status) == (0, 1), (number, got)
    served.assert_healthy()
    assert served.stop() == 0
    with Store(db) as store:
        kept = {o.order_number: o for o in store.list_orders("alice")}
        missing = sorted(set(numbers) - kept.keys())
        assert missing == [], f"acknowledged orders lost: {missing}"
        # an order committed but not answered (in flight at the kill) is possible: at most one per client
        unacknowledged = len(kept) - len(numbers) - KILLS  # less one warm-up order per start
        assert 0 <= unacknowledged <= KILL_CLIENTS * KILLS
        # each order and its debit were one transaction: the credit matches the real orders kept
        account = store.get_account("alice")
        assert account is not None
        assert account.credit == GENEROUS_CREDIT - sum((o.cost for o in kept.values() if not o.test), Decimal(0))
    print(
        f"\nrecovery: {len(numbers)} acknowledged orders over {KILLS} SIGKILLs, all {len(numbers)} kept;"
        f" {unacknowledged} committed but unanswered; credit consistent"
    )


# ---------------------------------------------------------------------- hostile inputs


@contextlib.contextmanager
def _module_server(factory: pytest.TempPathFactory, name: str, *args: str) -> Iterator[Served]:
    served = Served(factory.mktemp(name), "--db", ":memory:", "--account", f"alice:{PASSWORD}", *args)
    try:
        yield served
        served.assert_healthy()
        assert served.stop() == 0
    finally:
        served.close()


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    # a short body timeout keeps the slow cases short; --max-body stays at its default (64 KiB)
    with _module_server(tmp_path_factory, "hostile", "--body-timeout", "1") as served:
        yield served


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    # uvicorn's connection limit is 16 x --max-concurrency: 32 here
    with _module_server(tmp_path_factory, "limited", "--max-concurrency", "2") as served:
        yield served


def still_serving(served: Served) -> None:
    with served.client() as client:
        got = decode(AUTO, client.post("!AutoApplyIdA", data=order()))
        assert got.error_code == 0 and got.order_number is not None


VALID = order()
BIG = 200_000


def _pairs(**overrides: str) -> list[tuple[str, str]]:
    return [(k, overrides.get(k, v)) for k, v in VALID.items()]


def _raw(pairs: list[tuple[str, str]], name: str, raw_value: bytes) -> bytes:
    """*pairs* URL-encoded, with *name*'s value replaced by *raw_value* as is."""
    return b"&".join(
        codec.encode_form([(k, v)]) if k != name else codec.encode_form([(k, "")]) + raw_value for k, v in pairs
    )


# (id, endpoint, body, response format asked for, code, argument the message names)
HOSTILE: list[tuple[str, str, bytes, int | None, int, str | None]] = [
    ("oversized body", AUTO, form(_pairs(location="x" * BIG)), None, -4, "location"),
    ("oversized body, format 1", AUTO, form([("responseFormat", "1"), *_pairs(location="x" * BIG)]), 1, -4, "location"),
    ("oversized unknown name", AUTO, b"x" * BIG + b"=1", None, -2, None),
    ("oversized click-through", CLICK, form({**click(1), "adminEmailAddress": "x" * BIG}), None, -4, "adminEmailAddress"),
    ("invalid UTF-8 in a value", AUTO, _raw(_pairs(), "organizationName", b"Ex\xffample"), None, -4, "organizationName"),
    ("invalid UTF-8 percent-encoded", AUTO, _raw(_pairs(), "organizationName", b"Ex%C3%28"), None, -4, "organizationName"),
    ("invalid UTF-8 in a name", AUTO, form(VALID) + b"&na\xffme=1", None, -2, None),
    ("invalid UTF-8 in a click-through name", CLICK, form(click(1)) + b"&na\xffme=1", None, -2, "pair 5"),
    ("bad percent escape in a value", AUTO, _raw(_pairs(), "postalCode", b"LS1%zz"), None, -4, "postalCode"),
    ("truncated percent escape", AUTO, _raw(_pairs(), "days", b"36%"), None, -4, "days"),
    ("bad percent escape in a name", CLICK, form(click(1)) + b"&%zz=1", None, -2, "pair 5"),
    ("NUL in days", AUTO, form(_pairs(days="365\0")), None, -4, "days"),
    ("NUL in a country", AUTO, form(_pairs(countryName="G\0")), None, -7, "G\0"),
    ("NUL in a name", CLICK, form([*click(1).items(), ("login\0Name", "x")]), None, -2, "login\0Name"),
    ("10,000 unknown fields", AUTO, form(VALID) + b"&f=1" * 10_000, None, -2, None),
    ("10,000 repeats of a name", AUTO, form(VALID) + b"&test=" * 10_000, None, -4, "test"),
    ("10,000 fields on click-through", CLICK, form(click(1)) + b"&f=1" * 10_000, None, -2, "f"),
    ("duplicate name", AUTO, form([*VALID.items(), ("loginName", "alice")]), None, -4, "loginName"),
    ("duplicate name in another case", AUTO, form([*VALID.items(), ("LOGINNAME", "bob")]), None, -4, "loginName"),
    ("duplicate responseFormat", AUTO, form([("responseFormat", "1"), *VALID.items(), ("responseFormat", "0")]), 1, -4, "responseFormat"),
    ("CR/LF as the country", AUTO, form(_pairs(countryName="\r\n")), None, -7, "\r\n"),
    ("CR/LF in a name", CLICK, form([*click(1).items(), ("evil\r\nname", "1")]), None, -2, "evil\r\nname"),
    ("CR/LF in an order number", CLICK, form(click("1\r\n-1")), None, -20, None),
    ("CR/LF in a value too long", AUTO, form(_pairs(countryName="GB\r\n")), None, -4, "countryName"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("endpoint", "body", "fmt", "code", "argument"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE]
)
def test_a_hostile_input_earns_a_clear_vendor_answer(
    hostile_server: Served, endpoint: str, body: bytes, fmt: int | None, code: int, argument: str | None
) -> None:
    with hostile_server.client() as client:
        answer = client.post(f"!{endpoint}", content=body, headers=FORM)
    got = decode(endpoint, answer, fmt)
    if code == -20:  # the message repeats the order number as sent, CR/LF as spaces (note newline-in-message)
        assert (got.error_code, got.error_message) == (-20, "Order '1 -1' was not found!")
    else:
        assert got == codec.error_response(endpoint, code, argument)
        if argument is not None:  # the argument comes back out of the strictly decoded answer
            detail = codec.error_detail(got)
            assert detail is not None
            assert (detail.argument or detail.country) == codec.messages.clean_message(argument)
    still_serving(hostile_server)


@pytest.mark.parametrize(
    "value",
    ["Example\r\nLtd", "Example\0Ltd", "\r\n\r\n", "Ex\u2028ample"],
    ids=["CR/LF", "NUL", "only CR/LF", "line separator"],
)
def test_control_characters_in_free_text_are_accepted_and_the_answer_stays_well_formed(
    hostile_server: Served, value: str
) -> None:
    """The tables give no rule against control characters in free text, so the vendor accepts
    them; the newline-format answer must still be exactly its lines."""
    with hostile_server.client() as client:
        answer = client.post("!AutoApplyIdA", content=form(_pairs(organizationName=value)), headers=FORM)
    got = decode(AUTO, answer, 0)
    assert got.error_code == 0 and answer.text.count("\n") == 4
    still_serving(hostile_server)


def _tls(served: Served) -> ssl.SSLSocket:
    raw = socket.create_connection(served.address, timeout=15)
    return served.context.wrap_socket(raw, server_hostname=served.address[0])


def _read_all(sock: ssl.SSLSocket) -> bytes:
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except (ssl.SSLError, ConnectionResetError):  # a close without close_notify
        pass
    return received


@pytest.mark.parametrize("sent", [b"responseFormat=1&loginName=alice", b""], ids=["part of the body", "no body"])
def test_a_slow_client_that_never_finishes_its_body_is_answered_minus_14(hostile_server: Served, sent: bytes) -> None:
    head = (
        b"POST /products/!AutoApplyIdA HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\n"
    )
    with _tls(hostile_server) as tls:
        tls.sendall(head + sent)
        start = time.monotonic()
        received = _read_all(tls)  # the server answers and closes after --body-timeout (1 s)
        waited = time.monotonic() - start
    header, _, body = received.partition(b"\r\n\r\n")
    assert header.startswith(b"HTTP/1.1 200") and b"connection: close" in header.lower(), received[:300]
    fmt = 1 if sent else None
    assert codec.decode_response(AUTO, body, response_format=fmt, strict=True) == codec.error_response(AUTO, -14)
    print(f"\nslow body ({sent[:20]!r}...): answered -14 after {waited:.2f} s, connection closed")
    still_serving(hostile_server)


def test_connections_that_never_send_a_whole_request_head_are_closed(hostile_server: Served) -> None:
    """uvicorn alone keeps them open for ever, each holding a connection slot (a slow-loris client),
    and asyncio gives a TLS handshake 60 s; the server closes all of them at the default head
    deadline (5 s), counted from accept."""
    stalled = socket.create_connection(hostile_server.address, timeout=15)  # never starts its TLS handshake
    sent = [b"", b"POST /products/!AutoApplyIdA HTTP/1.1\r\nHost: 127.0.0.1\r\n"]  # nothing; part of a head
    sockets = [_tls(hostile_server) for _ in sent]
    try:
        start = time.monotonic()
        for tls, data in zip(sockets, sent, strict=True):
            tls.sendall(data)
        for tls, data in zip(sockets, sent, strict=True):
            assert _read_all(tls) == b""  # closed; the socket timeout (15 s) fails the test if not
            print(f"\nno whole request head ({len(data)} bytes sent): closed after {time.monotonic() - start:.2f} s")
        assert stalled.recv(1) == b""
        print(f"no TLS handshake: closed after {time.monotonic() - start:.2f} s")
    finally:
        stalled.close()
        for tls in sockets:
            tls.close()
    still_serving(hostile_server)


def test_many_idle_connections_do_not_stop_service_once_they_close(limited_server: Served) -> None:
    """--max-concurrency 2 puts uvicorn's connection limit at 32: 48 idle TLS connections exceed it."""
    idle: list[ssl.SSLSocket] = []
    try:
        for _ in range(48):
            idle.append(_tls(limited_server))
    except OSError as exc:
        raise AssertionError(
            f"connection {len(idle) + 1}: {exc!r}; server {limited_server.proc.poll()}\n{limited_server.output()}"
        ) from exc
    try:
        with limited_server.client() as client:
            during = client.post("!AutoApplyIdA", data=order())
        # beyond the limit uvicorn itself answers 503 (the app's own bound answers -14 in the vendor's terms)
        assert during.status_code in (200, 503), during.text[:200]
        print(f"\nwith {len(idle)} idle connections open: HTTP {during.status_code} {during.text[:40]!r}")
    finally:
        for sock in idle:
            sock.close()
    deadline = time.monotonic() + 10
    while True:  # the server notices the closes as its loop gets to them
        try:
            still_serving(limited_server)
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


# ---------------------------------------------------------------------- at the file-descriptor limit

# the issue's own case: RELIABILITY_FD_LIMIT=256 RELIABILITY_STALLED=300 RELIABILITY_ATTACK_SECONDS=20
# RELIABILITY_HEAD_TIMEOUT=5 (about 25 s)
FD_LIMIT = int(os.environ.get("RELIABILITY_FD_LIMIT", "64"))  # the server's RLIMIT_NOFILE (~20 in use at rest)
STALLED = int(os.environ.get("RELIABILITY_STALLED", "150"))  # never start a TLS handshake; reopened when closed
ATTACK_SECONDS = float(os.environ.get("RELIABILITY_ATTACK_SECONDS", "4"))
HEAD_TIMEOUT = float(os.environ.get("RELIABILITY_HEAD_TIMEOUT", "1"))


class _Staller:
    """Keeps *count* TCP connections open that never send a byte, reopening each one the server
    closes, on a thread, until :meth:`stop`; records how long each lived (from connect to close)."""

    def __init__(self, address: tuple[str, int], count: int) -> None:
        self.address = address
        self.sockets: list[tuple[socket.socket, float]] = []
        for _ in range(count):
            self._open()
        self.lifetimes: list[float] = []
        self.reopened = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="staller", daemon=True)
        self._thread.start()

    def _open(self) -> None:
        sock = socket.create_connection(self.address, timeout=10)  # the listen queue takes it
        sock.setblocking(False)
        self.sockets.append((sock, time.monotonic()))

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            for i, (sock, opened) in enumerate(self.sockets):
                try:
                    if sock.recv(1) == b"":
                        raise ConnectionResetError
                except BlockingIOError:
                    continue  # still open
                except OSError:
                    pass
                self.lifetimes.append(time.monotonic() - opened)
                sock.close()
                new = socket.create_connection(self.address, timeout=10)
                new.setblocking(False)
                self.sockets[i] = (new, time.monotonic())
                self.reopened += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        for sock, _ in self.sockets:
            sock.close()


def test_real_orders_are_served_while_stalled_handshakes_hold_every_file_descriptor(
    serve: Callable[..., Served],
) -> None:
    """Issue 11: 300 never-finished TLS handshakes under ``ulimit -n 256`` starved real orders for
    a minute and asyncio logged ~200,000 tracebacks in 20 s.  Here (by default ``ulimit -n 64``,
    150 stalled connections kept open for 4 s, head deadline 1 s) the server closes each at the
    deadline, a real order placed in the middle of it is answered, and the log is a few lines."""
    served = serve(
        "--db", ":memory:", "--account", f"alice:{PASSWORD}", "--head-timeout", str(HEAD_TIMEOUT), open_files=FD_LIMIT
    )
    staller = _Staller(served.address, STALLED)
    try:
        deadline = time.monotonic() + 10
        while "out of system resource" not in served.output():  # the server is at its limit
            assert time.monotonic() < deadline, served.output()
            time.sleep(0.05)
        start = time.monotonic()
        with served.client(timeout=20 + 4 * HEAD_TIMEOUT) as client:  # the bound
            got = decode(AUTO, client.post("!AutoApplyIdA", data=order()))
        waited = time.monotonic() - start
        assert got.error_code == 0 and got.order_number is not None
        time.sleep(max(0.0, ATTACK_SECONDS - waited))
    finally:
        staller.stop()
    lifetimes = sorted(staller.lifetimes)
    assert lifetimes, "the server closed none of the stalled connections"
    still_serving(served)
    log = served.output()
    lines = log.splitlines()
    print(
        f"\n{STALLED} stalled connections for {ATTACK_SECONDS:g} s under RLIMIT_NOFILE {FD_LIMIT}, head deadline "
        f"{HEAD_TIMEOUT:g} s: a real order answered after "
        f"{waited:.2f} s; {len(lifetimes)} closed by the server (median {lifetimes[len(lifetimes) // 2]:.2f} s, "
        f"longest {lifetimes[-1]:.2f} s from connect, listen-queue wait included); log: {len(lines)} lines"
    )
    assert "Traceback" not in log
    emfile = sum("out of system resource" in line for line in lines)
    assert emfile <= 2 + (ATTACK_SECONDS + 20 + 4 * HEAD_TIMEOUT) / 5  # one a 5 s interval, and the first
    assert len(lines) <= 6 + emfile, log
