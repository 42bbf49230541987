"""Report helpers that need no run: which learning curves are drawn, their y range, the x ticks."""

import pytest
from matplotlib.figure import Figure

from lottery_keras.experiment import ExperimentConfig
from lottery_keras.experiment.report import _remaining_axis, curve_limits, pick_levels


def _lenet_rows(levels):
    """Result rows of a LeNet-300-100 run with the LTH rates: dense layers keep 0.8, the output 0.9 per level."""
    dense, output = 784 * 300 + 300 * 100, 100 * 10
    share = [(dense * 0.8 ** lv + output * 0.9 ** lv) / (dense + output) for lv in range(levels + 1)]
    return [{"level": lv, "variant": "lottery", "remaining": r} for lv, r in enumerate(share)]


@pytest.mark.parametrize(("levels", "picked"), [
    (8, [0, 3, 7, 8]),  # the demo: 100, 51.3 and 21.1% are reached, then the sparsest (16.9%)
    (15, [0, 3, 7, 12, 15]),  # docs/reproduction.md: all five paper levels, down to 3.6%
    (3, [0, 1, 2, 3]),  # short runs: every level
])
def test_learning_curves_are_drawn_at_the_paper_levels_the_run_reaches(levels, picked):
    assert pick_levels(ExperimentConfig(levels=levels), _lenet_rows(levels)) == picked


def test_curve_limits_show_every_point():
    curves = [[9.8, 60.0, 91.0, 95.5], [11.0, 80.0, 96.2]]
    low, high = curve_limits(curves)
    assert low < 9.8 and high > 96.2 and 0 <= low and high <= 100


def test_every_level_gets_a_labelled_tick():
    remaining = [100 * r["remaining"] for r in _lenet_rows(15)]
    ax = Figure().subplots()
    _remaining_axis(ax, remaining)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert sorted(ax.get_xticks()) == sorted(remaining) and len(labels) == 16 and all(labels)


# --- the paper check ---------------------------------------------------------------

def _paper_rows(es, acc):
    """LeNet rows at levels 0, 3, 7, 12, 15 for 3 replicates: es/acc(level, variant, replicate)."""
    shares = {r["level"]: r["remaining"] for r in _lenet_rows(15)}
    rows = []
    for rep in range(3):
        for level in (0, 3, 7, 12, 15):
            for variant in (("lottery",) if level == 0 else ("lottery", "reinit", "random_mask")):
                rows.append({"level": level, "variant": variant, "replicate": rep, "remaining": shares[level],
                             "early_stop_iteration": es(level, variant, rep),
                             "early_stop_test_accuracy": acc(level, variant, rep),
                             "start_iteration": 0, "iterations": 15000})
    return rows


def _verdicts(rows):
    from lottery_keras.experiment import paper_check

    return {r["quantity"]: r for r in paper_check.check(rows)}


def test_paper_check_pairs_replicates_and_gives_verdicts():
    # tickets at 21.1% stop at 0.62 x dense in replicate 0 only; re-init 2.51 x the ticket in every replicate
    def es(level, variant, rep):
        base = {0: 4000, 3: 3000, 7: 2000 + 480 * rep, 12: 3000, 15: 4000}[level]
        return base * {"lottery": 1, "reinit": 2.51, "random_mask": 3}[variant] * (1.24 if level == 7 else 1)

    def acc(level, variant, rep):
        return 0.98 + {"lottery": 0, "reinit": -0.005, "random_mask": -0.01}[variant] + (0.001 if rep == 1 else 0)

    got = _verdicts(_paper_rows(es, acc))
    ratio = got["ticket 21.1% / dense: early-stopping iteration"]
    assert ratio["n"] == 3 and ratio["min"] == pytest.approx(0.62) and ratio["verdict"] == "agrees"
    assert got["re-init 21.1% / ticket 21.1%: early-stopping iteration"]["verdict"] == "agrees"
    assert got["re-init 21.1% minus ticket: test accuracy (points)"]["mean"] == pytest.approx(-0.5)
    assert got["ticket 3.6% minus dense: test accuracy (points)"]["verdict"] == "agrees"  # no difference
    assert got["ticket 51.3% minus dense: test accuracy (points)"]["verdict"] == "inside noise"  # no gain at all
    assert got["dense: early-stopping iteration"]["verdict"] == "agrees"
    assert got["random mask 7.0% minus ticket: test accuracy (points)"]["verdict"] == "agrees"
    from lottery_keras.experiment import paper_check

    rows = _paper_rows(es, acc)
    assert "last 10% of training (early-stopping iteration a lower bound): 0 of 39 units." in \
        paper_check.markdown(rows)
    rows[-1] = {**rows[-1], "early_stop_iteration": 13600}  # 15000 * 0.9 = 13500: late
    assert paper_check.late_minima(rows) == [rows[-1]]
    assert ": 1 of 39 units: level 15 random_mask r2." in paper_check.markdown(rows)


def test_paper_check_says_differs_and_inside_noise_and_not_run():
    def es(level, variant, rep):
        return 9000 if level == 0 else 7000 + 100 * rep  # dense late; tickets above the 6,500 ceiling

    def acc(level, variant, rep):
        if level == 3 and variant == "lottery":  # ticket vs dense at 51.3%: signs disagree between replicates
            return 0.98 + (0.002 if rep == 0 else -0.002)
        return 0.98

    rows = _paper_rows(es, acc)
    got = _verdicts(rows)
    assert got["dense: early-stopping iteration"]["verdict"] == "differs (mean above)"
    assert got["ticket 21.1%: early-stopping iteration"]["verdict"] == "differs (3 of 3 at or above)"
    assert got["ticket 51.3% minus dense: test accuracy (points)"]["verdict"] == "inside noise"
    assert got["ticket 21.1% / dense: early-stopping iteration"]["verdict"] == "differs (measured higher)"
    wide = [{**r, "early_stop_iteration": (12000, 9000, 6500)[r["replicate"]]} if r["level"] == 0 else r
            for r in rows]
    assert _verdicts(wide)["ticket 21.1% / dense: early-stopping iteration"]["verdict"] == \
        "inside noise (the range also holds no effect)"  # ratios 0.58, 0.79, 1.11
    without_random = [r for r in rows if r["variant"] != "random_mask"]
    assert _verdicts(without_random)["random mask 3.6% minus ticket: test accuracy (points)"]["verdict"] == "not run"
