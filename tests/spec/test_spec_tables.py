"""The spec tables say what the vendor documents say.

Every expected value below was read off ``spec/sources/*.txt`` by hand; the tests compare it with
the committed ``spec/tables/*.json`` (and with ``codec/_tables.py``, the same data frozen for the
codec), and check that regenerating gives the same bytes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import tomllib
from collections.abc import Callable
from importlib import metadata
from typing import Any

import pycountry
import pytest

from spec.build import attribute_name
from spec.render import ROOT, latest_sources, render_all

AUTO = "AutoApplyIdA"
CLICK = "UpdateUserEvClickThrough"
ENDPOINTS = (AUTO, CLICK)
SOURCE_FILES = {path.name.split("-")[0]: path for path in latest_sources()}  # the documents the tables come from


def _fields(table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in table["request"]["fields"]}


@pytest.fixture
def spec_table() -> Callable[[str], dict[str, Any]]:
    """``spec_table("AutoApplyIdA")``: a fresh copy of the committed ``spec/tables/<name>.json``."""

    def load(name: str) -> dict[str, Any]:
        table: dict[str, Any] = json.loads((ROOT / "spec" / "tables" / f"{name}.json").read_text(encoding="utf-8"))
        return table

    return load


@pytest.fixture
def spec_source() -> Callable[[str], str]:
    """``spec_source("AutoApplyIdA")``: the text of the endpoint's committed vendor document."""

    def read(name: str) -> str:
        return SOURCE_FILES[name].read_text(encoding="utf-8")

    return read


@pytest.fixture
def auto(spec_table: Any) -> dict[str, Any]:
    return spec_table(AUTO)


@pytest.fixture
def click(spec_table: Any) -> dict[str, Any]:
    return spec_table(CLICK)


# --------------------------------------------------------------------------- request variables

# name, documented type, max. length, presence -- in document order
AUTO_FIELDS = [
    ("loginName", "string", 64, "conditional"),
    ("loginPassword", "string", 128, "conditional"),
    ("saspSessionID", "string", 16, "optional"),
    ("product", "string", 64, "required"),
    ("days", "integer", None, "required"),
    ("location", "char", 512, "required"),
    ("organizationName", "char", 64, "required"),
    ("organizationalUnitName", "string", 64, "optional"),
    ("postOfficeBox", "string", 40, "optional"),
    ("streetAddress1", "string", 128, "required"),
    ("streetAddress2", "string", 128, "optional"),
    ("streetAddress3", "string", 128, "optional"),
    ("localityName", "string", 128, "required"),
    ("stateOrProvinceName", "string", 128, "required"),
    ("postalCode", "string", 40, "required"),
    ("countryName", "string", 2, "required"),
    ("dunsNumber", "string", 32, "optional"),
    ("companyNumber", "string", 25, "optional"),
    ("emailAddress", "string", 255, "optional"),
    ("isCustomerValidated", "char", 1, "required"),
    ("foreignOrderNumber", "char", 64, "optional"),
    ("checkFONIsUnique", "char", 1, "optional"),
    ("responseFormat", "char", 1, "optional"),
    ("test", "char", 1, "optional"),
    ("idaEmailAddress", "string", None, "optional"),
    ("idaTelephoneNumber", "string", None, "optional"),
    ("idaFaxNumber", "string", None, "optional"),
]
CLICK_FIELDS = [
    ("loginName", "string", 64, "required"),
    ("loginPassword", "string", 128, "required"),
    ("action", "string", 100, "required"),
    ("orderNumber", "string", 128, "required"),
    ("adminEmailAddress", "string", 255, "conditional"),
]
EXPECTED_FIELDS = {AUTO: AUTO_FIELDS, CLICK: CLICK_FIELDS}

# the version whose history line says Added: with the variable's name; every other one is 1.00
AUTO_SINCE = {
    "saspSessionID": "1.01",
    "foreignOrderNumber": "1.03",
    "responseFormat": "1.03",
    "checkFONIsUnique": "1.04",
    "idaEmailAddress": "1.05",
    "idaTelephoneNumber": "1.05",
    "idaFaxNumber": "1.05",
}


