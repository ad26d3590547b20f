"""Value kinds: what a request variable's values may be, one class per kind of table row.

Each variable of the tables has one kind (its row's ``kind``: ``text``, ``integer``, ``enum``,
``numeric_enum``, ``flag``, ``integer_enum``, ``comma_list``, ``country``), and
:attr:`codec.FieldSpec.kind` is an instance of its class, holding the row's allowed values.  The
class owns everything that depends on the kind:

* :meth:`ValueKind.checker` -- the check of one sent value, in the strict reading or the lenient
  one of the notes that widen it: ``None``, or ``(vendor code, rule, detail)``;
* :attr:`~ValueKind.python_type`, :attr:`~ValueKind.from_wire`, :attr:`~ValueKind.to_wire` --
  how the typed classes hold a value and how it is written on the wire;
* :meth:`~ValueKind.invalid_examples` -- values invalid under every reading, with the vendor code
  and rule each earns (what a conformance kit sends to see the code);
* :meth:`~ValueKind.baseline_value` -- one plain valid value.

A new kind is one class here (registered by its ``name``) and one Hypothesis strategy in
``conformance/strategies.py``; ``spec/build.py`` writes its rows.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from itertools import permutations
from typing import Any, ClassVar

import attrs

from ._tables import COUNTRIES

__all__ = [
    "KINDS",
    "Check",
    "CommaList",
    "Country",
    "Enum",
    "Flag",
    "Integer",
    "IntegerEnum",
    "InvalidExample",
    "NumericEnum",
    "Text",
    "ValueKind",
    "Verdict",
    "kind_from_row",
]

Verdict = tuple[int, str, str] | None
"""What a check says of one value: None (valid), or (vendor code, rule, detail)."""
Check = Callable[[str], Verdict]


@attrs.frozen
class InvalidExample:
    """A value invalid under every reading of the notes, the vendor code it earns and the rule
    it breaks (``allowed``, ``integer``, ``country``, ``max_length``)."""

    value: str
    code: int
    rule: str


def digits(value: str) -> bool:
    """ASCII decimal digits, no longer than ``int()`` converts (longer ones raise ValueError
    under the interpreter's default limit)."""
    return value.isascii() and value.isdigit() and len(value) <= sys.int_info.str_digits_check_threshold


def length_check(max_length: int | None) -> Check:
    """The check of the Max. Length column alone: characters, not bytes (note length-in-characters)."""

    def length(v: str) -> Verdict:
        if max_length is not None and len(v) > max_length:
            return -4, "max_length", f"{len(v)} characters, more than the {max_length} allowed"
        return None

    return length


@attrs.frozen(kw_only=True)
class ValueKind:
    """The base of the kinds.  ``values`` are the values the table lists (strict reading, table
    order); empty for kinds that list none (text, integer, country: see ``countries``)."""

    name: ClassVar[str]
    python_type: ClassVar[type[Any]] = str
    #: Text only: its check is its length and nothing else.
    length_only: ClassVar[bool] = False

    values: tuple[str, ...] = ()
    #: The source line the allowed values were read from, when not the variable's own row.
    source_line: int | None = attrs.field(default=None, eq=False)

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | None) -> ValueKind:
        """The kind of one table row's ``allowed`` (None for kinds that have none)."""
        return cls()

    def checker(self, max_length: int | None, strict: bool) -> Check:
        """The function judging one non-empty sent value of a variable of this kind."""
        raise NotImplementedError

    def accepted_values(self, strict: bool) -> frozenset[str] | None:
        """Every value this kind accepts (before the length check), when that is a small finite
        set; None otherwise."""
        return None

    @property
    def from_wire(self) -> Callable[[str], Any]:
        """The function turning a valid wire value into the typed value (a C callable where one
        does the work)."""
        return str

    @property
    def to_wire(self) -> Callable[[Any], str]:
        """The function writing a typed value as the wire writes it."""
        return str

    def _invalid(self, max_length: int | None) -> list[InvalidExample]:
        """The kind's own invalid values (the over-long one comes from :meth:`over_length`)."""
        return []

    def over_length(self, n: int) -> str:
        """A value of *n* characters shaped like a valid one of this kind (non-ASCII for free
        text, so a peer counting bytes is caught at the limit check too)."""
        return "é" * n

    def invalid_examples(self, max_length: int | None) -> tuple[InvalidExample, ...]:
        """Values invalid under every reading, each with its code and rule; one character over
        *max_length* last.  Empty for free text without a limit."""
        out = self._invalid(max_length)
        if max_length is not None:
            out.append(InvalidExample(self.over_length(max_length + 1), -4, "max_length"))
        return tuple(out)

    def baseline_value(self, max_length: int | None, *, text: str = "Example") -> str:
        """One plain valid wire value (*text*, cut to *max_length*, for free text)."""
        return "Y" if "Y" in self.values else self.values[0]


