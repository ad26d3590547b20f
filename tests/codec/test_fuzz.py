"""Fuzzing every decoder (issue 6, item 2): a bounded run of each target in ``tests/fuzz/``, and a
replay of every crash ever found.

Each target runs ``FUZZ_EXAMPLES`` Hypothesis examples (default 2000: all ten targets together
take about a minute of one core, half that with ``-n 2``) drawn from the seed corpus -- real
bodies from the codec's encoders -- with values replaced, pairs dropped or doubled, bits
flipped, seeds spliced, ranges repeated (``tests/fuzz/engine.py``).  For a longer run::

    python -m tests.fuzz --minutes 10              # atheris when installed, else Hypothesis
    FUZZ_MINUTES=10 pytest -p no:xdist tests/codec/test_fuzz.py

The longer runs save each crash under ``tests/fuzz/regressions/<target>/``; every file there is
replayed below on every run.  ``tests/codec/test_codec_fuzz.py`` has the codec's earlier, simpler
fuzz tests; these go deeper (corpus mutation, differential form decoding, the answer the server
would send for each rejection, messages, the server's partial-body readers, the CLI).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import codec
from tests.fuzz import corpus, engine
from tests.fuzz.targets import SEEDS, TARGETS, reference_decode_form

pytestmark = pytest.mark.slow  # a bounded fuzz run of every target: about a minute in all

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2000"))
MINUTES = float(os.environ.get("FUZZ_MINUTES", "0"))


@pytest.mark.parametrize("name", list(TARGETS))
def test_fuzz_target(name: str) -> None:
    """Only the codec's own errors escape, and the target's invariants hold."""
    stats = engine.Stats()
    seconds = MINUTES * 60 / len(TARGETS) if MINUTES else None
    engine.run(name, max_examples=EXAMPLES, seconds=seconds, stats=stats, save=bool(MINUTES))
    print(f"\n{name}: {stats.examples} examples in {stats.seconds:.1f} s ({stats.rate:.0f}/s)")
    assert stats.examples >= min(EXAMPLES, 100)  # Hypothesis did not stop early for lack of inputs


REGRESSIONS = engine.regression_files()


@pytest.mark.parametrize(("name", "path"), REGRESSIONS, ids=[f"{n}/{p.name}" for n, p in REGRESSIONS])
def test_saved_crash_stays_fixed(name: str, path: Path) -> None:
    TARGETS[name](path.read_bytes())


def test_every_target_has_seeds_and_a_regression_folder_is_kept() -> None:
    assert set(SEEDS) == set(TARGETS)
    assert engine.REGRESSIONS.is_dir()
    for name in TARGETS:
        seeds = SEEDS[name]()
        assert len(seeds) >= 5, name
        for seed in seeds:  # the seeds themselves pass, with every options byte worth trying
            for opts in (0, 1, 2, 0x31, 0xC1, 0xFF):
                TARGETS[name](bytes([opts]) + seed)


def test_the_request_seeds_decode_so_that_mutations_start_deep() -> None:
    for endpoint in codec.ENDPOINTS:
        accepted = [s for s in corpus.request_seeds(endpoint) if _decodes(endpoint, s)]
        assert len(accepted) >= 3, endpoint
        rejected = {_code(endpoint, s) for s in corpus.request_seeds(endpoint)} - {None}
        assert {-2, -3, -4} <= rejected, (endpoint, rejected)


def _decodes(endpoint: str, body: bytes) -> bool:
    return _code(endpoint, body) is None


def _code(endpoint: str, body: bytes) -> int | None:
    try:
        codec.decode_request(endpoint, body)
    except codec.RequestRejected as exc:
        return exc.code
    return None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"a=1&&b=+x%2B&c", [("a", "1"), ("b", " x+"), ("c", "")]),
        (b"n=%C3%A9&m=\xc3\xa9", [("n", "é"), ("m", "é")]),
        (b"a=1&b=%zz", (1, "b")),
        (b"a=1&%E9=1", (1, None)),
        (b"a=\xff", (0, "a")),
        (b"a=%", (0, "a")),
    ],
)
def test_the_reference_form_decoder_reads_the_docstring(body: bytes, expected: object) -> None:
    """The slow decoder the fuzzer compares decode_form with, on cases decided by hand."""
    try:
        got: object = reference_decode_form(body)
    except Exception as exc:
        got = (exc.index, exc.name)  # type: ignore[attr-defined]
    assert got == expected


@pytest.mark.parametrize(
    ("command", "stdin"),
    [
        (["encode-request", "AutoApplyIdA"], b'{"days": ' + b"9" * 4400 + b"}"),
        (["encode-response", "AutoApplyIdA"], b'{"errorCode": ' + b"9" * 4400 + b"}"),
        (["encode-request", "UpdateUserEvClickThrough"], b"[" * 100_000),
        (["encode-response", "AutoApplyIdA"], b'{"errorCode": 1e999999999999999999999}'),
    ],
    ids=[
        "integer past int()'s digit limit",
        "the same in a response",
        "nesting past the recursion limit",
        "a number past Decimal's exponent limit",
    ],
)
def test_cli_json_that_once_escaped_as_a_traceback_exits_1_with_a_json_error(command: list[str], stdin: bytes) -> None:
    """Found by the cli target: json.loads raised ValueError / RecursionError /
    decimal.InvalidOperation past the codec."""
    done = subprocess.run(
        [sys.executable, "-m", "codec", *command], input=stdin, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 1 and b"Traceback" not in done.stderr, done.stderr[-500:]
    shown = json.loads(done.stdout)
    assert shown["rule"] == "json" and shown["errorCode"] is None


def _runner(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m tests.fuzz ARGS`` from the repository root."""
    command = [sys.executable, "-m", "tests.fuzz", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def test_the_on_demand_runner_runs_and_reports() -> None:
    done = _runner("--engine", "hypothesis", "--seconds", "1", "--target", "parse_message")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok    parse_message:" in done.stdout and "0 target(s) crashed" in done.stdout
    assert _runner("--list").stdout.count("\n") == len(TARGETS)


@pytest.mark.skipif(
    importlib.util.find_spec("atheris") is None, reason="atheris is not installed (pip install atheris)"
)
def test_the_on_demand_runner_drives_atheris() -> None:
    done = _runner("--engine", "atheris", "--seconds", "2", "--target", "decode_form")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok    decode_form:" in done.stdout
