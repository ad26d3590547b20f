"""Server mode against hostile servers (issue 11 items 1-4): the kit stays bounded in time and
memory, never shows a secret, and keeps its reports readable and well-formed, whatever a server
sends.  Everything is on loopback and bounded.

Each server is a front (:func:`tests.support.hostile.front`) that relays requests to the plain-HTTP
reference server -- so the kit's credentials check passes and the checks run -- and attacks the
requests that carry ``notAVariable`` (the ``unrecognised`` check's probe), or rewrites every
answer (an echoing server).  The kit runs as a child process (``python -m conformance server``),
its peak RSS read by :mod:`tests.support.peak_rss`.
"""

from __future__ import annotations

import html
import json
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from conformance.reference.serve import running_server
from tests.support import hostile
from tests.support.hostile import LoopbackServer, attack_of, front, serving
from tests.support.peak_rss import run_kit

pytestmark = pytest.mark.network

LOGIN = "conformance"
# every character the sinks escape: JSON, XML, percent-encoding, shell quoting, repr
PASSWORD = "p\"w&<x>\\%+'Q9 z"
PASSWORD_ENV = "HOSTILE_TEST_PASSWORD"
PEAK_LIMIT_MIB = 150
TIMEOUT = 2.0


@pytest.fixture(scope="module")
def backend() -> Iterator[int]:
    """The reference server over plain HTTP (it answers as if over HTTPS); its port."""
    with running_server(accounts=[(LOGIN, PASSWORD)], tls=False, pbkdf2_iterations=1000) as server:
        yield int(server.base_url.split(":")[2].split("/")[0])


def kit(server: LoopbackServer, tmp: Path, *extra: str, timeout: float = 120) -> tuple[int, str, str, float, dict]:  # type: ignore[type-arg]
    """Run the kit against *server*: (exit status, stdout, stderr, peak RSS MiB, JSON report)."""
    report = tmp / "run.json"
    argv = [
        "server",
        "--url",
        f"http://127.0.0.1:{server.port}/products/",
        "--login-name",
        LOGIN,
        "--login-password-env",
        PASSWORD_ENV,
        "--seed",
        "3",
        "--json",
        str(report),
        *extra,
    ]
    done = run_kit(argv, tmp, timeout=timeout, env={PASSWORD_ENV: PASSWORD})
    data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    return done.code, done.stdout, done.stderr, done.peak_mib, data


def _result(data: dict, check: str) -> dict:  # type: ignore[type-arg]
    return next(r for r in data["results"] if r["id"] == check)


UNRECOGNISED = ("--only", "unrecognised", "--endpoint", "AutoApplyIdA")


# ---------------------------------------------------------------------------- time


@pytest.mark.parametrize(
    ("attack", "phase"),
    [
        (hostile.drip_body(0.5), "the body was still arriving"),
        (hostile.drip_head(0.5), "waiting for the answer's status line and headers"),
        (hostile.endless_informational(0.5), "after informational (1xx) answers"),
    ],
    ids=["drip-body", "drip-head", "endless-100-continue"],
)
def test_a_dripping_server_is_cut_at_the_timeout_with_a_finding(
    backend: int, tmp_path: Path, attack: hostile.Handler, phase: str
) -> None:
    """One deadline per exchange: the attacked check fails within --timeout + 1 s, naming the phase
    the answer was in; the run goes on to its verdict (NOT CONFORMING, exit 1)."""
    with serving(front(backend, attack=attack_of(attack))) as server:
        code, out, err, _, data = kit(server, tmp_path, *UNRECOGNISED, "--timeout", str(TIMEOUT))
    assert code == 1, out + err
    result = _result(data, "AutoApplyIdA/unrecognised")
    assert result["outcome"] == "failed"
    message = result["findings"][0]["message"]
    assert f"no complete answer within {TIMEOUT:g} s" in message and phase in message, message
    assert result["duration"] <= TIMEOUT + 1, result["duration"]
    print(f"{phase}: cut after {result['duration']:.2f} s: {message}")