@attrs.frozen(kw_only=True)
class Text(ValueKind):
    """Free text: only its length is checked."""

    name: ClassVar[str] = "text"
    length_only: ClassVar[bool] = True

    def checker(self, max_length: int | None, strict: bool) -> Check:
        return length_check(max_length)

    def baseline_value(self, max_length: int | None, *, text: str = "Example") -> str:
        return text[:max_length] if max_length else text


@attrs.frozen(kw_only=True)
class Integer(ValueKind):
    """A decimal integer (type integer, no allowed values)."""

    name: ClassVar[str] = "integer"
    python_type: ClassVar[type[Any]] = int

    def checker(self, max_length: int | None, strict: bool) -> Check:
        length = length_check(max_length)

        def check(v: str) -> Verdict:
            if not digits(v):
                return -4, "integer", "not a decimal integer"
            return length(v)

        return check

    @property
    def from_wire(self) -> Callable[[str], Any]:
        return int

    def _invalid(self, max_length: int | None) -> list[InvalidExample]:
        return [InvalidExample("12a", -4, "integer")]

    def baseline_value(self, max_length: int | None, *, text: str = "Example") -> str:
        return "1"


@attrs.frozen(kw_only=True)
class Enum(ValueKind):
    """One of the listed values; the lenient reading adds ``lenient_values`` and, with
    ``lenient_case_insensitive``, any case (UpdateUserEvClickThrough's action)."""

    name: ClassVar[str] = "enum"

    lenient_values: tuple[str, ...] = ()
    lenient_case_insensitive: bool = False
    labels: Mapping[str, str] = attrs.field(factory=dict, eq=False, repr=False)

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | None) -> ValueKind:
        assert row is not None
        return cls(
            values=tuple(row["values"]),
            lenient_values=tuple(row["lenient_values"]),
            lenient_case_insensitive=row["lenient_case_insensitive"],
            labels=dict(row["labels"]),
            source_line=row.get("source_line"),
        )

    def checker(self, max_length: int | None, strict: bool) -> Check:
        length = length_check(max_length)
        values = set(self.values) | (set() if strict else set(self.lenient_values))
        folded = {v.casefold() for v in values} if (not strict and self.lenient_case_insensitive) else None
        shown = ", ".join(sorted(values))

        def check(v: str) -> Verdict:
            if v in values or (folded is not None and v.casefold() in folded):
                return length(v)
            return -4, "allowed", f"not one of {shown}"

        return check

    def accepted_values(self, strict: bool) -> frozenset[str] | None:
        if not strict and self.lenient_case_insensitive:
            return None
        return frozenset(self.values) | (frozenset() if strict else frozenset(self.lenient_values))

    def _invalid(self, max_length: int | None) -> list[InvalidExample]:
        taken = [*self.values, *self.lenient_values]
        folded = {v.lower() for v in taken}
        bad = next(c for c in ("X", "2", "Q", "Invalid") if c not in taken and c.lower() not in folded)
        return [InvalidExample(bad, -4, "allowed")] if max_length is None or len(bad) <= max_length else []

    def over_length(self, n: int) -> str:
        return (self.values[0] * n)[:n]


