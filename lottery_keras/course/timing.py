"""`lottery-keras course time`: run every notebook in default mode and tabulate runtimes.

The course budget (issue 4): on a 2-core CPU laptop, each lecture notebook (``notebooks/``)
runs in at most 5 minutes, each graded assignment (``solutions/``) in at most 3, the whole
course in at most 30.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

from lottery_keras.course import runtimes
from lottery_keras.course.execute import execute_notebook

BUDGET_SECONDS = {"lecture": 300, "assignment": 180}
COURSE_BUDGET_SECONDS = 1800
FOLDERS = {"notebooks": "lecture", "solutions": "assignment"}


def default_notebooks() -> list[Path]:
    paths = []
    for folder in FOLDERS:
        paths += sorted(Path(folder).glob("*.ipynb"))
    return paths


def kind_of(path: Path) -> str:
    parent = Path(path).parent.name
    return FOLDERS.get(parent, "other")


_clock = runtimes.clock


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return " ".join(line.split(":", 1)[1].split())
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(packages=()) -> dict:
    """The machine and library versions a timing ran on; `packages`: more distributions to name."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count()
    return {
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "cpu_cores": cores,
        "python": platform.python_version(),
        "tensorflow": _version("tensorflow"),
        "tf-keras": _version("tf-keras"),
        "numpy": _version("numpy"),
        **{name: _version(name) for name in packages},
        "date": datetime.date.today().isoformat(),
    }


def markdown_table(result: dict) -> str:
    lines = ["| notebook | kind | runtime (m:ss) | budget | within budget |",
             "| --- | --- | ---: | ---: | --- |"]
    for row in result["notebooks"]:
        status = {"ok": "yes", "over": "**no**", "failed": f"**failed** ({row['error']})"}
        lines.append(f"| `{row['path']}` | {row['kind']} | {_clock(row['seconds'])} | "
                     f"{_clock(row['budget_seconds'])} | {status[row['status']]} |")
    total_ok = "yes" if result["total_seconds"] <= result["total_budget_seconds"] else "**no**"
    lines.append(f"| **total** | | {_clock(result['total_seconds'])} | "
                 f"{_clock(result['total_budget_seconds'])} | {total_ok} |")
    m = result["machine"]
    mode = "fast mode (LOTTERY_KERAS_FAST=1)" if result["fast"] else \
        "default mode (LOTTERY_KERAS_FAST unset)"
    lines += ["", f"Measured by `lottery-keras course time` in {mode} on {m['date']}: "
              f"{m['cpu_cores']} CPU cores ({m['processor']}; {m['platform']}), "
              f"Python {m['python']}, TensorFlow {m['tensorflow']}, numpy {m['numpy']}; "
              "wall time from kernel start to the last cell."]
    loads = [x for row in result["notebooks"] for x in row.get("load_average", ())]
    if loads:
        lines[-1] += (f" 1-minute load average before and after each run: {min(loads):.1f} to "
                      f"{max(loads):.1f} on {m['cpu_cores']} cores (other work makes a runtime an "
                      "upper estimate).")
    return "\n".join(lines) + "\n"


def _merge(previous: dict, rows: list) -> list:
    """The previous run's rows with the re-timed ones replaced (new ones appended)."""
    fresh = {r["path"]: r for r in rows}
    merged = [fresh.pop(r["path"], r) for r in previous.get("notebooks", [])]
    return merged + list(fresh.values())


def time_notebooks(paths=None, *, out="bench/course_times.md", timeout=1200,
                   fast=False, inplace=False) -> int:
    """Execute each notebook, write ``out`` (Markdown) and its ``.json`` twin; 1 if any failed
    or ran over budget. Each row keeps the 1-minute load average before and after its run
    (other work on the machine makes a runtime an upper estimate). `inplace` writes each
    notebook that ran without error back with its outputs.

    Timing some notebooks only replaces their rows in an existing ``.json`` (each row keeps
    the date it was measured). Written to the default place, the runtimes are then copied
    into the README and the lecture headers (:func:`runtimes.sync`)."""
    paths = [Path(p) for p in paths] if paths else default_notebooks()
    if not paths:
        raise ValueError("no notebooks to time: none in notebooks/ or solutions/ (run from the "
                         "repository root or name the notebooks)")
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"no notebook {path}")
    rows = []
    for path in paths:
        print(f"running {path} ...", flush=True)
        load_before = os.getloadavg()[0]
        run = execute_notebook(path, fast=fast, timeout=timeout)
        load = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        if inplace and run.ok:
            import nbformat  # the `course` extra, as nbclient in execute_notebook

            for cell in run.nb.cells:  # an earlier tool's timestamps would not match this run
                cell.metadata.pop("execution", None)
            nbformat.write(run.nb, path)
        kind = kind_of(path)
        budget = BUDGET_SECONDS.get(kind)
        if not run.ok:
            status = "failed"
        elif budget is not None and run.seconds > budget:
            status = "over"
        else:
            status = "ok"
        error = None if run.ok else f"{run.ename or type(run.error).__name__} in cell " \
                                    f"{run.failed_cell}"
        rows.append({"path": path.as_posix(), "kind": kind, "seconds": round(run.seconds, 1),
                     "budget_seconds": budget, "status": status, "error": error,
                     "date": datetime.date.today().isoformat(), "load_average": load})
        print(f"{path}: {_clock(run.seconds)}  {status}" + (f" ({error})" if error else "")
              + f"  (load average {load[0]:.1f} -> {load[1]:.1f})", flush=True)
    out = Path(out)
    json_out = out.with_suffix(".json")
    if json_out.is_file():
        previous = json.loads(json_out.read_text(encoding="utf-8"))
        if previous.get("fast") == fast:
            rows = _merge(previous, rows)
    result = {
        "fast": fast,
        "machine": machine(),
        "notebooks": rows,
        "total_seconds": round(sum(r["seconds"] for r in rows), 1),
        "total_budget_seconds": COURSE_BUDGET_SECONDS,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    table = markdown_table(result)
    out.write_text(table, encoding="utf-8")
    json_out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print()
    print(table)
    print(f"wrote {out} and {json_out}")
    if not fast and json_out.resolve() == runtimes.TIMES.resolve() and Path("README.md").is_file():
        for path in runtimes.sync():
            print(f"updated the runtimes in {path}")
    if inplace and any(kind_of(path) == "assignment" for path in paths):
        print("solutions/ were rewritten: run `lottery-keras course build` to regenerate exercises/")
    bad = [r for r in rows if r["status"] != "ok"]
    if bad or result["total_seconds"] > COURSE_BUDGET_SECONDS:
        print(f"{len(bad)} notebook(s) failed or ran over budget", file=sys.stderr)
        return 1
    return 0
