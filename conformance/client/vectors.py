"""Portable test vectors: JSON files made from the tables, for client and server authors in any language.

``python -m conformance vectors --out DIR`` writes (the packaged copy is ``conformance/vectors/``):

* ``requests.json`` -- requests with their canonical bodies: valid ones (what the tables allow,
  with the decoded variables), and ones with a fault (each single fault the tables define, plus a
  few that show the precedence), with every fault, the code and argument the vendor answers under
  the strict reading and what the lenient reading does;
* ``responses.json`` -- every response variant of the adapter's fixed set
  (:mod:`conformance.client.variants`) with what its body says: the decoded parameters and the
  outcome a decoder must report, or, for a body that cannot be read, what it still says;
* ``vectors.schema.json`` -- a JSON Schema (2020-12) describing both.

Nothing is random: the same tables give the same bytes, so a copy can be checked for staleness
(``--check``).  :data:`VECTORS_VERSION` changes when the files' shape does.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import codec

from ..strategies import SAFETY_FIELDS
from .grading import outcome_of, read_variant
from .variants import variants
from .vectors_schema import vectors_schema

__all__ = [
    "FILES",
    "PACKAGED",
    "VECTORS_VERSION",
    "add_vectors_parser",
    "render",
    "request_vectors",
    "response_vectors",
]

VECTORS_VERSION: Final = 1
FILES: Final = ("requests.json", "responses.json", "vectors.schema.json")
PACKAGED: Final = Path(__file__).resolve().parents[1] / "vectors"
_FORM: Final = "application/x-www-form-urlencoded"
_SECRET_VALUE: Final = "vectors-Pa55word"
_SASP_VALUE: Final = "0123456789abcdef"
_ORDER_NUMBER: Final = "1234567"
_SPECIAL_TEXT: Final = "a+b&c=d%e;f g é中😀"


def _documents() -> dict[str, Any]:
    return {
        name: {"version": s.document_version, "source": s.source, "source_sha256": s.source_sha256}
        for name, s in codec.ENDPOINTS.items()
    }


def _header(kind: str) -> dict[str, Any]:
    return {
        "vectors_version": VECTORS_VERSION,
        "kind": kind,
        "generator": "python -m conformance vectors",
        "documents": _documents(),
    }


# ---------------------------------------------------------------------- requests


def _value(spec: codec.EndpointSpec, f: codec.FieldSpec) -> str:
    """A plain valid value of one variable."""
    if f.name in SAFETY_FIELDS:
        return "Y"
    if f.secret:
        return (
            _SASP_VALUE if any(r.unless == f.name for r in spec.rules_of(codec.RequiredUnlessRule)) else _SECRET_VALUE
        )
    if "email" in f.name.lower():
        return "admin@example.com"
    if "ordernumber" == f.key:
        return _ORDER_NUMBER
    if set(f.kind.values) & set(spec.actions):  # the action that makes no other variable required
        triggers = {r.when_equals for r in spec.rules_of(codec.RequiredWhenRule)}
        return next(a for a in spec.actions if a not in triggers)
    return f.kind.baseline_value(f.max_length, text="Example")


def _request(
    spec: codec.EndpointSpec, *, sasp: bool = False, optional: bool = False, pinned: dict[str, str] | None = None
) -> dict[str, str]:
    """A valid request as a wire dict, in the document's order: the required variables (every
    one with *optional*), logged in with name and password or with the SASP session (*sasp*);
    *pinned* sets variables (the rules between variables are kept)."""
    unless = {n: r.unless for r in spec.rules_of(codec.RequiredUnlessRule) for n in r.fields}
    wire: dict[str, str] = {}
    for f in spec.fields:
        if f.name in unless:
            if not sasp:
                wire[f.name] = _value(spec, f)
        elif f.name in unless.values():
            if sasp:
                wire[f.name] = _value(spec, f)
        elif f.presence == "required" or optional or f.name in SAFETY_FIELDS:
            wire[f.name] = _value(spec, f)
    wire.update(pinned or {})
    for rule in spec.rules_of(codec.RequiredWhenRule):
        if wire.get(rule.when_field) == rule.when_equals and rule.field not in wire:
            wire[rule.field] = _value(spec, spec.by_key[rule.field.lower()])
    return {f.name: wire[f.name] for f in spec.fields if f.name in wire} | {
        k: v for k, v in wire.items() if k not in spec.by_key and k.lower() not in spec.by_key
    }


def _body(pairs: list[tuple[str, str]]) -> bytes:
    return codec.encode_form(pairs)


def _valid_requests(spec: codec.EndpointSpec) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(id, description, wire) of the valid requests of one endpoint."""
    name = spec.name
    yield f"{name}/valid/minimal", "the required variables only", _request(spec)
    if spec.rules_of(codec.ExclusiveRule):
        yield f"{name}/valid/sasp-session", "logged in with the SASP session instead", _request(spec, sasp=True)
    yield f"{name}/valid/every-variable", "every variable of the table", _request(spec, optional=True)
    for f in spec.fields:
        if f.name in SAFETY_FIELDS:
            continue
        values = list(f.kind.values)
        if isinstance(f.kind, codec.CommaList):
            values.append(f.kind.separator.join(f.kind.values))
        if isinstance(f.kind, codec.Country):
            values = sorted(f.kind.countries)[:1] + sorted(f.kind.countries)[-1:]
        for value in values:
            yield f"{name}/valid/{f.name}/{value}", f"{f.name}={value}", _request(spec, pinned={f.name: value})
        if isinstance(f.kind, codec.Text) and f.max_length is not None and not f.secret:
            at_limit = "é" * f.max_length
            yield (
                f"{name}/valid/{f.name}/at-limit",
                f"{f.name} of {f.max_length} characters (non-ASCII)",
                _request(spec, optional=True, pinned={f.name: at_limit}),
            )
    texts = {
        f.name: _SPECIAL_TEXT[: f.max_length or None]
        for f in spec.fields
        if isinstance(f.kind, codec.Text) and not f.secret and "email" not in f.name.lower() and f.key != "ordernumber"
    }
    yield (
        f"{name}/valid/special-characters",
        "text carrying + & = % ; a space and non-ASCII: the canonical encoding",
        _request(spec, optional=True, pinned=texts),
    )


