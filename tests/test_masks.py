"""Mask arithmetic (pure numpy): counts, monotonic shrinking, scopes, bad input."""

import itertools

import numpy as np
import pytest

from lottery_keras.pruning import masks as M
from lottery_keras.pruning.random_mask import random_masks_like


def _layers(seed=0):
    rng = np.random.default_rng(seed)
    shapes = {"a": (784, 300), "b": (300, 100), "c": (100, 10)}
    weights = {n: rng.normal(size=s).astype(np.float32) for n, s in shapes.items()}
    masks = {n: np.ones(s, np.float32) for n, s in shapes.items()}
    return weights, masks


def _abs(w):
    return {n: np.abs(v) for n, v in w.items()}


def test_layerwise_rate_is_met_within_one_weight_and_lowest_go():
    w, m = _layers()
    new = M.prune_layerwise(_abs(w), m, {"a": 0.2, "b": 0.2, "c": 0.1})
    for name, rate in {"a": 0.2, "b": 0.2, "c": 0.1}.items():
        pruned = m[name].size - new[name].sum()
        assert abs(pruned - rate * m[name].size) <= 1
        # every pruned weight is no larger than every kept one
        assert np.abs(w[name])[new[name] == 0].max() <= np.abs(w[name])[new[name] == 1].min()


def test_masks_only_shrink_over_rounds_and_count_only_alive_weights():
    w, m = _layers()
    alive = [sum(v.sum() for v in m.values())]
    for _ in range(5):
        new = M.prune_layerwise(_abs(w), m, 0.2)
        for n in m:
            assert np.all(new[n] <= m[n]), "a pruned weight came back"
            expected_left = m[n].sum() - round(0.2 * m[n].sum())
            assert new[n].sum() == expected_left
        m = new
        alive.append(sum(v.sum() for v in m.values()))
    assert all(a > b for a, b in itertools.pairwise(alive))


def test_pruned_weights_are_not_counted_even_if_they_score_lowest():
    w, m = _layers()
    m = M.prune_layerwise(_abs(w), m, 0.5)
    scores = {n: np.where(m[n] == 0, -1.0, np.abs(w[n])) for n in w}  # pruned ones score lowest
    new = M.prune_layerwise(scores, m, 0.5)
    for n in m:
        assert new[n].sum() == m[n].sum() - round(0.5 * m[n].sum())


def test_global_pools_layers_and_meets_rate():
    w, m = _layers()
    w["c"] *= 100  # the output layer has far larger weights: global pruning spares it
    new = M.prune_global(_abs(w), m, 0.3)
    total = sum(v.size for v in m.values())
    assert abs((total - sum(v.sum() for v in new.values())) - 0.3 * total) <= 1
    assert new["c"].mean() > 0.99 > 0.8 > new["a"].mean()
    threshold = max(np.abs(w[n])[new[n] == 0].max() for n in w if (new[n] == 0).any())
    assert all(np.abs(w[n])[new[n] == 1].min() >= threshold for n in w)


def test_prune_zero_changes_nothing_and_remaining_reports_layers():
    w, m = _layers()
    assert all(np.array_equal(M.prune(_abs(w), m, 0.0)[n], m[n]) for n in m)
    r = M.remaining(M.prune_layerwise(_abs(w), m, {"a": 0.5, "b": 0.0, "c": 0.0}))
    assert r.per_layer == {"a": 0.5, "b": 1.0, "c": 1.0}
    assert r.overall == pytest.approx(1 - 0.5 * 784 * 300 / (784 * 300 + 300 * 100 + 100 * 10))
    assert float(r) == r.overall


@pytest.mark.parametrize("fraction", [-0.1, 1.0, 1.5, float("nan")])
def test_fraction_outside_unit_interval_is_refused(fraction):
    w, m = _layers()
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        M.prune(_abs(w), m, fraction)


def test_bad_scope_per_layer_global_and_nan_scores_are_refused():
    w, m = _layers()
    with pytest.raises(ValueError, match="unknown scope"):
        M.prune(_abs(w), m, 0.2, scope="everywhere")
    with pytest.raises(ValueError, match="one fraction"):
        M.prune(_abs(w), m, {"a": 0.2}, scope="global")
    with pytest.raises(ValueError, match="unknown layers"):
        M.prune(_abs(w), m, {"zzz": 0.2})
    s = _abs(w)
    s["b"][0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        M.prune(s, m, 0.2)
    with pytest.raises(TypeError):
        M.prune(_abs(w), m, "0.2")


def test_check_mask_shape_and_values():
    with pytest.raises(ValueError, match="shape"):
        M.check_mask("a", np.ones((3, 3)), (3, 4))
    with pytest.raises(ValueError, match="only 0 and 1"):
        M.check_mask("a", np.full((3, 4), 0.5), (3, 4))
    assert M.check_mask("a", np.ones((3, 4), bool), (3, 4)).dtype == np.float32


@pytest.mark.parametrize("scope", ["layerwise", "global"])
def test_random_masks_keep_counts(scope):
    w, m = _layers()
    m = M.prune_layerwise(_abs(w), m, {"a": 0.9, "b": 0.5, "c": 0.1})
    r = random_masks_like(m, seed=3, scope=scope)
    if scope == "layerwise":
        assert all(r[n].sum() == m[n].sum() for n in m)
    assert sum(v.sum() for v in r.values()) == sum(v.sum() for v in m.values())
    assert not np.array_equal(r["a"], m["a"])
    again = random_masks_like(m, seed=3, scope=scope)
    assert all(np.array_equal(again[n], r[n]) for n in m)


def test_mask_files_round_trip_exactly_and_bad_files_are_refused_by_name(tmp_path):
    _, m = _layers()
    m = random_masks_like(m, seed=3)
    M.save(tmp_path / "m.npz", m)
    back = M.load(tmp_path / "m.npz")
    assert list(back) == list(m) and all(np.array_equal(back[k], m[k]) and back[k].dtype == np.float32 for k in m)
    np.savez(tmp_path / "bad.npz", a=np.full((2, 2), 2, np.uint8))
    with pytest.raises(ValueError, match=r"bad\.npz.*only 0 and 1"):
        M.load(tmp_path / "bad.npz")
    (tmp_path / "cut.npz").write_bytes((tmp_path / "m.npz").read_bytes()[:100])
    with pytest.raises(ValueError, match=r"cut\.npz is not a readable \.npz file"):
        M.load(tmp_path / "cut.npz")
