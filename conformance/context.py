"""Where the checks send their requests: a target server and one HTTP session to it.

:class:`Target` says where and as whom; :class:`RunContext` holds the HTTP client, the baseline
valid request of each endpoint, the orders the run created (for click-through checks) and the
unique foreign order numbers.  Every order it sends carries ``test=Y``; orders for the checks
that need one are placed as :func:`conformance.endpoints.place_order` says.
"""

from __future__ import annotations

import ipaddress
import itertools
import ssl
import time
import uuid
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

import attrs
import httpx

import codec

from . import DEFAULT_EXAMPLES
from .endpoints import OrderUnavailable, place_order
from .formats import expected_format
from .judge import Expectation, Verdict, judge_response
from .report import redact
from .results import CredentialsRefused, Exchange
from .strategies import SAFETY_FIELDS

__all__ = ["RunContext", "Target", "TargetUnreachable", "baseline_value", "is_loopback"]


class TargetUnreachable(Exception):
    """The target could not be reached at all (connection refused, TLS failure, DNS...)."""


@attrs.frozen
class Target:
    """A server under test.  ``base_url`` ends with ``/products/``; ``plain_url`` is the same
    server over plain HTTP (for the -1 check); ``verify`` is a CA file, True (system CAs) or
    False (--insecure); ``no_account``: an explicit run without an account (the checks that need
    one are skipped as such); ``password_env`` / ``sasp_env``: the environment variables a replay
    line reads the secrets from; ``versions`` the document version each endpoint claims to speak
    (an endpoint not named: its newest).  Secrets never appear in its repr."""

    base_url: str
    login_name: str | None = None
    login_password: str | None = attrs.field(default=None, repr=lambda v: "None" if v is None else codec.REDACTED)
    sasp_session_id: str | None = attrs.field(default=None, repr=lambda v: "None" if v is None else codec.REDACTED)
    plain_url: str | None = None
    verify: str | bool = True
    timeout: float = 15.0
    check_auth: bool = False
    order_number: str | None = None
    no_account: bool = False
    password_env: str = "COMODO_LOGIN_PASSWORD"
    sasp_env: str = "COMODO_SASP_SESSION_ID"
    versions: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def secrets(self) -> list[str]:
        return [s for s in (self.login_password, self.sasp_session_id) if s]

    @property
    def replay_env(self) -> dict[str, str]:
        """Each secret -> the environment variable a replay line reads it from."""
        pairs = ((self.login_password, self.password_env), (self.sasp_session_id, self.sasp_env))
        return {secret: env for secret, env in pairs if secret}

    @property
    def has_login(self) -> bool:
        return bool(self.login_name and self.login_password)

    def carries_own_credentials(self, pairs: Sequence[tuple[str, str]]) -> bool:
        """Whether a request of *pairs* authenticates as this target's account: its own login name
        and password, or its own SASP session id alone (names in any case)."""
        sent: dict[str, str] = {}
        for name, value in pairs:
            sent.setdefault(name.lower(), value)
        login = sent.get("loginname"), sent.get("loginpassword")
        if self.has_login and login == (self.login_name, self.login_password):
            return "saspsessionid" not in sent
        own_sasp = bool(self.sasp_session_id) and sent.get("saspsessionid") == self.sasp_session_id
        return own_sasp and login == (None, None)

    @property
    def is_https(self) -> bool:
        return self.base_url.lower().startswith("https://")

    def spec(self, endpoint: str) -> codec.EndpointSpec:
        """*endpoint*'s table, bound to the version the target claims."""
        name = codec.canonical_endpoint(endpoint)
        return codec.endpoint_spec(name, self.versions.get(name))

    def url_for(self, endpoint: str, base: str | None = None) -> str:
        base = base or self.base_url
        return base.rstrip("/") + "/!" + codec.canonical_endpoint(endpoint)


