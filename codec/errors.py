"""The codec's exceptions: every one carries data, never a secret.

As in h11, the split says whose fault it is:

* :class:`RequestInvalid` -- *you* asked the client half to send a request the tables forbid;
* :class:`RequestRejected` -- the server half received a request the tables forbid; it carries the
  vendor error code the server must answer, the argument (or country) the message names, and the
  response format the answer must use;
* :class:`ResponseInvalid` -- a response body that cannot be decoded (or, in strict mode, that
  deviates from the documents' letter);
* :class:`ResponseEncodeError` -- *you* asked the server half to encode a response the tables
  forbid.

* :class:`FormError` -- a form body that cannot be decoded;
* :class:`UnknownEndpoint`, :class:`UnknownVersion` -- an endpoint or a document version the
  tables do not have.

All derive from :class:`CodecError`, so ``except CodecError`` catches everything the codec raises
on bad input.  A value of the wrong Python type (a ``str`` body, ``strict="no"``, ``method=None``)
is a programming error, not bad input: it raises ``TypeError`` naming the parameter.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = [
    "SHOWN",
    "CodecError",
    "Deviation",
    "FormError",
    "RequestInvalid",
    "RequestRejected",
    "ResponseEncodeError",
    "ResponseInvalid",
    "UnknownEndpoint",
    "UnknownVersion",
    "shown",
    "wrong_type",
]


@attrs.frozen
class Deviation:
    """A way a response departs from the documents' letter, with the note that allows it (or,
    when no note does, the table row it breaks).  ``row`` is the table row whose letter a
    deviation a note allows departs from (``responses.parameters.errorMessage``), None when
    ``note`` is that row already."""

    note: str
    message: str
    row: str | None = None

    def __str__(self) -> str:
        return f"{self.message} [note {self.note}]"


class CodecError(Exception):
    """Base class.  ``code`` is the vendor error code the fault earns (None when none applies),
    ``field`` the wire name of the variable or parameter at fault, ``rule`` the table rule broken
    (``max_length``, ``allowed``, ``required``, ``unrecognised``, ...)."""

    code: int | None
    field: str | None
    rule: str

    def __init__(self, message: str, *, code: int | None = None, field: str | None = None, rule: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        self.rule = rule

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``errorCode``, ``argument`` (when there is one), ``rule``, ``message``."""
        out: dict[str, Any] = {"errorCode": self.code, "message": self.message, "rule": self.rule}
        if self.field is not None:
            out["argument"] = self.field
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, field={self.field!r}, rule={self.rule!r}, message={self.message!r})"


class RequestInvalid(CodecError):
    """The client half refused to encode a request (local fault)."""


class RequestRejected(CodecError):
    """The server half rejected a received request; answer ``code`` in ``response_format``.

    ``argument`` is what the vendor message names: the variable as the client spelled it (for
    -2/-3/-4) or the country as sent (for -7); None for codes without a placeholder.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int,
        field: str | None = None,
        rule: str = "",
        argument: str | None = None,
        response_format: int = 0,
    ) -> None:
        super().__init__(message, code=code, field=field, rule=rule)
        self.argument = argument
        self.response_format = response_format

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.argument is not None:
            out["argument"] = self.argument
        return out


class ResponseInvalid(CodecError):
    """A response body the codec cannot decode, or (strict mode) one that deviates from the letter."""

    def __init__(
        self, message: str, *, field: str | None = None, rule: str = "", deviations: tuple[Deviation, ...] = ()
    ) -> None:
        super().__init__(message, code=None, field=field, rule=rule)
        self.deviations = deviations


class ResponseEncodeError(CodecError):
    """The server half refused to encode a response (local fault)."""


class FormError(CodecError, ValueError):
    """A form body that cannot be decoded: which pair (0-based), its name if readable, and why.

    A :class:`CodecError` (``field`` is the name, ``rule`` is ``form``); still a ValueError, as it
    was before it joined them."""

    def __init__(self, index: int, name: str | None, reason: str) -> None:
        self.index = index
        self.name = name
        self.reason = reason
        where = f"variable {shown(name)!r}" if name else f"pair {index + 1}"
        super().__init__(f"{where}: {reason}", field=name, rule="form")


class UnknownEndpoint(CodecError, ValueError):
    """An endpoint the tables do not have; the message names the ones they do (``known``)."""

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        self.known = known
        super().__init__(f"unknown endpoint {shown(name)!r}; known: {', '.join(known)}", rule="endpoint")


class UnknownVersion(CodecError, ValueError):
    """A document version the endpoint's tables do not list; the message names the ones they do
    (``known``, oldest first)."""

    def __init__(self, endpoint: str, version: str, known: tuple[str, ...]) -> None:
        self.endpoint = endpoint
        self.version = version
        self.known = known
        super().__init__(f"unknown version {shown(version)!r} of {endpoint}; known: {', '.join(known)}", rule="version")


SHOWN = 64
"""Characters of a peer's or caller's text an error message echoes; the rest is cut with a marker."""


def shown(text: str, limit: int = SHOWN) -> str:
    """*text* as a message echoes it: at most *limit* characters, then a marker saying how long it
    was (a 50 MB name must not be copied into every message)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}...[{len(text)} characters]"


def wrong_type(parameter: str, value: object, expected: str) -> TypeError:
    """The TypeError of a public function given the wrong Python type: it names the parameter,
    what it takes and the type it got (never the value, which may be a secret)."""
    return TypeError(f"{parameter} must be {expected}, not {type(value).__name__}")
