"""The kit against Schemathesis, on the same reference server in the same run.

Both tools run as their users type them, each in its own process, against one reference server
on loopback HTTPS (the test suite's switchable server, ``tests/support/mutants.py``, with every switch
off; it runs in this process, on a thread of its own):

* the kit: ``python -m conformance server --url URL --plain-url URL --check-auth --seed 1 --quiet``
  with the server's account, SASP session and CA -- its default catalog of both endpoints, the
  same run as the embedded ``python -m conformance server``;
* Schemathesis (pinned in the bench extra): ``st run spec/openapi.json --url URL --seed 1``
  with its defaults (1 worker, every phase -- the stateful one follows the description's link from
  an order's number to its click-through --, Hypothesis's 100 examples per operation and phase),
  every check but two that judge a protocol the documents do not have, and the hooks of
  :mod:`schemathesis_hooks` (a URL-encoded deserializer; the account's credentials and ``test=Y``
  in the bodies it generates).  The two checks left out fail the reference server itself:
  ``negative_data_rejection`` wants HTTP 4xx for a request the schema refuses, and
  ``unsupported_method`` wants 405 for PUT or TRACE; the vendor answers every request with HTTP
  200 and the verdict in the body (-4 invalid, -17 not POSTed), as the documents say.  A run with
  all of Schemathesis's checks is recorded once, to show it.

:func:`test_kit_and_schemathesis_time` alternates the two (and Schemathesis without its stateful
phase, as a description without links would run), ``COMODO_BENCH_ROUNDS`` rounds, and records the
medians and kit time ÷ Schemathesis time.  :func:`test_faults_each_tool_finds` turns
on each broken server of ``tests/support/mutants.py`` (``COMODO_BENCH_FAULTS``: a comma-separated subset)
and records whether each tool finds a fault in it: Schemathesis when ``st run`` exits non-zero
reporting a failure, the kit when it says NOT CONFORMING (exit 1).  Both must pass the reference
server first, or the table would mean nothing.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import re
import statistics
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from bench_results import VERDICT, record_line, run_timed

# the broken servers and the switchboard that serves them; mutants starts the reference server
# with conformance.serve.running_server -- the one place this benchmark reaches the conformance package
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.support.mutants import FAULTS, LOGIN_NAME, PASSWORD, SASP, Switchboard, broken_server

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = ROOT / "spec" / "openapi.json"
HOOKS_DIR = Path(__file__).resolve().parent
ROUNDS = int(os.environ.get("COMODO_BENCH_ROUNDS", "3"))
SEED = 1
TIMEOUT = 600.0
SECTION = "kit vs Schemathesis 4.32.5 on the same reference server (loopback HTTPS), seed 1"
# checks that fail the reference server itself (see the module's docstring)
PROTOCOL_CHECKS = ("negative_data_rejection", "unsupported_method")
PASSWORD_ENV = "COMODO_BENCH_KIT_PASSWORD"


class Run(NamedTuple):
    """One tool's run: exit code, wall and CPU seconds of its process, how much it did, and the
    first failure it names (Schemathesis: the ST code; the kit: the first failing check)."""

    returncode: int
    wall: float
    cpu: float
    work: str
    failure: str
    output: str


def _run(command: list[str], env: dict[str, str]) -> tuple[int, float, float, str]:
    """Run *command* in a fresh, empty folder: both tools keep a Hypothesis example database in
    the working folder, and a run must not replay what an earlier one (or the other tool) found."""
    with tempfile.TemporaryDirectory(prefix="bench-st-") as cwd:
        run = run_timed(command, env=env, cwd=cwd, timeout=TIMEOUT)
        return run.done.returncode, run.wall, run.cpu, run.done.stdout + run.done.stderr


def _base(url: str) -> str:
    """``https://127.0.0.1:PORT/products/`` -> ``https://127.0.0.1:PORT`` (the OpenAPI paths
    carry ``/products/...``)."""
    return url.split("/products/", 1)[0]


STATELESS = "examples,coverage,fuzzing"  # Schemathesis's phases but the link-following one


def run_schemathesis(server: Any, *, all_checks: bool = False, phases: str | None = None) -> Run:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        str(OPENAPI),
        "--url",
        _base(server.base_url),
        "--tls-verify",
        str(server.ca_file),
        "--seed",
        str(SEED),
        "--no-color",
    ]
    if not all_checks:
        command += ["--exclude-checks", ",".join(PROTOCOL_CHECKS)]
    if phases:
        command += ["--phases", phases]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
        "PYTHONPATH": os.pathsep.join([str(HOOKS_DIR), os.environ.get("PYTHONPATH", "")]),
        "COMODO_BENCH_ST_LOGIN_NAME": LOGIN_NAME,
        "COMODO_BENCH_ST_PASSWORD": PASSWORD,
        "COMODO_BENCH_ST_SASP": SASP,
        "COLUMNS": "120",
    }
    code, wall, cpu, output = _run(command, env)
    cases = re.search(r"(\d+) generated", output)
    failures: dict[str, str] = {}  # ST code -> its title, as the report's headings name them
    for st_code, title in re.findall(r"^- (ST\d{3}) ([^\n]+)$", output, re.MULTILINE):
        failures.setdefault(st_code, title.strip())
    return Run(
        code,
        wall,
        cpu,
        f"{cases[1] if cases else '?'} cases",
        "; ".join(f"{c} {title}" for c, title in sorted(failures.items())),
        output,
    )


def run_kit(server: Any) -> Run:
    command = [
        sys.executable,
        "-m",
        "conformance",
        "server",
        "--url",
        server.base_url,
        "--plain-url",
        server.plain_url,
        "--login-name",
        LOGIN_NAME,
        "--login-password-env",
        PASSWORD_ENV,
        "--sasp-session-id",
        SASP,
        "--cacert",
        str(server.ca_file),
        "--check-auth",
        "--seed",
        str(SEED),
        "--quiet",
    ]
    code, wall, cpu, output = _run(command, {**os.environ, PASSWORD_ENV: PASSWORD})
    done = VERDICT.search(output)
    failing = re.search(r"^\s*(?:FAIL|FAILED)\s+(\S+)", output, re.MULTILINE)
    return Run(
        code,
        wall,
        cpu,
        f"{done['checks']} checks, {done['requests']} requests" if done else "?",
        failing[1] if failing else "",
        output,
    )


def found_by_schemathesis(run: Run) -> bool:
    """``st run`` exited non-zero and reported a failure (not only an error of its own)."""
    return run.returncode != 0 and bool(run.failure)


def found_by_kit(run: Run) -> bool:
    """The kit's verdict was NOT CONFORMING (exit 1; exit 2 is a set-up error)."""
    return run.returncode == 1 and "NOT CONFORMING" in run.output


