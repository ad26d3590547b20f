"""The codec's API contract (issue 11 item 6): every public function raises only the codec's own
errors (:class:`codec.CodecError` and its subclasses) for bad input, and ``TypeError`` naming the
parameter for a value of the wrong Python type -- never an AttributeError, KeyError or ValueError
from inside.

Every function in ``codec.__all__`` is called (a function added there without a row in
:data:`PARAMETERS` fails :func:`test_every_public_function_is_covered`):

* with valid values for every parameter but one, and an arbitrary value of a wrong type for that
  one: ``TypeError`` whose message names it;
* with arbitrary values (of the right type or not) for every parameter: a result, a
  :class:`~codec.CodecError`, or a ``TypeError`` naming one of the parameters.

Bodies are bytes-like: ``bytes``, ``bytearray`` and ``memoryview`` are accepted (and decode the
same); a ``str`` body is a TypeError.
"""

from __future__ import annotations

import functools
import inspect
import json
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import codec
from spec.render import ROOT
from tests.support.strategies_codec import body, example_request, example_wire

AUTO, CLICK = codec.AUTO_APPLY_IDA, codec.UPDATE_USER_EV_CLICK_THROUGH
FUNCTIONS: dict[str, Callable[..., Any]] = {
    name: getattr(codec, name) for name in codec.__all__ if inspect.isfunction(getattr(codec, name))
}

_TEXT = st.text(max_size=20)
_BODIES = {
    name: st.one_of(st.binary(max_size=64), st.just(body(example_wire(name))), st.just(b"errorCode=-4&errorMessage=x"))
    for name in (AUTO, CLICK)
}
_RESPONSES = {AUTO: codec.error_response(AUTO, -3, "days"), CLICK: codec.error_response(CLICK, -4, "action")}


@functools.cache
def _valid(endpoint: str) -> dict[str, st.SearchStrategy[Any]]:
    """Valid values of every parameter, for one endpoint (so that they are valid together)."""
    return {
        "endpoint": st.sampled_from([endpoint, endpoint.lower(), "!" + endpoint]),
        "version": st.sampled_from([None, *codec.VERSIONS[endpoint]]),
        "body": _BODIES[endpoint],
        "method": st.sampled_from(["POST", "GET", "post"]),
        "scheme": st.sampled_from(["https", "http"]),
        "content_type": st.sampled_from([None, "application/x-www-form-urlencoded", "text/plain"]),
        "strict": st.booleans(),
        "validate": st.booleans(),
        "response_format": st.sampled_from([None, 0, 1, 7]),
        "request": st.just(example_request(endpoint)),
        "response": st.just(_RESPONSES[endpoint]),
        "fields": st.sampled_from([example_wire(endpoint), [("notAVariable", 1), ("product", [36, 37])]]),
        "pairs": st.lists(st.tuples(_TEXT, _TEXT), max_size=4),
        "code": st.sampled_from([0, 1, -2, -3, -4, -7, -20, -99]),
        "argument": st.one_of(st.none(), _TEXT),
        "message": st.one_of(st.none(), _TEXT),
        "spec": st.sampled_from(
            [codec.ENDPOINTS[endpoint], *(codec.endpoint_spec(endpoint, v) for v in codec.VERSIONS[endpoint])]
        ),
    }


# parameter -> the Python types it takes (an int parameter never takes a bool)
PARAMETERS: dict[str, tuple[type, ...]] = {
    "endpoint": (str,),
    "version": (str, type(None)),
    "body": (bytes, bytearray, memoryview),
    "method": (str,),
    "scheme": (str,),
    "content_type": (str, type(None)),
    "strict": (bool,),
    "validate": (bool,),
    "response_format": (int, type(None)),
    "request": tuple(codec.REQUEST_CLASSES.values()),
    "response": tuple(codec.RESPONSE_CLASSES.values()),
    "fields": (dict, list),
    "pairs": (list, tuple),
    "code": (int,),
    "argument": (str, type(None)),
    "message": (str, type(None)),
    "spec": (codec.EndpointSpec,),
}

_ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.decimals(allow_nan=False),
    st.complex_numbers(),
    st.text(max_size=10),
    st.binary(max_size=10),
    st.binary(max_size=10).map(bytearray),
    st.binary(max_size=10).map(memoryview),
    st.lists(st.integers(), max_size=3),
    st.lists(st.text(max_size=3), max_size=3).map(tuple),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=3),
    st.frozensets(st.integers(), max_size=3),
    st.builds(object),
    st.just(Decimal("1.5")),
    st.just(codec.ENDPOINTS[AUTO]),
    st.just([(1, 2)]),
    st.just([("a", "b", "c")]),
    st.just([b"ab"]),
    st.just({"loginName": None}),
    st.just({"loginName": 1.5}),
    st.just([("product", [36, None])]),
)


def _wrong(parameter: str) -> st.SearchStrategy[Any]:
    """Values of a Python type *parameter* does not take."""
    types = PARAMETERS[parameter]

    def wrong(value: Any) -> bool:
        if parameter == "fields":  # a mapping or pairs of str names and str/int/bool/comma-list values
            return not (isinstance(value, dict | list | tuple) and not value) and not _fields_ok(value)
        if parameter == "pairs":
            return not _pairs_ok(value)
        if int in types and isinstance(value, bool):
            return True
        return not isinstance(value, types)

    return _ANYTHING.filter(wrong)


def _fields_ok(value: Any) -> bool:
    items = list(value.items()) if isinstance(value, dict) else value
    if not isinstance(items, list | tuple):
        return False
    for item in items:
        if not isinstance(item, list | tuple) or len(item) != 2 or not isinstance(item[0], str):
            return False
        v = item[1]
        if isinstance(v, list | tuple):
            if not all(isinstance(x, str | int) and not isinstance(x, bool) for x in v):
                return False
        elif not isinstance(v, str | int):
            return False
    return True


