"""Which document version of each endpoint a server speaks: the ``--version`` option of ``serve``
and ``server``.

``--version ENDPOINT=V`` binds one endpoint (any case, with or without ``!``) to version V;
``--version V`` binds every endpoint whose tables list V (and is an error when none does); both
repeat, and an endpoint not named stays at its newest document.  A version is any one
``codec.VERSIONS`` lists: a document kept in spec/sources (its own table), or a version only a
history lists (the next document cut back to the variables that existed then).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import codec

__all__ = ["VERSION_HELP", "Versions", "describe", "parse_versions"]

Versions = Mapping[str, str]
"""Endpoint (as the tables spell it) -> the document version it is bound to; absent: the newest."""

VERSION_HELP = (
    "ENDPOINT=V binds one endpoint to document version V, V alone every endpoint that has it "
    "(repeatable; default: each endpoint's newest document). Known: "
    + "; ".join(f"{name} {', '.join(versions)}" for name, versions in sorted(codec.VERSIONS.items()))
)


def parse_versions(values: Iterable[str]) -> dict[str, str]:
    """``["AutoApplyIdA=1.03", "1.02"]`` -> ``{"AutoApplyIdA": "1.03", "UpdateUserEvClickThrough": "1.02"}``.

    Raises ValueError with a one-line reason: an unknown endpoint or version, a version no
    endpoint has, or two versions for one endpoint."""
    out: dict[str, str] = {}
    for value in values:
        if "=" in value:
            name, _, version = value.partition("=")
            try:
                endpoint = codec.canonical_endpoint(name)
                codec.endpoint_spec(endpoint, version.strip())
            except codec.CodecError as exc:
                raise ValueError(f"--version {value}: {exc}") from None
            pairs = [(endpoint, version.strip())]
        else:
            version = value.strip()
            pairs = [(name, version) for name, versions in sorted(codec.VERSIONS.items()) if version in versions]
            if not pairs:
                known = "; ".join(f"{n} {', '.join(v)}" for n, v in sorted(codec.VERSIONS.items()))
                raise ValueError(f"--version {value}: no endpoint has version {version!r} (known: {known})")
        for endpoint, version in pairs:
            if out.get(endpoint, version) != version:
                raise ValueError(f"--version: {endpoint} is given two versions, {out[endpoint]} and {version}")
            out[endpoint] = version
    return out


def describe(versions: Versions) -> str:
    """``AutoApplyIdA 1.03, UpdateUserEvClickThrough 1.02 (newest)``: what a server speaks."""
    parts = []
    for name, spec in sorted(codec.ENDPOINTS.items()):
        version = versions.get(name, spec.version)
        parts.append(f"{name} {version}" + (" (newest)" if version == spec.version else ""))
    return ", ".join(parts)