@attrs.frozen(kw_only=True)
class NumericEnum(Enum):
    """An enum whose values are decimal numbers (responseFormat: 0 or 1), typed ``int``."""

    name: ClassVar[str] = "numeric_enum"
    python_type: ClassVar[type[Any]] = int

    @property
    def from_wire(self) -> Callable[[str], Any]:
        return int


def _flag(value: str) -> bool:
    return value.upper() == "Y"


def _flag_out(value: bool) -> str:
    return "Y" if value else "N"


@attrs.frozen(kw_only=True)
class Flag(Enum):
    """A Y/N flag (its row lists the lower-case forms its description allows), typed ``bool``."""

    name: ClassVar[str] = "flag"
    python_type: ClassVar[type[Any]] = bool

    @property
    def from_wire(self) -> Callable[[str], Any]:
        return _flag

    @property
    def to_wire(self) -> Callable[[Any], str]:
        return _flag_out


@attrs.frozen(kw_only=True)
class IntegerEnum(ValueKind):
    """An integer from a hedged list (days: 'For most products: 365, 730 or 1095'); the lenient
    reading takes any positive integer (note days-for-most-products)."""

    name: ClassVar[str] = "integer_enum"
    python_type: ClassVar[type[Any]] = int

    hedge: str = ""
    lenient_any_positive_integer: bool = False

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | None) -> ValueKind:
        assert row is not None
        return cls(
            values=tuple(row["values"]),
            hedge=row["hedge"],
            lenient_any_positive_integer=row["lenient_any_positive_integer"],
        )

    def checker(self, max_length: int | None, strict: bool) -> Check:
        length = length_check(max_length)
        values = set(self.values)
        any_positive = not strict and self.lenient_any_positive_integer
        shown = ", ".join(self.values)

        def check(v: str) -> Verdict:
            if v in values:
                return length(v)
            if any_positive and digits(v) and not v.startswith("0"):
                return length(v)
            if not digits(v):
                return -4, "integer", "not a decimal integer"
            return -4, "allowed", f"not one of {shown}"

        return check

    def accepted_values(self, strict: bool) -> frozenset[str] | None:
        if not strict and self.lenient_any_positive_integer:
            return None
        return frozenset(self.values)

    @property
    def from_wire(self) -> Callable[[str], Any]:
        return int

    def _invalid(self, max_length: int | None) -> list[InvalidExample]:
        return [InvalidExample("abc", -4, "allowed"), InvalidExample("0", -4, "allowed")]

    def over_length(self, n: int) -> str:
        return (self.values[0] * n)[:n]


def _integers(value: str) -> tuple[int, ...]:
    return tuple(map(int, filter(str.strip, value.split(","))))


def _integers_out(value: Iterable[int]) -> str:
    return ",".join(map(str, value))


