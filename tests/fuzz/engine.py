"""The Hypothesis engine for the fuzz targets: inputs mutated from the seed corpus, and a runner.

:func:`fuzz_inputs` draws an options byte and a payload that is, by turns, raw bytes, a run of
syntax tokens, or a seed from the corpus put through up to eight mutations: bit flips, byte sets,
token and byte insertions, deletions, duplicated or repeated ranges (up to tens of thousands of
fields), splices with another seed, swapped ``&``/newline-separated pieces, truncation.
Hypothesis shrinks a crash to a small input; :func:`run` saves it under ``regressions/``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import codec

from .corpus import TOKENS
from .targets import SEEDS, TARGETS

__all__ = ["REGRESSIONS", "Stats", "fuzz_inputs", "mutated", "regression_files", "run", "save_regression"]

REGRESSIONS: Final = Path(__file__).parent / "regressions"
# structure-aware operations (a pair's value or the pair itself) come up more often than byte-level
# ones, so that most mutants keep their names and get past -2 into the value rules
_OPS: Final = (
    *("value",) * 10,
    *("pair",) * 4,
    "flip",
    "set",
    "token",
    "bytes",
    "delete",
    "duplicate",
    "repeat",
    "splice",
    "swap",
    "truncate",
)
_SEPARATORS: Final = (b"&", b"\n", b"=", b",")
# values a variable allows (so that a mutant often stays valid, or breaks a rule between
# variables), the syntax tokens, and bytes
_ALLOWED = sorted(
    {v.encode() for spec in codec.ENDPOINTS.values() for f in spec.fields for v in f.kind.values}
    | {b"GB", b"gb", b"ZZ", b"36,37", b"37,36", b"36, 37", b"36,36", b"0365", b"365 ", b"12345"}
    | {a.encode() for spec in codec.ENDPOINTS.values() for a in spec.actions}
)
_VALUES = (
    st.sampled_from(_ALLOWED)
    | st.sampled_from(TOKENS)
    | st.binary(max_size=8)
    | st.text(max_size=8).map(str.encode)
    | st.sampled_from([b"", b"x" * 65, b"x" * 129, b"x" * 513, b"1" * 5000])
)


def _pieces(draw: st.DrawFn, data: bytearray) -> tuple[list[bytes], int]:
    pieces = bytes(data).split(b"&")
    return pieces, draw(st.integers(0, len(pieces) - 1))


@st.composite
def mutated(draw: st.DrawFn, seeds: Sequence[bytes]) -> bytes:
    """A seed with a few mutations (most often one or two)."""
    data = bytearray(draw(st.sampled_from(seeds), label="seed"))
    for _ in range(draw(st.sampled_from([1, 1, 1, 1, 2, 2, 3, 5, 8]), label="mutations")):
        op = draw(st.sampled_from(_OPS), label="op")
        at = draw(st.integers(0, len(data)), label="at")
        if op == "value":  # a pair keeps its name and gets another value
            pieces, i = _pieces(draw, data)
            name, equals, _ = pieces[i].partition(b"=")
            pieces[i] = name + (equals or b"=") + draw(_VALUES)
            data = bytearray(b"&".join(pieces))
        elif op == "pair":  # a pair dropped, sent twice, or its name in another case
            pieces, i = _pieces(draw, data)
            how = draw(st.sampled_from(["drop", "twice", "case"]))
            if how == "drop":
                del pieces[i]
            elif how == "twice":
                pieces.insert(draw(st.integers(0, len(pieces))), pieces[i])
            else:
                name, equals, value = pieces[i].partition(b"=")
                pieces[i] = name.swapcase() + equals + value
            data = bytearray(b"&".join(pieces))
        elif op == "flip" and data:
            data[min(at, len(data) - 1)] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[min(at, len(data) - 1)] = draw(st.integers(0, 255))
        elif op == "token":
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif op == "bytes":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 64))]
        elif op == "repeat":  # long inputs: thousands of fields, huge values
            chunk = bytes(data[at : at + draw(st.integers(1, 16))]) or b"&a=1"
            data[at:at] = chunk * draw(st.sampled_from([2, 16, 256, 10_000]))
        elif op == "splice":
            other = draw(st.sampled_from(seeds))
            data[at:] = other[draw(st.integers(0, len(other))) :]
        elif op == "swap":
            sep = draw(st.sampled_from(_SEPARATORS))
            pieces = bytes(data).split(sep)
            if len(pieces) > 1:
                i, j = draw(st.integers(0, len(pieces) - 1)), draw(st.integers(0, len(pieces) - 1))
                pieces[i], pieces[j] = pieces[j], pieces[i]
                data = bytearray(sep.join(pieces))
        elif op == "truncate":
            del data[at:]
    return bytes(data)


def fuzz_inputs(seeds: Sequence[bytes]) -> st.SearchStrategy[bytes]:
    """An options byte followed by raw bytes, tokens, or (most often) a mutated seed."""
    tokens = st.lists(st.sampled_from(TOKENS) | st.binary(max_size=4), max_size=60).map(b"".join)
    payload = st.one_of(st.binary(max_size=512), tokens, *[mutated(seeds)] * 6)
    return st.builds(lambda opts, body: bytes([opts]) + body, st.integers(0, 255), payload)


class Stats:
    """Examples run and seconds spent, across runs."""

    def __init__(self) -> None:
        self.examples = 0
        self.seconds = 0.0

    @property
    def rate(self) -> float:
        return self.examples / self.seconds if self.seconds else 0.0


def save_regression(target: str, data: bytes) -> Path:
    """Keep a crashing input as ``regressions/<target>/<sha1>.bin`` (replayed by test_fuzz.py)."""
    folder = REGRESSIONS / target
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha1(data).hexdigest()[:16]}.bin"
    path.write_bytes(data)
    return path


def regression_files() -> list[tuple[str, Path]]:
    """``(target, file)`` for every saved crash, by name."""
    return [
        (folder.name, path)
        for folder in sorted(REGRESSIONS.iterdir())
        if folder.is_dir()
        for path in sorted(folder.iterdir())
        if path.is_file() and not path.name.startswith(".")
    ]


def run(
    name: str,
    *,
    max_examples: int,
    seconds: float | None = None,
    stats: Stats | None = None,
    save: bool = False,
) -> None:
    """Run target *name* under Hypothesis for *max_examples* examples -- again and again, each time
    with fresh randomness, until *seconds* have passed when given.  A crash raises after
    Hypothesis has shrunk it; with *save* the shrunk input is first kept as a regression."""
    target = TARGETS[name]
    strategy = fuzz_inputs(SEEDS[name]())
    last: list[bytes] = []
    stats = stats if stats is not None else Stats()

    # a timed run repeats itself: each round must draw new inputs, whatever the profile says
    fresh = {"derandomize": False} if seconds is not None else {}

    @settings(
        max_examples=max_examples,
        deadline=None,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        **fresh,  # type: ignore[arg-type]
    )
    @given(data=strategy)
    def check(data: bytes) -> None:
        last[:] = [data]
        stats.examples += 1
        target(data)

    deadline = None if seconds is None else time.monotonic() + seconds
    while True:
        start = time.monotonic()
        try:
            check()
        except BaseException:
            if save and last:
                path = save_regression(name, last[0])
                print(f"fuzz {name}: crash saved as {path}", flush=True)
            raise
        finally:
            stats.seconds += time.monotonic() - start
        if deadline is None or time.monotonic() >= deadline:
            return
