"""Conformance test kit for the Comodo reseller APIs: checks, runners, reference server, reports."""
