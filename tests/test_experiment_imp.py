"""IMP experiments on real data (the bundled mnist-mini): files, masks, controls, resume, report.

Runs are tiny (a few dozen iterations per level) so the whole file stays well under a minute
or two on 2 CPU cores; the numbers are still real training on real images.
"""

import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest
from conftest import kill_when_written

from lottery_keras.cli import main
from lottery_keras.experiment import ExperimentConfig, Unit, run
from lottery_keras.experiment import run_dir as rd

TINY_ARGS = ["--levels", "2", "--iterations", "40", "--eval-every", "20", "--train-eval-size", "500"]
TINY = ExperimentConfig(levels=2, iterations=40, eval_every=20, train_eval_size=500)
LAYERS = ("dense_300", "dense_100", "output")


def _cli(args, **kwargs):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "lottery_keras.cli", "run", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """An uninterrupted run of TINY by the CLI, in a fresh process: the resume test compares a
    killed and resumed CLI run with it byte for byte, and bit-identical numbers need the same
    TensorFlow thread settings, which can only be set before TensorFlow starts (in this pytest
    process earlier tests have started it)."""
    out = tmp_path_factory.mktemp("tiny") / "run"
    proc = _cli([*TINY_ARGS, "--out", str(out)])
    log = proc.communicate(timeout=300)[0]
    assert proc.returncode == 0, log
    assert "other thread settings" not in log
    return out, json.loads((out / "results.json").read_text())["rows"]


def _arrays(path):
    return rd.read_npz(path)


def _same_npz(a, b):
    x, y = _arrays(a), _arrays(b)
    return set(x) == set(y) and all(np.array_equal(x[k], y[k]) for k in x)


# --- what a run writes -----------------------------------------------------------------


def test_a_run_writes_config_results_and_every_units_files(tiny):
    out, rows = tiny
    assert ExperimentConfig.from_json((out / "config.json").read_text()) == TINY
    assert [(r["level"], r["variant"], r["replicate"]) for r in rows] == [tuple(u) for u in TINY.units()]
    csv_rows = rd.read_csv(out / "results.csv")
    assert csv_rows == rows
    header = (out / "results.csv").read_text().splitlines()[0].split(",")
    for column in ("level", "variant", "replicate", "remaining", "test_accuracy", "early_stop_iteration",
                   "early_stop_test_accuracy", *(f"remaining_{n}" for n in LAYERS)):
        assert column in header
    summary = json.loads((out / "results.json").read_text())
    assert summary["units_done"] == summary["units_total"] == 7
    for unit in TINY.units():
        folder = out / unit.name
        assert sorted(p.name for p in folder.iterdir()) == [
            "history.csv", "mask.npz", "result.json", "timing.json", "weights.npz"]
    assert (out / "replicate_0" / "init.npz").is_file()
    assert not list(out.rglob("*.tmp"))


def test_metrics_history_and_early_stopping_follow_the_lth_definition(tiny):
    out, rows = tiny
    for row in rows:
        history = rd.read_csv(out / Unit(row["level"], row["variant"], row["replicate"]).name / "history.csv")
        assert [h["iteration"] for h in history] == [0, 20, 40]
        best = min(history, key=lambda h: h["validation_loss"])
        assert row["early_stop_iteration"] == best["iteration"]
        assert row["early_stop_test_accuracy"] == best["test_accuracy"]
        assert row["test_accuracy"] == history[-1]["test_accuracy"]
        assert history[0]["test_accuracy"] < history[-1]["test_accuracy"]
    dense = rows[0]
    assert dense["test_accuracy"] > 0.6, "40 iterations of Adam on MNIST should get well past chance"