def _pairs_ok(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(
        isinstance(p, list | tuple | str) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in value
    )


def _parameters(function: Callable[..., Any]) -> list[inspect.Parameter]:
    return list(inspect.signature(function).parameters.values())


def _call(function: Callable[..., Any], values: dict[str, Any]) -> Any:
    args, kwargs = [], {}
    for p in _parameters(function):
        if p.name not in values:
            continue
        if p.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[p.name] = values[p.name]
        else:
            args.append(values[p.name])
    return function(*args, **kwargs)


def test_every_public_function_is_covered() -> None:
    assert {"decode_request", "decode_response", "encode_request", "encode_form", "endpoint_spec"} <= FUNCTIONS.keys()
    for name, function in FUNCTIONS.items():
        for p in _parameters(function):
            assert p.name in PARAMETERS, f"codec.{name}({p.name}=...): add the parameter to PARAMETERS"


_CASES = [(name, p.name) for name, function in sorted(FUNCTIONS.items()) for p in _parameters(function)]


@pytest.mark.parametrize(("name", "parameter"), _CASES, ids=[f"{n}-{p}" for n, p in _CASES])
@settings(max_examples=20, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much], deadline=None)
@given(data=st.data())
def test_a_wrong_type_is_a_type_error_naming_the_parameter(name: str, parameter: str, data: st.DataObject) -> None:
    function = FUNCTIONS[name]
    valid = _valid(data.draw(st.sampled_from([AUTO, CLICK]), label="endpoint of the valid values"))
    values = {p.name: data.draw(valid[p.name], label=p.name) for p in _parameters(function)}
    values[parameter] = data.draw(_wrong(parameter), label=f"wrong {parameter}")
    with pytest.raises(TypeError) as info:
        _call(function, values)
    assert type(info.value) is TypeError, info.value
    assert parameter in str(info.value), info.value


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much], deadline=None)
@given(data=st.data())
def test_any_values_give_a_result_a_codec_error_or_a_named_type_error(name: str, data: st.DataObject) -> None:
    function = FUNCTIONS[name]
    parameters = [p.name for p in _parameters(function)]
    valid = _valid(data.draw(st.sampled_from([AUTO, CLICK]), label="endpoint of the valid values"))
    values = {p: data.draw(st.one_of(valid[p], _ANYTHING), label=p) for p in parameters}
    try:
        _call(function, values)
    except codec.CodecError:
        pass
    except TypeError as exc:
        assert type(exc) is TypeError
        assert any(p in str(exc) for p in parameters), exc


# ---------------------------------------------------------------------------- the examples of the issue


def test_the_examples_of_the_issue() -> None:
    wire = body(example_wire(AUTO))
    with pytest.raises(codec.UnknownEndpoint, match="known: AutoApplyIdA, UpdateUserEvClickThrough"):
        codec.decode_request("NoSuchEndpoint", wire)
    assert issubclass(codec.UnknownEndpoint, codec.CodecError)
    for version in ("9.99", ""):
        with pytest.raises(codec.UnknownVersion, match=r"known: 1\.00, 1\.01"):
            codec.decode_request(AUTO, wire, version=version)
    with pytest.raises(TypeError, match="strict"):
        codec.decode_request(AUTO, wire, strict="no")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="method"):
        codec.decode_request(AUTO, wire, method=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="body"):
        codec.decode_request(AUTO, wire.decode())  # type: ignore[arg-type]
    assert issubclass(codec.FormError, codec.CodecError) and issubclass(codec.FormError, ValueError)
    with pytest.raises(codec.CodecError):
        codec.decode_form(b"a=%zz")


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_bodies_are_bytes_like(kind: Callable[[bytes], Any]) -> None:
    wire = body(example_wire(AUTO))
    assert codec.decode_request(AUTO, kind(wire)) == codec.decode_request(AUTO, wire)
    assert codec.decode_form(kind(wire)) == codec.decode_form(wire)
    answer = codec.encode_response(codec.error_response(AUTO, -3, "days")).body
    assert codec.decode_response(AUTO, kind(answer)) == codec.decode_response(AUTO, answer)


# ---------------------------------------------------------------------------- echoed input is cut


@pytest.mark.parametrize("command", ["encode-request", "decode-request"])
def test_the_cli_does_not_echo_a_huge_name(command: str) -> None:
    """A 5 MB variable name is named in the error, cut to its first characters with a marker
    giving its length -- not printed back whole (three times, before issue 11)."""
    name = "x" * 5_000_000
    stdin = (b'{"' + name.encode() + b'": "1"}') if command == "encode-request" else name.encode() + b"=1"
    result = subprocess.run(
        [sys.executable, "-m", "codec", command, AUTO], input=stdin, capture_output=True, timeout=120, cwd=ROOT
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert len(result.stdout) < 2000, len(result.stdout)
    out = json.loads(result.stdout)
    assert out["errorCode"] == -2
    assert "[5000000 characters]" in out["argument"] and "[5000000 characters]" in out["message"]
    assert not result.stderr


@pytest.mark.parametrize("pairs", [("", "000"), ("", "0000", "ab"), [("a", "b"), "xyz"]])
def test_strings_that_are_not_pairs_are_a_type_error_even_when_their_lengths_add_up(pairs: Any) -> None:
    """Found by the property above: the fast encoder counted separators over the whole body, and
    ("", "000") has as many as two pairs; an item of any length but 2 is refused by name."""
    with pytest.raises(TypeError, match="pairs: item"):
        codec.encode_form(pairs)
