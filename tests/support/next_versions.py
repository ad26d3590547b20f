"""Made-up next versions of both vendor documents, for the tests that adopt a new document.

Each is the current document with, in the document's own words: a new optional variable, a new
required variable, a changed limit, a new allowed value, a new error code with a template, a
removed variable and a new version-history line saying so.  :data:`AUTO_CHANGES` and
:data:`CLICK_CHANGES` name them for the assertions.
"""

from __future__ import annotations

from pathlib import Path

from spec.render import SOURCES

__all__ = [
    "AUTO_CHANGES",
    "CLICK_CHANGES",
    "current_document",
    "next_auto_apply_ida",
    "next_click_through",
    "write_next_versions",
]

AUTO_CHANGES = {
    "version": "1.06",
    "previous": "1.05",
    "optional": "idaWebsite",
    "required": "contactName",
    "limit": ("organizationName", 64, 128),
    "value": ("product", "38"),
    "code": (-18, "The 'xxxx' argument is not allowed for this product!"),
    "removed": "postOfficeBox",
}
CLICK_CHANGES = {
    "version": "1.03",
    "previous": "1.02",
    "optional": "comment",
    "required": "resellerReference",
    "limit": ("action", 100, 32),
    "value": ("action", "SendReminder"),
    "code": (-21, "The 'xxxx' argument is not allowed for this order!"),
    "removed": "adminEmailAddress",  # with the ReplaceMailAddress action and its status 2
}


def current_document(endpoint: str) -> Path:
    """The newest document of *endpoint* kept in spec/sources."""
    return max(SOURCES.glob(f"{endpoint}-*.txt"), key=lambda p: tuple(int(x) for x in p.stem.split("-")[1].split(".")))


def _replace(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"the document no longer has exactly one {old[:60]!r}"
    return text.replace(old, new)


def _line(text: str, start: str) -> str:
    lines = [line for line in text.splitlines() if line.startswith(start)]
    assert len(lines) == 1, f"the document has {len(lines)} lines starting {start!r}"
    return lines[0]


def next_auto_apply_ida(text: str) -> str:
    """AutoApplyIdA 1.05 -> a made-up 1.06 (see :data:`AUTO_CHANGES`)."""
    last = _line(text, "- 1.05 ")
    text = _replace(
        text,
        last,
        f'{last}\n- 1.06 Added: "contactName" and "idaWebsite" parameters. Changed: "organizationName" '
        'parameter may be 128 characters long. Removed: "postOfficeBox" parameter.',
    )
    organization = _line(text, "organizationName\t")
    text = _replace(
        text,
        organization,
        organization.replace("64 chars", "128 chars")
        + "\ncontactName\tstring\t64 chars\t\tThe name of the person responsible for the TrustLogo",
    )
    text = _replace(text, _line(text, "<i>postOfficeBox</i>\t") + "\n", "")
    fax = _line(text, "<i>idaFaxNumber</i>\t")
    text = _replace(text, fax, f"{fax}\n<i>idaWebsite</i>\tstring\t255 chars\t\tA Website to add to IdAuthority.")
    text = _replace(text, "37 = Card Payment TrustLogo Some", "37 = Card Payment TrustLogo 38 = Secure Site Seal Some")
    return _replace(
        text,
        "-17 = Request used GET rather than POST!",
        "-17 = Request used GET rather than POST! -18 = The 'xxxx' argument is not allowed for this product!",
    )


def next_click_through(text: str) -> str:
    """UpdateUserEvClickThrough 1.02 -> a made-up 1.03 (see :data:`CLICK_CHANGES`)."""
    last = _line(text, "- 1.02 ")
    text = _replace(
        text,
        last,
        f'{last}\n- 1.03 Added: "comment" and "resellerReference" parameters. Changed: "action" parameter '
        'is at most 32 characters. Removed: "adminEmailAddress" parameter and the ReplaceMailAddress action.',
    )
    action = _line(text, "action\t")
    text = _replace(text, action, action.replace("100 chars", "32 chars"))
    order = _line(text, "orderNumber\t")
    text = _replace(
        text,
        order,
        f"{order}\nresellerReference\tstring\t64 chars\tYour own reference for this request"
        "\n<i>comment</i>\tstring\t255 chars\tA note kept with the click-through",
    )
    text = _replace(text, _line(text, "adminEmailAddress *\t") + "\n", "")
    text = _replace(text, _line(text, "ReplaceMailAddress\tReplaces") + "\n", "")
    resend = _line(text, "ResendEmail\t")
    text = _replace(text, resend, f"{resend}\nSendReminder\tSends a reminder Email to Customer\t")
    text = _replace(text, _line(text, "ReplaceMailAddress\t2\t") + "\n", "")
    minus20 = _line(text, "-20\t")
    return _replace(text, minus20, f"{minus20}\n-21\tThe 'xxxx' argument is not allowed for this order!")


def write_next_versions(sources: Path) -> dict[str, Path]:
    """Write both made-up next versions into *sources* (beside copies of the current ones, which
    the caller keeps there); return their paths by endpoint."""
    out = {}
    for endpoint, changes, make in (
        ("AutoApplyIdA", AUTO_CHANGES, next_auto_apply_ida),
        ("UpdateUserEvClickThrough", CLICK_CHANGES, next_click_through),
    ):
        current = current_document(endpoint)
        assert current.name == f"{endpoint}-{changes['previous']}.txt", current
        path = sources / f"{endpoint}-{changes['version']}.txt"
        path.write_text(make(current.read_text(encoding="utf-8")), encoding="utf-8")
        out[endpoint] = path
    return out