def test_imp_masks_shrink_at_the_lth_rates_by_magnitude_of_the_trained_weights(tiny):
    out, _ = tiny
    for level in (1, 2):
        prev = rd.load_snapshot(out / Unit(level - 1, "lottery", 0).name / "weights.npz")
        prev_mask = rd.load_masks(out / Unit(level - 1, "lottery", 0).name / "mask.npz")
        mask = rd.load_masks(out / Unit(level, "lottery", 0).name / "mask.npz")
        for name, rate in zip(LAYERS, (0.2, 0.2, 0.1), strict=True):
            alive = np.flatnonzero(prev_mask[name])
            magnitude = np.abs(prev.weights[name][0]).ravel()[alive]
            pruned = alive[np.argsort(magnitude, kind="stable")[:round(rate * alive.size)]]
            expected = prev_mask[name].ravel().copy()
            expected[pruned] = 0
            assert np.array_equal(mask[name].ravel(), expected), (level, name)
        weights = rd.load_snapshot(out / Unit(level, "lottery", 0).name / "weights.npz")
        for name in LAYERS:
            assert np.all(weights.weights[name][0][mask[name] == 0] == 0), "pruned weights must stay 0"


def test_variants_share_the_sparsity_reinit_shares_the_mask_random_mask_does_not(tiny):
    out, rows = tiny
    for level in (1, 2):
        m = {v: rd.load_masks(out / Unit(level, v, 0).name / "mask.npz") for v in ("lottery", "reinit",
                                                                                   "random_mask")}
        for name in LAYERS:
            assert np.array_equal(m["reinit"][name], m["lottery"][name])
            assert m["random_mask"][name].sum() == m["lottery"][name].sum()
            assert not np.array_equal(m["random_mask"][name], m["lottery"][name])
        same_level = [r for r in rows if r["level"] == level]
        assert len({r["remaining"] for r in same_level}) == 1
    by = {(r["level"], r["variant"]): r for r in rows}
    assert by[(1, "lottery")]["remaining_dense_300"] == 0.8 and by[(1, "lottery")]["remaining_output"] == 0.9
    assert by[(2, "reinit")]["remaining_dense_100"] == 0.64 and by[(2, "random_mask")]["remaining_output"] == 0.81
    # lottery restarts from W0 under its mask; reinit from fresh weights: different untrained networks
    h = {v: rd.read_csv(out / Unit(1, v, 0).name / "history.csv")[0] for v in ("lottery", "reinit")}
    assert h["lottery"]["validation_loss"] != h["reinit"]["validation_loss"]


# --- resume --------------------------------------------------------------------------


def test_sigkill_then_rerun_continues_and_matches_an_uninterrupted_run(tiny, tmp_path):
    reference, _ = tiny
    out = tmp_path / "killed"
    kill_when_written(_cli([*TINY_ARGS, "--out", str(out)]), out / Unit(0, "lottery", 0).name / "result.json")
    done = [u for u in TINY.units() if (out / u.name / "result.json").exists()]
    assert 1 <= len(done) < len(TINY.units()), "the kill must interrupt the run"

    again = _cli([*TINY_ARGS, "--out", str(out)])
    log = again.communicate(timeout=300)[0]
    assert again.returncode == 0, log
    assert f"resuming, {len(done)} of 7 units already done" in log
    assert (out / "results.csv").read_bytes() == (reference / "results.csv").read_bytes()
    for unit in TINY.units():
        a, b = out / unit.name, reference / unit.name
        assert (a / "history.csv").read_bytes() == (b / "history.csv").read_bytes(), unit
        assert _same_npz(a / "mask.npz", b / "mask.npz") and _same_npz(a / "weights.npz", b / "weights.npz")
    assert not list(out.rglob("*.tmp"))


def test_rerunning_a_finished_experiment_only_says_so(tiny, capsys):
    out, _ = tiny
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    assert main(["run", *TINY_ARGS, "--out", str(out)]) == 0
    assert "experiment already complete (7 of 7 units); nothing to do" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


# --- other settings ------------------------------------------------------------------


