"""``regenerate`` and ``check`` refuse to run outside a clone of the repository.

Installed from a wheel, the spec package sits in site-packages beside its tables; ``regenerate``
would rewrite them there.  The tests copy the package (its code, documents and tables) into a
folder that is not a checkout -- a ``site-packages`` folder, a folder without ``pyproject.toml``,
one whose ``pyproject.toml`` names another project -- and run ``python -m spec`` from the copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from spec.checkout import PROJECT, NotACheckout, require_checkout
from spec.render import ROOT, SOURCES

AUTO_DOC = SOURCES / "AutoApplyIdA-1.05.txt"
CLICK_DOC = SOURCES / "UpdateUserEvClickThrough-1.02.txt"


def install_copy(root: Path) -> Path:
    """Copy spec/ (code, documents, tables, readings) and codec/_tables.py under *root*, as a wheel
    installs them; return *root*."""
    shutil.copytree(
        ROOT / "spec",
        root / "spec",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "README.md"),
    )
    (root / "codec").mkdir(parents=True)
    shutil.copyfile(ROOT / "codec" / "_tables.py", root / "codec" / "_tables.py")
    return root


def snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def run_copy(root: Path, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "spec", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


NOT_CHECKOUTS = {
    "site-packages": (lambda tmp: install_copy(tmp / "lib" / "site-packages"), "is an installed copy in site-packages"),
    "dist-packages": (lambda tmp: install_copy(tmp / "dist-packages"), "is an installed copy in dist-packages"),
    "no-pyproject": (lambda tmp: install_copy(tmp / "tree"), "no pyproject.toml beside"),
    "other-project": (
        lambda tmp: _with_pyproject(install_copy(tmp / "tree"), '[project]\nname = "someone-else"\n'),
        "names project 'someone-else', not 'comodo-conformance'",
    ),
    "broken-pyproject": (
        lambda tmp: _with_pyproject(install_copy(tmp / "tree"), "[project\n"),
        "pyproject.toml cannot be read",
    ),
}


def _with_pyproject(root: Path, text: str) -> Path:
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    return root


@pytest.fixture(params=sorted(NOT_CHECKOUTS))
def not_a_checkout(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    make, reason = NOT_CHECKOUTS[request.param]
    return make(tmp_path), reason


@pytest.mark.parametrize(
    "args",
    [("regenerate",), ("check",), ("regenerate", AUTO_DOC)],
    ids=["regenerate", "check", "regenerate-one-document-in-place"],
)
def test_refused_outside_a_checkout(not_a_checkout: tuple[Path, str], tmp_path: Path, args: tuple[str, ...]) -> None:
    root, reason = not_a_checkout
    if args == ("regenerate",):
        (root / "codec" / "_tables.py").unlink()  # a write would show
    before = snapshot(root)
    work = tmp_path / "work"
    work.mkdir()
    done = run_copy(root, *args, cwd=work)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith("spec: run this in a clone of the repository (")
    assert reason in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert str(root) in done.stderr  # the copy ran, not the project's own package
    assert snapshot(root) == before
    assert list(work.iterdir()) == []


def test_one_document_into_a_folder_and_diff_work_anywhere(tmp_path: Path) -> None:
    root = install_copy(tmp_path / "lib" / "site-packages")
    before = snapshot(root)
    out = tmp_path / "out"
    done = run_copy(root, "regenerate", root / "spec" / "sources" / AUTO_DOC.name, "--out", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (out / "AutoApplyIdA.json").read_bytes() == (ROOT / "spec" / "tables" / "AutoApplyIdA.json").read_bytes()

    diff = run_copy(root, "diff", root / "spec" / "tables" / "UpdateUserEvClickThrough.json", CLICK_DOC, cwd=tmp_path)
    assert (diff.returncode, diff.stdout) == (0, "UpdateUserEvClickThrough: 1.02 -> 1.02\nno changes\n"), diff.stderr
    assert snapshot(root) == before


def test_the_project_itself_is_a_checkout() -> None:
    require_checkout(ROOT)  # raises when not
    assert f'name = "{PROJECT}"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_reason_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(NotACheckout) as caught:
        require_checkout(tmp_path / "site-packages")
    assert str(caught.value) == (
        f"run this in a clone of the repository ({tmp_path / 'site-packages' / 'spec'} is an installed copy in "
        "site-packages)"
    )
