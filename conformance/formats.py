"""Which response format a request asks for: the codec's reading, for the server and the checks.

The codec decides it (:func:`codec.decode_request` carries the format to answer in, even when it
rejects the request: note ``format-of-errors``); the reference server answers in
:func:`requested_format`, and a check expects :func:`expected_format`.
"""

from __future__ import annotations

from collections.abc import Sequence

import codec

__all__ = ["default_format", "expected_format", "requested_format"]


def default_format(endpoint: str, version: str | None = None) -> int | None:
    """The format an answer gets when the request names none (None: the endpoint has one format),
    by the table of document *version* (default the newest)."""
    spec = codec.endpoint_spec(endpoint, version)
    name = spec.format_field
    if name is None:
        return None
    return int(spec.by_key[name.lower()].default or 0)


def requested_format(endpoint: str, body: bytes, method: str = "POST", version: str | None = None) -> int | None:
    """The format to answer a (possibly partial or malformed) request body in: the codec's
    reading -- its responseFormat when the table (of document *version*) allows the value, else the
    default; a non-POST request always gets the default (note format-of-errors).  None when the
    endpoint has one format."""
    if codec.endpoint_spec(endpoint, version).format_field is None:
        return None
    try:
        request = codec.decode_request(endpoint, body, method=method, scheme="https", strict=False, version=version)
    except codec.RequestRejected as exc:
        return exc.response_format
    except codec.CodecError:
        return default_format(endpoint, version)
    fmt = getattr(request, "response_format", None)
    return int(fmt) if fmt is not None else default_format(endpoint, version)


def expected_format(
    endpoint: str,
    pairs: Sequence[tuple[str, str]],
    body: bytes,
    method: str = "POST",
    version: str | None = None,
    *,
    encoded: bool = False,
) -> int | None:
    """The format a server's answer to *body* (sent as *pairs* by *method*) must use: the
    requested one, the default when none was asked for, or None -- either format, note
    ``format-of-errors`` -- when the request's responseFormat is not one value the table (of
    document *version*) allows, or a request that is not a POST asks for one.

    *encoded*: *body* is exactly *pairs* form-encoded, so a request with no pair of that name (in
    any case; the codec matches a name only when it lowers to it) asks for no format whatever
    else it holds: the default, without decoding the body."""
    name = codec.endpoint_spec(endpoint, version).format_field
    if name is None:
        return None
    key = name.lower()
    sent = [value for k, value in pairs if k.lower() == key]
    if encoded and not sent:
        return default_format(endpoint, version)
    fmt = requested_format(endpoint, body, method, version)
    if not sent or sent[0] == "":
        return fmt
    return fmt if len(sent) == 1 and sent[0] == str(fmt) and method == "POST" else None
