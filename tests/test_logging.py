"""TensorFlow's C++ log lines stay off stderr (terminal and notebook cells) unless asked for."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import nbformat
import pytest

from lottery_keras import _tf_log
from lottery_keras.cli import main
from lottery_keras.course.execute import execute_notebook

# Lines as TensorFlow 2.21 prints them on a machine with CUDA libraries and no GPU.
CAPTURED = """\
WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
I0000 00:00:1796205112.053010   10201 port.cc:153] oneDNN custom operations are on.
I0000 00:00:1796205112.053321   10201 cudart_stub.cc:31] Could not find cuda drivers on your machine.
E0000 00:00:1796205117.847471   10201 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error
/x/y.py:3: UserWarning: something Python says
F0000 00:00:1796205117.900000   10201 check.cc:1] Check failed: x == y
"""
TF_LINE = re.compile(r"^[IWEF]\d{4} [\d:.]+ +\d+ [^\]]+\] |absl::InitializeLog", re.M)


def _clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in (_tf_log.LEVEL, _tf_log.VERBOSE, "LOTTERY_KERAS_FAST")}
    env.update(extra)
    return env


def test_keep_drops_records_below_the_level_and_keeps_everything_else():
    quiet = _tf_log.keep(CAPTURED, level=3)
    assert quiet.splitlines() == [CAPTURED.splitlines()[4], CAPTURED.splitlines()[5]]
    errors = _tf_log.keep(CAPTURED, level=2)
    assert "cuInit" in errors and "port.cc" not in errors and "UserWarning" in errors
    assert _tf_log.keep(CAPTURED, level=0) == CAPTURED


def test_configure_respects_the_users_level_and_verbose(monkeypatch):
    monkeypatch.setattr(_tf_log, "_chosen", None)
    monkeypatch.delenv(_tf_log.VERBOSE, raising=False)
    monkeypatch.setenv(_tf_log.LEVEL, "1")  # the user's own choice
    _tf_log.configure()
    _tf_log.configure(verbose=True)
    assert os.environ[_tf_log.LEVEL] == "1"
    monkeypatch.delenv(_tf_log.LEVEL)
    _tf_log.configure()
    assert os.environ[_tf_log.LEVEL] == "3"
    _tf_log.configure(verbose=True)  # e.g. the CLI's --verbose after `import lottery_keras`
    assert os.environ[_tf_log.LEVEL] == "0" and os.environ[_tf_log.VERBOSE] == "1"


def test_cli_verbose_flag_lowers_the_level(monkeypatch, tmp_path):
    monkeypatch.setattr(_tf_log, "_chosen", "3")
    monkeypatch.setenv(_tf_log.LEVEL, "3")
    monkeypatch.delenv(_tf_log.VERBOSE, raising=False)
    assert main(["report", str(tmp_path / "nowhere"), "--verbose"]) == 2
    assert os.environ[_tf_log.LEVEL] == "0"


def test_fd2_output_is_filtered_at_the_c_level(capfd, monkeypatch):
    monkeypatch.setenv(_tf_log.LEVEL, "2")
    with _tf_log.quiet_fd2():
        os.write(2, CAPTURED.encode())  # as C++ code writes: straight to file descriptor 2
    err = capfd.readouterr().err
    assert "cuInit" in err and "Check failed" in err and "port.cc" not in err
    assert "absl::InitializeLog" not in err


def test_import_and_training_print_no_tensorflow_lines():
    code = ("import lottery_keras as lk\n"
            "d = lk.data.load('mnist-mini')\n"
            "t = lk.Ticket(lk.models.lenet_300_100(seed=0))\n"  # TF-MOT imports TensorFlow first
            "t.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n"
            "t.fit(*d.train, batch_size=1000, epochs=1, verbose=0)\n"
            "t.prune()\n")
    done = subprocess.run([sys.executable, "-c", code], env=_clean_env(), capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert not TF_LINE.search(done.stderr), done.stderr


@pytest.mark.parametrize("attempt", [1, 2])
def test_notebook_cells_get_no_stderr(tmp_path, attempt):
    """A kernel forwards C-level output to whichever cell runs: none may reach any cell."""
    cells = ["import lottery_keras as lk",
             "data = lk.data.load('mnist-mini')\nmodel = lk.models.lenet_300_100(seed=0)",
             "t = lk.Ticket(model)\nt.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n"
             "t.fit(*data.train, batch_size=1000, epochs=1, verbose=0)\nt.prune()",
             "print(round(float(t.remaining().overall), 3))"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "quiet.ipynb"
    nbformat.write(nb, path)
    run = execute_notebook(path, fast=True, timeout=300, env=_clean_env())
    assert run.ok, run.error
    streams = [(i, o.get("name"), o.get("text")) for i, cell in enumerate(run.nb.cells)
               for o in cell.outputs if o.get("output_type") == "stream"]
    assert [s[:2] for s in streams] == [(3, "stdout")], streams  # no stderr in any cell
