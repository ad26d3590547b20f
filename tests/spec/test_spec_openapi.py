"""``spec/openapi.json``: an OpenAPI 3.1 description made from the tables.

It must be a valid OpenAPI 3.1 document (openapi-spec-validator), carry every table fact (each
variable's limit, allowed values and presence, each rule, code, message template, response
parameter and status), accept what the documents allow and refuse what they do not (checked with
jsonschema on requests and answers written by hand and by the codec), and be regenerated and
checked like the other generated files.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import validate as validate_openapi

import codec
import spec.__main__ as cli
from spec.openapi import OPENAPI_FILE, load_tables, openapi_document, render_openapi
from spec.render import ROOT, render_all

AUTO = "AutoApplyIdA"
CLICK = "UpdateUserEvClickThrough"
TABLES_DIR = ROOT / "spec" / "tables"
TABLES, COUNTRIES = load_tables(TABLES_DIR)
COMMITTED = ROOT / OPENAPI_FILE
DOC: dict[str, Any] = json.loads(COMMITTED.read_text(encoding="utf-8"))
SCHEMAS: dict[str, Any] = DOC["components"]["schemas"]
FORM = "application/x-www-form-urlencoded"


def operation(name: str) -> dict[str, Any]:
    op: dict[str, Any] = DOC["paths"][TABLES[name]["endpoint"]["path"]]["post"]
    return op


def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema)


def valid(schema: dict[str, Any], instance: Any) -> bool:
    return validator(schema).is_valid(instance)


# --------------------------------------------------------------------------- the document


def test_it_is_a_valid_openapi_31_document() -> None:
    validate_openapi(DOC)  # raises on any violation of the OpenAPI 3.1 schema
    assert DOC["openapi"] == "3.1.0"
    for schema in SCHEMAS.values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_the_committed_file_is_what_the_tables_give() -> None:
    assert COMMITTED.read_bytes() == render_openapi(TABLES, COUNTRIES)
    assert render_all()[OPENAPI_FILE] == COMMITTED.read_bytes()  # regenerate writes it, check compares it
    text = COMMITTED.read_text(encoding="utf-8")
    assert text == json.dumps(DOC, indent=2, sort_keys=True, ensure_ascii=False) + "\n"  # sorted keys


def test_provenance_and_servers() -> None:
    provenance = DOC["info"]["x-provenance"]
    assert provenance["documents"] == [
        {
            "endpoint": name,
            "version": TABLES[name]["document_version"],
            "source": TABLES[name]["provenance"]["source"],
            "sha256": TABLES[name]["provenance"]["source_sha256"],
        }
        for name in sorted(TABLES)
    ]
    assert provenance["countries"] == {k: COUNTRIES[k] for k in ("package", "version", "count")}
    assert DOC["info"]["version"] == "AutoApplyIdA 1.05; UpdateUserEvClickThrough 1.02"
    for name in TABLES:
        assert TABLES[name]["provenance"]["source_sha256"] in DOC["info"]["description"]
    assert DOC["servers"] == [{"url": "https://secure.comodo.net", "description": "the vendor"}]
    assert sorted(DOC["paths"]) == ["/products/!AutoApplyIdA", "/products/!UpdateUserEvClickThrough"]
    for path, item in DOC["paths"].items():
        assert list(item) == ["post"]
        assert item["post"]["requestBody"]["required"] is True
        assert list(item["post"]["requestBody"]["content"]) == [FORM]
        assert DOC["servers"][0]["url"] + path == TABLES[item["post"]["operationId"]]["endpoint"]["url"]


# --------------------------------------------------------------------------- every table fact


@pytest.mark.parametrize("name", [AUTO, CLICK])
def test_every_variable_with_its_limit_values_and_presence(name: str) -> None:
    table = TABLES[name]
    schema = SCHEMAS[f"{name}Request"]
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    fields = table["request"]["fields"]
    assert sorted(schema["properties"]) == sorted(f["name"] for f in fields)
    assert schema["required"] == [f["name"] for f in fields if f["presence"] == "required"]
    for f in fields:
        prop = schema["properties"][f["name"]]
        assert prop["type"] == "string", f["name"]
        assert prop.get("maxLength") == f["max_length"], f["name"]
        assert prop.get("default") == f["default"], f["name"]
        assert prop["x-since"] == f["since"]
        assert (prop.get("minLength") == 1) == (f["presence"] != "optional"), f["name"]
        assert (prop.get("format") == "password" and prop.get("writeOnly") is True) == f["secret"], f["name"]
        assert " ".join(f["description"].split()) in prop["description"]
        for note in f["notes"]:
            assert f"Note `{note}`" in prop["description"]
        allowed = f["allowed"]
        kind = allowed["kind"] if allowed else None
        if kind in ("enum", "flag", "numeric_enum", "integer_enum"):
            assert prop["enum"] == allowed["values"], f["name"]
        elif kind == "comma_list":
            # every list of distinct values, nothing else
            assert prop["pattern"] == "^(?:36|37|36,37|37,36)$"
            for text in ("36", "37", "36,37", "37,36"):
                assert re.search(prop["pattern"], text)
            for text in ("36,36", "36,", ",37", "36 ,37", "", "38", "36,37,36"):
                assert not re.search(prop["pattern"], text)
        elif kind == "country":
            assert prop["enum"] == COUNTRIES["codes"] and prop["pattern"] == "^[A-Z]{2}$"
        else:
            assert "enum" not in prop, f["name"]
        if f["type"] == "integer":
            assert prop["pattern"] == "^[1-9][0-9]*$"
        for special in f["special_values"]:
            assert f"'{special['value']}'" in prop["description"]


@pytest.mark.parametrize("name", [AUTO, CLICK])
def test_every_code_and_template_is_documented(name: str) -> None:
    op = operation(name)
    codes = TABLES[name]["codes"]
    assert [c["code"] for c in op["x-error-codes"]] == [c["code"] for c in codes]
    assert [c["message"] for c in op["x-error-codes"]] == [c["message"] for c in codes]
    description = op["responses"]["200"]["description"]
    for c in codes:
        message = c["message"].replace("|", "\\|")
        assert f"| {c['code']} | {message}" in description
    response = SCHEMAS[f"{name}Response"]
    assert response["properties"]["errorCode"]["enum"] == [str(c["code"]) for c in codes]
    messages = response["allOf"][1]["oneOf"]
    assert [m["properties"]["errorCode"]["const"] for m in messages] == [str(c["code"]) for c in codes]
    assert set(op["x-notes"]) == {n["id"] for n in TABLES[name]["notes"]}


def test_response_parameters_statuses_and_media_types() -> None:
    auto = operation(AUTO)["responses"]["200"]["content"]
    assert sorted(auto) == [FORM, "text/plain"]
    assert auto["text/plain"]["schema"]["type"] == "string"
    assert auto[FORM]["schema"] == {"$ref": f"#/components/schemas/{AUTO}Response"}
    click = operation(CLICK)["responses"]["200"]["content"]
    assert list(click) == [FORM]
    for name in (AUTO, CLICK):
        params = TABLES[name]["responses"]["parameters"]
        response = SCHEMAS[f"{name}Response"]
        assert sorted(response["properties"]) == sorted(p["name"] for p in params)
        assert response["required"] == [p["name"] for p in params if p["presence"].get("always")]
    statuses = SCHEMAS[f"{CLICK}Response"]["properties"]["status"]["enum"]
    assert statuses == [str(s["status"]) for s in TABLES[CLICK]["statuses"]]
    assert SCHEMAS[f"{AUTO}Response"]["properties"]["expectedDeliveryTime"]["enum"] == ["0", "1", "24", "48"]


# --------------------------------------------------------------------------- requests


def order(**changes: str | None) -> dict[str, str]:
    """A valid AutoApplyIdA order (by the document's letter), with *changes* (None: left out)."""
    body = {
        "loginName": "reseller",
        "loginPassword": "s3cret",
        "product": "36,37",
        "days": "365",
        "location": "www.example.com/*",
        "organizationName": "Example Ltd",
        "streetAddress1": "1 High Street",
        "localityName": "Leeds",
        "stateOrProvinceName": "West Yorkshire",
        "postalCode": "LS1 1AA",
        "countryName": "GB",
        "isCustomerValidated": "y",
        "responseFormat": "1",
        "test": "Y",
    }
    return changed(body, changes)


def changed(body: dict[str, str], changes: dict[str, str | None]) -> dict[str, str]:
    """*body* with *changes* (None: the variable left out)."""
    out = {**body, **{k: v for k, v in changes.items() if v is not None}}
    return {k: v for k, v in out.items() if changes.get(k, "") is not None}


ORDERS_ACCEPTED = {
    "full": order(),
    "sasp-instead-of-login": order(loginName=None, loginPassword=None, saspSessionID="0123456789abcdef"),
    "at-the-limit": order(postalCode="x" * 40, organizationName="ä" * 64),
    "one-product": order(product="37"),
    "optional-ida-without-limit": order(idaEmailAddress="x" * 1000),
    "special-email": order(emailAddress="none"),
}
ORDERS_REFUSED = {
    "over-the-limit": order(postalCode="x" * 41),
    "missing-required": order(postalCode=None),
    "blank-required": order(postalCode=""),
    "login-missing-without-sasp": order(loginPassword=None),
    "sasp-with-login": order(saspSessionID="0123456789abcdef"),
    "days-not-listed": order(days="366"),
    "days-not-integer": order(days="1y"),
    "repeated-product": order(product="36,36"),
    "product-with-space": order(product="36, 37"),
    "unknown-product": order(product="38"),
    "lower-case-country": order(countryName="gb"),
    "unknown-country": order(countryName="XX"),
    "flag-not-documented": order(checkFONIsUnique="y"),
    "format-not-listed": order(responseFormat="2"),
    "unknown-variable": order(newField="x"),
}


@pytest.mark.parametrize("body", ORDERS_ACCEPTED.values(), ids=ORDERS_ACCEPTED.keys())
def test_orders_the_documents_allow(body: dict[str, str]) -> None:
    assert valid(SCHEMAS[f"{AUTO}Request"], body)


@pytest.mark.parametrize("body", ORDERS_REFUSED.values(), ids=ORDERS_REFUSED.keys())
def test_orders_the_documents_refuse(body: dict[str, str]) -> None:
    assert not valid(SCHEMAS[f"{AUTO}Request"], body)


def click(**changes: str | None) -> dict[str, str]:
    body = {"loginName": "reseller", "loginPassword": "s3cret", "action": "ResendEmail", "orderNumber": "1234"}
    return changed(body, changes)


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        (click(), True),
        (click(action="ReplaceMailAddress", adminEmailAddress="new@example.com"), True),
        (click(adminEmailAddress="new@example.com"), True),
        (click(action="ReplaceMailAddress"), False),  # required when action=ReplaceMailAddress
        (click(action="replacemailaddress", adminEmailAddress="a@b.c"), False),  # strict: exact value
        (click(action="CancelEmail"), False),
        (click(orderNumber="x" * 129), False),
        (click(loginName=None), False),
    ],
)
def test_click_through_requests(body: dict[str, str], ok: bool) -> None:
    assert valid(SCHEMAS[f"{CLICK}Request"], body) is ok


