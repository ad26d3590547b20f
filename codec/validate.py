"""The request rules of the tables, in one place, for both halves of the codec.

:func:`check_wire` judges a wire dict (table name -> text) and returns the first fault by the
tables' ``policy.error_precedence`` (-2 before -3 before -4 before -7; in table order within a
code) or None.  :func:`read_pairs` turns decoded form pairs into such a dict, matching names
without regard to case (note ``names-case-insensitive``) and finding unrecognised (-2) and repeated
(note ``duplicate-names``) variables.  Each checker is built once per field from its table row.

Strict mode follows each note's strict reading, lenient mode its lenient one.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from itertools import repeat
from operator import ge

import attrs

from .kinds import Check
from .tables import ENDPOINTS, EndpointSpec, ExclusiveRule, FieldSpec, RequiredUnlessRule, RequiredWhenRule

__all__ = ["Fault", "check_wire", "known_keys", "name_key", "read_pairs"]


@attrs.frozen
class Fault:
    """One broken rule: the vendor code it earns, the table variable, what the message names."""

    code: int
    field: str | None
    argument: str | None
    rule: str
    detail: str


def _rank(spec: EndpointSpec) -> dict[int, int]:
    return {code: i for i, code in enumerate(spec.policy.error_precedence)}


_RANKS = {name: _rank(spec) for name, spec in ENDPOINTS.items()}


def name_key(name: str) -> str:
    """The key a sent name matches (note ``names-case-insensitive``): only ASCII letters are folded,
    so no non-ASCII character (the Kelvin sign lowers to ``k``) spells a variable's name."""
    return name.lower() if name.isascii() else name


_KNOWN: dict[tuple[str, str | None], dict[str, FieldSpec]] = {}


def known_keys(spec: EndpointSpec, version: str | None) -> dict[str, FieldSpec]:
    """``{name key: variable}`` for the variables a codec bound to *version* recognises (cached)."""
    found = _KNOWN.get((spec.name, version))
    if found is None:
        found = _KNOWN[(spec.name, version)] = {f.key: f for f in spec.fields_in(version)}
    return found


_EVERYTHING = sys.maxsize


@attrs.frozen
class _Plan:
    """What :func:`check_wire` and :func:`read_pairs` need for one endpoint, document version and
    mode, worked out once: the shortcut that tells a request with no fault at a glance.

    Every value is judged by exactly one of: membership of the finite set of values its rule
    accepts (``None`` standing for absent), its length alone, or its checker.  A wire dict passing
    the shortcut has no fault; one that does not goes through the full rules, which find it."""

    names: frozenset[str]  # the variables' names as the tables spell them
    required: frozenset[str]
    unless: tuple[tuple[str, tuple[str, ...]], ...]  # (unless, fields): all of fields, or unless
    when: tuple[tuple[str, str, str, bool], ...]  # (field, equals, required, strict)
    exclusive: tuple[tuple[str, tuple[str, ...]], ...]  # (field, excludes)
    finite_names: tuple[str, ...]
    finite_sets: tuple[frozenset[str | None], ...]
    limited_names: tuple[str, ...]
    limits: tuple[int, ...]
    checked: tuple[tuple[str, Check], ...]


def _accepted(f: FieldSpec, strict: bool) -> frozenset[str] | None:
    """Every value *f*'s checker accepts, when that is a small finite set known from the table
    (each candidate confirmed by the checker itself)."""
    candidates = f.kind.accepted_values(strict)
    if candidates is None:
        return None
    check = f.checker(strict)
    return frozenset(v for v in candidates if check(v) is None)


def _make_plan(spec: EndpointSpec, version: str | None, strict: bool) -> _Plan:
    fields = spec.fields_in(version)
    names = frozenset(f.name for f in fields)
    required = {f.name for f in fields if f.presence == "required"}
    unless: list[tuple[str, tuple[str, ...]]] = []
    when: list[tuple[str, str, str, bool]] = []
    exclusive: list[tuple[str, tuple[str, ...]]] = []
    for rule in spec.rules:
        if isinstance(rule, RequiredUnlessRule) and rule.unless in names:
            unless.append((rule.unless, rule.fields))
        elif isinstance(rule, RequiredUnlessRule):
            required |= set(rule.fields)
        elif isinstance(rule, RequiredWhenRule):
            when.append((rule.when_field, rule.when_equals, rule.field, strict))
        elif isinstance(rule, ExclusiveRule):
            exclusive.append((rule.field, rule.excludes))
    finite: list[tuple[str, frozenset[str | None]]] = []
    limited: list[tuple[str, int]] = []
    checked: list[tuple[str, Check]] = []
    for f in fields:
        accepted = _accepted(f, strict)
        if accepted is not None:
            finite.append((f.name, frozenset([None, *accepted])))
        elif f.kind.length_only:
            limited.append((f.name, _EVERYTHING if f.max_length is None else f.max_length))
        else:
            checked.append((f.name, f.checker(strict)))
    return _Plan(
        names=names,
        required=frozenset(required),
        unless=tuple(unless),
        when=tuple(when),
        exclusive=tuple(exclusive),
        finite_names=tuple(n for n, _ in finite),
        finite_sets=tuple(s for _, s in finite),
        limited_names=tuple(n for n, _ in limited),
        limits=tuple(n for _, n in limited),
        checked=tuple(checked),
    )


_PLANS: dict[tuple[str, str | None, bool], _Plan] = {}


