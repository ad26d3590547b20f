"""What a check is, how families of checks are registered, and the helpers every family shares.

A :class:`Check` is one row of the catalog, declared with keyword-only fields; its id is made
from them -- ``ENDPOINT/FAMILY[/VARIABLE]`` -- so it always names its family.  A *family* is a
function that yields the checks of one endpoint, registered with the :func:`family` decorator
(its name, what its checks show, and its phase); :func:`catalog` asks every family for each
endpoint's checks, phase by phase (:data:`PHASES`), families of a phase in the order they are
defined.  A check's ``run`` sends its probes through a
:class:`~conformance.context.RunContext` and returns an :class:`Outcome`; the runner
(:mod:`conformance.runner`) turns that into the kit's one :class:`~conformance.results.Result`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs

import codec

from ..context import RunContext
from ..judge import Expectation, Verdict, success_codes
from ..results import Exchange, Finding, Status

__all__ = [
    "FAMILIES",
    "LOGIN_FIELDS",
    "Check",
    "Outcome",
    "Probe",
    "catalog",
    "check_by_id",
    "cite",
    "family",
    "outcome_of",
    "probe",
    "requires",
    "sequence",
    "success",
]

LOGIN_FIELDS: Final = frozenset({"loginName", "loginPassword", "saspSessionID"})

PHASES: Final = ("boundary", "request", "transport", "property", "stateful")
"""The run order: the deterministic phases (one variable at a time, the request as a whole, how it
arrives and is answered), then Hypothesis breadth, then state machines."""


@attrs.frozen
class Outcome:
    """What running a check found: its status, the findings (a failure's, or every note), the
    exchange that shows it, why it was skipped, and how many exchanges were judged."""

    status: Status
    findings: tuple[Finding, ...] = ()
    exchange: Exchange | None = None
    reason: str = ""
    examples: int = 1

    @property
    def notes(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "note")


@attrs.frozen(kw_only=True)
class Check:
    """One row of the catalog.  ``variable`` is the variable (or the variant: ``GET``,
    ``plain-http``, a format) the check is about, None when it is about the whole request;
    ``requires`` names what the target must offer (``login``, ``sasp``, ``check_auth``, ...);
    ``requests`` how many requests it sends at most when every probe passes -- a number, or for a
    Hypothesis check a function of the run's example budget (:meth:`planned`)."""

    endpoint: str
    family: str
    variable: str | None = None
    cites: str
    sends: str
    expects: str
    requires: frozenset[str]
    run: Callable[[RunContext], Outcome] = attrs.field(eq=False, repr=False)
    severity: str = "MUST"
    requests: int | Callable[[int], int] = attrs.field(default=1, eq=False, repr=False)

    def planned(self, examples: int) -> int:
        """The most requests this check sends when every probe passes, with *examples*
        Hypothesis examples per property (a failing Hypothesis check sends more as it shrinks)."""
        return self.requests(examples) if callable(self.requests) else self.requests

    @property
    def id(self) -> str:
        """``ENDPOINT/FAMILY[/VARIABLE]``."""
        return "/".join(part for part in (self.endpoint, self.family, self.variable) if part)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "endpoint": self.endpoint,
            "family": self.family,
            "cites": self.cites,
            "sends": self.sends,
            "expects": self.expects,
            "requires": sorted(self.requires),
            "severity": self.severity,
        }


# ---------------------------------------------------------------------------- the registry

Family = Callable[[codec.EndpointSpec], Iterable[Check]]

_MAKERS: dict[str, tuple[int, int, Family]] = {}
_ABOUT: dict[str, str] = {}

FAMILIES: Final[Mapping[str, str]] = MappingProxyType(_ABOUT)
"""Family name -> what its checks show (filled by :func:`family`)."""


def family(name: str, about: str, *, phase: str) -> Callable[[Family], Family]:
    """Register the decorated function as family *name* of *phase* (one of :data:`PHASES`):
    called with each endpoint's spec, it yields that endpoint's checks of this family (each with
    ``family=name``).  *about* says what the family's checks show."""
    if phase not in PHASES:
        raise ValueError(f"check family {name!r}: unknown phase {phase!r} (one of {', '.join(PHASES)})")

    def register(make: Family) -> Family:
        if name in _MAKERS:
            raise ValueError(f"check family {name!r} is registered twice")
        _MAKERS[name] = (PHASES.index(phase), len(_MAKERS), make)
        _ABOUT[name] = about
        return make

    return register