# --------------------------------------------------------------------------- answers


def newline_schema() -> dict[str, Any]:
    schema: dict[str, Any] = operation(AUTO)["responses"]["200"]["content"]["text/plain"]["schema"]
    return schema


def codec_answers(name: str) -> list[tuple[str, int, bytes]]:
    """Every error answer of *name* in every format, as the codec writes it: (mime, code, body)."""
    out = []
    formats = [0, 1] if name == AUTO else [None]
    for c in TABLES[name]["codes"]:
        if c["code"] >= 0 and name == AUTO:
            continue
        response = codec.error_response(name, c["code"], "postalCode")
        for fmt in formats:
            encoded = codec.encode_response(response, response_format=fmt)
            out.append((encoded.content_type.split(";")[0], c["code"], encoded.body))
    return out


def form(body: bytes) -> dict[str, str]:
    return dict(codec.decode_form(body))


@pytest.mark.parametrize("name", [AUTO, CLICK])
def test_the_codecs_error_answers_are_valid(name: str) -> None:
    answers = codec_answers(name)
    assert answers
    for mime, code, body in answers:
        if mime == "text/plain":
            assert valid(newline_schema(), body.decode("utf-8")), (code, body)
        else:
            assert valid(SCHEMAS[f"{name}Response"], form(body)), (code, body)


