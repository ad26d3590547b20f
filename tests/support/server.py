"""Helpers shared by the reference server's tests (test_server_*.py); no tests here."""

from __future__ import annotations

FAST = 1_000  # PBKDF2 iterations for test accounts: the count is stored with each hash, so any number works
PASSWORD = "canary-Pa55word-7f3e"  # alice's password; it must never reach a log or an output


def _present(fields: dict[str, str | None]) -> dict[str, str]:
    return {name: value for name, value in fields.items() if value is not None}


def order(**overrides: str | None) -> dict[str, str]:
    """A valid !AutoApplyIdA order by alice (N: not validated by the Web Host); None drops a variable."""
    fields: dict[str, str | None] = {
        "loginName": "alice",
        "loginPassword": PASSWORD,
        "product": "36",
        "days": "365",
        "location": "*.example.com/*",
        "organizationName": "Example Ltd",
        "streetAddress1": "1 High Street",
        "localityName": "Leeds",
        "stateOrProvinceName": "West Yorkshire",
        "postalCode": "LS1 1AA",
        "countryName": "GB",
        "isCustomerValidated": "N",
    }
    return _present({**fields, **overrides})


def click(order_number: int | str, action: str = "ResendEmail", **overrides: str | None) -> dict[str, str]:
    """An !UpdateUserEvClickThrough request by alice; None drops a variable."""
    fields: dict[str, str | None] = {
        "loginName": "alice",
        "loginPassword": PASSWORD,
        "action": action,
        "orderNumber": str(order_number),
    }
    return _present({**fields, **overrides})