def test_request_variable_counts(auto: dict[str, Any], click: dict[str, Any]) -> None:
    assert len(auto["request"]["fields"]) == 27
    assert len(click["request"]["fields"]) == 5


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_request_variables_in_document_order(spec_table: Any, endpoint: str) -> None:
    table = spec_table(endpoint)
    got = [(f["name"], f["doc_type"], f["max_length"], f["presence"]) for f in table["request"]["fields"]]
    assert got == EXPECTED_FIELDS[endpoint]
    assert table["request"]["names_case_insensitive"] is True
    for f in table["request"]["fields"]:
        assert f["key"] == f["name"].lower()
        assert f["type"] == ("integer" if f["doc_type"] == "integer" else "string")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_each_variable_points_at_its_row(spec_table: Any, spec_source: Any, endpoint: str) -> None:
    lines = spec_source(endpoint).split("\n")
    for f in spec_table(endpoint)["request"]["fields"]:
        row = lines[f["source_line"] - 1]
        assert row.split("\t")[0].replace("<i>", "").replace("</i>", "").rstrip(" *") == f["name"]


def test_required_when_logging_in_with_name_and_password(auto: dict[str, Any]) -> None:
    required = [
        f["name"]
        for f in auto["request"]["fields"]
        if f["presence"] == "required"
        or (f["presence"] == "conditional" and (f["condition"] or {}).get("required_unless") == "saspSessionID")
    ]
    assert required == [
        "loginName",
        "loginPassword",
        "product",
        "days",
        "location",
        "organizationName",
        "streetAddress1",
        "localityName",
        "stateOrProvinceName",
        "postalCode",
        "countryName",
        "isCustomerValidated",
    ]


@pytest.mark.parametrize(
    ("endpoint", "printed_as"),
    [
        (AUTO, {"italic": {n for n, _, _, p in AUTO_FIELDS if p == "optional"}, "starred": set()}),
        (CLICK, {"italic": set(), "starred": {"adminEmailAddress"}}),
    ],
)
def test_markup_read_from_the_names(spec_table: Any, endpoint: str, printed_as: dict[str, set[str]]) -> None:
    fields = spec_table(endpoint)["request"]["fields"]
    for kind in ("italic", "starred"):
        assert {f["name"] for f in fields if f["printed_as"] == kind} == printed_as[kind]
    assert all(
        f["printed_as"] == "plain" for f in fields if f["name"] not in printed_as["italic"] | printed_as["starred"]
    )


def test_since_and_changed_in_follow_the_version_history(auto: dict[str, Any], click: dict[str, Any]) -> None:
    for f in auto["request"]["fields"]:
        assert f["since"] == AUTO_SINCE.get(f["name"], "1.00"), f["name"]
        assert f["changed_in"] == (["1.02"] if f["name"] == "emailAddress" else []), f["name"]
    for f in click["request"]["fields"]:
        assert (f["since"], f["changed_in"]) == ("1.00", [])


@pytest.mark.parametrize(
    ("wire", "attribute"),
    [
        ("checkFONIsUnique", "check_fon_is_unique"),
        ("saspSessionID", "sasp_session_id"),
        ("streetAddress1", "street_address1"),
        ("isCustomerValidated", "is_customer_validated"),
        ("idaEmailAddress", "ida_email_address"),
        ("test", "test"),
    ],
)
def test_attribute_names(auto: dict[str, Any], wire: str, attribute: str) -> None:
    assert attribute_name(wire) == attribute
    assert _fields(auto)[wire]["attribute"] == attribute


def test_secrets_are_flagged(auto: dict[str, Any], click: dict[str, Any]) -> None:
    assert {f["name"] for f in auto["request"]["fields"] if f["secret"]} == {"loginPassword", "saspSessionID"}
    assert {f["name"] for f in click["request"]["fields"] if f["secret"]} == {"loginPassword"}


# --------------------------------------------------------------------------- allowed values


