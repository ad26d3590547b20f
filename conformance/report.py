"""What every report the kit writes says, for every mode: progress lines, failure blocks, the
terminal summary and verdict line, the JSON form of a result; :mod:`conformance.sinks` writes the
JSON and JUnit files and decides where each report goes.

They all read one :class:`~conformance.results.Run` of :class:`~conformance.results.Result` s, so
a server check, a request a client sent and an adapter's answer are shown alike: the id, what it
cites, each rule broken, the example (the request and the answer, with a ``curl`` line that
replays an HTTP request, reading secrets from environment variables; or the variant, the codec's
reading and the adapter's answer).  Failures breaking the same rule are shown by one example.

No secret reaches any of them: every text passes through :func:`scrub` -- the run's known secrets
(as they are, and percent-encoded as a form carries them) and the value of any secret variable
(``loginPassword=...``, ``"saspSessionID": "..."``) whatever it is -- and a body is scrubbed
*before* it is cut to length (a secret the cut split would no longer match).
"""

from __future__ import annotations

import json
import re
import shlex
import textwrap
from collections.abc import Mapping
from typing import IO, Any, Final
from urllib.parse import quote_plus, unquote_plus

import codec

from .judge import cite_rule
from .results import DecodingExample, Exchange, Result, Run

__all__ = [
    "PEER_TEXT_LIMIT",
    "curl_line",
    "cut",
    "failure_block",
    "print_summary",
    "progress_line",
    "redact",
    "result_dict",
    "scrub",
    "sent_secrets",
    "verdict_line",
]

_SECRET_FIELDS: Final = sorted({f.name for n in codec.ENDPOINTS for f in codec.endpoint_spec(n).fields if f.secret})
# a secret pair as a form or query string writes it, and as JSON does
_NAMES: Final = "|".join(_SECRET_FIELDS)
_SECRET_PAIR: Final = re.compile(rf"(?i)\b({_NAMES})(=|%3D)([^&\s'\"]+)")
_SECRET_JSON: Final = re.compile(rf"(?i)(\"(?:{_NAMES})\"\s*:\s*\")([^\"\\]+)\"")
_MIN_SEEN_SECRET: Final = 4  # shorter values a client sent are scrubbed from bodies only, not from all text
_MARKS: Final = {"passed": "ok  ", "failed": "FAIL", "skipped": "skip"}
PEER_TEXT_LIMIT: Final = 400
"""Characters of a peer-supplied text (a name, a value, an adapter's line or error) a finding
keeps: the rest is cut with a marker (:func:`cut`)."""


# ---------------------------------------------------------------------- secrets


def redact(text: str, secrets: list[str]) -> str:
    """*text* with every secret (as is, and percent-encoded as a form would carry it) replaced."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        for form in {secret, quote_plus(secret), quote_plus(secret, safe="")}:
            text = text.replace(form, codec.REDACTED)
    return text


def scrub(text: str, secrets: list[str]) -> str:
    """*text* without any secret: the values of secret pairs (loginPassword=..., saspSessionID=...)
    whatever they are, and every known secret wherever it appears (see :func:`redact`)."""
    text = _SECRET_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}{codec.REDACTED}", text)
    text = _SECRET_JSON.sub(lambda m: f'{m.group(1)}{codec.REDACTED}"', text)
    return redact(text, secrets)


def sent_secrets(body: bytes) -> list[str]:
    """The values of secret variables in a form body (any spelling of the name), long enough to
    be scrubbed from all text."""
    values = (unquote_plus(m.group(3)) for m in _SECRET_PAIR.finditer(body.decode("latin-1")))
    return [v for v in values if len(v) >= _MIN_SEEN_SECRET]


def cut(text: str, limit: int = PEER_TEXT_LIMIT) -> str:
    """*text* as a peer's text is shown: control characters escaped (``\\x1b``: no terminal
    sequence, and nothing XML cannot hold), and when longer than *limit* characters its head and
    its last few characters with a marker between them saying how many were left out (a
    message's end -- the vendor code a fault earns -- survives a 20 MB name in its middle)."""
    text = text.translate(_CONTROLS)
    if len(text) <= limit:
        return text
    tail = min(60, limit // 4)
    left_out = len(text) - limit
    return f"{text[: limit - tail]}[... {left_out} characters cut ...]{text[len(text) - tail :]}"


# C0 controls but TAB, DEL and C1 controls, shown as Python writes them
_CONTROLS: Final = {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)] if c != 0x09}


def _text(data: bytes | None, secrets: list[str], limit: int = 2000) -> str:
    """*data* as text, scrubbed *before* it is cut to *limit*."""
    if data is None:
        return ""
    text = scrub(data.decode("utf-8", "backslashreplace"), secrets)
    return text if len(text) <= limit else text[:limit] + f"... ({len(data)} bytes)"


# ---------------------------------------------------------------------- one result


_SECRET_KEYS: Final = frozenset(name.lower() for name in _SECRET_FIELDS)


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


