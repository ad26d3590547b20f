"""The check catalog, made from the tables: every check has a stable id that cites its table row.

Ids read ``ENDPOINT/FAMILY[/VARIABLE]``, e.g. ``AutoApplyIdA/over-length/location``.  The catalog
is a list of :class:`Check` rows; ``python -m conformance checks`` prints it and each check's
``run`` executes it against a :class:`~conformance.context.RunContext`.

Phases: the deterministic boundary checks first (each variable missing, at its limit, one over,
every allowed value, one outside, unknown names, the rules, method and scheme, both formats), then
Hypothesis breadth (valid requests over the whole space; requests with exactly one fault), then the
stateful rules (a Hypothesis state machine).  Every answer of every check is also judged for its
format, MIME type, parameters, types, code table, message template, status and delivery values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any, Literal

import attrs
from hypothesis import HealthCheck, Phase, Verbosity, assume, given, seed, settings
from hypothesis import errors as hypothesis_errors
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

import codec

from .context import RunContext, success_codes
from .judge import Exchange, Expectation, Finding, Verdict
from .strategies import SAFETY_FIELDS, field_values, invalid_values, single_fault, valid_wire

__all__ = ["FAMILIES", "Check", "Outcome", "catalog", "check_by_id"]

Status = Literal["passed", "failed", "skipped"]

FAMILIES = {
    "missing": "a required variable left out earns -3 naming it",
    "over-length": "a value one character over its limit earns -4 naming the variable",
    "at-limit": "a value exactly at its limit, in non-ASCII characters, is accepted (limits count characters)",
    "allowed": "every allowed value is accepted",
    "disallowed": "a value outside the allowed values earns -4 naming the variable",
    "country": "a well-formed but unknown country earns -7 naming it",
    "unrecognised": "an unknown variable earns -2",
    "name-case": "variable names are accepted in any letter case",
    "required-when": "a conditionally required variable left out when its condition holds earns -3",
    "required-unless": "the login variables are required unless saspSessionID is sent",
    "exclusive": "saspSessionID with loginName/loginPassword is refused",
    "method": "GET earns -17",
    "https": "plain HTTP earns -1",
    "format": "the answer uses the format and MIME type responseFormat asks for",
    "valid": "valid requests over the whole space the tables allow succeed (names in any case)",
    "single-fault": "requests with exactly one fault earn exactly that fault's code",
    "auth": "wrong credentials earn -16",
    "stateful": "state rules: unique foreign order numbers, click-through on the run's own orders",
}


@attrs.frozen
class Outcome:
    status: Status
    findings: tuple[Finding, ...] = ()
    exchange: Exchange | None = None
    reason: str = ""
    examples: int = 1

    @property
    def notes(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "note")


@attrs.frozen
class Check:
    """One row of the catalog."""

    id: str
    endpoint: str
    family: str
    cites: str
    sends: str
    expects: str
    requires: frozenset[str]
    run: Callable[[RunContext], Outcome] = attrs.field(eq=False, repr=False)
    severity: str = "MUST"

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


# ---------------------------------------------------------------------------- helpers


def _source(spec: codec.EndpointSpec) -> str:
    return spec.source


def _cite(spec: codec.EndpointSpec, row: str, line: int | None) -> str:
    where = f" ({_source(spec)} line {line})" if line else f" ({_source(spec)})"
    return f"{spec.name}.{row}{where}"


def _probe(ctx: RunContext, endpoint: str, pairs: Any, expect: Expectation, **send: Any) -> tuple[Exchange, Verdict]:
    exchange = ctx.send(endpoint, pairs, **send)
    return exchange, ctx.check(exchange, expect)


def _outcome(results: list[tuple[Exchange, Verdict]]) -> Outcome:
    """Failed at the first failing exchange; else passed with every note."""
    notes: dict[tuple[str, str], Finding] = {}
    for exchange, verdict in results:
        if verdict.failed:
            return Outcome("failed", verdict.findings, exchange, examples=len(results))
        for n in verdict.notes:
            notes[(n.rule, n.message)] = n
    return Outcome("passed", tuple(notes.values()), results[-1][0] if results else None, examples=len(results))


def _sequence(ctx: RunContext, probes: Iterator[tuple[str, Any, Expectation, dict[str, Any]]]) -> Outcome:
    results = []
    for endpoint, pairs, expect, send in probes:
        exchange, verdict = _probe(ctx, endpoint, pairs, expect, **send)
        results.append((exchange, verdict))
        if verdict.failed:
            break
    return _outcome(results)


def _base(ctx: RunContext, spec: codec.EndpointSpec, *, style: str = "login") -> dict[str, str]:
    return ctx.baseline(spec.name, style=style)


def _success(spec: codec.EndpointSpec, row: str, **kw: Any) -> Expectation:
    note = codec.NoteId.CLICK_THROUGH_TEST_ORDERS if spec.statuses else None
    return Expectation(codes=success_codes(spec.name), row=row, note=note, **kw)


def _requires(spec: codec.EndpointSpec, *extra: str) -> frozenset[str]:
    needs = set(extra)
    names = {f.name for f in spec.fields}
    needs.add("login" if "saspSessionID" not in names else "credentials")
    if "orderNumber" in names:
        needs.add("order")
    return frozenset(needs)


# ---------------------------------------------------------------------------- per-variable checks


def _missing(spec: codec.EndpointSpec, f: codec.FieldSpec) -> Check:
    row = f"request.{f.name}.presence"

    def run(ctx: RunContext) -> Outcome:
        wire = _base(ctx, spec)
        wire.pop(f.name, None)
        expect = Expectation(
            codes=frozenset({-3}), row=f"{spec.name}.{row}", argument=f.name, note=codec.NoteId.BLANK_VALUE
        )
        exchange, verdict = _probe(ctx, spec.name, wire, expect)
        blank = dict(_base(ctx, spec), **{f.name: ""})
        exchange2, verdict2 = _probe(ctx, spec.name, blank, expect)
        return _outcome([(exchange, verdict), (exchange2, verdict2)])

    return Check(
        f"{spec.name}/missing/{f.name}",
        spec.name,
        "missing",
        _cite(spec, row, f.source_line),
        f"a valid request without {f.name}, then with {f.name} empty",
        f"-3 naming {f.name} (-4 for the empty value is a note: blank-value)",
        _requires(spec),
        run,
    )


def _also_reported(f: codec.FieldSpec, rule: str) -> dict[str, Any]:
    """Expectation options for a value that breaks a second rule besides *rule*: a country one
    character over its limit is also an unknown country, and under note error-precedence a server
    may report either fault."""
    if rule == "max_length" and isinstance(f.kind, codec.Country):
        return {"note": codec.NoteId.ERROR_PRECEDENCE, "also": frozenset({f.kind.error_code})}
    return {}


def _over_length(spec: codec.EndpointSpec, f: codec.FieldSpec, value: str) -> Check:
    row = f"request.{f.name}.max_length"

    def run(ctx: RunContext) -> Outcome:
        wire = dict(_base(ctx, spec), **{f.name: value})
        expect = Expectation(
            codes=frozenset({-4}), row=f"{spec.name}.{row}", argument=f.name, **_also_reported(f, "max_length")
        )
        return _outcome([_probe(ctx, spec.name, wire, expect)])

    return Check(
        f"{spec.name}/over-length/{f.name}",
        spec.name,
        "over-length",
        _cite(spec, row, f.source_line),
        f"{f.name} of {len(value)} characters (limit {f.max_length})",
        f"-4 naming {f.name}",
        _requires(spec),
        run,
    )


def _at_limit_value(f: codec.FieldSpec) -> str:
    n = f.max_length or 0
    if "email" in f.name.lower():
        domain = "@example.com"
        return "a" * max(n - len(domain), 1) + domain
    return ("é€Ωa" * n)[:n]


def _at_limit(spec: codec.EndpointSpec, f: codec.FieldSpec) -> Check:
    row = f"request.{f.name}.max_length"
    value = _at_limit_value(f)

    def run(ctx: RunContext) -> Outcome:
        wire = _base(ctx, spec)
        extra = {f.name: value}
        for r in spec.rules_of(codec.RequiredWhenRule):
            if r.field == f.name:
                extra[r.when_field] = r.when_equals
        wire.update(extra)
        return _outcome([_probe(ctx, spec.name, wire, _success(spec, f"{spec.name}.{row}"))])

    return Check(
        f"{spec.name}/at-limit/{f.name}",
        spec.name,
        "at-limit",
        _cite(spec, row, f.source_line),
        f"{f.name} of exactly {f.max_length} characters ({len(value.encode())} UTF-8 bytes)",
        "success (limits count characters, note length-in-characters)",
        _requires(spec),
        run,
    )


def _allowed(spec: codec.EndpointSpec, f: codec.FieldSpec) -> Check:
    row = f"request.{f.name}.allowed"
    values = [v for v in f.kind.values if f.name not in SAFETY_FIELDS or v.upper() == "Y"]
    if isinstance(f.kind, codec.CommaList):
        values = [*values, f.kind.separator.join(f.kind.values)]

    def run(ctx: RunContext) -> Iterator[Any]:
        for value in values:
            wire = dict(_base(ctx, spec), **{f.name: value})
            for r in spec.rules_of(codec.RequiredWhenRule):
                if r.when_field == f.name and value == r.when_equals:
                    wire[r.field] = "conformance@example.com"
            if f.name == "checkFONIsUnique":
                wire["foreignOrderNumber"] = ctx.fresh_fon()
            yield spec.name, wire, _success(spec, f"{spec.name}.{row}", action=wire.get("action")), {}

    return Check(
        f"{spec.name}/allowed/{f.name}",
        spec.name,
        "allowed",
        _cite(spec, row, f.kind.source_line or f.source_line),
        f"{f.name} = each of {', '.join(values)}",
        "success for each",
        _requires(spec),
        lambda ctx: _sequence(ctx, run(ctx)),
    )


def _disallowed(spec: codec.EndpointSpec, f: codec.FieldSpec, bad: list[tuple[str, int, str]]) -> Check:
    country = any(rule == "country" for _, _, rule in bad)
    family = "country" if country else "disallowed"
    row = f"request.{f.name}.allowed"

    def run(ctx: RunContext) -> Iterator[Any]:
        for value, code, broken in bad:
            wire = dict(_base(ctx, spec), **{f.name: value})
            expect = Expectation(
                codes=frozenset({code}),
                row=f"{spec.name}.{row}",
                argument=None if broken == "country" else f.name,
                country=value if broken == "country" else None,
            )
            yield spec.name, wire, expect, {}

    shown = ", ".join(repr(v) for v, _, _ in bad)
    codes = sorted({c for _, c, _ in bad})
    return Check(
        f"{spec.name}/{family}/{f.name}",
        spec.name,
        family,
        _cite(spec, row, f.source_line),
        f"{f.name} = {shown}",
        f"{' / '.join(map(str, codes))} naming {'the country' if country else f.name}",
        _requires(spec),
        lambda ctx: _sequence(ctx, run(ctx)),
    )


# ---------------------------------------------------------------------------- request-level checks


def _unrecognised(spec: codec.EndpointSpec) -> Check:
    row = "request.names"

    def run(ctx: RunContext) -> Outcome:
        wire = dict(_base(ctx, spec), notAVariable="1")
        expect = Expectation(codes=frozenset({-2}), row=f"{spec.name}.{row}", argument="notAVariable")
        return _outcome([_probe(ctx, spec.name, wire, expect)])

    return Check(
        f"{spec.name}/unrecognised",
        spec.name,
        "unrecognised",
        _cite(spec, "codes.-2", spec.codes[-2].source_line),
        "a valid request plus notAVariable=1",
        "-2 (naming notAVariable where the template names one)",
        _requires(spec),
        run,
    )


def _name_case(spec: codec.EndpointSpec) -> Check:
    def run(ctx: RunContext) -> Iterator[Any]:
        for style in ("upper", "lower", "swap"):
            wire = _base(ctx, spec)
            yield (
                spec.name,
                _recase(wire, style),
                _success(spec, f"{spec.name}.request.names", action=wire.get("action")),
                {},
            )

    return Check(
        f"{spec.name}/name-case",
        spec.name,
        "name-case",
        _cite(spec, "request.names_case_insensitive", None),
        "a valid request with every name in upper case, then lower case, then swapped case",
        "success each time (names are case-insensitive)",
        _requires(spec),
        lambda ctx: _sequence(ctx, run(ctx)),
    )


def _rule_checks(spec: codec.EndpointSpec) -> list[Check]:
    checks = []
    for r in spec.rules:
        if isinstance(r, codec.RequiredWhenRule):
            checks.append(_required_when(spec, r))
        elif isinstance(r, codec.RequiredUnlessRule):
            checks.append(_required_unless(spec, r))
        elif isinstance(r, codec.ExclusiveRule):
            checks.append(_exclusive(spec, r))
    return checks


def _required_when(spec: codec.EndpointSpec, r: codec.RequiredWhenRule) -> Check:
    def run(ctx: RunContext) -> Outcome:
        wire = dict(_base(ctx, spec), **{r.when_field: r.when_equals})
        wire.pop(r.field, None)
        expect = Expectation(codes=frozenset({-3}), row=f"{spec.name}.{r.id}", argument=r.field)
        return _outcome([_probe(ctx, spec.name, wire, expect)])

    return Check(
        f"{spec.name}/required-when/{r.field}",
        spec.name,
        "required-when",
        _cite(spec, f"request.rules.{r.id}", r.source_line),
        f"{r.when_field}={r.when_equals} without {r.field}",
        f"-3 naming {r.field}",
        _requires(spec),
        run,
    )


def _required_unless(spec: codec.EndpointSpec, r: codec.RequiredUnlessRule) -> Check:
    def run(ctx: RunContext) -> Iterator[Any]:
        base = _base(ctx, spec)
        for name in r.fields:
            wire = {k: v for k, v in base.items() if k not in r.fields and k != r.unless}
            wire.update({n: base[n] for n in r.fields if n != name and n in base})
            expect = Expectation(codes=frozenset({-3}), row=f"{spec.name}.{r.id}", argument=name)
            yield spec.name, wire, expect, {}

    return Check(
        f"{spec.name}/required-unless/{r.unless}",
        spec.name,
        "required-unless",
        _cite(spec, f"request.rules.{r.id}", r.source_line),
        f"each of {', '.join(r.fields)} left out, without {r.unless}",
        "-3 naming the variable left out",
        frozenset({"login"}),
        lambda ctx: _sequence(ctx, run(ctx)),
    )


def _exclusive(spec: codec.EndpointSpec, r: codec.ExclusiveRule) -> Check:
    def run(ctx: RunContext) -> Outcome:
        wire = dict(_base(ctx, spec, style="sasp"))
        wire[r.excludes[0]] = "someone"
        expect = Expectation(
            codes=frozenset({r.error_code}), row=f"{spec.name}.{r.id}", argument=r.excludes[0], note=r.note
        )
        return _outcome([_probe(ctx, spec.name, wire, expect)])

    return Check(
        f"{spec.name}/exclusive/{r.field}",
        spec.name,
        "exclusive",
        _cite(spec, f"request.rules.{r.id}", r.source_line),
        f"{r.field} plus {r.excludes[0]}",
        f"{r.error_code} naming {r.excludes[0]} (success, -2 or -16 are notes: {r.note})",
        frozenset({"sasp"}),
        run,
        severity="MUST (reading)",
    )


# GET and plain-HTTP probes send no credentials, so they also carry missing variables: under note
# error-precedence a server may report those (-3) first
_MISSING_TOO = {"note": codec.NoteId.ERROR_PRECEDENCE, "also": frozenset({-3})}


def _method(spec: codec.EndpointSpec) -> Check:
    def run(ctx: RunContext) -> Outcome:
        expect = Expectation(codes=frozenset({-17}), row=f"{spec.name}.codes.-17", **_MISSING_TOO)
        return _outcome([_probe(ctx, spec.name, {}, expect, method="GET")])

    return Check(
        f"{spec.name}/method/GET",
        spec.name,
        "method",
        _cite(spec, "codes.-17", spec.codes[-17].source_line),
        "GET (no query, no credentials)",
        "-17 (-3 for the missing variables is a note: error-precedence)",
        frozenset(),
        run,
    )


def _https(spec: codec.EndpointSpec) -> Check:
    def run(ctx: RunContext) -> Outcome:
        wire = {
            k: v
            for k, v in ctx.baseline(spec.name, order_number="1").items()
            if k not in {"loginName", "loginPassword", "saspSessionID"}
        }
        expect = Expectation(codes=frozenset({-1}), row=f"{spec.name}.codes.-1", **_MISSING_TOO)
        return _outcome([_probe(ctx, spec.name, wire, expect, base=ctx.target.plain_url)])

    return Check(
        f"{spec.name}/https/plain-http",
        spec.name,
        "https",
        _cite(spec, "codes.-1", spec.codes[-1].source_line),
        "POST over plain HTTP (no credentials sent)",
        "-1 (-3 for the missing credentials is a note: error-precedence)",
        frozenset({"plain_url"}),
        run,
    )


def _format_checks(spec: codec.EndpointSpec) -> list[Check]:
    checks = []
    name = spec.format_field
    keys: list[str | None] = [k for k in spec.formats if k is not None] + ([None] if name else [])
    if not name:
        keys = [None]
    for key in keys:
        label = key if key is not None else "default"
        fmt = spec.formats[key if key is not None or not name else str(spec.by_key[name.lower()].default or 0)]

        def run(ctx: RunContext, key: str | None = key) -> Iterator[Any]:
            wire = _base(ctx, spec)
            if key is not None and name:
                wire[name] = key
            yield spec.name, wire, _success(spec, f"{spec.name}.responses.formats"), {}
            error_wire = dict(wire)
            error_wire.pop(
                next(
                    f.name
                    for f in spec.fields
                    if f.presence == "required" and f.name not in {"loginName", "loginPassword"}
                )
            )
            yield (
                spec.name,
                error_wire,
                Expectation(codes=frozenset({-3}), row=f"{spec.name}.responses.formats", note=codec.NoteId.BLANK_VALUE),
                {},
            )

        sends = (
            f"a valid request and one missing a variable, {name}={key}"
            if key is not None and name
            else "a valid request and one missing a variable" + (f", no {name}" if name else "")
        )
        checks.append(
            Check(
                f"{spec.name}/format/{label}",
                spec.name,
                "format",
                _cite(spec, f"responses.formats.{label}", None),
                sends,
                f"{fmt.mime_type} answers in the {fmt.name} format, success and error alike",
                _requires(spec),
                lambda ctx, run=run: _sequence(ctx, run(ctx)),
            )
        )
    return checks


def _auth(spec: codec.EndpointSpec) -> list[Check]:
    checks = []

    def run(ctx: RunContext) -> Outcome:
        wire = _base(ctx, spec)
        wire["loginPassword"] = (ctx.target.login_password or "") + "-wrong"
        return _outcome(
            [_probe(ctx, spec.name, wire, Expectation(codes=frozenset({-16}), row=f"{spec.name}.codes.-16"))]
        )

    checks.append(
        Check(
            f"{spec.name}/auth/wrong-password",
            spec.name,
            "auth",
            _cite(spec, "codes.-16", spec.codes[-16].source_line),
            "the account's name with a wrong password",
            "-16",
            _requires(spec, "check_auth") | {"login"},
            run,
        )
    )
    if "saspsessionid" in spec.by_key:

        def run_sasp(ctx: RunContext) -> Outcome:
            wire = _base(ctx, spec)
            for n in ("loginName", "loginPassword"):
                wire.pop(n, None)
            wire = {"saspSessionID": "0000000000000000", **wire}
            return _outcome(
                [_probe(ctx, spec.name, wire, Expectation(codes=frozenset({-16}), row=f"{spec.name}.codes.-16"))]
            )

        checks.append(
            Check(
                f"{spec.name}/auth/unknown-sasp",
                spec.name,
                "auth",
                _cite(spec, "codes.-16", spec.codes[-16].source_line),
                "a SASP session id no account has",
                "-16",
                frozenset({"check_auth"}),
                run_sasp,
            )
        )
    return checks


# ---------------------------------------------------------------------------- Hypothesis checks


class _Failed(Exception):
    pass


class _Recorder:
    """What a stateful check's probes found: every note (once each, after the deterministic
    *prefix*'s), and the failure that stops the state machine."""

    def __init__(self, prefix: Outcome) -> None:
        self.failures: list[tuple[Exchange, Verdict]] = []
        self.notes: dict[tuple[str, str], Finding] = {(n.rule, n.message): n for n in prefix.notes}

    def record(self, exchange: Exchange, verdict: Verdict) -> Verdict:
        """Keep *verdict*'s notes; raise :class:`_Failed` (ending the machine) if it failed."""
        for n in verdict.notes:
            self.notes[(n.rule, n.message)] = n
        if verdict.failed:
            self.failures.append((exchange, verdict))
            raise _Failed
        return verdict

    def run(self, ctx: RunContext, machine: type[RuleBasedStateMachine]) -> Outcome:
        """Run *machine* with the run's seed and budget; the last failure recorded, or a pass."""
        try:
            run_state_machine_as_test(
                seed(ctx.seed)(machine),
                settings=_settings(ctx, stateful_step_count=6, max_examples=max(2, ctx.examples // 5)),
            )
        except (_Failed, hypothesis_errors.FlakyFailure, hypothesis_errors.Flaky, ExceptionGroup):
            if not self.failures:
                raise
            exchange, verdict = self.failures[-1]
            return Outcome("failed", verdict.findings, exchange)
        return Outcome("passed", tuple(self.notes.values()))


def _settings(ctx: RunContext, **extra: Any) -> settings:
    options: dict[str, Any] = {
        "max_examples": ctx.examples,
        "deadline": None,
        "database": None,
        "suppress_health_check": list(HealthCheck),
        "phases": (Phase.explicit, Phase.generate, Phase.shrink),
        "verbosity": Verbosity.quiet,
        "print_blob": False,
    }
    options.update(extra)
    return settings(**options)


def _recase(wire: dict[str, str], style: str) -> list[tuple[str, str]]:
    change: Callable[[str], str] = {"upper": str.upper, "lower": str.lower, "swap": str.swapcase}.get(style, str)
    return [(change(k), v) for k, v in wire.items()]


def _freshen(ctx: RunContext, wire: dict[str, str]) -> dict[str, str]:
    if "foreignOrderNumber" in wire:
        wire = dict(wire, foreignOrderNumber=ctx.fresh_fon())
    return wire


def _run_property(
    ctx: RunContext, strategy: st.SearchStrategy[Any], one: Callable[[Any], tuple[Exchange, Verdict] | None]
) -> Outcome:
    failures: list[tuple[Exchange, Verdict]] = []
    notes: dict[tuple[str, str], Finding] = {}
    count = 0

    @_settings(ctx)
    @seed(ctx.seed)
    @given(strategy)
    def prop(value: Any) -> None:
        nonlocal count
        result = one(value)
        if result is None:
            return
        count += 1
        exchange, verdict = result
        for n in verdict.notes:
            notes[(n.rule, n.message)] = n
        if verdict.failed:
            failures.append((exchange, verdict))
            raise _Failed

    try:
        prop()
    except (_Failed, hypothesis_errors.FlakyFailure, hypothesis_errors.Flaky, ExceptionGroup):
        if not failures:
            raise
        exchange, verdict = failures[-1]
        return Outcome("failed", verdict.findings, exchange, examples=count)
    return Outcome("passed", tuple(notes.values()), None, examples=count)


def _login_kwargs(ctx: RunContext, spec: codec.EndpointSpec) -> dict[str, Any]:
    t = ctx.target
    kwargs: dict[str, Any] = {"login": (t.login_name, t.login_password) if t.login_name and t.login_password else None}
    if "saspsessionid" in spec.by_key:
        kwargs["sasp_session_id"] = t.sasp_session_id
    if "ordernumber" in spec.by_key:
        kwargs["order_numbers"] = st.just(ctx.order_number())
    return kwargs


def _property_valid(spec: codec.EndpointSpec) -> Check:
    def run(ctx: RunContext) -> Outcome:
        strategy = st.tuples(
            valid_wire(spec.name, **_login_kwargs(ctx, spec)), st.sampled_from(["as-is", "upper", "lower", "swap"])
        )

        def one(value: tuple[dict[str, str], str]) -> tuple[Exchange, Verdict]:
            wire, style = value
            wire = _freshen(ctx, wire)
            return _probe(
                ctx, spec.name, _recase(wire, style), _success(spec, f"{spec.name}.request", action=wire.get("action"))
            )

        return _run_property(ctx, strategy, one)

    return Check(
        f"{spec.name}/property/valid",
        spec.name,
        "valid",
        _cite(spec, "request", None),
        "Hypothesis: valid requests (every optional variable, Unicode, exact limits, both formats and login styles, names in any case)",
        "success, well-formed answers",
        _requires(spec),
        run,
    )


def _property_fault(spec: codec.EndpointSpec) -> Check:
    def run(ctx: RunContext) -> Outcome:
        strategy = single_fault(spec.name, **_login_kwargs(ctx, spec))

        def one(value: Any) -> tuple[Exchange, Verdict] | None:
            wire, fault = value
            wire = _freshen(ctx, wire)
            body = codec.encode_request_fields(spec.name, list(wire.items()), validate=False).body
            # the fault must survive the wire and earn the same code under both readings
            for strict in (True, False):
                try:
                    codec.decode_request(spec.name, body, strict=strict)
                    assume(False)
                except codec.RequestRejected as exc:
                    assume(exc.code == fault.code)
            field = spec.by_key[fault.field.lower()] if fault.field else None
            also = _also_reported(field, fault.kind) if field is not None else {}
            expect = Expectation(
                codes=frozenset({fault.code}),
                row=fault.row,
                argument=fault.argument if fault.code != -7 else None,
                country=fault.argument if fault.code == -7 else None,
                note=codec.NoteId.BLANK_VALUE if fault.kind == "missing" else also.get("note"),
                also=also.get("also", frozenset()),
            )
            return _probe(ctx, spec.name, wire, expect)

        return _run_property(ctx, strategy, one)

    return Check(
        f"{spec.name}/property/single-fault",
        spec.name,
        "single-fault",
        _cite(spec, "request", None),
        "Hypothesis: valid requests with exactly one fault (missing, over-length, disallowed, unknown country, unknown name)",
        "exactly that fault's code, naming the variable",
        _requires(spec),
        run,
    )


# ---------------------------------------------------------------------------- stateful checks


def _stateful_orders(spec: codec.EndpointSpec) -> Check:
    policy = spec.policy

    def repeat_expectation() -> Expectation:
        return Expectation(
            codes=frozenset({policy.fon_not_unique_code}),
            row=f"{spec.name}.request.checkFONIsUnique",
            argument="foreignOrderNumber",
            note=codec.NoteId.FON_UNIQUE_CODE,
        )

    def run(ctx: RunContext) -> Outcome:
        # the deterministic sequence first (the state machine's breadth may, with few examples,
        # never repeat a number): a new number, the same with checkFONIsUnique=Y, then =N
        first = dict(ctx.baseline(spec.name), foreignOrderNumber=ctx.fresh_fon(), checkFONIsUnique="Y")
        steps = [
            (first, _success(spec, f"{spec.name}.request.foreignOrderNumber")),
            (first, repeat_expectation()),
            (dict(first, checkFONIsUnique="N"), _success(spec, f"{spec.name}.request.checkFONIsUnique")),
        ]
        prefix = _sequence(ctx, ((spec.name, wire, expect, {}) for wire, expect in steps))
        if prefix.status == "failed":
            return prefix
        recorder = _Recorder(prefix)
        record = recorder.record

        class Orders(RuleBasedStateMachine):
            @initialize()
            def start(self) -> None:
                self.fons: list[str] = []

            @rule(unique=st.booleans(), fmt=st.sampled_from(["0", "1"]))
            def place(self, unique: bool, fmt: str) -> None:
                wire = dict(ctx.baseline(spec.name), foreignOrderNumber=ctx.fresh_fon(), responseFormat=fmt)
                if unique:
                    wire["checkFONIsUnique"] = "Y"
                record(*_probe(ctx, spec.name, wire, _success(spec, f"{spec.name}.request.foreignOrderNumber")))
                self.fons.append(wire["foreignOrderNumber"])

            @rule(data=st.data())
            def repeat_unique(self, data: st.DataObject) -> None:
                if not self.fons:
                    return
                fon = data.draw(st.sampled_from(self.fons))
                wire = dict(ctx.baseline(spec.name), foreignOrderNumber=fon, checkFONIsUnique="Y")
                record(*_probe(ctx, spec.name, wire, repeat_expectation()))

            @rule(data=st.data())
            def repeat_not_checked(self, data: st.DataObject) -> None:
                if not self.fons:
                    return
                fon = data.draw(st.sampled_from(self.fons))
                wire = dict(ctx.baseline(spec.name), foreignOrderNumber=fon, checkFONIsUnique="N")
                record(*_probe(ctx, spec.name, wire, _success(spec, f"{spec.name}.request.checkFONIsUnique")))

            @invariant()
            def still_serving(self) -> None:
                pass

        return recorder.run(ctx, Orders)

    return Check(
        f"{spec.name}/stateful/foreign-order-number",
        spec.name,
        "stateful",
        _cite(spec, "request.checkFONIsUnique", spec.by_key["checkfonisunique"].source_line),
        "an order with a fresh foreign order number, its repeat with checkFONIsUnique=Y, then =N; then a Hypothesis "
        "state machine: orders with fresh foreign order numbers, repeats with checkFONIsUnique=Y and =N",
        f"repeats refused with {policy.fon_not_unique_code} naming foreignOrderNumber only when checkFONIsUnique=Y",
        _requires(spec),
        run,
    )


def _stateful_click_through(spec: codec.EndpointSpec) -> Check:
    replace = next((r.when_equals for r in spec.rules_of(codec.RequiredWhenRule)), None)
    email_field = next((r.field for r in spec.rules_of(codec.RequiredWhenRule)), None)
    resend = RunContext.quiet_action(spec)

    def run(ctx: RunContext) -> Outcome:
        order = ctx.place_order(validated="N")
        base = ctx.baseline(spec.name, order_number=order)
        # the deterministic sequence first: a new address, the same again (status 2 once it is set), a resend
        replaced = dict(base, action=replace, **{email_field or "adminEmailAddress": "conformance-1@example.com"})
        results = [_probe(ctx, spec.name, replaced, _success(spec, f"{spec.name}.statuses", action=replace))]
        answer = results[0][1].response
        if not results[-1][1].failed:
            same = frozenset({2}) if answer is not None and answer.error_code == 0 and answer.status in (1, 2) else None
            expect = _success(spec, f"{spec.name}.statuses", action=replace, statuses=same)
            results.append(_probe(ctx, spec.name, replaced, expect))
        if not results[-1][1].failed:
            expect = _success(spec, f"{spec.name}.statuses", action=resend)
            results.append(_probe(ctx, spec.name, dict(base, action=resend), expect))
        prefix = _outcome(results)
        if prefix.status == "failed":
            return prefix
        recorder = _Recorder(prefix)
        record = recorder.record

        class ClickThrough(RuleBasedStateMachine):
            @initialize()
            def start(self) -> None:
                self.last_email: str | None = None
                self.last_status: int | None = None

            @rule()
            def resend_email(self) -> None:
                wire = dict(ctx.baseline(spec.name, order_number=order), action=resend)
                record(*_probe(ctx, spec.name, wire, _success(spec, f"{spec.name}.statuses", action=resend)))

            @rule(email=field_values(spec.name, email_field or "adminEmailAddress"), again=st.booleans())
            def replace_address(self, email: str, again: bool) -> None:
                if again and self.last_email is not None:
                    email = self.last_email
                wire = dict(
                    ctx.baseline(spec.name, order_number=order),
                    action=replace,
                    **{email_field or "adminEmailAddress": email},
                )
                same = email == self.last_email and self.last_status in (1, 2)
                statuses = frozenset({2}) if same else None
                verdict = record(
                    *_probe(
                        ctx, spec.name, wire, _success(spec, f"{spec.name}.statuses", action=replace, statuses=statuses)
                    )
                )
                if verdict.response is not None and verdict.response.error_code == 0:
                    self.last_email, self.last_status = email, verdict.response.status

        return recorder.run(ctx, ClickThrough)

    return Check(
        f"{spec.name}/stateful/click-through",
        spec.name,
        "stateful",
        _cite(spec, "statuses", spec.statuses[2].source_line if 2 in spec.statuses else None),
        "on an order the run just placed: ReplaceMailAddress with a new address, the same again, ResendEmail; then a "
        "Hypothesis state machine: ResendEmail, ReplaceMailAddress with new and repeated addresses",
        "statuses allowed for each action; the same address twice answers 2",
        _requires(spec),
        run,
    )


# ---------------------------------------------------------------------------- the catalog


def _endpoint_checks(spec: codec.EndpointSpec) -> list[Check]:
    checks: list[Check] = []
    login = {"loginName", "loginPassword", "saspSessionID"}
    for f in spec.fields:
        if f.presence == "required" and f.name not in SAFETY_FIELDS:
            checks.append(_missing(spec, f))
    for f in spec.fields:
        bad = invalid_values(spec.name, f.name)
        over = [b for b in bad if b[2] == "max_length"]
        if over and f.name not in login:
            checks.append(_over_length(spec, f, over[0][0]))
    for f in spec.fields:
        if (
            f.max_length
            and isinstance(f.kind, codec.Text | codec.Integer)
            and f.name not in login
            and f.name != "orderNumber"
        ):
            checks.append(_at_limit(spec, f))
    for f in spec.fields:
        if f.kind.values:  # the kinds that list their values
            checks.append(_allowed(spec, f))
    for f in spec.fields:
        bad = [b for b in invalid_values(spec.name, f.name) if b[2] != "max_length"]
        if bad:
            checks.append(_disallowed(spec, f, bad))
    checks.append(_unrecognised(spec))
    checks.append(_name_case(spec))
    checks.extend(_rule_checks(spec))
    checks.append(_method(spec))
    checks.append(_https(spec))
    checks.extend(_format_checks(spec))
    checks.extend(_auth(spec))
    checks.append(_property_valid(spec))
    checks.append(_property_fault(spec))
    if "checkfonisunique" in spec.by_key:
        checks.append(_stateful_orders(spec))
    if spec.statuses and spec.rules_of(codec.RequiredWhenRule):
        checks.append(_stateful_click_through(spec))
    return checks


@functools.cache
def catalog() -> tuple[Check, ...]:
    """Every check of every endpoint, in run order (deterministic phase first per endpoint)."""
    out: list[Check] = []
    for name in sorted(codec.ENDPOINTS):
        out.extend(_endpoint_checks(codec.ENDPOINTS[name]))
    ids = [c.id for c in out]
    assert len(ids) == len(set(ids)), "check ids must be unique"
    return tuple(out)


def check_by_id(check_id: str) -> Check:
    for c in catalog():
        if c.id == check_id:
            return c
    raise KeyError(check_id)
