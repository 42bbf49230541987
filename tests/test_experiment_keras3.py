"""IMP experiments on the Keras 3 path (``--keras 3 --backend jax``) on real data (mnist-mini).

The same run directory, resume after ``kill -9`` and results schema as the tf_keras path, the
same sparsity at every level, and no TensorFlow import on JAX. Each Keras 3 run is a fresh
process: Keras 3 fixes its backend when it is first imported.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import kill_when_written

from lottery_keras.experiment import ExperimentConfig, Unit, run
from lottery_keras.experiment import run_dir as rd

TINY_ARGS = ["--levels", "2", "--iterations", "40", "--eval-every", "20", "--train-eval-size", "500"]
JAX_ARGS = [*TINY_ARGS, "--keras", "3", "--backend", "jax"]
JAX = ExperimentConfig(levels=2, iterations=40, eval_every=20, train_eval_size=500, keras="3", backend="jax")

# Runs `lottery-keras run` in-process, then says whether TensorFlow was imported.
RUN_AND_REPORT = """
import json, sys
from lottery_keras.cli import main
code = main(["run", *sys.argv[1:]])
print(json.dumps({"exit": code, "tensorflow": "tensorflow" in sys.modules}))
"""


def _start(args):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("KERAS_BACKEND", None)  # the run chooses it from --backend
    return subprocess.Popen([sys.executable, "-c", RUN_AND_REPORT, *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _finish(proc, timeout=600):
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out + err
    return json.loads(out.strip().splitlines()[-1]), out, err


@pytest.fixture(scope="module")
def jax_run(tmp_path_factory):
    """An uninterrupted Keras 3/JAX run of JAX, in a fresh process."""
    out = tmp_path_factory.mktemp("jax") / "run"
    report, log, err = _finish(_start([*JAX_ARGS, "--out", str(out)]))
    return out, report, log, err


def test_jax_run_writes_the_same_run_directory_without_tensorflow(jax_run, tmp_path):
    out, report, _, err = jax_run
    assert report == {"exit": 0, "tensorflow": False}
    assert err == ""
    assert ExperimentConfig.from_json((out / "config.json").read_text()) == JAX
    tf_out = tmp_path / "tf_keras"
    tf_rows = run(ExperimentConfig(levels=2, iterations=40, eval_every=20, train_eval_size=500), tf_out,
                  progress=False)
    jax_rows = rd.read_csv(out / "results.csv")
    assert (out / "results.csv").read_text().splitlines()[0] == (tf_out / "results.csv").read_text().splitlines()[0]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == \
        sorted(p.relative_to(tf_out).as_posix() for p in tf_out.rglob("*") if p.is_file())
    # the same sparsity per unit and layer on both paths; the numbers are real training
    for a, b in zip(jax_rows, tf_rows, strict=True):
        assert {k: v for k, v in a.items() if k.startswith("remaining")} == \
            {k: v for k, v in b.items() if k.startswith("remaining")}
        assert 0.5 < a["test_accuracy"] <= 1 and a["iterations"] == 40


def test_jax_masks_shrink_and_pruned_weights_stay_exactly_zero(jax_run):
    out, *_ = jax_run
    for level in (1, 2):
        before = rd.load_masks(out / Unit(level - 1, "lottery", 0).name / "mask.npz")
        unit = out / Unit(level, "lottery", 0).name
        mask, weights = rd.load_masks(unit / "mask.npz"), rd.load_snapshot(unit / "weights.npz")
        for name, m in mask.items():
            assert np.all(m <= before[name]) and m.sum() < before[name].sum()
            assert np.all(weights.weights[name][0][m == 0] == 0)


def test_jax_sigkill_then_rerun_matches_an_uninterrupted_run(jax_run, tmp_path):
    reference, *_ = jax_run
    out = tmp_path / "killed"
    kill_when_written(_start([*JAX_ARGS, "--out", str(out)]), out / Unit(0, "lottery", 0).name / "result.json",
                      timeout=300)
    done = [u for u in JAX.units() if (out / u.name / "result.json").exists()]
    assert 1 <= len(done) < len(JAX.units()), "the kill must interrupt the run"
    report, log, _ = _finish(_start([*JAX_ARGS, "--out", str(out)]))
    assert report["tensorflow"] is False
    assert f"resuming, {len(done)} of 7 units already done" in log
    assert (out / "results.csv").read_bytes() == (reference / "results.csv").read_bytes()
    for unit in JAX.units():
        a, b = out / unit.name, reference / unit.name
        assert (a / "history.csv").read_bytes() == (b / "history.csv").read_bytes(), unit


def test_keras3_options_are_refused_with_one_line(tmp_path):
    for args, message in (
        (["--backend", "jax"], "argument --backend: backend 'jax' needs --keras 3"),
        (["--keras", "3", "--engine", "ray"], "--engine ray runs --keras 2 experiments only"),
        (["--keras", "3", "--control-levels", "3"], "argument --control-levels: must be "
                                                     "between 1 and --levels=2, got 3"),
    ):
        proc = subprocess.run([sys.executable, "-m", "lottery_keras.cli", "run", *TINY_ARGS, *args,
                               "--out", str(tmp_path / "never")], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert not (tmp_path / "never").exists()
