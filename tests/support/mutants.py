"""Deliberately broken servers, and servers that take the notes' other readings: one fake
implementation with per-fault switches.

:class:`Switchboard` wraps the reference server's ASGI app (``conformance.reference.app.make_app``, passed
to :func:`conformance.reference.serve.running_server` as its ``app_wrapper``) in a middleware that reads
each request, may rewrite it (or answer it itself), forwards it to the reference app, and may
rewrite the answer.  Exactly one switch is on at a time, so the reference server's own code stays
clean and each broken server differs from it by one fault.

* :data:`FAULTS`: one :class:`Variant` per fault, each naming the check family that must catch it
  (``KILLED_BY`` is that map) and, for the response rules, the rule its failure must name.
* :data:`READINGS`: servers that take a reading a note of the tables allows; the kit must report
  them as notes (``NOTES_SHOWN``), never as failures.

Every probe carries one fault, so a server that answers GET as it answers POST, or plain HTTP as
HTTPS, places the order the complete valid probe asks for, and fails.  To a plain URL that is not
loopback the kit sends no password, so there -3 for the missing login is a reading
(error-precedence): ``plain_elsewhere`` runs a variant with the plain URL under another host name,
routed to loopback.

``python tests/support/mutants.py [SEED]`` runs the kit against every broken server and prints the kill count.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import attrs

import codec
from conformance.asgi import ROUTES, read_body, send_response
from conformance.checks import Check, catalog, check_by_id
from conformance.context import RunContext, Target, baseline_value, make_transport
from conformance.formats import requested_format
from conformance.http import Response
from conformance.reference.app import make_app
from conformance.reference.serve import RunningServer, running_server
from conformance.results import Run
from conformance.runner import run_checks, select_checks

__all__ = [
    "FAULTS",
    "KILLED_BY",
    "NOTES_SHOWN",
    "READINGS",
    "Call",
    "Reply",
    "Seen",
    "Switchboard",
    "Variant",
    "broken_server",
    "caught_by",
    "checks_for",
    "context_for",
    "failing_rules",
    "kill_table",
    "killed",
    "run_kit",
    "target_for",
]

AUTO = codec.AUTO_APPLY_IDA
CLICK = codec.UPDATE_USER_EV_CLICK_THROUGH
LOGIN_NAME = "conformance"
PASSWORD = "mutant-Pa55-0001"
SASP = "MutantSasp000001"
LOGIN_VARIABLES = ("loginName", "loginPassword")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]


# ---------------------------------------------------------------------------- one exchange


@attrs.define
class Call:
    """The request as the kit sent it, which a fault may rewrite before the reference app sees it."""

    endpoint: str
    method: str
    scheme: str
    body: bytes
    pairs: list[tuple[str, str]] | None  # None: the body is not a readable form

    @property
    def spec(self) -> codec.EndpointSpec:
        return codec.endpoint_spec(self.endpoint)

    def name_of(self, name: str) -> str | None:
        """The spelling the request used for variable *name* (names are case-insensitive)."""
        return next((n for n, _ in self.pairs or () if n.lower() == name.lower()), None)

    def get(self, name: str) -> str | None:
        return next((v for n, v in self.pairs or () if n.lower() == name.lower()), None)

    def set(self, name: str, value: str | None) -> None:
        """Give variable *name* this value (None: leave it out), keeping the request's spelling."""
        pairs = list(self.pairs or ())
        spelled = self.name_of(name)
        if spelled is None:
            pairs += [] if value is None else [(name, value)]
        else:
            pairs = [(n, v if n != spelled else value) for n, v in pairs if n != spelled or value is not None]
        self.pairs = pairs
        self.body = codec.encode_form(pairs)

    def keep(self, wanted: Callable[[str], bool]) -> None:
        """Leave out every pair whose name is not *wanted*."""
        self.pairs = [(n, v) for n, v in self.pairs or () if wanted(n)]
        self.body = codec.encode_form(self.pairs)

    def error(self, code: int, argument: str | None = None) -> Reply:
        """The vendor's answer *code* (its template naming *argument*) in the requested format."""
        response = codec.error_response(self.endpoint, code, argument)
        return Reply.of(response, requested_format(self.endpoint, self.body, self.method))


