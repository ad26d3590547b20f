"""Fuzzing the codec's decoders (issue 6, item 2).

* :mod:`.targets` -- one plain function per decoder, ``fuzz_<name>(data: bytes) -> None``;
* :mod:`.corpus` -- seed inputs made by the codec's own encoders;
* :mod:`.engine` -- the Hypothesis driver (seed splicing, bit flips, token insertion) shared by
  ``tests/codec/test_fuzz.py`` (a bounded run in CI) and ``python -m tests.fuzz`` (a longer run on demand,
  with Hypothesis or atheris);
* ``regressions/<target>/*`` -- every crash found, replayed by ``tests/codec/test_fuzz.py`` on every run.
"""
