"""The decoding adapter protocol, the kit's side: what it sends, how it talks, how it compares.

:func:`variants` makes every response the tables allow a client to receive -- both formats,
every code with its filled message, every status, the lenient variants the notes allow (CRLF,
no final newline, trailing blank lines, white space, errorMessage on success, the other
endpoint's texts, ...) -- and a few malformed bodies a decoder must refuse.  Each variant's
expected reading is the codec's lenient :func:`codec.decode_response` (or its refusal).
:class:`Adapter` runs the adapter program and exchanges one JSON line per variant;
:func:`compare` judges its answer.  The protocol itself is documented in
``conformance/ADAPTER.md``.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import json
import os
import queue
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import IO, Any, Final, NoReturn

import attrs

import codec

from ..judge import Finding

__all__ = [
    "Adapter",
    "AdapterFailed",
    "AdapterNotRunning",
    "CannotStart",
    "Variant",
    "compare",
    "expected_reading",
    "spawn",
    "stop",
    "variants",
]

AUTO: Final = codec.AUTO_APPLY_IDA
CLICK: Final = codec.UPDATE_USER_EV_CLICK_THROUGH

# order numbers and amounts that survive only exact decoding: 2**53 + 1 is not a double, and
# neither is an amount with 18 significant digits
ORDER_NUMBERS: Final = (1, 1234567, 9007199254740993)
AMOUNTS: Final = ("0", "12.50", "199", "1234567890123456.78")
FREE_TEXT: Final = "Order '1234567' was not found – Zürich & Söhne = 100% lost"


@attrs.frozen
class Variant:
    """One answer to send: its id (``endpoint/group/detail``), what it is, the note that allows
    it (None: the documents' letter), and whether a decoder must refuse it (``malformed``)."""

    id: str
    endpoint: str
    body: bytes
    content_type: str | None
    response_format: int | None
    about: str
    note: str | None = None
    malformed: bool = False

    def message(self, number: int) -> dict[str, Any]:
        """The protocol message for this variant, numbered *number*."""
        try:
            text: str | None = self.body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        return {
            "id": number,
            "endpoint": self.endpoint,
            "content_type": self.content_type,
            "response_format": self.response_format,
            "body": text,
            "body_base64": base64.b64encode(self.body).decode("ascii"),
        }


def expected_reading(variant: Variant) -> Any:
    """The codec's reading of *variant*: a response, or the :class:`codec.ResponseInvalid` it raises."""
    try:
        return codec.decode_response(
            variant.endpoint, variant.body, content_type=variant.content_type, response_format=variant.response_format
        )
    except codec.ResponseInvalid as exc:
        return exc


# ---------------------------------------------------------------------- the variants


def _argument(spec: codec.EndpointSpec, code: int) -> str | None:
    """What a code's placeholder names in the variants: a required variable, or country XX."""
    kind = spec.codes[code].placeholder_kind
    if kind == "country":
        return "XX"
    if kind == "argument":
        return next(f.name for f in reversed(spec.fields) if f.presence == "required")
    return None


def _encoded(
    vid: str, response: Any, fmt: int | None, about: str, note: str | None = None, *, requested: int | None = -1
) -> Variant:
    """*response* encoded in format *fmt*; *requested* is what the request asked for (default *fmt*)."""
    encoded = codec.encode_response(response, response_format=fmt)
    return Variant(
        vid,
        response.ENDPOINT,
        encoded.body,
        encoded.content_type,
        fmt if requested == -1 else requested,
        about,
        note,
    )


def _error(endpoint: str, code: int) -> Any:
    spec = codec.endpoint_spec(endpoint)
    response = codec.error_response(endpoint, code, _argument(spec, code))
    if spec.codes[code].free_text:
        response = attrs.evolve(response, error_message=FREE_TEXT)
    return response


def _successes(spec: codec.EndpointSpec, fmt: str) -> Iterator[Any]:
    hours = spec.formats[fmt].expected_delivery
    for i in range(max(len(AMOUNTS), len(hours))):
        yield codec.AutoApplyIdAResponse(
            error_code=0,
            order_number=ORDER_NUMBERS[i % len(ORDER_NUMBERS)],
            total_cost=Decimal(AMOUNTS[i % len(AMOUNTS)]),
            expected_delivery_time=hours[i % len(hours)],
        )


def _describe(response: Any) -> str:
    wire = codec.converter.unstructure(response)
    return ", ".join(f"{k}={v}" for k, v in wire.items())


def _auto_apply_ida() -> Iterator[Variant]:
    spec = codec.endpoint_spec(AUTO)
    positive = sorted((c for c in spec.codes if c > 0), reverse=True)
    negative = sorted((c for c in spec.codes if c < 0), reverse=True)
    for key in sorted(k for k in spec.formats if k is not None):
        fmt = int(key)
        for i, ok in enumerate(_successes(spec, key), 1):
            yield _encoded(f"{AUTO}/format-{fmt}/code-0/{i}", ok, fmt, _describe(ok))
        for code in positive:  # status 1: order fields as the newline format has them (note format1-status1)
            paid = codec.AutoApplyIdAResponse(
                error_code=code,
                error_message=codec.message_for(spec, code),
                order_number=ORDER_NUMBERS[1],
                total_cost=Decimal(AMOUNTS[1]),
                expected_delivery_time=1,
            )
            yield _encoded(
                f"{AUTO}/format-{fmt}/code-{code}",
                paid,
                fmt,
                _describe(paid),
                None if fmt == 0 else codec.NoteId.FORMAT1_STATUS1,
            )
            if fmt == 1:  # the letter: only errorCode and errorMessage
                bare = codec.AutoApplyIdAResponse(error_code=code, error_message=codec.message_for(spec, code))
                yield _encoded(f"{AUTO}/format-1/code-{code}/message-only", bare, 1, _describe(bare))
        for code in negative:
            err = _error(AUTO, code)
            yield _encoded(f"{AUTO}/format-{fmt}/code-{code}", err, fmt, _describe(err))
    success = next(_successes(spec, "0"))
    failure = _error(AUTO, -4)
    yield _encoded(
        f"{AUTO}/no-format-asked/code-0", success, 0, "no responseFormat sent: the newline format", requested=None
    )
    yield _encoded(
        f"{AUTO}/no-format-asked/code--4/urlencoded",
        failure,
        1,
        "an invalid responseFormat earned -4 in the URL-encoded format; the Content-Type says which",
        codec.NoteId.FORMAT_OF_ERRORS,
        requested=None,
    )
    yield from _format0_lenient(success, failure)
    yield from _format1_lenient(success)
    yield from _other_texts()


def _format0_lenient(success: Any, failure: Any) -> Iterator[Variant]:
    """Note format0-line-ending and friends: bodies a lenient newline decoder must still read."""
    changes: dict[str, tuple[Callable[[bytes], bytes], str]] = {
        "crlf": (lambda b: b.replace(b"\n", b"\r\n"), "CRLF line endings"),
        "no-final-newline": (lambda b: b[:-1], "no newline after the last line"),
        "blank-lines-at-end": (lambda b: b + b"\n\n", "two blank lines at the end"),
        "white-space": (
            lambda b: b"".join(b"  " + line.rstrip(b"\n") + b" \t\n" for line in b.splitlines(keepends=True)),
            "spaces and tabs around every value",
        ),
    }
    for name, response in (("code-0", success), ("code--4", failure)):
        plain = codec.encode_response(response, response_format=0)
        for change, (fn, about) in changes.items():
            yield Variant(
                f"{AUTO}/format-0-lenient/{change}/{name}",
                AUTO,
                fn(plain.body),
                plain.content_type,
                0,
                f"{about}: {_describe(response)}",
                codec.NoteId.FORMAT0_LINE_ENDING,
            )
    yield Variant(
        f"{AUTO}/format-0/no-charset",
        AUTO,
        codec.encode_response(success, response_format=0).body,
        "text/plain",
        0,
        "Content-Type text/plain without a charset",
    )
    zero = attrs.evolve(success, expected_delivery_time=0)
    yield _encoded(
        f"{AUTO}/format-0-lenient/expected-delivery-0",
        zero,
        0,
        "expectedDeliveryTime 0 in the newline format",
        codec.NoteId.EXPECTED_DELIVERY_VALUES,
    )


def _pairs(response: Any) -> list[tuple[str, str]]:
    return list(codec.converter.unstructure(response).items())


def _form(vid: str, endpoint: str, pairs: list[tuple[str, str]], about: str, note: str | None = None) -> Variant:
    fmt = 1 if endpoint == AUTO else None
    return Variant(vid, endpoint, codec.encode_form(pairs), "application/x-www-form-urlencoded", fmt, about, note)


def _format1_lenient(success: Any) -> Iterator[Variant]:
    spec = codec.endpoint_spec(AUTO)
    pairs = _pairs(success)
    message = [("errorCode", "0"), ("errorMessage", spec.codes[0].message), *pairs[1:]]
    yield _form(
        f"{AUTO}/format-1-lenient/success-message",
        AUTO,
        message,
        "errorMessage=Successful with errorCode=0",
        codec.NoteId.FORMAT1_SUCCESS_MESSAGE,
    )
    yield _form(f"{AUTO}/format-1/reordered", AUTO, pairs[::-1], "parameters in reverse order")
    unknown = codec.encode_response(_error(AUTO, -14), response_format=1)
    yield Variant(
        f"{AUTO}/format-1/percent-20",
        AUTO,
        unknown.body.replace(b"+", b"%20"),
        "application/x-www-form-urlencoded; charset=utf-8",
        1,
        "spaces written %20 instead of +, and a charset parameter",
        codec.NoteId.FORM_ENCODING_DETAILS,
    )


def _other_texts() -> Iterator[Variant]:
    """Messages the notes allow besides the endpoint's own templates."""
    auto, click = codec.endpoint_spec(AUTO), codec.endpoint_spec(CLICK)
    texts = [
        (AUTO, -1, click.codes[-1].message, codec.NoteId.HTTPS_TEXT, "the -1 text with HTTPS in upper case"),
        (
            AUTO,
            -16,
            click.codes[-16].message,
            codec.NoteId.PERMISSION_DENIED_TEXT,
            "UpdateUserEvClickThrough's -16 text",
        ),
        (
            AUTO,
            -2,
            codec.message_for(click, -2, "colour"),
            codec.NoteId.UNRECOGNISED_ARGUMENT_TEXT,
            "a -2 naming the argument",
        ),
        (CLICK, -16, auto.codes[-16].message, codec.NoteId.PERMISSION_DENIED_TEXT, "AutoApplyIdA's -16 text"),
    ]
    for endpoint, code, message, note, about in texts:
        response = attrs.evolve(codec.error_response(endpoint, code), error_message=message)
        for fmt in (0, 1) if endpoint == AUTO else (None,):
            where = f"format-{fmt}" if fmt is not None else "urlencoded"
            yield _encoded(f"{endpoint}/{where}-lenient/{note}", response, fmt, about, note)


def _click_through() -> Iterator[Variant]:
    spec = codec.endpoint_spec(CLICK)
    for status, row in sorted(spec.statuses.items()):
        ok = codec.UpdateUserEvClickThroughResponse(
            error_code=0, error_message=spec.codes[0].message, status=status, description=row.description
        )
        yield _encoded(f"{CLICK}/code-0/status-{status}", ok, None, _describe(ok))
    for code in sorted((c for c in spec.codes if c < 0), reverse=True):
        err = _error(CLICK, code)
        yield _encoded(f"{CLICK}/code-{code}", err, None, _describe(err))
    done = codec.UpdateUserEvClickThroughResponse(
        error_code=0, error_message=spec.codes[0].message, status=1, description=spec.statuses[1].description
    )
    yield _form(f"{CLICK}/reordered", CLICK, _pairs(done)[::-1], "parameters in reverse order")
    note = codec.NoteId.CLICK_THROUGH_RESPONSE_PRESENCE
    bare_ok = [(k, v) for k, v in _pairs(done) if k != "errorMessage"]
    yield _form(f"{CLICK}/lenient/success-without-message", CLICK, bare_ok, "errorCode=0 without errorMessage", note)
    bare_err = [(k, v) for k, v in _pairs(_error(CLICK, -20)) if k in {"errorCode", "errorMessage"}]
    yield _form(f"{CLICK}/lenient/error-without-status", CLICK, bare_err, "-20 without status and description", note)


def _malformed() -> Iterator[Variant]:
    """Bodies no reading of the tables can decode: a decoder must refuse them."""
    newline = "text/plain; charset=utf-8"
    form = "application/x-www-form-urlencoded"
    bodies = [
        (AUTO, 0, newline, "empty", b"", "an empty body"),
        (AUTO, 0, newline, "status-not-integer", b"OK\n", "a status line that is not an integer"),
        (AUTO, 0, newline, "missing-lines", b"0\n1234567\n", "errorCode=0 without totalCost and expectedDeliveryTime"),
        (AUTO, 0, newline, "order-number-not-integer", b"0\n12a\n12.50\n1\n", "an orderNumber that is not an integer"),
        (AUTO, 0, newline, "currency-sign", b"0\n1234567\n$12.50\n1\n", "an amount with a currency sign"),
        (AUTO, 0, newline, "not-utf-8", b"-4\nThe value is \xff\xfe invalid!\n", "a body that is not UTF-8"),
        (AUTO, 1, form, "no-error-code", b"errorMessage=Successful", "no errorCode"),
        (AUTO, 1, form, "error-code-not-integer", b"errorCode=zero", "an errorCode that is not an integer"),
        (
            AUTO,
            1,
            form,
            "no-order-number",
            b"errorCode=0&totalCost=12.50&expectedDeliveryTime=1",
            "errorCode=0 without orderNumber",
        ),
        (
            AUTO,
            1,
            form,
            "comma-amount",
            b"errorCode=0&orderNumber=1&totalCost=12%2C50&expectedDeliveryTime=1",
            "amount 12,50",
        ),
        (AUTO, 1, form, "bad-percent-escape", b"errorCode=-4&errorMessage=100%ZZ", "a bad percent escape"),
        (CLICK, None, form, "no-error-code", b"errorMessage=Successful&status=1", "no errorCode"),
        (
            CLICK,
            None,
            form,
            "status-not-integer",
            b"errorCode=0&errorMessage=Successful&status=one&description=x",
            "status 'one'",
        ),
    ]
    for endpoint, fmt, content_type, slug, body, about in bodies:
        where = f"format-{fmt}/" if fmt is not None else ""
        yield Variant(f"{endpoint}/malformed/{where}{slug}", endpoint, body, content_type, fmt, about, malformed=True)


def variants(endpoints: Iterable[str] | None = None) -> list[Variant]:
    """Every variant, for *endpoints* (any case; default both), in a stable order."""
    wanted = {codec.canonical_endpoint(e) for e in endpoints} if endpoints else {AUTO, CLICK}
    everything = [*_auto_apply_ida(), *_click_through(), *_malformed()]
    everything.sort(key=lambda v: (v.endpoint != AUTO, v.malformed))  # stable: the order made above
    return [v for v in everything if v.endpoint in wanted]


# ---------------------------------------------------------------------- comparing


def _integer(value: Any) -> int | None:
    """An integer the adapter reported: a JSON integer, or its digits as a string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit() and value.isascii():
        return int(value)
    return None


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return None


def _show(value: Any) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False) if not isinstance(value, Decimal) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def compare(variant: Variant, expected: Any, answer: dict[str, Any]) -> tuple[Finding, ...]:
    """Judge the adapter's *answer* to *variant* against the codec's reading *expected*.

    A malformed body must be refused (``error``); an allowed one must not be, and every parameter
    the body carries must be reported with the same value (integers exactly, ``totalCost`` as the
    same decimal, texts exactly).  ``errorMessage`` is not compared with errorCode 0 (note
    ``format1-success-message``: tolerated and ignored); parameters the body lacks may be absent
    or null, and keys that are not parameters are ignored."""
    spec = codec.endpoint_spec(variant.endpoint)
    refused = answer.get("error")
    if isinstance(expected, codec.ResponseInvalid):
        if refused is not None:
            return ()
        rule = f"{spec.name}.responses.{expected.field or 'body'}.{expected.rule}"
        shown = {k: v for k, v in answer.items() if k != "id"}
        return (Finding("failure", rule, f"accepted {variant.about}: {_show(shown)}; it cannot be read ({expected})"),)
    why = f" (note {variant.note})" if variant.note else ""
    if refused is not None:
        rule = variant.note or f"{spec.name}.responses"
        return (Finding("failure", rule, f"refused {variant.about}, which the tables allow{why}: {_show(refused)}"),)
    wire: dict[str, str] = codec.converter.unstructure(expected)
    code = expected.error_code
    findings: list[Finding] = []
    for p in spec.params:
        if p.name == "errorMessage" and code == 0:
            continue
        want = wire.get(p.name)
        got = answer.get(p.name)
        if want is None:
            if got is not None and p.name != "errorMessage":
                findings.append(
                    Finding(
                        "failure",
                        f"{spec.name}.responses.{p.name}",
                        f"reported {p.name}={_show(got)}; the body has none",
                    )
                )
            continue
        if p.type == "integer":
            same = _integer(got) == int(want)
        elif p.type == "amount":
            same = _amount(got) == Decimal(want)
        else:
            same = got == want
        if not same:
            findings.append(
                Finding(
                    "failure",
                    f"{spec.name}.responses.{p.name}",
                    f"reported {p.name}={_show(got)}; the body says {_show(want)}{why}",
                )
            )
    return tuple(findings)


# ---------------------------------------------------------------------- the adapter process


class CannotStart(Exception):
    """A program could not be started (not found, not executable...); the message says which and why."""


class AdapterNotRunning(CannotStart):
    """The adapter could not be started, or exited before answering anything (exit status 2)."""


def spawn(
    argv: list[str], *, stdin: Any, stdout: Any, stderr: Any, env: dict[str, str] | None
) -> subprocess.Popen[bytes]:
    """Start *argv* in a session (process group) of its own, so :func:`stop` can end all of it."""
    try:
        return subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=stderr, env=env, start_new_session=True)
    except OSError as exc:
        raise CannotStart(f"cannot run {argv[0]!r}: {exc.strerror or exc}") from None


def stop(proc: subprocess.Popen[bytes], grace: float = 1.0) -> None:
    """End a program started by :func:`spawn`: close its stdin, wait *grace* seconds, then
    SIGTERM its process group, and SIGKILL two seconds later."""
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    for sig, wait in ((None, grace), (signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
        if sig is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


class AdapterFailed(Exception):
    """One message got no usable answer: the adapter exited, timed out or wrote something else."""


_EOF: Final = object()
STRIKES: Final = 3  # starts without a single answer before the adapter is deemed not to run at all


class Adapter:
    """The adapter program, started on first use and again after it exits or times out.

    :meth:`ask` sends one message and returns the adapter's answer (a dict with the same id) or
    raises :class:`AdapterFailed`; :meth:`close` ends it (end of input, then a signal)."""

    def __init__(self, argv: list[str], *, timeout: float, env: dict[str, str] | None = None) -> None:
        self.argv = argv
        self.timeout = timeout
        self.env = env
        self.answered = 0
        self.starts = 0
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self._proc: subprocess.Popen[bytes] | None = None
        self._lines: queue.Queue[object] = queue.Queue()
        self._stderr_pump = threading.Thread()

    def _start(self) -> subprocess.Popen[bytes]:
        pipe = subprocess.PIPE
        try:
            proc = spawn(self.argv, stdin=pipe, stdout=pipe, stderr=pipe, env=self.env)
        except CannotStart as exc:
            raise AdapterNotRunning(str(exc)) from None
        self.starts += 1
        lines: queue.Queue[object] = queue.Queue()
        self._lines = lines
        threading.Thread(target=_pump, args=(proc.stdout, lines.put), daemon=True).start()
        self._stderr_pump = threading.Thread(target=_pump, args=(proc.stderr, self._keep_stderr), daemon=True)
        self._stderr_pump.start()
        return proc

    def _keep_stderr(self, line: object) -> None:
        if isinstance(line, bytes):
            self.stderr_tail.append(line.decode("utf-8", "replace").rstrip())

    def ask(self, message: dict[str, Any]) -> dict[str, Any]:
        if self._proc is None:
            self._proc = self._start()
        proc = self._proc
        assert proc.stdin is not None
        try:
            proc.stdin.write(json.dumps(message, ensure_ascii=True).encode("ascii") + b"\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._gone()
        deadline = time.monotonic() + self.timeout
        line: object = b""
        while isinstance(line, bytes) and not line.strip():  # blank lines are skipped
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                stop(proc)
                self._proc = None
                self._give_up(f"gave no answer within {self.timeout:g} s")
                raise AdapterFailed(f"no answer within {self.timeout:g} s (the adapter was restarted)") from None
        if not isinstance(line, bytes):  # end of its output: it exited
            self._gone()
        assert isinstance(line, bytes)
        try:
            reply = json.loads(line, parse_float=Decimal)
        except ValueError:
            raise AdapterFailed(
                f"answered with a line that is not JSON: {_show(line.decode('utf-8', 'replace'))}"
            ) from None
        if not isinstance(reply, dict):
            raise AdapterFailed(f"answered with JSON that is not an object: {_show(reply)}")
        if reply.get("id") != message["id"]:
            raise AdapterFailed(f"answered id {_show(reply.get('id'))} to message {message['id']}")
        self.answered += 1
        return reply

    def _gone(self) -> NoReturn:
        proc = self._proc
        self._proc = None
        status = proc.wait(timeout=5) if proc is not None else None
        self._stderr_pump.join(timeout=1)  # its last words, if any
        last = f"; its last words: {self.stderr_tail[-1]}" if self.stderr_tail else ""
        self._give_up(f"exited with status {status}{last}")
        raise AdapterFailed(f"the adapter exited with status {status} instead of answering{last}")

    def _give_up(self, what: str) -> None:
        """AdapterNotRunning when the adapter has answered nothing in :data:`STRIKES` starts."""
        if self.answered == 0 and self.starts >= STRIKES:
            raise AdapterNotRunning(
                f"the adapter ({_command(self.argv)}) answered none of its first {self.starts} messages: it {what}"
            )

    def close(self) -> None:
        if self._proc is not None:
            stop(self._proc)
            self._proc = None


def _command(argv: list[str]) -> str:
    text = shlex.join(argv)
    return text if len(text) <= 60 else text[:57] + "..."


def _pump(stream: IO[bytes] | None, put: Any) -> None:
    """Hand each line of *stream* to *put*, then the end-of-file marker."""
    if stream is not None:
        for line in iter(stream.readline, b""):
            put(line)
    put(_EOF)