NEWLINE_ACCEPTED = {
    "success": "0\n1234\n12.50\n1\n",
    "payment-required": "1\n1234\n12\n48\n",
    "no-final-newline": "0\n1234\n12.50\n24",
    "missing-argument": "-3\nThe 'postalCode' argument is missing!\n",
    "country": "-7\n'XX' is not a valid ISO-3166 country!\n",
}
NEWLINE_REFUSED = {
    "dollar-amount": "0\n1234\n$12.50\n1\n",
    "delivery-0-in-newline-format": "0\n1234\n12.50\n0\n",
    "delivery-72": "0\n1234\n12.50\n72\n",
    "order-number-not-integer": "0\nORD-1\n12.50\n1\n",
    "last-line-missing": "0\n1234\n12.50\n",
    "crlf": "0\r\n1234\r\n12.50\r\n1\r\n",
    "code-outside-table": "-5\nInvalid value!\n",
    "message-off-template": "-3\nMissing parameter postalCode\n",
    "newline-in-message": "-4\nThe value of the 'a\nb' argument is invalid!\n",
    "blank-line-at-end": "0\n1234\n12.50\n1\n\n",
}


@pytest.mark.parametrize("body", NEWLINE_ACCEPTED.values(), ids=NEWLINE_ACCEPTED.keys())
def test_newline_answers_the_documents_allow(body: str) -> None:
    assert valid(newline_schema(), body)


