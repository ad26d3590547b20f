"""The reference server's answers: what it sends back, and the price list it charges from.

:class:`Answer` is a response and the format to encode it in; :class:`Prices` the simulator's own
price list (``prices.toml``).  :func:`unknown_error`, :func:`refused` and
:func:`oversized_answer` are the answers every endpoint gives alike (an internal failure, a
request the codec rejected, a body over the size limit); what each endpoint does with a valid
request is in :mod:`conformance.endpoints`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Final

import attrs

import codec
from codec import RequestRejected

from ..asgi import method_refusal
from ..formats import requested_format

__all__ = ["Answer", "Prices", "oversized_answer", "refused", "unknown_error"]

# the codes the answers here give; their messages are read from the tables
UNRECOGNISED: Final = -2
INVALID: Final = -4
UNKNOWN_ERROR: Final = -14

_CENT = Decimal("0.01")
_DAYS_PER_PRICE = 365


@attrs.frozen
class Answer:
    """A response, the format to encode it in and the document version whose table lays it out
    (None: the newest); ``order_number`` is for the log only."""

    response: Any
    response_format: int | None = None
    order_number: int | None = None
    version: str | None = None

    def encode(self) -> codec.EncodedResponse:
        """The HTTP body and content type (always status 200)."""
        return codec.encode_response(self.response, response_format=self.response_format, version=self.version)


@attrs.frozen
class Prices:
    """The simulator's own price list (``conformance/reference/prices.toml``; NOT the vendor's): the price of
    each product for 365 days, and the ``default`` price of a product the tables allow that the
    list does not name (one a regenerated table added)."""

    products: Mapping[int, Decimal]
    default: Decimal | None = None

    @classmethod
    def load(cls, path: str | Path | None = None) -> Prices:
        """Read *path*, or the packaged ``prices.toml``."""
        if path is None:
            text = resources.files("conformance.reference").joinpath("prices.toml").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        data = tomllib.loads(text)
        default = data.get("default", {}).get("price")
        return cls(
            {int(number): Decimal(entry["price"]) for number, entry in data["products"].items()},
            Decimal(default) if default is not None else None,
        )

    def price(self, product: int) -> Decimal:
        """The price of *product* for 365 days; KeyError when neither it nor a default is listed."""
        found = self.products.get(product, self.default)
        if found is None:
            raise KeyError(product)
        return found

    def cost(self, products: Iterable[int], days: int) -> Decimal:
        """Sum over the distinct *products* of price * days / 365, rounded half-up to cents.
        A product without a price (and no default) raises KeyError (the app answers -14)."""
        total = sum((self.price(p) * days / _DAYS_PER_PRICE for p in sorted(set(products))), Decimal(0))
        return total.quantize(_CENT, rounding=ROUND_HALF_UP)


def unknown_error(
    endpoint: str, response_format: int | None, order_number: int | None = None, *, version: str | None = None
) -> Answer:
    """-14 (An unknown error occurred!) in the requested format, as document *version* words it."""
    return Answer(
        codec.error_response(endpoint, UNKNOWN_ERROR, version=version), response_format, order_number, version
    )


def refused(
    endpoint: str, exc: RequestRejected, response_format: int | None = None, *, version: str | None = None
) -> Answer:
    """The answer to a request the codec rejected: its code and argument, in its format (or in
    *response_format* when given), as document *version* words it."""
    code = exc.code if exc.code is not None else UNKNOWN_ERROR  # RequestRejected always has one
    fmt = exc.response_format if response_format is None else response_format
    return Answer(codec.error_response(endpoint, code, exc.argument, version=version), fmt, version=version)


def oversized_answer(
    endpoint: str, received: bytes, limit: int, *, method: str, scheme: str, version: str | None = None
) -> Answer:
    """The answer to a body longer than *limit* bytes, of which *received* (at least *limit* + 1
    bytes) arrived.  -17 (any method but POST: :func:`conformance.asgi.method_refusal`) and -1
    keep their precedence; otherwise -4 naming the variable whose
    value was being read at byte *limit* (as the client spelled it), or -2 when that name is not
    a variable of the endpoint (or the limit fell inside the name)."""
    prefix = received[:limit]
    refusal = method_refusal(endpoint, method, version)
    if refusal is not None:
        return refused(endpoint, refusal, version=version)
    fmt = requested_format(endpoint, prefix[: prefix.rfind(b"&") + 1], method, version)
    try:
        codec.decode_request(endpoint, b"", method=method, scheme=scheme, version=version)
    except RequestRejected as exc:
        if exc.rule in ("method", "https"):
            return refused(endpoint, exc, fmt, version=version)
    spec = codec.endpoint_spec(endpoint, version)
    start = prefix.rfind(b"&") + 1
    raw_name, equals, _ = prefix[start:].partition(b"=")
    try:
        pairs = codec.decode_form(raw_name)
        name = pairs[0][0] if pairs else ""
    except codec.FormError:
        name = raw_name.decode("utf-8", "replace")
    if equals and name.lower() in spec.by_key:
        return Answer(codec.error_response(endpoint, INVALID, name, version=version), fmt, version=version)
    return Answer(codec.error_response(endpoint, UNRECOGNISED, name, version=version), fmt, version=version)
