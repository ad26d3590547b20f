"""Schemathesis hooks for the benchmark's ``st run`` (loaded with ``SCHEMATHESIS_HOOKS``).

What a Schemathesis user would set up for these endpoints, and nothing that judges for it:

* deserializers for the two media types the answers come in: Schemathesis has neither.  Without
  one for ``application/x-www-form-urlencoded`` it skips validating every URL-encoded answer (it
  warns "Schema validation skipped"); without one for ``text/plain`` it skips the newline answers
  without a word (a newline answer missing its last line passed 323 cases).  The URL-encoded answer
  becomes a dict of strings and the newline answer its text, as ``spec/openapi.json`` describes;
* before every call, the benchmark account's credentials in the login variables the generated
  body has (the kit gets the same account), and ``test=Y`` in every AutoApplyIdA body, so that
  no order it places could be charged (the reference server is a throw-away simulator: this is
  about an honest set-up, not about money).  Which variables a body carries stays Schemathesis's
  choice.

Credentials come from ``COMODO_BENCH_ST_LOGIN_NAME``, ``COMODO_BENCH_ST_PASSWORD`` and
``COMODO_BENCH_ST_SASP`` (set by ``test_bench_schemathesis.py``), never from arguments.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qsl

import schemathesis

_CREDENTIALS = {
    "loginName": "COMODO_BENCH_ST_LOGIN_NAME",
    "loginPassword": "COMODO_BENCH_ST_PASSWORD",
    "saspSessionID": "COMODO_BENCH_ST_SASP",
}


@schemathesis.deserializer("application/x-www-form-urlencoded")
def deserialize_form(ctx: Any, response: Any) -> dict[str, str]:
    """``a=1&b=2`` -> ``{"a": "1", "b": "2"}`` (UTF-8, blank values kept; a repeated name keeps
    its last value)."""
    return dict(parse_qsl(response.content.decode("utf-8"), keep_blank_values=True))


@schemathesis.deserializer("text/plain")
def deserialize_text(ctx: Any, response: Any) -> str:
    """The body as text (UTF-8), for the newline format's string schema."""
    return str(response.content.decode("utf-8"))


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    body = case.body
    if not isinstance(body, dict):
        return
    for name, variable in _CREDENTIALS.items():
        value = os.environ.get(variable)
        if name in body and value:
            body[name] = value
    if case.operation.path.endswith("!AutoApplyIdA"):
        body["test"] = "Y"
