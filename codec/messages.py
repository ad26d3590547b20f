"""Vendor messages both ways: fill a code's template, and recover the structure from a message.

Templates are the tables' (``'xxxx'`` = an argument name, ``'xx'`` = a country).  Filled values
lose CR and LF (note ``newline-in-message``) so a message can never break the newline format.
"""

from __future__ import annotations

from .errors import wrong_type
from .models import ErrorDetail
from .tables import EndpointSpec

__all__ = ["clean_message", "message_for", "parse_message", "utf8_encodable"]

_MAX_ECHO = 64


def clean_message(text: str) -> str:
    """A message safe for one line of the newline format: CR and LF become spaces."""
    if "\r" in text or "\n" in text:
        return text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    return text


def utf8_encodable(text: str) -> bool:
    """Whether a UTF-8 body can carry *text* (a str with a lone surrogate cannot)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check(spec: object, code: object, text: object, parameter: str) -> None:
    """TypeError naming the parameter of the wrong Python type."""
    if not isinstance(spec, EndpointSpec):
        raise wrong_type("spec", spec, "an EndpointSpec (codec.endpoint_spec)")
    if type(code) is not int and (isinstance(code, bool) or not isinstance(code, int)):
        raise wrong_type("code", code, "an int")
    if text is not None and not isinstance(text, str):
        raise wrong_type(parameter, text, "a str or None")


def message_for(spec: EndpointSpec, code: int, argument: str | None = None) -> str | None:
    """The message for *code* with its placeholder filled by *argument*; None for an unknown code.

    A template without a placeholder ignores *argument* (AutoApplyIdA's -2 names nothing).
    """
    _check(spec, code, argument, "argument")
    entry = spec.codes.get(code)
    if entry is None:
        return None
    if entry.placeholder_token is None:
        return entry.message
    filled = clean_message((argument or "")[:_MAX_ECHO])
    return entry.message.replace(f"'{entry.placeholder_token}'", f"'{filled}'", 1)


def parse_message(spec: EndpointSpec, code: int, message: str | None) -> ErrorDetail:
    """Recover what a message says: the argument or country it names, and whether it matches the
    table's template for *code* (an unknown code never does)."""
    _check(spec, code, message, "message")
    entry = spec.codes.get(code)
    if entry is None or message is None:
        return ErrorDetail(
            code=code, message=message, matches_template=entry is not None and message is None and code >= 0
        )
    if entry.free_text:
        return ErrorDetail(code=code, message=message, matches_template=True)
    match = entry.pattern.match(message)
    if match is None:
        return ErrorDetail(code=code, message=message, matches_template=False)
    if entry.placeholder_kind == "argument":
        return ErrorDetail(code=code, message=message, argument=match.group(1))
    if entry.placeholder_kind == "country":
        return ErrorDetail(code=code, message=message, country=match.group(1))
    return ErrorDetail(code=code, message=message)
