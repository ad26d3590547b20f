"""One fuzz target under atheris (libFuzzer), coverage-instrumented: run by ``python -m tests.fuzz``.

python -m tests.fuzz.atheris_main TARGET [CORPUS_DIR] [-libfuzzer_flag=value ...]
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["codec", "conformance"]):
    from tests.fuzz.targets import TARGETS


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(
            f"usage: python -m tests.fuzz.atheris_main TARGET [CORPUS] [libFuzzer flags]; targets: {sorted(TARGETS)}"
        )
    target = TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
