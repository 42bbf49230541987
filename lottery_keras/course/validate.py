"""Check an nbgrader source notebook before exercises are built from it.

The first problem is raised as one :class:`NotebookProblem` naming the notebook, the cell and
what is wrong: nbgrader markers in a cell without nbgrader metadata, a region in the wrong kind
of cell, unbalanced or nested markers, invalid or incomplete nbgrader metadata (schema version,
``grade_id``, ``points``), a duplicated ``grade_id``. The cell predicates are nbgrader's
(``nbgrader.utils``).
"""

from __future__ import annotations

import hashlib
import re

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