def _faulty_requests(spec: codec.EndpointSpec) -> Iterator[tuple[str, str, list[tuple[str, str]], dict[str, str]]]:
    """(id, description, pairs, transport) of requests with faults; *transport* may set method/scheme."""
    name = spec.name
    base = _request(spec)
    for f in spec.fields:
        if f.name in base and f.presence in ("required", "conditional") and f.name not in SAFETY_FIELDS:
            pairs = [(k, v) for k, v in base.items() if k != f.name]
            yield f"{name}/fault/missing/{f.name}", f"{f.name} left out", pairs, {}
            blank = [(k, "" if k == f.name else v) for k, v in base.items()]
            yield f"{name}/fault/blank/{f.name}", f"{f.name} sent empty (note blank-value)", blank, {}
    for f in spec.fields:
        if f.name in SAFETY_FIELDS:
            continue
        wire = _request(spec, optional=True)
        seen: dict[str, int] = {}
        for example in f.kind.invalid_examples(f.max_length):
            seen[example.rule] = seen.get(example.rule, 0) + 1
            vid = f"{name}/fault/{example.rule}/{f.name}" + (f"/{seen[example.rule]}" if seen[example.rule] > 1 else "")
            pairs = list({**wire, f.name: example.value}.items())
            yield vid, f"{f.name}={example.value[:40]}", pairs, {}
    for f in spec.fields:  # a listed value in another case: what only a lenient reading accepts
        value = f.kind.baseline_value(f.max_length) if f.kind.values or isinstance(f.kind, codec.Country) else ""
        if f.name not in SAFETY_FIELDS and value.lower() != value and f.check(value.lower(), strict=True) is not None:
            pairs = list({**base, f.name: value.lower()}.items())
            yield f"{name}/fault/case/{f.name}", f"{f.name}={value.lower()} (listed as {value})", pairs, {}
    yield f"{name}/fault/unrecognised", "a variable the API does not have", [*base.items(), ("notAVariable", "1")], {}
    first = next(iter(base.items()))
    yield f"{name}/fault/duplicate", f"{first[0]} sent twice", [*base.items(), first], {}
    for rule in spec.rules_of(codec.ExclusiveRule):
        both = _request(spec, sasp=True) | {n: _value(spec, spec.by_key[n.lower()]) for n in rule.excludes}
        yield f"{name}/fault/exclusive", f"{rule.field} with {' and '.join(rule.excludes)}", list(both.items()), {}
    for when in spec.rules_of(codec.RequiredWhenRule):
        wire = {k: v for k, v in _request(spec, pinned={when.when_field: when.when_equals}).items() if k != when.field}
        yield (
            f"{name}/fault/required-when",
            f"{when.when_field}={when.when_equals} without {when.field}",
            list(wire.items()),
            {},
        )
    yield f"{name}/fault/method", "sent with GET (the form in the query string)", list(base.items()), {"method": "GET"}
    yield f"{name}/fault/scheme", "sent over plain HTTP", list(base.items()), {"scheme": "http"}
    wire = _request(spec, optional=True)
    texts = [f for f in spec.fields if isinstance(f.kind, codec.Text) and f.max_length and not f.secret]
    texts = [f for f in texts if f.presence == "required"]
    listed = [f for f in spec.fields if f.kind.values and f.name not in SAFETY_FIELDS]
    if len(texts) >= 2 and listed:  # the request of issue 12: four faults, one answer
        missing, long, invalid = texts[0], texts[1], listed[0]
        del wire[missing.name]
        wire[long.name] = long.kind.over_length((long.max_length or 0) + 1)
        wire[invalid.name] = invalid.kind.invalid_examples(invalid.max_length)[0].value
        about = f"{missing.name} left out, {invalid.name} invalid, {long.name} too long and an unknown variable"
        yield f"{name}/fault/four-at-once", about, [*wire.items(), ("notAVariable", "1")], {}


