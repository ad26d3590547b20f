"""Seed corpus: real bodies made by the codec's own encoders, plus the hostile shapes a server meets.

Everything valid here comes out of :func:`codec.encode_request_fields`, :func:`codec.encode_response`
and :func:`codec.message_for` with values read from the tables, so the fuzzer starts from inputs
that pass every check and mutates its way to the edges.  Seeds are payloads without the options
byte (see :mod:`fuzz.targets`); :func:`seed_files` prefixes them for atheris.
"""

from __future__ import annotations

import functools
import json
from decimal import Decimal
from typing import Any

import codec
from codec import AUTO_APPLY_IDA, ENDPOINTS, UPDATE_USER_EV_CLICK_THROUGH

__all__ = ["TOKENS", "cli_seeds", "form_seeds", "message_seeds", "request_seeds", "response_seeds", "seeds_for"]

NON_ASCII = "é中\u0301ß😀"


def _value(endpoint: str, name: str, *, wide: bool = False) -> str:
    """A valid value for one variable, from its table row (``wide``: as long as allowed, non-ASCII)."""
    f = ENDPOINTS[endpoint].by_key[name.lower()]
    kind = f.kind
    if isinstance(kind, codec.CommaList):
        return ",".join(kind.values) if wide else kind.values[0]
    if isinstance(kind, codec.Country):
        return "GB"
    if isinstance(kind, codec.Enum | codec.IntegerEnum):
        values = kind.values
        return values[-1] if wide else values[0]
    if name == "orderNumber":
        return "1234567"
    if wide:
        return (NON_ASCII * 200)[: f.max_length or 300]
    text = "x@example.com" if "mail" in name.lower() else f"{name} value"
    return text[: f.max_length or None]


def _wire(endpoint: str, *, sasp: bool = False, optional: bool = False, wide: bool = False) -> dict[str, str]:
    spec = ENDPOINTS[endpoint]
    excluded: set[str] = set()
    wanted: set[str] = set()
    for rule in spec.rules_of(codec.ExclusiveRule):
        excluded |= set(rule.excludes) if sasp else {rule.field}
        wanted |= {rule.field} if sasp else set()
    wire: dict[str, str] = {}
    for f in spec.fields:
        if f.name in excluded:
            continue
        if f.presence in ("required", "conditional") or optional or f.name in wanted:
            wire[f.name] = _value(endpoint, f.name, wide=wide)
    if endpoint == UPDATE_USER_EV_CLICK_THROUGH and wire.get("action") != "ReplaceMailAddress":
        wire.pop("adminEmailAddress", None)
    return wire


def _body(endpoint: str, fields: Any, *, validate: bool = True) -> bytes:
    body: bytes = codec.encode_request_fields(endpoint, fields, validate=validate).body
    return body


@functools.cache
def request_seeds(endpoint: str) -> tuple[bytes, ...]:
    """Valid bodies (every login style, every optional variable, non-ASCII at the limits) and one
    body breaking each kind of rule, all written by the codec's request encoder."""
    spec = ENDPOINTS[endpoint]
    valid = [_wire(endpoint)]
    if spec.rules_of(codec.ExclusiveRule):
        valid.append(_wire(endpoint, sasp=True))
    valid += [_wire(endpoint, optional=True), _wire(endpoint, optional=True, wide=True)]
    if endpoint == UPDATE_USER_EV_CLICK_THROUGH:
        valid.append({**_wire(endpoint), "action": "ReplaceMailAddress", "adminEmailAddress": "new@example.com"})
    out = [_body(endpoint, w) for w in valid]
    base = valid[0]
    first = spec.fields[0].name
    broken: list[list[tuple[str, str]]] = [
        [*base.items(), ("colour", "blue")],  # -2
        [(k, v) for k, v in base.items() if k != list(base)[-1]],  # -3
        [*base.items(), (first, base.get(first, "x"))],  # duplicate name
        [(k.upper(), v) for k, v in base.items()],  # names in another case
        [(k, v + "x" * 600) for k, v in base.items()],  # every value too long
        [(k, "") for k in base],  # blanks
        [(k, v.replace(" ", "\r\n")) for k, v in base.items()],  # CR/LF inside values
        [(k, v + "\0") for k, v in base.items()],  # NUL bytes
    ]
    if "countryName" in base:
        broken.append([(k, "ZZ" if k == "countryName" else v) for k, v in base.items()])  # -7
    out += [_body(endpoint, pairs, validate=False) for pairs in broken]
    # malformed values of known variables (-4); a malformed or unknown *name* (-2) is left to the
    # mutations, since every mutant of such a seed stops at the same first check
    plain = out[0]
    out += [
        plain.replace(b"=", b"=%zz", 1),  # a bad percent escape
        plain.replace(b"=", b"=%ff", 1),  # invalid UTF-8 after percent-decoding
        plain.replace(b"=", b"=\xff\xfe", 1),  # raw invalid UTF-8
    ]
    return tuple(out)


