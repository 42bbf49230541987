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

Before anything is written every source notebook is checked, and the first problem is raised
as one ``ValueError`` naming the notebook, the cell and what is wrong: nbgrader markers in a
cell without nbgrader metadata, a region in the wrong kind of cell, unbalanced or nested
markers, invalid or incomplete nbgrader metadata (schema version, ``grade_id``, ``points``),
a duplicated ``grade_id``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
SCHEMA_VERSION = 3

# region kind -> (begin marker, end marker, cell role it must sit in)
REGIONS = {
    "solution": ("BEGIN SOLUTION", "END SOLUTION", "solution"),
    "hidden tests": ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "grade"),
    "mark scheme": ("BEGIN MARK SCHEME", "END MARK SCHEME", "task"),
}
_ROLE_HELP = {
    "solution": "a solution cell (metadata.nbgrader.solution = true)",
    "grade": "an autograder-tests cell (metadata.nbgrader.grade = true, with points)",
    "task": "a manually graded task cell (metadata.nbgrader.task = true)",
}
_KEYS = {"schema_version", "grade", "locked", "solution", "task", "grade_id", "points",
         "checksum", "cell_type"}
_GRADE_ID = re.compile(r"^[a-zA-Z0-9_\-]*$")


# ---------------------------------------------------------------------------------------------
# nbgrader's cell predicates (nbgrader.utils)

def _meta(cell) -> dict | None:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else None


def is_grade(cell) -> bool:
    return bool((_meta(cell) or {}).get("grade", False))


def is_solution(cell) -> bool:
    return bool((_meta(cell) or {}).get("solution", False))


def is_task(cell) -> bool:
    return bool((_meta(cell) or {}).get("task", False))


def is_locked(cell) -> bool:
    meta = _meta(cell)
    if meta is None or is_solution(cell):
        return False
    return bool(is_grade(cell) or meta.get("locked", False))


def compute_checksum(cell) -> str:
    """nbgrader.utils.compute_checksum: md5 of source, type, roles, grade_id and points."""
    m = hashlib.md5()
    m.update(cell.source.encode("utf-8"))
    m.update(cell.cell_type.encode("utf-8"))
    m.update(str(is_grade(cell)).encode("utf-8"))
    m.update(str(is_solution(cell)).encode("utf-8"))
    m.update(str(is_locked(cell)).encode("utf-8"))
    m.update(cell.metadata["nbgrader"]["grade_id"].encode("utf-8"))
    if is_grade(cell):
        m.update(str(float(cell.metadata["nbgrader"]["points"])).encode("utf-8"))
    return m.hexdigest()


# ---------------------------------------------------------------------------------------------
# validation

class NotebookProblem(ValueError):
    """A problem in a source notebook: names the notebook, the cell and what is wrong."""


def _describe(index: int, cell) -> str:
    meta = _meta(cell) or {}
    parts = [f"cell {index}", cell.get("cell_type", "?")]
    if meta.get("grade_id"):
        parts.append(f"grade_id {meta['grade_id']!r}")
    elif cell.get("id"):
        parts.append(f"id {cell['id']!r}")
    first = next((ln.strip() for ln in cell.get("source", "").splitlines() if ln.strip()), "")
    if first:
        parts.append(f"starting {first[:40]!r}")
    return ", ".join(parts)


def _problem(path, index, cell, message) -> NotebookProblem:
    where = f"{path}" if cell is None else f"{path}, {_describe(index, cell)}"
    return NotebookProblem(f"{where}: {message}")


def _marker_lines(source: str, begin: str, end: str):
    """Check one kind of region for balance; return the error text or None."""
    opened = None
    for number, line in enumerate(source.split("\n"), start=1):
        if begin in line:  # nbgrader tests BEGIN first, by substring
            if opened is not None:
                return f"nested '{begin}' on line {number} inside the region opened on line {opened}"
            opened = number
        elif end in line:
            if opened is None:
                return f"'{end}' on line {number} without a matching '{begin}' before it"
            opened = None
    if opened is not None:
        return f"'{begin}' on line {opened} has no matching '{end}'"
    return None


