"""Binding the codec to a document version (issue 13 item 2), on the committed tables.

The committed sources keep one document per endpoint, so the versions here are the ones their
histories list (AutoApplyIdA 1.00 to 1.04): bound to one, the codec knows the variables the
history says existed then.  Binding to a version with a document of its own -- its limits,
allowed values, codes, a variable a later version removed -- is shown on made-up next versions
in ``tests/spec/test_spec_new_document.py``.
"""

from __future__ import annotations

import attrs
import pytest

import codec
from codec import tables
from tests.support.strategies_codec import body, example_request, example_wire

AUTO, CLICK = codec.AUTO_APPLY_IDA, codec.UPDATE_USER_EV_CLICK_THROUGH


def test_the_versions_a_codec_binds() -> None:
    for name, spec in codec.ENDPOINTS.items():
        assert codec.VERSIONS[name] == spec.versions  # one document each: its history
        assert codec.DOCUMENT_VERSIONS[name] == (spec.document_version,)
        assert codec.endpoint_spec(name, spec.version) is spec
        assert codec.endpoint_spec(name.lower(), None) is spec


def test_a_version_only_a_history_lists_is_the_next_document_cut_back() -> None:
    newest = codec.ENDPOINTS[AUTO]
    bound = codec.endpoint_spec(AUTO, "1.03")
    assert (bound.version, bound.document_version, bound.source) == ("1.03", "1.05", newest.source)
    assert bound.versions == ("1.00", "1.01", "1.02", "1.03")
    since = {f.name: f.since for f in newest.fields}
    assert [f.name for f in bound.fields] == [f.name for f in newest.fields if since[f.name] <= "1.03"]
    assert {"checkfonisunique", "idaemailaddress"}.isdisjoint(bound.by_key)
    assert bound.codes == newest.codes and bound.params == newest.params
    assert codec.endpoint_spec("!autoapplyida", "1.03") is bound  # built once, kept
    assert bound.bound("1.05") is newest and newest.bound("1.03") is bound
    # 1.00 has no saspSessionID: its exclusive rule goes, and the login is plainly required
    old = codec.endpoint_spec(AUTO, "1.00")
    assert [r.kind for r in old.rules] == ["required_unless"]
    assert hash(old) != hash(bound) and {old: 1, bound: 2}[bound] == 2  # hashed by identity


@pytest.mark.parametrize("version", ["9.99", "", "1.5", "1.050", " 1.05"])
def test_an_unknown_version_names_the_known_ones(version: str) -> None:
    with pytest.raises(codec.UnknownVersion) as info:
        codec.endpoint_spec(AUTO, version)
    assert "known: 1.00, 1.01, 1.02, 1.03, 1.04, 1.05" in str(info.value)
    assert isinstance(info.value, codec.CodecError) and isinstance(info.value, ValueError)
    with pytest.raises(codec.UnknownVersion):
        codec.decode_request(AUTO, body(example_wire(AUTO)), version=version)
    with pytest.raises(codec.UnknownVersion):
        codec.encode_request(example_request(AUTO), version=version)


def test_every_function_binds_the_version() -> None:
    request = example_request(AUTO)
    later = attrs.evolve(request, check_fon_is_unique=True)  # 1.04
    http = codec.encode_request(later)
    assert codec.decode_request(AUTO, http.body, version="1.04") == later
    for version in ("1.00", "1.03"):
        with pytest.raises(codec.RequestRejected) as rejected:
            codec.decode_request(AUTO, http.body, version=version)
        assert (rejected.value.code, rejected.value.argument) == (-2, "checkFONIsUnique")
        with pytest.raises(codec.RequestInvalid) as invalid:
            codec.encode_request(later, version=version)
        assert (invalid.value.code, invalid.value.field) == (-2, "checkFONIsUnique")
        with pytest.raises(codec.RequestInvalid):
            codec.encode_request_fields(AUTO, codec.request_to_wire(later), version=version)
        assert "checkFONIsUnique" in codec.request_to_wire(later, version=version)  # for the rules to refuse
    assert codec.encode_request(request, version="1.00").body == codec.encode_request(request).body
    answer = codec.error_response(AUTO, -4, "days", version="1.03")
    encoded = codec.encode_response(answer, version="1.03")
    assert codec.decode_response(AUTO, encoded.body, version="1.03") == answer
    assert codec.error_detail(answer, version="1.03") == codec.error_detail(answer)


def test_the_models_carry_the_tables_variables() -> None:
    for name, fields in tables.MODEL_FIELDS.items():
        spec = codec.ENDPOINTS[name]
        assert fields == spec.fields  # one document each: nothing only older documents have
        assert [a.name for a in attrs.fields(codec.REQUEST_CLASSES[name])] == [f.attribute for f in fields]
        assert [a for a, _ in tables.request_members(spec)] == [f.attribute for f in fields]
        params = [a.name for a in attrs.fields(codec.RESPONSE_CLASSES[name])]
        assert params == [p.attribute for p in tables.MODEL_PARAMS[name]] + ["deviations"]


def test_before_the_format_variable_existed_every_answer_is_in_the_default_format() -> None:
    old = codec.endpoint_spec(AUTO, "1.02")  # responseFormat came with 1.03
    assert old.format_field is None
    assert [(key, f.name) for key, f in old.formats.items()] == [(None, "newline")]
    answer = codec.error_response(AUTO, -4, "days", version="1.02")
    newline = codec.encode_response(answer, response_format=0).body
    assert codec.encode_response(answer, version="1.02").body == newline
    assert codec.decode_response(AUTO, newline, version="1.02") == answer
    urlencoded = codec.encode_response(answer, response_format=1).body
    with pytest.raises(codec.ResponseInvalid):
        codec.decode_response(AUTO, urlencoded, version="1.02")
    assert codec.decode_request(AUTO, body(example_wire(AUTO)), version="1.02") == codec.decode_request(
        AUTO, body(example_wire(AUTO))
    )
