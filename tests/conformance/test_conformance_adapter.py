"""The decoding adapter (``client --adapter``): variants over the whole space, the grading principle,
protocol v2, the Hypothesis mode and the diagnostics a client author needs (issue 12).

Programs used: ``tests/support/clients/handmade_adapter.py`` (a decoder written without the codec,
``--fault`` for one bug, ``--outcome`` / ``--not-exposed`` for protocol v2) and
``tests/support/clients/hostile_adapter.py`` (one misbehaviour of the protocol each).
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import codec
from conformance import cli
from conformance.client.adapter import STDERR_LINES
from conformance.client.bodies import SPECIALS, Variant
from conformance.client.generated import response_variants
from conformance.client.grading import grade, read_variant
from conformance.client.variants import variants

pytestmark = pytest.mark.network

HERE = Path(__file__).resolve().parents[1] / "support" / "clients"
ADAPTER = str(HERE / "handmade_adapter.py")
HOSTILE = str(HERE / "hostile_adapter.py")
PY = sys.executable


def kit(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["client", "--adapter", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def by_id(vid: str) -> Variant:
    return next(v for v in variants() if v.id == vid)


def severities(findings: Any) -> list[tuple[str, str]]:
    return [(f.severity, f.rule) for f in findings]


# ---------------------------------------------------------------------- the variants


def test_every_text_position_carries_every_special_character() -> None:
    """Each endpoint's argument template and free-text codes, in each format, carry each of
    + %2B %26 %3D %25 ; non-ASCII and an empty value -- and the codec reads each back exactly."""
    ids = {v.id for v in variants()}
    for name, spec in codec.ENDPOINTS.items():
        formats = [f"format-{k}" if k is not None else "urlencoded" for k in spec.formats]
        codes = [max((c for c in spec.codes if spec.codes[c].placeholder_kind == "argument"), key=abs)]
        codes += [c for c in spec.codes if spec.codes[c].free_text]
        for where in formats:
            for code in codes:
                for slug, text, _ in SPECIALS:
                    vid = f"{name}/{where}/characters/{slug}/code-{code}"
                    assert vid in ids, vid
                    reading = read_variant(by_id(vid))
                    assert reading.kind == "letter"
                    assert text in reading.values["errorMessage"]


def test_names_in_other_cases_only_where_the_response_table_says_so() -> None:
    spelled = {v.endpoint for v in variants() if "/names/" in v.id}
    assert spelled == {n for n, s in codec.ENDPOINTS.items() if s.response_names_case_insensitive}
    assert spelled == {"UpdateUserEvClickThrough"}  # its table: "Variable Name (case insensitive)"
    v = by_id("UpdateUserEvClickThrough/names/capitalised/code-0")
    assert v.body.startswith(b"ErrorCode=0&ErrorMessage=Successful&Status=")
    assert read_variant(v).kind == "letter"


def test_parameter_orders_and_every_code_in_both_formats() -> None:
    sent = variants()
    orders = [v for v in sent if "/order/" in v.id]
    assert {v.endpoint for v in orders} == set(codec.ENDPOINTS) and len(orders) >= 8
    for v in orders:
        assert read_variant(v).kind == "letter", v.id
    for name, spec in codec.ENDPOINTS.items():
        for key in spec.formats:
            fmt = None if key is None else int(key)
            said = {read_variant(v).code for v in sent if v.endpoint == name and v.response_format == fmt}
            assert set(spec.codes) <= said, (name, key)


def test_every_lenient_variant_names_its_note() -> None:
    for v in variants():
        reading = read_variant(v)
        notes = {d.note for d in reading.response.deviations} if reading.response is not None else set()
        if reading.kind == "note":
            assert v.note in notes, v.id
        if v.note is not None:
            assert v.note in codec.endpoint_spec(v.endpoint).notes, v.id


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_drawn_variants_are_what_the_tables_allow(data: st.DataObject) -> None:
    endpoint = data.draw(st.sampled_from(sorted(codec.ENDPOINTS)))
    v = data.draw(response_variants(endpoint))
    reading = read_variant(v)
    assert reading.kind in ("letter", "note"), (v.about, reading.deviations)
    if reading.kind == "note":
        assert v.note is not None


# ---------------------------------------------------------------------- grading


def _answer(values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": 1, **values, **extra}


@pytest.mark.parametrize(
    ("vid", "answer"),
    [
        # -4 whose message is not UTF-8: the code is readable; the message may be anything
        ("AutoApplyIdA/malformed/format-0/not-utf-8", {"errorCode": -4, "errorMessage": "The value is ?? invalid!"}),
        ("AutoApplyIdA/malformed/format-0/not-utf-8", {"errorCode": -4}),
        # errorMessage=100%ZZ beside -4: the same
        ("AutoApplyIdA/malformed/format-1/bad-percent-escape", {"errorCode": -4, "errorMessage": "100%ZZ"}),
        # a success without its order lines, read as what it says
        ("AutoApplyIdA/malformed/format-0/missing-lines", {"errorCode": 0, "orderNumber": 1234567}),
        # an amount with a currency sign, left out or given as written
        (
            "AutoApplyIdA/malformed/format-0/currency-sign",
            {"errorCode": 0, "orderNumber": 1234567, "expectedDeliveryTime": 1},
        ),
        (
            "AutoApplyIdA/malformed/format-0/currency-sign",
            {"errorCode": 0, "orderNumber": 1234567, "totalCost": "$12.50", "expectedDeliveryTime": 1},
        ),
    ],
)
def test_tolerating_a_body_that_breaks_the_letter_is_a_note(vid: str, answer: dict[str, Any]) -> None:
    v = by_id(vid)
    assert severities(grade(v, read_variant(v), _answer(answer))) == [("note", "adapter.tolerated")]
    assert grade(v, read_variant(v), _answer({"error": "refused"})) == ()  # refusing it is right too


@pytest.mark.parametrize(
    ("vid", "answer", "rule"),
    [
        # a value the body does not say
        (
            "AutoApplyIdA/malformed/format-0/currency-sign",
            {"errorCode": 0, "orderNumber": 1234567, "totalCost": "12.50"},
            "AutoApplyIdA.responses.totalCost",
        ),
        (
            "AutoApplyIdA/malformed/format-0/missing-lines",
            {"errorCode": 0, "orderNumber": 1234567, "totalCost": 0},
            "AutoApplyIdA.responses.totalCost",
        ),
        # an invented code: the body has none that can be read
        ("AutoApplyIdA/malformed/format-0/status-not-integer", {"errorCode": 99}, "AutoApplyIdA.responses.errorCode"),
        (
            "UpdateUserEvClickThrough/malformed/no-error-code",
            {"errorCode": 0, "status": 1},
            "UpdateUserEvClickThrough.responses.errorCode",
        ),
        # a parameter that is there reported absent
        ("AutoApplyIdA/malformed/format-0/missing-lines", {"errorCode": 0}, "AutoApplyIdA.responses.orderNumber"),
        # success for an error (outcome, protocol v2)
        (
            "AutoApplyIdA/format-0/code--4",
            {
                "errorCode": -4,
                "errorMessage": "The value of the 'isCustomerValidated' argument is invalid!",
                "outcome": "success",
            },
            "AutoApplyIdA.codes.-4",
        ),
        # an error for a success: refusing a body the tables allow
        ("AutoApplyIdA/format-0/code-1", {"error": "status 1 is not 0"}, "AutoApplyIdA.responses"),
    ],
)
def test_reporting_what_the_body_does_not_say_fails(vid: str, answer: dict[str, Any], rule: str) -> None:
    v = by_id(vid)
    failures = [f for f in grade(v, read_variant(v), _answer(answer)) if f.severity == "failure"]
    assert rule in [f.rule for f in failures]


def test_status_1_is_a_success_and_not_exposed_parameters_are_not_judged() -> None:
    v = by_id("UpdateUserEvClickThrough/code-0/status-1")
    reading = read_variant(v)
    base = {"errorCode": 0, "errorMessage": "Successful", "status": 1}
    # description left out: a failure, unless the answer says its API does not expose it
    assert "UpdateUserEvClickThrough.responses.description" in [f.rule for f in grade(v, reading, _answer(base))]
    assert grade(v, reading, _answer(base, not_exposed=["description"], outcome="success")) == ()
    # an API that exposes only success or failure is judged by its outcome
    assert (
        grade(
            v,
            reading,
            _answer({"outcome": "success"}, not_exposed=["errorCode", "errorMessage", "status", "description"]),
        )
        == ()
    )
    failed = grade(
        v, reading, _answer({"outcome": "failure"}, not_exposed=["errorCode", "errorMessage", "status", "description"])
    )
    assert [f.rule for f in failed] == ["UpdateUserEvClickThrough.codes.0"]
    paid = by_id("AutoApplyIdA/format-0/code-1")
    wire = codec.converter.unstructure(read_variant(paid).response)
    said = {k: (int(x) if k != "totalCost" and x.lstrip("-").isdigit() else x) for k, x in wire.items()}
    assert grade(paid, read_variant(paid), _answer(said, outcome="success")) == ()
    assert [f.rule for f in grade(paid, read_variant(paid), _answer(said, outcome="failure"))] == [
        "AutoApplyIdA.codes.1"
    ]


def test_an_empty_value_reported_absent_is_tolerated() -> None:
    v = by_id("UpdateUserEvClickThrough/urlencoded/characters/empty/code--20")
    reading = read_variant(v)
    assert reading.values["errorMessage"] == ""
    answer = {k: (int(x) if k in ("errorCode", "status") else x) for k, x in reading.values.items()}
    assert grade(v, reading, _answer(answer)) == ()
    del answer["errorMessage"]
    assert severities(grade(v, reading, _answer(answer))) == [("note", "adapter.empty-as-absent")]
    answer["errorMessage"] = "x"
    assert severities(grade(v, reading, _answer(answer))) == [
        ("failure", "UpdateUserEvClickThrough.responses.errorMessage")
    ]


# ---------------------------------------------------------------------- whole runs


def test_v2_adapter_with_outcome_and_not_exposed_conforms(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    code, out, err = kit(capsys, "--json", str(report), "--", PY, ADAPTER, "--outcome", "--not-exposed", "description")
    assert code == 0, out + err
    assert "not judged, as its API does not expose them: description" in out
    data = json.loads(report.read_text())
    assert data["not_exposed"] == ["description"]


def test_hypothesis_mode_replays_from_its_seed_and_shrinks(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    argv = ["--only", "none", "--examples", "60", "--seed", "11", "--", PY, ADAPTER, "--fault", "double-decoding"]
    first, second = tmp_path / "1.json", tmp_path / "2.json"
    code, out, _ = kit(capsys, "--json", str(first), *argv)
    assert code == 1 and "(seed 11)" in out
    kit(capsys, "--json", str(second), *argv)
    one, two = (json.loads(p.read_text()) for p in (first, second))

    def draws(data: dict[str, Any]) -> list[tuple[str, str, int, str | None]]:
        return [
            (r["id"], r["outcome"], r["examples"], r.get("example", {}).get("sent", {}).get("body"))
            for r in data["results"]
        ]

    assert draws(one) == draws(two)  # the same seed, the same draws, the same shrunk example
    failed = [r for r in one["results"] if r["outcome"] == "failed"]
    assert failed
    for r in failed:
        assert r["id"].endswith("/generated") and r["seed"] == 11
        assert len(r["example"]["sent"]["body"]) < 200  # shrunk
    # the correct decoder passes the same draws
    code, out, err = kit(capsys, "--only", "none", "--examples", "60", "--seed", "11", "--", PY, ADAPTER)
    assert code == 0, out + err


def test_stray_stdout_lines_are_reported_and_the_run_stays_in_step(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = kit(capsys, "--endpoint", "UpdateUserEvClickThrough", "--", PY, HOSTILE, "stray")
    assert code == 1, out + err
    failed = [line for line in out.splitlines() if line.startswith("FAIL ")]
    total = len(variants(["UpdateUserEvClickThrough"]))
    assert len(failed) == total // 3  # only the variants a warning came with
    assert "stdout belongs to the protocol, log to stderr: not JSON: 'PHP Deprecated:" in out
    assert "answered id" not in out  # never out of step
    assert f"answered {total} of {total} messages" in out


def test_an_adapter_that_times_out_is_restarted(capsys: pytest.CaptureFixture[str]) -> None:
    # message 2 sleeps 30 s: the kit stops it after 3 s (ample for a start-up on a loaded machine)
    code, out, _ = kit(
        capsys, "--timeout", "3", "--only", "UpdateUserEvClickThrough/code-*", "--", PY, HOSTILE, "late", "30"
    )
    assert code == 1
    assert "11 variants, 1 failed" in out and "no answer within 3 s (the adapter was restarted)" in out
    assert "answered 10 of 11 messages (started 2 time(s))" in out


def test_a_crash_shows_the_last_40_lines_of_stderr(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    report, junit = tmp_path / "r.json", tmp_path / "r.xml"
    argv = ["--only", "UpdateUserEvClickThrough/code-*", "--json", str(report), "--junit", str(junit)]
    code, out, _ = kit(capsys, *argv, "--", PY, HOSTILE, "crash")
    assert code == 1
    assert "exited with status 255 instead of answering; its last words:   thrown in /app/Decoder.php on line 40" in out
    assert f"stderr:   (its last {STDERR_LINES} lines)" in out and "| #56 /app/Frame56.php(10): step56()" in out
    (crashed,) = [r for r in json.loads(report.read_text())["results"] if r["outcome"] == "failed"]
    tail = crashed["example"]["adapter_stderr"]
    assert len(tail) == STDERR_LINES and tail[-1].startswith("  thrown in")
    # its terminal escapes are shown escaped: nothing reaches the terminal raw, the JUnit file parses
    assert "\x1b" not in out and "| \\x1b[31m#50 /app/Frame50.php" in out
    case = ET.fromstring(junit.read_text()).find(".//testcase/failure")
    assert case is not None and "#56 /app/Frame56.php" in (case.text or "")


@pytest.mark.parametrize("drawn", [[], ["--only", "none", "--examples", "5"]])
def test_an_adapter_that_never_answers_shows_its_stderr(drawn: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    script = (
        "import sys; sys.stderr.write('Traceback (most recent call last):\\n  File x\\nKeyError: boom\\n'); sys.exit(1)"
    )
    code, _, err = kit(capsys, *drawn, "--", PY, "-c", script)
    assert code == 2
    first, *rest = err.splitlines()
    assert "none of its first 3 messages: it exited with status 1; its last words: KeyError: boom" in first
    assert rest == [
        "  adapter stderr| Traceback (most recent call last):",
        "  adapter stderr|   File x",
        "  adapter stderr| KeyError: boom",
    ]
