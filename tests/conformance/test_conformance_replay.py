"""Replay lines (``conformance.report.curl_line``): what a shell makes of them.

Each line is run by bash with ``curl`` replaced by a function that prints its arguments, so the
test sees exactly the arguments curl would get: the secret read from its environment variable
(never written in the line), every other pair as sent, GET's pairs in the query (``-G``).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

import codec
from conformance.report import curl_line
from conformance.results import Exchange

PASSWORD = "canary Pa55+7f3e&/é'$x\"`"
URL = "https://127.0.0.1:8443/products/!AutoApplyIdA"
REPLAY = {PASSWORD: "COMODO_LOGIN_PASSWORD"}

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")


def _arguments(line: str, password: str = PASSWORD) -> list[str]:
    """The arguments bash passes to curl for *line*, with the password in the environment."""
    script = 'curl() { printf "%s\\0" "$@"; }\n' + line
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, env={"COMODO_LOGIN_PASSWORD": password}, timeout=10, check=True
    )
    return done.stdout.decode("utf-8").split("\0")[:-1]


def _exchange(method: str, pairs: list[tuple[str, str]]) -> Exchange:
    body = codec.encode_form(pairs)
    ctype = None if method == "GET" else "application/x-www-form-urlencoded"
    return Exchange(codec.AUTO_APPLY_IDA, method, URL, body, 0, request_content_type=ctype)


def test_a_post_reads_the_password_from_the_environment() -> None:
    exchange = _exchange("POST", [("loginName", "me"), ("loginPassword", PASSWORD), ("product", "36")])
    line = curl_line(exchange, [PASSWORD], "/etc/ca.pem", REPLAY)
    assert "canary" not in line and '"$COMODO_LOGIN_PASSWORD"' in line
    assert _arguments(line) == [
        "-sS",
        "-X",
        "POST",
        "-H",
        "Content-Type: application/x-www-form-urlencoded",
        "--cacert",
        "/etc/ca.pem",
        "--data-binary",
        "loginName=me",
        "--data-urlencode",
        f"loginPassword={PASSWORD}",
        "--data-binary",
        "product=36",
        URL,
    ]


def test_a_wrong_password_is_the_variable_and_what_the_kit_added() -> None:
    exchange = _exchange("POST", [("loginName", "me"), ("loginPassword", PASSWORD + "-wrong")])
    line = curl_line(exchange, [PASSWORD], None, REPLAY)
    assert _arguments(line)[-2] == f"loginPassword={PASSWORD}-wrong"


def test_a_get_carries_its_pairs_in_the_query() -> None:
    exchange = _exchange("GET", [("loginName", "me"), ("loginPassword", PASSWORD)])
    args = _arguments(curl_line(exchange, [PASSWORD], None, REPLAY))
    assert args[:2] == ["-sS", "-G"] and "-H" not in args and "POST" not in args
    assert args[-4:] == ["loginName=me", "--data-urlencode", f"loginPassword={PASSWORD}", URL]


def test_a_secret_without_a_variable_is_redacted() -> None:
    """No variable for it (a client mode run, a value the kit did not choose): <redacted>, never the value."""
    exchange = _exchange("POST", [("saspSessionID", "0123456789abcdef"), ("loginPassword", PASSWORD)])
    line = curl_line(exchange, [PASSWORD], None, {})
    assert "canary" not in line and "0123456789abcdef" not in line and codec.REDACTED in line
