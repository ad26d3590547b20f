"""Every report the kit writes, for every mode: progress lines, the terminal summary, JSON, JUnit.

They all read one :class:`~conformance.results.Run` of :class:`~conformance.results.Result` s, so
a server check, a request a client sent and an adapter's answer are shown alike: the id, what it
cites, each rule broken, the example (the request and the answer, with a ``curl`` line that
replays an HTTP request; or the variant, the codec's reading and the adapter's answer).

No secret reaches any of them: every text passes through :func:`scrub` -- the run's known secrets
(as they are, and percent-encoded as a form carries them) and the value of any secret variable
(``loginPassword=...``, ``"saspSessionID": "..."``) whatever it is -- and a body is scrubbed
*before* it is cut to length (a secret the cut split would no longer match).
"""

from __future__ import annotations

import json
import re
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import IO, Any, Final
from urllib.parse import quote_plus, unquote_plus

import codec

from .judge import cite_rule
from .results import CouldNotRun, DecodingExample, Exchange, Result, Run

__all__ = [
    "PEER_TEXT_LIMIT",
    "curl_line",
    "cut",
    "failure_block",
    "finish_run",
    "print_summary",
    "progress_line",
    "redact",
    "result_dict",
    "scrub",
    "sent_secrets",
    "write_json",
    "write_junit",
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


def curl_line(exchange: Exchange, secrets: list[str], ca_file: str | None = None) -> str:
    """A command that replays the request (secrets replaced by <redacted>)."""
    parts = ["curl", "-sS", "-X", exchange.method]
    if exchange.request_content_type is not None:
        parts += ["-H", f"Content-Type: {exchange.request_content_type}"]
    if exchange.request_body:
        parts += ["--data-binary", _text(exchange.request_body, secrets, 100_000)]
    if ca_file:
        parts += ["--cacert", ca_file]
    parts.append(exchange.url)
    return scrub(" ".join(shlex.quote(p) for p in parts), secrets)


def _example_dict(example: Exchange | DecodingExample, secrets: list[str], ca_file: str | None) -> dict[str, Any]:
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
            "curl": curl_line(example, secrets, ca_file),
        },
        "response": {
            "status": example.status,
            "content_type": example.content_type,
            "body": _text(example.body, secrets),
            "error": example.error,
        },
    }


def result_dict(result: Result, secrets: list[str], ca_file: str | None = None) -> dict[str, Any]:
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
        out["example"] = _example_dict(result.example, secrets, ca_file)
    return out


def _example_lines(example: Exchange | DecodingExample, secrets: list[str], ca_file: str | None) -> list[str]:
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
    lines = [f"  request:  {example.method} {example.url}"]
    if example.request_content_type is not None and example.method.upper() != "GET":
        lines.append(f"            Content-Type: {example.request_content_type}")
    if example.request_body:
        lines.append(f"            {_text(example.request_body, secrets, 600)}")
    if example.error:
        lines.append(f"  response: (none) {example.error}")
    elif example.status is not None:
        lines.append(f"  response: HTTP {example.status} {example.content_type}")
        for line in _text(example.body, secrets, 600).splitlines() or [""]:
            lines.append(f"            {line}")
    lines.append(f"  replay:   {curl_line(example, secrets, ca_file)}")
    return lines


def failure_block(result: Result, secrets: list[str], ca_file: str | None = None) -> str:
    """The failure block: id, what it cites and expects, each rule broken, the example."""
    lines = [f"FAIL {result.id}" + (f" ({result.about})" if result.about else "")]
    if result.cites:
        lines.append(f"  cites:    {result.cites}")
    if result.expects:
        lines.append(f"  expects:  {result.expects}")
    for f in result.failures:
        lines.append(f"  broke:    {f.rule}: {f.message}")
        where = None if result.cites else cite_rule(f.rule)
        if where:
            lines.append(f"  cites:    {where}")
    if result.example is not None:
        lines.extend(_example_lines(result.example, secrets, ca_file))
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


def print_summary(run: Run, out: IO[str]) -> None:
    """Failures in full, then a table per group, the notes, the skips, the run's own failures and
    the verdict."""
    s = run.secrets
    for r in run.failed:
        out.write(failure_block(r, s, run.ca_file) + "\n\n")
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
    reasons: dict[str, int] = {}
    for r in run.results:
        if r.status == "skipped":
            reasons[r.reason] = reasons.get(r.reason, 0) + 1
    if reasons:
        out.write("\nskipped:\n")
        for reason, count in sorted(reasons.items()):
            out.write(f"  {count} {run.noun}(s): {reason}\n")
    command = run.info.get("command")
    if command:
        out.write(scrub(f"\ncommand: {command['summary']}\n", s))
    for failure in run.run_failures:
        out.write(scrub(f"\nFAIL {failure}\n", s))
    verdict = "CONFORMING" if run.conforming else "NOT CONFORMING"
    counts = [
        f"{len(run.results)} {run.noun}{'' if len(run.results) == 1 else 's'}",
        f"{len(run.failed)} failed",
        f"{sum(bool(r.notes) for r in run.results)} with notes",
    ]
    if run.requests is not None:
        counts.append(f"{run.requests} requests")
    seed = f" (seed {run.seed})" if run.seed is not None else ""
    out.write(f"\n{verdict}: {', '.join(counts)} in {run.duration:.1f} s{seed}\n")
    out.flush()


