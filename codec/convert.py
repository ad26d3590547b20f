"""The one cattrs converter: typed classes <-> wire dicts (wire name -> text), built once.

Every hook is registered here, from the tables: a variable's wire name is its table row's name and
its hooks are its value kind's (:attr:`~codec.ValueKind.to_wire`, :attr:`~codec.ValueKind.from_wire`:
integer -> int, comma list -> tuple of ints, Y/N flag -> bool, numeric enum -> int, otherwise
str); a response parameter's follow its type (integer -> int, amount -> Decimal, string -> str).
Unstructuring writes the document's order and omits ``None`` (absent); structuring runs the
classes' validators.  :data:`converter` speaks each endpoint's newest document;
:func:`converter_for` gives the one of a spec bound to another version (``codec.endpoint_spec``).  The decoders and encoders use the same mapping through the functions
``codec/_fast.py`` generates per class.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import cattrs
from cattrs.gen import make_dict_structure_fn, override

from ._models import REQUEST_CLASSES, RESPONSE_CLASSES
from .errors import wrong_type
from .tables import ENDPOINTS, EndpointSpec, PerSpec, request_members, response_members

__all__ = ["REQUEST_CLASSES", "RESPONSE_CLASSES", "converter", "converter_for"]

_PARAM_TYPES: dict[str, Callable[[str], Any]] = {"integer": int, "amount": Decimal, "string": str}


def _reader(read: Callable[[str], Any]) -> Callable[[Any, Any], Any]:
    """A structure hook (value, type) -> typed value, from a one-argument reader."""

    def structure(value: Any, _: Any) -> Any:
        return read(value)

    return structure


def _unstructurer(plan: list[tuple[str, str, Callable[[Any], str]]]) -> Callable[[Any], dict[str, str]]:
    """``{wire name: text}`` in the document's order (cattrs' own function would put attributes
    without a default first, and the order is part of byte-identical output); ``None`` is absent."""

    def unstructure(obj: Any) -> dict[str, str]:
        out: dict[str, str] = {}
        for attribute, wire, to_wire in plan:
            value = getattr(obj, attribute)
            if value is not None:
                out[wire] = to_wire(value)
        return out

    return unstructure


def _register(conv: cattrs.Converter, spec: EndpointSpec) -> cattrs.Converter:
    """Register the hooks of *spec*'s typed request and response classes on *conv*: its variables
    and parameters by their wire names, read and written as its kinds and types say; attributes
    only other kept versions have are written when set (for the rules to refuse) and never read."""
    cls, rcls = REQUEST_CLASSES[spec.name], RESPONSE_CLASSES[spec.name]
    members = request_members(spec)
    conv.register_unstructure_hook(cls, _unstructurer([(a, f.name, f.kind.to_wire) for a, f in members]))
    structure: dict[str, Any] = {
        a: override(rename=f.name, struct_hook=_reader(f.kind.from_wire))
        if f.key in spec.by_key
        else override(omit=True)
        for a, f in members
    }
    conv.register_structure_hook(cls, make_dict_structure_fn(cls, conv, **structure))
    params = response_members(spec)
    conv.register_unstructure_hook(rcls, _unstructurer([(a, p.name, str) for a, p in params]))
    rstructure: dict[str, Any] = {
        a: override(rename=p.name, struct_hook=_reader(_PARAM_TYPES[p.type]))
        if p.key in spec.params_by_key
        else override(omit=True)
        for a, p in params
    }
    rstructure["deviations"] = override(omit=True)
    conv.register_structure_hook(rcls, make_dict_structure_fn(rcls, conv, **rstructure))
    return conv


def _make() -> cattrs.Converter:
    conv = cattrs.Converter()
    for spec in ENDPOINTS.values():
        _register(conv, spec)
    return conv


converter: cattrs.Converter = _make()
"""The converter of every endpoint's newest document."""

_BOUND = PerSpec(lambda spec: converter if spec is ENDPOINTS[spec.name] else _register(converter.copy(), spec))


def converter_for(spec: EndpointSpec) -> cattrs.Converter:
    """The converter of *spec*'s version: :data:`converter` for the newest document, else a copy
    of it with that version's hooks (made once).  TypeError for anything but a spec."""
    if not isinstance(spec, EndpointSpec):
        raise wrong_type("spec", spec, "an EndpointSpec (codec.endpoint_spec)")
    return _BOUND[spec]