def _plan(spec: EndpointSpec, version: str | None, strict: bool) -> _Plan:
    found = _PLANS.get((spec.name, version, strict))
    if found is None:
        found = _make_plan(spec, version, strict)
        if len(_PLANS) < 256:
            _PLANS[(spec.name, version, strict)] = found
    return found


def _no_fault(plan: _Plan, wire: dict[str, str]) -> bool:
    """The shortcut: True only when *wire* breaks no rule (then :func:`check_wire` returns None
    and changes nothing); False when the full rules must look."""
    if not plan.required <= wire.keys():
        return False
    for unless, needed in plan.unless:
        if unless not in wire and not all(map(wire.__contains__, needed)):
            return False
    for field, equals, needed_field, strict in plan.when:
        value = wire.get(field)
        if value is not None and needed_field not in wire:
            if value == equals if strict else value.casefold() == equals.casefold():
                return False
    for field, excludes in plan.exclusive:
        if field in wire and any(map(wire.__contains__, excludes)):
            return False
    if not all(map(frozenset.__contains__, plan.finite_sets, map(wire.get, plan.finite_names))):
        return False
    if not all(map(ge, plan.limits, map(len, map(wire.get, plan.limited_names, repeat(""))))):
        return False
    for name, check in plan.checked:
        value = wire.get(name)
        if value is not None and check(value) is not None:
            return False
    return True


def read_pairs(
    spec: EndpointSpec, pairs: Sequence[tuple[str, str]], version: str | None
) -> tuple[dict[str, str], Fault | None]:
    """Match *pairs* to the variables a codec bound to *version* knows.

    Returns the wire dict (table name -> value; blank values dropped, note ``blank-value``) and the
    first name fault: -2 for a name it does not recognise (named as sent), -4 for a repeat.
    """
    wire = dict(pairs)
    if len(wire) == len(pairs) and wire.keys() <= _plan(spec, version, True).names:
        # the usual case: each name once, spelled as the tables spell it
        if spec.policy.blank_value_is_absent and "" in wire.values():
            wire = {name: value for name, value in wire.items() if value != ""}
        return wire, None
    known = known_keys(spec, version)
    wire = {}
    unrecognised: Fault | None = None
    repeated: Fault | None = None
    seen: set[str] = set()
    for name, value in pairs:
        f = known.get(name_key(name))
        if f is None:
            if unrecognised is None:
                unrecognised = Fault(
                    -2,
                    None,
                    name,
                    "unrecognised",
                    f"{name!r} is not a variable of {spec.name} {version or spec.document_version}",
                )
            continue
        if f.name in seen:
            if repeated is None:
                repeated = Fault(spec.policy.duplicate_name_code, f.name, f.name, "duplicate", "sent more than once")
            continue
        seen.add(f.name)
        if value != "" or not spec.policy.blank_value_is_absent:
            wire[f.name] = value
    return wire, unrecognised or repeated


def check_wire(spec: EndpointSpec, wire: dict[str, str], *, strict: bool, version: str | None = None) -> Fault | None:
    """The first fault of *wire* by precedence, or None.  Lenient mode may drop variables from
    *wire* (login variables beside saspSessionID, note ``sasp-excludes-login``)."""
    if _no_fault(_plan(spec, version, strict), wire):
        return None
    known = known_keys(spec, version)
    fields = spec.fields_in(version) if version else spec.fields
    names = {f.name for f in known.values()}
    # -3: required variables and the conditional rules, the first missing one in table order
    missing: dict[str, Fault] = {}
    for f in fields:
        if f.presence == "required" and f.name not in wire:
            missing[f.name] = Fault(-3, f.name, f.name, "required", "required variable not sent")
    faults: list[Fault] = []
    for rule in spec.rules:
        if isinstance(rule, RequiredUnlessRule) and rule.unless in names and rule.unless not in wire:
            for name in rule.fields:
                if name not in wire:
                    missing.setdefault(
                        name, Fault(-3, name, name, "required_unless", f"required unless {rule.unless} is sent")
                    )
        elif isinstance(rule, RequiredUnlessRule) and rule.unless not in names:
            for name in rule.fields:
                if name not in wire:
                    missing.setdefault(name, Fault(-3, name, name, "required", "required variable not sent"))
        elif isinstance(rule, RequiredWhenRule):
            value = wire.get(rule.when_field)
            if value is not None and rule.field not in wire:
                equals = rule.when_equals
                match = value == equals if strict else value.casefold() == equals.casefold()
                if match:
                    missing.setdefault(
                        rule.field,
                        Fault(-3, rule.field, rule.field, "required_when", f"required when {rule.when_field}={equals}"),
                    )
        elif isinstance(rule, ExclusiveRule) and rule.field in wire:
            present = [n for n in rule.excludes if n in wire]
            if present and strict:
                faults.append(
                    Fault(rule.error_code, present[0], present[0], "exclusive", f"not allowed with {rule.field}")
                )
            elif present:
                for n in present:
                    del wire[n]
    if missing:
        return next(missing[f.name] for f in fields if f.name in missing)
    # -4 and -7: values, in table order
    endpoint = spec.name
    for f in fields:
        value = wire.get(f.name)
        if value is None:
            continue
        found = f.checker(strict)(value)
        if found is not None:
            code, rule_name, detail = found
            argument = value if code == -7 else f.name
            faults.append(Fault(code, f.name, argument, rule_name, detail))
    if not faults:
        return None
    rank = _RANKS[endpoint]
    return min(faults, key=lambda fault: rank.get(fault.code, len(rank)))
