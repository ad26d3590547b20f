"""Response variants drawn by Hypothesis from the tables: ``client --adapter --examples N --seed S``.

:func:`response_variants` is a public, composable strategy of :class:`~conformance.client.variants.Variant`
s over the whole space the tables allow an endpoint's answers: any code of its table (its message
filled with an argument of any text, a free-text message of any text), any status, order numbers
up to 2**63 - 1, amounts with up to 18 digits, every delivery time of the format; both formats;
the URL-encoded parameters in any order and, where the response table says names are
case-insensitive, any letter case; and the lenient forms the notes allow (line endings, blank
lines and white space in the newline format, ``%20`` for spaces).  Text is drawn with the
characters of :data:`~conformance.client.variants.SPECIALS` over-represented.  Each variant names
the note it exercises, if any (the codec's reading decides).

Use it in your own tests, e.g. to check a decoder in-process::

    @given(response_variants("AutoApplyIdA"))
    def test_my_decoder(variant): ...
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

import attrs
from hypothesis import strategies as st

import codec

from .bodies import SPECIALS, Variant

__all__ = ["response_variants"]

_SPECIAL_TEXT: Final = [t for _, t, _ in SPECIALS if t] + [" ", "&", "=", "%", "'", '"', "\t", "#", "?"]
_TEXT: Final = st.lists(
    st.sampled_from(_SPECIAL_TEXT)
    | st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"))
    | st.sampled_from(list("abcXYZ019")),
    max_size=12,
).map("".join)
_SPELLINGS: Final = (str, str.upper, str.lower, lambda n: n[:1].upper() + n[1:])


def _amounts() -> st.SearchStrategy[Decimal]:
    whole = st.integers(min_value=0, max_value=10**16 - 1)
    return st.builds(lambda w, c, p: Decimal(w) + Decimal(c).scaleb(-p), whole, st.integers(0, 99), st.integers(1, 2))


@st.composite
def _response(draw: st.DrawFn, spec: codec.EndpointSpec, fmt: int | None) -> Any:
    code = draw(st.sampled_from(sorted(spec.codes)), label="errorCode")
    entry = spec.codes[code]
    cls: Any = codec.RESPONSE_CLASSES[spec.name]
    if code < 0:
        argument = draw(_TEXT, label="argument") if entry.placeholder_kind else None
        if entry.placeholder_kind == "country":
            argument = (argument or "XX")[:2]
        response = codec.error_response(spec.name, code, argument)
        if entry.free_text:
            response = attrs.evolve(response, error_message=draw(_TEXT, label="message"))
        return response
    if spec.statuses:
        status = draw(st.sampled_from(sorted(spec.statuses)), label="status")
        return cls(
            error_code=code, error_message=entry.message, status=status, description=spec.statuses[status].description
        )
    hours = spec.formats[str(fmt if fmt is not None else 0)].expected_delivery
    return cls(
        error_code=code,
        error_message=entry.message if code > 0 else None,
        order_number=draw(st.integers(min_value=1, max_value=2**63 - 1), label="orderNumber"),
        total_cost=draw(_amounts(), label="totalCost"),
        expected_delivery_time=draw(st.sampled_from(hours), label="expectedDeliveryTime"),
    )


@st.composite
def _urlencoded(draw: st.DrawFn, spec: codec.EndpointSpec, body: bytes) -> tuple[bytes, list[str]]:
    pairs = draw(st.permutations(codec.decode_form(body)), label="order")
    changes = []
    if spec.response_names_case_insensitive:
        spelled = [(draw(st.sampled_from(_SPELLINGS), label="spelling")(k), v) for k, v in pairs]
        if spelled != pairs:
            changes.append("names in another case")
        pairs = spelled
    out = codec.encode_form(pairs)
    if b"+" in out and draw(st.booleans(), label="%20"):
        out = out.replace(b"+", b"%20")
        changes.append("spaces as %20")
    return out, changes


@st.composite
def _newline(draw: st.DrawFn, body: bytes) -> tuple[bytes, list[str]]:
    changes = []
    if draw(st.booleans(), label="CRLF"):
        body = body.replace(b"\n", b"\r\n")
        changes.append("CRLF")
    if draw(st.booleans(), label="no final newline"):
        body = body.rstrip(b"\r\n")
        changes.append("no final newline")
    elif draw(st.booleans(), label="blank lines"):
        body += b"\n\n"
        changes.append("blank lines at the end")
    return body, changes


@st.composite
def response_variants(draw: st.DrawFn, endpoint: str) -> Variant:
    """One variant of *endpoint*'s answers, anywhere in the space the tables allow (see the module)."""
    spec = codec.endpoint_spec(endpoint)
    formats: list[int | None] = [*sorted(int(k) for k in spec.formats if k is not None)] or [None]
    fmt = draw(st.sampled_from(formats), label="responseFormat")
    response = draw(_response(spec, fmt))
    encoded = codec.encode_response(response, response_format=fmt)
    if isinstance(spec.formats.get(None if fmt is None else str(fmt)), codec.NewlineFormat):
        body, changes = draw(_newline(encoded.body))
    else:
        body, changes = draw(_urlencoded(spec, encoded.body))
    requested = fmt if fmt is None or draw(st.booleans(), label="responseFormat sent") else None
    wire = ", ".join(f"{k}={v}" for k, v in codec.converter.unstructure(response).items())
    about = f"format {fmt}: {wire}" + (f" ({'; '.join(changes)})" if changes else "")
    variant = Variant(f"{spec.name}/generated", spec.name, body, encoded.content_type, requested, about)
    try:
        reading = codec.decode_response(spec.name, body, content_type=encoded.content_type, response_format=requested)
    except codec.ResponseInvalid:  # the encoder writes only what the tables allow: a kit bug if it lands here
        return attrs.evolve(variant, malformed=True)
    note = next((d.note for d in reading.deviations if d.note in spec.notes), None)
    return attrs.evolve(variant, note=note)
