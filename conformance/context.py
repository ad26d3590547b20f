"""Where the checks send their requests: a target server, and one run's shared state.

:class:`Target` says where and as whom; :class:`RunContext` holds the transport (the kit's
bounded HTTP client, :class:`conformance.http.Client`, unless a test hands it another
:class:`~conformance.http.Transport`), the baseline valid request of each endpoint, the orders the
run created (for click-through checks), the unique foreign order numbers, and the run's pacing:
the rate limit, the request budget and the run's deadline, shared by every worker.

Each check runs with a context of its own (:meth:`RunContext.for_check`): it shares all of the
above with the run, and keeps its own last exchange and its own foreign order numbers, so that
checks can run on several threads at once and a check sends and sees the same as in a
sequential run.  Every order it sends carries ``test=Y``; orders for the checks that need one
are placed as :func:`conformance.endpoints.place_order` says.

Every exchange has one deadline (``--timeout``: connect, TLS, send and the whole answer), and an
answer is read up to ``--max-answer-bytes``; whatever goes wrong on the wire -- no connection, a
failed handshake, a deadline passed in any phase, an answer too large, a broken HTTP/1.1 answer
-- is recorded in the exchange as one line naming it, which the judge turns into a finding.
Requests say ``Accept-Encoding: identity``: an answer with a ``Content-Encoding`` is the
server's fault (a finding), never decoded.
"""

from __future__ import annotations

import functools
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Final

import attrs

import codec

from . import DEFAULT_EXAMPLES
from .endpoints import OrderUnavailable, place_order
from .formats import expected_format
from .http import AnswerTooLarge, Client, HTTPClientError, Limits, RetryPolicy, Transport
from .judge import Expectation, Verdict, judge_response
from .pacing import RequestBudget, TokenBucket
from .peertext import peer_text
from .results import CredentialsRefused, Exchange, RunStopped
from .scrub import Scrubber
from .strategies import SAFETY_FIELDS
from .target import Target, TargetUnreachable, baseline_value, is_loopback

__all__ = [
    "FINDING_LIMIT",
    "Pacing",
    "RunContext",
    "Target",
    "TargetUnreachable",
    "baseline_value",
    "is_loopback",
    "make_transport",
]

FINDING_LIMIT = 2000
"""Characters of one finding's message (it may quote the server): the rest is cut with a marker."""

_IDENTITY: Final = (("Accept-Encoding", "identity"),)
"""Every request's own header but its Content-Type: an answer is never to be coded."""


@functools.cache
def _safety_fields(spec: codec.EndpointSpec) -> tuple[codec.FieldSpec, ...]:
    """*spec*'s variables that keep an order a test (test=Y), in table order."""
    return tuple(f for f in spec.fields if f.name in SAFETY_FIELDS)


@attrs.frozen
class Pacing:
    """How a run paces itself, across every worker: at most ``rate`` requests a second
    (``--rate-limit``; None: as fast as answers come), at most ``max_requests`` requests
    (``--max-requests``), and done by ``deadline`` (a ``time.monotonic()`` instant:
    ``--max-duration``).  A run past its budget or deadline stops (:class:`RunStopped`)."""

    rate: float | None = None
    max_requests: int | None = None
    deadline: float | None = None


class _Run:
    """What every check of a run shares (thread-safe)."""

    def __init__(self, transport: Transport, pacing: Pacing) -> None:
        self.transport = transport
        self.pacing = pacing
        self.lock = threading.Lock()
        self.order_lock = threading.Lock()
        self.tag = uuid.uuid4().hex[:10]
        self.orders: dict[str, str] = {}
        self.no_order: OrderUnavailable | None = None
        self.refused: str | None = None
        self.stopped: str | None = None
        self.budget = RequestBudget(pacing.max_requests)
        self.bucket = TokenBucket(pacing.rate) if pacing.rate else None
        # fixed for the run, made on first use (a race only makes the same value twice)
        self.baselines: dict[tuple[str, str], tuple[tuple[str, str | None], ...]] = {}


def make_transport(target: Target) -> Client:
    """The kit's bounded HTTP client for *target*: its deadline, answer cap and retries."""
    return Client(
        verify=target.verify,
        timeout=target.timeout,
        limits=Limits(max_body=target.max_answer_bytes),
        retry=RetryPolicy(retries=target.retries),
    )


