"""Every course notebook runs (fast mode); every exercise stops at its first graded cell.

Also `lottery-keras course time`, on a tiny notebook.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from lottery_keras.course.execute import execute_notebook
from lottery_keras.course.timing import time_notebooks

REPO = Path(__file__).resolve().parents[1]
RUNNABLE = sorted((REPO / "notebooks").glob("*.ipynb")) + sorted(
    (REPO / "solutions").glob("*.ipynb"))
EXERCISES = sorted((REPO / "exercises").glob("*.ipynb"))


def _ids(paths):
    return [f"{p.parent.name}/{p.name}" for p in paths]


def _failure(run) -> str:
    cell = run.nb.cells[run.failed_cell] if run.failed_cell is not None else None
    return (f"{run.path.name} failed in cell {run.failed_cell}:\n"
            f"{cell.source if cell else ''}\n---\n{run.error}")


def test_there_are_notebooks_to_run():
    assert RUNNABLE and EXERCISES


@pytest.mark.parametrize("path", RUNNABLE, ids=_ids(RUNNABLE))
def test_notebook_runs_in_fast_mode(path):
    run = execute_notebook(path, fast=True, timeout=600)
    assert run.ok, _failure(run)


@pytest.mark.parametrize("path", EXERCISES, ids=_ids(EXERCISES))
def test_exercise_fails_at_first_graded_cell_with_not_implemented(path):
    nb = nbformat.read(path, 4)
    graded = [i for i, c in enumerate(nb.cells)
              if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
    assert graded, f"{path.name} has no graded code cell"
    run = execute_notebook(path, fast=True, timeout=600)
    assert not run.ok, f"{path.name} ran to the end: are the answers really removed?"
    assert run.ename == "NotImplementedError", _failure(run)
    assert run.failed_cell == graded[0], _failure(run)


@pytest.mark.parametrize("path", EXERCISES, ids=_ids(EXERCISES))
def test_exercise_with_the_answers_filled_in_runs(path, tmp_path):
    """What a student who answers right gets: the whole exercise runs, visible tests pass."""
    answers = {c.metadata.nbgrader.grade_id: c.source
               for c in nbformat.read(REPO / "solutions" / path.name, 4).cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.read(path, 4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers.pop(cell.metadata.nbgrader.grade_id)
    assert not answers, f"solution cells missing from {path.name}: {sorted(answers)}"
    nbformat.write(nb, tmp_path / path.name)
    run = execute_notebook(tmp_path / path.name, fast=True, timeout=600)
    assert run.ok, _failure(run)


def test_course_time_writes_tables_in_default_mode(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOTTERY_KERAS_FAST", "1")     # the command must unset it
    folder = tmp_path / "solutions"
    folder.mkdir()
    nb = new_notebook(cells=[new_code_cell(
        "import os, json\n"
        "json.dump(os.environ.get('LOTTERY_KERAS_FAST'), open('mode.json', 'w'))", id="c1")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, folder / "tiny.ipynb")
    out = tmp_path / "bench" / "times.md"

    assert time_notebooks([folder / "tiny.ipynb"], out=out) == 0
    assert json.loads((folder / "mode.json").read_text()) is None
    table = out.read_text()
    assert "| notebook | kind | runtime (m:ss) | budget | within budget |" in table
    assert "tiny.ipynb` | assignment |" in table and "| 3:00 | yes |" in table
    assert "default mode (LOTTERY_KERAS_FAST unset)" in table
    data = json.loads(out.with_suffix(".json").read_text())
    assert data["fast"] is False and data["notebooks"][0]["status"] == "ok"
    assert data["notebooks"][0]["seconds"] > 0 and data["machine"]["cpu_cores"] >= 1
    assert len(data["notebooks"][0]["load_average"]) == 2
    assert not nbformat.read(folder / "tiny.ipynb", 4).cells[0].get("execution_count")

    nb.cells[0].metadata["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00Z"}  # an older run's
    nbformat.write(nb, folder / "tiny.ipynb")
    assert time_notebooks([folder / "tiny.ipynb"], out=out, inplace=True) == 0
    written = nbformat.read(folder / "tiny.ipynb", 4).cells[0]
    assert written.execution_count == 1 and "execution" not in written.metadata

    broken = folder / "broken.ipynb"
    nb.cells = [new_code_cell("1 / 0", id="c1")]
    nbformat.write(nb, broken)
    assert time_notebooks([broken], out=out) == 1
    assert "**failed** (ZeroDivisionError in cell 0)" in out.read_text()
