"""Command-line arguments checked before anything runs: one line and exit status 2 for a bad one,
never a traceback.

:class:`OneLineParser` is the kit's argparse parser (its subcommands inherit it): an error is one
line naming the argument.  The ``type=`` functions refuse what the kit cannot act on -- a number
of seconds that is not a positive finite number, a port outside 0-65535 -- and
:func:`check_base_url` / :func:`check_ca_file` check a URL that must parse and a CA file that must
hold PEM certificates, for the command line and the pytest plugin alike.
"""

from __future__ import annotations

import argparse
import math
import ssl
import sys
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

from .pacing import parse_rate
from .scrub import has_userinfo

__all__ = [
    "OneLineParser",
    "check_base_url",
    "check_ca_file",
    "port",
    "positive_int",
    "positive_seconds",
    "rate",
    "whole_number",
]


class OneLineParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line on stderr (``PROG: MESSAGE (see PROG
    --help)``) and exit status 2 -- argparse's own prints the usage first."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def positive_seconds(text: str) -> float:
    """A number of seconds: finite and above 0 (``nan``, ``inf``, ``0`` and ``-1`` are refused)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def whole_number(text: str) -> int:
    """A whole number of at least 0."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return int(text)


def rate(text: str) -> float:
    """A rate of requests per second: ``2/s``, ``120/min``, ``2.5`` (:func:`conformance.pacing.parse_rate`)."""
    try:
        return parse_rate(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_int(text: str) -> int:
    """A whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def port(text: str) -> int:
    """A TCP port, 0 (any free port) to 65535."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return int(text)


def check_base_url(url: str, option: str, *, schemes: tuple[str, ...] = ("https", "http")) -> str:
    """*url* as a base URL ending ``/``: it parses, its scheme is one of *schemes*, it names a
    host (and a valid port), and it holds no user information (``user:password@``: a password
    there would be printed and written to the reports; the message does not repeat it).
    ValueError with a one-line reason naming *option*."""
    if has_userinfo(url):
        raise ValueError(
            f"{option} holds user information (user:password@host): not shown, and not accepted; give the "
            "account as --login-name and $COMODO_LOGIN_PASSWORD"
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that does not parse
    except ValueError as exc:
        raise ValueError(f"{option} {url!r} does not parse: {exc}") from None
    if parts.scheme.lower() not in schemes:
        wanted = " or ".join(f"{s}://" for s in schemes)
        raise ValueError(f"{option} must start with {wanted}, not {url!r}")
    if not parts.hostname or any(c.isspace() for c in url):
        raise ValueError(f"{option} {url!r} names no host (expected e.g. https://host:8443/products/)")
    if parts.query or parts.fragment:
        raise ValueError(f"{option} {url!r}: a base URL has no query or fragment (expected e.g. .../products/)")
    return url if url.endswith("/") else url + "/"


def check_ca_file(path: str, option: str) -> str:
    """*path*, absolute, when it is a file of PEM certificates a TLS client can trust; ValueError
    with a one-line reason naming *option* otherwise."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise ValueError(f"{option} {path}: no such file")
    try:
        ssl.create_default_context(cafile=str(file))
    except (ssl.SSLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ValueError(f"{option} {path}: not a PEM certificate file ({reason})") from None
    return str(file.resolve())
