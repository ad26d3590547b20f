"""The reference server's ASGI app in-process (httpx.ASGITransport, no sockets): vendor behaviour,
every error code, both formats, bounds, failures and logs."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import codec
from codec.messages import clean_message
from conformance.asgi import ROUTES
from conformance.formats import requested_format
from conformance.reference.answers import Prices, oversized_answer
from conformance.reference.app import ReferenceApp, make_app
from conformance.reference.store import Store
from tests.support.server import FAST, PASSWORD, click, order

AUTO = "AutoApplyIdA"
CLICK = "UpdateUserEvClickThrough"
AUTO_SPEC = codec.endpoint_spec(AUTO)
CLICK_SPEC = codec.endpoint_spec(CLICK)
SASP = "CanarySasp000042"  # must never reach a log, like PASSWORD


class Server:
    """A sync face over the app in-process: one asyncio.run per request."""

    def __init__(self, app: ReferenceApp, base_url: str = "https://testserver") -> None:
        self.app = app
        self.base_url = base_url

    async def arequest(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url=self.base_url) as client:
            return await client.request(method, path, **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return asyncio.run(self.arequest(method, path, **kwargs))

    def raw(self, endpoint: str, fields: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        response = self.request("POST", f"/products/!{endpoint}", data=fields, **kwargs)
        assert response.status_code == 200
        return response

    def post(self, endpoint: str, fields: dict[str, str], **kwargs: Any) -> Any:
        """POST and decode the answer (leniently; deviations are checked by the tests)."""
        response = self.raw(endpoint, fields, **kwargs)
        fmt = fields.get("responseFormat")
        return codec.decode_response(
            endpoint,
            response.content,
            content_type=response.headers["content-type"],
            response_format=int(fmt) if fmt in ("0", "1") else None,
        )


@pytest.fixture
def store() -> Iterator[Store]:
    with Store(":memory:", pbkdf2_iterations=FAST) as s:
        s.add_account("alice", PASSWORD, credit=Decimal("1000.00"))
        s.add_account("bob", "bob-pw", credit=Decimal("100.00"))
        s.add_sasp_session(SASP, "alice")
        yield s


@pytest.fixture
def server(store: Store) -> Server:
    return Server(make_app(store))


@pytest.fixture
def lenient(store: Store) -> Server:
    return Server(make_app(store, strict=False))


def credit(store: Store, name: str = "alice") -> Decimal:
    account = store.get_account(name)
    assert account is not None
    return account.credit


def expect_error(response: Any, endpoint: str, code: int, argument: str | None = None) -> None:
    assert response.error_code == code
    assert response.error_message == codec.message_for(codec.endpoint_spec(endpoint), code, argument)
    assert not response.deviations


# ------------------------------------------------------------------ placing orders


def test_order_in_the_newline_format(server: Server, store: Store) -> None:
    response = server.raw(AUTO, order())
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    number = store.list_orders("alice")[0].order_number
    assert response.content == f"0\n{number}\n39.00\n48\n".encode()
    assert credit(store) == Decimal("961.00")


def test_order_in_the_urlencoded_format(server: Server, store: Store) -> None:
    response = server.raw(AUTO, order(responseFormat="1", product="36,37", days="730"))
    assert response.headers["content-type"] == "application/x-www-form-urlencoded"
    decoded = codec.decode_response(AUTO, response.content, response_format=1, strict=True)
    [placed] = store.list_orders("alice")
    assert decoded == codec.AutoApplyIdAResponse(
        error_code=0, order_number=placed.order_number, total_cost=Decimal("196.00"), expected_delivery_time=48
    )
    assert placed.products == (36, 37) and placed.days == 730 and placed.cost == Decimal("196.00")
    assert credit(store) == Decimal("804.00")


@pytest.mark.parametrize(
    ("products", "days", "cost"),
    [
        ((36,), 365, "39.00"),
        ((37,), 1095, "177.00"),
        ((36, 37), 730, "196.00"),
        ((36, 36), 365, "39.00"),
        ((36,), 100, "10.68"),
    ],
)
def test_prices(products: tuple[int, ...], days: int, cost: str) -> None:
    assert Prices.load().cost(products, days) == Decimal(cost)


def test_the_price_list_covers_every_product_the_tables_allow() -> None:
    allowed = AUTO_SPEC.by_key["product"].kind.values
    assert allowed
    assert {int(v) for v in allowed} <= set(Prices.load().products)


def test_sasp_session_instead_of_login(server: Server, store: Store) -> None:
    response = server.post(AUTO, order(loginName=None, loginPassword=None, saspSessionID=SASP))
    assert response.error_code == 0
    assert [o.account for o in store.list_orders()] == ["alice"]


# ------------------------------------------------------------------ request-side error codes


def form(fields: dict[str, str] | list[tuple[str, str]]) -> bytes:
    return codec.encode_form(list(fields.items()) if isinstance(fields, dict) else fields)


REQUEST_ERRORS = [
    # (endpoint, body, code, argument)
    (AUTO, form(order(colour="red")), -2, "colour"),
    (AUTO, form(order(days=None)), -3, "days"),
    (AUTO, form(order(days="")), -3, "days"),
    (AUTO, form(order(loginPassword=None)), -3, "loginPassword"),
    (AUTO, form(order(days="366")), -4, "days"),
    (AUTO, form(order(product="38")), -4, "product"),
    (AUTO, form(order(organizationName="x" * 65)), -4, "organizationName"),
    (AUTO, form(order(responseFormat="2")), -4, "responseFormat"),
    (AUTO, form(order(saspSessionID=SASP)), -4, "loginName"),
    (AUTO, form([*order().items(), ("days", "730")]), -4, "days"),
    (AUTO, form(order(days=None)) + b"&days=%zz", -4, "days"),
    (AUTO, form(order(countryName="XX")), -7, "XX"),
    (AUTO, form(order(countryName="gb")), -7, "gb"),
    (CLICK, form(click(1, colour="red")), -2, "colour"),
    (CLICK, form(click(1, orderNumber=None)), -3, "orderNumber"),
    (CLICK, form(click(1, "ReplaceMailAddress")), -3, "adminEmailAddress"),
    (CLICK, form(click(1, "Resend")), -4, "action"),
    (CLICK, form(click(1, "resendemail")), -4, "action"),
    (CLICK, form(click("1" * 129)), -4, "orderNumber"),
]


@pytest.mark.parametrize(("endpoint", "body", "code", "argument"), REQUEST_ERRORS)
def test_request_side_errors(
    server: Server, store: Store, endpoint: str, body: bytes, code: int, argument: str
) -> None:
    response = server.raw(endpoint, content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    decoded = codec.decode_response(endpoint, response.content, content_type=response.headers["content-type"])
    expect_error(decoded, endpoint, code, argument)
    assert store.list_orders() == []
    assert credit(store) == Decimal("1000.00")


def test_an_error_honours_a_valid_response_format(server: Server) -> None:
    response = server.raw(AUTO, order(responseFormat="1", days="366"))
    assert response.headers["content-type"] == "application/x-www-form-urlencoded"
    expect_error(codec.decode_response(AUTO, response.content, response_format=1, strict=True), AUTO, -4, "days")


@pytest.mark.parametrize("endpoint", [AUTO, CLICK])
def test_plain_http_earns_minus_1_unless_https_is_not_required(store: Store, endpoint: str) -> None:
    fields = order() if endpoint == AUTO else click(1)
    plain = Server(make_app(store), base_url="http://testserver")
    expect_error(plain.post(endpoint, fields), endpoint, -1)
    relaxed = Server(make_app(store, require_https=False), base_url="http://testserver")
    assert relaxed.post(AUTO, order()).error_code == 0


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("endpoint", [AUTO, CLICK])
def test_not_post_earns_minus_17(server: Server, store: Store, method: str, endpoint: str) -> None:
    fields = order(responseFormat="1") if endpoint == AUTO else click(1)
    response = server.request(method, f"/products/!{endpoint}", params=fields)  # a GET's query string is its body
    assert response.status_code == 200
    mime = "text/plain; charset=utf-8" if endpoint == AUTO else "application/x-www-form-urlencoded"
    assert response.headers["content-type"] == mime  # GET gets the default format (note format-of-errors)
    expect_error(codec.decode_response(endpoint, response.content, content_type=mime), endpoint, -17)
    assert store.list_orders() == []


async def _asgi_exchange(app: ReferenceApp, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """One exchange straight through the ASGI interface (httpx upper-cases methods; uvicorn does not)."""
    scope = {
        "type": "http",
        "method": method,
        "scheme": "https",
        "path": path,
        "query_string": b"",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded")],
    }
    sent: list[dict[str, Any]] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    headers = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
    return sent[0]["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


@pytest.mark.parametrize("method", ["post", "Post", "pOST", "POST ", "POSTS", "GET"])
@pytest.mark.parametrize("endpoint", [AUTO, CLICK])
def test_methods_are_compared_exactly_so_lowercase_post_earns_minus_17(
    server: Server, store: Store, method: str, endpoint: str
) -> None:
    """RFC 9110 section 9.1: methods are case-sensitive; ``post`` is not POST (it used to place an order)."""
    number = server.post(AUTO, order()).order_number
    fields = order(responseFormat="1") if endpoint == AUTO else click(number)
    status, headers, body = asyncio.run(_asgi_exchange(server.app, method, f"/products/!{endpoint}", form(fields)))
    assert status == 200
    mime = "text/plain; charset=utf-8" if endpoint == AUTO else "application/x-www-form-urlencoded"
    assert headers["content-type"] == mime  # the default format, as for GET (note format-of-errors)
    expect_error(codec.decode_response(endpoint, body, content_type=mime, strict=True), endpoint, -17)
    assert [o.order_number for o in store.list_orders()] == [number] and store.click_through_events() == []
    exact = asyncio.run(_asgi_exchange(server.app, "POST", f"/products/!{endpoint}", form(fields)))
    assert codec.decode_response(endpoint, exact[2], content_type=exact[1]["content-type"]).error_code == 0


# ------------------------------------------------------------------ -16, -15, test orders, status 1


@pytest.mark.parametrize(
    "fields",
    [
        order(loginPassword="wrong"),
        order(loginPassword=PASSWORD.upper()),
        order(loginName="ALICE"),
        order(loginName="nobody"),
        order(loginName=None, loginPassword=None, saspSessionID="UnknownSession01"),
    ],
    ids=["wrong-password", "password-case", "name-case", "unknown-name", "unknown-sasp"],
)
def test_wrong_credentials_earn_minus_16(server: Server, store: Store, fields: dict[str, str]) -> None:
    expect_error(server.post(AUTO, fields), AUTO, -16)
    assert store.list_orders() == []


def test_click_through_with_wrong_credentials_earns_minus_16(server: Server, store: Store) -> None:
    number = server.post(AUTO, order()).order_number
    expect_error(server.post(CLICK, click(number, loginPassword="wrong")), CLICK, -16)
    assert server.post(CLICK, click(number, loginPassword="wrong")).status == 0  # note click-through-response-presence
    assert store.click_through_events() == []


def test_not_enough_credit_earns_minus_15_but_a_test_order_is_free(server: Server, store: Store) -> None:
    store.set_credit("alice", Decimal("39.00"))
    assert server.post(AUTO, order(product="36,37")).error_code == -15
    expect_error(server.post(AUTO, order(product="37")), AUTO, -15)
    assert store.list_orders() == [] and credit(store) == Decimal("39.00")
    test_order = server.post(AUTO, order(product="36,37", test="Y", responseFormat="1"))
    assert (test_order.error_code, test_order.total_cost) == (0, Decimal("98.00"))  # amount still reported
    assert credit(store) == Decimal("39.00")  # nothing debited
    assert store.list_orders()[0].test is True
    exact = server.post(AUTO, order())
    assert exact.error_code == 0 and credit(store) == Decimal("0.00")
    assert server.post(AUTO, order()).error_code == -15


def test_payment_required_accounts_get_status_1_and_are_not_debited(server: Server, store: Store) -> None:
    store.add_account("carol", "carol-pw", credit=Decimal(0), payment_required=True)
    newline = server.raw(AUTO, order(loginName="carol", loginPassword="carol-pw"))
    first = store.list_orders("carol")[0].order_number
    assert newline.content == f"1\n{first}\n39.00\n48\n".encode()
    urlencoded = server.post(AUTO, order(loginName="carol", loginPassword="carol-pw", responseFormat="1"))
    # note format1-status1: the message of status 1 and the order parameters, as the newline format has them
    assert urlencoded.error_code == 1
    assert urlencoded.error_message == codec.message_for(AUTO_SPEC, 1)
    assert (urlencoded.order_number, urlencoded.total_cost, urlencoded.expected_delivery_time) == (
        first + 1,
        Decimal("39.00"),
        48,
    )
    assert {d.note for d in urlencoded.deviations} == {"format1-status1"}
    assert credit(store, "carol") == Decimal(0)


# ------------------------------------------------------------------ expected delivery


def test_expected_delivery_times(server: Server, store: Store) -> None:
    store.add_account("dave", "dave-pw", credit=Decimal(1000), manual_approval=True)
    hours = lambda **kw: server.post(AUTO, order(**kw)).expected_delivery_time  # noqa: E731
    assert hours() == 48  # N, customer never validated
    assert hours(isCustomerValidated="Y") == 1
    assert hours(isCustomerValidated="y") == 1
    assert hours(loginName="dave", loginPassword="dave-pw", isCustomerValidated="Y") == 24  # manual approval
    assert hours(loginName="dave", loginPassword="dave-pw") == 1  # dave's order above validated this customer
    assert hours() == 1  # validated before, for this organization and country
    assert hours(countryName="FR") == 48  # another country
    assert hours(organizationName="Other Ltd") == 48  # another organization
    assert hours(loginName="bob", loginPassword="bob-pw") == 48  # another account's customer
    states = [o.state for o in store.list_orders("alice")]
    assert (
        states
        == ["awaiting_click_through", "validated", "validated", "awaiting_click_through"]
        + ["awaiting_click_through"] * 2
    )


# ------------------------------------------------------------------ foreign order numbers


def test_foreign_order_number_uniqueness(server: Server, store: Store) -> None:
    code = AUTO_SPEC.policy.fon_not_unique_code
    assert server.post(AUTO, order(foreignOrderNumber="F-1", checkFONIsUnique="Y")).error_code == 0
    repeat = server.post(AUTO, order(foreignOrderNumber="F-1", checkFONIsUnique="Y", responseFormat="1"))
    expect_error(repeat, AUTO, code, "foreignOrderNumber")
    assert len(store.list_orders()) == 1 and credit(store) == Decimal("961.00")  # nothing placed or debited
    assert server.post(AUTO, order(foreignOrderNumber="F-1", checkFONIsUnique="N")).error_code == 0
    assert server.post(AUTO, order(foreignOrderNumber="F-1")).error_code == 0  # no check asked for
    assert server.post(AUTO, order(foreignOrderNumber="F-2", checkFONIsUnique="Y")).error_code == 0
    bob = order(loginName="bob", loginPassword="bob-pw", foreignOrderNumber="F-1", checkFONIsUnique="Y")
    assert server.post(AUTO, bob).error_code == 0  # per account
    assert server.post(AUTO, order(checkFONIsUnique="Y")).error_code == 0  # nothing to check


# ------------------------------------------------------------------ click-through


def success(status: int) -> codec.UpdateUserEvClickThroughResponse:
    return codec.UpdateUserEvClickThroughResponse(
        error_code=0,
        error_message=codec.message_for(CLICK_SPEC, 0),
        status=status,
        description=CLICK_SPEC.statuses[status].description,
    )


def test_click_through_statuses(server: Server, store: Store) -> None:
    number = server.post(AUTO, order(emailAddress="admin@example.com")).order_number
    response = server.raw(CLICK, click(number))
    assert response.headers["content-type"] == "application/x-www-form-urlencoded"
    decoded = codec.decode_response(CLICK, response.content, strict=True)
    assert decoded == success(1) and decoded.error_message == "Successful"
    assert server.post(CLICK, click(number, "ReplaceMailAddress", adminEmailAddress="admin@example.com")) == success(2)
    assert server.post(CLICK, click(number, "ReplaceMailAddress", adminEmailAddress="new@example.com")) == success(1)
    placed = store.get_order(number)
    assert placed is not None and placed.admin_email == "new@example.com"
    assert server.post(CLICK, click(number, "ReplaceMailAddress", adminEmailAddress="new@example.com")) == success(2)
    assert server.post(CLICK, click(number, adminEmailAddress="ignored@example.com")) == success(1)
    placed = store.get_order(number)
    assert placed is not None and placed.admin_email == "new@example.com"
    events = [(e.action, e.admin_email, e.status) for e in store.click_through_events(number)]
    assert events == [
        ("ResendEmail", None, 1),
        ("ReplaceMailAddress", "admin@example.com", 2),
        ("ReplaceMailAddress", "new@example.com", 1),
        ("ReplaceMailAddress", "new@example.com", 2),
        ("ResendEmail", "ignored@example.com", 1),
    ]


def test_click_through_on_an_order_without_an_address(server: Server, store: Store) -> None:
    number = server.post(AUTO, order()).order_number
    assert server.post(CLICK, click(number, "ReplaceMailAddress", adminEmailAddress="a@example.com")) == success(1)


def test_click_through_on_a_validated_order_is_status_0(server: Server, store: Store) -> None:
    number = server.post(AUTO, order(isCustomerValidated="Y", emailAddress="a@example.com")).order_number
    assert server.post(CLICK, click(number)) == success(0)
    assert server.post(CLICK, click(number, "ReplaceMailAddress", adminEmailAddress="b@example.com")) == success(0)
    placed = store.get_order(number)
    assert placed is not None and placed.admin_email == "a@example.com"  # not completed
    assert [e.status for e in store.click_through_events(number)] == [0, 0]


def test_click_through_on_a_test_order(server: Server) -> None:
    number = server.post(AUTO, order(test="Y")).order_number
    assert server.post(CLICK, click(number)) == success(1)  # note click-through-test-orders


NOT_AN_ORDER = {
    "unknown": "999999",
    "not-a-number": "abc",
    "padded": " {n}",
    "leading zeros": "00{n}",
    "signed": "+{n}",
    "negative": "-{n}",
    "zero": "0",
    "2**63 - 1": str(2**63 - 1),
    "2**63": str(2**63),  # raised OverflowError in SQLite (-14) before issue 11
    "-2**63 - 1": str(-(2**63) - 1),
    "128 digits": "9" * 128,
    "non-ASCII digits": "\u0661\u0662",
}


@pytest.mark.parametrize("which", ["other-account", *NOT_AN_ORDER])
def test_click_through_on_an_order_it_cannot_name_is_minus_20(server: Server, store: Store, which: str) -> None:
    bobs = server.post(AUTO, order(loginName="bob", loginPassword="bob-pw")).order_number
    alices = server.post(AUTO, order()).order_number
    sent = str(bobs) if which == "other-account" else NOT_AN_ORDER[which].format(n=alices)
    response = server.post(CLICK, click(sent))
    template = CLICK_SPEC.policy.click_through_unknown_order_message
    assert response.error_code == -20
    assert response.error_message == template.replace("xxxx", sent)
    assert (response.status, response.description) == (0, CLICK_SPEC.statuses[0].description)
    assert store.click_through_events() == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sent=st.one_of(
        st.text(max_size=128),
        st.from_regex(r"\A[-+ 0]{0,3}[0-9]{1,40}\Z"),
        st.integers(min_value=-(10**127), max_value=10**128 - 1).map(str),
    ).filter(lambda text: len(text) <= 128)
)
def test_any_order_number_text_is_answered_by_the_vendor_never_minus_14(
    server: Server, store: Store, sent: str
) -> None:
    """orderNumber is text of up to 128 characters (note order-number-type): whatever it holds, the
    answer is the codec's refusal, the order it names, or -20 with the policy's message."""
    known = {str(o.order_number) for o in store.list_orders("alice")}
    try:
        codec.decode_request(CLICK, form(click(sent)))
    except codec.RequestRejected as exc:  # blank: -3
        assert server.post(CLICK, click(sent)).error_code == exc.code != -14
        return
    response = server.post(CLICK, click(sent))
    if sent in known:
        assert response.error_code == 0
    else:
        template = CLICK_SPEC.policy.click_through_unknown_order_message
        assert (response.error_code, response.error_message) == (-20, clean_message(template.replace("xxxx", sent)))


def test_the_store_finds_no_order_for_a_number_sqlite_cannot_hold(store: Store) -> None:
    for number in (0, -1, 2**63, -(2**63) - 1, 10**200):
        assert store.get_order(number) is None


# ------------------------------------------------------------------ lenient readings


def test_lenient_mode_follows_the_lenient_readings(lenient: Server, server: Server, store: Store) -> None:
    both = order(saspSessionID=SASP)
    assert server.post(AUTO, both).error_code == -4
    assert lenient.post(AUTO, both).error_code == 0  # note sasp-excludes-login: the session alone counts
    placed = lenient.post(AUTO, order(countryName="gb", days="100"))
    assert (placed.error_code, placed.total_cost) == (0, Decimal("10.68"))
    stored = store.get_order(placed.order_number)
    assert stored is not None and stored.country_name == "GB"
    assert lenient.post(CLICK, click(placed.order_number, "resendemail")) == success(1)
    assert [e.action for e in store.click_through_events()] == ["ResendEmail"]


# ------------------------------------------------------------------ durability


def test_acknowledged_orders_are_committed_and_survive_a_restart(tmp_path: Any) -> None:
    import sqlite3

    path = tmp_path / "reference.sqlite3"
    with Store(path, pbkdf2_iterations=FAST) as first:
        first.add_account("alice", PASSWORD, credit=Decimal(100))
        app = Server(make_app(first))
        number = app.post(AUTO, order()).order_number
        other = sqlite3.connect(path)  # another connection sees it before the store is closed
        assert other.execute("SELECT count(*) FROM orders WHERE order_number = ?", (number,)).fetchone() == (1,)
        other.close()
    with Store(path, pbkdf2_iterations=FAST) as again:
        app = Server(make_app(again))
        assert [o.order_number for o in again.list_orders()] == [number]
        assert app.post(CLICK, click(number)) == success(1)
        assert app.post(AUTO, order()).order_number == number + 1
        assert credit(again) == Decimal(100) - 2 * Decimal("39.00")


# ------------------------------------------------------------------ internal failures


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(f"the disk is on fire; password was {PASSWORD}")


@pytest.mark.parametrize("fmt", ["0", "1"])
def test_an_internal_failure_is_minus_14_and_the_server_keeps_serving(
    server: Server, store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, fmt: str
) -> None:
    caplog.set_level(logging.DEBUG)
    with monkeypatch.context() as patch:
        patch.setattr(Store, "insert_order", _boom)
        response = server.raw(AUTO, order(responseFormat=fmt))
    mime = "text/plain; charset=utf-8" if fmt == "0" else "application/x-www-form-urlencoded"
    assert response.headers["content-type"] == mime
    expect_error(codec.decode_response(AUTO, response.content, response_format=int(fmt)), AUTO, -14)
    assert store.list_orders() == [] and credit(store) == Decimal("1000.00")
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failures) == 1
    message = failures[0].getMessage()
    assert "AutoApplyIdA" in message and "-14" in message and "RuntimeError" in message
    assert PASSWORD not in caplog.text and "fire" not in caplog.text
    assert server.post(AUTO, order(responseFormat=fmt)).error_code == 0  # still serving


def test_a_failure_in_click_through_logs_the_order_number(
    server: Server, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    number = server.post(AUTO, order()).order_number
    monkeypatch.setattr(Store, "record_click_through", _boom)
    expect_error(server.post(CLICK, click(number)), CLICK, -14)
    assert f"order {number}" in caplog.text and PASSWORD not in caplog.text


def test_a_failure_outside_the_store_is_minus_14_too(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    unpriced = Server(make_app(store, prices=Prices({36: Decimal("1.00")})))
    expect_error(unpriced.post(AUTO, order(product="37")), AUTO, -14)  # KeyError: no price for 37
    assert "KeyError" in caplog.text
    monkeypatch.setattr(codec, "decode_request", _boom)
    # the codec's decoder also reads which format a request asks for (conformance.formats): with
    # it failing, the -14 comes in the default format
    response = unpriced.raw(AUTO, order(responseFormat="1"))
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    expect_error(codec.decode_response(AUTO, response.content, response_format=0), AUTO, -14)
    assert PASSWORD not in caplog.text


def test_store_work_runs_on_the_store_thread(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []
    real = Store.insert_order

    def spy(self: Store, *args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Store, "insert_order", spy)
    server.post(AUTO, order())
    assert len(threads) == 1 and threads[0].startswith("store")


# ------------------------------------------------------------------ bounds


def test_bounded_concurrency_answers_minus_14_to_who_waits_too_long(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Store.verify_login

    def slow(self: Store, *args: Any) -> Any:
        time.sleep(0.4)
        return real(self, *args)

    monkeypatch.setattr(Store, "verify_login", slow)
    server = Server(make_app(store, max_concurrency=1, queue_timeout=0.1))

    async def both() -> list[httpx.Response]:
        path = f"/products/!{AUTO}"
        return list(await asyncio.gather(*(server.arequest("POST", path, data=order()) for _ in range(2))))

    codes = sorted(int(r.text.split("\n", 1)[0]) for r in asyncio.run(both()))
    assert codes == [-14, 0]
    assert server.post(AUTO, order()).error_code == 0


MAX_BODY = len(form(order(location="x"))) + 50


def test_a_body_at_the_limit_is_served(store: Store) -> None:
    server = Server(make_app(store, max_body=MAX_BODY))
    body = form(order(location="x" * 51))
    assert len(body) == MAX_BODY
    assert server.post(AUTO, order(location="x" * 51)).error_code == 0


@pytest.mark.parametrize(
    ("endpoint", "body", "code", "argument"),
    [
        (AUTO, form(order(location="x" * 52)), -4, "isCustomerValidated"),  # one byte over: the last value
        (AUTO, form(order(location="x" * 600)), -4, "location"),
        (AUTO, form(order(LOCATION="x" * 600)), -4, "LOCATION"),
        (AUTO, b"colour=" + b"x" * 1000, -2, "colour"),
        (CLICK, b"colour=" + b"x" * 1000, -2, "colour"),
        (CLICK, b"a=1&" + b"n" * 1000 + b"=1", -2, "n" * (MAX_BODY - 4)),
        (CLICK, form(click(1, adminEmailAddress="x" * 2000)), -4, "adminEmailAddress"),
    ],
)
def test_an_oversized_body_names_the_variable_being_read(
    store: Store, endpoint: str, body: bytes, code: int, argument: str
) -> None:
    server = Server(make_app(store, max_body=MAX_BODY))
    response = server.raw(endpoint, content=body)
    assert "connection" not in response.headers  # the whole body arrived: the connection may stay
    expect_error(codec.decode_response(endpoint, response.content), endpoint, code, argument)
    assert server.post(AUTO, order()).error_code == 0  # still serving


def test_an_oversized_body_keeps_format_and_precedence(store: Store) -> None:
    big = order(responseFormat="1", location="x" * 500)
    big = {"responseFormat": "1", **big}
    answer = oversized_answer(AUTO, form(big), MAX_BODY, method="POST", scheme="https")
    assert (answer.response.error_code, answer.response_format) == (-4, 1)
    assert oversized_answer(AUTO, form(big), MAX_BODY, method="POST", scheme="http").response.error_code == -1
    assert requested_format(AUTO, b"responseformat=1&x") == 1
    assert requested_format(AUTO, b"responseFormat=7") == 0
    assert requested_format(AUTO, b"responseFormat=1", method="GET") == 0
    assert requested_format(CLICK, b"responseFormat=1") is None
    plain = Server(make_app(store, max_body=MAX_BODY), base_url="http://testserver")
    expect_error(plain.post(AUTO, big), AUTO, -1)


def _scope(endpoint: str = AUTO) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "POST",
        "scheme": "https",
        "path": f"/products/!{endpoint}",
        "query_string": b"",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded")],
    }


def _call(app: ReferenceApp, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Call the app with *messages* as the client's side, then silence; return what it sent."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(asyncio.wait_for(app(_scope(), receive, send), 5))
    return sent


def test_a_slow_body_is_minus_14_and_the_connection_closes(store: Store) -> None:
    app = make_app(store, body_timeout=0.05)
    partial = form(order(responseFormat="1"))[:60]
    assert b"responseFormat=1&" in form({"responseFormat": "1"}) + b"&"
    sent = _call(app, [{"type": "http.request", "body": b"responseFormat=1&" + partial, "more_body": True}])
    start, body = sent
    assert start["status"] == 200 and (b"connection", b"close") in start["headers"]
    expect_error(codec.decode_response(AUTO, body["body"], response_format=1, strict=True), AUTO, -14)
    assert store.list_orders() == []


def test_an_oversized_body_still_arriving_is_drained_or_the_connection_closed(store: Store) -> None:
    app = make_app(store, max_body=MAX_BODY, body_timeout=0.1)
    big = {"type": "http.request", "body": form(order(location="x" * 600)), "more_body": True}
    end = {"type": "http.request", "body": b"x" * 100_000, "more_body": False}
    start, body = _call(app, [big, dict(big, body=b"x" * 100_000), end])
    assert (b"connection", b"close") not in start["headers"]  # drained: the client can read the answer
    expect_error(codec.decode_response(AUTO, body["body"]), AUTO, -4, "location")
    start, body = _call(app, [big])  # the rest never comes
    assert (b"connection", b"close") in start["headers"]
    expect_error(codec.decode_response(AUTO, body["body"]), AUTO, -4, "location")


def test_a_client_gone_mid_body_gets_nothing(store: Store) -> None:
    app = make_app(store)
    assert _call(app, [{"type": "http.request", "body": b"a=1", "more_body": True}, {"type": "http.disconnect"}]) == []


def test_a_body_in_chunks_is_read_whole(store: Store) -> None:
    body = form(order())
    chunks = [{"type": "http.request", "body": body[i : i + 7], "more_body": True} for i in range(0, len(body), 7)]
    sent = _call(make_app(store), [*chunks, {"type": "http.request", "body": b"", "more_body": False}])
    assert sent[1]["body"].startswith(b"0\n")


def test_unknown_paths_are_404(server: Server) -> None:
    for method, path in [("GET", "/"), ("POST", "/products/!Other"), ("POST", "/products/!autoapplyida")]:
        response = server.request(method, path)
        assert (response.status_code, response.text) == (404, "Not Found\n")
        assert response.headers["content-type"].startswith("text/plain")
    assert set(ROUTES.values()) == {AUTO, CLICK}
    assert server.post(AUTO, order()).error_code == 0


def test_lifespan_events_are_acknowledged(store: Store) -> None:
    app = make_app(store)
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[Any] = []

    async def receive() -> Any:
        return messages.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


# ------------------------------------------------------------------ logs


def test_secrets_and_bodies_never_reach_the_logs(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = Server(make_app(store, max_body=MAX_BODY))
    number = server.post(AUTO, order()).order_number
    server.post(AUTO, order(loginName=None, loginPassword=None, saspSessionID=SASP))
    server.post(AUTO, order(loginPassword=PASSWORD + "x"))
    server.post(AUTO, order(saspSessionID=SASP))
    server.request("GET", f"/products/!{AUTO}", params=order())
    server.raw(AUTO, content=form(order(location="x" * 500)))
    server.raw(AUTO, content=form(order(loginPassword=PASSWORD * 10)))
    server.post(CLICK, click(number))
    _call(make_app(store, body_timeout=0.01), [{"type": "http.request", "body": form(order()), "more_body": True}])
    monkeypatch.setattr(Store, "verify_login", _boom)
    server.post(AUTO, order())
    server.post(CLICK, click(number))
    server_side = [r for r in caplog.records if r.name.startswith(("conformance", "uvicorn"))]
    assert len(server_side) >= 11  # the app did log every answer
    logged = "".join(r.getMessage() + repr(r.args) for r in server_side)
    for secret in (PASSWORD, SASP, "Example Ltd", "High Street"):
        assert secret not in logged