@contextlib.contextmanager
def reference_server() -> Iterator[tuple[Any, Switchboard]]:
    """The switchable reference server, all switches off."""
    with broken_server() as (server, board):
        yield server, board


def _requests(run: Run) -> int | None:
    found = re.search(r"(\d+) requests", run.work)
    return int(found[1]) if found else None


def test_kit_and_schemathesis_time(benchmark: Any) -> None:
    kits: list[Run] = []
    sts: list[Run] = []
    stateless: list[Run] = []
    with reference_server() as (server, _board):
        everything = run_schemathesis(server, all_checks=True)

        def one_round() -> None:  # alternate, so that drift in the machine's load hits every run alike
            kits.append(run_kit(server))
            sts.append(run_schemathesis(server))
            stateless.append(run_schemathesis(server, phases=STATELESS))

        benchmark.group = "kit vs Schemathesis"
        benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1)
    for run in [*kits, *sts, *stateless]:
        assert run.returncode == 0, run.output[-3000:]  # both pass the reference server, or no comparison
    kit_wall, kit_cpu = statistics.median(r.wall for r in kits), statistics.median(r.cpu for r in kits)
    requests = _requests(kits[0])
    per_request = f", {kit_cpu / requests * 1000:.1f} ms CPU a request" if requests else ""
    record_line(
        SECTION,
        f"kit `python -m conformance server --url ... --check-auth --seed 1`: {kit_wall:.2f} s wall, "
        f"{kit_cpu:.2f} s CPU ({kits[0].work}{per_request}); medians of {ROUNDS}",
    )
    checks = f"checks: all but {', '.join(PROTOCOL_CHECKS)}"
    for runs, how in ((sts, f"every phase, {checks}"), (stateless, f"--phases {STATELESS}, {checks}")):
        wall, cpu = statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs)
        record_line(
            SECTION,
            f"Schemathesis `st run spec/openapi.json --seed 1` ({how}): {wall:.2f} s wall, {cpu:.2f} s CPU "
            f"({runs[0].work}); kit time ÷ Schemathesis time: {kit_wall / wall:.2f} (wall), {kit_cpu / cpu:.2f} (CPU)",
        )
    st_wall = statistics.median(r.wall for r in sts)
    benchmark.extra_info.update(kit_seconds=kit_wall, schemathesis_seconds=st_wall, ratio=kit_wall / st_wall)
    verdict = "passes" if everything.returncode == 0 else f"fails it: {everything.failure or everything.returncode}"
    record_line(SECTION, f"Schemathesis with all its checks on the reference server: {verdict}")


