"""The ISO 3166-1 alpha-2 list used for countryName (-7), from a maintained package.

The list is read at regeneration time from ``pycountry`` (pinned in pyproject's ``spec`` and
``test`` extras so ``python -m spec check`` is reproducible) and frozen into the tables; the codec
never imports pycountry.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from .document import DocumentError

__all__ = ["load_countries"]

PACKAGE = "pycountry"


def load_countries() -> dict[str, Any]:
    """Return ``{"package", "version", "count", "codes"}``; a DocumentError when pycountry is missing."""
    try:
        import pycountry
    except ImportError:
        raise DocumentError(
            PACKAGE, 0, "the pycountry package (pip install '.[spec]')", "it is not installed"
        ) from None
    codes = sorted({c.alpha_2 for c in pycountry.countries})
    return {"package": PACKAGE, "version": metadata.version(PACKAGE), "count": len(codes), "codes": codes}