def write_json(run: Run, path: Path) -> None:
    """The verdict, the run's context and summary, every result (failing examples in full)."""
    data = {
        "mode": run.mode,
        "verdict": "conforming" if run.conforming else "not conforming",
        **run.info,
        "duration": round(run.duration, 3),
        "summary": run.summary(),
        "run_failures": run.run_failures,
        "results": [result_dict(r, run.secrets, run.ca_file) for r in run.results],
    }
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    path.write_text(scrub(text, run.secrets) + "\n", encoding="utf-8")


def _element(
    parent: ET.Element, tag: str, secrets: list[str], text: str | None = None, **attributes: str
) -> ET.Element:
    """A child of *parent* with every attribute and its text scrubbed (scrubbing the written file
    alone would miss a secret XML escapes, e.g. one holding ``&``)."""
    element = ET.SubElement(parent, tag, {k: scrub(v, secrets) for k, v in attributes.items()})
    if text is not None:
        element.text = scrub(text, secrets)
    return element


def write_junit(run: Run, path: Path) -> None:
    """JUnit XML: a testsuite per group, a testcase per result (``check_id`` and ``cites``
    properties, a property per finding), and -- when the run can fail outside its results -- a
    ``run`` suite whose one testcase fails when it did (no request arrived, ...)."""
    s = run.secrets
    groups: dict[str, list[Result]] = {}
    for r in run.results:
        groups.setdefault(r.group, []).append(r)
    extra = bool(run.run_failures or run.info.get("command"))
    suites = ET.Element("testsuites", name=f"comodo-conformance-{run.mode}", tests=str(len(run.results) + extra))
    for group, results in groups.items():
        suite = _element(
            suites,
            "testsuite",
            s,
            name=group,
            tests=str(len(results)),
            failures=str(sum(r.status == "failed" for r in results)),
            skipped=str(sum(r.status == "skipped" for r in results)),
            errors="0",
            time=f"{sum(r.duration for r in results):.3f}",
        )
        for r in results:
            case = _element(
                suite, "testcase", s, classname=f"comodo.{run.mode}.{group}", name=r.id, time=f"{r.duration:.3f}"
            )
            props = _element(case, "properties", s)
            _element(props, "property", s, name="check_id", value=r.id)
            if r.cites:
                _element(props, "property", s, name="cites", value=r.cites)
            for f in r.findings:
                _element(props, "property", s, name=f.severity, value=f"{f.rule}: {f.message}")
            if r.status == "failed":
                first = r.failures[0] if r.failures else None
                message = f"{first.rule}: {first.message}" if first else "failed"
                _element(case, "failure", s, failure_block(r, s, run.ca_file), message=message, type="nonconforming")
            elif r.status == "skipped":
                _element(case, "skipped", s, message=r.reason)
    if extra:
        failed = str(int(bool(run.run_failures)))
        suite = _element(suites, "testsuite", s, name="run", tests="1", failures=failed, errors="0")
        case = _element(suite, "testcase", s, classname=f"comodo.{run.mode}", name="run")
        command = run.info.get("command")
        if command:
            props = _element(case, "properties", s)
            _element(props, "property", s, name="command", value=command["summary"])
        if run.run_failures:
            text = "\n".join(run.run_failures)
            _element(case, "failure", s, text, message=run.run_failures[0], type="nonconforming")
    ET.indent(suites)
    text = ET.tostring(suites, encoding="unicode", xml_declaration=True)
    path.write_text(scrub(text, s) + "\n", encoding="utf-8")


def finish_run(run: Run, out: IO[str], *, junit: Path | None = None, json_path: Path | None = None) -> int:
    """Print the summary on *out* and write the reports asked for; return the exit status (0
    conforming, 1 not).  :class:`~conformance.results.CouldNotRun` when a report cannot be written."""
    print_summary(run, out)
    try:
        if junit is not None:
            write_junit(run, junit)
        if json_path is not None:
            write_json(run, json_path)
    except OSError as exc:
        raise CouldNotRun(f"cannot write the report: {exc.strerror or exc}: {exc.filename}") from None
    return 0 if run.conforming else 1
