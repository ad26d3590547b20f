"""ASGI helpers shared by the reference server, client mode's recording and the tests' mutant servers.

The API's routes (:data:`ROUTES`, path -> endpoint, from the tables), reading a header of a scope
or a ``http.response.start`` message, reading a whole request body, and sending a whole answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import Any, Final

import codec

__all__ = ["ROUTES", "App", "Message", "Receive", "Scope", "Send", "header", "read_body", "send_response"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

ROUTES: Final = {codec.endpoint_spec(name).path: name for name in codec.ENDPOINTS}
"""``/products/!AutoApplyIdA`` -> ``AutoApplyIdA``: every endpoint of the tables at its path."""


def header(scope: Mapping[str, Any], name: bytes) -> str | None:
    """The first header *name* (lower case) of an ASGI scope or ``http.response.start`` message."""
    for key, value in scope.get("headers", ()):
        if bytes(key).lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def read_body(receive: Receive) -> bytes:
    """The whole request body (what arrived, if the client disconnects first)."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return bytes(body)
        body += message.get("body", b"")
        if not message.get("more_body", False):
            return bytes(body)


async def send_response(
    send: Send, status: int, content_type: str, body: bytes, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    """Send a whole answer: *status*, Content-Type, Content-Length and *headers*, then *body*."""
    head = [(b"content-type", content_type.encode("latin-1")), (b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})
