"""What every report the kit writes says, for every mode: progress lines, failure blocks, the
terminal summary and verdict line, the JSON form of a result; :mod:`conformance.sinks` writes the
JSON and JUnit files and decides where each report goes.

They all read one :class:`~conformance.results.Run` of :class:`~conformance.results.Result` s, so
a server check, a request a client sent and an adapter's answer are shown alike: the id, what it
cites, each rule broken, the example (the request and the answer, with a ``curl`` line that
replays an HTTP request, reading secrets from environment variables; or the variant, the codec's
reading and the adapter's answer).  Failures breaking the same rule are shown by one example.

No secret reaches any of them: every text passes, at the last step, through the run's one
:class:`~conformance.scrub.Scrubber` (built once from every secret the run knows; it finds each
secret in every encoding the sinks write, and the value of any secret variable whatever it is),
and a body is scrubbed *before* it is cut to length (a secret the cut split would no longer
match).  Every function here takes that scrubber, or the secrets themselves (a scrubber per
distinct set is built once and kept).  Text from the peer is shown escaped (no terminal sequence,
nothing XML cannot hold) and cut with a marker (:func:`cut`).
"""

from __future__ import annotations

import json
import shlex
import textwrap
from collections.abc import Mapping, Sequence
from typing import IO, Any, Final
from urllib.parse import unquote_plus

import codec

from .judge import cite_rule
from .peertext import printable
from .results import DecodingExample, Exchange, Result, Run
from .scrub import SECRET_NAMES, Scrubber, secret_values
from .scrub import scrubber as scrubber_of

__all__ = [
    "BODY_LIMIT",
    "PEER_TEXT_LIMIT",
    "REPLAY_LIMIT",
    "Secrets",
    "curl_line",
    "cut",
    "failure_block",
    "print_summary",
    "progress_line",
    "result_dict",
    "scrub",
    "scrubber_for",
    "sent_secrets",
    "shown",
    "verdict_line",
]

_MIN_SEEN_SECRET: Final = 4  # shorter values a client sent are scrubbed from bodies only, not from all text
_MARKS: Final = {"passed": "ok  ", "failed": "FAIL", "skipped": "skip"}
PEER_TEXT_LIMIT: Final = 400
"""Characters of a peer-supplied text (a name, a value, an adapter's line or error) a finding
keeps: the rest is cut with a marker (:func:`cut`)."""
BODY_LIMIT: Final = 2000
"""Characters of a request or answer body a report shows (the JSON report too)."""
REPLAY_LIMIT: Final = 16384
"""Bytes of a request body a replay line sends; a longer one is not replayed (a line of that size
helps nobody, and a body the kit kept only part of cannot be replayed)."""

Secrets = Scrubber | Sequence[str]
"""The run's scrubber, or the secrets to build one from."""


# ---------------------------------------------------------------------- secrets


def scrubber_for(secrets: Secrets) -> Scrubber:
    """*secrets*' scrubber: itself, or the one kept for that set of secrets."""
    return secrets if isinstance(secrets, Scrubber) else scrubber_of(frozenset(secrets))


def scrub(text: str, secrets: Secrets) -> str:
    """*text* without any secret, in any encoding the sinks use (:mod:`conformance.scrub`)."""
    return scrubber_for(secrets).scrub(text)


def sent_secrets(body: bytes) -> list[str]:
    """The values of secret variables in a form body (any spelling of the name), long enough to
    be scrubbed from all text."""
    return secret_values(body, min_length=_MIN_SEEN_SECRET)


