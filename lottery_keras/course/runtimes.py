"""One source for every runtime the course states: ``bench/course_times.json``.

`lottery-keras course time` writes that file. :func:`sync` copies its numbers into the
README (the syllabus's runtime column, the runtime table and its total) and into the
"**Runtime.** m:ss in default mode" line at the top of each lecture notebook;
:func:`check` lists every statement that disagrees with it (a test runs it), so no
runtime is ever written by hand.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

TIMES = Path("bench/course_times.json")
HEADER = re.compile(r"(\*\*Runtime\.\*\* )(\d+:\d\d)( in default mode)")
ROW = re.compile(r"^(\| `(?P<path>[^`]+)`.*?\| )(?P<clock>\d+:\d\d)( \|)")
TOTAL = re.compile(r"^(\| \*\*total\*\* \| \| )(?P<clock>\d+:\d\d)( \|)")


def clock(seconds: float | None) -> str:
    """m:ss, rounded to the second; "-" for no time."""
    if seconds is None:
        return "-"
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _source_path(path: str) -> str:
    """The timed notebook a README row is about (assignments are timed in solutions/)."""
    return "solutions/" + path[len("exercises/"):] if path.startswith("exercises/") else path


def expected(root=".") -> tuple[dict, str]:
    """({notebook path: m:ss}, total m:ss) from the JSON under `root`."""
    result = json.loads((Path(root) / TIMES).read_text(encoding="utf-8"))
    return ({row["path"]: clock(row["seconds"]) for row in result["notebooks"]},
            clock(result["total_seconds"]))


def _readme_lines(root, times, total, fix: bool) -> tuple[list[str], list[str]]:
    """README lines with runtimes corrected (if `fix`), and the problems found."""
    lines, problems = [], []
    for line in (Path(root) / "README.md").read_text(encoding="utf-8").split("\n"):
        m, want = ROW.match(line), None
        if m and _source_path(m["path"]) in times:
            want = times[_source_path(m["path"])]
        elif TOTAL.match(line):
            m, want = TOTAL.match(line), total
        if want is not None and m["clock"] != want:
            problems.append(f"README.md: {m.group(0)!r} says {m['clock']}, {TIMES} says {want}")
            if fix:
                line = line[:m.start("clock")] + want + line[m.end("clock"):]
        lines.append(line)
    return lines, problems


def _header(nb_path: Path) -> tuple[dict, str]:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    return nb, "".join(nb["cells"][0]["source"])


def check(root=".") -> list[str]:
    """Every runtime in the README and the lecture headers that differs from the JSON,
    and every lecture whose header states no measured runtime."""
    root = Path(root)
    times, total = expected(root)
    problems = _readme_lines(root, times, total, fix=False)[1]
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        rel = path.relative_to(root).as_posix()
        m = HEADER.search(_header(path)[1])
        if m is None:
            problems.append(f"{rel}: no '**Runtime.** m:ss in default mode' in its first cell")
        elif rel in times and m.group(2) != times[rel]:
            problems.append(f"{rel}: header says {m.group(2)}, {TIMES} says {times[rel]}")
        elif rel not in times:
            problems.append(f"{rel}: not in {TIMES}; run `lottery-keras course time {rel}`")
    return problems


def sync(root=".") -> list[Path]:
    """Write the JSON's runtimes into the README and the lecture headers; the files changed."""
    root = Path(root)
    times, total = expected(root)
    changed = []
    lines, problems = _readme_lines(root, times, total, fix=True)
    if problems:
        (root / "README.md").write_text("\n".join(lines), encoding="utf-8")
        changed.append(root / "README.md")
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        rel = path.relative_to(root).as_posix()
        nb, text = _header(path)
        if rel not in times or not HEADER.search(text):
            continue
        new = HEADER.sub(lambda m, want=times[rel]: m.group(1) + want + m.group(3), text)
        if new != text:
            src = new.split("\n")
            nb["cells"][0]["source"] = [s + "\n" for s in src[:-1]] + [src[-1]]
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            changed.append(path)
    return changed
