"""The reference decoding adapter: the codec's ``decode_response`` behind the JSON-lines protocol.

Run it as ``python -m conformance.adapters.codec_adapter``; check it (it passes) with::

    python -m conformance client --adapter -- python -m conformance.adapters.codec_adapter

It reads one JSON object per line on stdin (``id``, ``endpoint``, ``content_type``,
``response_format``, ``body``, ``body_base64``), decodes the body as a client would, and writes
one JSON object per line on stdout: ``id`` and the decoded parameters under their URL-encoded
(format 1) wire names -- integers as JSON integers, ``totalCost`` as the decimal string exactly
as written -- or ``id`` and ``error`` when the body cannot be read.  It exits at the end of stdin.
Copy its shape for an adapter around your own decoder (see ``conformance/ADAPTER.md``).
"""

from __future__ import annotations

import base64
import json
import sys
from typing import IO, Any

import codec

__all__ = ["answer", "main", "typed_wire"]


def _body(message: dict[str, Any]) -> bytes:
    """The exact body bytes: ``body_base64`` when given, else ``body`` as UTF-8."""
    if message.get("body_base64") is not None:
        return base64.b64decode(message["body_base64"], validate=True)
    return str(message.get("body") or "").encode("utf-8")


def answer(message: dict[str, Any]) -> dict[str, Any]:
    """The protocol answer to one kit message: the decoded parameters, or ``error``."""
    out: dict[str, Any] = {"id": message.get("id")}
    try:
        endpoint = str(message["endpoint"])
        response = codec.decode_response(
            endpoint,
            _body(message),
            content_type=message.get("content_type"),
            response_format=message.get("response_format"),
        )
    except (codec.CodecError, KeyError, ValueError, TypeError) as exc:  # CodecError: the body; the rest: the message
        out["error"] = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        return out
    out.update(typed_wire(response))
    return out


def typed_wire(response: Any) -> dict[str, Any]:
    """A decoded response as the protocol reports it: wire names, integers as ints, the rest text."""
    types = {p.name: p.type for p in codec.endpoint_spec(response.ENDPOINT).params}
    wire: dict[str, str] = codec.converter.unstructure(response)
    return {name: int(text) if types.get(name) == "integer" else text for name, text in wire.items()}


def main(stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> int:
    """Answer every line of *stdin* (default ``sys.stdin``) on *stdout* until end of input."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    for line in stdin:
        if not line.strip():
            continue
        try:
            message = json.loads(line)
            if not isinstance(message, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            reply: dict[str, Any] = {"id": None, "error": f"not a protocol message: {exc}"}
        else:
            reply = answer(message)
        stdout.write(json.dumps(reply, ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