def test_late_rewinding_and_replicates(tmp_path):
    config = ExperimentConfig(levels=1, iterations=40, eval_every=10, train_eval_size=300, rewind="10it",
                              replicates=2)
    out = tmp_path / "late"
    rows = run(config, out, progress=False)
    assert len(rows) == 2 + 2 * 3
    assert rd.read_csv(out / "results.csv") == rows == json.loads((out / "results.json").read_text())["rows"]
    inits = [rd.load_snapshot(out / f"replicate_{r}" / "init.npz") for r in (0, 1)]
    assert not np.array_equal(inits[0].weights["dense_300"][0], inits[1].weights["dense_300"][0])
    for r in (0, 1):
        snap = rd.load_snapshot(out / f"replicate_{r}" / "rewind_10it.npz")
        assert snap.iteration == 10
        starts = {v: rd.read_csv(out / Unit(1, v, r).name / "history.csv")[0]["iteration"]
                  for v in ("lottery", "reinit", "random_mask")}
        assert starts == {"lottery": 10, "reinit": 0, "random_mask": 10}
        assert {row["iterations"] for row in rows if row["replicate"] == r and row["level"] == 1} == {30, 40}
    masks = [rd.load_masks(out / Unit(1, "lottery", r).name / "mask.npz") for r in (0, 1)]
    assert not np.array_equal(masks[0]["dense_300"], masks[1]["dense_300"])

    from lottery_keras.experiment.report import make_report, table

    text = table(config, rows)
    assert "2 replicate(s), mean [min..max]" in text and "[" in text.splitlines()[1]
    files = make_report(out)
    assert all(p.is_file() for p in files.values())


def test_sign_reinit_and_global_random_masks_run_as_variants(tmp_path):
    config = ExperimentConfig(levels=1, iterations=20, eval_every=10, train_eval_size=300, rewind="10it",
                              variants=("lottery", "sign_reinit", "random_mask_global"))
    out = tmp_path / "more"
    rows = run(config, out, progress=False)
    assert [(r["level"], r["variant"]) for r in rows] == [(0, "lottery"), (1, "lottery"), (1, "sign_reinit"),
                                                          (1, "random_mask_global")]
    by = {r["variant"]: r for r in rows if r["level"] == 1}
    assert by["sign_reinit"]["start_iteration"] == 0 and by["random_mask_global"]["start_iteration"] == 10
    assert by["sign_reinit"]["remaining"] == by["lottery"]["remaining"] == by["random_mask_global"]["remaining"]
    masks = {v: rd.load_masks(out / Unit(1, v, 0).name / "mask.npz") for v in by}
    assert all(np.array_equal(masks["sign_reinit"][n], masks["lottery"][n]) for n in LAYERS)
    assert by["random_mask_global"]["remaining_output"] != by["lottery"]["remaining_output"]
    from lottery_keras.experiment.report import table

    assert "sign_reinit" in table(config, rows) and "random_mask_global" in table(config, rows)


def test_global_scope_prunes_the_rate_of_all_weights(tmp_path):
    config = ExperimentConfig(levels=1, iterations=20, eval_every=20, train_eval_size=300, scope="global",
                              rate=0.5, variants=("lottery",))
    rows = run(config, tmp_path / "global", progress=False)
    total = 784 * 300 + 300 * 100 + 100 * 10
    assert abs(rows[1]["remaining"] - 0.5) <= 1 / total
    assert rows[1]["remaining_output"] != rows[1]["remaining_dense_300"]  # layers pruned unevenly


# --- metrics -------------------------------------------------------------------------


def test_evaluator_agrees_with_keras_evaluate_and_callback_stops_mid_epoch():
    import lottery_keras as lk
    from lottery_keras import keras
    from lottery_keras.experiment.metrics import Evaluator, IterationMetrics

    data = lk.data.load("mnist-mini")
    ticket = lk.Ticket(lk.models.lenet_300_100(seed=3))
    ticket.prune()
    ticket.compile(optimizer=keras.optimizers.Adam(1.2e-3), loss="sparse_categorical_crossentropy",
                   metrics=["accuracy"])
    evaluator = Evaluator(ticket.model, {"validation": data.validation, "test": data.test}, batch_size=700)
    (x, y) = data.train
    seen = []
    cb = IterationMetrics(evaluator, every=7, start=0, stop_at=23, on_record=lambda i, r: seen.append(i))
    ticket.fit(x[:3000], y[:3000], batch_size=60, epochs=5, verbose=0, callbacks=[cb], seed=1)
    assert ticket.iteration == 23 and seen == [0, 7, 14, 21, 23]
    loss, acc = ticket.evaluate(*data.test, verbose=0, batch_size=500)
    last = cb.records[-1]
    assert last["test_accuracy"] == pytest.approx(acc, abs=1e-6)
    assert last["test_loss"] == pytest.approx(loss, rel=1e-4)