@pytest.mark.parametrize("body", NEWLINE_REFUSED.values(), ids=NEWLINE_REFUSED.keys())
def test_newline_answers_the_documents_refuse(body: str) -> None:
    assert not valid(newline_schema(), body)


SUCCESS = {"errorCode": "0", "orderNumber": "1234", "totalCost": "12.50", "expectedDeliveryTime": "0"}
FORM_CASES = [
    (SUCCESS, True),
    ({**SUCCESS, "errorCode": "1", "errorMessage": "Successful, Payment Required"}, True),  # note format1-status1
    ({"errorCode": "1", "errorMessage": "Successful, Payment Required"}, True),  # the letter
    ({"errorCode": "-4", "errorMessage": "The value of the 'days' argument is invalid!"}, True),
    ({**SUCCESS, "errorMessage": "Successful"}, False),  # not present when errorCode=0
    ({k: v for k, v in SUCCESS.items() if k != "totalCost"}, False),  # only present when errorCode=0 -> required
    ({"errorCode": "-4"}, False),  # errorMessage missing
    ({"errorCode": "-4", "errorMessage": "Invalid!"}, False),  # off its template
    ({"errorCode": "-3", "errorMessage": "The 'x' argument is missing!", "orderNumber": "1"}, False),
    ({**SUCCESS, "totalCost": "$12.50"}, False),
    ({**SUCCESS, "expectedDeliveryTime": "72"}, False),
    ({**SUCCESS, "extra": "1"}, False),
    ({"errorCode": "-5", "errorMessage": "Invalid value!"}, False),
]


@pytest.mark.parametrize(("answer", "ok"), FORM_CASES)
def test_url_encoded_answers(answer: dict[str, str], ok: bool) -> None:
    assert valid(SCHEMAS[f"{AUTO}Response"], answer) is ok


@pytest.mark.parametrize(
    ("answer", "ok"),
    [
        (
            {"errorCode": "0", "errorMessage": "Successful", "status": "1", "description": "Successfully completed"},
            True,
        ),
        ({"errorCode": "-20", "errorMessage": "Order '1' was not found!", "status": "0", "description": "x"}, True),
        ({"errorCode": "0", "errorMessage": "Successful", "status": "3", "description": "x"}, False),
        ({"errorCode": "0", "errorMessage": "Successful", "status": "1"}, False),
        ({"errorCode": "-2", "errorMessage": "Unrecognised argument!", "status": "0", "description": "x"}, False),
    ],
)
def test_click_through_answers(answer: dict[str, str], ok: bool) -> None:
    assert valid(SCHEMAS[f"{CLICK}Response"], answer) is ok