def test_product_is_a_comma_list_of_36_and_37(auto: dict[str, Any]) -> None:
    allowed = _fields(auto)["product"]["allowed"]
    assert allowed["kind"] == "comma_list"
    assert allowed["values"] == ["36", "37"]
    assert allowed["labels"] == {"36": "TrustLogo", "37": "Card Payment TrustLogo"}
    assert allowed["separator"] == ","
    assert allowed["strict_unique"] is True


def test_days_is_a_hedged_integer_enum(auto: dict[str, Any]) -> None:
    days = _fields(auto)["days"]
    assert days["type"] == "integer"
    assert days["allowed"]["kind"] == "integer_enum"
    assert days["allowed"]["values"] == ["365", "730", "1095"]
    assert days["allowed"]["hedge"] == "For most products"
    assert days["allowed"]["lenient_any_positive_integer"] is True  # note days-for-most-products


@pytest.mark.parametrize(
    ("flag", "strict", "lenient"),
    [
        ("isCustomerValidated", ["N", "Y", "n", "y"], []),  # 'If Y (or y) ... if N (or n)'
        ("test", ["N", "Y", "y"], ["n"]),  # 'If Y (or y)'
        ("checkFONIsUnique", ["N", "Y"], ["n", "y"]),  # 'If Y,'
    ],
)
def test_flags_accept_their_documented_lower_case(
    auto: dict[str, Any], flag: str, strict: list[str], lenient: list[str]
) -> None:
    allowed = _fields(auto)[flag]["allowed"]
    assert allowed["kind"] == _fields(auto)[flag]["kind"] == "flag"
    assert allowed["values"] == strict
    assert allowed["lenient_values"] == lenient  # note flag-lowercase


def test_response_format_and_test_defaults(auto: dict[str, Any]) -> None:
    fields = _fields(auto)
    response_format = fields["responseFormat"]
    assert response_format["kind"] == response_format["allowed"]["kind"] == "numeric_enum"
    assert response_format["allowed"]["values"] == ["0", "1"]
    assert response_format["allowed"]["labels"] == {"0": "New-line delimited parameters", "1": "URL-encoded parameters"}
    assert response_format["default"] == "0"
    assert fields["test"]["default"] == "N"
    assert [n for n, f in fields.items() if f["default"] is not None] == ["responseFormat", "test"]


def test_action_values_come_from_the_action_table(click: dict[str, Any]) -> None:
    allowed = _fields(click)["action"]["allowed"]
    assert allowed["kind"] == "enum"
    assert allowed["values"] == ["ReplaceMailAddress", "ResendEmail"]
    assert allowed["labels"] == {
        "ReplaceMailAddress": "Replaces click-through email and sends Email to customer",
        "ResendEmail": "Re-sends Email to Customer",
    }
    assert [a["value"] for a in click["actions"]] == ["ReplaceMailAddress", "ResendEmail"]


def test_country_name_is_checked_against_the_country_list(auto: dict[str, Any]) -> None:
    allowed = _fields(auto)["countryName"]["allowed"]
    assert allowed["kind"] == "country"
    assert allowed["error_code"] == -7


