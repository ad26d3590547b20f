"""The response variants a decoding adapter is sent: every answer the tables allow, and malformed ones.

:func:`variants` makes every response the tables allow a client to receive -- both formats,
every code with its filled message, every status, the lenient variants the notes allow (CRLF,
no final newline, trailing blank lines, white space, errorMessage on success, the other
endpoint's texts, ...) -- and a few malformed bodies a decoder must refuse.  Each variant's
expected reading is the codec's lenient :func:`codec.decode_response` (or its refusal).
:class:`~conformance.client.adapter.Adapter` runs the adapter program and exchanges one JSON
line per variant; :func:`~conformance.client.adapter.compare` judges its answer.  The protocol
itself is documented in ``conformance/ADAPTER.md``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, Final

import attrs

import codec

__all__ = ["Variant", "expected_reading", "variants"]

AUTO: Final = codec.AUTO_APPLY_IDA
CLICK: Final = codec.UPDATE_USER_EV_CLICK_THROUGH

# order numbers and amounts that survive only exact decoding: 2**53 + 1 is not a double, and
# neither is an amount with 18 significant digits
ORDER_NUMBERS: Final = (1, 1234567, 9007199254740993)
AMOUNTS: Final = ("0", "12.50", "199", "1234567890123456.78")
FREE_TEXT: Final = "Order '1234567' was not found – Zürich & Söhne = 100% lost"


@attrs.frozen
class Variant:
    """One answer to send: its id (``endpoint/group/detail``), what it is, the note that allows
    it (None: the documents' letter), and whether a decoder must refuse it (``malformed``)."""

    id: str
    endpoint: str
    body: bytes
    content_type: str | None
    response_format: int | None
    about: str
    note: str | None = None
    malformed: bool = False

    def message(self, number: int) -> dict[str, Any]:
        """The protocol message for this variant, numbered *number*."""
        try:
            text: str | None = self.body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        return {
            "id": number,
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


def _argument(spec: codec.EndpointSpec, code: int) -> str | None:
    """What a code's placeholder names in the variants: a required variable, or country XX."""
    kind = spec.codes[code].placeholder_kind
    if kind == "country":
        return "XX"
    if kind == "argument":
        return next(f.name for f in reversed(spec.fields) if f.presence == "required")
    return None


def _encoded(
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


def _error(endpoint: str, code: int) -> Any:
    spec = codec.endpoint_spec(endpoint)
    response = codec.error_response(endpoint, code, _argument(spec, code))
    if spec.codes[code].free_text:
        response = attrs.evolve(response, error_message=FREE_TEXT)
    return response


def _successes(spec: codec.EndpointSpec, fmt: str) -> Iterator[Any]:
    hours = spec.formats[fmt].expected_delivery
    for i in range(max(len(AMOUNTS), len(hours))):
        yield codec.AutoApplyIdAResponse(
            error_code=0,
            order_number=ORDER_NUMBERS[i % len(ORDER_NUMBERS)],
            total_cost=Decimal(AMOUNTS[i % len(AMOUNTS)]),
            expected_delivery_time=hours[i % len(hours)],
        )


def _describe(response: Any) -> str:
    wire = codec.converter.unstructure(response)
    return ", ".join(f"{k}={v}" for k, v in wire.items())


def _auto_apply_ida() -> Iterator[Variant]:
    spec = codec.endpoint_spec(AUTO)
    positive = sorted((c for c in spec.codes if c > 0), reverse=True)
    negative = sorted((c for c in spec.codes if c < 0), reverse=True)
    for key in sorted(k for k in spec.formats if k is not None):
        fmt = int(key)
        for i, ok in enumerate(_successes(spec, key), 1):
            yield _encoded(f"{AUTO}/format-{fmt}/code-0/{i}", ok, fmt, _describe(ok))
        for code in positive:  # status 1: order fields as the newline format has them (note format1-status1)
            paid = codec.AutoApplyIdAResponse(
                error_code=code,
                error_message=codec.message_for(spec, code),
                order_number=ORDER_NUMBERS[1],
                total_cost=Decimal(AMOUNTS[1]),
                expected_delivery_time=1,
            )
            yield _encoded(
                f"{AUTO}/format-{fmt}/code-{code}",
                paid,
                fmt,
                _describe(paid),
                None if fmt == 0 else codec.NoteId.FORMAT1_STATUS1,
            )
            if fmt == 1:  # the letter: only errorCode and errorMessage
                bare = codec.AutoApplyIdAResponse(error_code=code, error_message=codec.message_for(spec, code))
                yield _encoded(f"{AUTO}/format-1/code-{code}/message-only", bare, 1, _describe(bare))
        for code in negative:
            err = _error(AUTO, code)
            yield _encoded(f"{AUTO}/format-{fmt}/code-{code}", err, fmt, _describe(err))
    success = next(_successes(spec, "0"))
    failure = _error(AUTO, -4)
    yield _encoded(
        f"{AUTO}/no-format-asked/code-0", success, 0, "no responseFormat sent: the newline format", requested=None
    )
    yield _encoded(
        f"{AUTO}/no-format-asked/code--4/urlencoded",
        failure,
        1,
        "an invalid responseFormat earned -4 in the URL-encoded format; the Content-Type says which",
        codec.NoteId.FORMAT_OF_ERRORS,
        requested=None,
    )
    yield from _format0_lenient(success, failure)
    yield from _format1_lenient(success)
    yield from _other_texts()


def _format0_lenient(success: Any, failure: Any) -> Iterator[Variant]:
    """Notes format0-line-ending, format0-padding and friends: bodies a lenient newline decoder must still read."""
    ending, padding = codec.NoteId.FORMAT0_LINE_ENDING, codec.NoteId.FORMAT0_PADDING
    changes: dict[str, tuple[Callable[[bytes], bytes], str, str]] = {
        "crlf": (lambda b: b.replace(b"\n", b"\r\n"), "CRLF line endings", ending),
        "no-final-newline": (lambda b: b[:-1], "no newline after the last line", ending),
        "blank-lines-at-end": (lambda b: b + b"\n\n", "two blank lines at the end", padding),
        "white-space": (
            lambda b: b"".join(b"  " + line.rstrip(b"\n") + b" \t\n" for line in b.splitlines(keepends=True)),
            "spaces and tabs around every value",
            padding,
        ),
    }
    for name, response in (("code-0", success), ("code--4", failure)):
        plain = codec.encode_response(response, response_format=0)
        for change, (fn, about, note) in changes.items():
            yield Variant(
                f"{AUTO}/format-0-lenient/{change}/{name}",
                AUTO,
                fn(plain.body),
                plain.content_type,
                0,
                f"{about}: {_describe(response)}",
                note,
            )
    yield Variant(
        f"{AUTO}/format-0/no-charset",
        AUTO,
        codec.encode_response(success, response_format=0).body,
        "text/plain",
        0,
        "Content-Type text/plain without a charset",
    )
    zero = attrs.evolve(success, expected_delivery_time=0)
    yield _encoded(
        f"{AUTO}/format-0-lenient/expected-delivery-0",
        zero,
        0,
        "expectedDeliveryTime 0 in the newline format",
        codec.NoteId.EXPECTED_DELIVERY_VALUES,
    )


def _pairs(response: Any) -> list[tuple[str, str]]:
    return list(codec.converter.unstructure(response).items())


def _format_numbers(endpoint: str) -> Sequence[int | None]:
    """The endpoint's response formats by number (``[None]``: it has only one)."""
    return sorted(int(k) for k in codec.endpoint_spec(endpoint).formats if k is not None) or [None]


def _form(vid: str, endpoint: str, pairs: list[tuple[str, str]], about: str, note: str | None = None) -> Variant:
    fmt = 1 if codec.endpoint_spec(endpoint).format_field else None  # the URL-encoded one
    return Variant(vid, endpoint, codec.encode_form(pairs), "application/x-www-form-urlencoded", fmt, about, note)


def _format1_lenient(success: Any) -> Iterator[Variant]:
    spec = codec.endpoint_spec(AUTO)
    pairs = _pairs(success)
    message = [("errorCode", "0"), ("errorMessage", spec.codes[0].message), *pairs[1:]]
    yield _form(
        f"{AUTO}/format-1-lenient/success-message",
        AUTO,
        message,
        "errorMessage=Successful with errorCode=0",
        codec.NoteId.FORMAT1_SUCCESS_MESSAGE,
    )
    yield _form(f"{AUTO}/format-1/reordered", AUTO, pairs[::-1], "parameters in reverse order")
    unknown = codec.encode_response(_error(AUTO, -14), response_format=1)
    yield Variant(
        f"{AUTO}/format-1/percent-20",
        AUTO,
        unknown.body.replace(b"+", b"%20"),
        "application/x-www-form-urlencoded; charset=utf-8",
        1,
        "spaces written %20 instead of +, and a charset parameter",
        codec.NoteId.FORM_ENCODING_DETAILS,
    )


def _other_texts() -> Iterator[Variant]:
    """Messages the notes allow besides the endpoint's own templates."""
    auto, click = codec.endpoint_spec(AUTO), codec.endpoint_spec(CLICK)
    texts = [
        (AUTO, -1, click.codes[-1].message, codec.NoteId.HTTPS_TEXT, "the -1 text with HTTPS in upper case"),
        (
            AUTO,
            -16,
            click.codes[-16].message,
            codec.NoteId.PERMISSION_DENIED_TEXT,
            "UpdateUserEvClickThrough's -16 text",
        ),
        (
            AUTO,
            -2,
            codec.message_for(click, -2, "colour"),
            codec.NoteId.UNRECOGNISED_ARGUMENT_TEXT,
            "a -2 naming the argument",
        ),
        (CLICK, -16, auto.codes[-16].message, codec.NoteId.PERMISSION_DENIED_TEXT, "AutoApplyIdA's -16 text"),
    ]
    for endpoint, code, message, note, about in texts:
        response = attrs.evolve(codec.error_response(endpoint, code), error_message=message)
        for fmt in _format_numbers(endpoint):
            where = f"format-{fmt}" if fmt is not None else "urlencoded"
            yield _encoded(f"{endpoint}/{where}-lenient/{note}", response, fmt, about, note)


def _click_through() -> Iterator[Variant]:
    spec = codec.endpoint_spec(CLICK)
    for status, row in sorted(spec.statuses.items()):
        ok = codec.UpdateUserEvClickThroughResponse(
            error_code=0, error_message=spec.codes[0].message, status=status, description=row.description
        )
        yield _encoded(f"{CLICK}/code-0/status-{status}", ok, None, _describe(ok))
    for code in sorted((c for c in spec.codes if c < 0), reverse=True):
        err = _error(CLICK, code)
        yield _encoded(f"{CLICK}/code-{code}", err, None, _describe(err))
    done = codec.UpdateUserEvClickThroughResponse(
        error_code=0, error_message=spec.codes[0].message, status=1, description=spec.statuses[1].description
    )
    yield _form(f"{CLICK}/reordered", CLICK, _pairs(done)[::-1], "parameters in reverse order")
    note = codec.NoteId.CLICK_THROUGH_RESPONSE_PRESENCE
    bare_ok = [(k, v) for k, v in _pairs(done) if k != "errorMessage"]
    yield _form(f"{CLICK}/lenient/success-without-message", CLICK, bare_ok, "errorCode=0 without errorMessage", note)
    bare_err = [(k, v) for k, v in _pairs(_error(CLICK, -20)) if k in {"errorCode", "errorMessage"}]
    yield _form(f"{CLICK}/lenient/error-without-status", CLICK, bare_err, "-20 without status and description", note)


def _malformed() -> Iterator[Variant]:
    """Bodies no reading of the tables can decode: a decoder must refuse them."""
    newline = "text/plain; charset=utf-8"
    form = "application/x-www-form-urlencoded"
    bodies = [
        (AUTO, 0, newline, "empty", b"", "an empty body"),
        (AUTO, 0, newline, "status-not-integer", b"OK\n", "a status line that is not an integer"),
        (AUTO, 0, newline, "missing-lines", b"0\n1234567\n", "errorCode=0 without totalCost and expectedDeliveryTime"),
        (AUTO, 0, newline, "order-number-not-integer", b"0\n12a\n12.50\n1\n", "an orderNumber that is not an integer"),
        (AUTO, 0, newline, "currency-sign", b"0\n1234567\n$12.50\n1\n", "an amount with a currency sign"),
        (AUTO, 0, newline, "not-utf-8", b"-4\nThe value is \xff\xfe invalid!\n", "a body that is not UTF-8"),
        (AUTO, 1, form, "no-error-code", b"errorMessage=Successful", "no errorCode"),
        (AUTO, 1, form, "error-code-not-integer", b"errorCode=zero", "an errorCode that is not an integer"),
        (
            AUTO,
            1,
            form,
            "no-order-number",
            b"errorCode=0&totalCost=12.50&expectedDeliveryTime=1",
            "errorCode=0 without orderNumber",
        ),
        (
            AUTO,
            1,
            form,
            "comma-amount",
            b"errorCode=0&orderNumber=1&totalCost=12%2C50&expectedDeliveryTime=1",
            "amount 12,50",
        ),
        (AUTO, 1, form, "bad-percent-escape", b"errorCode=-4&errorMessage=100%ZZ", "a bad percent escape"),
        (CLICK, None, form, "no-error-code", b"errorMessage=Successful&status=1", "no errorCode"),
        (
            CLICK,
            None,
            form,
            "status-not-integer",
            b"errorCode=0&errorMessage=Successful&status=one&description=x",
            "status 'one'",
        ),
    ]
    for endpoint, fmt, content_type, slug, body, about in bodies:
        where = f"format-{fmt}/" if fmt is not None else ""
        yield Variant(f"{endpoint}/malformed/{where}{slug}", endpoint, body, content_type, fmt, about, malformed=True)


def variants(endpoints: Iterable[str] | None = None) -> list[Variant]:
    """Every variant, for *endpoints* (any case; default both), in a stable order."""
    wanted = {codec.canonical_endpoint(e) for e in endpoints} if endpoints else set(codec.ENDPOINTS)
    everything = [*_auto_apply_ida(), *_click_through(), *_malformed()]
    order = sorted(codec.ENDPOINTS)
    everything.sort(key=lambda v: (order.index(v.endpoint), v.malformed))  # stable: the order made above
    return [v for v in everything if v.endpoint in wanted]
