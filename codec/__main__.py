"""``python -m codec``: encode and decode wire data, stdin -> stdout.

JSON uses the tables' wire names (the URL-encoded names for responses of either format),
integers as JSON numbers and amounts as decimal strings.  Invalid input exits 1 with a JSON object
on stdout: ``errorCode`` (the vendor code it earns, null if none), ``argument`` (when there is
one), ``rule`` and ``message``.  Secrets are never printed back: ``loginPassword`` and
``saspSessionID`` are shown as ``<redacted>`` by decode-request unless --show-secrets is given.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .convert import RESPONSE_CLASSES, converter_for
from .errors import SHOWN, CodecError, UnknownEndpoint, UnknownVersion, shown
from .models import REDACTED
from .request import decode_request, encode_request_fields, request_to_wire
from .response import decode_response, encode_response
from .tables import ENDPOINTS, VERSIONS, canonical_endpoint, endpoint_spec

EPILOG = """\
ENDPOINT is AutoApplyIdA or UpdateUserEvClickThrough, in any case.

examples:
  echo '{"loginName":"me","loginPassword":"pw","action":"ResendEmail","orderNumber":"12"}' \\
      | python -m codec encode-request UpdateUserEvClickThrough
  printf 'errorCode=0&orderNumber=12&totalCost=9.50&expectedDeliveryTime=1' \\
      | python -m codec decode-response AutoApplyIdA --format 1
  printf '%s\\n' -3 "The 'days' argument is missing!" | python -m codec decode-response autoapplyida
  echo '{"errorCode":0,"orderNumber":12,"totalCost":"9.50","expectedDeliveryTime":1}' \\
      | python -m codec encode-response AutoApplyIdA --format 0

