"""The server under test: where it is, as whom the kit logs in, and the exchange's bounds.

:class:`Target` is what every front end (the command line, the pytest plugin, the benchmarks)
hands :class:`~conformance.context.RunContext`; :func:`baseline_value` gives the plain valid value
of one variable the checks build their requests from.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

import attrs

import codec

from .http import DEFAULT_MAX_BODY, DEFAULT_RETRIES, DEFAULT_TIMEOUT
from .strategies import SAFETY_FIELDS

__all__ = ["Target", "TargetUnreachable", "baseline_value", "is_loopback"]


class TargetUnreachable(Exception):
    """The target could not be reached at all (connection refused, TLS failure, DNS...)."""


@attrs.frozen
class Target:
    """A server under test.  ``base_url`` ends with ``/products/``; ``plain_url`` is the same
    server over plain HTTP (for the -1 check); ``verify`` is a CA file, True (system CAs) or
    False (--insecure); ``timeout`` the seconds one exchange may take as a whole;
    ``max_answer_bytes`` the most of an answer's body read; ``retries`` how many times a
    connection that could not be opened is tried again; ``no_account``: an explicit run without
    an account (the checks that need one are skipped as such); ``password_env`` / ``sasp_env``: the environment variables a replay
    line reads the secrets from; ``versions`` the document version each endpoint claims to speak
    (an endpoint not named: its newest).  Secrets never appear in its repr."""

    base_url: str
    login_name: str | None = None
    login_password: str | None = attrs.field(default=None, repr=lambda v: "None" if v is None else codec.REDACTED)
    sasp_session_id: str | None = attrs.field(default=None, repr=lambda v: "None" if v is None else codec.REDACTED)
    plain_url: str | None = None
    verify: str | bool = True
    timeout: float = DEFAULT_TIMEOUT
    max_answer_bytes: int = DEFAULT_MAX_BODY
    retries: int = DEFAULT_RETRIES
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
