"""Hypothesis breadth: valid requests over the whole space the tables allow, and requests with
exactly one fault (so the expected code is certain), each run by the one Hypothesis runner."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

import codec

from ..context import RunContext
from ..judge import Expectation, Verdict
from ..results import Exchange
from ..strategies import fault_earns_its_code, requests_per_tape, single_fault_batches, valid_wire_batches
from .base import Check, Outcome, cite, family, probe, requires, success
from .hypothesis_runner import BATCH, batches, run_property
from .rules import recase
from .variables import also_reported

__all__ = ["single_faults", "valid_requests"]


def _freshen(ctx: RunContext, wire: dict[str, str]) -> dict[str, str]:
    """*wire* with a foreign order number never used before (orders must not repeat one)."""
    if "foreignOrderNumber" in wire:
        wire = dict(wire, foreignOrderNumber=ctx.fresh_fon())
    return wire


def _login_kwargs(ctx: RunContext, spec: codec.EndpointSpec) -> dict[str, Any]:
    t = ctx.target
    kwargs: dict[str, Any] = {"login": (t.login_name, t.login_password) if t.login_name and t.login_password else None}
    if "saspsessionid" in spec.by_key:
        kwargs["sasp_session_id"] = t.sasp_session_id
    if "ordernumber" in spec.by_key:
        kwargs["order_numbers"] = st.just(ctx.order_number())
    return kwargs


def _batch(spec: codec.EndpointSpec) -> int:
    return requests_per_tape(spec, BATCH)


def examples_planned(spec: codec.EndpointSpec, examples: int) -> int:
    """A property check sends one request per value, a batch of values a test case."""
    batch = _batch(spec)
    return batches(examples, batch) * batch


_STYLES = ("as-is", "upper", "lower", "swap")  # how the valid requests' names are cased


@family("valid", "valid requests over the whole space the tables allow succeed (names in any case)", phase="property")
def valid_requests(spec: codec.EndpointSpec) -> Iterator[Check]:
    yield Check(
        endpoint=spec.name,
        family="valid",
        cites=cite(spec, "request", None),
        sends="Hypothesis: valid requests (every optional variable, Unicode, exact limits, both formats and login "
        "styles, names in any case)",
        expects="success, well-formed answers",
        requires=requires(spec),
        requests=functools.partial(examples_planned, spec),
        run=functools.partial(_run_valid, spec),
    )


def _run_valid(spec: codec.EndpointSpec, ctx: RunContext) -> Outcome:
    batch = _batch(spec)
    strategy = valid_wire_batches(spec, batch, **_login_kwargs(ctx, spec))

    def one(value: tuple[dict[str, str], int]) -> tuple[Exchange, Verdict]:
        wire, spare = value
        wire = _freshen(ctx, wire)
        return probe(
            ctx,
            spec.name,
            recase(wire, _STYLES[spare % len(_STYLES)]),
            success(spec, f"{spec.name}.request", action=wire.get("action")),
        )

    return run_property(ctx, strategy, one, batch)


@family("single-fault", "requests with exactly one fault earn exactly that fault's code", phase="property")
def single_faults(spec: codec.EndpointSpec) -> Iterator[Check]:
    yield Check(
        endpoint=spec.name,
        family="single-fault",
        cites=cite(spec, "request", None),
        sends="Hypothesis: valid requests with exactly one fault (missing, over-length, disallowed, unknown "
        "country, unknown name)",
        expects="exactly that fault's code, naming the variable",
        requires=requires(spec),
        requests=functools.partial(examples_planned, spec),
        run=functools.partial(_run_single_fault, spec),
    )


def _run_single_fault(spec: codec.EndpointSpec, ctx: RunContext) -> Outcome:
    batch = _batch(spec)
    strategy = single_fault_batches(spec, batch, **_login_kwargs(ctx, spec))

    def one(value: Any) -> tuple[Exchange, Verdict] | None:
        wire, fault = value
        if fault.field != "foreignOrderNumber":  # a fresh number would mend a fault in it
            wire = _freshen(ctx, wire)
        body = codec.encode_request_fields(spec.name, list(wire.items()), validate=False).body
        field = spec.by_key[fault.field.lower()] if fault.field else None
        also = also_reported(field, fault.kind) if field is not None else {}
        expect = Expectation(
            codes=frozenset({fault.code}),
            row=fault.row,
            argument=fault.argument if fault.code != -7 else None,
            country=fault.argument if fault.code == -7 else None,
            note=also.get("note"),  # a missing variable is left out (absent): exactly -3
            also=also.get("also", frozenset()),
        )
        exchange, verdict = probe(ctx, spec.name, wire, expect, raw_body=body)  # the body just encoded
        if verdict.failed and not fault_earns_its_code(spec, wire, fault):
            return None  # another rule masks the fault: the expectation was not certain, nothing to judge
        return exchange, verdict

    return run_property(ctx, strategy, one, batch)
