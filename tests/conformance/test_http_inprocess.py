"""The in-process transport (conformance.http.ASGITransport): the client's promises over an ASGI
app -- the answer whole, the body cap, the deadline, user information refused, thread-safe."""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

import pytest

from conformance.http import AnswerTooLarge, ASGITransport, ExchangeTimeout, InvalidRequest, Limits


async def _echo(scope: Any, receive: Any, send: Any) -> None:
    body = (await receive())["body"]
    if scope["path"] == "/slow":
        await asyncio.sleep(5)
    size = 2000 if scope["path"] == "/big" else 0
    answer = f"{scope['method']} {scope['scheme']} {scope['path']}?{scope['query_string'].decode()} ".encode() + body
    headers = [(b"content-type", b"text/plain"), (b"content-encoding", b"identity")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": answer, "more_body": bool(size)})
    if size:
        await send({"type": "http.response.body", "body": b"x" * size})


def test_an_exchange_with_an_app_in_this_process() -> None:
    with ASGITransport(_echo) as transport:
        r = transport.request("post", "https://testserver/products/!X?a=1", body=b"k=v", headers=[("X-A", "b")])
        assert (r.status, r.content_type, r.content_encoding) == (200, "text/plain", "identity")
        assert r.body == b"post https /products/!X?a=1 k=v"  # the method as sent
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            bodies = list(pool.map(lambda i: transport.request("POST", f"http://h/{i}").body, range(20)))
        assert bodies == [f"POST http /{i}? ".encode() for i in range(20)]


def test_the_body_cap_the_deadline_and_user_information() -> None:
    with ASGITransport(_echo, timeout=0.3, limits=Limits(max_body=1000)) as transport:
        with pytest.raises(AnswerTooLarge) as too_large:
            transport.request("POST", "http://h/big")
        assert too_large.value.status == 200 and len(too_large.value.partial) == 1000
        with pytest.raises(ExchangeTimeout):
            transport.request("POST", "http://h/slow")
        with pytest.raises(InvalidRequest):
            transport.request("POST", "http://bob:pw@h/")