def _fault_dict(fault: codec.RequestFault) -> dict[str, Any]:
    return {
        "errorCode": fault.code,
        "argument": fault.argument,
        "field": fault.field,
        "rule": fault.rule,
        "row": fault.row,
    }


def _expect(spec: codec.EndpointSpec, body: bytes, strict: bool, **transport: str) -> dict[str, Any]:
    try:
        request = codec.decode_request(spec.name, body, strict=strict, **transport)
    except codec.RequestRejected as exc:
        assert exc.code is not None  # a rejection always carries the code to answer
        return {
            "accepted": False,
            "errorCode": exc.code,
            "argument": exc.argument,
            "errorMessage": codec.message_for(spec, exc.code, exc.argument),
            "response_format": exc.response_format,
            "faults": [_fault_dict(f) for f in codec.request_faults(spec.name, body, strict=strict, **transport)],
        }
    return {"accepted": True, "decoded": codec.request_to_wire(request)}


def _request_vector(
    spec: codec.EndpointSpec, vid: str, about: str, pairs: list[tuple[str, str]], **transport: str
) -> dict[str, Any]:
    body = _body(pairs)
    strict = _expect(spec, body, True, **transport)
    lenient = _expect(spec, body, False, **transport)
    out: dict[str, Any] = {
        "id": vid,
        "endpoint": spec.name,
        "description": about,
        "method": transport.get("method", spec.method),
        "scheme": transport.get("scheme", "https"),
        "content_type": _FORM,
        "pairs": [list(p) for p in pairs],
        "body": body.decode("ascii"),
        "valid": strict["accepted"],
        "strict": strict,
    }
    if lenient != strict:
        out["lenient"] = lenient
    return out


def request_vectors() -> dict[str, Any]:
    """Every request vector, as ``requests.json`` holds them."""
    out = []
    for spec in codec.ENDPOINTS.values():
        for vid, about, wire in _valid_requests(spec):
            vector = _request_vector(spec, vid, about, list(wire.items()))
            if not vector["valid"]:
                raise AssertionError(f"{vid}: a valid vector the codec refuses: {vector['strict']}")
            out.append(vector)
        for vid, about, pairs, transport in _faulty_requests(spec):
            vector = _request_vector(spec, vid, about, pairs, **transport)
            if vector["valid"]:
                raise AssertionError(f"{vid}: a faulty vector the codec accepts")
            out.append(vector)
    return {**_header("requests"), "vectors": out}