def test_max_duration_cuts_a_run_of_slow_answers_and_reports_what_ran(backend: int, tmp_path: Path) -> None:
    """--max-duration ends the whole run (no verdict, exit 2), however many answers are slow; what
    ran is reported."""
    slow = attack_of(hostile.drip_body(0.5))
    with serving(front(backend, trigger=b"", attack=slow)) as server:
        code, out, err, _, data = kit(
            server, tmp_path, "--only", "missing", "--timeout", "30", "--max-duration", "3", "--workers", "2"
        )
    assert code == 2, out + err
    assert "stopped: the run reached its --max-duration" in out
    assert re.search(r"^INTERRUPTED: \d+ of \d+ checks ran", out, re.MULTILINE)
    assert data["interrupted"] is True and data["duration"] < 5


# ---------------------------------------------------------------------------- memory


@pytest.mark.parametrize(
    ("attack", "said"),
    [
        (hostile.huge_chunked(), "larger than the 1,048,576-byte limit"),
        (
            hostile.fixed(hostile.answer(hostile.gzip_bomb(), extra=b"Content-Encoding: gzip\r\n")),
            "the answer is coded (Content-Encoding 'gzip')",
        ),
        (hostile.fixed(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n", then_close=True), "declares"),
    ],
    ids=["400MB-chunked", "gzip-bomb-400MiB", "declared-10GB"],
)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the peak is read from /proc/self/status")
def test_huge_and_coded_answers_keep_the_kit_small(
    backend: int, tmp_path: Path, attack: hostile.Handler, said: str
) -> None:
    """An answer is read up to --max-answer-bytes (1 MiB) and never inflated (a gzip bomb of 420 KB
    that inflates to 400 MiB is a coded answer: a finding): the attacked check fails saying so,
    and the kit's peak RSS stays under 150 MiB."""
    with serving(front(backend, attack=attack_of(attack))) as server:
        code, out, err, peak, data = kit(server, tmp_path, *UNRECOGNISED)
    assert code == 1, out + err
    message = _result(data, "AutoApplyIdA/unrecognised")["findings"][0]["message"]
    assert said in message, message
    assert peak < PEAK_LIMIT_MIB, peak
    print(f"peak RSS {peak:.0f} MiB: {message}")


# ---------------------------------------------------------------------------- secrets and peer text


def _encodings(secret: str) -> dict[str, str]:
    """*secret* in every encoding a sink might write it in."""
    return {
        "raw": secret,
        "quote": quote(secret, safe=""),
        "quote_plus": quote_plus(secret),
        "json": json.dumps(secret)[1:-1],
        "json-ascii": json.dumps(secret, ensure_ascii=True)[1:-1],
        "xml": html.escape(secret, quote=True),
        "xml-noquote": html.escape(secret, quote=False),
        "repr": repr(secret)[1:-1],
        "shell": secret.replace("'", "'\"'\"'"),
    }


def _echo(answer_bytes: bytes) -> bytes:
    """Every answer with the password in its status line, a header, its Content-Type and its body
    (as it is, percent-encoded, JSON-escaped and XML-escaped), its message lines included."""
    head, _, body = answer_bytes.partition(b"\r\n\r\n")
    forms = [PASSWORD, quote_plus(PASSWORD), json.dumps(PASSWORD), html.escape(PASSWORD)]
    echoed = body.rstrip(b"\n") + (" your password is " + " / ".join(forms) + "\n").encode()
    lines = [
        line
        for line in head.split(b"\r\n")
        if not line.lower().startswith(b"content-length") and not line.lower().startswith(b"content-type")
    ]
    lines[0] = b"HTTP/1.1 200 OK " + PASSWORD.encode()
    lines.append(b"X-Echo: " + PASSWORD.encode())
    lines.append(b"Content-Type: text/plain; echo=" + quote_plus(PASSWORD).encode())
    lines.append(b"Content-Length: " + str(len(echoed)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + echoed


def test_a_server_echoing_the_password_everywhere_never_gets_it_into_an_artifact(backend: int, tmp_path: Path) -> None:
    """A password full of ``"&<>\\%+`` and ``'`` echoed by the server in every answer -- status line,
    headers, Content-Type, body, messages, in several encodings -- appears in no artifact of the
    run (stdout, stderr, JUnit, JSON) in any encoding; JUnit parses."""
    junit = tmp_path / "junit.xml"
    with serving(front(backend, rewrite=_echo)) as server:
        code, out, err, _, data = kit(server, tmp_path, "--examples", "3", "--junit", str(junit))
    assert code == 1, out + err  # every answer is off its template now
    artifacts = {
        "stdout": out,
        "stderr": err,
        "junit": junit.read_text(encoding="utf-8"),
        "json": (tmp_path / "run.json").read_text(encoding="utf-8"),
    }
    ET.parse(junit)  # well-formed
    assert data["results"] and "<redacted>" in artifacts["json"]
    for sink, text in artifacts.items():
        for encoding, form in _encodings(PASSWORD).items():
            assert form not in text, f"the password, {encoding}, is in {sink}"
    print({sink: len(text) for sink, text in artifacts.items()})


_TERMINAL = "\x1b[2J\x1b]0;pwned\x07\x1b[8m\x00\u202e"


def _with_message(message: str) -> hostile.Handler:
    body = f"-3\nThe '{message}' argument is missing!\n".encode()  # the probe earns -2: a failure quoting it
    return hostile.fixed(hostile.answer(body))


def test_control_characters_from_the_server_are_shown_escaped_and_junit_parses(backend: int, tmp_path: Path) -> None:
    """ESC sequences, BEL, NUL and a bidi override in an answer reach no artifact raw: they are
    shown escaped (``\\x1b``), and the JUnit file is well-formed XML."""
    junit = tmp_path / "junit.xml"
    with serving(front(backend, attack=attack_of(_with_message(_TERMINAL)))) as server:
        code, out, err, _, _ = kit(server, tmp_path, *UNRECOGNISED, "--junit", str(junit))
    assert code == 1, out + err
    text = junit.read_text(encoding="utf-8")
    for sink in (out, err, text):
        assert not {"\x1b", "\x07", "\x00", "\u202e"} & set(sink)
    assert "\\x1b[2J" in out
    ET.parse(junit)


def test_a_5_mb_error_message_is_cut_in_every_finding(backend: int, tmp_path: Path) -> None:
    """A 5 MB message (let through with --max-answer-bytes) is cut with a marker wherever it is
    quoted: the terminal output and the JUnit file stay small."""
    junit = tmp_path / "junit.xml"
    with serving(front(backend, attack=attack_of(_with_message("m" * 5_000_000)))) as server:
        code, out, err, peak, _ = kit(
            server, tmp_path, *UNRECOGNISED, "--junit", str(junit), "--max-answer-bytes", "8000000"
        )
    assert code == 1, out + err
    assert "characters cut" in out or "more characters]" in out
    sizes = {"stdout": len(out), "stderr": len(err), "junit": junit.stat().st_size}
    assert all(size < 100_000 for size in sizes.values()), sizes
    print(f"sizes {sizes}, peak RSS {peak:.0f} MiB")


def test_a_url_with_user_information_is_refused_in_one_line_without_the_password(tmp_path: Path) -> None:
    for option in ("--url", "--plain-url"):
        url = f"https://bob:{quote(PASSWORD, safe='')}@127.0.0.1:9/products/"
        argv = ["server", "--url", url] if option == "--url" else ["server", "--url", "https://127.0.0.1:9/products/"]
        if option == "--plain-url":
            argv += ["--plain-url", url.replace("https", "http")]
        done = run_kit([*argv, "--login-name", "bob", "--no-account"], tmp_path)
        assert done.code == 2 and done.stdout == ""
        assert done.stderr.count("\n") == 1 and "user information" in done.stderr, done.stderr
        for form in _encodings(PASSWORD).values():
            assert form not in done.stderr


# ---------------------------------------------------------------------------- the request budget


def test_max_requests_stops_the_run_when_its_budget_is_spent(backend: int, tmp_path: Path) -> None:
    with serving(front(backend)) as server:
        code, out, err, _, data = kit(server, tmp_path, "--only", "missing", "--max-requests", "5")
    assert code == 2, out + err
    assert "stopped: the request budget of 5 was spent (--max-requests)" in out
    assert data["requests"] == 5 and len(server.requests) == 5
