"""Generate student notebooks (``exercises/``) from instructor notebooks (``solutions/``).

The output is what nbgrader's ``generate_assignment`` writes for the same source, cell for cell
and byte for byte (``tests/test_course_build.py`` checks that against real nbgrader), without
needing nbgrader installed. The steps are nbgrader's preprocessors, in nbgrader's order:

``LockCells``         solution cells become undeletable; grade and read-only cells become
                      undeletable and uneditable (``metadata.deletable`` / ``metadata.editable``)
``ClearSolutions``    each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region becomes
                      ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` (code, indented like
                      the BEGIN line) or ``YOUR ANSWER HERE`` (markdown); a solution cell without
                      a region is replaced whole; ``metadata.celltoolbar`` is dropped
``ClearOutput``       outputs and execution counts cleared, ``collapsed`` / ``scrolled`` dropped
``ClearHiddenTests``  ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` regions removed
``ClearMarkScheme``   ``### BEGIN MARK SCHEME`` ... ``### END MARK SCHEME`` regions removed
``ComputeChecksums``  ``checksum`` and ``cell_type`` added to the nbgrader metadata of grade,
                      solution and read-only cells (the autograder uses them to spot
                      untouched answers)

Before anything is written every source notebook is checked
(:mod:`lottery_keras.course.validate`).

Why a rebuild instead of calling nbgrader's preprocessors: nbgrader (the ``grading`` extra)
brings a web and database stack (jupyter-server, SQLAlchemy, alembic) and a course folder with a
gradebook, while building and checking the exercises is needed wherever the solutions are edited:
by course authors who never grade, in the default install and in CI's ``course build --check``.
The six steps above are about 100 lines. They cannot drift from nbgrader unnoticed:
``tests/test_course_build.py::test_build_matches_nbgrader_generate_assignment`` runs real
``nbgrader generate_assignment`` on every solution notebook and on an edge-case notebook and
requires byte-identical output (CI installs the ``grading`` extra, so it always runs there).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from lottery_keras.course.validate import (
    REGIONS,
    NotebookProblem,
    compute_checksum,
    is_grade,
    is_locked,
    is_solution,
    validate,
)

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"


# ---------------------------------------------------------------------------------------------
# the transformation (nbgrader's GenerateAssignment preprocessors, same order)

def _replace_regions(source: str, begin: str, end: str, stub: list[str] | None):
    """Replace (stub given) or remove (stub None) begin/end regions, line by line like nbgrader."""
    out, inside, found = [], False, False
    for line in source.split("\n"):
        if begin in line:
            inside, found = True, True
            if stub is not None:
                indent = re.match(r"\s*", line).group(0)
                out.extend(indent + s for s in stub)
        elif end in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out), found


def _lock(cell) -> None:  # LockCells with its defaults
    if is_solution(cell):
        cell.metadata["deletable"] = False
    elif is_grade(cell) or is_locked(cell):
        cell.metadata["deletable"] = False
        cell.metadata["editable"] = False


def _clear_solutions(cell) -> None:
    code = cell.cell_type == "code"
    stub = (CODE_STUB if code else TEXT_STUB).split("\n")
    begin, end, _ = REGIONS["solution"]
    cell.source, replaced = _replace_regions(cell.source, begin, end, stub)
    if is_solution(cell) and not replaced:
        cell.source = CODE_STUB if code else TEXT_STUB


def _clear_output(cell) -> None:
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
        for key in ("collapsed", "scrolled"):
            cell.metadata.pop(key, None)


def _checksum(cell) -> None:
    if is_grade(cell) or is_solution(cell) or is_locked(cell):
        cell.metadata.nbgrader["checksum"] = compute_checksum(cell)
        cell.metadata.nbgrader["cell_type"] = cell.cell_type


def student_version(nb):
    """Return the student version of a validated source notebook (the input is not changed)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        _lock(cell)
        _clear_solutions(cell)
    nb.metadata.pop("celltoolbar", None)
    for cell in nb.cells:
        _clear_output(cell)
        for kind in ("hidden tests", "mark scheme"):
            begin, end, _ = REGIONS[kind]
            cell.source, _ = _replace_regions(cell.source, begin, end, None)
        _checksum(cell)
    return nb


# ---------------------------------------------------------------------------------------------
# files

def read_notebook(path: Path):
    """Read a notebook as nbformat v4, refusing what would make the output non-deterministic."""
    import nbformat

    text = Path(path).read_text(encoding="utf-8")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise NotebookProblem(f"{path}: not a valid notebook (JSON error: {err})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise NotebookProblem(f"{path}: not a notebook (no list of cells)")
    if (raw.get("nbformat"), raw.get("nbformat_minor", 0)) >= (4, 5):
        for index, cell in enumerate(raw["cells"]):
            if "id" not in cell:
                raise NotebookProblem(
                    f"{path}, cell {index}: has no cell id (nbformat 4.5 needs one; nbformat "
                    "would invent a random one); open and save the notebook in Jupyter")
    return nbformat.reads(text, as_version=4)


def notebook_text(nb) -> str:
    """Serialise like nbgrader (nbconvert's NotebookExporter): nbformat's JSON plus a newline."""
    import nbformat

    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb")
                  if not any(part.startswith(".") for part in p.relative_to(folder).parts))


@dataclass
class BuildReport:
    source: Path
    dest: Path
    written: list[Path] = field(default_factory=list)    # new or changed
    unchanged: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)    # in dest without a source

    @property
    def out_of_date(self) -> list[Path]:
        return self.written + self.removed


def build(source="solutions", dest="exercises", check=False) -> BuildReport:
    """Generate `dest` from `source`; with ``check=True`` only report what is out of date.

    Every source notebook is read, validated and converted before any file is written, so a
    problem in one notebook leaves `dest` untouched.
    """
    source, dest = Path(source), Path(dest)
    if not source.is_dir():
        raise FileNotFoundError(f"no folder {source}/ (run from the repository root or pass "
                                "--source)")
    paths = _notebooks(source)
    if not paths:
        raise ValueError(f"no notebooks (*.ipynb) in {source}/")
    outputs: dict[Path, str] = {}
    for path in paths:
        nb = read_notebook(path)
        validate(nb, path)
        outputs[dest / path.relative_to(source)] = notebook_text(student_version(nb))

    report = BuildReport(source, dest)
    for target, text in outputs.items():
        if target.is_file() and target.read_bytes() == text.encode("utf-8"):
            report.unchanged.append(target)
        else:
            report.written.append(target)
    if dest.is_dir():
        report.removed = [p for p in _notebooks(dest) if p not in outputs]
    if not check:
        for target in report.written:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(outputs[target].encode("utf-8"))
        for stale in report.removed:
            stale.unlink()
    return report
