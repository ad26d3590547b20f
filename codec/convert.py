"""The one cattrs converter: typed classes <-> wire dicts (wire name -> text), built once.

Every hook is registered here, from the tables: a field's Python type is derived from its table
row (integer -> int, comma list -> tuple of ints, Y/N flag -> bool, numeric enum -> int, otherwise
str), and its wire name is the table's.  Unstructuring omits ``None`` (absent variables);
structuring expects values already validated by :mod:`codec.validate`.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from types import MemberDescriptorType
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from ._models import REQUEST_CLASSES, RESPONSE_CLASSES
from .kinds import ValueKind
from .tables import ENDPOINTS

__all__ = ["REQUEST_CLASSES", "RESPONSE_CLASSES", "converter", "structure_trusted", "trusted_builder"]


def _int_in(value: Any, _: Any) -> int:
    return int(value)


def _str_in(value: Any, _: Any) -> str:
    return str(value)


def _amount_in(value: Any, _: Any) -> Decimal:
    return Decimal(value)


# the same readers with one argument, for structure_trusted (C callables where there is one)
_TRUSTED_READERS: dict[Callable[[Any, Any], Any], Callable[[Any], Any]] = {
    _int_in: int,
    _str_in: str,
    _amount_in: Decimal,
}


def _kind_hooks(kind: ValueKind) -> tuple[Callable[[Any], Any], Callable[[Any, Any], Any]]:
    """(unstructure, structure) hooks of a variable of *kind*; its trusted reader is registered."""
    if kind.python_type is str:
        return str, _str_in
    read = kind.from_wire

    def structure(value: Any, _: Any) -> Any:
        return read(value)

    _TRUSTED_READERS[structure] = read
    return kind.to_wire, structure


_PARAM_HOOKS: dict[str, tuple[Callable[[Any], Any], Callable[[Any, Any], Any]]] = {
    "integer": (str, _int_in),
    "amount": (str, _amount_in),
    "string": (str, _str_in),
}


def _wire_unstructurer(plan: list[tuple[str, str, Callable[[Any], Any]]]) -> Callable[[Any], dict[str, str]]:
    """Unstructure in the document's order (cattrs' generated function puts fields without a
    default first, and the wire order is part of byte-identical output); ``None`` is absent.
    Generated, as attrs and cattrs generate theirs: three lines per attribute, no loop."""
    names: dict[str, Any] = {}
    lines = ["def unstructure(obj):", "    out = {}"]
    for i, (attribute, wire, hook) in enumerate(plan):
        if not attribute.isidentifier():
            raise ValueError(f"attribute {attribute!r} is not an identifier")
        names[f"hook{i}"] = hook
        lines += [
            f"    value = obj.{attribute}",
            "    if value is not None:",
            f"        out[{wire!r}] = hook{i}(value)",
        ]
    lines.append("    return out")
    return _compiled(lines, names, "unstructure")


def _compiled(lines: list[str], names: dict[str, Any], function: str) -> Callable[..., Any]:
    """Compile generated source *lines* defining *function* with *names* as its globals."""
    exec(compile("\n".join(lines), f"<codec {function}>", "exec"), names)
    built: Callable[..., Any] = names[function]
    return built


_TRUSTED: dict[type[Any], Callable[[dict[str, str]], Any]] = {}


T = TypeVar("T")


def structure_trusted(wire: dict[str, str], cls: type[T]) -> T:
    """Build *cls* from a wire dict the codec has already validated, without running the attrs
    validators again (the decoders' fast path; :data:`converter` re-validates everything)."""
    built: T = _TRUSTED[cls](wire)
    return built


def trusted_builder(cls: type[T], present: frozenset[str] | None = None) -> Callable[[dict[str, str]], T]:
    """``functools.partial(structure_trusted, cls=cls)``, without the extra call; with *present*,
    one for wire dicts holding exactly those names (no look-up of the absent ones)."""
    return _TRUSTED[cls] if present is None else _trusted_plan(cls, _WIRED[cls], present)


_WIRED: dict[type[Any], dict[str, tuple[str, Callable[[Any, Any], Any]]]] = {}


def _make() -> cattrs.Converter:
    conv = cattrs.Converter()
    for name, cls in REQUEST_CLASSES.items():
        spec = ENDPOINTS[name]
        st: dict[str, Any] = {}
        plan = []
        wired: dict[str, tuple[str, Callable[[Any, Any], Any]]] = {}
        for f in spec.fields:
            out_hook, in_hook = _kind_hooks(f.kind)
            plan.append((f.attribute, f.name, out_hook))
            st[f.attribute] = override(rename=f.name, struct_hook=in_hook)
            wired[f.attribute] = (f.name, in_hook)
        conv.register_unstructure_hook(cls, _wire_unstructurer(plan))
        conv.register_structure_hook(cls, make_dict_structure_fn(cls, conv, **st))
        _WIRED[cls] = wired
        _TRUSTED[cls] = _trusted_plan(cls, _WIRED[cls])
    for name, rcls in RESPONSE_CLASSES.items():
        spec = ENDPOINTS[name]
        st = {"deviations": override(omit=True)}
        plan = []
        for p in spec.params:
            out_hook, in_hook = _PARAM_HOOKS[p.type]
            plan.append((p.attribute, p.name, out_hook))
            st[p.attribute] = override(rename=p.name, struct_hook=in_hook)
        conv.register_unstructure_hook(rcls, _wire_unstructurer(plan))
        conv.register_structure_hook(rcls, make_dict_structure_fn(rcls, conv, **st))
        _WIRED[rcls] = {p.attribute: (p.name, _PARAM_HOOKS[p.type][1]) for p in spec.params}
        _TRUSTED[rcls] = _trusted_plan(rcls, _WIRED[rcls])
    return conv


def _trusted_plan(
    cls: type[Any], wired: dict[str, tuple[str, Callable[[Any, Any], Any]]], present: frozenset[str] | None = None
) -> Callable[[dict[str, str]], Any]:
    """A function building *cls* from a validated wire dict: one line per attribute, generated
    (as attrs and cattrs generate theirs), setting each slot from the dict or to its default.
    A slot is set through its member descriptor (what ``object.__setattr__`` finds and calls)."""
    names: dict[str, Any] = {"_new": object.__new__, "cls": cls}
    lines = ["def structure(wire):", "    obj = _new(cls)", "    get = wire.get"]
    for i, a in enumerate(attrs.fields(cls)):
        name, hook = wired.get(a.name, ("", _str_in))
        default = a.default if a.default is not attrs.NOTHING else None
        names[f"default{i}"] = default
        slot = cls.__dict__.get(a.name)
        if isinstance(slot, MemberDescriptorType):
            names[f"set{i}"] = slot.__set__
            target = f"set{i}(obj, "
        else:
            names["_set"] = object.__setattr__
            target = f"_set(obj, {a.name!r}, "
        if not name or (present is not None and name not in present):
            lines.append(f"    {target}default{i})")
        elif present is not None:
            names[f"read{i}"] = _TRUSTED_READERS[hook]
            lines.append(f"    {target}wire[{name!r}])" if hook is _str_in else f"    {target}read{i}(wire[{name!r}]))")
        elif hook is _str_in and default is None:  # text: the wire's str itself, None when absent
            lines.append(f"    {target}get({name!r}))")
        else:
            names[f"read{i}"] = _TRUSTED_READERS[hook]
            lines.append(f"    value = get({name!r})")
            lines.append(f"    {target}default{i} if value is None else read{i}(value))")
    lines.append("    return obj")
    return _compiled(lines, names, "structure")


converter: cattrs.Converter = _make()
