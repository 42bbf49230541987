"""Experiment config, run-directory bookkeeping and the run/report command line (no training here)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from lottery_keras.cli import main
from lottery_keras.experiment import run_dir as rd
from lottery_keras.experiment.config import VARIANTS, ExperimentConfig, Unit, derive_seed

# --- config --------------------------------------------------------------------------


def test_defaults_are_the_lth_settings_and_round_trip_through_json():
    c = ExperimentConfig()
    assert (c.model, c.dataset, c.rate, c.conv_rate, c.output_rate) == ("lenet_300_100", "mnist-mini", 0.2, 0.1, None)
    assert (c.optimizer, c.learning_rate, c.batch_size, c.rewind) == ("adam", 1.2e-3, 60, "init")
    assert c.variants == VARIANTS
    again = ExperimentConfig.from_json(c.to_json())
    assert again == c and again.to_json() == c.to_json()
    custom = ExperimentConfig(levels=3, variants="reinit,lottery", rewind=500, iterations=900)
    assert custom.variants == ("lottery", "reinit") and custom.rewind == "500it"
    assert custom.epochs is None and custom == ExperimentConfig(levels=3, rewind="500it", iterations=900,
                                                                variants=("lottery", "reinit"))
    assert ExperimentConfig.from_json(custom.to_json()) == custom


@pytest.mark.parametrize(("model", "rate", "conv_rate", "learning_rate", "iterations"), [
    ("lenet_300_100", 0.2, 0.1, 1.2e-3, 50_000),
    ("conv2", 0.2, 0.1, 2e-4, 20_000),
    ("conv4", 0.2, 0.1, 3e-4, 25_000),
    ("conv6", 0.2, 0.15, 3e-4, 30_000),
])
def test_unset_options_take_the_models_values_from_the_paper(model, rate, conv_rate, learning_rate, iterations):
    c = ExperimentConfig(model=model)
    assert (c.rate, c.conv_rate, c.output_rate, c.learning_rate, c.eval_every) == (
        rate, conv_rate, None, learning_rate, 100)
    assert (c.epochs, c.iterations) == (6, None), "the demo's length unless iterations are asked for"
    long = ExperimentConfig(model=model, iterations="paper")
    assert (long.epochs, long.iterations) == (None, iterations)
    mine = ExperimentConfig(model=model, rate=0.3, conv_rate=0.05, learning_rate=0.01, eval_every=7, epochs=2)
    assert (mine.rate, mine.conv_rate, mine.learning_rate, mine.eval_every, mine.epochs) == (0.3, 0.05, 0.01, 7, 2)
    assert ExperimentConfig.from_json(long.to_json()) == long and f'"iterations": {iterations}' in long.to_json()


def test_paper_rates_reach_the_pruned_model():
    """The config's rates are what lth_rates gets: Conv-6's conv layers lose 15%, its dense 20%, output 10%."""
    import lottery_keras as lk

    c = ExperimentConfig(model="conv6")
    ticket = lk.Ticket(lk.models.get("conv6", seed=0))
    rates = ticket.lth_rates(dense=c.rate, conv=c.conv_rate, output=c.output_rate)
    kinds = {name: type(w.layer).__name__ for name, w in lk.pruning.pruned_model.prunable_layers(ticket.model).items()}
    assert {rates[n] for n, k in kinds.items() if k == "Conv2D"} == {0.15}
    assert list(rates.values())[-1] == 0.1 and {rates[n] for n, k in list(kinds.items())[:-1] if k == "Dense"} == {0.2}


def test_contradictory_or_unset_able_settings_are_refused():
    with pytest.raises(ValueError, match="epochs must not be given with iterations"):
        ExperimentConfig(iterations=100, epochs=2)
    with pytest.raises(ValueError, match="learning_rate must be given for optimizer 'sgd'"):
        ExperimentConfig(optimizer="sgd")
    assert ExperimentConfig(optimizer="sgd", learning_rate=0.1).learning_rate == 0.1


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"levels": -1}, "levels must be >= 0"),
    ({"rate": 1.0}, "rate must be in (0, 1)"),
    ({"rate": 0.0}, "rate must be in (0, 1)"),
    ({"output_rate": 1.5}, "output_rate must be in [0, 1)"),
    ({"variants": ("lottery", "shuffled")}, "unknown variant 'shuffled'"),
    ({"variants": ("reinit",)}, "must include 'lottery'"),
    ({"model": "resnet"}, "unknown model 'resnet'"),
    ({"scope": "blockwise"}, "unknown scope"),
    ({"rewind": "soon"}, "rewind point must be"),
    ({"epochs": 0}, "epochs must be >= 1"),
    ({"learning_rate": -1.0}, "learning_rate must be a number > 0"),
    ({"replicates": True}, "replicates must be a whole number"),
])
def test_bad_settings_are_refused_with_a_clear_message(kwargs, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        ExperimentConfig(**kwargs)


def test_unknown_settings_in_json_are_refused():
    data = ExperimentConfig().to_dict() | {"levles": 3}
    with pytest.raises(ValueError, match="unknown experiment settings"):
        ExperimentConfig.from_dict(data)


def test_units_run_level_by_level_with_one_dense_unit_per_replicate():
    c = ExperimentConfig(levels=2, replicates=2, variants=("lottery", "random_mask"))
    assert c.units() == [
        Unit(0, "lottery", 0), Unit(0, "lottery", 1),
        Unit(1, "lottery", 0), Unit(1, "random_mask", 0), Unit(1, "lottery", 1), Unit(1, "random_mask", 1),
        Unit(2, "lottery", 0), Unit(2, "random_mask", 0), Unit(2, "lottery", 1), Unit(2, "random_mask", 1),
    ]
    assert Unit(3, "reinit", 1).name == "level_03/reinit_r1"


def test_seeds_differ_per_unit_and_are_stable():
    c = ExperimentConfig(levels=3, replicates=2)
    seeds = [c.fit_seed(u) for u in c.units()] + [c.variant_seed(u) for u in c.units()]
    assert len(set(seeds)) == len(seeds)
    assert derive_seed(0, 1, "lottery", 0, 1) == derive_seed(0, 1, "lottery", 0, 1) < 2 ** 31
    assert c.model_seed(0) == 0 and c.model_seed(1) == 1


def test_schedule_check_needs_the_rewind_point_inside_a_level():
    ExperimentConfig(rewind="1ep", epochs=2).check_schedule(153)
    with pytest.raises(ValueError, match="rewind point '1ep' is iteration 153"):
        ExperimentConfig(rewind="1ep", iterations=100).check_schedule(153)


# --- run directory -----------------------------------------------------------------


def test_atomic_write_replaces_whole_files_and_leaves_no_temp_on_failure(tmp_path):
    target = tmp_path / "sub" / "a.txt"
    rd.write_text(target, "old")
    with pytest.raises(RuntimeError):
        def boom(f):
            f.write(b"half")
            raise RuntimeError("disk on fire")
        rd.atomic_write(target, boom)
    assert target.read_text() == "old"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.txt"]
    mask = os.umask(0o022)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask, "files get the usual permissions, not mkstemp's 0600"


def test_csv_floats_read_back_exactly(tmp_path):
    rows = [{"a": 0.1 + 0.2, "b": 1, "c": "lottery", "d": None}, {"a": float(np.float32(0.3)), "b": 2, "c": "x"}]
    rd.write_csv(tmp_path / "r.csv", rows, ["a", "b", "c", "d"])
    back = rd.read_csv(tmp_path / "r.csv")
    assert back == [rows[0], rows[1] | {"d": None}]


def test_snapshot_and_mask_files_round_trip_exactly(tmp_path):
    from lottery_keras.pruning.snapshot import Snapshot

    rng = np.random.default_rng(0)
    snap = Snapshot(7, {"dense_300": [rng.normal(size=(4, 3)).astype(np.float32), np.zeros(3, np.float32)],
                        "output": [rng.normal(size=(3, 2)).astype(np.float32), np.ones(2, np.float32)]})
    rd.save_snapshot(tmp_path / "w.npz", snap)
    back = rd.load_snapshot(tmp_path / "w.npz")
    assert back.iteration == 7 and list(back.weights) == ["dense_300", "output"]
    for name, ws in snap.weights.items():
        assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(ws, back.weights[name], strict=True))
    masks = {"dense_300": (rng.random((4, 3)) > 0.5).astype(np.float32)}
    rd.save_masks(tmp_path / "m.npz", masks)
    assert np.array_equal(rd.load_masks(tmp_path / "m.npz")["dense_300"], masks["dense_300"])


def test_run_dir_refuses_a_different_experiment_and_foreign_folders(tmp_path):
    config = ExperimentConfig(levels=2)
    run = rd.RunDir(tmp_path / "run")
    assert run.check(config) is False
    run.create(config)
    assert run.check(config) is True
    with pytest.raises(ValueError, match=r"holds a different experiment \(levels: 3 vs 2"):
        run.check(ExperimentConfig(levels=3))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="is not an experiment run directory"):
        rd.RunDir(tmp_path / "other").check(config)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        rd.RunDir(tmp_path / "file").check(config)
    (run.path / "level_00").mkdir()
    (run.path / "level_00" / ".mask.npz.abc.tmp").write_bytes(b"torn")
    assert run.clean_temp() == 1 and not list(run.path.rglob("*.tmp"))


# --- command line (parsing and refusals; no training) --------------------------------


def test_help_lists_every_option_with_its_default_without_importing_tensorflow():
    code = ("import sys; from lottery_keras.cli import main\n"
            "try:\n    main(['run', '--help'])\nexcept SystemExit:\n    pass\n"
            "assert 'tensorflow' not in sys.modules, 'tensorflow imported at --help time'\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    flat = " ".join(out.split())
    for option, default in [("--model", "lenet_300_100"), ("--dataset", "mnist-mini"), ("--levels", "8"),
                            ("--rate", "paper: 0.2 for every model"),
                            ("--conv-rate", "paper: lenet_300_100 0.1, conv2 0.1, conv4 0.1, conv6 0.15"),
                            ("--output-rate", "half of --rate: the paper's 10%"),
                            ("--scope", "layerwise"), ("--epochs", "6 unless --iterations"),
                            ("--iterations", "use --epochs"), ("--batch-size", "60"), ("--optimizer", "adam"),
                            ("--lr", "paper, Adam only: lenet_300_100 0.0012, conv2 0.0002, conv4 0.0003, "
                                     "conv6 0.0003"),
                            ("--rewind", "init"), ("--variants", "lottery,reinit,random_mask"),
                            ("--replicates", "1"), ("--seed", "0"), ("--eval-every", "paper: 100"),
                            ("--train-eval-size", "2000"), ("--out", "runs/demo"),
                            ("--data-dir", "LOTTERY_KERAS_DATA")]:
        assert option in out
        assert f"(default: {default}" in flat or f"(default: ${default}" in flat, (option, default)
    assert "'paper' for the model's paper value (lenet_300_100 50000, conv2 20000, conv4 25000, conv6 30000)" in flat
    for name in ("sign_reinit", "random_mask_global"):
        assert name in flat


def test_cli_choices_are_the_librarys_names():
    from lottery_keras import data, models
    from lottery_keras.cli import build_parser
    from lottery_keras.experiment import variants

    run = build_parser()._subparsers._group_actions[0].choices["run"]
    choices = {a.dest: a.choices for a in run._actions}
    assert choices["model"] == models.NAMES and choices["dataset"] == data.NAMES
    variants_help = " ".join(next(a.help for a in run._actions if a.dest == "variants").split())
    assert all(f"{name} ({v.description})" in variants_help for name, v in variants.REGISTRY.items())


def _exit_code(argv):
    try:
        return main(argv)
    except SystemExit as err:  # argparse's own refusals (a bad choice, a non-number)
        return err.code


@pytest.mark.parametrize(("argv", "words"), [
    (["--levels", "-1"], "argument --levels: must be >= 0, got -1"),
    (["--levels", "many"], "argument --levels: expected a whole number, got 'many'"),
    (["--rate", "1"], "argument --rate: must be in (0, 1)"),
    (["--rate", "1.5"], "argument --rate: must be in (0, 1)"),
    (["--conv-rate", "1"], "argument --conv-rate: must be in [0, 1)"),
    (["--variants", "lottery,ticket"], "argument --variants: unknown variant 'ticket'"),
    (["--rewind", "yesterday"], "argument --rewind: rewind point must be"),
    (["--model", "vgg"], "argument --model: invalid choice: 'vgg'"),
    (["--iterations", "100", "--epochs", "2"], "argument --epochs: must not be given with --iterations"),
    (["--optimizer", "momentum"], "argument --lr: must be given for --optimizer 'momentum'"),
])
def test_bad_options_get_one_line_and_exit_code_2(capsys, tmp_path, argv, words):
    assert _exit_code(["run", *argv, "--out", str(tmp_path / "run")]) == 2
    assert not (tmp_path / "run").exists()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err, err


def test_bad_config_values_and_data_dirs_exit_2_with_one_line(tmp_path, capsys):
    assert main(["run", "--rate", "0", "--out", str(tmp_path / "a")]) == 2
    assert main(["run", "--data-dir", str(tmp_path / "missing"), "--out", str(tmp_path / "b")]) == 2
    (tmp_path / "afile").write_text("")
    assert main(["run", "--data-dir", str(tmp_path / "afile"), "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3
    assert "argument --rate: must be in (0, 1)" in err[0]
    assert "--data-dir" in err[1] and "no such folder" in err[1] and "no such folder" in err[2]
    assert not any((tmp_path / d).exists() for d in "abc")


def test_a_different_config_on_an_existing_run_dir_is_refused(tmp_path, capsys):
    run = rd.RunDir(tmp_path / "run")
    run.create(ExperimentConfig(levels=2, iterations=40))
    before = os.listdir(run.path)
    assert main(["run", "--levels", "3", "--iterations", "40", "--out", str(run.path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "holds a different experiment (levels: 3 vs 2" in err and "Use another --out" in err
    assert os.listdir(run.path) == before
    assert json.loads((run.path / "config.json").read_text())["levels"] == 2


def test_an_out_that_cannot_be_created_gets_one_clear_line(tmp_path, capsys):
    (tmp_path / "afile").write_text("")
    assert main(["run", "--out", str(tmp_path / "afile" / "run")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Errno" not in err
    assert f"cannot create the run directory {tmp_path / 'afile' / 'run'}: {tmp_path / 'afile'} is a file" in err


def test_report_of_a_folder_that_is_no_run_dir_exits_2(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "is not an experiment run directory" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err == f"lottery-keras report: error: {tmp_path / 'missing'} does not exist\n"


def test_control_levels_train_the_controls_only_at_those_levels():
    c = ExperimentConfig(levels=15, control_levels="15,3,7,12,3")
    assert c.control_levels == (3, 7, 12, 15)
    trained = {(u.level, u.variant) for u in c.units()}
    assert {lv for lv, v in trained if v == "lottery"} == set(range(16))
    assert {lv for lv, v in trained if v != "lottery"} == {3, 7, 12, 15}
    assert len(c.units()) == 16 + 2 * 4
    assert ExperimentConfig.from_json(c.to_json()) == c
    assert len(ExperimentConfig(levels=3).units()) == 1 + 3 * 3  # default: every level
    with pytest.raises(ValueError, match="between 1 and levels=3"):
        ExperimentConfig(levels=3, control_levels=(0,))
