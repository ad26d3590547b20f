"""Conformance test kit for the Comodo reseller APIs: checks, runners, reference server, reports."""

DEFAULT_EXAMPLES = 100
"""Hypothesis examples per property check when the user does not say (a full default run of both
endpoints against the reference server takes a few seconds on 2 cores).  Kept here, in a module
that imports nothing, so the pytest plugin can show it without loading the kit."""
