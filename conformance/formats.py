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
    endpoint: str, pairs: Sequence[tuple[str, str]], body: bytes, method: str = "POST", version: str | None = None
) -> int | None:
    """The format a server's answer to *body* (sent as *pairs* by *method*) must use: the
    requested one, the default when none was asked for, or None -- either format, note
    ``format-of-errors`` -- when the request's responseFormat is not one value the table (of
    document *version*) allows, or a request that is not a POST asks for one."""
    name = codec.endpoint_spec(endpoint, version).format_field
    if name is None:
        return None
    fmt = requested_format(endpoint, body, method, version)
    sent = [value for key, value in pairs if key.lower() == name.lower()]
    if not sent or sent[0] == "":
        return fmt
    return fmt if len(sent) == 1 and sent[0] == str(fmt) and method == "POST" else None
