"""The stateful checks: a deterministic sequence, then a Hypothesis state machine.

* ``foreign-order-number`` -- a repeated foreign order number with checkFONIsUnique=Y is refused,
  and accepted with =N;
* ``click-through`` -- on an order the run just placed, ReplaceMailAddress and ResendEmail answer
  the statuses their action allows, and the same address twice answers 2.

Which of them apply to an endpoint is per-endpoint behaviour: :mod:`conformance.endpoints`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Final

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

import codec

from ..context import RunContext
from ..endpoints import behaviour, place_order
from ..judge import Expectation
from ..strategies import field_values
from .base import Check, Outcome, cite, family, outcome_of, probe, requires, sequence, success
from .hypothesis_runner import Recorder, machine_requests, run_machine

__all__ = ["MACHINES", "stateful"]


# ---------------------------------------------------------------------------- foreign order numbers


def _foreign_order_numbers(spec: codec.EndpointSpec) -> Check | None:
    if not {"foreignordernumber", "checkfonisunique"} <= spec.by_key.keys():
        return None  # a document version before checkFONIsUnique: nothing to check
    policy = spec.policy
    return Check(
        endpoint=spec.name,
        family="stateful",
        variable="foreign-order-number",
        cites=cite(spec, "request.checkFONIsUnique", spec.by_key["checkfonisunique"].source_line),
        sends="an order with a fresh foreign order number, its repeat with checkFONIsUnique=Y, then =N; then a "
        "Hypothesis state machine: orders with fresh foreign order numbers, repeats with checkFONIsUnique=Y and =N",
        expects=f"repeats refused with {policy.fon_not_unique_code} naming foreignOrderNumber only when "
        "checkFONIsUnique=Y",
        requires=requires(spec),
        requests=lambda examples: 3 + machine_requests(examples),
        run=functools.partial(_run_foreign_order_numbers, spec),
    )


def _run_foreign_order_numbers(spec: codec.EndpointSpec, ctx: RunContext) -> Outcome:
    policy = spec.policy

    def repeat_expectation() -> Expectation:
        return Expectation(
            codes=frozenset({policy.fon_not_unique_code}),
            row=f"{spec.name}.request.checkFONIsUnique",
            argument="foreignOrderNumber",
            note=codec.NoteId.FON_UNIQUE_CODE,
        )

    # the deterministic sequence first (the state machine's breadth may, with few examples, never
    # repeat a number): a new number, the same with checkFONIsUnique=Y, then =N
    first = dict(ctx.baseline(spec.name), foreignOrderNumber=ctx.fresh_fon(), checkFONIsUnique="Y")
    steps = [
        (first, success(spec, f"{spec.name}.request.foreignOrderNumber")),
        (first, repeat_expectation()),
        (dict(first, checkFONIsUnique="N"), success(spec, f"{spec.name}.request.checkFONIsUnique")),
    ]
    prefix = sequence(ctx, ((spec.name, wire, expect, {}) for wire, expect in steps))
    if prefix.status == "failed":
        return prefix
    recorder = Recorder(prefix)
    record = recorder.record

    class Orders(RuleBasedStateMachine):
        # every example starts with an order of its own, so that each step has a number to repeat
        # (with an empty list the repeat steps sent nothing: 15 requests in 20 examples)
        @initialize(unique=st.booleans(), fmt=st.sampled_from(["0", "1"]))
        def start(self, unique: bool, fmt: str) -> None:
            self.fons: list[str] = []
            self.place(unique, fmt)

        @rule(unique=st.booleans(), fmt=st.sampled_from(["0", "1"]))
        def place(self, unique: bool, fmt: str) -> None:
            wire = dict(ctx.baseline(spec.name), foreignOrderNumber=ctx.fresh_fon(), responseFormat=fmt)
            if unique:
                wire["checkFONIsUnique"] = "Y"
            record(*probe(ctx, spec.name, wire, success(spec, f"{spec.name}.request.foreignOrderNumber")))
            self.fons.append(wire["foreignOrderNumber"])

        @rule(data=st.data())
        def repeat_unique(self, data: st.DataObject) -> None:
            if not self.fons:
                return
            fon = data.draw(st.sampled_from(self.fons))
            wire = dict(ctx.baseline(spec.name), foreignOrderNumber=fon, checkFONIsUnique="Y")
            record(*probe(ctx, spec.name, wire, repeat_expectation()))

        @rule(data=st.data())
        def repeat_not_checked(self, data: st.DataObject) -> None:
            if not self.fons:
                return
            fon = data.draw(st.sampled_from(self.fons))
            wire = dict(ctx.baseline(spec.name), foreignOrderNumber=fon, checkFONIsUnique="N")
            record(*probe(ctx, spec.name, wire, success(spec, f"{spec.name}.request.checkFONIsUnique")))

    return run_machine(ctx, Orders, recorder)


# ---------------------------------------------------------------------------- click-through


def _click_through(spec: codec.EndpointSpec) -> Check:
    if not spec.rules_of(codec.RequiredWhenRule):  # a version without ReplaceMailAddress and its address
        sends = "on an order the run just placed: ResendEmail; then a Hypothesis state machine: ResendEmail"
        expects = "statuses allowed for the action"
    else:
        sends = (
            "on an order the run just placed: ReplaceMailAddress with a new address, the same again, ResendEmail; "
            "then a Hypothesis state machine: ResendEmail, ReplaceMailAddress with new and repeated addresses"
        )
        expects = "statuses allowed for each action; the same address twice answers 2"
    return Check(
        endpoint=spec.name,
        family="stateful",
        variable="click-through",
        cites=cite(spec, "statuses", spec.statuses[2].source_line if 2 in spec.statuses else None),
        sends=sends,
        expects=expects,
        requires=requires(spec),
        requests=lambda examples: 4 + machine_requests(examples),  # its own order, three steps, the machine
        run=functools.partial(_run_click_through, spec),
    )


def _run_click_through(spec: codec.EndpointSpec, ctx: RunContext) -> Outcome:
    replace = next((r.when_equals for r in spec.rules_of(codec.RequiredWhenRule)), None)
    email_field = next((r.field for r in spec.rules_of(codec.RequiredWhenRule)), None)
    resend = RunContext.quiet_action(spec)
    order = place_order(ctx, validated="N")
    base = ctx.baseline(spec.name, order_number=order)
    results = []
    if replace is not None and email_field is not None:
        # the deterministic sequence first: a new address, the same again (status 2 once it is set), a resend
        replaced = dict(base, action=replace, **{email_field: "conformance-1@example.com"})
        results.append(probe(ctx, spec.name, replaced, success(spec, f"{spec.name}.statuses", action=replace)))
        answer = results[0][1].response
        if not results[-1][1].failed:
            same = frozenset({2}) if answer is not None and answer.error_code == 0 and answer.status in (1, 2) else None
            expect = success(spec, f"{spec.name}.statuses", action=replace, statuses=same)
            results.append(probe(ctx, spec.name, replaced, expect))
    if not results or not results[-1][1].failed:
        expect = success(spec, f"{spec.name}.statuses", action=resend)
        results.append(probe(ctx, spec.name, dict(base, action=resend), expect))
    prefix = outcome_of(results)
    if prefix.status == "failed":
        return prefix
    recorder = Recorder(prefix)
    record = recorder.record

    class ClickThrough(RuleBasedStateMachine):
        @initialize()
        def start(self) -> None:
            self.last_email: str | None = None
            self.last_status: int | None = None

        @rule()
        def resend_email(self) -> None:
            wire = dict(ctx.baseline(spec.name, order_number=order), action=resend)
            record(*probe(ctx, spec.name, wire, success(spec, f"{spec.name}.statuses", action=resend)))

        @precondition(lambda _: replace is not None and email_field is not None)
        @rule(email=field_values(spec, email_field) if email_field else st.nothing(), again=st.booleans())
        def replace_address(self, email: str, again: bool) -> None:
            if again and self.last_email is not None:
                email = self.last_email
            wire = dict(ctx.baseline(spec.name, order_number=order), action=replace, **{email_field or "": email})
            same = email == self.last_email and self.last_status in (1, 2)
            statuses = frozenset({2}) if same else None
            verdict = record(
                *probe(ctx, spec.name, wire, success(spec, f"{spec.name}.statuses", action=replace, statuses=statuses))
            )
            if verdict.response is not None and verdict.response.error_code == 0:
                self.last_email, self.last_status = email, verdict.response.status

    return run_machine(ctx, ClickThrough, recorder)


# ---------------------------------------------------------------------------- the family

MACHINES: Final[dict[str, Callable[[codec.EndpointSpec], Check | None]]] = {
    "foreign-order-number": _foreign_order_numbers,
    "click-through": _click_through,
}
"""Stateful check name -> the check for an endpoint (None: the endpoint's document version lacks
the variables it needs); :mod:`conformance.endpoints` says which apply."""


@family(
    "stateful", "state rules: unique foreign order numbers, click-through on the run's own orders", phase="stateful"
)
def stateful(spec: codec.EndpointSpec) -> Iterator[Check]:
    for name in behaviour(spec.name).stateful:
        if name not in MACHINES:
            raise KeyError(f"conformance.endpoints names stateful check {name!r} for {spec.name}; there is none")
        check = MACHINES[name](spec)
        if check is not None:
            yield check
