"""Every runtime the course states comes from bench/course_times.json (one source)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from lottery_keras.course import runtimes

REPO = Path(__file__).resolve().parents[1]


def test_readme_and_lecture_headers_match_the_measured_runtimes():
    problems = runtimes.check(REPO)
    assert not problems, "\n".join(problems) + "\nrun `lottery-keras course time --sync`"


def test_every_notebook_of_the_course_has_a_measured_runtime():
    timed = {row["path"] for row in json.loads((REPO / runtimes.TIMES).read_text())["notebooks"]}
    course = {p.relative_to(REPO).as_posix() for folder in ("notebooks", "solutions")
              for p in (REPO / folder).glob("*.ipynb")}
    assert course <= timed, f"not timed: {sorted(course - timed)}"


def test_check_finds_and_sync_fixes_a_hand_written_runtime(tmp_path):
    (tmp_path / "bench").mkdir()
    shutil.copy(REPO / runtimes.TIMES, tmp_path / runtimes.TIMES)
    shutil.copytree(REPO / "notebooks", tmp_path / "notebooks")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    times, _ = runtimes.expected(REPO)
    right = times["notebooks/03_winning_tickets.ipynb"]
    row = f"| `notebooks/03_winning_tickets.ipynb` | lecture | {right} |"
    assert row in readme
    (tmp_path / "README.md").write_text(readme.replace(row, row.replace(right, "9:59")),
                                        encoding="utf-8")
    header = tmp_path / "notebooks" / "05_rewinding_and_stability.ipynb"
    header.write_text(header.read_text(encoding="utf-8").replace(
        f"**Runtime.** {times['notebooks/05_rewinding_and_stability.ipynb']} in default mode",
        "**Runtime.** 0:01 in default mode"), encoding="utf-8")
    problems = runtimes.check(tmp_path)
    assert len(problems) == 2 and "9:59" in problems[0] and "0:01" in problems[1]
    assert sorted(p.name for p in runtimes.sync(tmp_path)) == [
        "05_rewinding_and_stability.ipynb", "README.md"]
    assert runtimes.check(tmp_path) == []