def _responses(endpoint: str) -> list[Any]:
    spec = ENDPOINTS[endpoint]
    out: list[Any] = []
    for code, entry in spec.codes.items():
        if code < 0:
            out.append(codec.error_response(endpoint, code, "countryName" if entry.placeholder_token else None))
    cls = codec.RESPONSE_CLASSES[endpoint]
    if endpoint == AUTO_APPLY_IDA:
        for code in (c for c in spec.codes if c >= 0):
            out.append(
                cls(
                    error_code=code,
                    error_message=None if code == 0 else codec.message_for(spec, code),
                    order_number=1234567,
                    total_cost=Decimal("39.00"),
                    expected_delivery_time=48 if code else 1,
                )
            )
    else:
        for status, row in spec.statuses.items():
            out.append(cls(error_code=0, error_message="Successful", status=status, description=row.description))
    return out


@functools.cache
def response_seeds(endpoint: str, response_format: int | None) -> tuple[bytes, ...]:
    """Every code's answer from the codec's response encoder, in *response_format* (for None:
    every format the endpoint has, since the decoder then guesses), plus a few near misses."""
    spec = ENDPOINTS[endpoint]
    formats = (
        [response_format] if response_format is not None else [None if k is None else int(k) for k in spec.formats]
    )
    out: list[bytes] = []
    for fmt in formats:
        for response in _responses(endpoint):
            out.append(codec.encode_response(response, response_format=fmt).body)
    first = out[0]
    out += [first.replace(b"\n", b"\r\n"), b" " + first + b"\n\n", first + b"extra\n", first[:3], b"1" * 5000]
    return tuple(out)


@functools.cache
def message_seeds() -> tuple[bytes, ...]:
    """Every template filled, and the raw templates."""
    out: list[bytes] = []
    for spec in ENDPOINTS.values():
        for code, entry in spec.codes.items():
            out.append(entry.message.encode())
            filled = codec.message_for(spec, code, "it's 'quoted'\r\n")
            if filled:
                out.append(filled.encode())
    return tuple(out)


@functools.cache
def form_seeds() -> tuple[bytes, ...]:
    """Request bodies and URL-encoded answers of both endpoints."""
    out: list[bytes] = []
    for endpoint in ENDPOINTS:
        out += request_seeds(endpoint)
        out += response_seeds(endpoint, 1 if endpoint == AUTO_APPLY_IDA else None)
    return tuple(out)


@functools.cache
def cli_seeds() -> tuple[bytes, ...]:
    """JSON objects for the encode commands, bodies for the decode commands."""
    out: list[bytes] = []
    for endpoint in ENDPOINTS:
        out.append(json.dumps(_wire(endpoint, optional=True)).encode())
        out.append(
            json.dumps({"errorCode": 0, "orderNumber": 12, "totalCost": "9.50", "expectedDeliveryTime": 1}).encode()
        )
        out.append(json.dumps({"errorCode": 0, "status": 1, "description": "Successfully completed"}).encode())
        out += request_seeds(endpoint)[:2]
        out += response_seeds(endpoint, None)[:3]
    out += [b"[]", b'{"days": 1e400}', b'{"a": [1, [2]]}']
    return tuple(out)


# pieces mutations splice in: the syntax of both formats, escapes, limits and every wire name
TOKENS: tuple[bytes, ...] = (
    b"&", b"=", b"+", b"%", b"%2", b"%zz", b"%ff", b"%C3%A9", b"%0A", b"%0D", b"%00", b"\xff", b"\xc3", b"\r\n",
    b"\n", b"\r", b"\0", b";", b"'", b'"', b"{", b"}", b"[", b",", b":", b"0", b"-1", b"-4", b"365", b"36,37", b"Y", b"y",
    b"GB", b"gb", b"1", b"9.50", b"$", b" ", b"\t", b"1" * 40, b"9" * 4400,
    *sorted({f.name.encode() for spec in ENDPOINTS.values() for f in spec.fields}),
    *sorted({p.name.encode() for spec in ENDPOINTS.values() for p in spec.params}),
)  # fmt: skip


def seeds_for(target: str) -> tuple[bytes, ...]:
    """The seed payloads of one target of :data:`fuzz.targets.TARGETS`."""
    from .targets import SEEDS

    return SEEDS[target]()
