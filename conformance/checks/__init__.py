"""The check catalog, made from the tables: every check has a stable id that cites its table row.

Ids read ``ENDPOINT/FAMILY[/VARIABLE]``, e.g. ``AutoApplyIdA/over-length/location``.  The catalog
(:func:`catalog`) is a tuple of :class:`Check` rows; ``python -m conformance checks`` prints it
and each check's ``run`` executes it against a :class:`~conformance.context.RunContext`.

Families, in run order (each endpoint's checks in this order):

* :mod:`.variables` -- the deterministic boundary phase, one variable at a time: missing, blank,
  over-length, at-limit, allowed, disallowed, country;
* :mod:`.rules` -- the request as a whole: unrecognised, name-case, required-when,
  required-unless, exclusive;
* :mod:`.transport` -- method, https, format, auth;
* :mod:`.properties` -- Hypothesis breadth: valid, single-fault;
* :mod:`.stateful` -- a Hypothesis state machine after a deterministic sequence.

Every answer of every check is also judged for its format, MIME type, parameters, types, code
table, message template, status and delivery values (:mod:`conformance.judge`).

Adding a check: write a function that yields the :class:`Check` rows of one endpoint and
register it with ``@family(NAME, WHAT_IT_SHOWS, phase=PHASE)`` (:func:`~conformance.checks.base.family`) in
one of these modules (or a new one imported below); its run sends probes with
:func:`~conformance.checks.base.probe` and returns an :class:`Outcome`.  Hypothesis checks run
through :mod:`.hypothesis_runner`.
"""

from . import properties, rules, stateful, transport, variables
from .base import FAMILIES, Check, Outcome, catalog, check_by_id, family

__all__ = [
    "FAMILIES",
    "Check",
    "Outcome",
    "catalog",
    "check_by_id",
    "family",
    "properties",
    "rules",
    "stateful",
    "transport",
    "variables",
]