def test_email_address_none_is_a_special_value(auto: dict[str, Any]) -> None:
    fields = _fields(auto)
    assert fields["emailAddress"]["special_values"] == [
        {"value": "none", "meaning": "no TrustLogo issuance email will be sent at all"}
    ]
    assert [n for n, f in fields.items() if f["special_values"]] == ["emailAddress"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_variables_without_allowed_values(spec_table: Any, endpoint: str) -> None:
    with_values = {
        AUTO: {"product", "days", "countryName", "isCustomerValidated", "checkFONIsUnique", "responseFormat", "test"},
        CLICK: {"action"},
    }[endpoint]
    fields = spec_table(endpoint)["request"]["fields"]
    assert {f["name"] for f in fields if f["allowed"] is not None} == with_values


# --------------------------------------------------------------------------- conditions


def test_login_variables_are_required_unless_sasp_session(auto: dict[str, Any]) -> None:
    fields = _fields(auto)
    for name in ("loginName", "loginPassword"):
        assert fields[name]["presence"] == "conditional"
        assert fields[name]["condition"] == {"required_unless": "saspSessionID", "forbidden_with": "saspSessionID"}
    assert [n for n, f in fields.items() if f["condition"]] == ["loginName", "loginPassword"]
    rules = {r["id"]: r for r in auto["request"]["rules"]}
    assert rules == {
        "exclusive.saspSessionID": {
            "id": "exclusive.saspSessionID",
            "kind": "exclusive",
            "field": "saspSessionID",
            "excludes": ["loginName", "loginPassword"],
            "error_code": auto["policy"]["exclusive_violation_code"],
            "source_line": fields["saspSessionID"]["source_line"],
            "note": "sasp-excludes-login",
        },
        "required-unless.saspSessionID": {
            "id": "required-unless.saspSessionID",
            "kind": "required_unless",
            "fields": ["loginName", "loginPassword"],
            "unless": "saspSessionID",
            "error_code": -3,
            "source_line": fields["saspSessionID"]["source_line"],
            "note": "sasp-excludes-login",
        },
    }


def test_admin_email_required_for_replace_mail_address(click: dict[str, Any]) -> None:
    fields = _fields(click)
    admin = fields["adminEmailAddress"]
    assert admin["presence"] == "conditional"
    assert admin["condition"] == {"required_when": {"field": "action", "equals": "ReplaceMailAddress"}}
    assert [n for n, f in fields.items() if f["condition"]] == ["adminEmailAddress"]
    assert click["request"]["rules"] == [
        {
            "id": "required-when.adminEmailAddress",
            "kind": "required_when",
            "field": "adminEmailAddress",
            "when": {"field": "action", "equals": "ReplaceMailAddress"},
            "error_code": -3,
            "source_line": admin["source_line"],
            "note": "starred-not-italic",
        }
    ]


# --------------------------------------------------------------------------- codes and statuses

AUTO_CODES = {
    1: "Successful, Payment Required",
    0: "Successful",
    -1: "Request was not made over https!",
    -2: "Unrecognised argument!",
    -3: "The 'xxxx' argument is missing!",
    -4: "The value of the 'xxxx' argument is invalid!",
    -7: "'xx' is not a valid ISO-3166 country!",
    -14: "An unknown error occurred!",
    -15: "Not enough credit!",
    -16: "Permission denied! Contact Comodo Support to have your account enabled for !AutoApplyIdA",
    -17: "Request used GET rather than POST!",
}
CLICK_CODES = {
    0: "Successful",
    -1: "Request was not made over HTTPS!",
    -2: "'xxxx' is an unrecognized argument!",
    -3: "The 'xxxx' argument is missing!",
    -4: "The value of the 'xxxx' argument is invalid!",
    -14: "An unknown error occurred!",
    -16: "Incorrect login details, account is locked, password has expired or your source IP is blocked.",
    -17: "Request used GET rather than POST!",
    -20: "Order relative errors (see errorMessage for details)",
}
ARGUMENT = {"token": "xxxx", "kind": "argument"}
PLACEHOLDERS = {
    AUTO: {-3: ARGUMENT, -4: ARGUMENT, -7: {"token": "xx", "kind": "country"}},
    CLICK: {-2: ARGUMENT, -3: ARGUMENT, -4: ARGUMENT},
}


@pytest.mark.parametrize(("endpoint", "expected"), [(AUTO, AUTO_CODES), (CLICK, CLICK_CODES)])
def test_codes_messages_and_placeholders(spec_table: Any, endpoint: str, expected: dict[int, str]) -> None:
    codes = spec_table(endpoint)["codes"]
    assert [c["code"] for c in codes] == list(expected)  # document order
    for c in codes:
        assert c["message"] == expected[c["code"]]
        assert c["placeholder"] == PLACEHOLDERS[endpoint].get(c["code"])
        assert c["kind"] == ("success" if c["code"] >= 0 else "error")
        assert c["free_text"] is (c["code"] == -20)


def test_auto_apply_codes_all_come_from_one_packed_cell(auto: dict[str, Any], spec_source: Any) -> None:
    lines = {c["source_line"] for c in auto["codes"]}
    assert len(lines) == 1
    cell = spec_source(AUTO).split("\n")[lines.pop() - 1].split("\t")[-1]
    assert all(f"{code} = {message}" in cell for code, message in AUTO_CODES.items())


def test_click_through_codes_have_a_row_each(click: dict[str, Any], spec_source: Any) -> None:
    lines = spec_source(CLICK).split("\n")
    for c in click["codes"]:
        assert lines[c["source_line"] - 1] == f"{c['code']}\t{c['message']}"


def test_click_through_statuses(click: dict[str, Any]) -> None:
    statuses = [(s["status"], s["actions"], s["description"]) for s in click["statuses"]]
    assert statuses == [
        (0, ["ReplaceMailAddress", "ResendEmail"], "Action is not relevant for current order state, was not completed"),
        (1, ["ReplaceMailAddress", "ResendEmail"], "Successfully completed"),
        (2, ["ReplaceMailAddress"], "Email Address was the same and wasn't changed. Email was re-sent."),
    ]


def test_auto_apply_has_no_statuses(auto: dict[str, Any]) -> None:
    assert auto["statuses"] == []
    assert auto["actions"] == []


# --------------------------------------------------------------------------- responses


def test_auto_apply_response_formats(auto: dict[str, Any]) -> None:
    responses = auto["responses"]
    assert responses["selected_by"] == "responseFormat"
    # section 3.2's table is headed "Name": the document does not say its names are case-insensitive
    assert (responses["names_case_insensitive"], responses["names_source_line"]) == (False, 82)
    newline, urlencoded = responses["formats"]
    assert (newline["value"], newline["name"], newline["mime_type"]) == ("0", "newline", "text/plain")
    assert (urlencoded["value"], urlencoded["name"], urlencoded["mime_type"]) == (
        "1",
        "urlencoded",
        "application/x-www-form-urlencoded",
    )
    assert newline["expected_delivery"] == [1, 24, 48]
    assert urlencoded["expected_delivery"] == [0, 1, 24, 48]
    assert [d["hours"] for d in responses["expected_delivery_meanings"]] == [1, 24, 48]
    assert responses["expected_delivery_meanings"][0]["meaning"].startswith("Either isCustomerValidated=Y")


def test_auto_apply_newline_lines_by_status(auto: dict[str, Any]) -> None:
    lines = auto["responses"]["formats"][0]["lines"]
    assert lines == {
        "code_negative": ["errorCode", "errorMessage"],
        "code_non_negative": ["errorCode", "orderNumber", "totalCost", "expectedDeliveryTime"],
    }


def test_auto_apply_urlencoded_parameters(auto: dict[str, Any]) -> None:
    params = [(p["name"], p["type"], p["presence"]) for p in auto["responses"]["parameters"]]
    assert params == [
        ("errorCode", "integer", {"always": True}),
        ("errorMessage", "string", {"code_not_in": [0]}),
        ("orderNumber", "integer", {"code_in": [0]}),
        ("totalCost", "amount", {"code_in": [0]}),
        ("expectedDeliveryTime", "integer", {"code_in": [0]}),
    ]


def test_click_through_response(click: dict[str, Any]) -> None:
    responses = click["responses"]
    assert responses["selected_by"] is None
    # "Variable Name (case insensitive)" heads the response table too
    assert (responses["names_case_insensitive"], responses["names_source_line"]) == (True, 36)
    assert responses["formats"] == [
        {"value": None, "name": "urlencoded", "mime_type": "application/x-www-form-urlencoded"}
    ]
    params = [(p["name"], p["type"], p["presence"]) for p in responses["parameters"]]
    assert params == [
        ("errorCode", "integer", {"always": True}),
        ("errorMessage", "string", {"always": True}),
        ("status", "integer", {"always": True}),
        ("description", "string", {"always": True}),
    ]


# --------------------------------------------------------------------------- endpoint and history


@pytest.mark.parametrize(
    ("endpoint", "printed"),
    [(AUTO, False), (CLICK, True)],  # only UpdateUserEvClickThrough's document prints its URL
)
def test_endpoint(spec_table: Any, endpoint: str, printed: bool) -> None:
    assert spec_table(endpoint)["endpoint"] == {
        "name": endpoint,
        "path": f"/products/!{endpoint}",
        "url": f"https://secure.comodo.net/products/!{endpoint}",
        "method": "POST",
        "request_content_type": "application/x-www-form-urlencoded",
        "url_printed_in_document": printed,
    }


def test_version_histories(auto: dict[str, Any], click: dict[str, Any], spec_source: Any) -> None:
    assert auto["document_version"] == "1.05"
    assert [(h["version"], h["added"], h["changed"]) for h in auto["version_history"]] == [
        ("1.00", [], []),
        ("1.01", ["saspSessionID"], []),
        ("1.02", [], ["emailAddress"]),
        ("1.03", ["foreignOrderNumber", "responseFormat"], []),
        ("1.04", ["checkFONIsUnique"], []),
        ("1.05", ["idaEmailAddress", "idaFaxNumber", "idaTelephoneNumber"], []),
    ]
    assert click["document_version"] == "1.02"
    assert [(h["version"], h["change"]) for h in click["version_history"]] == [
        ("1.00", "Original version."),
        ("1.01", "Some variables description updated."),
        ("1.02", "Updated description of variable adminEmailAddress"),
    ]
    for endpoint, table in ((AUTO, auto), (CLICK, click)):
        lines = spec_source(endpoint).split("\n")
        for h in table["version_history"]:
            assert lines[h["source_line"] - 1] == f"- {h['version']} {h['change']}"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_provenance(spec_table: Any, endpoint: str) -> None:
    table = spec_table(endpoint)
    prov = table["provenance"]
    source = ROOT / prov["source"]
    assert source.name == f"{endpoint}-{table['document_version']}.txt"
    assert prov["source_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert prov["countries"] == {"package": "pycountry", "version": metadata.version("pycountry"), "count": 249}
    assert table["schema_version"] == 1


# --------------------------------------------------------------------------- readings and notes

NOTE_KEYS = {"id", "topic", "fields", "finding", "reading", "strict", "lenient", "differs", "lenient_for", "accept"}


def test_notes_are_complete(auto: dict[str, Any], click: dict[str, Any]) -> None:
    notes = {n["id"]: n for n in auto["notes"] + click["notes"]}
    assert len(notes) >= 12
    for note in notes.values():
        assert set(note) == NOTE_KEYS, note["id"]
        assert all(isinstance(note[k], str) and note[k] for k in ("topic", "finding", "reading", "strict", "lenient"))
        assert isinstance(note["differs"], bool)
        assert note["lenient_for"] in ("receivers", "both", "none"), note["id"]
        # a note that lets a peer depart from the letter serves someone
        assert note["lenient_for"] != "none" or not note["accept"], note["id"]


def test_every_note_says_whom_its_lenient_reading_serves_and_the_codec_carries_it(
    auto: dict[str, Any], click: dict[str, Any]
) -> None:
    """``lenient_for`` reaches the typed notes unchanged; the response notes whose letter is
    explicit serve receivers only, the ones where the documents contradict each other serve both."""
    import codec

    for table in (auto, click):
        typed = codec.endpoint_spec(table["endpoint"]["name"]).notes
        assert {n["id"]: n["lenient_for"] for n in table["notes"]} == {k: v.lenient_for for k, v in typed.items()}
    sides = {n["id"]: n["lenient_for"] for n in auto["notes"] + click["notes"]}
    assert sides["format1-success-message"] == sides["format0-padding"] == "receivers"
    assert sides["format1-status1"] == sides["format0-line-ending"] == sides["https-text"] == "both"
    assert sides["sasp-excludes-login"] == sides["blank-value"] == sides["error-precedence"] == "receivers"


@pytest.mark.parametrize(
    ("note", "fragment"),
    [
        ({"id": "x", "lenient_for": "senders"}, "lenient_for one of"),
        ({"id": "x"}, "lenient_for one of"),
        ({"id": "x", "lenient_for": "none", "accept": {"codes": [-4]}}, "other than none"),
    ],
)
def test_the_build_refuses_a_note_without_a_valid_lenient_for(note: dict[str, Any], fragment: str) -> None:
    from spec.build import _check_lenient_for
    from spec.document import DocumentError

    with pytest.raises(DocumentError, match=fragment):
        _check_lenient_for(note)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_notes_are_the_readings_that_apply(spec_table: Any, endpoint: str) -> None:
    table = spec_table(endpoint)
    names = {f["name"] for f in table["request"]["fields"]}
    readings = tomllib.loads((ROOT / "spec" / "readings.toml").read_text(encoding="utf-8"))
    applies = [
        n["id"]
        for n in readings["note"]
        if ("*" in n["endpoints"] or endpoint in n["endpoints"]) and set(n["fields"]) <= names
    ]
    assert [n["id"] for n in table["notes"]] == sorted(applies)
    assert table["policy"] == readings["policy"]
    cited = {i for f in table["request"]["fields"] for i in f["notes"]} | {r["note"] for r in table["request"]["rules"]}
    assert cited <= set(applies)
    for f in table["request"]["fields"]:
        assert f["notes"] == sorted(n["id"] for n in table["notes"] if f["name"] in n["fields"])


def test_notes_land_on_their_endpoint(auto: dict[str, Any], click: dict[str, Any]) -> None:
    auto_ids, click_ids = {n["id"] for n in auto["notes"]}, {n["id"] for n in click["notes"]}
    assert {"sasp-excludes-login", "days-for-most-products", "flag-lowercase", "country-case"} <= auto_ids - click_ids
    assert {"starred-not-italic", "order-errors-free-text"} <= click_ids - auto_ids
    assert {"blank-value", "duplicate-names", "error-precedence"} <= auto_ids & click_ids


# --------------------------------------------------------------------------- countries and the codec module


def test_country_list_from_pycountry(spec_table: Any) -> None:
    countries = spec_table("countries")
    assert countries["package"] == "pycountry"
    assert countries["version"] == metadata.version("pycountry")
    assert countries["codes"] == sorted({c.alpha_2 for c in pycountry.countries})
    assert countries["count"] == len(countries["codes"])
    assert {"GB", "US", "DE"} <= set(countries["codes"])
    assert "XX" not in countries["codes"]


def _codec_tables_module() -> Any:
    """Load codec/_tables.py by path: the data, without importing the rest of the codec."""
    spec = importlib.util.spec_from_file_location("_spec_test_codec_tables", ROOT / "codec" / "_tables.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_codec_module_carries_the_same_data(spec_table: Any) -> None:
    module = _codec_tables_module()
    assert sorted(module.TABLES) == sorted(ENDPOINTS)
    for name in ENDPOINTS:
        assert module.TABLES[name] == spec_table(name)
    countries = spec_table("countries")
    assert module.COUNTRIES == frozenset(countries["codes"])
    assert module.COUNTRIES_SOURCE == f"pycountry {countries['version']}"


# --------------------------------------------------------------------------- determinism


def test_regenerating_is_deterministic_and_matches_the_committed_files() -> None:
    first, second = render_all(), render_all()
    assert first == second
    assert sorted(str(p) for p in first) == [
        "codec/_models.py",
        "codec/_notes.py",
        "codec/_tables.py",
        "spec/openapi.json",
        "spec/tables/AutoApplyIdA.json",
        "spec/tables/UpdateUserEvClickThrough.json",
        "spec/tables/countries.json",
    ]
    for rel, data in first.items():
        assert (ROOT / rel).read_bytes() == data, rel
    for rel in first:
        if rel.suffix == ".json":
            text = first[rel].decode("utf-8")
            assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
