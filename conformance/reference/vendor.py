"""The reference vendor: what it does with a request, transport aside.

A request is decoded by the codec's server half (:meth:`Vendor.decode`, so codec and server
cannot disagree) and a rejected one answered with its code (:func:`~conformance.reference.answers.refused`);
a valid one is answered as its endpoint's behaviour says (:meth:`Vendor.answer` dispatches on
:data:`conformance.endpoints.BEHAVIOUR`, where each endpoint's rules are documented: wrong
credentials, credit, test orders, delivery times, unique foreign order numbers, click-through
statuses).

:class:`Vendor` methods that touch the store are synchronous; the app runs them on the store's
worker thread (:meth:`conformance.reference.store.Store.run`), so each request's reads and writes are one
serialized unit and an acknowledged order is committed before its answer is encoded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import codec

from ..asgi import method_refusal
from ..endpoints import behaviour
from .answers import Answer, Prices
from .records import Account
from .store import Store

__all__ = ["Vendor"]


class Vendor:
    """The vendor over a :class:`~conformance.reference.store.Store` (see the module docstring).

    *strict* picks the notes' strict readings when decoding requests (False: the lenient ones);
    *versions* the document version each endpoint speaks (``{endpoint: version}``; an endpoint
    not named speaks its newest document): its requests are judged, and its answers worded and
    laid out, by that version's table."""

    def __init__(
        self,
        store: Store,
        *,
        prices: Prices | None = None,
        strict: bool = True,
        versions: Mapping[str, str] | None = None,
    ) -> None:
        self.store = store
        self.prices = prices if prices is not None else Prices.load()
        self.strict = strict
        self.versions: Mapping[str, str] = {
            codec.canonical_endpoint(name): codec.endpoint_spec(name, version).version
            for name, version in (versions or {}).items()
        }

    def version(self, endpoint: str) -> str | None:
        """The document version *endpoint* speaks (None: its newest)."""
        return self.versions.get(endpoint)

    def spec(self, endpoint: str) -> codec.EndpointSpec:
        """*endpoint*'s table, bound to the version it speaks."""
        return codec.endpoint_spec(endpoint, self.versions.get(endpoint))

    # ------------------------------------------------------------------ decoding (no store)

    def decode(self, endpoint: str, body: bytes, *, method: str, scheme: str, content_type: str | None) -> Any:
        """The typed request, or :class:`codec.RequestRejected` (answered with :func:`~.answers.refused`).

        A method that is not exactly POST earns -17 (:func:`conformance.asgi.method_refusal`)."""
        version = self.versions.get(endpoint)
        refusal = method_refusal(endpoint, method, version)
        if refusal is not None:
            raise refusal
        return codec.decode_request(
            endpoint, body, method=method, scheme=scheme, content_type=content_type, strict=self.strict, version=version
        )

    # ------------------------------------------------------------------ answering (store thread)

    def answer(self, endpoint: str, request: Any) -> Answer:
        """Answer a decoded request as its endpoint's behaviour says (:data:`conformance.endpoints.BEHAVIOUR`);
        runs on the store's thread.  May raise on an internal failure (the app answers -14)."""
        return behaviour(endpoint).answer(self, request)

    def login(self, request: Any) -> Account | None:
        """The account the request's login (or SASP session) stands for; None when it is wrong."""
        session = getattr(request, "sasp_session_id", None)
        if session is not None:
            return self.store.account_for_session(session)
        if request.login_name is None or request.login_password is None:
            return None
        return self.store.verify_login(request.login_name, request.login_password)
