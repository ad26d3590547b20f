"""Whether the spec package runs from a clone of the repository (the only place to write to).

``regenerate`` and ``check`` rewrite or compare files beside the package (``spec/tables/``,
``codec/``); installed from a wheel, that is a copy inside site-packages that nobody commits, so
they refuse to run there.  ``regenerate DOC --out DIR``, ``diff`` and ``openapi`` write only where
they are told, and work anywhere.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

__all__ = ["PROJECT", "NotACheckout", "require_checkout"]

PROJECT = "comodo-conformance"
_INSTALLED = {"site-packages", "dist-packages"}


class NotACheckout(Exception):
    """The package is not running from a source checkout; the message says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"run this in a clone of the repository ({reason})")


def require_checkout(root: Path) -> None:
    """Raise :class:`NotACheckout` unless *root* (the folder holding ``spec/``) is a clone of this
    project: not a site-packages or dist-packages folder, with a ``pyproject.toml`` naming it."""
    if root.name in _INSTALLED:
        raise NotACheckout(f"{root / 'spec'} is an installed copy in {root.name}")
    pyproject = root / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotACheckout(f"no pyproject.toml beside {root / 'spec'}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise NotACheckout(f"{pyproject} cannot be read: {exc}") from None
    project = data.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    if name != PROJECT:
        raise NotACheckout(f"{pyproject} names project {name!r}, not {PROJECT!r}")
