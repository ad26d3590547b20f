"""The shape of ``conformance/``: the layering rule its ``__init__`` states, and per-endpoint
behaviour in one module.

The layers are read from ``conformance/__init__.py``'s docstring (each numbered line lists the
modules of a layer), every import of every module (at any depth, ``from`` or plain, relative or
absolute) is read with :mod:`ast`, and the graph must have no cycle and no import of a higher
layer.  A new module must be placed in a layer: one the list does not cover fails the test.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import codec
import conformance

ROOT = Path(conformance.__file__).resolve().parent
ENDPOINTS_MODULE = "conformance.endpoints"
# within layer 4: who may import whom among the kit's three sides
SIDES = {"reference": "reference", "context": "checks", "checks": "checks", "client": "client"}
SIDE_MAY_IMPORT = {"reference": {"reference"}, "checks": {"checks"}, "client": {"client", "reference"}}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = ["conformance", *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The conformance modules *name* imports (a ``from X import y`` of a submodule counts as y)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            candidates = [target, *(f"{target}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found.update(c for c in candidates if c in MODULES and c != name)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layers() -> dict[str, int]:
    """Module name (relative to conformance, ``__init__`` for the package) -> layer, from the docstring."""
    doc = conformance.__doc__ or ""
    layers: dict[str, int] = {}
    for number, text in re.findall(r"^(\d)\. (.+?)(?=^\d\. |^\s*$)", doc, re.MULTILINE | re.DOTALL):
        for token in re.findall(r"``([\w.]+)``", text):
            layers[token] = int(number)
    return layers


LAYERS = _layers()


def _layer_of(module: str) -> int:
    """The layer of the longest name in the list that *module* is or lies under."""
    relative = module.removeprefix("conformance").lstrip(".") or "__init__"
    best = max((name for name in LAYERS if relative == name or relative.startswith(name + ".")), key=len, default=None)
    assert best is not None, f"{module} is in no layer of conformance/__init__.py's list: place it in one"
    return LAYERS[best]


def _side(module: str) -> str | None:
    first = module.removeprefix("conformance.").split(".")[0]
    return SIDES.get(first) if _layer_of(module) == 4 else None


def test_the_docstring_lists_six_layers_and_every_module_is_in_one() -> None:
    assert sorted(set(LAYERS.values())) == [1, 2, 3, 4, 5, 6]
    assert {"results", "judge", "report", "endpoints", "checks", "client", "reference", "cli"} <= set(LAYERS)
    for module in MODULES:
        _layer_of(module)


def test_no_module_imports_a_higher_layer() -> None:
    upward = [
        f"{module} (layer {_layer_of(module)}) imports {target} (layer {_layer_of(target)})"
        for module, targets in GRAPH.items()
        for target in sorted(targets)
        if _layer_of(target) > _layer_of(module)
    ]
    assert upward == []


def test_the_three_sides_import_only_what_they_may() -> None:
    crossing = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in sorted(targets)
        if (a := _side(module)) is not None and (b := _side(target)) is not None and b not in SIDE_MAY_IMPORT[a]
    ]
    assert crossing == []


def test_the_imports_form_no_cycle() -> None:
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError("import cycle: " + " -> ".join([*path[path.index(module) :], module]))
        if module in done:
            return
        for target in sorted(GRAPH[module]):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(GRAPH):
        visit(module, [])


def test_report_and_runner_no_longer_import_each_other() -> None:
    assert "conformance.runner" not in GRAPH["conformance.report"]
    assert "conformance.report" not in GRAPH["conformance.runner"]


def test_the_wheel_ships_every_package_and_the_price_list() -> None:
    """``pip install .`` (not editable) installs every package of conformance/ -- a subpackage
    missing from pyproject.toml's list is missing from the wheel -- and the reference server's
    price list."""
    setuptools = tomllib.loads((ROOT.parent / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    packages = {".".join(p.parent.relative_to(ROOT.parent).parts) for p in ROOT.rglob("__init__.py")}
    assert packages <= set(setuptools["packages"])
    assert "prices.toml" in setuptools["package-data"]["conformance.reference"]
    assert (ROOT / "reference" / "prices.toml").is_file()


def test_every_unit_is_small() -> None:
    """Each module is a unit a reader can hold: under ~400 lines."""
    long = {
        name: n for name, path in MODULES.items() if (n := len(path.read_text(encoding="utf-8").splitlines())) > 450
    }
    assert long == {}


# ---------------------------------------------------------------------------- endpoints by dispatch


def _endpoint_names(tree: ast.Module) -> set[str]:
    """The names that stand for an endpoint in a module: the codec's constants and their aliases."""
    names = {"AUTO_APPLY_IDA", "UPDATE_USER_EV_CLICK_THROUGH"}
    for node in ast.walk(tree):
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if value is not None and _is_endpoint(value, names):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _is_endpoint(node: ast.expr, names: set[str]) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value.lstrip("!") in codec.ENDPOINTS
    if isinstance(node, ast.Name):
        return node.id in names
    if isinstance(node, ast.Attribute):
        return node.attr in names
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_is_endpoint(e, names) for e in node.elts)
    return False


def test_no_endpoint_comparison_outside_the_endpoints_module() -> None:
    """``if endpoint == "AutoApplyIdA"`` (or ``in (AUTO_APPLY_IDA, ...)``, or an alias of the
    codec's constants) appears only in conformance/endpoints.py: every other module dispatches
    through its table."""
    found = []
    for name, path in MODULES.items():
        if name == ENDPOINTS_MODULE:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _endpoint_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and any(_is_endpoint(n, names) for n in [node.left, *node.comparators]):
                found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}: {ast.unparse(node)}")
    assert found == []


def test_the_endpoints_module_covers_every_endpoint() -> None:
    from conformance.endpoints import BEHAVIOUR, ordering_endpoint

    assert set(BEHAVIOUR) == set(codec.ENDPOINTS)
    assert ordering_endpoint() in codec.ENDPOINTS