# --------------------------------------------------------------------------- generated like the tables


def test_openapi_command_prints_and_writes_the_committed_description(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["openapi"]) == 0
    assert capsys.readouterr().out.encode("utf-8") == COMMITTED.read_bytes()
    out = tmp_path / "api" / "openapi.json"
    out.parent.mkdir()
    assert cli.main(["openapi", "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote     {out}\n"
    assert out.read_bytes() == COMMITTED.read_bytes()
    assert cli.main(["openapi", "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"unchanged {out}\n"


def test_openapi_from_another_tables_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tables = tmp_path / "tables"
    shutil.copytree(TABLES_DIR, tables)
    auto = json.loads((tables / "AutoApplyIdA.json").read_text(encoding="utf-8"))
    next(f for f in auto["request"]["fields"] if f["name"] == "postalCode")["max_length"] = 30
    (tables / "AutoApplyIdA.json").write_text(json.dumps(auto), encoding="utf-8")
    assert cli.main(["openapi", "--tables", str(tables)]) == 0
    written = json.loads(capsys.readouterr().out)
    assert written["components"]["schemas"][f"{AUTO}Request"]["properties"]["postalCode"]["maxLength"] == 30

    (tables / "countries.json").unlink()
    assert cli.main(["openapi", "--tables", str(tables)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"spec: {tables}: expected the endpoint tables and countries.json, found ")
    assert err.count("\n") == 1


def test_check_fails_when_the_description_drifts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "tree"
    for rel in [*render_all(), Path("pyproject.toml")]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / rel, root / rel)
    monkeypatch.setattr(cli, "ROOT", root)
    assert cli.main(["check"]) == 0
    stale = copy.deepcopy(DOC)
    stale["info"]["version"] = "stale"
    (root / OPENAPI_FILE).write_text(json.dumps(stale, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    assert cli.main(["check"]) == 1
    assert cli.main(["regenerate"]) == 0
    assert (root / OPENAPI_FILE).read_bytes() == COMMITTED.read_bytes()


def test_a_new_document_version_reaches_the_description() -> None:
    """A table with a new variable, a changed limit and a new code: the description follows."""
    tables = copy.deepcopy(TABLES)
    auto = tables[AUTO]
    auto["request"]["fields"].append({**auto["request"]["fields"][-1], "name": "newField", "max_length": 32})
    next(f for f in auto["request"]["fields"] if f["name"] == "companyNumber")["max_length"] = 30
    auto["codes"].append({**auto["codes"][-1], "code": -18, "message": "Something new!"})
    doc = openapi_document(tables, COUNTRIES)
    request = doc["components"]["schemas"][f"{AUTO}Request"]["properties"]
    assert request["newField"]["maxLength"] == 32 and request["companyNumber"]["maxLength"] == 30
    assert doc["paths"]["/products/!AutoApplyIdA"]["post"]["x-error-codes"][-1]["message"] == "Something new!"
    newline = doc["paths"]["/products/!AutoApplyIdA"]["post"]["responses"]["200"]["content"]["text/plain"]["schema"]
    assert valid(newline, "-18\nSomething new!\n")


def test_the_order_number_links_an_order_to_its_click_through() -> None:
    """AutoApplyIdA answers an orderNumber; UpdateUserEvClickThrough takes one: a link (which
    Schemathesis's stateful phase follows) puts the one into the other's body."""
    links = operation(AUTO)["responses"]["200"]["links"]
    assert links == {
        CLICK: {
            "operationId": CLICK,
            "requestBody": {"orderNumber": "$response.body#/orderNumber"},
            "description": "orderNumber of this answer (when it carries it) in the body of !UpdateUserEvClickThrough",
        }
    }
    assert "links" not in operation(CLICK)["responses"]["200"]
    assert any(p["name"] == "orderNumber" for p in TABLES[AUTO]["responses"]["parameters"])
    assert any(f["name"] == "orderNumber" for f in TABLES[CLICK]["request"]["fields"])
