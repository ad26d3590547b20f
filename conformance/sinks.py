"""Where reports go: the JSON and JUnit files (or standard output), checked before a run starts,
and the end of every run (:func:`finish_run`: the summary, the reports, the exit status).

What the reports say is :mod:`conformance.report`; every text written here passes, last, through
the run's one :class:`~conformance.scrub.Scrubber` (:attr:`Run.scrubber
<conformance.results.Run.scrubber>`), so no secret reaches a file, in any encoding the file uses:
a JSON document is scrubbed as JSON text, a JUnit document as XML after it is serialised (each
attribute and text also before, so a secret XML would escape is found as it is).  Peer text in
JUnit is XML-safe (:func:`~conformance.peertext.xml_safe`): the file always parses.
"""

from __future__ import annotations

import json
import os
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import IO, Final

from .peertext import xml_safe
from .report import Secrets, failure_block, print_summary, result_dict, scrub, verdict_line
from .results import CouldNotRun, Result, Run
from .scrub import REDACTED_XML

__all__ = ["STDOUT", "finish_run", "prepare_report_paths", "write_json", "write_junit"]

STDOUT: Final = "-"
"""A report path that means standard output (the summary then goes to standard error)."""


def _verdict_word(run: Run) -> str:
    return run.verdict.lower()


def write_json(run: Run, out: IO[str]) -> None:
    """The verdict, the run's context and summary, how much ran, why it stopped, every result
    (failing examples in full)."""
    data = {
        "mode": run.mode,
        "verdict": _verdict_word(run),
        **run.info,
        "duration": round(run.duration, 3),
        "summary": run.summary(),
        "planned": run.planned,
        "ran": run.ran,
        "scope": run.scope or None,
        "interrupted": run.interrupted,
        "stopped": run.stopped or None,
        "run_failures": run.run_failures,
        "results": [result_dict(r, run.scrubber, run.ca_file, run.replay) for r in run.results],
    }
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    out.write(scrub(text, run.scrubber) + "\n")


def _element(parent: ET.Element, tag: str, secrets: Secrets, text: str | None = None, **attributes: str) -> ET.Element:
    """A child of *parent* with every attribute and its text scrubbed and made XML-safe."""
    element = ET.SubElement(parent, tag, {k: xml_safe(scrub(v, secrets)) for k, v in attributes.items()})
    if text is not None:
        element.text = xml_safe(scrub(text, secrets))
    return element


def write_junit(run: Run, out: IO[str]) -> None:
    """JUnit XML: a testsuite per group, a testcase per result (``check_id`` and ``cites``
    properties, a property per finding), and -- when the run can fail outside its results or
    ended early -- a ``run`` suite whose one testcase fails when it did (no request arrived, ...)
    and errors when it was interrupted (a property says why it stopped)."""
    s = run.scrubber
    groups: dict[str, list[Result]] = {}
    for r in run.results:
        groups.setdefault(r.group, []).append(r)
    extra = bool(run.run_failures or run.info.get("command") or run.stopped)
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
                block = failure_block(r, s, run.ca_file, run.replay)
                _element(case, "failure", s, block, message=message, type="nonconforming")
            elif r.status == "skipped":
                _element(case, "skipped", s, message=r.reason)
    if extra:
        failed = str(int(bool(run.run_failures)))
        errors = str(int(run.interrupted))
        suite = _element(suites, "testsuite", s, name="run", tests="1", failures=failed, errors=errors)
        case = _element(suite, "testcase", s, classname=f"comodo.{run.mode}", name="run")
        props = _element(case, "properties", s)
        command = run.info.get("command")
        if command:
            _element(props, "property", s, name="command", value=command["summary"])
        if run.stopped:
            _element(props, "property", s, name="stopped", value=run.stopped)
        if run.run_failures:
            text = "\n".join(run.run_failures)
            _element(case, "failure", s, text, message=run.run_failures[0], type="nonconforming")
        if run.interrupted:
            _element(case, "error", s, verdict_line(run), message=run.stopped, type="interrupted")
    ET.indent(suites)
    text = ET.tostring(suites, encoding="unicode", xml_declaration=True)
    out.write(run.scrubber.scrub(text, REDACTED_XML) + "\n")


# ---------------------------------------------------------------------- where reports go


def prepare_report_paths(*paths: Path | None) -> None:
    """Check, before a run starts, that each report can be written: ``-`` (standard output, for
    one report at most), or a file whose parent folders are created now (as pytest does for
    ``--junitxml``).  :class:`~conformance.results.CouldNotRun` with a one-line reason."""
    given = [p for p in paths if p is not None]
    if sum(str(p) == STDOUT for p in given) > 1:
        raise CouldNotRun("only one report can go to standard output ('-')")
    for path in given:
        if str(path) == STDOUT:
            continue
        if path.is_dir():
            raise CouldNotRun(f"cannot write the report: {path} is a folder")
        blocking = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
        if blocking is not None:
            raise CouldNotRun(f"cannot write the report {path}: {blocking} is not a folder")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CouldNotRun(
                f"cannot write the report: {exc.strerror or exc}: {exc.filename or path.parent}"
            ) from None
        if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise CouldNotRun(f"cannot write the report: permission denied: {path}")


def _write(path: Path, write: Callable[[Run, IO[str]], None], run: Run, stdout: IO[str]) -> None:
    if str(path) == STDOUT:
        write(run, stdout)
        stdout.flush()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        write(run, out)


def finish_run(run: Run, out: IO[str], *, junit: Path | None = None, json_path: Path | None = None) -> int:
    """Print the summary and write the reports asked for (a path ``-``: that report on *out*, the
    summary on standard error); return the exit status (0 conforming, 1 not, 2 no verdict).
    :class:`~conformance.results.CouldNotRun` when a report cannot be written."""
    to_stdout = any(p is not None and str(p) == STDOUT for p in (junit, json_path))
    print_summary(run, sys.stderr if to_stdout else out)
    try:
        if junit is not None:
            _write(junit, write_junit, run, out)
        if json_path is not None:
            _write(json_path, write_json, run, out)
    except OSError as exc:
        raise CouldNotRun(f"cannot write the report: {exc.strerror or exc}: {exc.filename}") from None
    return run.exit_status
