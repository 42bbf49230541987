"""`pip install -e ".[course]"` is enough for every notebook: each package a notebook or
solution imports (and each Keras 3 backend it selects) is installed by the library's
requirements or the `course` extra (or by what those depend on)."""

from __future__ import annotations

import ast
import configparser
import sys
from importlib import metadata
from pathlib import Path

import nbformat
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _name(dist: str) -> str:
    return dist.lower().replace("_", "-")


def _closure(requirements: list[str]) -> set[str]:
    """Distributions installed by `requirements` and, recursively, by their own requirements."""
    seen, todo = set(), [(Requirement(r), "") for r in requirements]
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        name = _name(req.name)
        for wanted in ["", *sorted(req.extras)]:
            key = (name, wanted)
            if key in seen:
                continue
            seen.add(key)
            try:
                todo += [(Requirement(r), wanted) for r in metadata.requires(name) or []]
            except metadata.PackageNotFoundError:
                pass
    return {name for name, _ in seen}


def _sets_keras_backend(node) -> bool:
    """``os.environ["KERAS_BACKEND"] = "<backend>"``."""
    return (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            and any(isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Constant)
                    and t.slice.value == "KERAS_BACKEND" for t in node.targets))


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module.split(".")[0])
            elif _sets_keras_backend(node):  # Keras 3 imports its backend itself
                modules.add(node.value.value)
    return modules - set(sys.stdlib_module_names) - {"lottery_keras"}


def test_every_package_the_notebooks_import_comes_with_the_course_extra():
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    lines = setup["options"]["install_requires"].split("\n") + \
        setup["options.extras_require"]["course"].split("\n")
    installed = _closure([line.strip() for line in lines if line.strip() and not line.strip().startswith("#")])
    providers = metadata.packages_distributions()
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))
    assert notebooks
    missing = {}
    for path in notebooks:
        for module in sorted(_imported_modules(path)):
            dists = {_name(d) for d in providers.get(module, [module])}
            if not dists & installed:
                missing.setdefault(module, []).append(path.name)
    assert not missing, f"imported by notebooks but not installed by the `course` extra: {missing}"
