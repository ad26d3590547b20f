"""One variable's valid values, by its value kind (``codec/kinds.py``): a new kind registers its
strategy here (:func:`kind_values`), or, when its valid values are a short table, the table
(:func:`kind_choices`); :mod:`conformance.strategies` builds whole requests from them.
"""

from __future__ import annotations

import functools
import itertools

import attrs
from hypothesis import strategies as st

import codec
from codec import FieldSpec

from .freetext import Decoder, EmailAddress, FreeText, PhoneNumber, decoded, email_addresses

__all__ = ["free_text", "kind_choices", "kind_decoder", "kind_values", "looks_like"]


def looks_like(field: FieldSpec, word: str) -> bool:
    return word in field.name.lower()


# One strategy per value kind (codec/kinds.py): a new kind registers its own here.  A kind whose
# valid values are a short table registers them with ``kind_choices`` instead: its strategy is then
# a sample of them, and valid_wire draws every such variable's choice at once.


@functools.singledispatch
def kind_choices(kind: codec.ValueKind, f: FieldSpec) -> tuple[str, ...] | None:
    """Every strict-valid wire value of variable *f*, when they are a table (None otherwise)."""
    return None


@kind_choices.register
def _enum_choices(kind: codec.Enum, f: FieldSpec) -> tuple[str, ...]:
    return tuple(kind.values)  # Flag and NumericEnum too


@kind_choices.register
def _integer_enum_choices(kind: codec.IntegerEnum, f: FieldSpec) -> tuple[str, ...]:
    return tuple(kind.values)


@kind_choices.register
def _country_choices(kind: codec.Country, f: FieldSpec) -> tuple[str, ...]:
    return tuple(sorted(kind.countries))


_LISTED_UP_TO = 5  # a comma list of up to this many values is a table of every ordering of every subset


@kind_choices.register
def _comma_list_choices(kind: codec.CommaList, f: FieldSpec) -> tuple[str, ...] | None:
    if len(kind.values) > _LISTED_UP_TO:
        return None
    every = (
        kind.separator.join(p)
        for size in range(1, len(kind.values) + 1)
        for p in itertools.permutations(kind.values, size)
    )
    return tuple(v for v in every if f.max_length is None or len(v) <= f.max_length)


@functools.singledispatch
def kind_values(kind: codec.ValueKind, f: FieldSpec, at_limit: bool) -> st.SearchStrategy[str]:
    """Strict-valid wire values of variable *f*, whose value kind is *kind*."""
    choices = kind_choices(kind, f)
    if choices is None:
        raise NotImplementedError(f"no strategy for value kind {type(kind).__name__} ({f.name}): register one")
    return st.sampled_from(choices)


@kind_values.register
def _comma_list_values(kind: codec.CommaList, f: FieldSpec, at_limit: bool) -> st.SearchStrategy[str]:
    choices = kind_choices(kind, f)
    if choices is not None:
        return st.sampled_from(choices)
    return (
        st.lists(st.sampled_from(list(kind.values)), min_size=1, unique=True)
        .map(kind.separator.join)
        .filter(lambda v: f.max_length is None or len(v) <= f.max_length)
    )


@kind_values.register
def _integer_values(kind: codec.Integer, f: FieldSpec, at_limit: bool) -> st.SearchStrategy[str]:
    return st.integers(min_value=1, max_value=10**6).map(str)


def free_text(f: FieldSpec) -> FreeText | None:
    """A free-text variable's values of any length (``attrs.evolve(..., at_limit=True)``: at its
    limit); None for other kinds, and for e-mail addresses and telephone numbers, which have a
    syntax of their own."""
    if not isinstance(f.kind, codec.Text) or any(looks_like(f, w) for w in ("email", "telephone", "fax")):
        return None
    return FreeText(1, f.max_length if f.max_length is not None else 100)


def kind_decoder(f: FieldSpec) -> Decoder | None:
    """How a text variable's values are decoded from a tape (:mod:`conformance.freetext`): free
    text, an e-mail address (or a word its table allows instead) or a telephone number; None for
    other kinds, and for an e-mail variable too short for any address that allows no word
    (:func:`kind_values` then has no value to draw either)."""
    if not isinstance(f.kind, codec.Text):
        return None
    text = free_text(f)
    if text is not None:
        return text
    if looks_like(f, "email"):
        email = EmailAddress(f.max_length, tuple(f.special_values))
        return email if email.most >= 1 or email.special else None  # no address fits and no word: none to draw
    return PhoneNumber(f.max_length)  # telephone and fax numbers: free_text leaves no other


@kind_values.register
def _text_values(kind: codec.Text, f: FieldSpec, at_limit: bool) -> st.SearchStrategy[str]:
    text = free_text(f)
    if text is not None:
        longest = decoded(attrs.evolve(text, at_limit=True))
        return longest if at_limit else st.one_of(decoded(text), longest)
    if looks_like(f, "email"):
        special = [st.just(v) for v in f.special_values]
        return st.one_of(email_addresses(f.max_length), *special)
    decoder = kind_decoder(f)
    assert decoder is not None
    return decoded(decoder)
