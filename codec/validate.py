"""The request rules of the tables, in one place, for both halves of the codec.

:func:`check_wire` judges a wire dict (table name -> text) and returns the first fault by the
tables' ``policy.error_precedence`` (-2 before -3 before -4 before -7; in table order within a
code) or None.  :func:`read_pairs` turns decoded form pairs into such a dict, matching names
without regard to case (note ``names-case-insensitive``) and finding unrecognised (-2) and repeated
(note ``duplicate-names``) variables.  Each checker is built once per field from its table row.

Strict mode follows each note's strict reading, lenient mode its lenient one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import attrs

from . import _fast
from .errors import shown
from .tables import EndpointSpec, ExclusiveRule, FieldSpec, PerSpec, RequiredUnlessRule, RequiredWhenRule

__all__ = ["Fault", "check_wire", "known_keys", "name_key", "read_names", "read_pairs", "wire_faults"]


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


_RANKS = PerSpec(_rank)


def name_key(name: str) -> str:
    """The key a sent name matches (note ``names-case-insensitive``): only ASCII letters are folded,
    so no non-ASCII character (the Kelvin sign lowers to ``k``) spells a variable's name."""
    return name.lower() if name.isascii() else name


known_keys: Callable[[EndpointSpec, str | None], Mapping[str, FieldSpec]] = EndpointSpec.keys_in
"""``known_keys(spec, version)``: ``{name key: variable}`` for the variables a codec bound to
*version* recognises (:meth:`EndpointSpec.keys_in`)."""


def read_pairs(
    spec: EndpointSpec, pairs: Sequence[tuple[str, str]], version: str | None
) -> tuple[dict[str, str], Fault | None]:
    """Match *pairs* to the variables a codec bound to *version* knows.

    Returns the wire dict (table name -> value; blank values dropped, note ``blank-value``) and the
    first name fault: -2 for a name it does not recognise (named as sent), -4 for a repeat.
    """
    if version is not None:
        spec = spec.bound(version)
    exact = _fast.exact_names(spec, pairs, None)
    if exact is not None:
        return exact, None
    wire, unrecognised, repeated = read_names(spec, pairs, None)
    first = unrecognised or repeated
    return wire, first[0] if first else None


def read_names(
    spec: EndpointSpec, pairs: Sequence[tuple[str, str]], version: str | None
) -> tuple[dict[str, str], list[Fault], list[Fault]]:
    """:func:`read_pairs` with every name fault: the wire dict, each unrecognised name (-2, in the
    order sent) and each repeated variable (once per variable, in the order of first repeat)."""
    if version is not None:
        spec = spec.bound(version)
    known = spec.by_key
    wire: dict[str, str] = {}
    unrecognised: list[Fault] = []
    repeated: list[Fault] = []
    seen: set[str] = set()
    for name, value in pairs:
        f = known.get(name_key(name))
        if f is None:
            unrecognised.append(
                Fault(
                    -2,
                    None,
                    name,
                    "unrecognised",
                    f"{shown(name)!r} is not a variable of {spec.name} {spec.version}",
                )
            )
            continue
        if f.name in seen:
            if all(r.field != f.name for r in repeated):
                repeated.append(
                    Fault(spec.policy.duplicate_name_code, f.name, f.name, "duplicate", "sent more than once")
                )
            continue
        seen.add(f.name)
        if value != "" or not spec.policy.blank_value_is_absent:
            wire[f.name] = value
    return wire, unrecognised, repeated


def check_wire(spec: EndpointSpec, wire: dict[str, str], *, strict: bool, version: str | None = None) -> Fault | None:
    """The first fault of *wire* by precedence, or None, by the rules of *spec* bound to
    *version* (None: *spec* as it is).  Lenient mode may drop variables from *wire* (login
    variables beside saspSessionID, note ``sasp-excludes-login``)."""
    if version is not None:
        spec = spec.bound(version)
    if _fast.no_fault(spec, wire, strict, None):
        return None
    faults = wire_faults(spec, wire, strict=strict)
    return faults[0] if faults else None


def wire_faults(spec: EndpointSpec, wire: dict[str, str], *, strict: bool, version: str | None = None) -> list[Fault]:
    """Every fault of *wire*, first the one :func:`check_wire` returns: the missing variables (-3)
    in table order, then the rest by precedence (within a code, the exclusive rule before the
    values, and values in table order).  An excluded variable beside the one that excludes it is
    a fault each.  Lenient mode may drop variables from *wire* as :func:`check_wire` does."""
    if version is not None:
        spec = spec.bound(version)
    fields = spec.fields
    names = {f.name for f in fields}
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
                faults.extend(
                    Fault(rule.error_code, n, n, "exclusive", f"not allowed with {rule.field}") for n in present
                )
            elif present:
                for n in present:
                    del wire[n]
    first = [missing[f.name] for f in fields if f.name in missing]
    # -4 and -7: values, in table order
    for f in fields:
        value = wire.get(f.name)
        if value is None:
            continue
        found = f.checker(strict)(value)
        if found is not None:
            code, rule_name, detail = found
            argument = value if code == -7 else f.name
            faults.append(Fault(code, f.name, argument, rule_name, detail))
    rank = _RANKS[spec]
    return first + sorted(faults, key=lambda fault: rank.get(fault.code, len(rank)))
