"""What the vendor does with a request: the reference server's behaviour, transport aside.

Every code, message, status and description comes from the codec's tables (``codec.error_response``,
``codec.message_for``, ``EndpointSpec.policy`` / ``.statuses``); this module only names the codes
and values it branches on, and checks at import that the tables still have them.  The behaviour
follows ``spec/readings.toml``:

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
    ``policy.click_through_unknown_order_message``; an order placed with isCustomerValidated=Y
    needs no click-through -> status 0 (note action-status-zero); ResendEmail -> 1;
    ReplaceMailAddress -> 1 storing the new address, or 2 when it is the current one.  Each
    request on an order of the account is recorded as a click-through event.

:class:`Vendor` methods that touch the store are synchronous; the app runs them on the store's
worker thread (:meth:`conformance.store.Store.run`), so each request's reads and writes are one
serialized unit and an acknowledged order is committed before its answer is encoded.
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
from codec import AUTO_APPLY_IDA, UPDATE_USER_EV_CLICK_THROUGH, RequestRejected

from .store import VALIDATED, Account, Store

__all__ = [
    "ENDPOINTS",
    "Answer",
    "Prices",
    "Vendor",
    "default_format",
    "oversized_answer",
    "refused",
    "requested_format",
    "unknown_error",
]

ENDPOINTS: Final = (AUTO_APPLY_IDA, UPDATE_USER_EV_CLICK_THROUGH)

# The codes, statuses, actions and delivery hours this module branches on.  Their messages and
# descriptions are never typed here: they are read from the tables, which must still have them.
SUCCESSFUL: Final = 0
PAYMENT_REQUIRED: Final = 1
UNRECOGNISED: Final = -2
INVALID: Final = -4
UNKNOWN_ERROR: Final = -14
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

_AUTO = codec.endpoint_spec(AUTO_APPLY_IDA)
_CLICK = codec.endpoint_spec(UPDATE_USER_EV_CLICK_THROUGH)


def _check_tables() -> None:
    """Fail at import, not at request time, if the tables lost something this module relies on."""
    wanted = {
        AUTO_APPLY_IDA: {SUCCESSFUL, PAYMENT_REQUIRED, UNRECOGNISED, INVALID, UNKNOWN_ERROR, NOT_ENOUGH_CREDIT},
        UPDATE_USER_EV_CLICK_THROUGH: {SUCCESSFUL, UNRECOGNISED, INVALID, UNKNOWN_ERROR, ORDER_ERROR},
    }
    for name, codes in wanted.items():
        spec = codec.endpoint_spec(name)
        missing = (codes | {PERMISSION_DENIED, spec.policy.fon_not_unique_code}) - spec.codes.keys()
        if missing:
            raise RuntimeError(f"{name}: the tables have no code {sorted(missing)}")
    if {STATUS_NOT_RELEVANT, STATUS_COMPLETED, STATUS_SAME_ADDRESS} - _CLICK.statuses.keys():
        raise RuntimeError("UpdateUserEvClickThrough: the tables lost a status")
    if REPLACE_MAIL_ADDRESS not in _CLICK.statuses[STATUS_SAME_ADDRESS].actions or RESEND_EMAIL not in _CLICK.actions:
        raise RuntimeError("UpdateUserEvClickThrough: the tables lost an action")
    hours = {m.hours for m in _AUTO.expected_delivery_meanings}
    if {HOURS_VALIDATED, HOURS_AWAITING_APPROVAL, HOURS_AWAITING_DOCUMENTS} - hours:
        raise RuntimeError("AutoApplyIdA: the tables lost an expected delivery time")


_check_tables()

_ACTIONS = {action.casefold(): action for action in _CLICK.actions}
_CENT = Decimal("0.01")
_DAYS_PER_PRICE = 365


@attrs.frozen
class Answer:
    """A response and the format to encode it in; ``order_number`` is for the log only."""

    response: Any
    response_format: int | None = None
    order_number: int | None = None

    def encode(self) -> codec.EncodedResponse:
        """The HTTP body and content type (always status 200)."""
        return codec.encode_response(self.response, response_format=self.response_format)


@attrs.frozen
class Prices:
    """The simulator's own price list (``conformance/prices.toml``; NOT the vendor's): the price of
    each product for 365 days."""

    products: Mapping[int, Decimal]

    @classmethod
    def load(cls, path: str | Path | None = None) -> Prices:
        """Read *path*, or the packaged ``prices.toml``."""
        if path is None:
            text = resources.files("conformance").joinpath("prices.toml").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        data = tomllib.loads(text)
        return cls({int(number): Decimal(entry["price"]) for number, entry in data["products"].items()})

    def cost(self, products: Iterable[int], days: int) -> Decimal:
        """Sum over the distinct *products* of price * days / 365, rounded half-up to cents.
        A product without a price raises KeyError (the app answers -14)."""
        total = sum((self.products[p] * days / _DAYS_PER_PRICE for p in sorted(set(products))), Decimal(0))
        return total.quantize(_CENT, rounding=ROUND_HALF_UP)


def default_format(endpoint: str) -> int | None:
    """The format an answer gets when the request names none (None: the endpoint has one)."""
    spec = codec.endpoint_spec(endpoint)
    name = spec.format_field
    if name is None:
        return None
    return int(spec.by_key[name.lower()].default or 0)


def requested_format(endpoint: str, body: bytes, method: str = "POST") -> int | None:
    """The response format a (possibly partial or malformed) body asks for: the first
    responseFormat whose value the table allows, else the default; a non-POST request always gets
    the default (note format-of-errors).  Pairs that do not decode are skipped."""
    spec = codec.endpoint_spec(endpoint)
    default = default_format(endpoint)
    if spec.format_field is None or method.upper() != spec.method:
        return default
    f = spec.by_key[spec.format_field.lower()]
    allowed = f.kind.values
    for piece in body.split(b"&"):
        try:
            pairs = codec.decode_form(piece)
        except codec.FormError:
            continue
        for name, value in pairs:
            if name.lower() == f.key:
                return int(value) if value in allowed else default
    return default


def unknown_error(endpoint: str, response_format: int | None, order_number: int | None = None) -> Answer:
    """-14 (An unknown error occurred!) in the requested format."""
    return Answer(codec.error_response(endpoint, UNKNOWN_ERROR), response_format, order_number)


def refused(endpoint: str, exc: RequestRejected, response_format: int | None = None) -> Answer:
    """The answer to a request the codec rejected: its code and argument, in its format (or in
    *response_format* when given)."""
    code = exc.code if exc.code is not None else UNKNOWN_ERROR  # RequestRejected always has one
    fmt = exc.response_format if response_format is None else response_format
    return Answer(codec.error_response(endpoint, code, exc.argument), fmt)


def oversized_answer(endpoint: str, received: bytes, limit: int, *, method: str, scheme: str) -> Answer:
    """The answer to a body longer than *limit* bytes, of which *received* (at least *limit* + 1
    bytes) arrived.  -17 and -1 keep their precedence; otherwise -4 naming the variable whose
    value was being read at byte *limit* (as the client spelled it), or -2 when that name is not
    a variable of the endpoint (or the limit fell inside the name)."""
    prefix = received[:limit]
    fmt = requested_format(endpoint, prefix[: prefix.rfind(b"&") + 1], method)
    try:
        codec.decode_request(endpoint, b"", method=method, scheme=scheme)
    except RequestRejected as exc:
        if exc.rule in ("method", "https"):
            return refused(endpoint, exc, fmt)
    spec = codec.endpoint_spec(endpoint)
    start = prefix.rfind(b"&") + 1
    raw_name, equals, _ = prefix[start:].partition(b"=")
    try:
        pairs = codec.decode_form(raw_name)
        name = pairs[0][0] if pairs else ""
    except codec.FormError:
        name = raw_name.decode("utf-8", "replace")
    if equals and name.lower() in spec.by_key:
        return Answer(codec.error_response(endpoint, INVALID, name), fmt)
    return Answer(codec.error_response(endpoint, UNRECOGNISED, name), fmt)


class Vendor:
    """The vendor's behaviour over a :class:`~conformance.store.Store` (see the module docstring).

    *strict* picks the notes' strict readings when decoding requests (False: the lenient ones)."""

    def __init__(self, store: Store, *, prices: Prices | None = None, strict: bool = True) -> None:
        self.store = store
        self.prices = prices if prices is not None else Prices.load()
        self.strict = strict

    # ------------------------------------------------------------------ decoding (no store)

    def decode(self, endpoint: str, body: bytes, *, method: str, scheme: str, content_type: str | None) -> Any:
        """The typed request, or :class:`codec.RequestRejected` (answer it with :func:`refused`)."""
        return codec.decode_request(
            endpoint, body, method=method, scheme=scheme, content_type=content_type, strict=self.strict
        )

    # ------------------------------------------------------------------ answering (store thread)

    def answer(self, endpoint: str, request: Any) -> Answer:
        """Answer a decoded request; runs on the store's thread.  May raise on an internal failure
        (the app answers -14)."""
        if endpoint == AUTO_APPLY_IDA:
            return self.auto_apply_ida(request)
        return self.update_user_ev_click_through(request)

    def _login(self, request: Any) -> Account | None:
        session = getattr(request, "sasp_session_id", None)
        if session is not None:
            return self.store.account_for_session(session)
        if request.login_name is None or request.login_password is None:
            return None
        return self.store.verify_login(request.login_name, request.login_password)

    def auto_apply_ida(self, request: codec.AutoApplyIdARequest) -> Answer:
        """Place an order (see the module docstring for the rules)."""
        fmt = request.response_format if request.response_format is not None else default_format(AUTO_APPLY_IDA)
        login = self._login(request)
        if login is None:
            return Answer(codec.error_response(AUTO_APPLY_IDA, PERMISSION_DENIED), fmt)
        cost = self.prices.cost(request.product, request.days)
        country = request.country_name.upper()
        fon = request.foreign_order_number
        store = self.store
        with store.transaction():
            if request.check_fon_is_unique and fon is not None and store.foreign_order_number_used(login.name, fon):
                code = _AUTO.policy.fon_not_unique_code
                return Answer(codec.error_response(AUTO_APPLY_IDA, code, _AUTO.by_key["foreignordernumber"].name), fmt)
            account = store.get_account(login.name)
            if account is None:  # removed since the login was checked
                return Answer(codec.error_response(AUTO_APPLY_IDA, PERMISSION_DENIED), fmt)
            debit = not account.payment_required and not request.test
            if debit and account.credit < cost:
                return Answer(codec.error_response(AUTO_APPLY_IDA, NOT_ENOUGH_CREDIT), fmt)
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
                admin_email=request.email_address,
                test=bool(request.test),
            )
            if debit:
                store.debit(account.name, cost)
        code = PAYMENT_REQUIRED if account.payment_required else SUCCESSFUL
        response = codec.AutoApplyIdAResponse(
            error_code=code,
            # note format1-success-message: no message with 0; note format1-status1: 1 carries both
            error_message=None if code == SUCCESSFUL else codec.message_for(_AUTO, code),
            order_number=order.order_number,
            total_cost=cost,
            expected_delivery_time=hours,
        )
        return Answer(response, fmt, order.order_number)

    def update_user_ev_click_through(self, request: codec.UpdateUserEvClickThroughRequest) -> Answer:
        """Re-send or re-address an order's click-through e-mail (see the module docstring)."""
        endpoint = UPDATE_USER_EV_CLICK_THROUGH
        account = self._login(request)
        if account is None:
            return Answer(codec.error_response(endpoint, PERMISSION_DENIED))
        sent = request.order_number
        number = int(sent) if sent.isascii() and sent.isdigit() else None
        store = self.store
        with store.transaction():
            order = store.get_order(number) if number is not None else None
            if order is None or order.account != account.name:
                message = _CLICK.policy.click_through_unknown_order_message.replace("xxxx", sent, 1)
                return Answer(attrs.evolve(codec.error_response(endpoint, ORDER_ERROR), error_message=message))
            action = _ACTIONS.get(request.action.casefold(), request.action)
            address = request.admin_email_address
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
            error_message=codec.message_for(_CLICK, SUCCESSFUL),
            status=status,
            description=_CLICK.statuses[status].description,
        )
        return Answer(response, None, order.order_number)
