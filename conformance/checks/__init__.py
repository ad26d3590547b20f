"""The check catalog, made from the tables (see :mod:`conformance.checks.variables`)."""

from .variables import FAMILIES, Check, Outcome, catalog, check_by_id

__all__ = ["FAMILIES", "Check", "Outcome", "catalog", "check_by_id"]
