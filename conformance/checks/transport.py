"""Checks of how a request arrives and how it is answered: method, scheme, format, credentials.

GET earns -17, plain HTTP -1, the answer comes in the format (and MIME type) responseFormat asks
for, success and error alike, and wrong credentials earn -16 (only with ``--check-auth``).

Each probe carries exactly one fault.  The GET probe is a complete valid request (test=Y) in the
query string, so -17 is the only right answer: a server that places the order fails.  The plain
HTTP probe is a complete valid request too when the plain URL is on this machine (loopback); to
any other host the kit will not send the password over plain HTTP, so it sends the request
without credentials and accepts -3 for them as a note (error-precedence).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any, Final

import codec

from ..context import RunContext, is_loopback
from ..judge import Expectation
from .base import LOGIN_FIELDS, Check, Outcome, Probe, cite, family, outcome_of, probe, requires, sequence, success

__all__: list[str] = []

# a plain-HTTP probe to another host goes without credentials, so it also misses them: under note
# error-precedence a server may report those (-3) first
_MISSING_TOO: Final[dict[str, Any]] = {"note": codec.NoteId.ERROR_PRECEDENCE, "also": frozenset({-3})}


@family("method", "GET earns -17", phase="transport")
def method(spec: codec.EndpointSpec) -> Iterator[Check]:
    yield Check(
        endpoint=spec.name,
        family="method",
        variable="GET",
        cites=cite(spec, "codes.-17", spec.codes[-17].source_line),
        sends="a complete valid request (test=Y, the account's credentials) by GET, in the query string",
        expects="-17 and nothing else (a server that acts on it fails)",
        requires=requires(spec),
        run=functools.partial(_run_method, spec),
    )


def _run_method(spec: codec.EndpointSpec, ctx: RunContext) -> Outcome:
    expect = Expectation(codes=frozenset({-17}), row=f"{spec.name}.codes.-17")
    return outcome_of([probe(ctx, spec.name, ctx.baseline(spec.name), expect, method="GET")])


@family("https", "plain HTTP earns -1", phase="transport")
def https(spec: codec.EndpointSpec) -> Iterator[Check]:
    yield Check(
        endpoint=spec.name,
        family="https",
        variable="plain-http",
        cites=cite(spec, "codes.-1", spec.codes[-1].source_line),
        sends="a complete valid request (test=Y) over plain HTTP when the plain URL is loopback; to another "
        "host, the same without credentials (the password never crosses a network in clear)",
        expects="-1 and nothing else (without credentials, -3 for them is a note: error-precedence)",
        requires=frozenset({"plain_url"}),
        run=functools.partial(_run_https, spec),
    )


def _run_https(spec: codec.EndpointSpec, ctx: RunContext) -> Outcome:
    plain = ctx.target.plain_url or ""
    if is_loopback(plain) and ctx.login_part(spec.name):
        wire, extra = ctx.baseline(spec.name), {}
    else:
        wire = {k: v for k, v in ctx.baseline(spec.name, order_number="1").items() if k not in LOGIN_FIELDS}
        extra = _MISSING_TOO
    expect = Expectation(codes=frozenset({-1}), row=f"{spec.name}.codes.-1", **extra)
    return outcome_of([probe(ctx, spec.name, wire, expect, base=plain)])


@family("format", "the answer uses the format and MIME type responseFormat asks for", phase="transport")
def response_format(spec: codec.EndpointSpec) -> Iterator[Check]:
    name = spec.format_field
    keys: list[str | None] = [k for k in spec.formats if k is not None] + ([None] if name else [])
    if not name:
        keys = [None]
    for key in keys:
        label = key if key is not None else "default"
        fmt = spec.formats[key if key is not None or not name else str(spec.by_key[name.lower()].default or 0)]
        sends = (
            f"a valid request and one missing a variable, {name}={key}"
            if key is not None and name
            else "a valid request and one missing a variable" + (f", no {name}" if name else "")
        )
        yield Check(
            endpoint=spec.name,
            family="format",
            variable=label,
            cites=cite(spec, f"responses.formats.{label}", None),
            sends=sends,
            expects=f"{fmt.mime_type} answers in the {fmt.name} format, success and error alike",
            requires=requires(spec),
            requests=2,
            run=functools.partial(_run_format, spec, key),
        )


def _run_format(spec: codec.EndpointSpec, key: str | None, ctx: RunContext) -> Outcome:
    name = spec.format_field

    def probes() -> Iterator[Probe]:
        wire = ctx.baseline(spec.name)
        if key is not None and name:
            wire[name] = key
        yield spec.name, wire, success(spec, f"{spec.name}.responses.formats"), {}
        error_wire = dict(wire)
        error_wire.pop(
            next(
                f.name for f in spec.fields if f.presence == "required" and f.name not in {"loginName", "loginPassword"}
            )
        )
        yield spec.name, error_wire, Expectation(codes=frozenset({-3}), row=f"{spec.name}.responses.formats"), {}

    return sequence(ctx, probes())


@family("auth", "wrong credentials earn -16", phase="transport")
def auth(spec: codec.EndpointSpec) -> Iterator[Check]:
    yield Check(
        endpoint=spec.name,
        family="auth",
        variable="wrong-password",
        cites=cite(spec, "codes.-16", spec.codes[-16].source_line),
        sends="the account's name with a wrong password",
        expects="-16",
        requires=requires(spec, "check_auth") | {"login"},
        run=functools.partial(_run_wrong_password, spec),
    )
    if "saspsessionid" in spec.by_key:
        yield Check(
            endpoint=spec.name,
            family="auth",
            variable="unknown-sasp",
            cites=cite(spec, "codes.-16", spec.codes[-16].source_line),
            sends="a SASP session id no account has",
            expects="-16",
            requires=frozenset({"check_auth"}),
            run=functools.partial(_run_unknown_sasp, spec),
        )


def _run_wrong_password(spec: codec.EndpointSpec, ctx: RunContext) -> Outcome:
    wire = ctx.baseline(spec.name)
    wire["loginPassword"] = (ctx.target.login_password or "") + "-wrong"
    return outcome_of([probe(ctx, spec.name, wire, Expectation(codes=frozenset({-16}), row=f"{spec.name}.codes.-16"))])


def _run_unknown_sasp(spec: codec.EndpointSpec, ctx: RunContext) -> Outcome:
    wire = ctx.baseline(spec.name)
    for n in ("loginName", "loginPassword"):
        wire.pop(n, None)
    wire = {"saspSessionID": "0000000000000000", **wire}
    return outcome_of([probe(ctx, spec.name, wire, Expectation(codes=frozenset({-16}), row=f"{spec.name}.codes.-16"))])