def _check_metadata(path, index, cell) -> None:
    meta = cell.metadata.get("nbgrader")
    if not isinstance(meta, dict):
        raise _problem(path, index, cell, "metadata.nbgrader must be a JSON object")
    version = meta.get("schema_version")
    if version != SCHEMA_VERSION:
        raise _problem(path, index, cell, f"nbgrader schema_version is {version!r}, expected "
                       f"{SCHEMA_VERSION} (upgrade the notebook with `nbgrader update`)")
    for key in ("grade", "locked", "solution"):
        if key not in meta:
            raise _problem(path, index, cell, f"nbgrader metadata has no {key!r} (true/false)")
    for key in ("grade", "locked", "solution", "task"):
        if key in meta and not isinstance(meta[key], bool):
            raise _problem(path, index, cell, f"nbgrader {key!r} must be true or false, "
                           f"not {meta[key]!r}")
    extra = sorted(set(meta) - _KEYS)
    if extra:
        raise _problem(path, index, cell, f"unknown nbgrader metadata key(s) {extra}; "
                       f"allowed: {sorted(_KEYS)}")
    grade, solution, locked, task = (meta["grade"], meta["solution"], meta["locked"],
                                     meta.get("task", False))
    if grade or solution or locked or task:
        grade_id = meta.get("grade_id")
        if not isinstance(grade_id, str) or not grade_id:
            raise _problem(path, index, cell, "nbgrader cell has no grade_id (a unique name "
                           "made of letters, digits, '_' and '-')")
        if not _GRADE_ID.match(grade_id):
            raise _problem(path, index, cell, f"grade_id {grade_id!r} may only contain "
                           "letters, digits, '_' and '-'")
    if grade or task:
        points = meta.get("points")
        if points is None:
            raise _problem(path, index, cell, "grade cell has no points (set "
                           "metadata.nbgrader.points to a number >= 0)")
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
            raise _problem(path, index, cell, f"points must be a number >= 0, not {points!r}")
    if "checksum" in meta and not (isinstance(meta["checksum"], str)
                                   and len(meta["checksum"]) == 32):
        raise _problem(path, index, cell, "nbgrader checksum must be a 32-character string")
    if "cell_type" in meta and meta["cell_type"] not in ("raw", "code", "markdown"):
        raise _problem(path, index, cell, f"nbgrader cell_type {meta['cell_type']!r} is not "
                       "raw, code or markdown")
    if task:
        if cell.cell_type != "markdown":
            raise _problem(path, index, cell, "a task cell must be a markdown cell")
    elif cell.cell_type == "markdown" and grade != solution:
        raise _problem(path, index, cell, "a graded markdown answer must be marked both "
                       "solution and grade (nbgrader's 'Manually graded answer')")


def validate(nb, path="notebook") -> None:
    """Raise NotebookProblem for the first problem in `nb` (a nbformat v4 NotebookNode)."""
    if nb.get("nbformat") != 4:
        raise _problem(path, None, None, f"nbformat {nb.get('nbformat')} is not supported "
                       "(expected 4)")
    language = nb.metadata.get("kernelspec", {}).get("language", "python")
    if language != "python":
        raise _problem(path, None, None, f"kernel language {language!r}: only Python "
                       "notebooks are supported")
    seen_ids: dict[str, int] = {}
    seen_cell_ids: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        cell_id = cell.get("id")
        if cell_id is not None:
            if cell_id in seen_cell_ids:
                raise _problem(path, index, cell, f"cell id {cell_id!r} is also used by cell "
                               f"{seen_cell_ids[cell_id]}")
            seen_cell_ids[cell_id] = index
        has_meta = "nbgrader" in cell.get("metadata", {})
        if has_meta:
            _check_metadata(path, index, cell)
        source = cell.get("source", "")
        for kind, (begin, end, role) in REGIONS.items():
            if begin not in source and end not in source:
                continue
            if not has_meta:
                raise _problem(path, index, cell, f"has '### {begin}' / '### {end}' markers "
                               f"but no nbgrader metadata; make it {_ROLE_HELP[role]}")
            error = _marker_lines(source, begin, end)
            if error:
                raise _problem(path, index, cell, f"unbalanced {kind} markers: {error}")
            ok = {"solution": is_solution, "grade": is_grade, "task": is_task}[role](cell)
            if not ok:
                raise _problem(path, index, cell, f"{kind} region (### {begin}) in a cell that "
                               f"is not {_ROLE_HELP[role]}")
        meta = _meta(cell)
        if meta and (meta["grade"] or meta["solution"] or meta["locked"]):
            grade_id = meta["grade_id"]
            if grade_id in seen_ids:
                raise _problem(path, index, cell, f"duplicated grade_id {grade_id!r} (also "
                               f"cell {seen_ids[grade_id]})")
            seen_ids[grade_id] = index


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
