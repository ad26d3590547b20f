"""The codec against the bare urllib floor and the pydantic / msgspec peers, on the same data.

One pytest-benchmark group per operation; each group times ``codec``, ``floor`` (bare
``urllib.parse.urlencode`` / ``parse_qsl`` / line splitting producing a dict of strings -- no
validation, no types), and the ``pydantic`` and ``msgspec`` peers (:mod:`bench_peers`, which pay
urllib for the wire).  Before timing, each implementation's output is checked: the same bytes for
encoders, the same values for decoders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import attrs
import pytest
from bench_data import REQUESTS, RESPONSES
from bench_peers import PEERS
from bench_results import IMPLEMENTATIONS, record

import codec


@attrs.frozen
class Op:
    name: str
    impls: dict[str, Callable[[], Any]]
    check: Callable[[str, Any], None]


def _request_ops(endpoint: str, request: Any) -> list[Op]:
    wire = codec.request_to_wire(request)
    body = codec.encode_request(request).body
    peers = {flavour: PEERS[(flavour, endpoint)] for flavour in ("pydantic", "msgspec")}

    def same_body(impl: str, out: Any) -> None:
        assert (out.body if impl == "codec" else out) == body, impl

    def same_values(impl: str, out: Any) -> None:
        if impl == "codec":
            assert out == request
        elif impl == "floor":
            assert out == wire
        else:
            assert {name: getattr(out, name) for name in wire} == wire

    return [
        Op(
            f"encode {endpoint} request",
            {
                "codec": lambda: codec.encode_request(request),
                "floor": lambda: urlencode(wire).encode("ascii"),
                "pydantic": lambda: peers["pydantic"].encode_request(wire),
                "msgspec": lambda: peers["msgspec"].encode_request(wire),
            },
            same_body,
        ),
        Op(
            f"encode {endpoint} request from a wire dict",
            {
                "codec": lambda: codec.encode_request_fields(endpoint, wire),
                "floor": lambda: urlencode(wire).encode("ascii"),
            },
            same_body,
        ),
        Op(
            f"decode {endpoint} request",
            {
                "codec": lambda: codec.decode_request(endpoint, body),
                "floor": lambda: dict(parse_qsl(body.decode("ascii"), keep_blank_values=True)),
                "pydantic": lambda: peers["pydantic"].decode_request(body),
                "msgspec": lambda: peers["msgspec"].decode_request(body),
            },
            same_values,
        ),
    ]


def _response_ops(label: str, endpoint: str, fmt: int | None, response: Any) -> list[Op]:
    spec = codec.ENDPOINTS[endpoint]
    encoded = codec.encode_response(response, response_format=fmt)
    body, content_type = encoded.body, encoded.content_type
    key = None if None in spec.formats else str(0 if fmt is None else fmt)
    wire = codec.converter.unstructure(response)
    typed = {p.name: getattr(response, p.attribute) for p in spec.params}
    peers = {flavour: PEERS[(flavour, endpoint)] for flavour in ("pydantic", "msgspec")}
    layout = spec.formats[key]
    if isinstance(layout, codec.NewlineFormat):
        negative, non_negative = layout.lines.code_negative, layout.lines.code_non_negative
        written = [wire[name] for name in (negative if response.error_code < 0 else non_negative)]

        def floor_decode() -> dict[str, str]:
            parts = body.decode("utf-8").split("\n")
            return dict(zip(negative if parts[0].startswith("-") else non_negative, parts, strict=False))

        def floor_encode() -> bytes:
            return ("\n".join(written) + "\n").encode("utf-8")

    else:

        def floor_decode() -> dict[str, str]:
            return dict(parse_qsl(body.decode("ascii"), keep_blank_values=True))

        def floor_encode() -> bytes:
            return urlencode(wire).encode("ascii")

    def same_body(impl: str, out: Any) -> None:
        assert (out.body if impl == "codec" else out) == body, impl

    def same_values(impl: str, out: Any) -> None:
        if impl == "codec":
            assert out == response and not out.deviations
        elif impl == "floor":
            assert {k: v for k, v in out.items() if v or k in wire} == wire
        else:
            assert {name: getattr(out, name) for name in typed} == typed

    return [
        Op(
            f"decode {label}",
            {
                "codec": lambda: codec.decode_response(endpoint, body, content_type=content_type, response_format=fmt),
                "floor": floor_decode,
                "pydantic": lambda: peers["pydantic"].decode_response(body, key),
                "msgspec": lambda: peers["msgspec"].decode_response(body, key),
            },
            same_values,
        ),
        Op(
            f"encode {label}",
            {
                "codec": lambda: codec.encode_response(response, response_format=fmt),
                "floor": floor_encode,
                "pydantic": lambda: peers["pydantic"].encode_response(typed, key),
                "msgspec": lambda: peers["msgspec"].encode_response(typed, key),
            },
            same_body,
        ),
    ]


OPS = [op for endpoint, request in REQUESTS.items() for op in _request_ops(endpoint, request)]
OPS += [op for label, endpoint, fmt, response in RESPONSES for op in _response_ops(label, endpoint, fmt, response)]


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("op", OPS, ids=[op.name.replace(" ", "-") for op in OPS])
def test_codec(benchmark: Any, op: Op, impl: str) -> None:
    function = op.impls.get(impl)
    if function is None:
        pytest.skip(f"no {impl} row for {op.name}")
    op.check(impl, function())  # same bytes, same values, before anything is timed
    benchmark.group = op.name
    benchmark.extra_info["implementation"] = impl
    benchmark(function)
    record(op.name, impl, benchmark)
