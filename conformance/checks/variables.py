"""Checks of one variable at a time, at its boundaries: the deterministic phase.

Each variable missing, sent empty, one character over its limit, exactly at it in non-ASCII
characters, each allowed value, a value outside them, a well-formed but unknown country.  Each
probe carries one fault; the one exception is a country one character over its limit, which is
an unknown country too (either code is right, under note error-precedence).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import codec
from codec import FieldSpec

from ..context import RunContext
from ..judge import Expectation
from ..strategies import SAFETY_FIELDS, invalid_values
from .base import LOGIN_FIELDS, Check, Outcome, Probe, cite, family, outcome_of, probe, requires, sequence, success

__all__ = ["also_reported"]


def also_reported(f: FieldSpec, rule: str) -> dict[str, Any]:
    """Expectation options for a value that breaks a second rule besides *rule*: a country one
    character over its limit is also an unknown country, and under note error-precedence a server
    may report either fault."""
    if rule == "max_length" and isinstance(f.kind, codec.Country):
        return {"note": codec.NoteId.ERROR_PRECEDENCE, "also": frozenset({f.kind.error_code})}
    return {}


# ---------------------------------------------------------------------------- missing


def _presence_checks(spec: codec.EndpointSpec, name: str, *, blank: bool) -> Iterator[Check]:
    """A check of family *name* per required variable: left out, or (*blank*) sent empty."""
    for f in spec.fields:
        if f.presence == "required" and f.name not in SAFETY_FIELDS:
            yield Check(
                endpoint=spec.name,
                family=name,
                variable=f.name,
                cites=cite(spec, f"request.{f.name}.presence", f.source_line),
                sends=f"a valid request with {f.name}= (empty)" if blank else f"a valid request without {f.name}",
                expects=f"-3 naming {f.name}" + (" (-4 naming it is a note: blank-value)" if blank else ""),
                requires=requires(spec),
                run=functools.partial(_run_presence, spec, f, blank),
            )


@family("missing", "a required variable left out earns -3 naming it", phase="boundary")
def missing(spec: codec.EndpointSpec) -> Iterator[Check]:
    return _presence_checks(spec, "missing", blank=False)


@family("blank", "a required variable sent empty (name=) counts as absent: -3 naming it", phase="boundary")
def blank(spec: codec.EndpointSpec) -> Iterator[Check]:
    return _presence_checks(spec, "blank", blank=True)


def _run_presence(spec: codec.EndpointSpec, f: FieldSpec, blank: bool, ctx: RunContext) -> Outcome:
    """Absent: exactly -3 naming it.  Empty: -3, or -4 under note blank-value (how it reads ``name=``)."""
    wire = ctx.baseline(spec.name)
    if blank:
        wire[f.name] = ""
    else:
        wire.pop(f.name, None)
    expect = Expectation(
        codes=frozenset({-3}),
        row=f"{spec.name}.request.{f.name}.presence",
        argument=f.name,
        note=codec.NoteId.BLANK_VALUE if blank else None,
    )
    return outcome_of([probe(ctx, spec.name, wire, expect)])


# ---------------------------------------------------------------------------- limits


@family("over-length", "a value one character over its limit earns -4 naming the variable", phase="boundary")
def over_length(spec: codec.EndpointSpec) -> Iterator[Check]:
    for f in spec.fields:
        bad = invalid_values(spec, f.name)
        over = [b for b in bad if b[2] == "max_length"]
        if over and f.name not in LOGIN_FIELDS:
            value = over[0][0]
            yield Check(
                endpoint=spec.name,
                family="over-length",
                variable=f.name,
                cites=cite(spec, f"request.{f.name}.max_length", f.source_line),
                sends=f"{f.name} of {len(value)} characters (limit {f.max_length})",
                expects=f"-4 naming {f.name}",
                requires=requires(spec),
                run=functools.partial(_run_over_length, spec, f, value),
            )


def _run_over_length(spec: codec.EndpointSpec, f: FieldSpec, value: str, ctx: RunContext) -> Outcome:
    row = f"request.{f.name}.max_length"
    wire = dict(ctx.baseline(spec.name), **{f.name: value})
    expect = Expectation(
        codes=frozenset({-4}), row=f"{spec.name}.{row}", argument=f.name, **also_reported(f, "max_length")
    )
    return outcome_of([probe(ctx, spec.name, wire, expect)])


def _at_limit_value(f: FieldSpec) -> str:
    n = f.max_length or 0
    if "email" in f.name.lower():
        domain = "@example.com"
        return "a" * max(n - len(domain), 1) + domain
    return ("é€Ωa" * n)[:n]


@family(
    "at-limit",
    "a value exactly at its limit, in non-ASCII characters, is accepted (limits count characters)",
    phase="boundary",
)
def at_limit(spec: codec.EndpointSpec) -> Iterator[Check]:
    for f in spec.fields:
        if (
            f.max_length
            and isinstance(f.kind, codec.Text | codec.Integer)
            and f.name not in LOGIN_FIELDS
            and f.name != "orderNumber"
        ):
            value = _at_limit_value(f)
            yield Check(
                endpoint=spec.name,
                family="at-limit",
                variable=f.name,
                cites=cite(spec, f"request.{f.name}.max_length", f.source_line),
                sends=f"{f.name} of exactly {f.max_length} characters ({len(value.encode())} UTF-8 bytes)",
                expects="success (limits count characters, note length-in-characters)",
                requires=requires(spec),
                run=functools.partial(_run_at_limit, spec, f, value),
            )


def _run_at_limit(spec: codec.EndpointSpec, f: FieldSpec, value: str, ctx: RunContext) -> Outcome:
    row = f"request.{f.name}.max_length"
    wire = ctx.baseline(spec.name)
    extra = {f.name: value}
    for r in spec.rules_of(codec.RequiredWhenRule):
        if r.field == f.name:
            extra[r.when_field] = r.when_equals
    wire.update(extra)
    return outcome_of([probe(ctx, spec.name, wire, success(spec, f"{spec.name}.{row}"))])


# ---------------------------------------------------------------------------- allowed values


@family("allowed", "every allowed value is accepted", phase="boundary")
def allowed_values(spec: codec.EndpointSpec) -> Iterator[Check]:
    for f in spec.fields:
        if f.kind.values:  # the kinds that list their values
            values = [v for v in f.kind.values if f.name not in SAFETY_FIELDS or v.upper() == "Y"]
            if isinstance(f.kind, codec.CommaList):
                values = [*values, f.kind.separator.join(f.kind.values)]
            yield Check(
                endpoint=spec.name,
                family="allowed",
                variable=f.name,
                cites=cite(spec, f"request.{f.name}.allowed", f.kind.source_line or f.source_line),
                sends=f"{f.name} = each of {', '.join(values)}",
                expects="success for each",
                requires=requires(spec),
                requests=len(values),
                run=functools.partial(_run_allowed, spec, f, values),
            )


def _run_allowed(spec: codec.EndpointSpec, f: FieldSpec, values: list[str], ctx: RunContext) -> Outcome:
    row = f"request.{f.name}.allowed"

    def probes() -> Iterator[Probe]:
        for value in values:
            wire = dict(ctx.baseline(spec.name), **{f.name: value})
            for r in spec.rules_of(codec.RequiredWhenRule):
                if r.when_field == f.name and value == r.when_equals:
                    wire[r.field] = "conformance@example.com"
            if f.name == "checkFONIsUnique":
                wire["foreignOrderNumber"] = ctx.fresh_fon()
            yield spec.name, wire, success(spec, f"{spec.name}.{row}", action=wire.get("action")), {}

    return sequence(ctx, probes())


def _outside(spec: codec.EndpointSpec, country: bool) -> Iterator[tuple[FieldSpec, list[tuple[str, int, str]]]]:
    """Each variable with values outside its allowed ones (and not over its limit): those whose
    values break the country rule when *country*, the others otherwise."""
    for f in spec.fields:
        bad = [b for b in invalid_values(spec, f.name) if b[2] != "max_length"]
        if bad and any(rule == "country" for _, _, rule in bad) == country:
            yield f, bad


def _disallowed_check(spec: codec.EndpointSpec, f: FieldSpec, bad: list[tuple[str, int, str]], name: str) -> Check:
    shown = ", ".join(repr(v) for v, _, _ in bad)
    codes = sorted({c for _, c, _ in bad})
    country = name == "country"
    return Check(
        endpoint=spec.name,
        family=name,
        variable=f.name,
        cites=cite(spec, f"request.{f.name}.allowed", f.source_line),
        sends=f"{f.name} = {shown}",
        expects=f"{' / '.join(map(str, codes))} naming {'the country' if country else f.name}",
        requires=requires(spec),
        requests=len(bad),
        run=functools.partial(_run_disallowed, spec, f, bad),
    )


@family("disallowed", "a value outside the allowed values earns -4 naming the variable", phase="boundary")
def disallowed(spec: codec.EndpointSpec) -> Iterator[Check]:
    for f, bad in _outside(spec, country=False):
        yield _disallowed_check(spec, f, bad, "disallowed")


@family("country", "a well-formed but unknown country earns -7 naming it", phase="boundary")
def unknown_country(spec: codec.EndpointSpec) -> Iterator[Check]:
    for f, bad in _outside(spec, country=True):
        yield _disallowed_check(spec, f, bad, "country")


def _run_disallowed(
    spec: codec.EndpointSpec, f: FieldSpec, bad: list[tuple[str, int, str]], ctx: RunContext
) -> Outcome:
    row = f"request.{f.name}.allowed"

    def probes() -> Iterator[Probe]:
        for value, code, broken in bad:
            wire = dict(ctx.baseline(spec.name), **{f.name: value})
            expect = Expectation(
                codes=frozenset({code}),
                row=f"{spec.name}.{row}",
                argument=None if broken == "country" else f.name,
                country=value if broken == "country" else None,
            )
            yield spec.name, wire, expect, {}

    return sequence(ctx, probes())