@attrs.frozen(kw_only=True)
class CommaList(ValueKind):
    """A comma-separated list of listed numbers (product: 36, 37), typed ``tuple[int, ...]``.
    Strict: each once, no spaces; lenient: spaces and repeats (note product-list-syntax)."""

    name: ClassVar[str] = "comma_list"
    python_type: ClassVar[type[Any]] = tuple

    separator: str = ","
    strict_unique: bool = True
    lenient_spaces_and_repeats: bool = False
    labels: Mapping[str, str] = attrs.field(factory=dict, eq=False, repr=False)

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | None) -> ValueKind:
        assert row is not None
        if row["separator"] != ",":
            raise ValueError(f"comma_list: separator {row['separator']!r} is not ','")
        return cls(
            values=tuple(row["values"]),
            separator=row["separator"],
            strict_unique=row["strict_unique"],
            lenient_spaces_and_repeats=row["lenient_spaces_and_repeats"],
            labels=dict(row["labels"]),
        )

    def checker(self, max_length: int | None, strict: bool) -> Check:
        length = length_check(max_length)
        values = set(self.values)
        tolerant = not strict and self.lenient_spaces_and_repeats
        unique = strict and self.strict_unique
        shown = ", ".join(self.values)

        def check(v: str) -> Verdict:
            found = length(v)
            if found:
                return found
            items = v.split(",")
            if tolerant:
                items = [i.strip() for i in items]
            for item in items:
                if item not in values:
                    return -4, "allowed", f"item {item!r} is not one of {shown}"
            if unique and len(set(items)) != len(items):
                return -4, "allowed", "an item is repeated"
            return None

        return check

    def accepted_values(self, strict: bool) -> frozenset[str] | None:
        if not strict or len(self.values) > 5:
            return None
        items = self.values
        return frozenset(",".join(p) for r in range(1, len(items) + 1) for p in permutations(items, r))

    @property
    def from_wire(self) -> Callable[[str], Any]:
        return _integers

    @property
    def to_wire(self) -> Callable[[Any], str]:
        return _integers_out

    def _invalid(self, max_length: int | None) -> list[InvalidExample]:
        numbers = [int(v) for v in self.values if v.isdigit()]
        return [
            InvalidExample(str(max(numbers) + 1) if numbers else "x", -4, "allowed"),
            InvalidExample(",".join(self.values[:1]) + ",", -4, "allowed"),
        ]

    def over_length(self, n: int) -> str:
        first = self.values[0]
        text = ",".join([first] * (n // 2 + 1))[:n]
        return text[:-1] + first[0] if text.endswith(",") else text


@attrs.frozen(kw_only=True)
class Country(ValueKind):
    """An ISO 3166-1 alpha-2 code from the pinned country list; an unknown one earns
    ``error_code`` (-7).  Lenient: any case (note country-case)."""

    name: ClassVar[str] = "country"

    lenient_case_insensitive: bool = False
    error_code: int = -7
    countries: frozenset[str] = attrs.field(default=COUNTRIES, repr=False)

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | None) -> ValueKind:
        assert row is not None
        return cls(lenient_case_insensitive=row["lenient_case_insensitive"], error_code=row["error_code"])

    def checker(self, max_length: int | None, strict: bool) -> Check:
        length = length_check(max_length)
        fold = not strict and self.lenient_case_insensitive
        countries = self.countries
        code = self.error_code

        def check(v: str) -> Verdict:
            found = length(v)
            if found:
                return found
            if (v.upper() if fold else v) in countries:
                return None
            return code, "country", "not an ISO 3166-1 alpha-2 code"

        return check

    def accepted_values(self, strict: bool) -> frozenset[str] | None:
        if not strict and self.lenient_case_insensitive:
            return None
        return self.countries

    def _invalid(self, max_length: int | None) -> list[InvalidExample]:
        unknown = next(c for c in ("XX", "ZZ", "QQ", "XY") if c not in self.countries)
        return [InvalidExample(unknown, self.error_code, "country")]

    def over_length(self, n: int) -> str:
        return "A" * n

    def baseline_value(self, max_length: int | None, *, text: str = "Example") -> str:
        return "GB" if "GB" in self.countries else sorted(self.countries)[0]


KINDS: Mapping[str, type[ValueKind]] = {
    cls.name: cls for cls in (Text, Integer, Enum, NumericEnum, Flag, IntegerEnum, CommaList, Country)
}
"""Every kind class by the name the tables use for it."""


def kind_from_row(kind: str, allowed: Mapping[str, Any] | None) -> ValueKind:
    """The kind instance of one table row (its ``kind`` and ``allowed``)."""
    cls = KINDS.get(kind)
    if cls is None:
        raise ValueError(f"kind {kind!r} has no class in codec/kinds.py (known: {', '.join(sorted(KINDS))})")
    return cls.from_row(allowed)
