"""The bubblewrap sandbox of `lottery-keras course grade`, and what its grader takes back.

`sandbox.run` is checked directly with a small Python program (seconds, no notebook); the full
nbgrader round trip through it is tests/test_nbgrader_roundtrip.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from lottery_keras.course import sandbox
from lottery_keras.course.grade import merge_outputs

REPO = Path(__file__).resolve().parents[1]

PROBE = textwrap.dedent("""
    import os, resource, socket, sys, time
    print("uid", os.getuid())
    print("cwd", os.getcwd(), sorted(os.listdir(".")))
    for path in sys.argv[1:]:
        try:
            with open(path, "ab") as f:
                f.write(b"x")
            print("WROTE", path)
        except OSError as err:
            print("refused", type(err).__name__)
    print("solutions visible", os.path.exists({solutions!r}))
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=2)
        print("NETWORK")
    except OSError:
        print("no network")
    try:
        bytearray(2 << 30)
        print("ALLOCATED")
    except MemoryError:
        print("memory limited")
    pids = []
    try:
        while len(pids) < 1000:
            pid = os.fork()
            if pid == 0:
                time.sleep(1)
                os._exit(0)
            pids.append(pid)
    except OSError:
        pass
    print("forked", len(pids))
    with open("mine.txt", "w") as f:
        f.write("ok")
    sys.stdout.flush()
    if os.environ.get("SPIN"):
        while True:
            pass
""")

LIMITS = sandbox.Limits(cpu_seconds=60, memory_mb=1024, processes=40, file_mb=1, wall_seconds=60)


def probe(tmp_path, limits=LIMITS, env=None):
    scratch = tmp_path / "run" / "submission"
    scratch.mkdir(parents=True)
    (scratch / "probe.py").write_text(PROBE.format(solutions=str(REPO / "solutions")))
    sandbox.prepare(scratch)
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    result = sandbox.run([sys.executable, "probe.py", str(outside), "/usr/lib/x", "../../etc/x"],
                         scratch, limits=limits, env=env or {"PATH": "/usr/bin:/bin"})
    return result, scratch, outside


def test_sandbox_shows_one_scratch_folder_no_network_and_enforces_limits(tmp_path):
    result, scratch, outside = probe(tmp_path)
    log = result.log
    assert result.returncode == 0, log
    assert "uid 65534" in log
    assert "cwd /submission ['probe.py']" in log
    assert log.count("refused") == 3 and "WROTE" not in log
    assert outside.read_text() == "precious"
    assert "solutions visible False" in log          # the checkout's hidden tests are not shown
    assert "no network" in log and "memory limited" in log
    forked = int(log.split("forked ")[1].split()[0])
    assert forked < LIMITS.processes, log
    assert (scratch / "mine.txt").read_text() == "ok"  # the scratch folder is writable


def test_the_wall_clock_limit_kills_the_whole_run(tmp_path):
    limits = sandbox.Limits(cpu_seconds=60, memory_mb=1024, processes=40, file_mb=1,
                            wall_seconds=8)
    result, _, _ = probe(tmp_path, limits, env={"PATH": "/usr/bin:/bin", "SPIN": "1"})
    assert result.returncode is None and "forked" in result.log


def test_grade_refuses_without_bubblewrap(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    env = dict(os.environ, PATH=str(bindir))      # no bwrap on PATH
    proc = subprocess.run([shutil.which("lottery-keras") or "lottery-keras", "course", "grade",
                           "ps1", "--root", str(tmp_path)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    assert "apt-get install -y bubblewrap" in proc.stderr and "never" in proc.stderr
    assert not (tmp_path / "gradebook.db").exists()


def executed(nb, **changes):
    done = nbformat.from_dict(nb)
    done.cells = [nbformat.from_dict(c) for c in nb.cells]
    for cell in done.cells:
        cell.outputs = [new_output("stream", name="stdout", text="ran\n")]
        cell.execution_count = 1
    for index, source in changes.items():
        done.cells[int(index[1:])].source = source
    return nbformat.writes(done)


def test_only_outputs_come_back_and_bad_results_score_nothing():
    nb = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("check(x)")])
    assert merge_outputs(nb, executed(nb), "") == []
    assert [c.outputs[0].text for c in nb.cells] == ["ran\n", "ran\n"]

    for text in (executed(nb, c1="pass"), "{not json", None, executed(new_notebook())):
        nb = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("check(x)")])
        problems = merge_outputs(nb, text, "no result")
        assert problems
        assert nb.cells[1].source == "check(x)"
        assert all(c.outputs[0].output_type == "error" for c in nb.cells)


@pytest.fixture(autouse=True)
def _needs_bwrap(request):
    if request.node.name != "test_only_outputs_come_back_and_bad_results_score_nothing" and \
            shutil.which("bwrap") is None:
        pytest.fail("bubblewrap is needed: apt-get install -y bubblewrap", pytrace=False)
