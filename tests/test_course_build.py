"""`lottery-keras course build`: exercises/ from solutions/, the same as nbgrader's output.

The reference is real nbgrader (`generate_assignment`), run on the course's own solutions and on
an edge-case notebook; the bad-input tests check that each problem is named and nothing is
written.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

from lottery_keras import cli
from lottery_keras.course.build import NotebookProblem, build, read_notebook

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((REPO / "solutions").glob("*.ipynb"))


def nbg(**kw):
    meta = {"schema_version": 3, "grade": False, "locked": False, "solution": False}
    meta.update(kw)
    return {"nbgrader": meta}


def edge_case_notebook():
    """Every kind of cell nbgrader treats differently, in one notebook."""
    nb = new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                  "language": "python"},
                   "language_info": {"name": "python"}, "celltoolbar": "Create Assignment"}
    nb.cells = [
        new_markdown_cell("# Title\nplain markdown, ünïcode", id="intro"),
        new_code_cell("import numpy as np", id="imports", execution_count=3,
                      metadata={"collapsed": True, "scrolled": True, "tags": ["keep"]},
                      outputs=[new_output("stream", name="stdout", text="hi\n")]),
        new_code_cell('def f(x):\n    """doc"""\n    ### BEGIN SOLUTION\n    return x + 1\n'
                      "    ### END SOLUTION\n\ny = 2", id="sol-region",
                      metadata=nbg(solution=True, grade_id="f")),
        new_code_cell("def g(x):\n    return x", id="sol-whole",
                      metadata=nbg(solution=True, grade_id="g")),
        new_code_cell("assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(2) == 3\n"
                      "### END HIDDEN TESTS\nprint('ok')", id="tests", execution_count=4,
                      metadata=nbg(grade=True, grade_id="f_tests", points=2)),
        new_markdown_cell("Explain:\n=== BEGIN SOLUTION ===\nBecause.\n=== END SOLUTION ===",
                          id="md-region",
                          metadata=nbg(solution=True, grade=True, grade_id="why", points=1)),
        new_markdown_cell("my answer", id="md-whole",
                          metadata=nbg(solution=True, grade=True, grade_id="why2", points=1.5)),
        new_markdown_cell("read only", id="locked", metadata=nbg(locked=True, grade_id="ro")),
        new_code_cell("x = 1\n  ### BEGIN SOLUTION\nx = 2\n  ### END SOLUTION", id="both",
                      metadata=nbg(solution=True, grade=True, grade_id="both", points=3)),
        new_markdown_cell("Task\n### BEGIN MARK SCHEME\nsecret\n### END MARK SCHEME",
                          id="task", metadata=nbg(task=True, grade_id="task1", points=2)),
        new_raw_cell("raw cell", id="raw"),
        new_code_cell("", id="plain-nbgrader", metadata=nbg(grade_id="plain")),
    ]
    return nb


def nbgrader_release(tmp_path: Path, sources: dict[str, Path]) -> dict[str, Path]:
    """Run real `nbgrader generate_assignment --no-db` on each notebook (its own assignment)."""
    pytest.importorskip("nbgrader")
    root = tmp_path / "nbgrader-course"
    released = {}
    for name, path in sources.items():
        (root / "source" / name).mkdir(parents=True)
        shutil.copy(path, root / "source" / name / f"{name}.ipynb")
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
    for name in sources:
        proc = subprocess.run([os.path.join(bindir, "nbgrader"), "generate_assignment", name,
                               "--no-db", "--force", f"--CourseDirectory.root={root}"],
                              cwd=root, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        released[name] = root / "release" / name / f"{name}.ipynb"
    return released


def test_build_matches_nbgrader_generate_assignment(tmp_path):
    src = tmp_path / "solutions"
    src.mkdir()
    for path in SOLUTIONS:
        shutil.copy(path, src / path.name)
    nbformat.write(edge_case_notebook(), src / "zz_edge_cases.ipynb")
    sources = {p.stem: p for p in sorted(src.glob("*.ipynb"))}
    released = nbgrader_release(tmp_path, sources)

    report = build(src, tmp_path / "exercises")
    assert sorted(p.name for p in report.written) == sorted(p.name for p in sources.values())
    for name, reference in released.items():
        ours = tmp_path / "exercises" / f"{name}.ipynb"
        theirs_nb, ours_nb = nbformat.read(reference, 4), nbformat.read(ours, 4)
        assert len(ours_nb.cells) == len(theirs_nb.cells)
        for mine, theirs in zip(ours_nb.cells, theirs_nb.cells, strict=True):
            assert mine.source == theirs.source, (name, theirs.get("id"))
            assert mine.metadata == theirs.metadata, (name, theirs.get("id"))
            assert mine.get("outputs") == theirs.get("outputs")
            assert mine.get("execution_count") == theirs.get("execution_count")
        assert ours_nb.metadata == theirs_nb.metadata
        assert ours.read_bytes() == reference.read_bytes(), f"{name}: bytes differ"


def test_edge_case_transformations(tmp_path):
    src = tmp_path / "solutions"
    src.mkdir()
    nbformat.write(edge_case_notebook(), src / "edge.ipynb")
    build(src, tmp_path / "exercises")
    nb = nbformat.read(tmp_path / "exercises" / "edge.ipynb", 4)
    cells = {c.id: c for c in nb.cells}
    assert cells["sol-region"].source == ('def f(x):\n    """doc"""\n    # YOUR CODE HERE\n'
                                          "    raise NotImplementedError()\n\ny = 2")
    assert cells["sol-whole"].source == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert cells["tests"].source == "assert f(1) == 2\nprint('ok')"
    assert cells["md-region"].source == "Explain:\nYOUR ANSWER HERE"
    assert cells["md-whole"].source == "YOUR ANSWER HERE"
    assert cells["both"].source == "x = 1\n  # YOUR CODE HERE\n  raise NotImplementedError()"
    assert cells["task"].source == "Task"
    assert cells["imports"].outputs == [] and cells["imports"].execution_count is None
    assert "collapsed" not in cells["imports"].metadata
    assert cells["imports"].metadata["tags"] == ["keep"]
    assert "celltoolbar" not in nb.metadata
    assert cells["sol-region"].metadata["deletable"] is False
    assert "editable" not in cells["sol-region"].metadata
    assert cells["tests"].metadata["editable"] is False
    assert cells["locked"].metadata["editable"] is False
    assert len(cells["tests"].metadata["nbgrader"]["checksum"]) == 32
    assert cells["tests"].metadata["nbgrader"]["cell_type"] == "code"
    assert "checksum" not in cells["intro"].metadata.get("nbgrader", {})


def test_committed_exercises_are_up_to_date():
    report = build(REPO / "solutions", REPO / "exercises", check=True)
    assert report.out_of_date == [], (
        "exercises/ is stale: run `lottery-keras course build` and commit the result")
    assert len(report.unchanged) == len(SOLUTIONS) >= 1


def test_build_is_deterministic(tmp_path):
    first = build(REPO / "solutions", tmp_path / "a")
    second = build(REPO / "solutions", tmp_path / "a")
    assert len(first.written) == len(SOLUTIONS) and second.written == []
    build(REPO / "solutions", tmp_path / "b")
    for path in first.written:
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes()


def _tree(folder: Path) -> dict:
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_check_detects_staleness_and_writes_nothing(tmp_path, capsys):
    src, dest = tmp_path / "solutions", tmp_path / "exercises"
    shutil.copytree(REPO / "solutions", src)
    args = ["course", "build", "--source", str(src), "--dest", str(dest)]

    assert cli.main([*args, "--check"]) == 1          # nothing built yet
    assert "missing" in capsys.readouterr().err
    assert not dest.exists()

    assert cli.main(args) == 0
    assert cli.main([*args, "--check"]) == 0
    assert "up to date" in capsys.readouterr().out

    # edit a solution: the exercise is now stale, and --check leaves it alone
    path = sorted(src.glob("*.ipynb"))[0]
    nb = read_notebook(path)
    nb.cells[0].source += "\n\nA new sentence."
    nbformat.write(nb, path)
    before = _tree(dest)
    assert cli.main([*args, "--check"]) == 1
    err = capsys.readouterr().err
    assert path.name in err and "differs" in err
    assert _tree(dest) == before

    # an exercise without a source is stale too
    shutil.copy(dest / path.name, dest / "orphan.ipynb")
    assert cli.main([*args, "--check"]) == 1
    assert "orphan.ipynb" in capsys.readouterr().err

    assert cli.main(args) == 0
    assert not (dest / "orphan.ipynb").exists()
    assert cli.main([*args, "--check"]) == 0


# ---------------------------------------------------------------- bad input

def _good_cells():
    return [
        new_markdown_cell("intro", id="intro"),
        new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION",
                      id="sol", metadata=nbg(solution=True, grade_id="f")),
        new_code_cell("assert f() == 1\n### BEGIN HIDDEN TESTS\nassert f() + 1 == 2\n"
                      "### END HIDDEN TESTS", id="test",
                      metadata=nbg(grade=True, grade_id="f_tests", points=1)),
    ]


def _bad(change):
    cells = _good_cells()
    change(cells)
    return cells


def _set(index, **fields):
    def change(cells):
        cells[index].update(fields)
    return change


BAD = {
    "missing nbgrader metadata": (
        _set(1, metadata={}), 1, "no nbgrader metadata"),
    "duplicated grade_id": (
        _set(2, metadata=nbg(grade=True, grade_id="f", points=1)), 2, "duplicated grade_id 'f'"),
    "solution region outside a solution cell": (
        _set(2, source="x = 1\n### BEGIN SOLUTION\nx = 2\n### END SOLUTION"), 2,
        "solution region (### BEGIN SOLUTION) in a cell that is not a solution cell"),
    "hidden tests outside a grade cell": (
        _set(1, source="### BEGIN HIDDEN TESTS\nx = 2\n### END HIDDEN TESTS"), 1,
        "hidden tests region (### BEGIN HIDDEN TESTS) in a cell that is not an autograder"),
    "begin without end": (
        _set(1, source="def f():\n    ### BEGIN SOLUTION\n    return 1"), 1,
        "unbalanced solution markers: 'BEGIN SOLUTION' on line 2 has no matching"),
    "end without begin": (
        _set(1, source="def f():\n    return 1\n    ### END SOLUTION"), 1,
        "unbalanced solution markers: 'END SOLUTION' on line 3 without a matching"),
    "nested begin": (
        _set(1, source="### BEGIN SOLUTION\n### BEGIN SOLUTION\nx\n### END SOLUTION"), 1,
        "unbalanced solution markers: nested 'BEGIN SOLUTION' on line 2"),
    "unbalanced hidden tests": (
        _set(2, source="assert f() == 1\n### BEGIN HIDDEN TESTS\nassert True"), 2,
        "unbalanced hidden tests markers"),
    "grade cell without points": (
        _set(2, metadata={"nbgrader": {"schema_version": 3, "grade": True, "locked": False,
                                       "solution": False, "grade_id": "f_tests"}}), 2,
        "grade cell has no points"),
    "no grade_id": (
        _set(1, metadata={"nbgrader": {"schema_version": 3, "grade": False, "locked": False,
                                       "solution": True}}), 1, "has no grade_id"),
    "old schema": (
        _set(1, metadata={"nbgrader": {"schema_version": 1, "grade": False, "locked": False,
                                       "solution": True, "grade_id": "f"}}), 1,
        "schema_version is 1, expected 3"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_named_and_nothing_is_written(tmp_path, capsys, case):
    change, index, problem = BAD[case]
    src, dest = tmp_path / "solutions", tmp_path / "exercises"
    src.mkdir()
    nbformat.write(new_notebook(cells=_good_cells()), src / "a_good.ipynb")
    nbformat.write(new_notebook(cells=_bad(change)), src / "b_bad.ipynb")

    with pytest.raises(NotebookProblem) as err:
        build(src, dest)
    message = str(err.value)
    assert "b_bad.ipynb" in message and f"cell {index}" in message and problem in message
    assert "\n" not in message
    assert not dest.exists()                        # the good notebook was not written either

    assert cli.main(["course", "build", "--source", str(src), "--dest", str(dest)]) == 2
    err_lines = capsys.readouterr().err.strip().splitlines()
    assert len(err_lines) == 1 and problem in err_lines[0]
    assert not dest.exists()


def test_missing_cell_id_is_refused(tmp_path):
    src = tmp_path / "solutions"
    src.mkdir()
    nbformat.write(new_notebook(cells=_good_cells()), src / "a.ipynb")
    text = (src / "a.ipynb").read_text().replace('"id": "sol",', "")
    (src / "a.ipynb").write_text(text)
    with pytest.raises(ValueError, match=r"a.ipynb, cell 1: has no cell id"):
        build(src, tmp_path / "exercises")


def test_missing_source_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no folder"):
        build(tmp_path / "nope", tmp_path / "exercises")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no notebooks"):
        build(tmp_path / "empty", tmp_path / "exercises")


def test_course_commands_do_not_import_tensorflow():
    code = ("import sys; from lottery_keras import cli; cli.build_parser(); "
            "assert 'tensorflow' not in sys.modules, 'a module in cli.COMMAND_MODULES imports "
            "tensorflow when imported'; rc = cli.main(['course', 'build', '--check']); "
            "assert 'tensorflow' not in sys.modules, 'course build imported tensorflow'; "
            "sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