class RunContext:
    """One run against one target: the transport, baselines, the run's own orders and pacing
    (see the module docstring); :meth:`for_check` gives each check its own view."""

    def __init__(
        self,
        target: Target,
        *,
        seed: int = 0,
        examples: int = DEFAULT_EXAMPLES,
        lenient: bool = False,
        transport: Transport | None = None,
        pacing: Pacing | None = None,
        scrubber: Scrubber | None = None,
    ) -> None:
        self.target = target
        self.seed = seed
        self.examples = examples
        self.lenient = lenient
        self.scrubber = scrubber or Scrubber(target.secrets)
        self._run = _Run(transport or make_transport(target), pacing or Pacing())
        self._label = ""
        self._counter = 0
        self.last: Exchange | None = None
        self._decoded: tuple[Exchange, codec.Response] | None = None  # the last answer, as the judge reads it

    def for_check(self, label: str) -> RunContext:
        """A context for one check (*label*: its id) sharing this run's transport, orders,
        pacing and counts, with its own last exchange and foreign order numbers."""
        view = object.__new__(RunContext)
        view.__dict__.update(self.__dict__)
        view._label, view._counter, view.last, view._decoded = label, 0, None, None
        return view

    def close(self) -> None:
        self._run.transport.close()

    @property
    def transport(self) -> Transport:
        return self._run.transport

    @property
    def sent(self) -> int:
        """Requests the run has sent (every check's)."""
        return self._run.budget.used

    @property
    def refused(self) -> str | None:
        """Why the server refused the account's credentials (-16), once it has."""
        return self._run.refused

    @property
    def deadline(self) -> float | None:
        """When the run must end (``time.monotonic()``; ``--max-duration``), if ever."""
        return self._run.pacing.deadline

    @property
    def stopped(self) -> str | None:
        """Why the run stopped (its budget or deadline, a signal), once it has."""
        return self._run.stopped

    def stop(self, reason: str) -> None:
        """Stop the run: the next request any check sends raises RunStopped(*reason*)."""
        with self._run.lock:
            self._run.stopped = self._run.stopped or reason

    # ------------------------------------------------------------------ values

    def fresh_fon(self) -> str:
        """A foreign order number never used before (this run's tag, the check and a counter)."""
        self._counter += 1
        check = uuid.uuid5(uuid.NAMESPACE_URL, self._label).hex[:6] if self._label else "run"
        return f"cfk-{self._run.tag}-{check}-{self._counter}"

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
        template = self._run.baselines.get((endpoint, style))
        if template is None:
            template = self._run.baselines[(endpoint, style)] = self._baseline_template(endpoint, style)
        return {name: (order_number or self.order_number()) if value is None else value for name, value in template}

    def _baseline_template(self, endpoint: str, style: str) -> tuple[tuple[str, str | None], ...]:
        """The baseline's pairs, the same for the whole run but for the order number (None: this
        run's order, placed when first asked for)."""
        spec = self.spec(endpoint)
        wire: dict[str, str | None] = dict(self.login_part(endpoint, style))
        for f in spec.fields:
            if f.name in wire or f.name in {"loginName", "loginPassword", "saspSessionID"}:
                continue
            if f.presence == "required" or f.name in SAFETY_FIELDS:
                if f.name == "orderNumber":
                    wire[f.name] = None
                elif set(f.kind.values) & set(spec.actions):
                    wire[f.name] = self.quiet_action(spec)
                else:
                    value = baseline_value(spec, f.name)
                    if value is not None:
                        wire[f.name] = value
        return tuple((f.name, wire[f.name]) for f in spec.fields if f.name in wire)

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
        run = self._run
        with run.order_lock:  # one order for the run, whichever check asks first
            if "order" not in run.orders:
                if run.no_order is not None:
                    raise run.no_order
                try:
                    run.orders["order"] = place_order(self, validated="N")
                except OrderUnavailable as exc:
                    run.no_order = exc
                    raise
            return run.orders["order"]

    def adopt_order(self, number: str) -> None:
        """Use *number* (a test order this run placed) for the checks that need an order."""
        self._run.orders.setdefault("order", number)

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
        fmt = expected_format(spec.name, pairs, body, method, version, encoded=raw_body is None)
        url = self.target.url_for(spec.name, base)
        get = method.upper() == "GET"
        content_type = spec.content_type if not get else None
        timeout = self._pace()
        headers = _IDENTITY if content_type is None else (*_IDENTITY, ("Content-Type", content_type))
        exchange = functools.partial(
            Exchange, spec.name, method, url, body, fmt, request_content_type=content_type, version=version
        )
        started = time.perf_counter()
        try:
            response = self._run.transport.request(
                method,
                f"{url}?{body.decode('latin-1')}" if get and body else url,
                body=b"" if get else body,
                headers=headers,
                timeout=timeout,
            )
        except HTTPClientError as exc:
            self.last = self._failed(exchange(), exc, time.perf_counter() - started)
            return self.last
        self.last = exchange(
            status=response.status,
            content_type=response.content_type,
            body=response.body,
            elapsed=time.perf_counter() - started,
            content_encoding=response.content_encoding,
        )
        if own:
            self._stop_if_refused(self.last)
        return self.last

    def _pace(self) -> float:
        """Wait for the run's rate limit and take one request from its budget; the seconds this
        exchange may take (``--timeout``, or less when the run's deadline is nearer).
        RunStopped when the run has stopped, or its budget or deadline is spent."""
        run, pacing = self._run, self._run.pacing
        if run.stopped:
            raise RunStopped(run.stopped)
        if not run.budget.try_take():
            self.stop(f"the request budget of {pacing.max_requests} was spent (--max-requests)")
            raise RunStopped(run.stopped or "")
        if run.bucket is not None:
            run.bucket.acquire()
        timeout = self.target.timeout
        if pacing.deadline is not None:
            left = pacing.deadline - time.monotonic()
            if left <= 0:
                self.stop("the run reached its --max-duration")
                raise RunStopped(run.stopped or "")
            timeout = min(timeout, left)
        if run.stopped:  # stopped while waiting for the rate limit
            raise RunStopped(run.stopped)
        return timeout

    def _failed(self, sent: Exchange, exc: HTTPClientError, elapsed: float) -> Exchange:
        """The exchange that *exc* ended: what happened, in one line (and what came of an answer
        too large).  RunStopped instead when the run's own deadline cut it."""
        deadline = self._run.pacing.deadline
        if deadline is not None and time.monotonic() >= deadline:
            self.stop("the run reached its --max-duration")
            raise RunStopped(self.stopped or "")
        error = peer_text(f"{type(exc).__name__}: {exc}", scrubber=self.scrubber, limit=FINDING_LIMIT)
        if isinstance(exc, AnswerTooLarge):
            content_type = next((v for k, v in exc.headers if k == "content-type"), None)
            return attrs.evolve(
                sent, status=exc.status, content_type=content_type, body=exc.partial, error=error, elapsed=elapsed
            )
        return attrs.evolve(sent, error=error, elapsed=elapsed)

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
        if exchange.version is None:  # decoded exactly as the judge decodes it: check() reuses it
            self._decoded = (exchange, answer)
        if answer.error_code == -16:
            said = peer_text(" ".join((answer.error_message or "").split()), limit=200, scrubber=self.scrubber)
            with self._run.lock:
                self._run.refused = f"the server refused the credentials (-16): {said or 'no message'}"
            raise CredentialsRefused(self._run.refused)

    def check(self, exchange: Exchange, expect: Expectation) -> Verdict:
        """*exchange* judged against *expect*; every finding's message (which may quote the
        server) scrubbed of the run's secrets, cut to :data:`FINDING_LIMIT` characters and shown
        escaped."""
        decoded, self._decoded = self._decoded, None
        answer = decoded[1] if decoded is not None and decoded[0] is exchange else None
        verdict = judge_response(exchange, expect, lenient=self.lenient, decoded=answer)
        if not verdict.findings:
            return verdict
        findings = tuple(
            attrs.evolve(f, message=peer_text(f.message, limit=FINDING_LIMIT, scrubber=self.scrubber))
            for f in verdict.findings
        )
        return attrs.evolve(verdict, findings=findings)

    @staticmethod
    def _guard_test_orders(spec: codec.EndpointSpec, pairs: list[tuple[str, str]]) -> None:
        """Refuse to send an order that could be charged (policy: every order carries test=Y)."""
        for f in _safety_fields(spec):
            values = [v for k, v in pairs if k.lower() == f.key]
            if values and any(v.upper() != "Y" for v in values):
                raise RuntimeError(
                    f"refusing to send {spec.name} with {f.name}={values!r}: orders the kit places carry {f.name}=Y"
                )
            if not values and any(k.lower() in {"product", "days"} for k, _ in pairs):
                raise RuntimeError(f"refusing to send {spec.name} without {f.name}=Y")
