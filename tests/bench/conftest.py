"""The benchmarks (``tox -e bench``): collected only when asked for.

The project's normal test run (``python -m pytest -n 2``) does not collect this folder: it runs
only with pytest-benchmark installed (the ``bench`` extra) and ``--benchmark-only`` given (what
``tox -e bench`` passes), or with ``COMODO_BENCH=1``.  At the end of a run the ratio table
(:mod:`bench_results`) is printed after pytest-benchmark's own tables.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest

ENV = "COMODO_BENCH"


def _wanted(config: pytest.Config) -> bool:
    if importlib.util.find_spec("pytest_benchmark") is None:
        return False
    if os.environ.get(ENV) == "1":
        return True
    try:
        return bool(config.getoption("benchmark_only"))
    except ValueError:  # pytest-benchmark installed but not loaded (-p no:benchmark)
        return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.name == "conftest.py":
        return None
    return True if not _wanted(config) else None


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if not _wanted(config):
        return
    import bench_results

    text = bench_results.summary()
    if text:
        terminalreporter.write_sep("=", "comodo-conformance benchmark summary (medians)")
        terminalreporter.write_line(text)
        out = os.environ.get("COMODO_BENCH_SUMMARY")
        if out:
            Path(out).write_text(text + "\n", encoding="utf-8")
