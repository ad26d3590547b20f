"""The bodies that break naive decoders, made from the tables (part of :func:`conformance.client.variants.variants`).

* :func:`special_characters` -- every text position of every format (a message's argument, a
  free-text message) carrying each of :data:`~conformance.client.bodies.SPECIALS`: ``+``,
  ``%2B``, ``%26``, ``%3D``, ``%25``, ``;``, non-ASCII and an empty value;
* :func:`name_cases` -- parameter names in other letter cases, for the endpoints whose response
  table says names are case-insensitive (``responses.names_case_insensitive``);
* :func:`orders` -- every URL-encoded answer's parameters reversed and shuffled;
* :func:`malformed` -- bodies no reading of the tables can decode.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import attrs

import codec

from .bodies import (
    AUTO,
    CLICK,
    SPECIALS,
    Variant,
    describe_answer,
    encoded_variant,
    error_answer,
    form_variant,
    format_numbers,
    successes_of,
    wire_pairs,
)

__all__ = ["malformed", "name_cases", "orders", "special_characters"]


def text_codes(spec: codec.EndpointSpec) -> list[tuple[int, bool]]:
    """The codes whose message carries text of a request's or the vendor's: (code, free text) for
    the argument template that names it last (-4) and each free-text code."""
    argument = [c for c in spec.codes if spec.codes[c].placeholder_kind == "argument"]
    chosen = [(max(argument, key=abs), False)] if argument else []
    return chosen + [(c, True) for c in sorted(spec.codes, reverse=True) if spec.codes[c].free_text]


def special_characters() -> Iterator[Variant]:
    """Every text position of every format carrying each of :data:`SPECIALS`."""
    for endpoint in codec.ENDPOINTS:
        spec = codec.endpoint_spec(endpoint)
        for fmt in format_numbers(endpoint):
            where = f"format-{fmt}" if fmt is not None else "urlencoded"
            for code, free in text_codes(spec):
                for slug, text, why in SPECIALS:
                    response = codec.error_response(endpoint, code, f"a{text}b" if text else "")
                    if free:
                        message = f"Order 'a{text}b' was not found" if text else ""
                        response = attrs.evolve(response, error_message=message)
                    vid = f"{endpoint}/{where}/characters/{slug}/code-{code}"
                    yield encoded_variant(vid, response, fmt, f"{why}: {describe_answer(response)}")
    # an empty message where the template has none: the letter is broken, but a decoder must not stumble
    empty = attrs.evolve(error_answer(AUTO, -14), error_message="")
    for fmt in format_numbers(AUTO):
        vid = f"{AUTO}/format-{fmt}/characters/empty-message/code--14"
        variant = encoded_variant(vid, empty, fmt, "-14 with an empty errorMessage (its template has text)")
        yield attrs.evolve(variant, off_letter=True)


def name_cases() -> Iterator[Variant]:
    """Parameter names in other letter cases, for the endpoints whose response table says names
    are case-insensitive (``responses.names_case_insensitive``)."""
    spellings: dict[str, Callable[[str], str]] = {
        "upper": str.upper,
        "lower": str.lower,
        "capitalised": lambda n: n[:1].upper() + n[1:],
    }
    for endpoint in codec.ENDPOINTS:
        spec = codec.endpoint_spec(endpoint)
        if not spec.response_names_case_insensitive:
            continue
        answers = [("code-0", next(successes_of(spec))), ("code--4", error_answer(endpoint, -4))]
        for name, response in answers:
            for spelling, spell in spellings.items():
                pairs = [(spell(k), v) for k, v in wire_pairs(response)]
                yield form_variant(
                    f"{endpoint}/names/{spelling}/{name}",
                    endpoint,
                    pairs,
                    f"names spelled {spelling} (the response table: 'case insensitive'): "
                    + "&".join(k for k, _ in pairs),
                )


def orders() -> Iterator[Variant]:
    """Every URL-encoded answer's parameters in other orders: reversed, and two shuffles."""
    for endpoint in codec.ENDPOINTS:
        spec = codec.endpoint_spec(endpoint)
        answers = [("code-0", next(successes_of(spec))), ("code--4", error_answer(endpoint, -4))]
        for name, response in answers:
            pairs = wire_pairs(response)
            reorderings = {"reversed": pairs[::-1]}
            for n in (1, 2):
                shuffled = list(pairs)
                random.Random(f"{endpoint}/{name}/{n}").shuffle(shuffled)
                reorderings[f"shuffled-{n}"] = shuffled
            sent = [pairs]
            for order, reordered in reorderings.items():
                if reordered in sent:  # no order twice, nor the encoder's own
                    continue
                sent.append(reordered)
                about = "parameters in the order " + ", ".join(k for k, _ in reordered)
                yield form_variant(f"{endpoint}/order/{order}/{name}", endpoint, reordered, about)


def malformed() -> Iterator[Variant]:
    """Bodies no reading of the tables can decode: a decoder may refuse them, and must invent nothing
    if it reads them anyway (see :mod:`conformance.client.grading`)."""
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
