"""The data every benchmark uses: realistic requests and responses of both endpoints.

The full AutoApplyIdA request sends 26 of the 27 variables -- every one but ``saspSessionID``,
which the tables make exclusive with ``loginName``/``loginPassword`` (a valid request carries one
login style) -- with realistic values: spaces, punctuation, and some non-ASCII text.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import codec
from codec import (
    AutoApplyIdARequest,
    AutoApplyIdAResponse,
    UpdateUserEvClickThroughRequest,
    UpdateUserEvClickThroughResponse,
)

AUTO = codec.AUTO_APPLY_IDA
CLICK = codec.UPDATE_USER_EV_CLICK_THROUGH

AUTO_REQUEST = AutoApplyIdARequest(
    login_name="reseller-4711",
    login_password="c0rrect horse&battery=staple!",
    product=(36, 37),
    days=730,
    location="https://www.example-shop.de/checkout/secure?lang=de",
    organization_name="Müller & Söhne Feinkost GmbH",
    organizational_unit_name="E-Commerce / Online-Shop",
    post_office_box="Postfach 10 20 30",
    street_address1="Königsallee 27-29",
    street_address2="3. Etage, Büro 3.14",
    street_address3="c/o Zentralverwaltung",
    locality_name="Düsseldorf",
    state_or_province_name="Nordrhein-Westfalen",
    postal_code="40212",
    country_name="DE",
    duns_number="31-502-6581",
    company_number="HRB 123456",
    email_address="webmaster+ssl@example-shop.de",
    is_customer_validated=False,
    foreign_order_number="PO-2024-000123",
    check_fon_is_unique=True,
    response_format=1,
    test=True,
    ida_email_address="ida.contact@example-shop.de",
    ida_telephone_number="+49 211 555 0199",
    ida_fax_number="+49 211 555 0198",
)

CLICK_REQUEST = UpdateUserEvClickThroughRequest(
    login_name="reseller-4711",
    login_password="c0rrect horse&battery=staple!",
    action="ReplaceMailAddress",
    order_number="12345678",
    admin_email_address="security.admin+ev@example-shop.de",
)

REQUESTS: dict[str, Any] = {AUTO: AUTO_REQUEST, CLICK: CLICK_REQUEST}

# responses: (label, endpoint, response format or None, typed response); the bodies are what the
# codec's server half writes for them
_ORDER_PLACED = AutoApplyIdAResponse(
    error_code=0, order_number=1234567, total_cost=Decimal("69.00"), expected_delivery_time=24
)
_REFUSED = AutoApplyIdAResponse(error_code=-4, error_message="The value of the 'postalCode' argument is invalid!")
RESPONSES: list[tuple[str, str, int | None, Any]] = [
    (f"{AUTO} fmt{fmt} {outcome}", AUTO, fmt, response)
    for fmt in (0, 1)
    for outcome, response in (("success", _ORDER_PLACED), ("error", _REFUSED))
]
RESPONSES += [
    (
        f"{CLICK} success",
        CLICK,
        None,
        UpdateUserEvClickThroughResponse(
            error_code=0, error_message="", status=1, description="Click-through email sent"
        ),
    ),
    (
        f"{CLICK} error",
        CLICK,
        None,
        UpdateUserEvClickThroughResponse(
            error_code=-3, error_message="The 'orderNumber' argument is missing!", status=0, description="Not found"
        ),
    ),
]