def _data_words(body: bytes, secrets: list[str], replay: Mapping[str, str]) -> list[str]:
    """curl data arguments that send *body*: runs of pairs as they are (``--data-binary``), and a
    pair holding a secret as ``--data-urlencode NAME="$VARIABLE"`` (curl joins them with ``&``)."""
    words: list[str] = []
    plain: list[str] = []

    def flush() -> None:
        if plain:
            words.extend(["--data-binary", shlex.quote(_text("&".join(plain).encode("latin-1"), secrets, 100_000))])
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
    exchange: Exchange, secrets: list[str], ca_file: str | None = None, replay: Mapping[str, str] | None = None
) -> str:
    """A shell command that replays the request: the same method (a GET's variables in the query
    string, ``-G``), Content-Type and pairs, ``--cacert`` for the CA the run trusted, and each
    secret read from the environment variable *replay* names for it (``"$COMODO_LOGIN_PASSWORD"``)
    -- never printed; a secret *replay* has no variable for is ``<redacted>``."""
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
    example: Exchange | DecodingExample, secrets: list[str], ca_file: str | None, replay: Mapping[str, str]
) -> dict[str, Any]:
    if isinstance(example, DecodingExample):
        return {
            "sent": {
                "endpoint": example.endpoint,
                "content_type": example.content_type,
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
            "content_type": example.content_type,
            "body": _text(example.body, secrets),
            "error": example.error,
        },
    }


def result_dict(
    result: Result, secrets: list[str], ca_file: str | None = None, replay: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """One result as the JSON report has it (its example in full when it has one)."""
    out: dict[str, Any] = {"id": result.id, "group": result.group, **result.details}
    out.update(
        cites=result.cites or None,
        outcome=result.status,
        duration=round(result.duration, 4),
        examples=result.examples,
        reason=scrub(result.reason, secrets) or None,
        findings=[
            {
                "severity": f.severity,
                "rule": f.rule,
                "message": scrub(f.message, secrets),
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
    example: Exchange | DecodingExample, secrets: list[str], ca_file: str | None, replay: Mapping[str, str]
) -> list[str]:
    if isinstance(example, DecodingExample):
        lines = [f"  sent:     {example.content_type} (responseFormat {example.response_format})"]
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
    lines = [f"  request:  {example.method} {example.url}"]
    if example.request_content_type is not None and not get:
        lines.append(f"            Content-Type: {example.request_content_type}")
    if example.request_body:
        lines.append(f"            {'?' if get else ''}{_text(example.request_body, secrets, 600)}")
    if example.error:
        lines.append(f"  response: (none) {example.error}")
    elif example.status is not None:
        lines.append(f"  response: HTTP {example.status} {example.content_type}")
        for line in _text(example.body, secrets, 600).splitlines() or [""]:
            lines.append(f"            {line}")
    lines.append(f"  replay:   {curl_line(example, secrets, ca_file, replay)}")
    return lines


def failure_block(
    result: Result, secrets: list[str], ca_file: str | None = None, replay: Mapping[str, str] | None = None
) -> str:
    """The failure block: id, what it cites and expects, each rule broken, the example (with a
    replay line reading secrets from the variables *replay* names)."""
    lines = [f"FAIL {result.id}" + (f" ({result.about})" if result.about else "")]
    if result.cites:
        lines.append(f"  cites:    {result.cites}")
    if result.expects:
        lines.append(f"  expects:  {result.expects}")
    for f in result.failures:
        lines.append(f"  broke:    {f.rule}: {f.message}")
        where = None if result.cites.startswith(f"{f.rule} ") else cite_rule(f.rule)
        if where:
            lines.append(f"  cites:    {where}")
    if result.example is not None:
        lines.extend(_example_lines(result.example, secrets, ca_file, replay or {}))
    return scrub("\n".join(lines), secrets)


def progress_line(result: Result, index: int, total: int | None, secrets: list[str]) -> str:
    """``[index/total] MARK label``, with its notes' count, the reason it was skipped, or the
    rules it broke."""
    where = f"[{index:>{len(str(total))}}/{total}]" if total else f"[{index}]"
    line = f"{where} {_MARKS[result.status]} {result.label or result.id}"
    if result.notes:
        line += f" ({len(result.notes)} note(s))"
    if result.status == "skipped":
        line += f" - {result.reason}"
    if result.failures:
        line += ": " + "; ".join(f"{f.rule}: {f.message}" for f in result.failures)
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
    block = failure_block(group[0], run.secrets, run.ca_file, run.replay)
    if len(group) == 1:
        return block
    rule = _general_rule(group[0].failures[0].rule)
    lines = [block, f"  the same rule ({rule}) fails {len(group) - 1} more {run.noun}(s), shown above by one example:"]
    lines += [f"    {r.id}: {r.failures[0].message}" for r in group[1:]]
    return scrub("\n".join(lines), run.secrets)


def _skipped_lines(run: Run) -> list[str]:
    """Skipped results grouped by reason, each with its ids."""
    reasons: dict[str, list[str]] = {}
    for r in run.results:
        if r.status == "skipped":
            reasons.setdefault(r.reason, []).append(r.id)
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
    s = run.secrets
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