@attrs.define
class Reply:
    """An answer as ordered ``name -> value`` parameters; :meth:`encode` writes it in ``fmt``
    (``"0"`` newline lines, ``"1"`` URL-encoded), lines joined by ``ending``, ``final`` after the
    last -- or, with ``raw``, those bytes (with ``status`` and ``headers``) instead."""

    endpoint: str
    fmt: str
    values: dict[str, str]
    content_type: str
    ending: str = "\n"
    final: str = "\n"
    status: int = 200
    raw: bytes | None = None
    headers: tuple[tuple[bytes, bytes], ...] = ()

    @classmethod
    def http(cls, endpoint: str, status: int, text: str, *headers: tuple[bytes, bytes]) -> Reply:
        """A plain HTTP answer that is no vendor answer at all."""
        return cls(endpoint, "", {}, "text/plain; charset=utf-8", status=status, raw=text.encode(), headers=headers)

    @classmethod
    def parse(cls, endpoint: str, content_type: str, body: bytes) -> Reply | None:
        spec = codec.endpoint_spec(endpoint)
        try:
            if content_type.startswith("text/plain"):
                lines = body.decode("utf-8").split("\n")
                if lines and lines[-1] == "":
                    lines.pop()
                code = int(lines[0])
                fmt = spec.formats["0"]
                assert isinstance(fmt, codec.NewlineFormat)
                names = fmt.lines.for_code(code)
                return cls(endpoint, "0", dict(zip(names, lines, strict=False)), content_type)
            return cls(endpoint, "1", dict(codec.decode_form(body)), content_type)
        except (ValueError, IndexError, codec.FormError):
            return None

    @classmethod
    def of(cls, response: Any, fmt: int | None) -> Reply:
        encoded = codec.encode_response(response, response_format=fmt)
        reply = cls.parse(response.ENDPOINT, encoded.content_type, encoded.body)
        assert reply is not None
        return reply

    @property
    def code(self) -> int:
        return int(self.values["errorCode"])

    def insert_after(self, after: str, name: str, value: str) -> None:
        items = list(self.values.items())
        at = next(i for i, (n, _) in enumerate(items) if n == after) + 1
        self.values = dict([*items[:at], (name, value), *items[at:]])

    def as_url_encoded(self) -> None:
        self.fmt, self.content_type = "1", "application/x-www-form-urlencoded"

    def encode(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.fmt == "0":
            return (self.ending.join(self.values.values()) + self.final).encode("utf-8")
        return codec.encode_form(list(self.values.items()))


RequestFault = Callable[[Call, "Switchboard"], Reply | None]
ResponseFault = Callable[[Call, Reply], None]


@attrs.frozen
class Variant:
    """One switch: a broken server (``family``: the check family that must fail it; ``rule``: a
    failing finding must name this rule; ``note``: the note ``--lenient`` reports instead, for a
    server breaking a letter only a receivers' reading tolerates) or a server taking a reading a
    note allows (``note``: the note the kit must report, None when the reading leaves nothing to
    note).

    ``request`` may rewrite the request or answer it itself; ``response`` rewrites the answer.
    ``endpoints`` and ``only`` (check id globs) narrow the checks run against it."""

    name: str
    what: str
    family: str | None = None
    note: str | None = None
    rule: str | None = None
    request: RequestFault | None = None
    response: ResponseFault | None = None
    endpoints: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    examples: int = 10
    lenient_decoding: bool = False
    plain_elsewhere: bool = False


@attrs.frozen
class Seen:
    """A request the kit sent, as it arrived (before any fault rewrote it)."""

    endpoint: str
    method: str
    scheme: str
    pairs: tuple[tuple[str, str], ...] | None

    def get(self, name: str) -> str | None:
        return next((v for n, v in self.pairs or () if n.lower() == name.lower()), None)


# ---------------------------------------------------------------------------- the middleware


class Switchboard:
    """The switches (``variant``: the one on, None for the reference server), a record of every
    request (``seen``) and how many exchanges the switch changed (``departures``: a variant that
    never changed anything proves nothing).  :meth:`wrap` is the ``app_wrapper`` for
    :func:`running_server`."""

    def __init__(self, login_name: str = LOGIN_NAME, password: str = PASSWORD) -> None:
        self.login_name = login_name
        self.password = password
        self.variant: Variant | None = None
        self.seen: list[Seen] = []
        self.departures = 0

    def wrap(self, app: Any) -> Any:
        return _Middleware(app, self)

    @contextlib.contextmanager
    def switched(self, variant: Variant | None) -> Iterator[Switchboard]:
        self.variant, self.departures = variant, 0
        try:
            yield self
        finally:
            self.variant = None


class _Middleware:
    def __init__(self, app: Any, board: Switchboard) -> None:
        self.app = app
        self.board = board
        # the same store, decoding requests with the notes' lenient readings
        self.lenient = make_app(app.store, require_https=app.require_https, strict=False)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        endpoint = ROUTES.get(scope.get("path", "")) if scope["type"] == "http" else None
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        method = str(scope["method"]).upper()
        body = await read_body(receive) if method == "POST" else bytes(scope.get("query_string", b""))
        try:
            pairs: list[tuple[str, str]] | None = codec.decode_form(body)
        except codec.FormError:
            pairs = None
        call = Call(endpoint, method, str(scope.get("scheme", "http")), body, pairs)
        self.board.seen.append(Seen(endpoint, method, call.scheme, tuple(pairs) if pairs is not None else None))
        variant = self.board.variant
        sent = (call.method, call.scheme, call.body)
        reply = variant.request(call, self.board) if variant is not None and variant.request else None
        changed = reply is not None or (call.method, call.scheme, call.body) != sent
        if reply is None:
            app = self.lenient if variant is not None and variant.lenient_decoding else self.app
            status, content_type, out = await _forward(app, scope, call)
            if variant is not None and variant.response is not None and status == 200:
                reply = Reply.parse(endpoint, content_type, out)
                if reply is not None:
                    variant.response(call, reply)
                    changed = changed or (reply.content_type, reply.encode()) != (content_type, out)
        extra: tuple[tuple[bytes, bytes], ...] = ()
        if reply is not None:
            status, content_type, out, extra = reply.status, reply.content_type, reply.encode(), reply.headers
        self.board.departures += changed
        await send_response(send, status, content_type, out, extra)


async def _forward(app: Any, scope: Scope, call: Call) -> tuple[int, str, bytes]:
    """Run the reference app on *call* (its method, scheme and body); return what it answered."""
    inner = dict(scope, method=call.method, scheme=call.scheme)
    if call.method == "GET":
        inner["query_string"] = call.body
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if delivered:
            await asyncio.sleep(0)
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": call.body if call.method != "GET" else b"", "more_body": False}

    answer: dict[str, Any] = {"body": bytearray()}

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = {bytes(k).lower(): bytes(v) for k, v in message.get("headers", ())}
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    await app(inner, receive, capture)
    content_type = answer["headers"].get(b"content-type", b"").decode("latin-1")
    return int(answer["status"]), content_type, bytes(answer["body"])


# ---------------------------------------------------------------------------- request faults


def _fields(call: Call) -> Iterator[tuple[str, str, Any]]:
    """(name as sent, value, table row) of each pair naming a variable."""
    for name, value in call.pairs or ():
        f = call.spec.by_key.get(name.lower())
        if f is not None:
            yield name, value, f


def _postal_code_defaulted(call: Call, board: Switchboard) -> None:
    if call.endpoint == AUTO and not call.get("postalCode"):
        call.set("postalCode", "00000")


def _limit_off_by_one(call: Call, board: Switchboard) -> None:
    for name, value, f in list(_fields(call)):
        if f.max_length and isinstance(f.kind, codec.Text | codec.Integer) and len(value) == f.max_length + 1:
            call.set(name, value[:-1])


def _counts_bytes(call: Call, board: Switchboard) -> Reply | None:
    for name, value, f in _fields(call):
        if f.max_length and len(value) <= f.max_length < len(value.encode("utf-8")):
            return call.error(-4, name)
    return None


def _days_1095_refused(call: Call, board: Switchboard) -> Reply | None:
    return call.error(-4, call.name_of("days")) if call.endpoint == AUTO and call.get("days") == "1095" else None


def _flags_coerced(call: Call, board: Switchboard) -> None:
    for name in ("isCustomerValidated", "checkFONIsUnique"):
        value = call.get(name)
        if call.endpoint == AUTO and value is not None and value.upper() not in {"Y", "N"}:
            call.set(name, "N")


def _unknown_country_accepted(call: Call, board: Switchboard) -> None:
    country = call.get("countryName")
    if call.endpoint == AUTO and country and len(country) <= 2 and country.upper() not in codec.COUNTRIES:
        call.set("countryName", "GB")


def _unknown_names_ignored(call: Call, board: Switchboard) -> None:
    call.keep(lambda name: name.lower() in call.spec.by_key)


def _names_case_sensitive(call: Call, board: Switchboard) -> Reply | None:
    exact = {f.name for f in call.spec.fields}
    for name, _, _ in _fields(call):
        if name not in exact:
            return call.error(-2, name)
    return None


def _replace_without_address(call: Call, board: Switchboard) -> None:
    if call.endpoint == CLICK and call.get("action") == "ReplaceMailAddress" and not call.get("adminEmailAddress"):
        call.set("adminEmailAddress", "kept@example.com")


def _missing_login_denied(call: Call, board: Switchboard) -> Reply | None:
    if call.endpoint == AUTO and not call.get("saspSessionID") and not all(map(call.get, LOGIN_VARIABLES)):
        return call.error(-16)
    return None


def _sasp_with_login_crashes(call: Call, board: Switchboard) -> Reply | None:
    if call.endpoint == AUTO and call.get("saspSessionID") and any(call.name_of(n) for n in LOGIN_VARIABLES):
        return call.error(-14)
    return None


def _absent_answered_4(call: Call, board: Switchboard) -> Reply | None:
    """A required variable left out earns -4 (invalid) naming it, as if it were sent empty."""
    try:
        codec.decode_request(call.endpoint, call.body, method=call.method, scheme=call.scheme)
    except codec.RequestRejected as exc:
        if exc.code == -3 and exc.field and call.name_of(exc.field) is None:
            return call.error(-4, exc.field)
    return None


def _blank_accepted(call: Call, board: Switchboard) -> None:
    """A required variable sent empty is taken as given: a plain valid value stands in for it."""
    for name, value, f in list(_fields(call)):
        if value == "" and f.presence == "required":
            call.set(name, baseline_value(call.spec, f.name) or "1")


def _get_handled_as_post(call: Call, board: Switchboard) -> None:
    """GET is answered like POST: the query string is read as the body (the order is placed)."""
    if call.method == "GET":
        call.method = "POST"


def _plain_http_handled(call: Call, board: Switchboard) -> None:
    """Plain HTTP is answered like HTTPS."""
    call.scheme = "https"


def _get_refused_by_http(call: Call, board: Switchboard) -> Reply | None:
    return Reply.http(call.endpoint, 405, "Method Not Allowed\n") if call.method == "GET" else None


def _plain_http_redirected(call: Call, board: Switchboard) -> Reply | None:
    if call.scheme != "http":
        return None
    return Reply.http(call.endpoint, 301, "Moved\n", (b"location", b"https://example.invalid/"))


def _response_format_ignored(call: Call, board: Switchboard) -> None:
    call.set("responseFormat", None)


def _newer_variables_unknown(call: Call, board: Switchboard) -> Reply | None:
    """A server built from document 1.04: the variables 1.05 added are unrecognised."""
    known = {f.name for f in call.spec.fields_in("1.04")}
    for name, _, f in _fields(call):
        if f.name not in known:
            return call.error(-2, name)
    return None


def _sasp_requests_unvalidated(call: Call, board: Switchboard) -> None:
    """The saspSessionID code path skips the value checks (limits, allowed values, countries):
    a faulty value is dropped, or a required one replaced by a plain valid value."""
    if call.endpoint != AUTO or not call.get("saspSessionID") or any(call.name_of(n) for n in LOGIN_VARIABLES):
        return
    for _ in range(len(call.spec.fields)):
        try:
            codec.decode_request(AUTO, call.body, method=call.method, scheme=call.scheme)
        except codec.RequestRejected as exc:
            if exc.field is None or exc.rule not in {"max_length", "allowed", "integer", "country"}:
                return
            f = call.spec.by_key[exc.field.lower()]
            call.set(exc.field, baseline_value(call.spec, f.name) if f.presence == "required" else None)
        else:
            return


def _any_password_accepted(call: Call, board: Switchboard) -> None:
    if call.get("loginName") == board.login_name and call.get("loginPassword") is not None:
        call.set("loginPassword", board.password)


def _fon_uniqueness_unchecked(call: Call, board: Switchboard) -> None:
    if call.endpoint == AUTO and (call.get("checkFONIsUnique") or "").upper() == "Y":
        call.set("checkFONIsUnique", "N")


# ---------------------------------------------------------------------------- response faults


def _status(reply: Reply, status: int) -> None:
    reply.values["status"] = str(status)
    reply.values["description"] = codec.endpoint_spec(CLICK).statuses[status].description


def _same_address_answers_1(call: Call, reply: Reply) -> None:
    if reply.endpoint == CLICK and reply.code == 0 and reply.values.get("status") == "2":
        _status(reply, 1)


def _resend_answers_status_2(call: Call, reply: Reply) -> None:
    if reply.endpoint == CLICK and reply.code == 0 and call.get("action") == "ResendEmail":
        _status(reply, 2)


def _names_previous_variable(call: Call, reply: Reply) -> None:
    spec = codec.endpoint_spec(reply.endpoint)
    if reply.code not in (-3, -4):
        return
    detail = codec.parse_message(spec, reply.code, reply.values.get("errorMessage"))
    names = [f.name for f in spec.fields]
    keys = [n.lower() for n in names]
    if detail.argument is not None:
        at = keys.index(detail.argument.lower()) if detail.argument.lower() in keys else 0
        reply.values["errorMessage"] = codec.message_for(spec, reply.code, names[at - 1]) or ""


def _message_off_template(call: Call, reply: Reply) -> None:
    if reply.code == -3:
        detail = codec.parse_message(codec.endpoint_spec(reply.endpoint), -3, reply.values.get("errorMessage"))
        reply.values["errorMessage"] = f"Missing parameter {detail.argument}"


def _code_outside_table(call: Call, reply: Reply) -> None:
    if reply.endpoint == AUTO and reply.code == -4:
        reply.values.update(errorCode="-5", errorMessage="Invalid value!")


def _amount_with_dollar(call: Call, reply: Reply) -> None:
    if "totalCost" in reply.values:
        reply.values["totalCost"] = "$" + reply.values["totalCost"]


def _last_line_missing(call: Call, reply: Reply) -> None:
    if reply.fmt == "0" and reply.endpoint == AUTO and reply.code >= 0:
        reply.values.pop("expectedDeliveryTime", None)


def _no_description(call: Call, reply: Reply) -> None:
    if reply.endpoint == CLICK and reply.code == 0:
        reply.values.pop("description", None)


def _delivery_72(call: Call, reply: Reply) -> None:
    if "expectedDeliveryTime" in reply.values:
        reply.values["expectedDeliveryTime"] = "72"


def _order_number_not_integer(call: Call, reply: Reply) -> None:
    if "orderNumber" in reply.values:
        reply.values["orderNumber"] = "ORD-" + reply.values["orderNumber"]


def _format1_as_text_plain(call: Call, reply: Reply) -> None:
    if reply.endpoint == AUTO and reply.fmt == "1":
        reply.content_type = "text/plain; charset=utf-8"


def _bare_cr(call: Call, reply: Reply) -> None:
    if reply.fmt == "0" and reply.endpoint == AUTO:
        reply.ending = reply.final = "\r"


def _newline_in_message(call: Call, reply: Reply) -> None:
    if reply.fmt == "0" and reply.endpoint == AUTO and reply.code < 0:
        message = reply.values.get("errorMessage", "")
        reply.values["errorMessage"] = message.replace("' ", "'\n", 1) if "' " in message else message + "\nSee above."


def _success_message(call: Call, reply: Reply) -> None:
    if reply.endpoint == AUTO and reply.fmt == "1" and reply.code == 0:
        reply.insert_after("errorCode", "errorMessage", "Successful")


def _padded_values(call: Call, reply: Reply) -> None:
    if reply.fmt == "0":
        reply.values = {k: f" {v} " for k, v in reply.values.items()}


def _blank_lines_at_end(call: Call, reply: Reply) -> None:
    if reply.fmt == "0":
        reply.final = "\n\n \n"


FAULTS: dict[str, Variant] = {
    v.name: v
    for v in [
        # --- one per check family (the request-judging level)
        Variant(
            "postal-code-defaulted",
            "a missing or empty postalCode is filled in",
            "missing",
            request=_postal_code_defaulted,
        ),
        Variant(
            "limit-off-by-one",
            "free text one character over its limit is cut to the limit, not refused",
            "over-length",
            request=_limit_off_by_one,
        ),
        Variant(
            "counts-bytes",
            "limits count UTF-8 bytes, not characters: non-ASCII text at the limit earns -4",
            "at-limit",
            request=_counts_bytes,
        ),
        Variant("days-1095-refused", "days=1095 (an allowed value) earns -4", "allowed", request=_days_1095_refused),
        Variant(
            "flags-coerced",
            "an isCustomerValidated/checkFONIsUnique value other than Y/N is read as N",
            "disallowed",
            request=_flags_coerced,
        ),
        Variant(
            "unknown-country-accepted",
            "an unknown two-letter country is taken as GB",
            "country",
            request=_unknown_country_accepted,
        ),
        Variant(
            "unknown-names-ignored",
            "unrecognised variables are dropped, not refused",
            "unrecognised",
            request=_unknown_names_ignored,
        ),
        Variant(
            "names-case-sensitive",
            "a name not spelled as in the document earns -2",
            "name-case",
            request=_names_case_sensitive,
        ),
        Variant(
            "replace-without-address",
            "ReplaceMailAddress without adminEmailAddress keeps a stored address",
            "required-when",
            request=_replace_without_address,
        ),
        Variant(
            "missing-login-denied",
            "a request without loginName or loginPassword (and no saspSessionID) earns -16, not -3",
            "required-unless",
            request=_missing_login_denied,
        ),
        Variant(
            "sasp-with-login-crashes",
            "saspSessionID together with loginName earns -14",
            "exclusive",
            request=_sasp_with_login_crashes,
        ),
        Variant(
            "absent-answered-4",
            "a required variable left out earns -4 (invalid), not -3 (missing)",
            "missing",
            request=_absent_answered_4,
        ),
        Variant(
            "blank-accepted",
            "a required variable sent empty is taken as given",
            "blank",
            request=_blank_accepted,
        ),
        Variant(
            "get-handled-as-post",
            "GET is answered like POST: the order in the query string is placed",
            "method",
            request=_get_handled_as_post,
        ),
        Variant(
            "plain-http-handled",
            "plain HTTP is answered like HTTPS: the order is placed",
            "https",
            request=_plain_http_handled,
        ),
        Variant(
            "get-answered-405",
            "GET earns HTTP 405 Method Not Allowed, not the vendor's -17",
            "method",
            request=_get_refused_by_http,
        ),
        Variant(
            "plain-http-redirected",
            "plain HTTP earns a 301 redirect to HTTPS, not the vendor's -1",
            "https",
            request=_plain_http_redirected,
        ),
        Variant(
            "response-format-ignored",
            "responseFormat is ignored: every answer is in the newline format",
            "format",
            request=_response_format_ignored,
        ),
        Variant(
            "format-1-labelled-text-plain",
            "URL-encoded answers carry Content-Type text/plain",
            "format",
            rule="responses.formats.1.mime_type",
            response=_format1_as_text_plain,
        ),
        Variant(
            "newer-variables-unknown",
            "built from document 1.04: idaEmailAddress, idaTelephoneNumber and idaFaxNumber earn -2",
            "valid",
            request=_newer_variables_unknown,
            endpoints=(AUTO,),
        ),
        Variant(
            "sasp-requests-unvalidated",
            "requests made with saspSessionID skip the value checks (over-long, disallowed, unknown country accepted)",
            "single-fault",
            request=_sasp_requests_unvalidated,
            endpoints=(AUTO,),
            examples=60,  # about one example in four is a SASP request with a faulty value
        ),
        Variant("any-password-accepted", "a wrong password is accepted", "auth", request=_any_password_accepted),
        Variant(
            "fon-uniqueness-unchecked",
            "checkFONIsUnique=Y is ignored: a repeated foreignOrderNumber is accepted",
            "stateful",
            request=_fon_uniqueness_unchecked,
            endpoints=(AUTO,),
        ),
        Variant(
            "same-address-answers-1",
            "ReplaceMailAddress with the address already set answers status 1, not 2",
            "stateful",
            response=_same_address_answers_1,
            endpoints=(CLICK,),
        ),
        # --- the response rules judge_response applies to every answer
        Variant(
            "names-previous-variable",
            "-3/-4 messages name the variable before the faulty one",
            "missing",
            rule=".message",
            response=_names_previous_variable,
        ),
        Variant(
            "message-off-template",
            "-3 messages do not follow the template ('Missing parameter X')",
            "missing",
            rule="codes.-3.message",
            response=_message_off_template,
        ),
        Variant(
            "code-outside-table",
            "invalid values earn -5, a code outside the table",
            "over-length",
            rule="AutoApplyIdA.codes",
            response=_code_outside_table,
            endpoints=(AUTO,),
        ),
        Variant(
            "amount-with-dollar",
            "totalCost carries a $ sign",
            "format",
            rule="responses.totalCost.amount",
            response=_amount_with_dollar,
        ),
        Variant(
            "last-line-missing",
            "successful newline answers lack the expectedDeliveryTime line",
            "format",
            rule="responses.expectedDeliveryTime.required",
            response=_last_line_missing,
        ),
        Variant(
            "no-description",
            "successful click-through answers lack the description parameter",
            "allowed",
            rule="responses.parameters.description",
            response=_no_description,
            endpoints=(CLICK,),
        ),
        Variant(
            "delivery-72",
            "expectedDeliveryTime is 72, a value neither format lists",
            "format",
            rule="expected_delivery",
            response=_delivery_72,
        ),
        Variant(
            "order-number-not-integer",
            "orderNumber is 'ORD-<n>', not an integer",
            "format",
            rule="responses.orderNumber.integer",
            response=_order_number_not_integer,
        ),
        Variant(
            "resend-answers-status-2",
            "ResendEmail answers status 2, which only ReplaceMailAddress may return",
            "allowed",
            rule="UpdateUserEvClickThrough.statuses",
            response=_resend_answers_status_2,
            endpoints=(CLICK,),
        ),
        Variant(
            "bare-cr-lines",
            "newline answers end their lines with a bare CR",
            "format",
            rule="responses.formats.0.lines",
            response=_bare_cr,
        ),
        # --- the answers' letter where a note's lenient reading serves receivers only (a decoder
        # may tolerate them; a server sends the letter): --lenient reports them as the note
        Variant(
            "success-message",
            "URL-encoded successes carry errorMessage=Successful ('not present when errorCode=0')",
            "format",
            note="format1-success-message",
            rule="AutoApplyIdA.responses.parameters.errorMessage",
            response=_success_message,
            endpoints=(AUTO,),
        ),
        Variant(
            "padded-values",
            "newline answers pad every value with spaces",
            "format",
            note="format0-padding",
            rule="AutoApplyIdA.responses.formats.0.lines",
            response=_padded_values,
            endpoints=(AUTO,),
        ),
        Variant(
            "blank-lines-at-end",
            "newline answers end with blank lines",
            "format",
            note="format0-padding",
            rule="AutoApplyIdA.responses.formats.0.lines",
            response=_blank_lines_at_end,
            endpoints=(AUTO,),
        ),
        Variant(
            "newline-in-message",
            "an error message with a line break splits the newline answer",
            "missing",
            rule="responses.formats.0.lines",
            response=_newline_in_message,
            endpoints=(AUTO,),
        ),
    ]
}

KILLED_BY: dict[str, str] = {name: v.family or "" for name, v in FAULTS.items()}
"""MUTANT -> the check family that must report it as a failure."""


# ---------------------------------------------------------------------------- readings the notes allow


def _blank_is_invalid(call: Call, board: Switchboard) -> Reply | None:
    for name, value, f in _fields(call):
        if value == "" and f.presence == "required":
            return call.error(-4, name)
    return None


def _missing_login_first(call: Call, board: Switchboard) -> Reply | None:
    """Reports the missing login variables (-3) before plain HTTP (-1)."""
    if call.scheme == "http":
        missing = next((n for n in LOGIN_VARIABLES if not call.get(n)), None)
        if missing is not None and not call.get("saspSessionID"):
            return call.error(-3, missing)
    return None


def _sasp_pair_refused_naming(name: str) -> ResponseFault:
    """The saspSessionID + login refusal (-4) names *name* instead of the first login variable."""

    def rename(call: Call, reply: Reply) -> None:
        if call.get("saspSessionID") and call.name_of("loginName") and reply.code == -4:
            reply.values["errorMessage"] = codec.message_for(call.spec, -4, name) or ""

    return rename


def _sasp_pair_accepted(call: Call, board: Switchboard) -> None:
    """saspSessionID beside the login variables: authenticates with saspSessionID alone."""
    if call.get("saspSessionID"):
        call.keep(lambda name: name.lower() not in {n.lower() for n in LOGIN_VARIABLES})


def _country_before_length(call: Call, board: Switchboard) -> Reply | None:
    country = call.get("countryName")
    if call.endpoint == AUTO and country and len(country) > 2:
        return call.error(-7, country)
    return None


def _unrecognised_named(call: Call, reply: Reply) -> None:
    unknown = next((n for n, _ in call.pairs or () if n.lower() not in call.spec.by_key), None)
    if reply.endpoint == AUTO and reply.code == -2 and unknown is not None:
        reply.values["errorMessage"] = f"'{unknown}' is an unrecognised argument!"


def _https_text_in_capitals(call: Call, reply: Reply) -> None:
    if reply.code == -1:
        reply.values["errorMessage"] = reply.values["errorMessage"].upper()


def _other_permission_text(call: Call, reply: Reply) -> None:
    if reply.code == -16:
        other = CLICK if reply.endpoint == AUTO else AUTO
        reply.values["errorMessage"] = codec.endpoint_spec(other).codes[-16].message


def _sparse_click_through(call: Call, reply: Reply) -> None:
    if reply.endpoint == CLICK:
        for name in ("errorMessage",) if reply.code == 0 else ("status", "description"):
            reply.values.pop(name, None)


def _payment_required(call: Call, reply: Reply, *, letter: bool = False) -> None:
    if reply.endpoint != AUTO or reply.code != 0:
        return
    reply.values["errorCode"] = "1"
    if reply.fmt == "1":
        reply.insert_after("errorCode", "errorMessage", codec.endpoint_spec(AUTO).codes[1].message)
        for name in ("orderNumber", "totalCost", "expectedDeliveryTime") if letter else ():
            reply.values.pop(name)


def _delivery_zero(call: Call, reply: Reply) -> None:
    if reply.fmt == "0" and "expectedDeliveryTime" in reply.values:
        reply.values["expectedDeliveryTime"] = "0"


def _crlf(call: Call, reply: Reply) -> None:
    if reply.fmt == "0":
        reply.ending = reply.final = "\r\n"


def _no_final_newline(call: Call, reply: Reply) -> None:
    reply.final = ""


def _repeat_fon_unknown_error(call: Call, reply: Reply) -> None:
    fon = call.get("foreignOrderNumber") or ""
    spec = codec.endpoint_spec(AUTO)
    unique = (call.get("checkFONIsUnique") or "").upper() == "Y"
    if (
        reply.endpoint == AUTO
        and reply.code == -4
        and unique
        and 0 < len(fon) <= (spec.by_key["foreignordernumber"].max_length or 0)
    ):
        detail = codec.parse_message(spec, -4, reply.values.get("errorMessage"))
        if (detail.argument or "").lower() == "foreignordernumber":
            reply.values.update(errorCode="-14", errorMessage=spec.codes[-14].message)


def _refuses_test_orders(call: Call, reply: Reply) -> None:
    if reply.endpoint == CLICK and reply.code == 0:
        reply.values.update(errorCode="-20", errorMessage="Test orders cannot be clicked through.")
        _status(reply, 0)


def _errors_url_encoded_for_invalid_format(call: Call, reply: Reply) -> None:
    fmt = call.get("responseFormat")
    if reply.endpoint == AUTO and fmt not in (None, "", "0", "1") and reply.code < 0:
        reply.as_url_encoded()


READINGS: dict[str, Variant] = {
    v.name: v
    for v in [
        Variant(
            "lenient-decoding",
            "decodes requests with every note's lenient reading (make_app(strict=False)): login beside "
            "saspSessionID accepted, any days, spaces in product lists, y/n flags, lower-case countries and actions",
            note="sasp-excludes-login",
            lenient_decoding=True,
        ),
        Variant(
            "blank-is-invalid",
            "a required variable sent empty earns -4 (invalid), not -3 (missing)",
            note="blank-value",
            request=_blank_is_invalid,
            only=("*/blank/*",),
        ),
        Variant(
            "missing-login-first",
            "reports the missing login variables (-3) before plain HTTP (-1), to a plain URL that is not loopback "
            "(where the kit sends no password)",
            note="error-precedence",
            request=_missing_login_first,
            only=("*/https/*",),
            plain_elsewhere=True,
        ),
        Variant(
            "sasp-pair-accepted",
            "saspSessionID beside loginName is accepted (authenticated with saspSessionID alone)",
            note="sasp-excludes-login",
            request=_sasp_pair_accepted,
            only=("*/exclusive/*",),
        ),
        *(
            Variant(
                f"sasp-pair-refused-naming-{label}",
                f"saspSessionID beside loginName earns -4 naming {name}",
                note="sasp-excludes-login",
                response=_sasp_pair_refused_naming(name),
                only=("*/exclusive/*",),
            )
            for label, name in (("sasp", "saspSessionID"), ("password", "loginPassword"))
        ),
        Variant(
            "country-before-length",
            "a three-letter countryName earns -7 (unknown country) before -4 (over its limit)",
            note="error-precedence",
            request=_country_before_length,
            only=("AutoApplyIdA/over-length/countryName", "AutoApplyIdA/country/*", "AutoApplyIdA/single-fault"),
        ),
        Variant(
            "unrecognised-named",
            "AutoApplyIdA's -2 message names the argument, as UpdateUserEvClickThrough's does",
            note="unrecognised-argument-text",
            response=_unrecognised_named,
            only=("*/unrecognised",),
        ),
        Variant(
            "https-text-in-capitals",
            "the -1 message in capitals",
            note="https-text",
            response=_https_text_in_capitals,
            only=("*/https/*",),
        ),
        Variant(
            "other-permission-text",
            "-16 with the other document's message",
            note="permission-denied-text",
            response=_other_permission_text,
            only=("*/auth/*",),
        ),
        Variant(
            "sparse-click-through",
            "click-through errors without status and description, successes without errorMessage",
            note="click-through-response-presence",
            response=_sparse_click_through,
            endpoints=(CLICK,),
        ),
        Variant(
            "payment-required",
            "orders answer 1 (Successful, Payment Required) with the order's number, amount and delivery time",
            note="format1-status1",
            response=_payment_required,
        ),
        Variant(
            "payment-required-by-the-letter",
            "orders answer 1 with errorMessage and, URL-encoded, without the order parameters (so no order "
            "can be clicked through: those checks are skipped)",
            note=None,
            response=lambda call, reply: _payment_required(call, reply, letter=True),
            only=("AutoApplyIdA/format/*", "AutoApplyIdA/allowed/*", "UpdateUserEvClickThrough/stateful/*"),
        ),
        Variant(
            "delivery-zero",
            "expectedDeliveryTime 0 in the newline format (the URL-encoded format lists 0)",
            note="expected-delivery-values",
            response=_delivery_zero,
            only=("AutoApplyIdA/format/*", "AutoApplyIdA/allowed/*"),
        ),
        Variant(
            "crlf",
            "newline answers end their lines with CRLF",
            note="format0-line-ending",
            response=_crlf,
            endpoints=(AUTO,),
        ),
        Variant(
            "no-final-newline",
            "answers without a final newline (both readings allow it: nothing to note)",
            note=None,
            response=_no_final_newline,
            endpoints=(AUTO,),
        ),
        Variant(
            "repeat-fon-unknown-error",
            "a repeated foreignOrderNumber with checkFONIsUnique=Y earns -14, not -4",
            note="fon-unique-code",
            response=_repeat_fon_unknown_error,
            only=("AutoApplyIdA/stateful/*", "AutoApplyIdA/over-length/*", "AutoApplyIdA/allowed/*"),
        ),
        Variant(
            "refuses-test-orders",
            "click-through on a test order earns -20",
            note="click-through-test-orders",
            response=_refuses_test_orders,
            endpoints=(CLICK,),
        ),
        Variant(
            "errors-url-encoded-for-invalid-format",
            "an error for a request whose responseFormat is invalid comes URL-encoded (note format-of-errors "
            "allows either format: nothing to note)",
            note=None,
            response=_errors_url_encoded_for_invalid_format,
            only=("AutoApplyIdA/disallowed/responseFormat", "AutoApplyIdA/over-length/responseFormat"),
        ),
    ]
}

NOTES_SHOWN: dict[str, str | None] = {name: v.note for name, v in READINGS.items()}
"""READING -> the note the kit must report for it (None: a reading with nothing to note)."""


# ---------------------------------------------------------------------------- running the kit


@contextlib.contextmanager
def broken_server(
    *,
    tls: bool = True,
    login_name: str = LOGIN_NAME,
    password: str = PASSWORD,
    sasp: str = SASP,
) -> Iterator[tuple[RunningServer, Switchboard]]:
    """The reference server on loopback (HTTPS, a plain port, one account and SASP session) behind
    a :class:`Switchboard` (all switches off)."""
    board = Switchboard(login_name, password)
    with running_server(
        accounts=[(login_name, password)],
        sasp_sessions=[(sasp, login_name)],
        plain_port=True,
        tls=tls,
        pbkdf2_iterations=1000,
        app_wrapper=board.wrap,
    ) as server:
        yield server, board


def target_for(
    server: RunningServer,
    *,
    login_name: str = LOGIN_NAME,
    password: str = PASSWORD,
    sasp: str = SASP,
    check_auth: bool = True,
) -> Target:
    return Target(
        base_url=server.base_url,
        login_name=login_name,
        login_password=password,
        sasp_session_id=sasp,
        plain_url=server.plain_url if server.base_url.startswith("https") else None,
        verify=server.ca_file or False,
        check_auth=check_auth,
    )


ELSEWHERE = "plain.conformance.test"
"""A host name that is not loopback, for a plain URL the kit must treat as another machine's."""


class _Rerouted:
    """The kit's transport, with every request to :data:`ELSEWHERE` sent to 127.0.0.1 instead."""

    def __init__(self, target: Target) -> None:
        self._client = make_transport(target)

    def request(self, method: str, url: str, **options: Any) -> Response:
        return self._client.request(method, url.replace(f"//{ELSEWHERE}:", "//127.0.0.1:", 1), **options)

    def close(self) -> None:
        self._client.close()


def context_for(server: RunningServer, variant: Variant | None, **options: Any) -> RunContext:
    """A run against *server*; a variant with ``plain_elsewhere`` gets the plain URL under a host
    name that is not loopback (:data:`ELSEWHERE`), routed to the server's plain port."""
    target = target_for(server)
    if variant is None or not variant.plain_elsewhere or not target.plain_url:
        return RunContext(target, **options)
    port = urlsplit(target.plain_url).port or 80
    target = attrs.evolve(target, plain_url=f"http://{ELSEWHERE}:{port}/products/")
    return RunContext(target, transport=_Rerouted(target), **options)


def checks_for(variant: Variant | None) -> list[Check]:
    """The checks a variant is run against: its family's (a fault) or all (a reading), narrowed
    by its endpoints and id globs."""
    checks = [c for c in catalog() if variant is None or variant.family is None or c.family == variant.family]
    return select_checks(variant.endpoints if variant else None, variant.only if variant else None, checks)


def run_kit(
    server: RunningServer,
    board: Switchboard,
    variant: Variant | None,
    *,
    checks: list[Check] | None = None,
    seed: int = 0,
    examples: int | None = None,
    lenient: bool = False,
) -> Run:
    """Run the kit with *variant* switched on (None: the reference server); *lenient* as ``--lenient``."""
    budget = examples or (variant.examples if variant else 10)
    ctx = context_for(server, variant, seed=seed, examples=budget, lenient=lenient)
    try:
        with board.switched(variant):
            return run_checks(ctx, checks if checks is not None else checks_for(variant))
    finally:
        ctx.close()


def failing_rules(report: Run, family: str | None = None) -> list[str]:
    """Every failing finding's rule (of checks of *family*, or all)."""
    return [f.rule for r in report.failed if family is None or check_by_id(r.id).family == family for f in r.failures]


def killed(variant: Variant, report: Run) -> bool:
    """Whether the kit failed the broken server in its family (naming its rule, where it has one)."""
    rules = failing_rules(report, variant.family)
    return bool(rules) and (variant.rule is None or any(variant.rule in rule for rule in rules))


def caught_by(variant: Variant, report: Run) -> list[str]:
    """The checks of the variant's family that failed it (naming its rule, where it has one)."""
    return [
        r.id
        for r in report.failed
        if check_by_id(r.id).family == variant.family
        and (variant.rule is None or any(variant.rule in f.rule for f in r.failures))
    ]


def kill_table(seed: int = 0) -> tuple[int, int, list[str]]:
    """Run every fault, and every reading a note allows; return (killed, total, one line per
    server: killed by which check, or passed with which note)."""
    lines, count, passed = [], 0, 0
    with broken_server() as (server, board):
        for variant in FAULTS.values():
            report = run_kit(server, board, variant, seed=seed)
            hit = killed(variant, report)
            count += hit
            by = ", ".join(caught_by(variant, report)[:2]) or "-"
            lines.append(f"{'killed ' if hit else 'SURVIVED'} {variant.name:<34} by {by}: {variant.what}")
        for variant in READINGS.values():
            report = run_kit(server, board, variant, seed=seed)
            notes = sorted({str(n.rule) for r in report.results for n in r.notes})
            ok = report.conforming and notes == ([variant.note] if variant.note else [])
            passed += ok
            lines.append(f"{'passed ' if ok else 'FAILED '} {variant.name:<34} notes {notes or '-'}: {variant.what}")
    lines.append(f"allowed readings passed: {passed}/{len(READINGS)}")
    return count, len(FAULTS), lines


if __name__ == "__main__":  # python tests/support/mutants.py [seed]
    n, total, rows = kill_table(int(sys.argv[1]) if len(sys.argv) > 1 else random.randrange(2**32))
    print("\n".join(rows))
    print(f"kill count: {n}/{total}")
    sys.exit(0 if n == total and rows[-1].split()[-1].split("/")[0] == rows[-1].split()[-1].split("/")[1] else 1)
