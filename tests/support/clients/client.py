"""An example client of both endpoints, written for ``python -m conformance client``.

    python -m conformance client -- python tests/support/clients/client.py

It reads what the kit gives every client -- ``COMODO_API_URL`` (ending ``/products/``), the CA
in ``SSL_CERT_FILE`` (plain HTTP when the URL is ``http://``), ``COMODO_LOGIN_NAME``,
``COMODO_LOGIN_PASSWORD`` and ``COMODO_SASP_SESSION_ID`` -- builds typed requests with the codec
(``codec.encode_request`` validates them against the tables), sends them with the standard
library, and decodes the answers with ``codec.decode_response``:

1. a test order (``test=Y``) with loginName/loginPassword, answered URL-encoded, with an
   organizationName of exactly 64 characters -- the limit, counted in characters, not bytes;
2. a click-through on that order (``ReplaceMailAddress`` with ``adminEmailAddress``);
3. a second test order with the SASP session instead of the login, answered newline-delimited.

``--fault NAME`` makes one deliberate mistake instead (see ``FAULTS``), so the kit can be shown to
catch each one.  Exit status: 0 when every answer was a success, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import ssl
import sys
import urllib.request
from typing import Any

import codec

FAULTS = {
    "get": "sends the order with GET, its form in the query string",
    "lowercase-post": "sends the order with the method post (methods are case-sensitive: it is not POST)",
    "content-type": "labels the order's body text/plain",
    "missing": "leaves postalCode (required) out of the order",
    "over-length": "sends an organizationName of 65 characters (130 bytes; the limit is 64 characters)",
    "disallowed": "sends isCustomerValidated=X (allowed: Y, N, y, n)",
    "unknown-name": "adds a variable the API does not have (colour=blue)",
    "sasp-with-login": "sends saspSessionID together with loginName and loginPassword",
    "no-admin-email": "asks ReplaceMailAddress without adminEmailAddress",
    "wrong-path": "posts the order to /products/AutoApplyIdA (no '!')",
    "nothing": "sends no request at all",
    "four-faults": "leaves postalCode out, sends days=366, a 65-character organizationName and colour=blue",
    "ignores-ca-file": "verifies the vendor against the system's CAs, not SSL_CERT_FILE (as PHP's cURL does)",
}

# 64 characters, 72 bytes in UTF-8: at the limit, which counts characters
ORGANIZATION = "Société Générale de Bâtiment et Œuvres d'Art, Zürich & Genève SA"


def send(base: str, path: str, body: bytes, *, method: str = "POST", content_type: str | None = None) -> Any:
    """One request; returns (Content-Type, body) of the answer."""
    url = base.rstrip("/") + "/" + path
    if method == "GET":
        url, body = f"{url}?{body.decode('ascii')}", b""
    request = urllib.request.Request(url, data=body or None, method=method)
    if content_type:
        request.add_header("Content-Type", content_type)
    context = ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE")) if url.startswith("https") else None
    if context is not None and os.environ.get("IGNORE_CA_FILE"):
        os.environ.pop("SSL_CERT_FILE", None)  # the system's CAs only
        context = ssl.create_default_context()
    with urllib.request.urlopen(request, timeout=15, context=context) as answer:
        return answer.headers.get("Content-Type"), answer.read()


def order_request(login: dict[str, str], response_format: int | None) -> codec.AutoApplyIdARequest:
    return codec.AutoApplyIdARequest(
        **login,
        product=(36,),
        days=365,
        location="https://www.example.com/",
        organization_name=ORGANIZATION,
        street_address1="Bahnhofstrasse 1",
        locality_name="Zürich",
        state_or_province_name="ZH",
        postal_code="8001",
        country_name="CH",
        is_customer_validated=False,
        response_format=response_format,
        test=True,
    )


def main() -> int:
    try:
        return run()
    except (OSError, codec.CodecError) as exc:  # urllib's errors are OSErrors
        print(f"client: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def run() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fault", choices=sorted(FAULTS), help="make this one mistake")
    fault = parser.parse_args().fault
    if fault == "nothing":
        return 0
    env = os.environ
    base = env["COMODO_API_URL"]
    login = {"login_name": env["COMODO_LOGIN_NAME"], "login_password": env["COMODO_LOGIN_PASSWORD"]}
    auto = codec.endpoint_spec("AutoApplyIdA")

    # 1. a test order, answered URL-encoded
    http = codec.encode_request(order_request(login, 1))
    wire = codec.request_to_wire(order_request(login, 1))
    if fault == "missing":
        del wire["postalCode"]
    elif fault == "over-length":
        wire["organizationName"] = "é" * 65
    elif fault == "disallowed":
        wire["isCustomerValidated"] = "X"
    elif fault == "unknown-name":
        wire["colour"] = "blue"
    elif fault == "sasp-with-login":
        wire["saspSessionID"] = env["COMODO_SASP_SESSION_ID"]
    elif fault == "four-faults":
        del wire["postalCode"]
        wire.update(days="366", organizationName="x" * 65, colour="blue")
    elif fault == "ignores-ca-file":
        os.environ["IGNORE_CA_FILE"] = "1"
    body = codec.encode_request_fields("AutoApplyIdA", wire, validate=False).body if fault else http.body
    path = "!AutoApplyIdA" if fault != "wrong-path" else "AutoApplyIdA"
    method = {"get": "GET", "lowercase-post": "post"}.get(fault or "", "POST")
    content_type = "text/plain" if fault == "content-type" else auto.content_type
    answer_type, answer = send(base, path, body, method=method, content_type=content_type)
    placed = codec.decode_response("AutoApplyIdA", answer, content_type=answer_type, response_format=1)
    if placed.error_code != 0:
        print(f"order refused: {placed.error_code} {placed.error_message}", file=sys.stderr)
        return 1
    print(f"placed test order {placed.order_number} ({placed.total_cost}, {placed.expected_delivery_time} h)")

    # 2. a click-through on it
    click = codec.UpdateUserEvClickThroughRequest(
        **login,
        action="ReplaceMailAddress",
        order_number=str(placed.order_number),
        admin_email_address="it@example.com",
    )
    wire = codec.request_to_wire(click)
    if fault == "no-admin-email":
        del wire["adminEmailAddress"]
    body = codec.encode_request_fields("UpdateUserEvClickThrough", wire, validate=fault is None).body
    answer_type, answer = send(base, "!UpdateUserEvClickThrough", body, content_type=auto.content_type)
    clicked = codec.decode_response("UpdateUserEvClickThrough", answer, content_type=answer_type)
    if clicked.error_code != 0:
        print(f"click-through refused: {clicked.error_code} {clicked.error_message}", file=sys.stderr)
        return 1
    print(f"click-through: status {clicked.status} ({clicked.description})")

    # 3. a second test order with the SASP session, answered in the default (newline) format
    http = codec.encode_request(order_request({"sasp_session_id": env["COMODO_SASP_SESSION_ID"]}, None))
    answer_type, answer = send(base, "!AutoApplyIdA", http.body, content_type=auto.content_type)
    second = codec.decode_response("AutoApplyIdA", answer, content_type=answer_type)
    if second.error_code != 0:
        print(f"SASP order refused: {second.error_code} {second.error_message}", file=sys.stderr)
        return 1
    print(f"placed test order {second.order_number} with the SASP session")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