def catalog(versions: Mapping[str, str] | None = None) -> tuple[Check, ...]:
    """Every check of every endpoint, in run order: per endpoint, phase by phase, the families of
    a phase in the order they were registered.  Each endpoint's checks are made from the table of
    the document version *versions* names for it (default: its newest)."""
    return _catalog(tuple(sorted((versions or {}).items())))


@functools.cache
def _catalog(versions: tuple[tuple[str, str], ...]) -> tuple[Check, ...]:
    families = sorted(_MAKERS.items(), key=lambda item: item[1][:2])
    bound = dict(versions)
    out: list[Check] = []
    for name in sorted(codec.ENDPOINTS):
        spec = codec.endpoint_spec(name, bound.get(name))
        for family_name, (_, _, make) in families:
            for check in make(spec):
                if check.family != family_name or check.endpoint != spec.name:
                    raise ValueError(f"family {family_name} of {spec.name} made {check.id}")
                out.append(check)
    ids = [c.id for c in out]
    if len(ids) != len(set(ids)):
        raise ValueError("check ids must be unique")
    return tuple(out)


def check_by_id(check_id: str) -> Check:
    for c in catalog():
        if c.id == check_id:
            return c
    raise KeyError(check_id)


# ---------------------------------------------------------------------------- helpers


def _source(spec: codec.EndpointSpec) -> str:
    return spec.source


def cite(spec: codec.EndpointSpec, row: str, line: int | None) -> str:
    """``ENDPOINT.ROW (document line N)``: the table row a check enforces and where it comes from."""
    where = f" ({_source(spec)} line {line})" if line else f" ({_source(spec)})"
    return f"{spec.name}.{row}{where}"


def requires(spec: codec.EndpointSpec, *extra: str) -> frozenset[str]:
    """What a check of *spec* needs from the target: a login (or any credentials), an order."""
    needs = set(extra)
    names = {f.name for f in spec.fields}
    needs.add("login" if "saspSessionID" not in names else "credentials")
    if "orderNumber" in names:
        needs.add("order")
    return frozenset(needs)


def success(spec: codec.EndpointSpec, row: str, **kw: Any) -> Expectation:
    """A success code of the endpoint (the statuses its action allows, where it has statuses)."""
    note = codec.NoteId.CLICK_THROUGH_TEST_ORDERS if spec.statuses else None
    return Expectation(codes=success_codes(spec.name, spec.version), row=row, note=note, **kw)


def probe(ctx: RunContext, endpoint: str, pairs: Any, expect: Expectation, **send: Any) -> tuple[Exchange, Verdict]:
    """Send one request and judge its answer."""
    exchange = ctx.send(endpoint, pairs, **send)
    return exchange, ctx.check(exchange, expect)


def outcome_of(results: list[tuple[Exchange, Verdict]]) -> Outcome:
    """Failed at the first failing exchange; else passed with every note."""
    notes: dict[tuple[str, str], Finding] = {}
    for exchange, verdict in results:
        if verdict.failed:
            return Outcome("failed", verdict.findings, exchange, examples=len(results))
        for n in verdict.notes:
            notes[(n.rule, n.message)] = n
    return Outcome("passed", tuple(notes.values()), results[-1][0] if results else None, examples=len(results))


Probe = tuple[str, Any, Expectation, dict[str, Any]]
"""One request to send: endpoint, pairs, what to expect, options for :meth:`RunContext.send`."""


def sequence(ctx: RunContext, probes: Iterator[Probe]) -> Outcome:
    """Send *probes* in order, stopping at the first failure."""
    results = []
    for endpoint, pairs, expect, send in probes:
        exchange, verdict = probe(ctx, endpoint, pairs, expect, **send)
        results.append((exchange, verdict))
        if verdict.failed:
            break
    return outcome_of(results)
