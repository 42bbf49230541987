"""`lottery-keras course ...`: build the exercises, grade submissions, time the notebooks.

Nothing here imports TensorFlow; the heavy imports (nbformat, nbclient) happen inside the
commands, so ``lottery-keras --help`` stays quick.
"""

from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> None:
    course = sub.add_parser(
        "course", help="course tools: generate exercises/ from solutions/, time the notebooks",
        description="Course tools. `build` writes the student notebooks, `time` measures how "
                    "long every notebook takes in default mode.")
    tools = course.add_subparsers(dest="course_command", metavar="TOOL",
                                  parser_class=type(course))
    tools.required = True

    build = tools.add_parser(
        "build", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        help="generate exercises/ from solutions/ (what nbgrader generate_assignment writes)",
        description="Generate the student notebooks from the nbgrader-format instructor "
                    "notebooks: solution regions become `# YOUR CODE HERE` / "
                    "`raise NotImplementedError()`, hidden tests and outputs are removed. "
                    "Every source is checked before anything is written.")
    build.add_argument("--source", default="solutions", help="folder of instructor notebooks")
    build.add_argument("--dest", default="exercises", help="folder of student notebooks")
    build.add_argument("--check", action="store_true",
                       help="write nothing; exit 1 and list the files that are out of date")
    build.set_defaults(func=run_build)

    grade = tools.add_parser(
        "grade", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        help="nbgrader autograde, each submission executed in a bubblewrap sandbox",
        description="Run nbgrader's autograde on the submissions of ASSIGNMENT (run it in the "
                    "course folder, or pass --root). Each notebook is executed in a bubblewrap "
                    "sandbox that sees only a scratch copy of that one submission, with no "
                    "network, as an unprivileged user, under the limits below; nbgrader then "
                    "writes the grades into the gradebook and the graded notebook into "
                    "autograded/ outside the sandbox. Refuses to run without bubblewrap.")
    grade.add_argument("assignment", help="assignment name (a folder of source/)")
    grade.add_argument("--student", action="append", metavar="ID",
                       help="grade only this student (repeatable; default: every submission)")
    grade.add_argument("--root", default=".", help="the nbgrader course folder")
    grade.add_argument("--force", action="store_true",
                       help="grade again submissions that are already in autograded/")
    grade.add_argument("--timeout", type=int, default=30, help="seconds allowed per cell")
    from lottery_keras.course.sandbox import Limits

    for field, unit in (("cpu_seconds", "CPU seconds per process"),
                        ("memory_mb", "MiB of address space per process"),
                        ("processes", "processes and threads in all"),
                        ("file_mb", "MiB per file written"),
                        ("wall_seconds", "seconds for a whole submission")):
        grade.add_argument(f"--{field.replace('_', '-')}", type=int,
                           default=getattr(Limits, field), help=f"limit: {unit}")
    grade.set_defaults(func=run_grade)

    time = tools.add_parser(
        "time", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        help="execute every notebook in default mode and write a table of runtimes",
        description="Execute notebooks top to bottom with nbclient (LOTTERY_KERAS_FAST unset, "
                    "unless --fast) and write a Markdown table and a JSON file of runtimes "
                    "against the course budget (lecture 5 min, assignment 3 min, course "
                    "30 min).")
    time.add_argument("notebooks", nargs="*",
                      help="notebooks to time (default: notebooks/*.ipynb and solutions/*.ipynb)")
    time.add_argument("--out", default="bench/course_times.md",
                      help="Markdown table to write; the JSON goes beside it (.json)")
    time.add_argument("--timeout", type=int, default=1200,
                      help="seconds allowed per cell")
    time.add_argument("--fast", action="store_true",
                      help="time the fast mode (LOTTERY_KERAS_FAST=1) instead")
    time.add_argument("--inplace", action="store_true",
                      help="write each executed notebook back with its outputs, so that the "
                           "committed outputs come from the timed run")
    time.add_argument("--sync", action="store_true",
                      help="time nothing: copy the runtimes of bench/course_times.json into the "
                           "README and the lecture headers (done after every default-mode run)")
    time.set_defaults(func=run_time)


def run_build(args) -> int:
    from lottery_keras.course.build import build

    report = build(args.source, args.dest, check=args.check)
    if args.check:
        if report.out_of_date:
            print(f"{args.dest}/ is out of date with {args.source}/:", file=sys.stderr)
            for path in report.written:
                state = "differs from" if path.exists() else "missing, generated from"
                print(f"  {path}  ({state} {args.source}/)", file=sys.stderr)
            for path in report.removed:
                print(f"  {path}  (no source in {args.source}/)", file=sys.stderr)
            print("run `lottery-keras course build` and commit the result", file=sys.stderr)
            return 1
        print(f"{args.dest}/ is up to date ({len(report.unchanged)} notebooks)")
        return 0
    for path in report.written:
        print(f"wrote    {path}")
    for path in report.removed:
        print(f"removed  {path}  (no source in {args.source}/)")
    print(f"{len(report.written)} written, {len(report.unchanged)} unchanged, "
          f"{len(report.removed)} removed")
    return 0


def run_grade(args) -> int:
    from lottery_keras.course.grade import grade
    from lottery_keras.course.sandbox import Limits, SandboxMissing

    limits = Limits(args.cpu_seconds, args.memory_mb, args.processes, args.file_mb,
                    args.wall_seconds)
    try:
        return grade(args.assignment, args.student, root=args.root, force=args.force,
                     timeout=args.timeout, limits=limits)
    except (SandboxMissing, ValueError) as err:
        print(f"lottery-keras course grade: {err}", file=sys.stderr)
        return 2


def run_time(args) -> int:
    from lottery_keras.course import runtimes
    from lottery_keras.course.timing import time_notebooks

    if args.sync:
        if not runtimes.TIMES.is_file():
            print(f"error: no {runtimes.TIMES} here (run from the repository root)", file=sys.stderr)
            return 2
        changed = runtimes.sync()
        for path in changed:
            print(f"updated the runtimes in {path}")
        print(f"{len(changed)} file(s) updated from {runtimes.TIMES}")
        return 0

    return time_notebooks(args.notebooks or None, out=args.out, timeout=args.timeout,
                          fast=args.fast, inplace=args.inplace)
