"""Hypothesis reads constants from the user's own code, not the kit's (conformance/interpreter.py
``kit_sources_not_local``): installed from a checkout, the kit's modules would otherwise count
as local code, cost a parse each in every process and lend their numbers and strings to draws."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hypothesis.internal.conjecture import providers

import conformance.runner  # noqa: F401  (the kit's modules a run has imported)
from conformance.interpreter import kit_sources_not_local

# A fresh process (the kit's modules are new to Hypothesis there): which modules does Hypothesis
# parse for constants at its first draw, with and without the kit's modules marked?
_PROBE = """
import json, sys
import conformance.runner, conformance.checks
from hypothesis.internal.conjecture import providers
from conformance.interpreter import kit_sources_not_local
if sys.argv[1] == "marked":
    kit_sources_not_local()
parsed = []
read = providers.constants_from_module
providers.constants_from_module = lambda module, **kw: parsed.append(module.__name__) or read(module, **kw)
providers._get_local_constants()
print(json.dumps(parsed))
"""


def _parsed(mode: str, cwd: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, cwd=cwd, timeout=120, check=True
    )
    names: list[str] = json.loads(done.stdout)
    return [n for n in names if n.partition(".")[0] in {"codec", "conformance", "spec"}]


def test_the_kit_modules_are_marked_seen() -> None:
    kit_sources_not_local()
    kit = [m for name, m in sys.modules.items() if name.partition(".")[0] in {"codec", "conformance", "spec"}]
    assert kit and all(id(m) in providers._seen_modules for m in kit)


def test_hypothesis_parses_none_of_the_kit_modules(tmp_path: Path) -> None:
    unmarked = _parsed("unmarked", tmp_path)
    if not unmarked:  # the kit is installed in site-packages: Hypothesis never counted it as local
        assert _parsed("marked", tmp_path) == []
        return
    assert "conformance.runner" in unmarked  # an install from a checkout: the kit's modules are local
    assert _parsed("marked", tmp_path) == []