def is_loopback(url: str) -> bool:
    """Whether *url*'s host is this machine (``localhost`` or a loopback address; no name is looked
    up): what the kit sends there never crosses a network."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_TEXT = "Conformance Test"


def baseline_value(field: codec.EndpointSpec, name: str) -> str | None:
    """A plain, valid value for one variable of the baseline request (None: leave it out)."""
    f = field.by_key[name.lower()]
    if f.name in SAFETY_FIELDS:
        return "Y"
    if isinstance(f.kind, codec.Text | codec.Integer) and "email" in f.name.lower():
        return "conformance@example.com"
    return f.kind.baseline_value(f.max_length, text=_TEXT)


def ssl_context(verify: str | bool) -> ssl.SSLContext | bool:
    """What httpx's ``verify=`` takes for a CA file (a path is deprecated there), True or False."""
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    return verify


class RunContext:
    """One run against one target: the HTTP client, baselines and the run's own orders."""

    def __init__(
        self,
        target: Target,
        *,
        seed: int = 0,
        examples: int = DEFAULT_EXAMPLES,
        lenient: bool = False,
        client: httpx.Client | None = None,
    ) -> None:
        self.target = target
        self.seed = seed
        self.examples = examples
        self.lenient = lenient
        self.client = client or httpx.Client(
            verify=ssl_context(target.verify), timeout=target.timeout, follow_redirects=False
        )
        self._run_tag = uuid.uuid4().hex[:10]
        self._counter = itertools.count(1)
        self._orders: dict[str, str] = {}
        self._no_order: OrderUnavailable | None = None
        self.sent = 0
        self.last: Exchange | None = None
        self.refused: str | None = None

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------------ values

    def fresh_fon(self) -> str:
        """A foreign order number never used before (this run's tag and a counter)."""
        return f"cfk-{self._run_tag}-{next(self._counter)}"

    @property
    def secrets(self) -> list[str]:
        return self.target.secrets

    def spec(self, endpoint: str) -> codec.EndpointSpec:
        """*endpoint*'s table, bound to the version the target claims to speak."""
        return self.target.spec(endpoint)

    def login_part(self, endpoint: str, style: str = "login") -> dict[str, str]:
        spec = self.spec(endpoint)
        names = {f.name for f in spec.fields}
        if style == "sasp" and self.target.sasp_session_id and "saspSessionID" in names:
            return {"saspSessionID": self.target.sasp_session_id}
        if self.target.login_name is not None and self.target.login_password is not None:
            return {"loginName": self.target.login_name, "loginPassword": self.target.login_password}
        if self.target.sasp_session_id and "saspSessionID" in names:
            return {"saspSessionID": self.target.sasp_session_id}
        return {}

    def baseline(self, endpoint: str, *, style: str = "login", order_number: str | None = None) -> dict[str, str]:
        """A valid request with only the required variables, in the document's order."""
        spec = self.spec(endpoint)
        wire = dict(self.login_part(endpoint, style))
        for f in spec.fields:
            if f.name in wire or f.name in {"loginName", "loginPassword", "saspSessionID"}:
                continue
            if f.presence == "required" or f.name in SAFETY_FIELDS:
                if f.name == "orderNumber":
                    wire[f.name] = order_number or self.order_number()
                elif set(f.kind.values) & set(spec.actions):
                    wire[f.name] = self.quiet_action(spec)
                else:
                    value = baseline_value(spec, f.name)
                    if value is not None:
                        wire[f.name] = value
        return {f.name: wire[f.name] for f in spec.fields if f.name in wire}

    @staticmethod
    def quiet_action(spec: codec.EndpointSpec) -> str:
        """The action that makes no other variable required (ResendEmail)."""
        triggers = {r.when_equals for r in spec.rules_of(codec.RequiredWhenRule)}
        return next(a for a in spec.actions if a not in triggers)

    def order_number(self) -> str:
        """An order this run placed (test=Y, customer not validated), for click-through checks
        (placed once: when the server gave none, every later call says why, sending nothing)."""
        if self.target.order_number:
            return self.target.order_number
        if "order" not in self._orders:
            if self._no_order is not None:
                raise self._no_order
            try:
                self._orders["order"] = place_order(self, validated="N")
            except OrderUnavailable as exc:
                self._no_order = exc
                raise
        return self._orders["order"]

    def adopt_order(self, number: str) -> None:
        """Use *number* (a test order this run placed) for the checks that need an order."""
        self._orders.setdefault("order", number)

    # ------------------------------------------------------------------ sending

    def send(
        self,
        endpoint: str,
        fields: Mapping[str, str] | Sequence[tuple[str, str]],
        *,
        method: str = "POST",
        base: str | None = None,
        raw_body: bytes | None = None,
    ) -> Exchange:
        """Send one request (pairs exactly as given, unchecked) and return the exchange, to be
        judged by the version the target claims.  A GET carries the pairs in its query string
        (``request_body`` holds the query).

        :class:`~conformance.results.CredentialsRefused` when the answer is -16 to the account's
        own credentials; from then on no request carrying them is sent."""
        spec = self.spec(endpoint)
        if raw_body is not None:
            body = raw_body
        else:
            body = codec.encode_request_fields(spec.name, fields, validate=False).body
        pairs = list(fields.items()) if isinstance(fields, Mapping) else list(fields)
        self._guard_test_orders(spec, pairs)
        own = self.target.carries_own_credentials(pairs)
        if own and self.refused:
            raise CredentialsRefused(self.refused)
        version = self.target.versions.get(spec.name)
        fmt = expected_format(spec.name, pairs, body, method, version)
        url = self.target.url_for(spec.name, base)
        content_type = spec.content_type if method.upper() != "GET" else None
        sent = Exchange(spec.name, method, url, body, fmt, request_content_type=content_type, version=version)
        started = time.perf_counter()
        self.sent += 1
        try:
            if method.upper() == "GET":
                response = self.client.get(f"{url}?{body.decode('latin-1')}" if body else url)
            else:
                response = self.client.request(method, url, content=body, headers={"Content-Type": spec.content_type})
        except httpx.HTTPError as exc:
            error = redact(f"{type(exc).__name__}: {exc}", self.secrets)
            self.last = attrs.evolve(sent, error=error, elapsed=time.perf_counter() - started)
            return self.last
        self.last = attrs.evolve(
            sent,
            status=response.status_code,
            content_type=response.headers.get("content-type"),
            body=response.content,
            elapsed=time.perf_counter() - started,
        )
        if own:
            self._stop_if_refused(self.last)
        return self.last

    def _stop_if_refused(self, exchange: Exchange) -> None:
        """Raise CredentialsRefused if *exchange*'s answer is -16 (it carried the account's own credentials)."""
        try:
            answer = codec.decode_response(
                exchange.endpoint or "",
                exchange.body or b"",
                content_type=exchange.content_type,
                response_format=exchange.response_format,
            )
        except (codec.CodecError, KeyError, ValueError):
            return
        if answer.error_code == -16:
            said = " ".join((answer.error_message or "").split())[:200]
            self.refused = redact(f"the server refused the credentials (-16): {said or 'no message'}", self.secrets)
            raise CredentialsRefused(self.refused)

    def check(self, exchange: Exchange, expect: Expectation) -> Verdict:
        return judge_response(exchange, expect, lenient=self.lenient)

    @staticmethod
    def _guard_test_orders(spec: codec.EndpointSpec, pairs: list[tuple[str, str]]) -> None:
        """Refuse to send an order that could be charged (policy: every order carries test=Y)."""
        if not any(f.name in SAFETY_FIELDS for f in spec.fields):
            return
        for f in spec.fields:
            if f.name in SAFETY_FIELDS:
                values = [v for k, v in pairs if k.lower() == f.key]
                if values and any(v.upper() != "Y" for v in values):
                    raise RuntimeError(
                        f"refusing to send {spec.name} with {f.name}={values!r}: orders the kit places carry {f.name}=Y"
                    )
                if not values and any(k.lower() in {"product", "days"} for k, _ in pairs):
                    raise RuntimeError(f"refusing to send {spec.name} without {f.name}=Y")
