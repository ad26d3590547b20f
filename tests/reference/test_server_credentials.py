"""Accounts and SASP sessions given to ``serve`` without secrets on the command line (issue 11):
the accounts file's format and checks, the environment variables, and every refusal in one line
that names the file and line (or the variable) and never the secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.reference.credentials import (
    MAX_ACCOUNTS_FILE,
    CredentialError,
    account_entry,
    from_environment,
    read_accounts_file,
    sasp_entry,
)
from tests.support.server import PASSWORD


def _file(tmp_path: Path, text: str | bytes, mode: int = 0o600) -> Path:
    path = tmp_path / "accounts.txt"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    path.chmod(mode)
    return path


def test_the_accounts_file_format(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "# the reference server's accounts\n"
        "\n"
        f"account alice:{PASSWORD}\n"
        "account bob:a password: with colons, and a trailing space \r\n"  # CRLF endings are fine
        "   # an indented comment\n"
        "sasp SESSION000000001:alice\n"
        "account carol:#not-a-comment",  # no final newline
    )
    accounts, sessions = read_accounts_file(path)
    assert accounts == [
        ("alice", PASSWORD),
        ("bob", "a password: with colons, and a trailing space "),
        ("carol", "#not-a-comment"),
    ]
    assert sessions == [("SESSION000000001", "alice")]


BAD_LINES = [
    # (file content, the error after "FILE line N: ")
    (f"account alice-{PASSWORD}\n", "line 1: expected NAME:PASSWORD"),
    (f"\n\nacount alice:{PASSWORD}\n", "line 3: expected 'account NAME:PASSWORD' or 'sasp ID:NAME'"),
    (f"alice:{PASSWORD}\n", "line 1: expected 'account NAME:PASSWORD' or 'sasp ID:NAME'"),
    (f"account  alice:{PASSWORD}\n", "line 1: an account name must be non-empty, without surrounding spaces"),
    (f"account {'x' * 65}:{PASSWORD}\n", "line 1: an account name has at most 64 characters (loginName's limit)"),
    (f"account alice:{PASSWORD * 10}\n", "line 1: a password has at most 128 characters (loginPassword's limit)"),
    ("account alice:\n", "line 1: expected NAME:PASSWORD"),
    (f"sasp {PASSWORD}{PASSWORD}:alice\n", "line 1: a SASP session id has at most 16 characters"),
    ("sasp SESSION000000001\n", "line 1: expected ID:NAME"),
    (b"account alice:caf\xe9\n", "line 1: not UTF-8"),
]


@pytest.mark.parametrize(("text", "says"), BAD_LINES, ids=[b[1][:40] for b in BAD_LINES])
def test_a_bad_line_is_one_error_naming_the_file_and_line_and_not_the_secret(
    tmp_path: Path, text: str | bytes, says: str
) -> None:
    path = _file(tmp_path, text)
    with pytest.raises(CredentialError) as info:
        read_accounts_file(path)
    message = str(info.value)
    assert message.startswith(f"{path} {says}") and "\n" not in message
    assert PASSWORD not in message and "caf" not in message


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620])
def test_a_file_others_may_read_or_write_is_refused(tmp_path: Path, mode: int) -> None:
    path = _file(tmp_path, f"account alice:{PASSWORD}\n", mode)
    with pytest.raises(CredentialError, match=rf"readable or writable by others \(mode 0{mode:o}\).*chmod 600"):
        read_accounts_file(path)


def test_a_missing_or_oversized_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match="cannot read it: No such file or directory"):
        read_accounts_file(tmp_path / "nowhere.txt")
    path = _file(tmp_path, "# padding\n" * (MAX_ACCOUNTS_FILE // 10 + 1))
    with pytest.raises(CredentialError, match="over 1048576 bytes"):
        read_accounts_file(path)


def test_entries_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_ACCOUNT", f"demo:{PASSWORD}")
    monkeypatch.setenv("DEMO_SESSION", "SESSION000000001:demo")
    monkeypatch.setenv("BAD_ACCOUNT", PASSWORD)
    monkeypatch.delenv("UNSET_ACCOUNT", raising=False)
    assert from_environment("DEMO_ACCOUNT") == ("demo", PASSWORD)
    assert from_environment("DEMO_SESSION", sasp=True) == ("SESSION000000001", "demo")
    with pytest.raises(CredentialError, match=r"^\$UNSET_ACCOUNT is not set$"):
        from_environment("UNSET_ACCOUNT")
    with pytest.raises(CredentialError, match=r"^\$BAD_ACCOUNT: expected NAME:PASSWORD$"):
        from_environment("BAD_ACCOUNT")


def test_flags_are_checked_the_same_way() -> None:
    assert account_entry("alice:pw:with:colons", "--account") == ("alice", "pw:with:colons")
    assert sasp_entry("S1:alice", "--sasp-session") == ("S1", "alice")
    with pytest.raises(CredentialError, match=r"^--account: an account name has at most 64"):
        account_entry("x" * 65 + ":pw", "--account")
