"""A decoding adapter written by hand, without the codec: what a client in another language has.

Run ``python tests/support/clients/handmade_adapter.py`` behind ``python -m conformance client --adapter``:
with no fault it decodes every answer the tables allow, as the reference adapter does.  With
``--fault NAME`` it makes one decoding mistake that real clients make (see ``FAULTS``), so the
kit can be shown to catch each one.  ``--not-exposed NAME`` (repeatable) drops a parameter from
every answer and says so (protocol v2): an API that does not expose it.  ``--outcome`` adds the
v2 ``outcome`` its API would report.  The protocol is in ``conformance/ADAPTER.md``.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
from typing import Any
from urllib.parse import unquote, unquote_plus

FAULTS = {
    "float-amount": "reads totalCost as a double (1234567890123456.78 becomes ...56.8)",
    "float-order-number": "reads orderNumber through a double, as JavaScript does (2**53 + 1 is lost)",
    "ignores-format-1": "decodes every AutoApplyIdA answer as the newline format",
    "format-from-request-only": "picks the format from responseFormat alone, ignoring Content-Type",
    "success-message-is-error": "treats errorMessage beside errorCode=0 as an error",
    "keeps-cr": "splits lines on LF only, so CRLF leaves a CR on every value",
    "needs-final-newline": "drops the last line, assuming it is empty after the final newline",
    "plus-not-space": "percent-decodes form values without turning '+' into a space",
    "invents-missing-lines": "reads a successful order's missing lines as 0 (urldecode() then explode())",
    "double-decoding": "percent-decodes the body, then parses it as a form (PHP's urldecode() then parse_str())",
    "case-sensitive-names": "looks response names up exactly, and reports 99 when errorCode is not found",
    "status1-is-error": "reports status 1 (Successful, Payment Required) as a failure (with --outcome)",
    "drops-description": "leaves description out of its answers without saying it does not expose it",
}

AMOUNT = re.compile(r"[0-9]+(\.[0-9]+)?\Z")
INTEGER = re.compile(r"-?[0-9]+\Z")
INTEGERS = {"errorCode", "orderNumber", "expectedDeliveryTime", "status"}
ORDER_LINES = ("orderNumber", "totalCost", "expectedDeliveryTime")


class Refused(Exception):
    """The body cannot be read."""


def newline_format(text: str, fault: str | None) -> dict[str, str]:
    if fault == "keeps-cr":
        lines = text.split("\n")
    else:
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if fault == "needs-final-newline":
        lines = lines[:-1]
    elif lines and lines[-1] == "":
        lines.pop()
    if fault != "keeps-cr":
        lines = [line.strip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        raise Refused("empty body")
    code = lines[0]
    names = ["errorCode", "errorMessage"] if code.startswith("-") else ["errorCode", *ORDER_LINES]
    values = dict(zip(names, lines, strict=False))
    if not code.startswith("-") and len(lines) < len(names):
        if fault != "invents-missing-lines":
            raise Refused(f"line {len(lines) + 1} is missing")
        values.update({name: "0" for name in names[len(lines) :]})
    return values


NAMES = {n.lower(): n for n in ("errorCode", "errorMessage", *ORDER_LINES, "status", "description")}


def form(text: str, fault: str | None) -> dict[str, str]:
    values: dict[str, str] = {}
    unquote_value = unquote if fault == "plus-not-space" else unquote_plus
    if fault == "double-decoding":
        text = unquote(text)
    for pair in text.split("&") if text else []:
        name, _, value = pair.partition("=")
        if re.search(r"%(?![0-9A-Fa-f]{2})", pair) and fault != "double-decoding":
            raise Refused(f"bad percent escape in {name!r}")
        name = unquote_plus(name)
        if fault != "case-sensitive-names":
            name = NAMES.get(name.lower(), name)
        values.setdefault(name, unquote_value(value, errors="strict"))
    if fault == "case-sensitive-names" and "errorCode" not in values:
        values["errorCode"] = "99"
    return values


def decode(message: dict[str, Any], fault: str | None) -> dict[str, Any]:
    body = base64.b64decode(message["body_base64"])
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("not UTF-8") from None
    endpoint = message["endpoint"]
    requested = message.get("response_format")
    mime = (message.get("content_type") or "").split(";")[0].strip().lower()
    if endpoint != "AutoApplyIdA":
        urlencoded = True
    elif fault == "ignores-format-1":
        urlencoded = False
    elif requested is not None or fault == "format-from-request-only":
        urlencoded = requested == 1
    else:
        urlencoded = mime == "application/x-www-form-urlencoded"
    values = form(text, fault) if urlencoded else newline_format(text, fault)
    if "errorCode" not in values:
        raise Refused("no errorCode")
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name in INTEGERS:
            if not INTEGER.match(value):
                raise Refused(f"{name} is not an integer: {value!r}")
            out[name] = int(float(value)) if (name == "orderNumber" and fault == "float-order-number") else int(value)
        elif name == "totalCost":
            if not AMOUNT.match(value):
                raise Refused(f"totalCost is not an amount: {value!r}")
            out[name] = float(value) if fault == "float-amount" else value
        else:
            out[name] = value
    if endpoint == "AutoApplyIdA" and out["errorCode"] == 0:
        missing = [n for n in ORDER_LINES if n not in out]
        if missing:
            raise Refused(f"a successful order without {', '.join(missing)}")
    if fault == "success-message-is-error" and out["errorCode"] == 0 and out.get("errorMessage"):
        raise Refused(f"the server reported an error: {out['errorMessage']}")
    if fault == "drops-description":
        out.pop("description", None)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fault", choices=sorted(FAULTS), help="make this one decoding mistake")
    parser.add_argument("--not-exposed", action="append", default=[], help="a parameter its API does not expose")
    parser.add_argument("--outcome", action="store_true", help="say whether its API reports success or failure")
    args = parser.parse_args()
    fault = args.fault
    for line in sys.stdin:
        message = json.loads(line)
        try:
            reply = {"id": message["id"], **decode(message, fault)}
            for name in args.not_exposed:
                reply.pop(name, None)
            if args.not_exposed:
                reply["not_exposed"] = args.not_exposed
            if args.outcome:
                code = reply.get("errorCode", 0)
                failed = code < 0 or (fault == "status1-is-error" and code > 0)
                reply["outcome"] = "failure" if failed else "success"
        except (Refused, UnicodeDecodeError) as exc:
            reply = {"id": message["id"], "error": str(exc)}
        print(json.dumps(reply), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
