"""Typed values of the codec.

The request and response classes of every endpoint (``AutoApplyIdARequest``,
``AutoApplyIdAResponse``, ...), their ``Request`` / ``Response`` unions and the
``REQUEST_CLASSES`` / ``RESPONSE_CLASSES`` maps are generated from the tables into
``codec/_models.py`` by ``python -m spec regenerate`` (a variable added to a document is an
attribute after one regenerate) and re-exported here.  Attribute names are the tables' Python
spellings of the wire names (``checkFONIsUnique`` -> ``check_fon_is_unique``).  Values are typed:
``days`` and order numbers are ``int``, amounts ``Decimal``, ``product`` a tuple of product
numbers, the Y/N flags ``bool``; ``loginPassword`` and ``saspSessionID`` never appear in a repr.

Written by hand here: what is not made from the tables -- :class:`HttpRequest`,
:class:`EncodedResponse`, :class:`ErrorDetail` and :class:`RequestFault`.
"""

from __future__ import annotations

import attrs

from ._models import (
    REQUEST_CLASSES,
    RESPONSE_CLASSES,
    AutoApplyIdARequest,
    AutoApplyIdAResponse,
    Request,
    Response,
    UpdateUserEvClickThroughRequest,
    UpdateUserEvClickThroughResponse,
)
from ._validators import REDACTED

__all__ = [
    "REDACTED",
    "REQUEST_CLASSES",
    "RESPONSE_CLASSES",
    "AutoApplyIdARequest",
    "AutoApplyIdAResponse",
    "EncodedResponse",
    "ErrorDetail",
    "HttpRequest",
    "Request",
    "RequestFault",
    "Response",
    "UpdateUserEvClickThroughRequest",
    "UpdateUserEvClickThroughResponse",
]


@attrs.frozen
class ErrorDetail:
    """An error code with the structure recovered from its message.

    ``argument`` is the variable a -2/-3/-4 message names, ``country`` the one a -7 message names;
    ``matches_template`` says whether the message is the table's template (free-text messages,
    like -20's, always match).
    """

    code: int
    message: str | None
    argument: str | None = None
    country: str | None = None
    matches_template: bool = True


@attrs.frozen
class HttpRequest:
    """What the client half asks the caller to send: method, full URL, path, headers, body."""

    method: str
    url: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")


@attrs.frozen
class EncodedResponse:
    """What the server half asks the caller to answer (always HTTP 200): content type and body."""

    content_type: str
    body: bytes
    status: int = 200


@attrs.frozen
class RequestFault:
    """One rule a received request breaks (:func:`codec.request_faults` lists them all).

    ``code`` is the vendor error code it earns, ``field`` the variable at fault (None for a name
    that is no variable, the method or the scheme), ``rule`` the table rule broken
    (``required``, ``max_length``, ``allowed``, ``unrecognised``, ...), ``argument`` what the
    vendor's message names (the variable as sent, or the country; None when the template names
    nothing), ``row`` the table row (``AutoApplyIdA.request.days.allowed``), ``message`` the
    vendor's message for it and ``detail`` the whole explanation -- for the fault the vendor
    answers, the message of the :class:`~codec.RequestRejected` that ``decode_request`` raises.
    """

    code: int
    field: str | None
    rule: str
    argument: str | None
    row: str
    message: str
    detail: str
