"""Client mode under hostile clients and adapters (issue 11): bounded in memory, cut texts, no traceback.

Each attack runs the kit in a child process (``tests.support.peak_rss``), against a hostile program
on loopback, and reads the kit's own peak RSS (``VmHWM``): it stays under :data:`BUDGET_MIB`.
Before these bounds: 8 requests of 50 MB took the kit to 763 MiB, a 300 MB line from an adapter to
1.5 GiB, 61 answers of 20 MB to 5.9 GiB, and JSON nested 100,000 deep was a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import codec
from conformance.client.judging import judge_cut_request
from conformance.client.recording import DEFAULT_MAX_REQUEST_BYTES
from tests.support.peak_rss import run_kit

pytestmark = pytest.mark.network

HERE = Path(__file__).resolve().parents[1] / "support" / "clients"
HOSTILE_CLIENT = str(HERE / "hostile_client.py")
HOSTILE_ADAPTER = str(HERE / "hostile_adapter.py")
PY = sys.executable
BUDGET_MIB = 150
MIB = 1024 * 1024


def test_eight_requests_of_50_mb(tmp_path: Path, record_property: object) -> None:
    report = tmp_path / "r.json"
    run = run_kit(["client", "--no-tls", "-q", "--json", str(report), "--", PY, HOSTILE_CLIENT, "big-bodies"], tmp_path)
    print(f"peak RSS {run.peak_mib:.0f} MiB")
    assert run.code == 1, run.stdout + run.stderr
    assert run.peak_mib < BUDGET_MIB
    assert "Traceback" not in run.stderr
    results = json.loads(report.read_text())["results"]
    assert len(results) == 8
    for r in results:
        assert r["body_kept"] == DEFAULT_MAX_REQUEST_BYTES < r["body_bytes"]
        rules = [(f["severity"], f["rule"]) for f in r["findings"]]
        # the value already over its limit is a failure; the cut itself a note
        assert ("failure", "AutoApplyIdA.request.organizationName.max_length") in rules
        assert ("note", "kit.max-request-bytes") in rules
        assert not any(rule.endswith(".required") for _, rule in rules)  # the rest may have brought them


def test_a_20_mb_variable_name_is_cut_in_every_report(tmp_path: Path) -> None:
    report, junit = tmp_path / "r.json", tmp_path / "r.xml"
    argv = ["client", "--no-tls", "--json", str(report), "--junit", str(junit), "--", PY, HOSTILE_CLIENT, "long-name"]
    run = run_kit(argv, tmp_path)
    assert run.code == 1 and run.peak_mib < BUDGET_MIB
    for text in (run.stdout, report.read_text(), junit.read_text()):
        assert len(text) < MIB  # not 20 MB, nor the 1 MiB kept
        assert "characters cut ...]" in text
    assert "AutoApplyIdA.request.unrecognised: a name of over 1048576 bytes" in run.stdout


def test_max_request_bytes_is_an_option(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    argv = ["client", "--no-tls", "-q", "--max-request-bytes", "64K", "--json", str(report)]
    run = run_kit([*argv, "--", PY, HOSTILE_CLIENT, "long-name"], tmp_path)
    assert run.code == 1
    (result,) = json.loads(report.read_text())["results"]
    assert result["body_kept"] == 64 * 1024


@pytest.mark.parametrize(
    ("attack", "finding"),
    [
        ("deep-json", "answered with JSON nested too deep to read: '[[[["),
        ("long-line", f"answered with a line of more than {MIB} bytes, not read (it begins 'xxxx"),
        pytest.param(  # the adapter writes 1.2 GB: about 10 s
            "big-errors",
            f'answered with a line of more than {MIB} bytes, not read (it begins \'{{"id": 1, "error": "eeee',
            marks=pytest.mark.slow,
        ),
    ],
)
def test_hostile_adapters(attack: str, finding: str, tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    argv = ["client", "--adapter", "-q", "--endpoint", "AutoApplyIdA", "--json", str(report)]
    run = run_kit([*argv, "--", PY, HOSTILE_ADAPTER, attack], tmp_path, timeout=300)
    print(f"{attack}: peak RSS {run.peak_mib:.0f} MiB")
    assert run.code == 1, run.stdout + run.stderr
    assert run.peak_mib < BUDGET_MIB
    assert "Traceback" not in run.stdout + run.stderr
    assert finding in run.stdout
    results = json.loads(report.read_text())["results"]
    failed = [r for r in results if r["outcome"] == "failed"]
    assert len(failed) == (61 if attack == "big-errors" else 1)
    assert len(report.read_text()) < 2 * MIB
    if attack == "long-line":  # its answer to message 1 came after the line: skipped, the run stays in step
        notes = [f["message"] for r in results for f in r["findings"] if f["severity"] == "note"]
        assert "a late answer to message 1, skipped" in notes


def test_max_line_bytes_is_an_option(tmp_path: Path) -> None:
    argv = ["client", "--adapter", "-q", "--max-line-bytes", "1K", "--only", "AutoApplyIdA/format-0/code-0/*"]
    run = run_kit([*argv, "--", PY, HOSTILE_ADAPTER, "long-line"], tmp_path)
    assert run.code == 1 and "answered with a line of more than 1024 bytes" in run.stdout


def test_judge_cut_request_judges_only_what_the_part_shows() -> None:
    path = "/products/!AutoApplyIdA"

    def judged(kept: bytes) -> list[tuple[str, str]]:
        _, findings = judge_cut_request(
            path, method="POST", scheme="https", content_type="application/x-www-form-urlencoded", kept=kept, size=10**9
        )
        return [(f.severity, f.rule) for f in findings]

    cut_note = ("note", "kit.max-request-bytes")
    # a cut inside a variable without a limit, after whole pairs that break nothing: only the note
    assert judged(b"loginName=a&idaEmailAddress=" + b"x" * 5000) == [cut_note]
    # a whole pair with an unknown name, and a value already too long in the cut pair
    assert judged(b"colour=blue&organizationName=" + b"%C3%A9" * 65 + b"%C3") == [
        ("failure", "AutoApplyIdA.request.unrecognised"),
        ("failure", "AutoApplyIdA.request.organizationName.max_length"),
        cut_note,
    ]
    # a value cut at its limit (the rest may end it) is not judged
    assert judged(b"organizationName=" + b"x" * 64) == [cut_note]
    spec = codec.endpoint_spec("AutoApplyIdA")
    assert len(b"x" * 64) == spec.by_key["organizationname"].max_length


def test_a_client_s_output_is_read_a_bounded_line_at_a_time(tmp_path: Path) -> None:
    """A client writing 100 MB without a newline, in colour: the kit shows 8 KiB of it, escaped."""
    script = 'printf "\\033[31mred\\033[0m\\n"; head -c 100000000 /dev/zero | tr "\\0" x; echo; echo done'
    run = run_kit(["client", "--", "sh", "-c", script], tmp_path)
    assert run.code == 1 and run.peak_mib < BUDGET_MIB
    assert "  CMD| \\x1b[31mred\\x1b[0m" in run.stderr and "  CMD| done" in run.stderr
    assert len(run.stderr) < MIB and "\x1b" not in run.stderr
