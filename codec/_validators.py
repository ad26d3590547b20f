"""The attrs validators and converters of the generated classes (``codec/_models.py``): one pair
per Python type a variable or parameter can have, and the repr that hides a secret."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

__all__ = [
    "REDACTED",
    "amount",
    "any_of",
    "flag",
    "integer",
    "integers",
    "optional_amount",
    "optional_any_of",
    "optional_flag",
    "optional_integer",
    "optional_integers",
    "optional_text",
    "redact",
    "text",
    "to_integers",
]

REDACTED = "<redacted>"


def redact(value: object) -> str:
    """The repr of a secret (loginPassword, saspSessionID): never its value."""
    return "None" if value is None else REDACTED


def integer(inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    """An ``int`` that is not a ``bool``."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{attr.name} must be an int, got {type(value).__name__}")


def integers(inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
    """A tuple of ``int`` (a comma list: product)."""
    if not isinstance(value, tuple) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise TypeError(f"{attr.name} must be a tuple of ints, got {value!r}")


def to_integers(value: Any) -> Any:
    """A list or a single int given for a comma list becomes a tuple; anything else is left for
    the validator to refuse."""
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    return value


text = attrs.validators.instance_of(str)
flag = attrs.validators.instance_of(bool)
amount = attrs.validators.instance_of(Decimal)
optional_text = attrs.validators.optional(text)
optional_flag = attrs.validators.optional(flag)
optional_amount = attrs.validators.optional(amount)
optional_integer = attrs.validators.optional(integer)
optional_integers = attrs.validators.optional(integers)


Validator = Any  # an attrs validator: (instance, attribute, value) -> None, raising TypeError


def any_of(*validators: Validator) -> Validator:
    """A value any one of *validators* accepts: a variable the kept document versions type
    differently (a string in one, an integer in another) takes either type."""

    def check(inst: Any, attr: attrs.Attribute[Any], value: Any) -> None:
        for validator in validators:
            try:
                validator(inst, attr, value)
            except TypeError:
                continue
            return
        raise TypeError(
            f"{attr.name} must be one of the types its document versions give it, got {type(value).__name__}"
        )

    return check


def optional_any_of(*validators: Validator) -> Validator:
    return attrs.validators.optional(any_of(*validators))
