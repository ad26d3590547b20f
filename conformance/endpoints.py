"""Every piece of per-endpoint behaviour the kit needs, in one module.

The tables (``python -m spec regenerate``) give each endpoint its variables, codes, messages,
statuses and formats, and the codec, the judge, the strategies, the check families and client
mode read them and need nothing else.  What the tables cannot say is here, one
:class:`Behaviour` per endpoint in :data:`BEHAVIOUR`:

``answer``
    what the reference vendor does with a decoded request
    (:class:`~conformance.reference.vendor.Vendor` dispatches on it);
``places_orders``
    whether the kit places its test orders (for checks that need an order, such as click-through
    on an order the run made) with this endpoint (:func:`place_order`);
``stateful``
    which stateful checks (:data:`conformance.checks.stateful.MACHINES`) apply to it.

Adding an endpoint: put its document in ``spec/sources/``, run ``python -m spec regenerate``, and
add its :class:`Behaviour` here (importing this module fails until every endpoint has one).

The reference vendor's behaviour follows ``spec/readings.toml``; every code, message, status and
description comes from the codec's tables (``codec.error_response``, ``codec.message_for``,
``EndpointSpec.policy`` / ``.statuses``); this module only names the codes and values it branches
on, and checks at import that the tables still have them:

!AutoApplyIdA
    wrong login or unknown saspSessionID -> -16; with checkFONIsUnique=Y a foreignOrderNumber this
    account used before -> ``policy.fon_not_unique_code`` naming foreignOrderNumber; an account with
    payment_required -> status 1 (nothing debited); otherwise the cost (``prices.toml``) is debited,
    and -15 when the credit is short -- except test orders (test=Y), which are answered like any
    other but debit nothing and never earn -15.  Expected delivery: isCustomerValidated=Y -> 1 (24
    for an account whose orders await an account manager's approval); N -> 48, or 1 when this
    account already has a validated order for the same organizationName and countryName.
!UpdateUserEvClickThrough
    wrong login -> -16; an order number this account does not have -> -20 with
    ``policy.click_through_unknown_order_message`` (also any text that is not an order number as
    the server gives them: see :func:`~conformance.reference.records.order_number_named`); an order placed with isCustomerValidated=Y
    needs no click-through -> status 0 (note action-status-zero); ResendEmail -> 1;
    ReplaceMailAddress -> 1 storing the new address, or 2 when it is the current one.  Each
    request on an order of the account is recorded as a click-through event.

The answers run on the store's worker thread (:meth:`conformance.reference.store.Store.run`), so
each request's reads and writes are one serialized unit and an acknowledged order is committed
before its answer is encoded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol

import attrs

import codec
from codec import AUTO_APPLY_IDA, UPDATE_USER_EV_CLICK_THROUGH

from .formats import default_format
from .judge import Expectation, judge_response, success_codes
from .reference.answers import INVALID, UNKNOWN_ERROR, UNRECOGNISED, Answer, Prices
from .reference.records import VALIDATED, Account, order_number_named
from .reference.store import Store
from .results import Exchange

__all__ = [
    "BEHAVIOUR",
    "Behaviour",
    "OrderUnavailable",
    "VendorState",
    "answer_auto_apply_ida",
    "answer_update_user_ev_click_through",
    "behaviour",
    "ordering_endpoint",
    "place_order",
]

# The codes, statuses, actions and delivery hours this module branches on.  Their messages and
# descriptions are never typed here: they are read from the tables, which must still have them.
SUCCESSFUL: Final = 0
PAYMENT_REQUIRED: Final = 1
NOT_ENOUGH_CREDIT: Final = -15
PERMISSION_DENIED: Final = -16
ORDER_ERROR: Final = -20

STATUS_NOT_RELEVANT: Final = 0
STATUS_COMPLETED: Final = 1
STATUS_SAME_ADDRESS: Final = 2
REPLACE_MAIL_ADDRESS: Final = "ReplaceMailAddress"
RESEND_EMAIL: Final = "ResendEmail"

HOURS_VALIDATED: Final = 1
HOURS_AWAITING_APPROVAL: Final = 24
HOURS_AWAITING_DOCUMENTS: Final = 48


def _check_tables(spec: codec.EndpointSpec) -> None:
    """Fail at import, not at request time, if a table (of any kept document version) lost
    something this module relies on.  An action the answers do not name (a new one) is answered
    like ResendEmail; ReplaceMailAddress is handled only while the table has it."""
    wanted = {
        AUTO_APPLY_IDA: {SUCCESSFUL, PAYMENT_REQUIRED, UNRECOGNISED, INVALID, UNKNOWN_ERROR, NOT_ENOUGH_CREDIT},
        UPDATE_USER_EV_CLICK_THROUGH: {SUCCESSFUL, UNRECOGNISED, INVALID, UNKNOWN_ERROR, ORDER_ERROR},
    }
    where = f"{spec.name} {spec.version}"
    missing = (wanted[spec.name] | {PERMISSION_DENIED, spec.policy.fon_not_unique_code}) - spec.codes.keys()
    if missing:
        raise RuntimeError(f"{where}: the tables have no code {sorted(missing)}")
    if spec.name == UPDATE_USER_EV_CLICK_THROUGH:
        if {STATUS_NOT_RELEVANT, STATUS_COMPLETED} - spec.statuses.keys():
            raise RuntimeError(f"{where}: the tables lost a status")
        same = spec.statuses.get(STATUS_SAME_ADDRESS)
        if REPLACE_MAIL_ADDRESS in spec.actions and (same is None or REPLACE_MAIL_ADDRESS not in same.actions):
            raise RuntimeError(f"{where}: ReplaceMailAddress without its status {STATUS_SAME_ADDRESS}")
    if spec.name == AUTO_APPLY_IDA:
        hours = {m.hours for m in spec.expected_delivery_meanings}
        if {HOURS_VALIDATED, HOURS_AWAITING_APPROVAL, HOURS_AWAITING_DOCUMENTS} - hours:
            raise RuntimeError(f"{where}: the tables lost an expected delivery time")


for _name, _versions in codec.DOCUMENT_VERSIONS.items():
    for _version in _versions:
        _check_tables(codec.endpoint_spec(_name, _version))


class VendorState(Protocol):
    """What an endpoint's answer needs of the vendor: its store, its prices, who logged in, and
    the document version (and so the table) each endpoint speaks."""

    store: Store
    prices: Prices

    def login(self, request: Any) -> Account | None: ...

    def spec(self, endpoint: str) -> codec.EndpointSpec: ...

    def version(self, endpoint: str) -> str | None: ...


# ---------------------------------------------------------------------------- the vendor's answers


def answer_auto_apply_ida(vendor: VendorState, request: codec.AutoApplyIdARequest) -> Answer:
    """Place an order (see the module docstring for the rules), answering as the table of the
    version the vendor speaks says.  Variables a version may lack (the foreign order number, its
    check, test, the alternative e-mail address) are read as absent when its request has none."""
    spec, version = vendor.spec(AUTO_APPLY_IDA), vendor.version(AUTO_APPLY_IDA)
    requested = getattr(request, "response_format", None)
    fmt = requested if requested is not None else default_format(AUTO_APPLY_IDA, version)

    def error(code: int, argument: str | None = None) -> Answer:
        return Answer(codec.error_response(AUTO_APPLY_IDA, code, argument, version=version), fmt, version=version)

    login = vendor.login(request)
    if login is None:
        return error(PERMISSION_DENIED)
    cost = vendor.prices.cost(request.product, request.days)
    country = request.country_name.upper()
    fon = getattr(request, "foreign_order_number", None)
    test = bool(getattr(request, "test", None))
    store = vendor.store
    with store.transaction():
        unique = getattr(request, "check_fon_is_unique", None)
        if unique and fon is not None and store.foreign_order_number_used(login.name, fon):
            return error(spec.policy.fon_not_unique_code, spec.by_key["foreignordernumber"].name)
        account = store.get_account(login.name)
        if account is None:  # removed since the login was checked
            return error(PERMISSION_DENIED)
        debit = not account.payment_required and not test
        if debit and account.credit < cost:
            return error(NOT_ENOUGH_CREDIT)
        if request.is_customer_validated:
            hours = HOURS_AWAITING_APPROVAL if account.manual_approval else HOURS_VALIDATED
        elif store.has_validated_order(account.name, request.organization_name, country):
            hours = HOURS_VALIDATED
        else:
            hours = HOURS_AWAITING_DOCUMENTS
        order = store.insert_order(
            account.name,
            products=request.product,
            days=request.days,
            cost=cost,
            customer_validated=request.is_customer_validated,
            organization_name=request.organization_name,
            country_name=country,
            foreign_order_number=fon,
            admin_email=getattr(request, "email_address", None),
            test=test,
        )
        if debit:
            store.debit(account.name, cost)
    code = PAYMENT_REQUIRED if account.payment_required else SUCCESSFUL
    response = codec.AutoApplyIdAResponse(
        error_code=code,
        # note format1-success-message: no message with 0; note format1-status1: 1 carries both
        error_message=None if code == SUCCESSFUL else codec.message_for(spec, code),
        order_number=order.order_number,
        total_cost=cost,
        expected_delivery_time=hours,
    )
    return Answer(response, fmt, order.order_number, version)


def answer_update_user_ev_click_through(vendor: VendorState, request: codec.UpdateUserEvClickThroughRequest) -> Answer:
    """Re-send or re-address an order's click-through e-mail (see the module docstring), as the
    table of the version the vendor speaks says: ReplaceMailAddress only while it has that action
    (the codec refuses it otherwise); any other action is answered as ResendEmail is."""
    endpoint = UPDATE_USER_EV_CLICK_THROUGH
    spec, version = vendor.spec(endpoint), vendor.version(endpoint)
    account = vendor.login(request)
    if account is None:
        return Answer(codec.error_response(endpoint, PERMISSION_DENIED, version=version), version=version)
    sent = request.order_number
    number = order_number_named(sent)  # None: names no order (leading zeros, a sign, over 2**63 - 1...)
    store = vendor.store
    with store.transaction():
        order = store.get_order(number) if number is not None else None
        if order is None or order.account != account.name:
            message = spec.policy.click_through_unknown_order_message.replace("xxxx", sent, 1)
            unknown = codec.error_response(endpoint, ORDER_ERROR, version=version)
            return Answer(attrs.evolve(unknown, error_message=message), version=version)
        action = next((a for a in spec.actions if a.casefold() == request.action.casefold()), request.action)
        address = getattr(request, "admin_email_address", None)
        if order.state == VALIDATED:
            status = STATUS_NOT_RELEVANT
        elif action == REPLACE_MAIL_ADDRESS and address == order.admin_email:
            status = STATUS_SAME_ADDRESS
        elif action == REPLACE_MAIL_ADDRESS:
            store.set_admin_email(order.order_number, address)
            status = STATUS_COMPLETED
        else:
            status = STATUS_COMPLETED
        store.record_click_through(order.order_number, action, address, status)
    response = codec.UpdateUserEvClickThroughResponse(
        error_code=SUCCESSFUL,
        error_message=codec.message_for(spec, SUCCESSFUL),
        status=status,
        description=spec.statuses[status].description,
    )
    return Answer(response, None, order.order_number, version)


# ---------------------------------------------------------------------------- orders for the checks


class OrderUnavailable(Exception):
    """No order could be placed for the checks that need one (they are skipped)."""


class OrderingRun(Protocol):
    """What placing a test order needs of a run (a :class:`~conformance.context.RunContext`)."""

    def baseline(self, endpoint: str) -> dict[str, str]: ...

    def send(self, endpoint: str, fields: Mapping[str, str]) -> Exchange: ...


def place_order(run: OrderingRun, *, validated: str = "N") -> str:
    """Place a test order (test=Y, as every order the kit sends) with the ordering endpoint and
    return its number; :class:`OrderUnavailable` with the reason when the server gives none.
    *validated*: isCustomerValidated (N: the order awaits a click-through)."""
    endpoint = ordering_endpoint()
    wire = run.baseline(endpoint)
    wire["isCustomerValidated"] = validated
    wire["responseFormat"] = "1"
    exchange = run.send(endpoint, wire)
    verdict = judge_response(exchange, Expectation(codes=success_codes(endpoint), row=f"{endpoint}.codes"))
    if verdict.response is None or verdict.response.order_number is None:
        reason = "; ".join(f.message for f in verdict.findings) or "no order number"
        raise OrderUnavailable(f"could not place a test order to click through: {reason}")
    return str(verdict.response.order_number)


# ---------------------------------------------------------------------------- the table


@attrs.frozen(kw_only=True)
class Behaviour:
    """What the kit does per endpoint beyond the tables (see the module docstring)."""

    answer: Callable[[VendorState, Any], Answer]
    places_orders: bool = False
    stateful: tuple[str, ...] = ()


BEHAVIOUR: Final[Mapping[str, Behaviour]] = {
    AUTO_APPLY_IDA: Behaviour(answer=answer_auto_apply_ida, places_orders=True, stateful=("foreign-order-number",)),
    UPDATE_USER_EV_CLICK_THROUGH: Behaviour(answer=answer_update_user_ev_click_through, stateful=("click-through",)),
}


def behaviour(endpoint: str) -> Behaviour:
    """The :class:`Behaviour` of *endpoint* (any case)."""
    return BEHAVIOUR[codec.canonical_endpoint(endpoint)]


def ordering_endpoint() -> str:
    """The endpoint the kit places its test orders with."""
    return next(name for name, b in BEHAVIOUR.items() if b.places_orders)


def _check_behaviour() -> None:
    """Fail at import if an endpoint of the tables has no behaviour, or none places orders."""
    missing = sorted(set(codec.ENDPOINTS) - BEHAVIOUR.keys())
    if missing:
        raise RuntimeError(f"no behaviour for {', '.join(missing)}: add it to conformance/endpoints.py")
    if sum(b.places_orders for b in BEHAVIOUR.values()) != 1:
        raise RuntimeError("exactly one endpoint must place the kit's test orders (conformance/endpoints.py)")


_check_behaviour()
