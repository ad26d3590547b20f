"""``python -m tests.fuzz``: fuzz every decoder for a while (from the repository root).

    python -m tests.fuzz --minutes 10                 # all targets, time shared; atheris if installed
    python -m tests.fuzz --engine hypothesis --minutes 3 --target decode_form
    python -m tests.fuzz --list

Each crash is shrunk (Hypothesis) or minimised as libFuzzer found it (atheris) and saved as
``tests/fuzz/regressions/<target>/<sha1>.bin``; ``tests/codec/test_fuzz.py`` replays every saved file on
every run, so commit the file with the fix.  Exit status 0: no crash, 1: crashes (listed), 2: bad
command line.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .engine import Stats, run, save_regression
from .targets import SEEDS, TARGETS

# options bytes each seed is written with for atheris (strict / lenient, formats, methods...)
_SEED_OPTIONS = (0, 1, 2, 5, 0x21, 0x60)


def _hypothesis(name: str, seconds: float) -> tuple[bool, str]:
    stats = Stats()
    try:
        run(name, max_examples=1000, seconds=seconds, stats=stats, save=True)
    except Exception as exc:  # a crash: Hypothesis has shrunk it and run() saved it
        notes = "\n".join(getattr(exc, "__notes__", []))
        return False, f"{type(exc).__name__}: {exc}\n{notes}"
    return True, f"{stats.examples} examples in {stats.seconds:.0f} s ({stats.rate:.0f}/s)"


def _atheris(name: str, seconds: float, corpus: Path | None) -> tuple[bool, str]:
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{name}-") as tmp:
        folder = corpus / name if corpus is not None else Path(tmp) / "corpus"
        folder.mkdir(parents=True, exist_ok=True)
        for i, seed in enumerate(SEEDS[name]()):
            for opts in _SEED_OPTIONS:
                (folder / f"seed-{i}-{opts}").write_bytes(bytes([opts]) + seed)
        crashes = Path(tmp) / "crashes"
        crashes.mkdir()
        command = [
            sys.executable,
            "-m",
            "tests.fuzz.atheris_main",
            name,
            str(folder),
            f"-max_total_time={max(1, int(seconds))}",
            f"-artifact_prefix={crashes}/",
            "-timeout=30",
            "-rss_limit_mb=4096",
            "-print_final_stats=1",
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 300, check=False)
        found = sorted(crashes.iterdir())
        saved = [save_regression(name, path.read_bytes()) for path in found]
        runs = re.search(r"stat::number_of_executed_units:\s*(\d+)", done.stderr)
        rate = re.search(r"stat::average_exec_per_sec:\s*(\d+)", done.stderr)
        summary = f"{runs.group(1) if runs else '?'} runs ({rate.group(1) if rate else '?'}/s)"
        if saved or done.returncode != 0:
            tail = "\n".join(done.stderr.splitlines()[-30:])
            return False, f"{summary}; exit {done.returncode}; saved {[str(p) for p in saved]}\n{tail}"
        return True, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="total time, shared by the targets (default 10)")
    parser.add_argument("--seconds", type=float, help="total time in seconds (instead of --minutes)")
    parser.add_argument(
        "--engine",
        choices=["auto", "hypothesis", "atheris"],
        default="auto",
        help="auto (default): atheris when it is installed, else Hypothesis",
    )
    parser.add_argument("--target", action="append", choices=sorted(TARGETS), help="only this target (repeatable)")
    parser.add_argument("--corpus", type=Path, help="atheris: keep the corpus in DIR/<target> between runs")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name, target in TARGETS.items():
            print(f"{name}: {(target.__doc__ or '').strip().splitlines()[0]}")
        return 0
    engine = args.engine
    if engine == "auto":
        engine = "atheris" if importlib.util.find_spec("atheris") is not None else "hypothesis"
    elif engine == "atheris" and importlib.util.find_spec("atheris") is None:
        print("python -m tests.fuzz: atheris is not installed (pip install atheris)", file=sys.stderr)
        return 2
    names = args.target or list(TARGETS)
    total = args.seconds if args.seconds is not None else args.minutes * 60
    share = total / len(names)
    print(f"fuzzing {len(names)} target(s) with {engine}, {share:.0f} s each", flush=True)
    failed: list[str] = []
    start = time.monotonic()
    for name in names:
        ok, summary = _hypothesis(name, share) if engine == "hypothesis" else _atheris(name, share, args.corpus)
        print(f"{'ok   ' if ok else 'CRASH'} {name}: {summary}", flush=True)
        if not ok:
            failed.append(name)
    print(f"done in {time.monotonic() - start:.0f} s: {len(failed)} target(s) crashed {failed or ''}".rstrip())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