# ---------------------------------------------------------------------- responses


def response_vectors() -> dict[str, Any]:
    """Every response variant of the fixed set with what its body says, as ``responses.json`` holds them."""
    out = []
    for v in variants():
        reading = read_variant(v)
        try:
            text: str | None = v.body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        vector: dict[str, Any] = {
            "id": v.id,
            "endpoint": v.endpoint,
            "description": v.about,
            "note": v.note,
            "kind": reading.kind,
            "content_type": v.content_type,
            "response_format": v.response_format,
            "body": text,
            "body_base64": base64.b64encode(v.body).decode("ascii"),
        }
        if reading.response is not None:
            vector.update(
                decoded=dict(reading.values),
                outcome=outcome_of(int(reading.values["errorCode"])),
                deviations=list(reading.deviations),
            )
        else:
            vector.update(
                decoded=None,
                refusal=str(reading.refusal),
                says_for_certain=dict(reading.values),
                carries_unreadably=sorted(reading.unreadable),
            )
        out.append(vector)
    return {**_header("responses"), "vectors": out}


def render() -> dict[str, str]:
    """Every file of the vectors, by name, as the bytes ``--out`` writes (UTF-8 text)."""
    schema = vectors_schema(VECTORS_VERSION)
    data = {"requests.json": request_vectors(), "responses.json": response_vectors(), "vectors.schema.json": schema}
    return {name: json.dumps(data[name], indent=1, ensure_ascii=False) + "\n" for name in FILES}


# ---------------------------------------------------------------------- the command


VECTORS_HELP = """\
Write the portable test vectors: JSON files made from the tables, for client and server authors in
any language who want them in their own unit tests without running Python.

  requests.json        requests with their canonical bodies: valid ones (with the decoded
                       variables) and ones with faults (every fault, the code, argument, message
                       and format the vendor answers; what the lenient reading does where it
                       differs)
  responses.json       every response variant of client --adapter's fixed set, with the
                       parameters a decoder must report and the outcome (success / failure), or
                       for a body that cannot be read, what it still says for certain
  vectors.schema.json  a JSON Schema (2020-12) describing both

The same tables give the same bytes: --check compares a copy with them (exit 1 when stale).
The packaged copy and a README for other languages are in conformance/vectors/.
"""


def add_vectors_parser(sub: Any) -> None:
    p = sub.add_parser(
        "vectors",
        help="write the portable test vectors (JSON, for any language)",
        description=VECTORS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  python -m conformance vectors --out vectors/\n  python -m conformance vectors --check\n"
        "      exit 1 (and name the files) when the packaged copy is not what the tables give\n",
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--out", type=Path, metavar="DIR", help="write the files into DIR (created if need be)")
    what.add_argument(
        "--check",
        type=Path,
        nargs="?",
        const=PACKAGED,
        metavar="DIR",
        help=f"compare DIR's copy (default the packaged one, {PACKAGED}) with what the tables give",
    )
    p.set_defaults(func=cmd_vectors)


def cmd_vectors(args: argparse.Namespace) -> int:
    """``vectors``: 0 written (or up to date), 1 stale, 2 could not write."""
    files = render()
    if args.check is not None:
        stale = [
            n
            for n, text in files.items()
            if not (args.check / n).is_file() or (args.check / n).read_text(encoding="utf-8") != text
        ]
        for name in stale:
            print(f"stale: {args.check / name} (run: python -m conformance vectors --out {args.check})")
        print(f"vectors: {len(files) - len(stale)} of {len(files)} files up to date in {args.check}")
        return 1 if stale else 0
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (args.out / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"conformance vectors: cannot write {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    counts = {k: len(json.loads(files[k])["vectors"]) for k in FILES[:2]}
    print(f"wrote {', '.join(f'{n} ({c} vectors)' for n, c in counts.items())} and vectors.schema.json to {args.out}")
    return 0
