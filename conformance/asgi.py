"""ASGI helpers shared by the reference server, client mode's recording and the tests' mutant servers.

The API's routes (:data:`ROUTES`, path -> endpoint, from the tables), a request's method as sent
and the vendor's answer to a method that is not the endpoint's (:func:`method_refusal`), reading a
header of a scope or a ``http.response.start`` message, reading a whole request body, and sending
a whole answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import Any, Final

import codec

from .formats import default_format

__all__ = [
    "ROUTES",
    "App",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "header",
    "method_refusal",
    "read_body",
    "request_method",
    "send_response",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

ROUTES: Final = {codec.endpoint_spec(name).path: name for name in codec.ENDPOINTS}
"""``/products/!AutoApplyIdA`` -> ``AutoApplyIdA``: every endpoint of the tables at its path."""


WRONG_METHOD: Final = -17
_SHOWN_METHOD: Final = 32  # characters of a method a message shows (a peer's method may be long)


def request_method(scope: Mapping[str, Any]) -> str:
    """The request's method exactly as the client sent it: never upper-cased, because HTTP methods
    are case-sensitive (RFC 9110 section 9.1) -- ``post`` is a method of its own, not POST."""
    return str(scope.get("method", ""))


def method_refusal(endpoint: str, method: str, version: str | None = None) -> codec.RequestRejected | None:
    """The vendor's -17 when *method* is not exactly the endpoint's (POST), else None.

    The tables have one method error, -17 "Request used GET rather than POST!"; it is read as the
    answer to every method that is not POST -- GET, PUT, DELETE and ``post`` alike -- since the API
    takes POST alone and has no other code for it.  The rejection is the one
    :func:`codec.decode_request` raises for any method but POST (rule ``method``, the default
    response format: notes format-of-errors and method-not-post).  It is checked here too, before
    the codec, so that the answer does not wait for a body that is never decoded (an oversized
    one, see :func:`conformance.reference.answers.oversized_answer`)."""
    spec = codec.endpoint_spec(endpoint, version)
    if method == spec.method:
        return None
    shown = repr(method[:_SHOWN_METHOD]) + ("..." if len(method) > _SHOWN_METHOD else "")
    why = "; methods are case-sensitive" if method.upper() == spec.method else ""
    message = codec.message_for(spec, WRONG_METHOD) or ""
    return codec.RequestRejected(
        f"{spec.name}: method {shown}, not {spec.method}{why} (vendor error {WRONG_METHOD}: {message})",
        code=WRONG_METHOD,
        rule="method",
        response_format=default_format(endpoint, version) or 0,
    )


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
