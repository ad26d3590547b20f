"""Typed requests and responses of both endpoints: frozen attrs classes.

Attribute names are the Python spellings of the wire names (``checkFONIsUnique`` ->
``check_fon_is_unique``); the map between them, like every limit and allowed value, lives in the
tables (``codec/_tables.py``), and ``tests/test_codec_models.py`` checks that these classes have
exactly the tables' variables.  Values are typed: ``days`` and order numbers are ``int``, amounts
``Decimal``, ``product`` a tuple of product numbers, the Y/N flags ``bool``.

``loginPassword`` and ``saspSessionID`` never appear in a repr.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from .errors import Deviation

__all__ = [
    "REDACTED",
    "AutoApplyIdARequest",
    "AutoApplyIdAResponse",
    "EncodedResponse",
    "ErrorDetail",
    "HttpRequest",
    "UpdateUserEvClickThroughRequest",
    "UpdateUserEvClickThroughResponse",
]

REDACTED = "<redacted>"


def _redact(value: object) -> str:
    return "None" if value is None else REDACTED


_str = attrs.validators.instance_of(str)
_opt_str = attrs.validators.optional(_str)
_opt_bool = attrs.validators.optional(attrs.validators.instance_of(bool))
_opt_int = attrs.validators.optional(attrs.validators.instance_of(int))


def _int(inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{attr.name} must be an int, got {type(value).__name__}")


def _products(inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, tuple) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise TypeError(f"{attr.name} must be a tuple of ints, got {value!r}")


def _to_products(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    return value


@attrs.frozen(kw_only=True)
class AutoApplyIdARequest:
    """An !AutoApplyIdA order.  Fields in the document's order; see spec/tables/AutoApplyIdA.json."""

    login_name: str | None = attrs.field(default=None, validator=_opt_str)
    login_password: str | None = attrs.field(default=None, validator=_opt_str, repr=_redact)
    sasp_session_id: str | None = attrs.field(default=None, validator=_opt_str, repr=_redact)
    product: tuple[int, ...] = attrs.field(converter=_to_products, validator=_products)
    days: int = attrs.field(validator=_int)
    location: str = attrs.field(validator=_str)
    organization_name: str = attrs.field(validator=_str)
    organizational_unit_name: str | None = attrs.field(default=None, validator=_opt_str)
    post_office_box: str | None = attrs.field(default=None, validator=_opt_str)
    street_address1: str = attrs.field(validator=_str)
    street_address2: str | None = attrs.field(default=None, validator=_opt_str)
    street_address3: str | None = attrs.field(default=None, validator=_opt_str)
    locality_name: str = attrs.field(validator=_str)
    state_or_province_name: str = attrs.field(validator=_str)
    postal_code: str = attrs.field(validator=_str)
    country_name: str = attrs.field(validator=_str)
    duns_number: str | None = attrs.field(default=None, validator=_opt_str)
    company_number: str | None = attrs.field(default=None, validator=_opt_str)
    email_address: str | None = attrs.field(default=None, validator=_opt_str)
    is_customer_validated: bool = attrs.field(validator=attrs.validators.instance_of(bool))
    foreign_order_number: str | None = attrs.field(default=None, validator=_opt_str)
    check_fon_is_unique: bool | None = attrs.field(default=None, validator=_opt_bool)
    response_format: int | None = attrs.field(default=None, validator=_opt_int)
    test: bool | None = attrs.field(default=None, validator=_opt_bool)
    ida_email_address: str | None = attrs.field(default=None, validator=_opt_str)
    ida_telephone_number: str | None = attrs.field(default=None, validator=_opt_str)
    ida_fax_number: str | None = attrs.field(default=None, validator=_opt_str)

    ENDPOINT = "AutoApplyIdA"


@attrs.frozen(kw_only=True)
class UpdateUserEvClickThroughRequest:
    """An !UpdateUserEvClickThrough request; see spec/tables/UpdateUserEvClickThrough.json."""

    login_name: str = attrs.field(validator=_str)
    login_password: str = attrs.field(validator=_str, repr=_redact)
    action: str = attrs.field(validator=_str)
    order_number: str = attrs.field(validator=_str)
    admin_email_address: str | None = attrs.field(default=None, validator=_opt_str)

    ENDPOINT = "UpdateUserEvClickThrough"


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


@attrs.frozen(kw_only=True)
class AutoApplyIdAResponse:
    """Either format of an !AutoApplyIdA answer (status code = errorCode, amount = totalCost,
    hours = expectedDeliveryTime).  ``deviations`` lists how the decoded body departed from the
    documents' letter (lenient decoding only); it does not take part in equality."""

    error_code: int = attrs.field(validator=_int)
    error_message: str | None = attrs.field(default=None, validator=_opt_str)
    order_number: int | None = attrs.field(default=None, validator=_opt_int)
    total_cost: Decimal | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(Decimal))
    )
    expected_delivery_time: int | None = attrs.field(default=None, validator=_opt_int)
    deviations: tuple[Deviation, ...] = attrs.field(default=(), eq=False, repr=False)

    ENDPOINT = "AutoApplyIdA"


@attrs.frozen(kw_only=True)
class UpdateUserEvClickThroughResponse:
    """An !UpdateUserEvClickThrough answer."""

    error_code: int = attrs.field(validator=_int)
    error_message: str | None = attrs.field(default=None, validator=_opt_str)
    status: int | None = attrs.field(default=None, validator=_opt_int)
    description: str | None = attrs.field(default=None, validator=_opt_str)
    deviations: tuple[Deviation, ...] = attrs.field(default=(), eq=False, repr=False)

    ENDPOINT = "UpdateUserEvClickThrough"


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
