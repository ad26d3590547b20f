"""Shared test helpers: codec strategies, the mutant switchboard, reference-server helpers, example clients."""