def _selected_faults() -> list[str]:
    wanted = os.environ.get("COMODO_BENCH_FAULTS", "").strip()
    if not wanted:
        return list(FAULTS)
    names = [n.strip() for n in wanted.split(",") if n.strip()]
    unknown = sorted(set(names) - set(FAULTS))
    assert not unknown, f"COMODO_BENCH_FAULTS names no broken server: {unknown}"
    return names


def test_faults_each_tool_finds(benchmark: Any) -> None:
    names = _selected_faults()
    rows: dict[str, tuple[Run, Run]] = {}
    with reference_server() as (server, board), concurrent.futures.ThreadPoolExecutor(2) as pool:

        def both() -> tuple[Run, Run]:  # the two tools at once on the same switched server
            kit = pool.submit(run_kit, server)
            st = pool.submit(run_schemathesis, server)
            return kit.result(), st.result()

        def table() -> None:
            kit, st = both()
            assert kit.returncode == 0 and st.returncode == 0, (kit.output[-2000:], st.output[-2000:])
            for name in names:
                with board.switched(FAULTS[name]):
                    rows[name] = both()

        benchmark.group = "kit vs Schemathesis"
        benchmark.pedantic(table, rounds=1, iterations=1)
    kit_found = [n for n in names if found_by_kit(rows[n][0])]
    st_found = [n for n in names if found_by_schemathesis(rows[n][1])]
    for name in names:
        kit, st = rows[name]
        assert kit.returncode in (0, 1), kit.output[-2000:]  # 2 would be the set-up, not the server
        record_line(
            "faults found among the broken servers of tests/support/mutants.py (kit: NOT CONFORMING; "
            "Schemathesis: st run fails)",
            f"{name:<32} kit {'FOUND (' + kit.failure + ')' if found_by_kit(kit) else 'missed'}; "
            f"Schemathesis {'FOUND (' + st.failure + ')' if found_by_schemathesis(st) else 'missed'}",
        )
    both_found = sorted(set(kit_found) & set(st_found))
    only_st = sorted(set(st_found) - set(kit_found))
    record_line(
        SECTION,
        f"broken servers found: kit {len(kit_found)}/{len(names)}, Schemathesis {len(st_found)}/{len(names)} "
        f"(both {len(both_found)}; only Schemathesis: {', '.join(only_st) or 'none'})",
    )
    benchmark.extra_info.update(kit_found=len(kit_found), schemathesis_found=len(st_found), faults=len(names))
