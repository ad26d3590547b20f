"""Fuzz targets: one plain function per decoder, ``fuzz_<name>(data: bytes) -> None``.

Each target feeds *data* to one decoder and asserts that nothing but the codec's own error for that
decoder escapes, and that what decodes keeps the codec's promises (a decoded request re-encodes
and decodes to the same value; an answer to a rejected request decodes strictly to its code; a
decoded response's ``error_code`` is an int and re-encodes to the same response...).  Any other
exception or a failed assertion is a crash.

The first byte of *data* is an options byte (strict or lenient, document version, method, scheme,
content type, CLI command...; each target says which bits it reads), the rest is the input.  The
targets are engine-neutral: Hypothesis drives them in ``tests/codec/test_fuzz.py`` and
``python -m tests.fuzz``, atheris (libFuzzer) in ``python -m tests.fuzz --engine atheris``.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Callable
from typing import Final

import attrs

import codec
from codec import (
    AUTO_APPLY_IDA,
    ENDPOINTS,
    REQUEST_CLASSES,
    RESPONSE_CLASSES,
    UPDATE_USER_EV_CLICK_THROUGH,
    Deviation,
    FormError,
    RequestInvalid,
    RequestRejected,
    ResponseEncodeError,
    ResponseInvalid,
)
from codec.messages import clean_message
from codec.response import response_format_of

from . import corpus

__all__ = ["SEEDS", "TARGETS", "Target"]

Target = Callable[[bytes], None]

_ECHO: Final = 64  # how much of an argument a vendor message repeats (codec.messages._MAX_ECHO)
_CONTENT_TYPES: Final = (
    None,
    "text/plain; charset=utf-8",
    "application/x-www-form-urlencoded",
    "text/html",
    "",
    ";;",
    "TEXT/PLAIN",
    "application/x-www-form-urlencoded; charset=utf-8",
)


def _split(data: bytes) -> tuple[int, bytes]:
    return (data[0], data[1:]) if data else (0, b"")


def _format_ints(endpoint: str) -> set[int | None]:
    return {None if key is None else int(key) for key in ENDPOINTS[endpoint].formats}


def _check_answer(endpoint: str, code: int, argument: str | None, response_format: int | None) -> None:
    """The vendor answer for *code* naming *argument* encodes, and decodes strictly to the same code
    and argument (as far as a message repeats it: 64 characters, CR/LF as spaces)."""
    spec = ENDPOINTS[endpoint]
    fmt = None if None in spec.formats else response_format
    encoded = codec.encode_response(codec.error_response(endpoint, code, argument), response_format=fmt)
    assert encoded.status == 200
    back = codec.decode_response(
        endpoint, encoded.body, content_type=encoded.content_type, response_format=fmt, strict=True
    )
    assert back.error_code == code and back.deviations == ()
    detail = codec.error_detail(back)
    assert detail is not None and detail.matches_template
    if spec.codes[code].placeholder_kind == "argument":
        assert detail.argument == clean_message((argument or "")[:_ECHO]), (detail, argument)


# ---------------------------------------------------------------------- decode_request


def _request_target(endpoint: str) -> Target:
    spec = ENDPOINTS[endpoint]
    versions = (None, *spec.versions)
    formats = _format_ints(endpoint) | {0}

    def target(data: bytes) -> None:
        """Options: bit 0 lenient, bits 1-3 document version (0 = newest), bits 4-5 both set = GET,
        bits 6-7 both set = plain http."""
        opts, body = _split(data)
        strict = not opts & 1
        version = versions[((opts >> 1) & 7) % len(versions)]
        method = "GET" if opts & 0x30 == 0x30 else "POST"
        scheme = "http" if opts & 0xC0 == 0xC0 else "https"
        try:
            request = codec.decode_request(endpoint, body, method=method, scheme=scheme, strict=strict, version=version)
        except RequestRejected as exc:
            assert exc.code in spec.codes, exc
            assert exc.response_format in formats, exc
            assert exc.argument is None or isinstance(exc.argument, str)
            if method == "GET":
                assert exc.code == -17 and exc.response_format == 0, exc
            elif scheme == "http":
                assert exc.code == -1, exc
            # what the server answers must be a well-formed vendor answer naming the same argument
            _check_answer(endpoint, exc.code, exc.argument, exc.response_format)
            return
        assert (method, scheme) == ("POST", "https")
        assert type(request) is REQUEST_CLASSES[endpoint]
        # what the server half accepted, the client half sends again, to the same request
        try:
            again = codec.encode_request(request, strict=strict, version=version)
        except RequestInvalid as exc:  # pragma: no cover - a crash: the halves disagree
            raise AssertionError(f"decoded {request!r} but the encoder refuses it: {exc}") from exc
        assert codec.decode_request(endpoint, again.body, strict=strict, version=version) == request

    target.__name__ = target.__qualname__ = f"fuzz_decode_request_{endpoint}"
    target.__doc__ = f"codec.decode_request for {endpoint}.\n\n    {target.__doc__}"
    return target


fuzz_decode_request_AutoApplyIdA = _request_target(AUTO_APPLY_IDA)
fuzz_decode_request_UpdateUserEvClickThrough = _request_target(UPDATE_USER_EV_CLICK_THROUGH)


# ---------------------------------------------------------------------- decode_response


def _response_target(endpoint: str, response_format: int | None, suffix: str) -> Target:
    spec = ENDPOINTS[endpoint]
    cls = RESPONSE_CLASSES[endpoint]

    def target(data: bytes) -> None:
        """Options: bit 0 strict, bits 1-3 the Content-Type header (0 = none)."""
        opts, body = _split(data)
        strict = bool(opts & 1)
        content_type = _CONTENT_TYPES[(opts >> 1) & 7]
        try:
            response = codec.decode_response(
                endpoint, body, content_type=content_type, response_format=response_format, strict=strict
            )
        except ResponseInvalid as exc:
            assert exc.code is None and exc.rule, repr(exc)
            assert all(isinstance(d, Deviation) for d in exc.deviations)
            if exc.rule == "strict":
                assert strict and exc.deviations, repr(exc)
            return
        assert type(response) is cls
        assert type(response.error_code) is int
        assert all(isinstance(d, Deviation) and d.note and d.message for d in response.deviations)
        if strict:
            assert response.deviations == ()
        detail = codec.error_detail(response)
        assert (detail is None) == (response.error_code >= 0)
        if detail is not None:
            assert detail.code == response.error_code
            assert detail == codec.parse_message(spec, response.error_code, response.error_message)
        # re-encoded in the format it was read in, it decodes to the same response
        key = response_format_of(spec, body, content_type, response_format)
        fmt = None if key is None else int(key)
        try:
            encoded = codec.encode_response(response, response_format=fmt)
        except ResponseEncodeError:  # a code outside the table, or lines the newline format needs
            return
        again = codec.decode_response(endpoint, encoded.body, content_type=encoded.content_type, response_format=fmt)
        message = None if response.error_message is None else clean_message(response.error_message)
        if fmt == 0:  # an empty last line of the newline format and a missing one are the same bytes
            assert (again.error_message or None) == (message or None), (again.error_message, message)
        else:
            assert again.error_message == message, (again.error_message, message)
        assert again == attrs.evolve(response, error_message=again.error_message)

    target.__name__ = target.__qualname__ = f"fuzz_decode_response_{endpoint}_{suffix}"
    asked = "the format guessed" if response_format is None else f"responseFormat={response_format} asked for"
    target.__doc__ = f"codec.decode_response for {endpoint}, {asked}.\n\n    {target.__doc__}"
    return target


fuzz_decode_response_AutoApplyIdA_auto = _response_target(AUTO_APPLY_IDA, None, "auto")
fuzz_decode_response_AutoApplyIdA_0 = _response_target(AUTO_APPLY_IDA, 0, "0")
fuzz_decode_response_AutoApplyIdA_1 = _response_target(AUTO_APPLY_IDA, 1, "1")
fuzz_decode_response_UpdateUserEvClickThrough = _response_target(UPDATE_USER_EV_CLICK_THROUGH, None, "auto")


# ---------------------------------------------------------------------- messages


_CODES: Final = {name: (*sorted(spec.codes), 2, 99, -99) for name, spec in ENDPOINTS.items()}


def fuzz_parse_message(data: bytes) -> None:
    """codec.parse_message, error_detail and message_for, both ways.

    Options: bit 0 the endpoint, bits 1-7 the code (every code of the table, then three it lacks).  The rest, read as UTF-8 with
    replacements, is both a message to parse and an argument to fill a template with."""
    opts, raw = _split(data)
    endpoint = tuple(ENDPOINTS)[opts & 1]
    spec = ENDPOINTS[endpoint]
    codes = _CODES[endpoint]
    code = codes[(opts >> 1) % len(codes)]
    text = raw.decode("utf-8", "replace")
    detail = codec.parse_message(spec, code, text)
    assert (detail.code, detail.message) == (code, text)
    assert detail.argument is None or detail.country is None
    if detail.argument is not None or detail.country is not None:
        assert detail.matches_template
    response = RESPONSE_CLASSES[endpoint](error_code=code, error_message=text)
    found = codec.error_detail(response)
    assert found is None if code >= 0 else found == detail
    message = codec.message_for(spec, code, text)
    if code not in spec.codes:
        assert message is None and not detail.matches_template
        return
    assert message is not None and "\r" not in message and "\n" not in message
    back = codec.parse_message(spec, code, message)
    assert back.matches_template, (message, back)
    echoed = clean_message(text[:_ECHO])
    kind = spec.codes[code].placeholder_kind
    assert back.argument == (echoed if kind == "argument" else None)
    assert back.country == (echoed if kind == "country" else None)


# ---------------------------------------------------------------------- forms


class _Bad(Exception):
    def __init__(self, index: int, name: str | None) -> None:
        super().__init__(index, name)
        self.index, self.name = index, name


_HEX: Final = frozenset(b"0123456789abcdefABCDEF")


def _reference_unquote(raw: bytes, index: int, name: str | None) -> str:
    raw = raw.replace(b"+", b" ")
    out = bytearray()
    i = 0
    while i < len(raw):
        if raw[i] == 0x25:  # %
            pair = raw[i + 1 : i + 3]
            if len(pair) != 2 or not _HEX.issuperset(pair):
                raise _Bad(index, name)
            out.append(int(pair, 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise _Bad(index, name) from None


def reference_decode_form(body: bytes) -> list[tuple[str, str]]:
    """``decode_form`` as its docstring reads, written the slow and obvious way (for differential
    fuzzing of the codec's fast paths).  Raises ``_Bad(index, name)`` where FormError is due."""
    pairs = []
    for index, piece in [(i, p) for i, p in enumerate(body.split(b"&")) if p]:
        raw_name, raw_value = [*piece.split(b"=", 1), b""][:2]
        name = _reference_unquote(raw_name, index, None)
        pairs.append((name, _reference_unquote(raw_value, index, name)))
    return pairs


def fuzz_decode_form(data: bytes) -> None:
    """codec.decode_form, differentially against a slow reference decoder.

    The same pairs, or FormError for the same pair; what decodes re-encodes and decodes to the same
    pairs.  No options: the options byte is part of the body."""
    try:
        expected: list[tuple[str, str]] | _Bad = reference_decode_form(data)
    except _Bad as bad:
        expected = bad
    try:
        pairs = codec.decode_form(data)
    except FormError as exc:
        assert isinstance(expected, _Bad), (exc, expected)
        assert (exc.index, exc.name) == (expected.index, expected.name), (exc, expected.index, expected.name)
        assert exc.reason
        return
    assert pairs == expected
    encoded = codec.encode_form(pairs)
    assert encoded.isascii()
    assert codec.decode_form(encoded) == pairs


# ---------------------------------------------------------------------- the server's readers of partial bodies


def fuzz_partial_body(data: bytes) -> None:
    """The reference server's readers of bodies it will not decode whole (formats.requested_format, oversized_answer).

    A body is cut at the size limit, or arrives too slowly.  Options: bit 0 the endpoint, bit 1 GET, bit 2 plain http, bits 3-7 where the limit falls."""
    from conformance.formats import requested_format
    from conformance.reference.answers import oversized_answer

    opts, body = _split(data)
    endpoint = tuple(ENDPOINTS)[opts & 1]
    method = "GET" if opts & 2 else "POST"
    scheme = "http" if opts & 4 else "https"
    fmt = requested_format(endpoint, body, method)
    assert fmt in _format_ints(endpoint) | {0}
    if not body:
        return
    limit = (opts >> 3) * len(body) // 32  # below len(body): at least one byte over
    answer = oversized_answer(endpoint, body, limit, method=method, scheme=scheme)
    code = answer.response.error_code
    assert code == (-17 if method == "GET" else -1 if scheme == "http" else code) and code in (-17, -1, -2, -4)
    _check_answer(
        endpoint, code, getattr(codec.error_detail(answer.response), "argument", None), answer.response_format
    )


# ---------------------------------------------------------------------- python -m codec


_COMMANDS: Final = ("encode-request", "decode-request", "encode-response", "decode-response")


def fuzz_cli(data: bytes) -> None:
    """``python -m codec`` in-process, *data* on stdin.

    Options: bits 0-1 the command, bit 2 the
    endpoint, bit 3 --lenient / --strict, bit 4 --version (the oldest), bits 5-6 --format
    (none, 0, 1).  Exit 0 or 1 with a JSON object (or a body) on stdout; nothing escapes."""
    from codec.__main__ import main

    opts, raw = _split(data)
    command = _COMMANDS[opts & 3]
    endpoint = tuple(ENDPOINTS)[(opts >> 2) & 1]
    argv = [command, endpoint]
    if command.endswith("request"):
        argv += ["--lenient"] if opts & 8 else []
        argv += ["--version", ENDPOINTS[endpoint].versions[0]] if opts & 16 else []
    else:
        fmt = (opts >> 5) & 3
        argv += ["--format", str(fmt - 1)] if fmt in (1, 2) else []
        argv += ["--strict"] if command == "decode-response" and opts & 8 else []
    stdin = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8")
    out = io.BytesIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    saved = sys.stdin, sys.stdout
    sys.stdin, sys.stdout = stdin, stdout
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            status = main(argv)
    finally:
        sys.stdin, sys.stdout = saved
    written = out.getvalue()
    assert status in (0, 1), status
    if status == 1 or command.startswith("decode"):
        shown = json.loads(written)
        assert isinstance(shown, dict)
        if status == 1:
            assert {"errorCode", "rule", "message"} <= shown.keys(), shown
    else:
        assert written, "an encode command printed nothing"


# ---------------------------------------------------------------------- the registry


TARGETS: Final[dict[str, Target]] = {
    "decode_request_AutoApplyIdA": fuzz_decode_request_AutoApplyIdA,
    "decode_request_UpdateUserEvClickThrough": fuzz_decode_request_UpdateUserEvClickThrough,
    "decode_response_AutoApplyIdA_auto": fuzz_decode_response_AutoApplyIdA_auto,
    "decode_response_AutoApplyIdA_0": fuzz_decode_response_AutoApplyIdA_0,
    "decode_response_AutoApplyIdA_1": fuzz_decode_response_AutoApplyIdA_1,
    "decode_response_UpdateUserEvClickThrough": fuzz_decode_response_UpdateUserEvClickThrough,
    "parse_message": fuzz_parse_message,
    "decode_form": fuzz_decode_form,
    "partial_body": fuzz_partial_body,
    "cli": fuzz_cli,
}

SEEDS: Final[dict[str, Callable[[], tuple[bytes, ...]]]] = {
    "decode_request_AutoApplyIdA": lambda: corpus.request_seeds(AUTO_APPLY_IDA),
    "decode_request_UpdateUserEvClickThrough": lambda: corpus.request_seeds(UPDATE_USER_EV_CLICK_THROUGH),
    "decode_response_AutoApplyIdA_auto": lambda: corpus.response_seeds(AUTO_APPLY_IDA, None),
    "decode_response_AutoApplyIdA_0": lambda: corpus.response_seeds(AUTO_APPLY_IDA, 0),
    "decode_response_AutoApplyIdA_1": lambda: corpus.response_seeds(AUTO_APPLY_IDA, 1),
    "decode_response_UpdateUserEvClickThrough": lambda: corpus.response_seeds(UPDATE_USER_EV_CLICK_THROUGH, None),
    "parse_message": corpus.message_seeds,
    "decode_form": corpus.form_seeds,
    "partial_body": corpus.form_seeds,
    "cli": corpus.cli_seeds,
}
