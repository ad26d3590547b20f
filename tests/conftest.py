"""Shared pytest configuration: the Hypothesis profiles and the ``slow`` marker's option.

Profiles (``HYPOTHESIS_PROFILE`` picks one; ``dev`` when unset):

* ``dev`` -- Hypothesis's defaults, without a per-example deadline: the machine's two cores are
  shared with the loopback servers the tests start, so an example's time says nothing;
* ``ci`` -- the same examples every run (``derandomize``), so a red CI names a real regression
  and not a lucky draw, with the reproduction blob printed on failure.  ``.ci/run`` selects it.

Tests that take more than a few seconds are marked ``slow``; ``--skip-slow`` leaves them out for a
quick local loop (CI runs everything).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", deadline=None)
settings.register_profile(
    "ci", deadline=None, derandomize=True, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--skip-slow", action="store_true", help="leave out the tests marked slow (CI runs them)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--skip-slow"):
        return
    skip = pytest.mark.skip(reason="slow (--skip-slow)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
