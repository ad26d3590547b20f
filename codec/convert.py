"""The one cattrs converter: typed classes <-> wire dicts (wire name -> text), built once.

Every hook is registered here, from the tables: a variable's wire name is its table row's name and
its hooks are its value kind's (:attr:`~codec.ValueKind.to_wire`, :attr:`~codec.ValueKind.from_wire`:
integer -> int, comma list -> tuple of ints, Y/N flag -> bool, numeric enum -> int, otherwise
str); a response parameter's follow its type (integer -> int, amount -> Decimal, string -> str).
Unstructuring writes the document's order and omits ``None`` (absent); structuring runs the
classes' validators.  The decoders and encoders use the same mapping through the functions
``codec/_fast.py`` generates per class.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import cattrs
from cattrs.gen import make_dict_structure_fn, override

from ._models import REQUEST_CLASSES, RESPONSE_CLASSES
from .tables import ENDPOINTS

__all__ = ["REQUEST_CLASSES", "RESPONSE_CLASSES", "converter"]

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


def _make() -> cattrs.Converter:
    conv = cattrs.Converter()
    for name, cls in REQUEST_CLASSES.items():
        fields = ENDPOINTS[name].fields
        conv.register_unstructure_hook(cls, _unstructurer([(f.attribute, f.name, f.kind.to_wire) for f in fields]))
        structure: dict[str, Any] = {
            f.attribute: override(rename=f.name, struct_hook=_reader(f.kind.from_wire)) for f in fields
        }
        conv.register_structure_hook(cls, make_dict_structure_fn(cls, conv, **structure))
    for name, rcls in RESPONSE_CLASSES.items():
        params = ENDPOINTS[name].params
        conv.register_unstructure_hook(rcls, _unstructurer([(p.attribute, p.name, str) for p in params]))
        rstructure: dict[str, Any] = {
            p.attribute: override(rename=p.name, struct_hook=_reader(_PARAM_TYPES[p.type])) for p in params
        }
        rstructure["deviations"] = override(omit=True)
        conv.register_structure_hook(rcls, make_dict_structure_fn(rcls, conv, **rstructure))
    return conv


converter: cattrs.Converter = _make()
