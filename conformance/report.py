"""Reports: the terminal summary, JUnit XML (a testcase per check per endpoint) and JSON.

No secret reaches any of them: request bodies, messages and URLs pass through
:func:`conformance.judge.redact` with the run's secrets.
"""

from __future__ import annotations

import json
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import IO, Any

from .judge import Exchange, redact
from .runner import CheckResult, RunReport, result_dict

__all__ = ["curl_line", "exchange_dict", "format_failure", "print_summary", "write_json", "write_junit"]


def _text(data: bytes | None, secrets: list[str], limit: int = 2000) -> str:
    """*data* as text, secrets redacted *before* it is cut to *limit* (a secret the cut split
    would no longer match, and its first part would be shown)."""
    if data is None:
        return ""
    text = redact(data.decode("utf-8", "backslashreplace"), secrets)
    return text if len(text) <= limit else text[:limit] + f"... ({len(data)} bytes)"


def curl_line(exchange: Exchange, secrets: list[str]) -> str:
    """A command that replays the request (secrets replaced by <redacted>)."""
    parts = ["curl", "-sS", "-X", exchange.method]
    if exchange.method.upper() != "GET":
        parts += [
            "-H",
            "Content-Type: application/x-www-form-urlencoded",
            "--data-binary",
            _text(exchange.request_body, secrets, 100_000),
        ]
    parts.append(exchange.url)
    return " ".join(shlex.quote(p) for p in parts)


def exchange_dict(exchange: Exchange, secrets: list[str]) -> dict[str, Any]:
    return {
        "request": {
            "method": exchange.method,
            "url": exchange.url,
            "body": _text(exchange.request_body, secrets),
            "curl": curl_line(exchange, secrets),
        },
        "response": {
            "status": exchange.status,
            "content_type": exchange.content_type,
            "body": _text(exchange.body, secrets),
            "error": exchange.error,
        },
    }


def write_json(report: RunReport, path: Path) -> None:
    data = {
        "target": report.target,
        "verdict": "conforming" if report.conforming else "not conforming",
        "seed": report.seed,
        "examples": report.examples,
        "duration": round(report.duration, 3),
        "requests": report.requests,
        "summary": report.summary(),
        "results": [result_dict(r, report.secrets) for r in report.results],
    }
    text = redact(json.dumps(data, indent=2, ensure_ascii=False), report.secrets)
    path.write_text(text + "\n", encoding="utf-8")


def write_junit(report: RunReport, path: Path) -> None:
    """JUnit XML: a testsuite per endpoint, a testcase per check (classname = endpoint)."""
    suites = ET.Element("testsuites", name="comodo-conformance", tests=str(len(report.results)))
    by_endpoint: dict[str, list[CheckResult]] = {}
    for r in report.results:
        by_endpoint.setdefault(r.check.endpoint, []).append(r)
    for endpoint, results in by_endpoint.items():
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=endpoint,
            tests=str(len(results)),
            failures=str(sum(r.status == "failed" for r in results)),
            skipped=str(sum(r.status == "skipped" for r in results)),
            errors="0",
            time=f"{sum(r.duration for r in results):.3f}",
        )
        for r in results:
            case = ET.SubElement(
                suite, "testcase", classname=f"comodo.{endpoint}", name=r.check.id, time=f"{r.duration:.3f}"
            )
            props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="check_id", value=r.check.id)
            ET.SubElement(props, "property", name="cites", value=r.check.cites)
            for n in r.outcome.notes:
                ET.SubElement(props, "property", name="note", value=f"{n.rule}: {n.message}")
            if r.status == "failed":
                failure = ET.SubElement(
                    case, "failure", message=redact(_first_failure(r), report.secrets), type="nonconforming"
                )
                failure.text = redact(format_failure(r, report.secrets), report.secrets)
            elif r.status == "skipped":
                ET.SubElement(case, "skipped", message=r.outcome.reason)
    ET.indent(suites)
    data = ET.tostring(suites, encoding="unicode", xml_declaration=True)
    path.write_text(redact(data, report.secrets) + "\n", encoding="utf-8")


def _first_failure(r: CheckResult) -> str:
    for f in r.outcome.findings:
        if f.severity == "failure":
            return f"{f.rule}: {f.message}"
    return "failed"


def format_failure(r: CheckResult, secrets: list[str]) -> str:
    """The failure block: id, what it cites, each rule broken, the shrunk request and the answer."""
    lines = [f"FAIL {r.check.id}", f"  cites:    {r.check.cites}", f"  expects:  {r.check.expects}"]
    for f in r.outcome.findings:
        if f.severity == "failure":
            lines.append(f"  broke:    {f.rule}: {f.message}")
    ex = r.outcome.exchange
    if ex is not None:
        lines.append(f"  request:  {ex.method} {ex.url}")
        if ex.method.upper() != "GET":
            lines.append(f"            {_text(ex.request_body, secrets, 600)}")
        if ex.error:
            lines.append(f"  response: (none) {ex.error}")
        else:
            lines.append(f"  response: HTTP {ex.status} {ex.content_type}")
            for line in _text(ex.body, secrets, 600).splitlines() or [""]:
                lines.append(f"            {line}")
        lines.append(f"  replay:   {curl_line(ex, secrets)}")
    return redact("\n".join(lines), secrets)


def print_summary(report: RunReport, out: IO[str]) -> None:
    """Failures in full, then a table per endpoint, then the notes and the verdict."""
    for r in report.failed:
        out.write(format_failure(r, report.secrets) + "\n\n")
    summary = report.summary()
    width = max([len("endpoint"), *(len(e) for e in summary)])
    out.write(f"{'endpoint':<{width}}  {'passed':>6}  {'failed':>6}  {'skipped':>7}  {'notes':>5}\n")
    totals = {"passed": 0, "failed": 0, "skipped": 0, "notes": 0}
    for endpoint, row in summary.items():
        out.write(
            f"{endpoint:<{width}}  {row['passed']:>6}  {row['failed']:>6}  {row['skipped']:>7}  {row['notes']:>5}\n"
        )
        for k in totals:
            totals[k] += row[k]
    out.write(
        f"{'total':<{width}}  {totals['passed']:>6}  {totals['failed']:>6}  {totals['skipped']:>7}  {totals['notes']:>5}\n"
    )
    notes: dict[str, str] = {}
    for r in report.results:
        for n in r.outcome.notes:
            notes.setdefault(n.rule, n.message)
    if notes:
        out.write("\nnotes (readings the tables allow; not failures):\n")
        for rule, message in sorted(notes.items()):
            out.write(redact(f"  {rule}: {message}\n", report.secrets))
    skipped = [r for r in report.results if r.status == "skipped"]
    if skipped:
        reasons: dict[str, int] = {}
        for r in skipped:
            reasons[r.outcome.reason] = reasons.get(r.outcome.reason, 0) + 1
        out.write("\nskipped:\n")
        for reason, n in sorted(reasons.items()):
            out.write(f"  {n} check(s): {reason}\n")
    verdict = "CONFORMING" if report.conforming else "NOT CONFORMING"
    out.write(
        f"\n{verdict}: {len(report.results)} checks, {report.requests} requests in {report.duration:.1f} s (seed {report.seed})\n"
    )
