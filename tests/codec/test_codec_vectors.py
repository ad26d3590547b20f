"""The codec against every portable test vector (``conformance/vectors/``): what the vectors tell
other languages is what the codec does."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

import codec

VECTORS = Path(__file__).resolve().parents[2] / "conformance" / "vectors"


def _load(name: str) -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads((VECTORS / name).read_text(encoding="utf-8"))["vectors"]
    return vectors


REQUESTS = _load("requests.json")
RESPONSES = _load("responses.json")


def _judged(vector: dict[str, Any], body: bytes, strict: bool, expect: dict[str, Any]) -> None:
    transport = {"method": vector["method"], "scheme": vector["scheme"], "content_type": vector["content_type"]}
    if expect["accepted"]:
        request = codec.decode_request(vector["endpoint"], body, strict=strict, **transport)
        assert codec.request_to_wire(request) == expect["decoded"]
        assert codec.request_faults(vector["endpoint"], body, strict=strict, **transport) == ()
        return
    with pytest.raises(codec.RequestRejected) as caught:
        codec.decode_request(vector["endpoint"], body, strict=strict, **transport)
    exc = caught.value
    assert (exc.code, exc.argument, exc.response_format) == (
        expect["errorCode"],
        expect["argument"],
        expect["response_format"],
    )
    assert codec.message_for(codec.endpoint_spec(vector["endpoint"]), exc.code, exc.argument) == expect["errorMessage"]
    faults = codec.request_faults(vector["endpoint"], body, strict=strict, **transport)
    assert [(f.code, f.argument, f.row) for f in faults] == [
        (f["errorCode"], f["argument"], f["row"]) for f in expect["faults"]
    ]


@pytest.mark.parametrize("vector", REQUESTS, ids=[v["id"] for v in REQUESTS])
def test_request_vector(vector: dict[str, Any]) -> None:
    body = vector["body"].encode("utf-8")
    assert codec.encode_form([tuple(p) for p in vector["pairs"]]) == body
    _judged(vector, body, True, vector["strict"])
    _judged(vector, body, False, vector.get("lenient", vector["strict"]))
    if vector["valid"]:  # what a client writes from the pairs, validated
        http = codec.encode_request_fields(vector["endpoint"], [tuple(p) for p in vector["pairs"]])
        assert http.body == body


@pytest.mark.parametrize("vector", RESPONSES, ids=[v["id"] for v in RESPONSES])
def test_response_vector(vector: dict[str, Any]) -> None:
    body = base64.b64decode(vector["body_base64"])
    assert vector["body"] is None or vector["body"].encode("utf-8") == body
    read = {"content_type": vector["content_type"], "response_format": vector["response_format"]}
    if vector["decoded"] is None:
        with pytest.raises(codec.ResponseInvalid):
            codec.decode_response(vector["endpoint"], body, **read)
        return
    response = codec.decode_response(vector["endpoint"], body, **read)
    assert codec.converter.unstructure(response) == vector["decoded"]
    assert vector["outcome"] == ("success" if response.error_code >= 0 else "failure")
    assert [str(d) for d in response.deviations] == vector["deviations"]
    if vector["kind"] == "letter":
        codec.decode_response(vector["endpoint"], body, strict=True, **read)  # not one departure
