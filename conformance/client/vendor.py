"""The checking vendor: the reference server on loopback, recording and judging every request.

:func:`checking_vendor` starts it over a throw-away in-memory store holding one account with
generous credit and one SASP session (:class:`Credentials`), behind
:class:`~conformance.client.recording.RecordingApp`, and yields the :class:`CheckingVendor` a
client is pointed at: its base URL, its test CA, and the environment a client program gets.
"""

from __future__ import annotations

import contextlib
import os
import secrets as pysecrets
import shlex
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import attrs

from ..asgi import App
from ..reference.records import MEMORY, StoreError
from ..reference.serve import GENEROUS_CREDIT, ServerGroup, seed_store, server_group, serving_in_background
from ..reference.store import Store
from ..results import CouldNotRun
from .recording import Recorder, RecordingApp

__all__ = ["CheckingVendor", "Credentials", "checking_vendor"]

_ITERATIONS: Final = 1_000  # PBKDF2 rounds for the throw-away in-memory account: speed, not safety
_CA_VARIABLES: Final = (
    "SSL_CERT_FILE",
    "COMODO_CA_FILE",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
)


@attrs.frozen
class Credentials:
    """The vendor's account: the one given with --account, or a throw-away one; a SASP session."""

    login_name: str
    login_password: str = attrs.field(repr=False)
    sasp_session_id: str = attrs.field(repr=False)
    password_given: bool = False

    @classmethod
    def make(cls, account: tuple[str, str] | None) -> Credentials:
        name, password = account or ("conformance", pysecrets.token_urlsafe(18))
        return cls(name, password, pysecrets.token_hex(8), account is not None)

    @property
    def secrets(self) -> list[str]:
        return [self.login_password, self.sasp_session_id]


@attrs.frozen
class CheckingVendor:
    """The checking vendor as a client sees it."""

    url: str
    ca_file: str | None
    credentials: Credentials

    def environment(self) -> dict[str, str]:
        """The variables a client program gets: COMODO_API_URL, the credentials, and the CA file
        under every name common HTTP clients read (none without TLS)."""
        c = self.credentials
        env = {
            "COMODO_API_URL": self.url,
            "COMODO_LOGIN_NAME": c.login_name,
            "COMODO_LOGIN_PASSWORD": c.login_password,
            "COMODO_SASP_SESSION_ID": c.sasp_session_id,
        }
        if self.ca_file:
            env.update(dict.fromkeys(_CA_VARIABLES, self.ca_file))
        return env

    def info(self) -> dict[str, Any]:
        """The vendor as the JSON report shows it (no secret)."""
        return {"vendor": {"url": self.url, "tls": self.ca_file is not None, "account": self.credentials.login_name}}

    def write_env_file(self, path: Path) -> Path:
        """``export NAME='value'`` lines for a shell, readable by its owner only; a password given
        with --account is not written (the user has it)."""
        lines = []
        for name, value in self.environment().items():
            if name == "COMODO_LOGIN_PASSWORD" and self.credentials.password_given:
                lines.append(f"# {name}: the password given with --account")
                continue
            lines.append(f"export {name}={shlex.quote(value)}")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        return path


@contextlib.contextmanager
def checking_vendor(
    recorder: Recorder,
    credentials: Credentials,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: bool = True,
    lenient: bool = False,
    data_dir: Path | None = None,
    background: bool = True,
) -> Iterator[tuple[CheckingVendor, ServerGroup]]:
    """Start the recording reference server for *credentials*; yield the :class:`CheckingVendor`
    and its server group.  With *background* it serves in a thread until the block ends;
    otherwise the caller runs ``group.serve(...)``.  Raises
    :class:`~conformance.results.CouldNotRun` with a one-line reason if it cannot start."""
    c = credentials
    with contextlib.ExitStack() as stack:
        try:
            store = stack.enter_context(Store(MEMORY, pbkdf2_iterations=_ITERATIONS))
            seed_store(
                store, [(c.login_name, c.login_password)], [(c.sasp_session_id, c.login_name)], credit=GENEROUS_CREDIT
            )
            folder = data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="comodo-client-")))

            def wrap(app: App) -> App:
                return RecordingApp(app, recorder)

            group = server_group(
                store, tls=tls, data_dir=folder, host=host, port=port, strict=not lenient, app_wrapper=wrap
            )
            stack.callback(group.close_sockets)
            if background:
                stack.enter_context(serving_in_background(group, name="checking-vendor"))
        except (OSError, RuntimeError, StoreError, ValueError) as exc:
            where = f" on {host}:{port}" if port else ""
            raise CouldNotRun(f"the checking vendor could not start{where}: {type(exc).__name__}: {exc}") from None
        yield CheckingVendor(group.base_url, group.ca_file, c), group
