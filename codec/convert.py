"""The one cattrs converter: typed classes <-> wire dicts (wire name -> text), built once.

Every hook is registered here, from the tables: a field's Python type is derived from its table
row (integer -> int, comma list -> tuple of ints, Y/N flag -> bool, numeric enum -> int, otherwise
str), and its wire name is the table's.  Unstructuring omits ``None`` (absent variables);
structuring expects values already validated by :mod:`codec.validate`.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from ._schema import ENDPOINTS, FieldSpec
from .models import (
    AutoApplyIdARequest,
    AutoApplyIdAResponse,
    UpdateUserEvClickThroughRequest,
    UpdateUserEvClickThroughResponse,
)

__all__ = ["REQUEST_CLASSES", "RESPONSE_CLASSES", "converter", "python_kind", "structure_trusted"]

REQUEST_CLASSES: dict[str, type[Any]] = {
    "AutoApplyIdA": AutoApplyIdARequest,
    "UpdateUserEvClickThrough": UpdateUserEvClickThroughRequest,
}
RESPONSE_CLASSES: dict[str, type[Any]] = {
    "AutoApplyIdA": AutoApplyIdAResponse,
    "UpdateUserEvClickThrough": UpdateUserEvClickThroughResponse,
}


def python_kind(field: FieldSpec) -> str:
    """``int``, ``products``, ``flag`` or ``str``: how a variable is typed in the classes."""
    if field.allowed and field.allowed["kind"] == "comma_list":
        return "products"
    if field.is_flag:
        return "flag"
    if field.type == "integer" or field.is_integer_enum:
        return "int"
    return "str"


def _flag_out(value: bool) -> str:
    return "Y" if value else "N"


def _flag_in(value: str, _: Any) -> bool:
    return value.upper() == "Y"


def _products_out(value: tuple[int, ...]) -> str:
    return ",".join(map(str, value))


def _products_in(value: str, _: Any) -> tuple[int, ...]:
    return tuple(int(item) for item in value.split(",") if item.strip())


def _int_in(value: Any, _: Any) -> int:
    return int(value)


def _str_in(value: Any, _: Any) -> str:
    return str(value)


_HOOKS: dict[str, tuple[Callable[[Any], Any], Callable[[Any, Any], Any]]] = {
    "int": (str, _int_in),
    "products": (_products_out, _products_in),
    "flag": (_flag_out, _flag_in),
    "str": (str, _str_in),
}
_PARAM_HOOKS: dict[str, tuple[Callable[[Any], Any], Callable[[Any, Any], Any]]] = {
    "integer": (str, _int_in),
    "amount": (str, lambda v, _: Decimal(v)),
    "string": (str, _str_in),
}


def _wire_unstructurer(plan: list[tuple[str, str, Callable[[Any], Any]]]) -> Callable[[Any], dict[str, str]]:
    """Unstructure in the document's order (cattrs' generated function puts fields without a
    default first, and the wire order is part of byte-identical output); ``None`` is absent."""

    def unstructure(obj: Any) -> dict[str, str]:
        out: dict[str, str] = {}
        for attribute, wire, hook in plan:
            value = getattr(obj, attribute)
            if value is not None:
                out[wire] = hook(value)
        return out

    return unstructure


_TRUSTED: dict[type[Any], list[tuple[str, str, Callable[[Any, Any], Any], Any]]] = {}


def structure_trusted(wire: dict[str, str], cls: type[Any]) -> Any:
    """Build *cls* from a wire dict the codec has already validated, without running the attrs
    validators again (the decoders' fast path; :data:`converter` re-validates everything)."""
    obj = object.__new__(cls)
    setattr_ = object.__setattr__
    for attribute, name, hook, default in _TRUSTED[cls]:
        value = wire.get(name)
        setattr_(obj, attribute, default if value is None else hook(value, None))
    return obj


def _make() -> cattrs.Converter:
    conv = cattrs.Converter()
    for name, cls in REQUEST_CLASSES.items():
        spec = ENDPOINTS[name]
        st: dict[str, Any] = {}
        plan = []
        for f in spec.fields:
            out_hook, in_hook = _HOOKS[python_kind(f)]
            plan.append((f.attribute, f.name, out_hook))
            st[f.attribute] = override(rename=f.name, struct_hook=in_hook)
        conv.register_unstructure_hook(cls, _wire_unstructurer(plan))
        conv.register_structure_hook(cls, make_dict_structure_fn(cls, conv, **st))
        _TRUSTED[cls] = _trusted_plan(cls, {f.attribute: (f.name, _HOOKS[python_kind(f)][1]) for f in spec.fields})
    for name, cls in RESPONSE_CLASSES.items():
        spec = ENDPOINTS[name]
        st = {"deviations": override(omit=True)}
        plan = []
        for p in spec.params:
            out_hook, in_hook = _PARAM_HOOKS[p.type]
            plan.append((p.attribute, p.name, out_hook))
            st[p.attribute] = override(rename=p.name, struct_hook=in_hook)
        conv.register_unstructure_hook(cls, _wire_unstructurer(plan))
        conv.register_structure_hook(cls, make_dict_structure_fn(cls, conv, **st))
        _TRUSTED[cls] = _trusted_plan(cls, {p.attribute: (p.name, _PARAM_HOOKS[p.type][1]) for p in spec.params})
    return conv


def _trusted_plan(
    cls: type[Any], wired: dict[str, tuple[str, Callable[[Any, Any], Any]]]
) -> list[tuple[str, str, Callable[[Any, Any], Any], Any]]:
    plan = []
    for a in attrs.fields(cls):
        name, hook = wired.get(a.name, ("", _str_in))
        default = a.default if a.default is not attrs.NOTHING else None
        plan.append((a.name, name, hook, default))
    return plan


converter: cattrs.Converter = _make()
