"""The peers: the codec's rules written as a pydantic v2 model and as a msgspec Struct, per endpoint.

Nothing is typed by hand: every field, max length (in characters), allowed value, country list
and conditional rule is read from the codec's tables (``codec.ENDPOINTS``), as a user writing a
model for these two APIs would copy them from the documents.  The peers model the wire, as
strings; what they check:

* requests -- each variable's Max. Length in characters; the allowed values (enums, ``days``, the
  responseFormat/test flags) as ``Literal``s; countries as a ``Literal`` of the ISO 3166 list;
  the product list (items allowed, no repeats) in a validator; required variables; the
  conditional rules (``required_unless``, ``required_when``, ``exclusive``) in a model validator
  (pydantic) or ``__post_init__`` (msgspec); unknown names refused (``extra="forbid"`` /
  ``forbid_unknown_fields``); decoding also refuses a repeated name and drops blank values.
* responses -- typed parameters (``int``; amounts as ``Decimal`` after the table's amount
  pattern), errorCode required.

They read and write the wire with ``urllib.parse`` (``parse_qsl`` / ``urlencode``) and line
splitting: a model library does not speak application/x-www-form-urlencoded itself.  Strict
readings only (the codec's default).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode

import msgspec
import pydantic
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, StringConstraints

import codec
from codec import COUNTRIES, ENDPOINTS

__all__ = ["PEERS", "Peer"]


class PeerError(ValueError):
    """A rule a peer enforces by hand (repeated name, conditional rule, product list)."""


def _literal(values: list[str]) -> Any:
    return Literal[tuple(values)]  # type: ignore[valid-type]


def _product_check(kind: codec.ValueKind) -> Any:
    values = frozenset(kind.values)

    def check(value: str) -> str:
        items = value.split(",")
        if not all(item in values for item in items) or len(set(items)) != len(items):
            raise PeerError(f"product {value!r}")
        return value

    return check


def _rules_check(spec: codec.EndpointSpec) -> Any:
    """The conditional rules of *spec*, as one function over an instance with wire-named fields."""
    rules = spec.rules

    def check(obj: Any) -> None:
        for rule in rules:
            if isinstance(rule, codec.RequiredUnlessRule) and getattr(obj, rule.unless) is None:
                for name in rule.fields:
                    if getattr(obj, name) is None:
                        raise PeerError(f"{name} is required unless {rule.unless}")
            elif isinstance(rule, codec.RequiredWhenRule):
                if getattr(obj, rule.when_field) == rule.when_equals and getattr(obj, rule.field) is None:
                    raise PeerError(f"{rule.field} is required")
            elif isinstance(rule, codec.ExclusiveRule) and getattr(obj, rule.field) is not None:
                for name in rule.excludes:
                    if getattr(obj, name) is not None:
                        raise PeerError(f"{name} is not allowed with {rule.field}")

    return check


def _field_type(f: Any, flavour: str) -> Any:
    """The annotation of request variable *f* for pydantic or msgspec."""
    kind = f.kind
    if isinstance(kind, codec.Enum | codec.IntegerEnum):
        return _literal([v for v in kind.values if f.max_length is None or len(v) <= f.max_length])
    if isinstance(kind, codec.Country):
        return _literal(sorted(COUNTRIES))
    if flavour == "pydantic":
        constraints = StringConstraints(max_length=f.max_length) if f.max_length else StringConstraints()
        if isinstance(kind, codec.CommaList):
            return Annotated[str, constraints, AfterValidator(_product_check(kind))]
        return Annotated[str, constraints]
    meta = msgspec.Meta(max_length=f.max_length) if f.max_length else msgspec.Meta()
    return Annotated[str, meta]


def _pydantic_request(spec: codec.EndpointSpec) -> type[pydantic.BaseModel]:
    fields: dict[str, Any] = {}
    for f in spec.fields:
        annotation = _field_type(f, "pydantic")
        if f.presence == "required":
            fields[f.name] = (annotation, Field())
        else:
            fields[f.name] = (annotation | None, Field(default=None))
    rules = _rules_check(spec)

    def after(self: Any) -> Any:
        rules(self)
        return self

    return pydantic.create_model(  # type: ignore[call-overload,no-any-return]
        f"{spec.name}PydanticRequest",
        __config__=ConfigDict(extra="forbid", strict=True),
        __validators__={"rules": pydantic.model_validator(mode="after")(after)},
        **fields,
    )


def _msgspec_request(spec: codec.EndpointSpec) -> type[msgspec.Struct]:
    rules = _rules_check(spec)
    products = [(f.name, _product_check(f.kind)) for f in spec.fields if isinstance(f.kind, codec.CommaList)]

    def post_init(self: Any) -> None:
        for name, check in products:
            value = getattr(self, name)
            if value is not None:
                check(value)
        rules(self)

    fields = []
    for f in spec.fields:  # msgspec wants the fields without a default first; the order of the wire is kept below
        annotation = _field_type(f, "msgspec")
        fields.append((f.name, annotation) if f.presence == "required" else (f.name, annotation | None, None))
    fields.sort(key=lambda field: len(field) == 3)
    return msgspec.defstruct(
        f"{spec.name}MsgspecRequest",
        fields,
        forbid_unknown_fields=True,
        namespace={"__post_init__": post_init},
    )


def _amount_check(spec: codec.EndpointSpec) -> Any:
    pattern = re.compile(spec.policy.amount_pattern)

    def check(value: Any) -> Any:
        if not pattern.match(str(value)):
            raise PeerError(f"amount {value!r}")
        return value

    return check


def _response_types(spec: codec.EndpointSpec, flavour: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in spec.params:
        if p.type == "integer":
            out[p.name] = int
        elif p.type == "amount" and flavour == "pydantic":
            out[p.name] = Annotated[Decimal, BeforeValidator(_amount_check(spec))]
        elif p.type == "amount":
            out[p.name] = Decimal  # the pattern is checked in __post_init__
        else:
            out[p.name] = str
    return out


def _pydantic_response(spec: codec.EndpointSpec) -> type[pydantic.BaseModel]:
    types = _response_types(spec, "pydantic")
    fields = {
        p.name: (types[p.name], Field()) if p.name == "errorCode" else (types[p.name] | None, Field(default=None))
        for p in spec.params
    }
    return pydantic.create_model(  # type: ignore[call-overload,no-any-return]
        f"{spec.name}PydanticResponse", __config__=ConfigDict(extra="forbid"), **fields
    )


def _msgspec_response(spec: codec.EndpointSpec) -> type[msgspec.Struct]:
    types = _response_types(spec, "msgspec")
    amounts = [p.name for p in spec.params if p.type == "amount"]
    check = _amount_check(spec)

    def post_init(self: Any) -> None:
        for name in amounts:
            value = getattr(self, name)
            if value is not None:
                check(value)

    fields = [
        (p.name, types[p.name]) if p.name == "errorCode" else (p.name, types[p.name] | None, None) for p in spec.params
    ]
    return msgspec.defstruct(
        f"{spec.name}MsgspecResponse", fields, forbid_unknown_fields=True, namespace={"__post_init__": post_init}
    )


class Peer:
    """One library's way through both halves of one endpoint, paying urllib for the wire."""

    def __init__(self, flavour: str, spec: codec.EndpointSpec) -> None:
        self.flavour = flavour
        self.spec = spec
        self.order = [f.name for f in spec.fields]
        self.params = [p.name for p in spec.params]
        self.lines = {
            key: (f.lines.code_negative, f.lines.code_non_negative)
            for key, f in spec.formats.items()
            if isinstance(f, codec.NewlineFormat)
        }
        if flavour == "pydantic":
            self.request = _pydantic_request(spec)
            self.response = _pydantic_response(spec)
        else:
            self.request = _msgspec_request(spec)
            self.response = _msgspec_response(spec)

    # requests

    def encode_request(self, wire: dict[str, str]) -> bytes:
        """Validate a wire dict and write the body (the document's order, absent variables left out)."""
        if self.flavour == "pydantic":
            dumped = self.request.model_validate(wire).model_dump(exclude_none=True)  # type: ignore[attr-defined]
            return urlencode(dumped).encode("ascii")
        obj = msgspec.convert(wire, self.request)
        return urlencode([(name, value) for name in self.order if (value := getattr(obj, name)) is not None]).encode(
            "ascii"
        )

    def decode_request(self, body: bytes) -> Any:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True)
        wire = {name: value for name, value in pairs if value != ""}
        if len({name for name, _ in pairs}) != len(pairs):
            raise PeerError("a variable is repeated")
        if self.flavour == "pydantic":
            return self.request.model_validate(wire)  # type: ignore[attr-defined]
        return msgspec.convert(wire, self.request)

    # responses

    def _values(self, body: bytes, fmt_key: str | None) -> dict[str, str]:
        if fmt_key in self.lines:
            lines = body.decode("utf-8").split("\n")
            if lines[-1] == "":
                lines.pop()
            negative, non_negative = self.lines[fmt_key]
            return dict(zip(negative if lines[0].startswith("-") else non_negative, lines, strict=False))
        return dict(parse_qsl(body.decode("ascii"), keep_blank_values=True))

    def decode_response(self, body: bytes, fmt_key: str | None) -> Any:
        values = self._values(body, fmt_key)
        if self.flavour == "pydantic":
            return self.response.model_validate(values)  # type: ignore[attr-defined]
        return msgspec.convert(values, self.response, strict=False)

    def encode_response(self, values: dict[str, Any], fmt_key: str | None) -> bytes:
        """Validate typed values and write the body in format *fmt_key*."""
        if self.flavour == "pydantic":
            obj = self.response.model_validate(values)  # type: ignore[attr-defined]
        else:
            obj = msgspec.convert(values, self.response, strict=False)
        wire = {name: str(value) for name in self.params if (value := getattr(obj, name)) is not None}
        if fmt_key in self.lines:
            negative, non_negative = self.lines[fmt_key]
            names = negative if int(wire["errorCode"]) < 0 else non_negative
            return ("\n".join(wire[n] for n in names) + "\n").encode("utf-8")
        return urlencode(wire).encode("ascii")


PEERS = {
    (flavour, name): Peer(flavour, spec) for flavour in ("pydantic", "msgspec") for name, spec in ENDPOINTS.items()
}
