"""The response variants a decoding adapter is sent: made from the tables, over the whole space.

:func:`variants` is the deterministic set: every response the tables allow a client to receive
-- both formats, every code of each endpoint with its filled message, every status, every
delivery time -- and then the bodies that break naive decoders: every text position (a message's
argument, a free-text message) carrying each of :data:`SPECIALS` (``+``, ``%2B``, ``%26``,
``%3D``, ``%25``, ``;``, non-ASCII, an empty value); parameter names in other letter cases where
the response table says names are case-insensitive; parameters in other orders; the lenient
variants the notes allow, each naming its note (CRLF, no final newline, blank lines, white space,
errorMessage on success, the other endpoint's texts, ...); and bodies that break the letter or
cannot be read at all.  :mod:`conformance.client.generated` draws more from the same space with
Hypothesis (``--examples N --seed S``).

What each body says is :func:`conformance.client.grading.read_variant`'s (the codec's lenient
reading); :mod:`conformance.client.grading` judges an adapter's answer against it and
:class:`~conformance.client.adapter.Adapter` talks to the adapter.  The protocol is documented
in ``conformance/ADAPTER.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

import attrs

import codec

from .bodies import (
    AMOUNTS,
    AUTO,
    CLICK,
    ORDER_NUMBERS,
    PROTOCOL,
    SPECIALS,
    Variant,
    describe_answer,
    encoded_variant,
    error_answer,
    expected_reading,
    form_variant,
    format_numbers,
    order_successes,
    wire_pairs,
)
from .traps import malformed, name_cases, orders, special_characters

__all__ = ["PROTOCOL", "SPECIALS", "Variant", "expected_reading", "variants"]


# ---------------------------------------------------------------------- the variants


def _auto_apply_ida() -> Iterator[Variant]:
    spec = codec.endpoint_spec(AUTO)
    positive = sorted((c for c in spec.codes if c > 0), reverse=True)
    negative = sorted((c for c in spec.codes if c < 0), reverse=True)
    for key in sorted(k for k in spec.formats if k is not None):
        fmt = int(key)
        for i, ok in enumerate(order_successes(spec, key), 1):
            yield encoded_variant(f"{AUTO}/format-{fmt}/code-0/{i}", ok, fmt, describe_answer(ok))
        for code in positive:  # status 1: order fields as the newline format has them (note format1-status1)
            paid = codec.AutoApplyIdAResponse(
                error_code=code,
                error_message=codec.message_for(spec, code),
                order_number=ORDER_NUMBERS[1],
                total_cost=Decimal(AMOUNTS[1]),
                expected_delivery_time=1,
            )
            yield encoded_variant(
                f"{AUTO}/format-{fmt}/code-{code}",
                paid,
                fmt,
                describe_answer(paid),
                None if fmt == 0 else codec.NoteId.FORMAT1_STATUS1,
            )
            if fmt == 1:  # the letter: only errorCode and errorMessage
                bare = codec.AutoApplyIdAResponse(error_code=code, error_message=codec.message_for(spec, code))
                yield encoded_variant(f"{AUTO}/format-1/code-{code}/message-only", bare, 1, describe_answer(bare))
        for code in negative:
            err = error_answer(AUTO, code)
            yield encoded_variant(f"{AUTO}/format-{fmt}/code-{code}", err, fmt, describe_answer(err))
    success = next(order_successes(spec, "0"))
    failure = error_answer(AUTO, -4)
    yield encoded_variant(
        f"{AUTO}/no-format-asked/code-0", success, 0, "no responseFormat sent: the newline format", requested=None
    )
    yield encoded_variant(
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
                f"{about}: {describe_answer(response)}",
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
    yield encoded_variant(
        f"{AUTO}/format-0-lenient/expected-delivery-0",
        zero,
        0,
        "expectedDeliveryTime 0 in the newline format",
        codec.NoteId.EXPECTED_DELIVERY_VALUES,
    )


def _format1_lenient(success: Any) -> Iterator[Variant]:
    spec = codec.endpoint_spec(AUTO)
    pairs = wire_pairs(success)
    message = [("errorCode", "0"), ("errorMessage", spec.codes[0].message), *pairs[1:]]
    yield form_variant(
        f"{AUTO}/format-1-lenient/success-message",
        AUTO,
        message,
        "errorMessage=Successful with errorCode=0",
        codec.NoteId.FORMAT1_SUCCESS_MESSAGE,
    )
    unknown = codec.encode_response(error_answer(AUTO, -14), response_format=1)
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
        for fmt in format_numbers(endpoint):
            where = f"format-{fmt}" if fmt is not None else "urlencoded"
            yield encoded_variant(f"{endpoint}/{where}-lenient/{note}", response, fmt, about, note)


def _click_through() -> Iterator[Variant]:
    spec = codec.endpoint_spec(CLICK)
    for status, row in sorted(spec.statuses.items()):
        ok = codec.UpdateUserEvClickThroughResponse(
            error_code=0, error_message=spec.codes[0].message, status=status, description=row.description
        )
        yield encoded_variant(f"{CLICK}/code-0/status-{status}", ok, None, describe_answer(ok))
    for code in sorted((c for c in spec.codes if c < 0), reverse=True):
        err = error_answer(CLICK, code)
        yield encoded_variant(f"{CLICK}/code-{code}", err, None, describe_answer(err))
    done = codec.UpdateUserEvClickThroughResponse(
        error_code=0, error_message=spec.codes[0].message, status=1, description=spec.statuses[1].description
    )
    note = codec.NoteId.CLICK_THROUGH_RESPONSE_PRESENCE
    bare_ok = [(k, v) for k, v in wire_pairs(done) if k != "errorMessage"]
    yield form_variant(
        f"{CLICK}/lenient/success-without-message", CLICK, bare_ok, "errorCode=0 without errorMessage", note
    )
    bare_err = [(k, v) for k, v in wire_pairs(error_answer(CLICK, -20)) if k in {"errorCode", "errorMessage"}]
    yield form_variant(
        f"{CLICK}/lenient/error-without-status", CLICK, bare_err, "-20 without status and description", note
    )


def variants(endpoints: Iterable[str] | None = None) -> list[Variant]:
    """Every variant, for *endpoints* (any case; default both), in a stable order."""
    wanted = {codec.canonical_endpoint(e) for e in endpoints} if endpoints else set(codec.ENDPOINTS)
    everything = [
        *_auto_apply_ida(),
        *_click_through(),
        *special_characters(),
        *name_cases(),
        *orders(),
        *malformed(),
    ]
    order = sorted(codec.ENDPOINTS)
    everything.sort(key=lambda v: (order.index(v.endpoint), v.malformed))  # stable: the order made above
    return [v for v in everything if v.endpoint in wanted]