exit status: 0 done, 1 invalid input (JSON error object on stdout), 2 bad command line.
"""


def _out(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, sort_keys=False) + "\n")


def _json_in(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"), parse_float=Decimal)
    # JSONDecodeError, over-long ints, deep nesting, a number beyond Decimal's exponent limits
    except (UnicodeDecodeError, ValueError, RecursionError, ArithmeticError) as exc:
        raise CodecError(f"input is not a JSON object: {exc}", rule="json") from None
    if not isinstance(data, dict):
        raise CodecError("input is not a JSON object", rule="json")
    return data


def _json_value(value: object) -> bool:
    """What encode-request takes as a variable's value: a string, integer, boolean, or a list of
    strings and integers (a comma list)."""
    if isinstance(value, list):
        return all(isinstance(v, str | int) and not isinstance(v, bool) for v in value)
    return isinstance(value, str | int)  # bool is an int


def _typed_json(wire: dict[str, str], types: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in wire.items():
        out[name] = int(value) if types.get(name) == "integer" else value
    return out


def encode_req(endpoint: str, raw: bytes, args: argparse.Namespace) -> int:
    data = _json_in(raw)
    bad = [k for k, v in data.items() if not _json_value(v)]
    if bad:
        raise CodecError(
            f"{shown(bad[0])}: values must be strings, integers, booleans or lists of strings and integers",
            field=bad[0],
            rule="json",
        )
    http = encode_request_fields(endpoint, data, strict=not args.lenient, version=args.version)
    sys.stdout.buffer.write(http.body + b"\n")
    return 0


def decode_req(endpoint: str, raw: bytes, args: argparse.Namespace) -> int:
    spec = endpoint_spec(endpoint, args.version)
    request = decode_request(endpoint, raw.rstrip(b"\r\n"), strict=not args.lenient, version=args.version)
    wire = request_to_wire(request, version=args.version)
    types = {f.name: ("integer" if f.type == "integer" else "string") for f in spec.fields}
    shown = _typed_json(wire, types)
    if not args.show_secrets:
        for f in spec.fields:
            if f.secret and f.name in shown:
                shown[f.name] = REDACTED
    _out(shown)
    return 0


def encode_resp(endpoint: str, raw: bytes, args: argparse.Namespace) -> int:
    spec = endpoint_spec(endpoint, args.version)
    data = _json_in(raw)
    known = {p.key: p.name for p in spec.params}
    wire: dict[str, str] = {}
    for key, value in data.items():
        name = known.get(key.lower())
        if name is None:
            raise CodecError(
                f"{shown(key)!r} is not a response parameter of {spec.name}", field=key, rule="unrecognised"
            )
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise CodecError(f"{name}: must be a string or a number", field=name, rule="json")
        wire[name] = str(value)
    try:
        response = converter_for(spec).structure(wire, RESPONSE_CLASSES[spec.name])
    except Exception as exc:  # cattrs wraps type errors in ClassValidationError / KeyError
        raise CodecError(f"not a {spec.name} response: {_first_error(exc)}", rule="type") from None
    encoded = encode_response(response, response_format=args.format, version=args.version)
    sys.stdout.buffer.write(encoded.body)
    return 0


def _first_error(exc: BaseException) -> str:
    inner = getattr(exc, "exceptions", None)
    if inner:
        return _first_error(inner[0])
    if isinstance(exc, KeyError):
        return f"{exc.args[0]} is missing"
    return str(exc)


def decode_resp(endpoint: str, raw: bytes, args: argparse.Namespace) -> int:
    spec = endpoint_spec(endpoint, args.version)
    response = decode_response(
        endpoint,
        raw,
        response_format=args.format,
        content_type=args.content_type,
        strict=args.strict,
        version=args.version,
    )
    wire: dict[str, str] = converter_for(spec).unstructure(response)
    types = {p.name: p.type for p in spec.params}
    out = _typed_json(wire, types)
    if response.deviations:
        out["deviations"] = [{"note": d.note, "message": d.message} for d in response.deviations]
    _out(out)
    return 0


COMMANDS = {
    "encode-request": (encode_req, "JSON object with wire names -> URL-encoded request body"),
    "decode-request": (decode_req, "request body -> JSON (judged as the server half would)"),
    "encode-response": (encode_resp, "JSON -> response body in --format"),
    "decode-response": (decode_resp, "response body -> JSON"),
}


def _prog(default: str) -> str:
    """The name this command was started as: ``comodo-codec`` (the console script) or *default*."""
    started_as = sys.argv[0].rsplit("/", 1)[-1] if sys.argv and sys.argv[0] else ""
    return started_as if started_as.startswith("comodo-") else default


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=_prog("python -m codec"),
        description="Encode and decode Comodo reseller API wire data (stdin -> stdout).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        p = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument("endpoint", metavar="ENDPOINT", help=" or ".join(sorted(ENDPOINTS)) + " (any case)")
        p.add_argument(
            "--version",
            help="bind to an older document version, e.g. 1.02: that document's table when it is kept in "
            "spec/sources, else the variables its history lists by then (later ones are unrecognised); "
            "known: " + "; ".join(f"{n} {', '.join(v)}" for n, v in sorted(VERSIONS.items())),
        )
        if name.endswith("request"):
            p.add_argument(
                "--lenient", action="store_true", help="judge by the notes' lenient readings instead of the strict ones"
            )
        if name == "decode-request":
            p.add_argument(
                "--show-secrets",
                action="store_true",
                help="print loginPassword and saspSessionID instead of <redacted>",
            )
        if name == "encode-response":
            p.add_argument(
                "--format", type=int, choices=[0, 1], default=0, help="AutoApplyIdA: 0 newline (default), 1 URL-encoded"
            )
        if name == "decode-response":
            p.add_argument(
                "--format",
                type=int,
                choices=[0, 1],
                help="the responseFormat the request asked for (default: from --content-type or the body)",
            )
            p.add_argument("--content-type", help="the response's Content-Type header, checked against the format")
            p.add_argument("--strict", action="store_true", help="fail on any deviation from the documents' letter")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        endpoint = canonical_endpoint(args.endpoint)
        endpoint_spec(endpoint, getattr(args, "version", None))
    except (UnknownEndpoint, UnknownVersion) as exc:
        print(f"python -m codec: {exc}", file=sys.stderr)
        return 2
    func = COMMANDS[args.command][0]
    try:
        return func(endpoint, sys.stdin.buffer.read(), args)
    except CodecError as exc:
        out = exc.to_dict()
        deviations = getattr(exc, "deviations", ())
        if deviations:
            out["deviations"] = [{"note": d.note, "message": d.message} for d in deviations]
        _out(_cut(out))
        return 1


_MESSAGE = 4 * SHOWN


def _cut(error: dict[str, Any]) -> dict[str, Any]:
    """An error object as printed: the input it echoes (an argument, a name) cut with a marker, so
    a 50 MB name is never printed back whole."""
    out = dict(error)
    for key in ("argument", "field"):
        if isinstance(out.get(key), str):
            out[key] = shown(out[key])
    if isinstance(out.get("message"), str):
        out["message"] = shown(out["message"], _MESSAGE)
    return out


if __name__ == "__main__":
    sys.exit(main())