def cut(text: str, limit: int = PEER_TEXT_LIMIT) -> str:
    """*text* as a peer's text is shown: every character that could act on a terminal or that
    XML cannot hold shown escaped (``\\x1b``, :func:`~conformance.peertext.printable`), and when
    longer than *limit* characters its head and its last few characters with a marker between
    them saying how many were left out (a message's end -- the vendor code a fault earns --
    survives a 20 MB name in its middle)."""
    if len(text) > limit:
        tail = min(60, limit // 4)
        left_out = len(text) - limit
        text = f"{text[: limit - tail]}[... {left_out} characters cut ...]{text[len(text) - tail :]}"
    return printable(text)


def shown(text: str | None, secrets: Secrets, limit: int = BODY_LIMIT) -> str:
    """A peer's (or a finding's) text as a report shows it: scrubbed, then cut to *limit*
    characters and escaped (:func:`cut`)."""
    return cut(scrub(text, secrets), limit) if text else ""


def _text(data: bytes | None, secrets: Secrets, limit: int = BODY_LIMIT) -> str:
    """*data* as text, scrubbed *before* it is cut to *limit* characters and shown escaped
    (newlines kept)."""
    if data is None:
        return ""
    text = scrub(data[: limit * 8].decode("utf-8", "backslashreplace"), secrets)
    if len(text) > limit or len(data) > limit * 8:
        text = text[:limit] + f"... ({len(data):,} bytes)"
    return printable(text, keep_newlines=True)


# ---------------------------------------------------------------------- one result


_SECRET_KEYS: Final = frozenset(name.lower() for name in SECRET_NAMES)


def _secret_word(pair: str, value: str, replay: Mapping[str, str]) -> str | None:
    """A shell word ``NAME=VALUE`` for ``curl --data-urlencode`` in which each secret of *replay*
    in *value* is an expansion of its environment variable, or None when *value* holds none."""
    name = unquote_plus(pair.split("=", 1)[0])
    # quoted whatever it holds: a secret's name is never followed by a bare expansion (scrub() would
    # take the expansion for the secret's value)
    pieces: list[str] = ["'" + f"{name}=".replace("'", "'\"'\"'") + "'"]
    rest, found = value, False
    while rest:
        at = min(((rest.find(secret), secret) for secret in replay if secret and secret in rest), default=None)
        if at is None:
            pieces.append(shlex.quote(rest))
            break
        index, secret = at
        if index:
            pieces.append(shlex.quote(rest[:index]))
        pieces.append(f'"${replay[secret]}"')
        rest, found = rest[index + len(secret) :], True
    return "".join(pieces) if found else None


def _data_words(body: bytes, secrets: Secrets, replay: Mapping[str, str]) -> list[str]:
    """curl data arguments that send *body*: runs of pairs as they are (``--data-binary``), and a
    pair holding a secret as ``--data-urlencode NAME="$VARIABLE"`` (curl joins them with ``&``)."""
    words: list[str] = []
    plain: list[str] = []

    def flush() -> None:
        if plain:
            words.extend(
                ["--data-binary", shlex.quote(_text("&".join(plain).encode("latin-1"), secrets, REPLAY_LIMIT))]
            )
            plain.clear()

    for pair in body.decode("latin-1").split("&"):
        name, _, raw = pair.partition("=")
        word = _secret_word(pair, unquote_plus(raw), replay) if unquote_plus(name).lower() in _SECRET_KEYS else None
        if word is None:
            plain.append(pair)
        else:
            flush()
            words.extend(["--data-urlencode", word])
    flush()
    return words


def curl_line(
    exchange: Exchange, secrets: Secrets, ca_file: str | None = None, replay: Mapping[str, str] | None = None
) -> str:
    """A shell command that replays the request: the same method (a GET's variables in the query
    string, ``-G``), Content-Type and pairs, ``--cacert`` for the CA the run trusted, and each
    secret read from the environment variable *replay* names for it (``"$COMODO_LOGIN_PASSWORD"``)
    -- never printed; a secret *replay* has no variable for is ``<redacted>``.  A body over
    :data:`REPLAY_LIMIT` bytes is not replayed: the line says so instead."""
    if len(exchange.request_body) > REPLAY_LIMIT:
        return (
            f"(no replay line: the request body is {len(exchange.request_body):,} bytes, over the "
            f"{REPLAY_LIMIT:,} a replay line sends)"
        )
    get = exchange.method.upper() == "GET"
    words = ["curl", "-sS", *(["-G"] if get else ["-X", exchange.method])]
    if exchange.request_content_type is not None and not get:
        words += ["-H", f"Content-Type: {exchange.request_content_type}"]
    if ca_file:
        words += ["--cacert", str(ca_file)]
    quoted = [shlex.quote(w) for w in words]
    if exchange.request_body:
        quoted += _data_words(exchange.request_body, secrets, replay or {})
    quoted.append(shlex.quote(exchange.url))
    return scrub(" ".join(quoted), secrets)


def _example_dict(
    example: Exchange | DecodingExample, secrets: Secrets, ca_file: str | None, replay: Mapping[str, str]
) -> dict[str, Any]:
    if isinstance(example, DecodingExample):
        return {
            "sent": {
                "endpoint": example.endpoint,
                "content_type": shown(example.content_type, secrets),
                "response_format": example.response_format,
                "body": _text(example.body, secrets),
            },
            "expected": dict(example.expected),
            "adapter": dict(example.answer) if example.answer is not None else None,
            "adapter_stdout_not_answers": list(example.stray),
            "adapter_stderr": list(example.stderr),
        }
    return {
        "request": {
            "method": example.method,
            "url": scrub(example.url, secrets),
            "content_type": example.request_content_type,
            "body": _text(example.request_body, secrets),
            "curl": curl_line(example, secrets, ca_file, replay),
        },
        "response": {
            "status": example.status,
            "content_type": shown(example.content_type, secrets),
            "body": _text(example.body, secrets),
            "error": shown(example.error, secrets) or None,
        },
    }


def result_dict(
    result: Result, secrets: Secrets, ca_file: str | None = None, replay: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """One result as the JSON report has it (its example in full when it has one)."""
    out: dict[str, Any] = {"id": result.id, "group": result.group, **result.details}
    out.update(
        cites=result.cites or None,
        outcome=result.status,
        duration=round(result.duration, 4),
        examples=result.examples,
        reason=shown(result.reason, secrets) or None,
        findings=[
            {
                "severity": f.severity,
                "rule": f.rule,
                "message": shown(f.message, secrets),
                "cites": cite_rule(f.rule),
                **f.details,
            }
            for f in result.findings
        ],
    )
    if result.example is not None:
        out["example"] = _example_dict(result.example, secrets, ca_file, replay or {})
    return out


def _example_lines(
    example: Exchange | DecodingExample, secrets: Secrets, ca_file: str | None, replay: Mapping[str, str]
) -> list[str]:
    if isinstance(example, DecodingExample):
        lines = [f"  sent:     {shown(example.content_type, secrets)} (responseFormat {example.response_format})"]
        for line in _text(example.body, secrets, 600).splitlines(keepends=True) or [""]:
            lines.append(f"            {line!r}")
        lines.append(f"  expected: {json.dumps(example.expected, ensure_ascii=False)}")
        lines.append(f"  adapter:  {json.dumps(example.answer, ensure_ascii=False, default=str)}")
        for stray in example.stray:
            lines.append(f"  stdout:   {stray}")
        if example.stderr:
            lines.append(f"  stderr:   (its last {len(example.stderr)} lines)")
            lines.extend(f"            | {line}" for line in example.stderr)
        return lines
    get = example.method.upper() == "GET"
    lines = [f"  request:  {shown(example.method, secrets)} {shown(example.url, secrets)}"]
    if example.request_content_type is not None and not get:
        lines.append(f"            Content-Type: {example.request_content_type}")
    if example.request_body:
        lines.append(f"            {'?' if get else ''}{_text(example.request_body, secrets, 600)}")
    if example.error:
        lines.append(f"  response: (none) {shown(example.error, secrets)}")
    elif example.status is not None:
        lines.append(f"  response: HTTP {example.status} {shown(example.content_type, secrets)}")
        for line in _text(example.body, secrets, 600).splitlines() or [""]:
            lines.append(f"            {line}")
    lines.append(f"  replay:   {curl_line(example, secrets, ca_file, replay)}")
    return lines


def failure_block(
    result: Result, secrets: Secrets, ca_file: str | None = None, replay: Mapping[str, str] | None = None
) -> str:
    """The failure block: id, what it cites and expects, each rule broken, the example (with a
    replay line reading secrets from the variables *replay* names)."""
    lines = [f"FAIL {result.id}" + (f" ({result.about})" if result.about else "")]
    if result.cites:
        lines.append(f"  cites:    {result.cites}")
    if result.expects:
        lines.append(f"  expects:  {result.expects}")
    for f in result.failures:
        lines.append(f"  broke:    {f.rule}: {shown(f.message, secrets)}")
        where = None if result.cites.startswith(f"{f.rule} ") else cite_rule(f.rule)
        if where:
            lines.append(f"  cites:    {where}")
    if result.example is not None:
        lines.extend(_example_lines(result.example, secrets, ca_file, replay or {}))
    return scrub("\n".join(lines), secrets)


def progress_line(result: Result, index: int, total: int | None, secrets: Secrets) -> str:
    """``[index/total] MARK label``, with its notes' count, the reason it was skipped, or the
    rules it broke."""
    where = f"[{index:>{len(str(total))}}/{total}]" if total else f"[{index}]"
    line = f"{where} {_MARKS[result.status]} {result.label or result.id}"
    if result.notes:
        line += f" ({len(result.notes)} note(s))"
    if result.status == "skipped":
        line += f" - {shown(result.reason, secrets)}"
    if result.failures:
        line += ": " + "; ".join(f"{f.rule}: {shown(f.message, secrets)}" for f in result.failures)
    return scrub(line, secrets)


# ---------------------------------------------------------------------- a run


def _general_rule(rule: str) -> str:
    """*rule* with the variable it names generalised (``AutoApplyIdA.request.*.max_length``), so
    that the same rule broken for several variables is one group."""
    parts = rule.split(".")
    if len(parts) >= 4 and parts[0] in codec.ENDPOINTS and parts[1] == "request":
        if parts[2].lower() in codec.endpoint_spec(parts[0]).by_key:
            parts[2] = "*"
    return ".".join(parts)


def _failure_groups(run: Run) -> list[list[Result]]:
    """The failed results grouped by what they break: the family of checks and the (generalised)
    rule of the first failure.  Results without a family (a request, a variant) stand alone."""
    groups: dict[tuple[str, str], list[Result]] = {}
    for i, r in enumerate(run.failed):
        family = str(r.details.get("family") or "")
        key = (family, _general_rule(r.failures[0].rule)) if family and r.failures else ("", str(i))
        groups.setdefault(key, []).append(r)
    return list(groups.values())


def _group_block(group: list[Result], run: Run) -> str:
    """One example in full (its bodies printed once), the other results of the group by id with
    the rule they broke."""
    block = failure_block(group[0], run.scrubber, run.ca_file, run.replay)
    if len(group) == 1:
        return block
    rule = _general_rule(group[0].failures[0].rule)
    lines = [block, f"  the same rule ({rule}) fails {len(group) - 1} more {run.noun}(s), shown above by one example:"]
    lines += [f"    {r.id}: {r.failures[0].message}" for r in group[1:]]
    return scrub("\n".join(lines), run.scrubber)


def _skipped_lines(run: Run) -> list[str]:
    """Skipped results grouped by reason, each with its ids."""
    reasons: dict[str, list[str]] = {}
    for r in run.results:
        if r.status == "skipped":
            reasons.setdefault(shown(r.reason, run.scrubber), []).append(r.id)
    lines = []
    for reason, ids in sorted(reasons.items()):
        lines.append(f"  {len(ids)} {run.noun}(s): {reason}")
        wrapped = textwrap.wrap(
            ", ".join(ids), 100, initial_indent=" " * 6, subsequent_indent=" " * 6, break_on_hyphens=False
        )
        lines.extend(wrapped)
    return lines


def verdict_line(run: Run) -> str:
    """``VERDICT[ (scope: N of M)]: N of M checks ran, F failed, K with notes, R requests in T s
    (seed S)`` -- every verdict says how much was really checked."""
    counts = [f"{len(run.failed)} failed", f"{sum(bool(r.notes) for r in run.results)} with notes"]
    head = run.verdict
    if run.planned is None:
        counts.insert(0, f"{len(run.results)} {run.noun}{'' if len(run.results) == 1 else 's'}")
    elif run.scope:
        head += f" ({run.scope}: {run.ran} of {run.planned})"
    else:
        skipped = len(run.results) - run.ran
        ran = f"{run.ran} of {run.planned} {run.noun}s ran"
        counts.insert(0, ran + (f" ({skipped} skipped)" if skipped else ""))
    if run.requests is not None:
        counts.append(f"{run.requests} requests")
    seed = f" (seed {run.seed})" if run.seed is not None else ""
    return f"{head}: {', '.join(counts)} in {run.duration:.1f} s{seed}"


def print_summary(run: Run, out: IO[str]) -> None:
    """Failures grouped by the rule they break (one example in full each), then a table per group,
    the notes, the skips by reason, the run's own failures, why it stopped, and the verdict."""
    s = run.scrubber
    for failing in _failure_groups(run):
        out.write(_group_block(failing, run) + "\n\n")
    summary = run.summary()
    width = max([len("endpoint"), *(len(g) for g in summary)])
    out.write(f"{'endpoint':<{width}}  {'passed':>6}  {'failed':>6}  {'skipped':>7}  {'notes':>5}\n")
    totals = {"passed": 0, "failed": 0, "skipped": 0, "notes": 0}
    for group, row in [*summary.items(), ("total", totals)]:
        if group != "total":
            for k in totals:
                totals[k] += row[k]
        out.write(f"{group:<{width}}  {row['passed']:>6}  {row['failed']:>6}  {row['skipped']:>7}  {row['notes']:>5}\n")
    notes: dict[str, str] = {}
    for r in run.results:
        for note in r.notes:
            notes.setdefault(note.rule, note.message)
    if notes:
        out.write("\nnotes (readings the tables allow; not failures):\n")
        for rule, message in sorted(notes.items()):
            out.write(scrub(f"  {rule}: {message}\n", s))
    skipped = _skipped_lines(run)
    if skipped:
        out.write("\nskipped, by reason:\n" + "\n".join(skipped) + "\n")
    command = run.info.get("command")
    if command:
        out.write(scrub(f"\ncommand: {command['summary']}\n", s))
    for failure in run.run_failures:
        out.write(scrub(f"\nFAIL {failure}\n", s))
    if run.stopped:
        out.write(scrub(f"\nstopped: {run.stopped}\n", s))
    out.write(scrub(f"\n{verdict_line(run)}\n", s))
    out.flush()
