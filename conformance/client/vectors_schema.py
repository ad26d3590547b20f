"""The JSON Schema (2020-12) of the portable test vectors' files (:mod:`conformance.client.vectors`).

Made from the tables where they say what a value may be: the endpoints' names, the codes of
each, the parameters a response has.
"""

from __future__ import annotations

from typing import Any

import codec

__all__ = ["vectors_schema"]


def _strings(values: list[str]) -> dict[str, Any]:
    return {"enum": sorted(values)}


def vectors_schema(version: int) -> dict[str, Any]:
    """The schema of ``requests.json`` and ``responses.json`` of vectors version *version*."""
    endpoints = sorted(codec.ENDPOINTS)
    codes = sorted({c for s in codec.ENDPOINTS.values() for c in s.codes})
    params = sorted({p.name for s in codec.ENDPOINTS.values() for p in s.params})
    nullable_text = {"type": ["string", "null"]}
    fault = {
        "type": "object",
        "description": "one rule the request breaks",
        "required": ["errorCode", "argument", "field", "rule", "row"],
        "properties": {
            "errorCode": {"enum": codes},
            "argument": {
                **nullable_text,
                "description": "what the vendor's message names (the variable as sent, or the country)",
            },
            "field": {
                **nullable_text,
                "description": "the variable at fault (null: a name that is none, the method, the scheme)",
            },
            "rule": {
                "type": "string",
                "description": "the table rule: required, max_length, allowed, unrecognised, ...",
            },
            "row": {"type": "string", "description": "the table row, e.g. AutoApplyIdA.request.days.allowed"},
        },
        "additionalProperties": False,
    }
    judged = {
        "type": "object",
        "description": "what a vendor taking this reading does with the request",
        "oneOf": [
            {
                "properties": {
                    "accepted": {"const": True},
                    "decoded": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "description": "variable -> value, as the tables name them",
                    },
                },
                "required": ["accepted", "decoded"],
                "additionalProperties": False,
            },
            {
                "properties": {
                    "accepted": {"const": False},
                    "errorCode": {"enum": codes, "description": "the code the vendor answers"},
                    "argument": nullable_text,
                    "errorMessage": {"type": "string", "description": "the message it answers with"},
                    "response_format": {"type": "integer", "description": "the format the answer is in"},
                    "faults": {
                        "type": "array",
                        "items": fault,
                        "minItems": 1,
                        "description": "every fault; the first is the one answered",
                    },
                },
                "required": ["accepted", "errorCode", "argument", "errorMessage", "response_format", "faults"],
                "additionalProperties": False,
            },
        ],
    }
    request = {
        "type": "object",
        "required": [
            "id",
            "endpoint",
            "description",
            "method",
            "scheme",
            "content_type",
            "pairs",
            "body",
            "valid",
            "strict",
        ],
        "properties": {
            "id": {"type": "string"},
            "endpoint": _strings(endpoints),
            "description": {"type": "string"},
            "method": {"type": "string"},
            "scheme": {"enum": ["https", "http"]},
            "content_type": {"type": "string"},
            "pairs": {
                "type": "array",
                "description": "the name=value pairs in order, before form encoding",
                "items": {
                    "type": "array",
                    "prefixItems": [{"type": "string"}, {"type": "string"}],
                    "minItems": 2,
                    "maxItems": 2,
                },
            },
            "body": {
                "type": "string",
                "description": "the canonical form body (application/x-www-form-urlencoded, UTF-8)",
            },
            "valid": {
                "type": "boolean",
                "description": "whether the documents' letter (the strict reading) accepts it",
            },
            "strict": judged,
            "lenient": {**judged, "description": "present when the notes' lenient reading judges otherwise"},
        },
        "additionalProperties": False,
    }
    response = {
        "type": "object",
        "required": [
            "id",
            "endpoint",
            "description",
            "note",
            "kind",
            "content_type",
            "response_format",
            "body",
            "body_base64",
            "decoded",
        ],
        "properties": {
            "id": {"type": "string"},
            "endpoint": _strings(endpoints),
            "description": {"type": "string"},
            "note": {**nullable_text, "description": "the note (spec/readings.toml) the body exercises"},
            "kind": {
                "enum": ["letter", "note", "off-letter", "unreadable"],
                "description": "letter and note: a decoder must read it; off-letter: it may refuse it; unreadable: no reading of the documents can decode it",
            },
            "content_type": nullable_text,
            "response_format": {
                "type": ["integer", "null"],
                "description": "what the request asked for (null: nothing, or the endpoint has one format)",
            },
            "body": {**nullable_text, "description": "the body as text; null when it is not UTF-8"},
            "body_base64": {"type": "string", "description": "the exact body bytes"},
            "decoded": {
                "type": ["object", "null"],
                "propertyNames": _strings(params),
                "additionalProperties": {"type": "string"},
                "description": "every parameter the body carries, as text exactly (null: unreadable); a decoder must report each, and no other",
            },
            "outcome": {"enum": ["success", "failure"], "description": "how an API must report it"},
            "deviations": {"type": "array", "items": {"type": "string"}},
            "refusal": {"type": "string"},
            "says_for_certain": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "what an unreadable body still says: a decoder that accepts it must report these",
            },
            "carries_unreadably": {
                "type": "array",
                "items": _strings(params),
                "description": "parameters it carries that cannot be read as their type: report them absent or as written",
            },
        },
        "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"comodo-conformance/vectors/{version}",
        "title": "comodo-conformance portable test vectors",
        "description": "requests.json and responses.json: made from the vendor documents' tables by python -m conformance vectors",
        "type": "object",
        "required": ["vectors_version", "kind", "generator", "documents", "vectors"],
        "properties": {
            "vectors_version": {"const": version},
            "kind": {"enum": ["requests", "responses"]},
            "generator": {"type": "string"},
            "documents": {
                "type": "object",
                "propertyNames": _strings(endpoints),
                "additionalProperties": {
                    "type": "object",
                    "required": ["version", "source", "source_sha256"],
                    "properties": {
                        "version": {"type": "string"},
                        "source": {"type": "string"},
                        "source_sha256": {"type": "string"},
                    },
                },
            },
            "vectors": {"type": "array"},
        },
        "allOf": [
            {
                "if": {"properties": {"kind": {"const": "requests"}}},
                "then": {"properties": {"vectors": {"items": request}}},
            },
            {
                "if": {"properties": {"kind": {"const": "responses"}}},
                "then": {"properties": {"vectors": {"items": response}}},
            },
        ],
    }