# --- report ----------------------------------------------------------------------------


def _png_size(path):
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_report_writes_slide_sized_plots_and_prints_the_table(tiny, tmp_path, capsys):
    out, rows = tiny
    assert main(["report", str(out), "--out", str(tmp_path / "rep")]) == 0
    printed = capsys.readouterr().out
    for name in ("accuracy", "early_stop", "learning_curves"):
        width, height = _png_size(tmp_path / "rep" / f"{name}.png")
        assert width >= 700 and height >= 400
    table = (tmp_path / "rep" / "table.txt").read_text()
    assert table in printed
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["level", "remaining", "variant"]
    assert len(lines) == 1 + 7 + 1 and "dense" in lines[1] and "random_mask" in lines[-2]
    assert f"{100 * rows[0]['test_accuracy']:.2f}" in lines[1]


def test_report_axes_show_every_level_and_every_point(tiny, tmp_path, monkeypatch):
    from lottery_keras.experiment import report

    out, rows = tiny
    figures = {}
    monkeypatch.setattr(report, "_save", lambda fig, path: figures.setdefault(path.stem, fig) and path)
    report.make_report(out, out=tmp_path / "rep")
    remaining = sorted({100 * r["remaining"] for r in rows})
    for name in ("accuracy", "early_stop"):
        for ax in figures[name].axes:
            assert sorted(ax.get_xticks()) == pytest.approx(remaining)
            assert all(t.get_text() for t in ax.get_xticklabels())
    for ax in figures["learning_curves"].axes:
        low, high = ax.get_ylim()
        assert ax.lines and all(low <= y <= high for line in ax.lines for y in line.get_ydata())
        assert any(line.get_ydata()[0] < 50 for line in ax.lines), "the untrained start is on the plot"


def test_report_of_a_partial_run_says_so(tiny, tmp_path, capsys):
    out, _ = tiny
    partial = tmp_path / "partial"
    shutil.copytree(out, partial)
    for unit in TINY.units()[4:]:
        (partial / unit.name / "result.json").unlink()
    assert main(["report", str(partial), "--levels", "0,1"]) == 0
    assert "(partial: 4 of 7 units)" in capsys.readouterr().out
    assert main(["report", str(partial), "--levels", "2"]) == 2
    assert "no finished units at level(s) [2]" in capsys.readouterr().err


def test_report_pools_run_directories_that_differ_only_in_seed(tiny, tmp_path, capsys):
    from dataclasses import replace

    from lottery_keras.experiment import pool
    from lottery_keras.experiment.report import make_report

    out, rows = tiny
    other = tmp_path / "seed5"
    other_rows = run(replace(TINY, seed=5), other, progress=False)
    pooled = pool.load([out, other])
    assert pooled.config == replace(TINY, replicates=2)
    assert [r for r in pooled.rows if r["replicate"] == 0] == rows
    assert [{**r, "replicate": 0} for r in pooled.rows if r["replicate"] == 1] == other_rows
    assert pooled.history(Unit(2, "reinit", 1)) == rd.RunDir(other).history(Unit(2, "reinit", 0))
    files = make_report([str(out), str(other)], out=tmp_path / "rep")
    assert "2 replicate(s), mean [min..max]" in files["table"].read_text()
    assert "paper_check" not in files  # mnist-mini is not the paper's data
    different = tmp_path / "levels1"
    run(replace(TINY, levels=1), different, progress=False)
    with pytest.raises(ValueError, match="levels: 2 vs 1"):
        pool.load([out, different])
