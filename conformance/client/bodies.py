"""Response bodies for the decoding adapter: the :class:`Variant` and the pieces variants are made of.

A :class:`Variant` is one answer the kit sends an adapter (its body, Content-Type and the format
the request asked for) with what it is meant to be; the helpers here build bodies from the tables
through the codec's encoders.  :mod:`conformance.client.variants` assembles the deterministic set
(:mod:`conformance.client.traps` adds the bodies that break naive decoders) and
:mod:`conformance.client.generated` draws more with Hypothesis.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any, Final

import attrs

import codec

__all__ = [
    "AMOUNTS",
    "AUTO",
    "CLICK",
    "FREE_TEXT",
    "ORDER_NUMBERS",
    "PROTOCOL",
    "SPECIALS",
    "Variant",
    "describe_answer",
    "encoded_variant",
    "error_answer",
    "expected_reading",
    "form_variant",
    "format_numbers",
    "order_successes",
    "placeholder_argument",
    "successes_of",
    "wire_pairs",
]

AUTO: Final = codec.AUTO_APPLY_IDA
CLICK: Final = codec.UPDATE_USER_EV_CLICK_THROUGH

# order numbers and amounts that survive only exact decoding: 2**53 + 1 is not a double, and
# neither is an amount with 18 significant digits
ORDER_NUMBERS: Final = (1, 1234567, 9007199254740993)
AMOUNTS: Final = ("0", "12.50", "199", "1234567890123456.78")
FREE_TEXT: Final = "Order '1234567' was not found – Zürich & Söhne = 100% lost"
PROTOCOL: Final = 2
"""The adapter protocol's version the kit speaks (answers of version 1 are still accepted)."""
# what breaks naive decoders, carried in every text position: name -> text (and why it bites)
SPECIALS: Final = (
    ("plus", "+", "a plus sign: %2B on the wire, a space after decoding twice"),
    ("percent-2B", "%2B", "the text %2B: %252B on the wire, + or a space after decoding twice"),
    ("percent-26", "%26", "the text %26: an & after decoding twice, splitting the pair"),
    ("percent-3D", "%3D", "the text %3D: an = after decoding twice"),
    ("percent-25", "%25", "the text %25: a bare % after decoding twice"),
    ("semicolon", ";", "a semicolon: data, not a separator (note form-encoding-details)"),
    ("non-ascii", "é中😀", "non-ASCII text: UTF-8, astral characters included"),
    ("empty", "", "an empty value"),
)


@attrs.frozen
class Variant:
    """One answer to send: its id (``endpoint/group/detail``), what it is, the note that allows
    it (None: the documents' letter or none), whether it breaks the letter with no note to allow
    it yet can be read (``off_letter``), and whether it cannot be read at all (``malformed``)."""

    id: str
    endpoint: str
    body: bytes
    content_type: str | None
    response_format: int | None
    about: str
    note: str | None = None
    malformed: bool = False
    off_letter: bool = False

    @property
    def kind(self) -> str:
        """``letter``, ``note``, ``off-letter`` or ``unreadable``: what the body is meant to be."""
        if self.malformed:
            return "unreadable"
        if self.off_letter:
            return "off-letter"
        return "note" if self.note else "letter"

    def message(self, number: int) -> dict[str, Any]:
        """The protocol message for this variant, numbered *number*."""
        try:
            text: str | None = self.body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        return {
            "id": number,
            "protocol": PROTOCOL,
            "endpoint": self.endpoint,
            "content_type": self.content_type,
            "response_format": self.response_format,
            "body": text,
            "body_base64": base64.b64encode(self.body).decode("ascii"),
        }


def expected_reading(variant: Variant) -> Any:
    """The codec's reading of *variant*: a response, or the :class:`codec.ResponseInvalid` it raises."""
    try:
        return codec.decode_response(
            variant.endpoint, variant.body, content_type=variant.content_type, response_format=variant.response_format
        )
    except codec.ResponseInvalid as exc:
        return exc


# ---------------------------------------------------------------------- the variants


def placeholder_argument(spec: codec.EndpointSpec, code: int) -> str | None:
    """What a code's placeholder names in the variants: a required variable, or country XX."""
    kind = spec.codes[code].placeholder_kind
    if kind == "country":
        return "XX"
    if kind == "argument":
        return next(f.name for f in reversed(spec.fields) if f.presence == "required")
    return None


def encoded_variant(
    vid: str, response: Any, fmt: int | None, about: str, note: str | None = None, *, requested: int | None = -1
) -> Variant:
    """*response* encoded in format *fmt*; *requested* is what the request asked for (default *fmt*)."""
    encoded = codec.encode_response(response, response_format=fmt)
    return Variant(
        vid,
        response.ENDPOINT,
        encoded.body,
        encoded.content_type,
        fmt if requested == -1 else requested,
        about,
        note,
    )


def error_answer(endpoint: str, code: int) -> Any:
    spec = codec.endpoint_spec(endpoint)
    response = codec.error_response(endpoint, code, placeholder_argument(spec, code))
    if spec.codes[code].free_text:
        response = attrs.evolve(response, error_message=FREE_TEXT)
    return response


def order_successes(spec: codec.EndpointSpec, fmt: str) -> Iterator[Any]:
    hours = spec.formats[fmt].expected_delivery
    for i in range(max(len(AMOUNTS), len(hours))):
        yield codec.AutoApplyIdAResponse(
            error_code=0,
            order_number=ORDER_NUMBERS[i % len(ORDER_NUMBERS)],
            total_cost=Decimal(AMOUNTS[i % len(AMOUNTS)]),
            expected_delivery_time=hours[i % len(hours)],
        )


def describe_answer(response: Any) -> str:
    wire = codec.converter.unstructure(response)
    return ", ".join(f"{k}={v}" for k, v in wire.items())


def wire_pairs(response: Any) -> list[tuple[str, str]]:
    return list(codec.converter.unstructure(response).items())


def format_numbers(endpoint: str) -> Sequence[int | None]:
    """The endpoint's response formats by number (``[None]``: it has only one)."""
    return sorted(int(k) for k in codec.endpoint_spec(endpoint).formats if k is not None) or [None]


def form_variant(vid: str, endpoint: str, pairs: list[tuple[str, str]], about: str, note: str | None = None) -> Variant:
    fmt = 1 if codec.endpoint_spec(endpoint).format_field else None  # the URL-encoded one
    return Variant(vid, endpoint, codec.encode_form(pairs), "application/x-www-form-urlencoded", fmt, about, note)


def successes_of(spec: codec.EndpointSpec) -> Iterator[Any]:
    """Successful answers of an endpoint: an order, or each status of an action."""
    if spec.statuses:
        cls: Any = codec.RESPONSE_CLASSES[spec.name]
        for status, row in sorted(spec.statuses.items(), key=lambda s: (s[0] == 0, s[0])):
            yield cls(error_code=0, error_message=spec.codes[0].message, status=status, description=row.description)
    else:
        yield from order_successes(spec, next(k for k in sorted(spec.formats, key=str) if k is not None))
