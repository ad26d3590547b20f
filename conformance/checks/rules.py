"""Checks of the request as a whole: names, and the rules between variables.

An unknown name, every name in another letter case, a conditionally required variable left out
when its condition holds, the login variables left out without saspSessionID, and saspSessionID
together with the login variables.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import codec

from ..context import RunContext
from ..judge import Expectation
from .base import Check, Outcome, Probe, cite, family, outcome_of, probe, requires, sequence, success

__all__ = ["recase"]


def recase(wire: dict[str, str], style: str) -> list[tuple[str, str]]:
    """*wire*'s pairs with every name in ``upper``, ``lower`` or ``swap`` case (else as is)."""
    change: Callable[[str], str] = {"upper": str.upper, "lower": str.lower, "swap": str.swapcase}.get(style, str)
    return [(change(k), v) for k, v in wire.items()]


# ---------------------------------------------------------------------------- names


@family("unrecognised", "an unknown variable earns -2", phase="request")
def unrecognised(spec: codec.EndpointSpec) -> Iterator[Check]:
    yield Check(
        endpoint=spec.name,
        family="unrecognised",
        cites=cite(spec, "codes.-2", spec.codes[-2].source_line),
        sends="a valid request plus notAVariable=1",
        expects="-2 (naming notAVariable where the template names one)",
        requires=requires(spec),
        run=functools.partial(_run_unrecognised, spec),
    )


def _run_unrecognised(spec: codec.EndpointSpec, ctx: RunContext) -> Outcome:
    row = "request.names"
    wire = dict(ctx.baseline(spec.name), notAVariable="1")
    expect = Expectation(codes=frozenset({-2}), row=f"{spec.name}.{row}", argument="notAVariable")
    return outcome_of([probe(ctx, spec.name, wire, expect)])


@family("name-case", "variable names are accepted in any letter case", phase="request")
def name_case(spec: codec.EndpointSpec) -> Iterator[Check]:
    yield Check(
        endpoint=spec.name,
        family="name-case",
        cites=cite(spec, "request.names_case_insensitive", None),
        sends="a valid request with every name in upper case, then lower case, then swapped case",
        expects="success each time (names are case-insensitive)",
        requires=requires(spec),
        requests=3,
        run=functools.partial(_run_name_case, spec),
    )


def _run_name_case(spec: codec.EndpointSpec, ctx: RunContext) -> Outcome:
    def probes() -> Iterator[Probe]:
        for style in ("upper", "lower", "swap"):
            wire = ctx.baseline(spec.name)
            yield (
                spec.name,
                recase(wire, style),
                success(spec, f"{spec.name}.request.names", action=wire.get("action")),
                {},
            )

    return sequence(ctx, probes())


# ---------------------------------------------------------------------------- rules between variables


@family(
    "required-when", "a conditionally required variable left out when its condition holds earns -3", phase="request"
)
def required_when(spec: codec.EndpointSpec) -> Iterator[Check]:
    for r in spec.rules_of(codec.RequiredWhenRule):
        yield Check(
            endpoint=spec.name,
            family="required-when",
            variable=r.field,
            cites=cite(spec, f"request.rules.{r.id}", r.source_line),
            sends=f"{r.when_field}={r.when_equals} without {r.field}",
            expects=f"-3 naming {r.field}",
            requires=requires(spec),
            run=functools.partial(_run_required_when, spec, r),
        )


def _run_required_when(spec: codec.EndpointSpec, r: codec.RequiredWhenRule, ctx: RunContext) -> Outcome:
    wire = dict(ctx.baseline(spec.name), **{r.when_field: r.when_equals})
    wire.pop(r.field, None)
    expect = Expectation(codes=frozenset({-3}), row=f"{spec.name}.{r.id}", argument=r.field)
    return outcome_of([probe(ctx, spec.name, wire, expect)])


@family("required-unless", "the login variables are required unless saspSessionID is sent", phase="request")
def required_unless(spec: codec.EndpointSpec) -> Iterator[Check]:
    for r in spec.rules_of(codec.RequiredUnlessRule):
        yield Check(
            endpoint=spec.name,
            family="required-unless",
            variable=r.unless,
            cites=cite(spec, f"request.rules.{r.id}", r.source_line),
            sends=f"each of {', '.join(r.fields)} left out, without {r.unless}",
            expects="-3 naming the variable left out",
            requires=frozenset({"login"}),
            requests=len(r.fields),
            run=functools.partial(_run_required_unless, spec, r),
        )


def _run_required_unless(spec: codec.EndpointSpec, r: codec.RequiredUnlessRule, ctx: RunContext) -> Outcome:
    def probes() -> Iterator[Probe]:
        base = ctx.baseline(spec.name)
        for name in r.fields:
            wire = {k: v for k, v in base.items() if k not in r.fields and k != r.unless}
            wire.update({n: base[n] for n in r.fields if n != name and n in base})
            expect = Expectation(codes=frozenset({-3}), row=f"{spec.name}.{r.id}", argument=name)
            yield spec.name, wire, expect, {}

    return sequence(ctx, probes())


@family("exclusive", "saspSessionID with loginName/loginPassword is refused", phase="request")
def exclusive(spec: codec.EndpointSpec) -> Iterator[Check]:
    for r in spec.rules_of(codec.ExclusiveRule):
        yield Check(
            endpoint=spec.name,
            family="exclusive",
            variable=r.field,
            cites=cite(spec, f"request.rules.{r.id}", r.source_line),
            sends=f"{r.field} plus {r.excludes[0]}",
            expects=f"{r.error_code} naming {r.excludes[0]} or, as a note, {' or '.join([r.field, *r.excludes[1:]])} "
            f"(the document names no argument); success, -2 or -16 are notes: {r.note}",
            requires=frozenset({"sasp"}),
            run=functools.partial(_run_exclusive, spec, r),
            severity="MUST (reading)",
        )


def _run_exclusive(spec: codec.EndpointSpec, r: codec.ExclusiveRule, ctx: RunContext) -> Outcome:
    wire = dict(ctx.baseline(spec.name, style="sasp"))
    wire[r.excludes[0]] = "someone"
    expect = Expectation(
        codes=frozenset({r.error_code}),
        row=f"{spec.name}.{r.id}",
        argument=r.excludes[0],
        note=r.note,
        also_named=frozenset({r.field, *r.excludes}),  # "should not be specified" names none of them
    )
    return outcome_of([probe(ctx, spec.name, wire, expect)])
