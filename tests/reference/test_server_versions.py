"""The reference server speaks a document version (issue 13 item 2): ``serve --version`` (the
``--version`` syntax of :mod:`conformance.versions`), the app's ``versions``, and the price of a
product a regenerated table added."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

import codec
from conformance.reference.answers import Prices
from conformance.reference.app import make_app
from conformance.reference.store import Store
from conformance.versions import describe, parse_versions
from spec.render import ROOT
from tests.support.server import FAST, PASSWORD, order

AUTO, CLICK = codec.AUTO_APPLY_IDA, codec.UPDATE_USER_EV_CLICK_THROUGH


def test_version_options() -> None:
    assert parse_versions([]) == {}
    assert parse_versions(["autoapplyida=1.03"]) == {AUTO: "1.03"}
    assert parse_versions(["1.02"]) == {AUTO: "1.02", CLICK: "1.02"}  # every endpoint that has it
    assert parse_versions(["1.04", "!UpdateUserEvClickThrough=1.01"]) == {AUTO: "1.04", CLICK: "1.01"}
    assert parse_versions(["1.05", "AutoApplyIdA=1.05"]) == {AUTO: "1.05"}
    for bad, says in [
        (["9.99"], "no endpoint has version '9.99'"),
        (["AutoApplyIdA=1.06"], "unknown version '1.06' of AutoApplyIdA; known: 1.00"),
        (["Nope=1.00"], "unknown endpoint 'Nope'"),
        (["1.02", "AutoApplyIdA=1.03"], "AutoApplyIdA is given two versions, 1.02 and 1.03"),
    ]:
        with pytest.raises(ValueError, match=says):
            parse_versions(bad)
    assert describe({AUTO: "1.03"}) == "AutoApplyIdA 1.03, UpdateUserEvClickThrough 1.02 (newest)"


@pytest.fixture
def store() -> Iterator[Store]:
    with Store(":memory:", pbkdf2_iterations=FAST) as s:
        s.add_account("alice", PASSWORD, credit=Decimal("1000.00"))
        yield s


def _post(app: object, fields: dict[str, str]) -> codec.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
            return await client.post(f"/products/!{AUTO}", data=fields)

    response = asyncio.run(send())
    return codec.decode_response(AUTO, response.content, content_type=response.headers["content-type"])


def test_the_reference_server_speaks_the_version_it_is_given(store: Store) -> None:
    later = order(checkFONIsUnique="Y", foreignOrderNumber="fon-1")  # variables of 1.03 and 1.04
    newest, old = make_app(store), make_app(store, versions={AUTO: "1.02"})
    assert _post(newest, later).error_code == 0
    assert _post(old, later).error_code == -2  # AutoApplyIdA's -2 names no argument
    assert _post(make_app(store, versions={AUTO: "1.03"}), later).error_code == -2  # checkFONIsUnique is 1.04's
    assert _post(old, order()).error_code == 0
    with pytest.raises(codec.UnknownVersion):
        make_app(store, versions={AUTO: "0.99"})


def test_a_product_the_price_list_does_not_name_costs_the_default_price() -> None:
    packaged = Prices.load()
    assert packaged.default == Decimal("49.00")
    assert packaged.cost((36, 99), 730) == packaged.cost((36,), 730) + Decimal("98.00")
    with pytest.raises(KeyError):
        Prices({36: Decimal("1.00")}).cost((37,), 365)  # a list without a default stays strict


def test_serve_refuses_a_version_no_table_has() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "conformance", "serve", "--version", "AutoApplyIdA=0.99", "--db", ":memory:"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert (
        result.stderr
        == "serve: --version AutoApplyIdA=0.99: unknown version '0.99' of AutoApplyIdA; known: 1.00, 1.01, 1.02, 1.03, 1.04, 1.05\n"
    )
