"""Accounts and SASP sessions for ``serve``, given without putting secrets on the command line.

``--account NAME:PASSWORD`` and ``--sasp-session ID:NAME`` put a password and a session id in the
process's arguments, which every user of the machine can read (``ps``, ``/proc/PID/cmdline``).
They still work, and two alternatives keep the secrets out of sight:

``--account-env VAR`` / ``--sasp-session-env VAR`` (repeatable)
    the environment variable VAR holds ``NAME:PASSWORD`` / ``ID:NAME`` (a process's environment is
    readable by its owner only);
``--accounts-file FILE``
    one entry a line, UTF-8::

        # comments and blank lines are ignored
        account alice:s3cret:with:colons
        sasp 0123456789abcdef:alice

    ``account``, one space, ``NAME:PASSWORD``: the name ends at the first colon and the password
    is the rest of the line as it is (spaces included; only the line ending is removed).
    ``sasp``, one space, ``ID:NAME``.  The file must be a private one -- no access for group or
    others (``chmod 600 FILE``), as ssh demands of a private key -- and at most
    :data:`MAX_ACCOUNTS_FILE` bytes.

Every entry is checked as ``accounts add`` checks one: a name of 1 to 64 characters without
surrounding spaces (loginName's limit in the tables), a password of 1 to 128 (loginPassword's), a
session id of 1 to 16 (saspSessionID's).  A bad entry is one :class:`CredentialError` line naming
the file and line, or the flag or variable -- never the secret it holds.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

import codec

__all__ = [
    "MAX_ACCOUNTS_FILE",
    "NAME_MAX",
    "PASSWORD_MAX",
    "SASP_MAX",
    "CredentialError",
    "account_entry",
    "check_name",
    "check_password",
    "from_environment",
    "read_accounts_file",
    "sasp_entry",
]

_AUTO = codec.endpoint_spec(codec.AUTO_APPLY_IDA)
NAME_MAX: Final = _AUTO.by_key["loginname"].max_length or 64
PASSWORD_MAX: Final = _AUTO.by_key["loginpassword"].max_length or 128
SASP_MAX: Final = _AUTO.by_key["saspsessionid"].max_length or 16
MAX_ACCOUNTS_FILE: Final = 1 << 20

_ACCOUNT: Final = "account"
_SASP: Final = "sasp"


class CredentialError(Exception):
    """An account or session that cannot be used; the message is one line and holds no secret."""


def check_name(name: str, where: str = "") -> None:
    """Refuse an account name the vendor's loginName could not carry."""
    prefix = f"{where}: " if where else ""
    if not name or name != name.strip():
        raise CredentialError(f"{prefix}an account name must be non-empty, without surrounding spaces")
    if len(name) > NAME_MAX:
        raise CredentialError(f"{prefix}an account name has at most {NAME_MAX} characters (loginName's limit)")


def check_password(password: str, where: str = "") -> None:
    """Refuse a password the vendor's loginPassword could not carry."""
    prefix = f"{where}: " if where else ""
    if not password:
        raise CredentialError(f"{prefix}empty password")
    if len(password) > PASSWORD_MAX:
        raise CredentialError(f"{prefix}a password has at most {PASSWORD_MAX} characters (loginPassword's limit)")


def _split(text: str, shape: str, where: str) -> tuple[str, str]:
    left, sep, right = text.partition(":")
    if not sep or not left or not right:
        raise CredentialError(f"{where}: expected {shape}")  # the text is not shown: it holds a secret
    return left, right


def account_entry(text: str, where: str) -> tuple[str, str]:
    """``NAME:PASSWORD`` -> (name, password), checked; *where* names its source in an error."""
    name, password = _split(text, "NAME:PASSWORD", where)
    check_name(name, where)
    check_password(password, where)
    return name, password


def sasp_entry(text: str, where: str) -> tuple[str, str]:
    """``ID:NAME`` -> (session id, account name), checked."""
    session, name = _split(text, "ID:NAME", where)
    if len(session) > SASP_MAX:
        raise CredentialError(f"{where}: a SASP session id has at most {SASP_MAX} characters (saspSessionID's limit)")
    check_name(name, where)
    return session, name


def from_environment(variable: str, *, sasp: bool = False) -> tuple[str, str]:
    """The account (``NAME:PASSWORD``) or, with *sasp*, the session (``ID:NAME``) in ``$VARIABLE``."""
    value = os.environ.get(variable)
    if value is None:
        raise CredentialError(f"${variable} is not set")
    return sasp_entry(value, f"${variable}") if sasp else account_entry(value, f"${variable}")


def read_accounts_file(path: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The accounts ``(name, password)`` and SASP sessions ``(id, name)`` of an accounts file (the
    format is in the module docstring); :class:`CredentialError` for a file that is not private, too
    large, not UTF-8, or has a bad line."""
    try:
        with path.open("rb") as f:
            info = os.fstat(f.fileno())
            if os.name == "posix" and stat.S_ISREG(info.st_mode) and info.st_mode & 0o077:
                mode = stat.S_IMODE(info.st_mode)
                raise CredentialError(
                    f"{path}: readable or writable by others (mode {mode:04o}); it holds passwords: chmod 600 {path}"
                )
            data = f.read(MAX_ACCOUNTS_FILE + 1)
    except OSError as exc:
        raise CredentialError(f"{path}: cannot read it: {exc.strerror or type(exc).__name__}") from None
    if len(data) > MAX_ACCOUNTS_FILE:
        raise CredentialError(f"{path}: over {MAX_ACCOUNTS_FILE} bytes; an accounts file holds a few lines")
    accounts: list[tuple[str, str]] = []
    sessions: list[tuple[str, str]] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        where = f"{path} line {number}"
        try:
            line = raw.removesuffix(b"\r").decode("utf-8")
        except UnicodeDecodeError:
            raise CredentialError(f"{where}: not UTF-8") from None
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        keyword, _, entry = line.partition(" ")
        if keyword == _ACCOUNT:
            accounts.append(account_entry(entry, where))
        elif keyword == _SASP:
            sessions.append(sasp_entry(entry, where))
        else:
            raise CredentialError(f"{where}: expected 'account NAME:PASSWORD' or 'sasp ID:NAME'")  # no echo: a secret?
    return accounts, sessions
