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
