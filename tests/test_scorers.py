"""Pruning-at-initialisation scorers and stability tools, checked against hand computations."""

import numpy as np
import pytest

import lottery_keras as lk
from lottery_keras import keras
from lottery_keras.analysis.early_bird import EarlyBird, mask_distance
from lottery_keras.analysis.interpolation import error_barrier, interpolate, linear_path
from lottery_keras.scoring.grasp import GraSP
from lottery_keras.scoring.snip import Snip
from lottery_keras.scoring.synflow import SynFlow, synflow_prune

W1 = np.array([[0.5, -1.0], [0.25, 0.75], [-0.5, 0.3]])
B1 = np.array([0.1, -0.2])
W2 = np.array([[1.0, -0.5], [-0.25, 0.8]])
B2 = np.array([0.05, -0.05])
X = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0], [-0.7, 0.4, 0.1]])
Y = np.array([0, 1, 1])


def _tiny_ticket():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="relu", name="hidden"),
                              keras.layers.Dense(2, activation="softmax", name="out")])
    model.set_weights([W1, B1, W2, B2])
    return lk.Ticket(model)


def _numpy_grads(w1, w2, temperature=1.0):
    """Mean cross-entropy gradient of the tiny net, by hand, on softmax(logits / T)."""
    pre = X @ w1 + B1
    h = np.maximum(pre, 0)
    logits = h @ w2 + B2
    z = logits / temperature
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    d_logits = (p - np.eye(2)[Y]) / len(X) / temperature
    d_w2 = h.T @ d_logits
    d_w1 = X.T @ ((d_logits @ w2.T) * (pre > 0))
    return d_w1, d_w2


def test_snip_is_abs_gradient_times_weight():
    scores = Snip(X.astype(np.float32), Y)(_tiny_ticket())
    g1, g2 = _numpy_grads(W1, W2)
    np.testing.assert_allclose(scores["hidden"], np.abs(g1 * W1), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(scores["out"], np.abs(g2 * W2), rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("temperature", [1.0, 200.0])
def test_grasp_is_weight_times_hessian_gradient_product(temperature):
    """GraSP softens the outputs to softmax(logits / T) before the loss, as the reference
    implementation does (T = 200 by default); T = 1 is the plain equation. The hand
    computation differentiates the cross-entropy of softmax(logits / T)."""
    scores = GraSP(X.astype(np.float32), Y, temperature=temperature)(_tiny_ticket())
    g1, g2 = _numpy_grads(W1, W2, temperature)
    eps = 1e-5 * temperature  # H g by central differences of the hand gradient along g
    p1, p2 = _numpy_grads(W1 + eps * g1, W2 + eps * g2, temperature)
    m1, m2 = _numpy_grads(W1 - eps * g1, W2 - eps * g2, temperature)
    hg1, hg2 = (p1 - m1) / (2 * eps), (p2 - m2) / (2 * eps)
    for got, want in [(scores["hidden"], W1 * hg1), (scores["out"], W2 * hg2)]:
        np.testing.assert_allclose(got, want, rtol=2e-3, atol=1e-3 * np.abs(want).max())


def test_grasp_default_temperature_is_the_published_200():
    t = _tiny_ticket()
    x = X.astype(np.float32)
    default = GraSP(x, Y)(t)
    for name, score in GraSP(x, Y, temperature=200.0)(t).items():
        np.testing.assert_allclose(default[name], score, rtol=1e-6)
    assert not np.allclose(default["out"], GraSP(x, Y, temperature=1.0)(t)["out"])
    with pytest.raises(ValueError, match="temperature"):
        GraSP(x, Y, temperature=0.0)(t)


def test_synflow_is_weight_times_flow_through_it():
    scores = SynFlow()(_tiny_ticket())
    a1, a2, b1 = np.abs(W1), np.abs(W2), np.abs(B1)
    # R = ((1^T |W1| + |b1|) |W2| + |b2|) 1
    np.testing.assert_allclose(scores["hidden"], a1 * a2.sum(1)[None, :], rtol=1e-6)
    np.testing.assert_allclose(scores["out"], a2 * (a1.sum(0) + b1)[:, None], rtol=1e-6)


def test_synflow_prune_reaches_the_sparsity_without_emptying_a_layer():
    t = lk.Ticket(lk.models.lenet_300_100(seed=0))
    synflow_prune(t, 0.9, iterations=20)
    r = t.remaining()
    assert r.overall == pytest.approx(0.1, abs=1e-3)
    assert min(r.per_layer.values()) > 0.01


def test_data_scorers_drive_ticket_prune_on_real_data():
    x, y = lk.data.load("mnist-mini").train
    t = lk.Ticket(lk.models.lenet_300_100(seed=0))
    t.prune(0.5, criterion=Snip(x[:256], y[:256]))
    assert all(abs(v - 0.5) < 1e-3 for v in t.remaining().per_layer.values())
    with pytest.raises(ValueError, match="non-empty batch"):
        t.prune(0.5, criterion=Snip(x[:0], y[:0]))


def test_mask_distance_by_hand():
    a = {"l": np.array([[1, 0], [1, 1]], np.float32), "m": np.ones(4, np.float32)}
    b = {"l": np.array([[1, 1], [0, 1]], np.float32), "m": np.ones(4, np.float32)}
    assert mask_distance(a, b) == 2 / 8
    assert mask_distance(a, a) == 0
    with pytest.raises(ValueError):
        mask_distance(a, {"l": a["l"]})


def test_error_barrier_and_interpolation_end_points():
    assert error_barrier([0.1, 0.3, 0.5, 0.2]) == pytest.approx(0.5 - 0.15)
    assert error_barrier([0.2, 0.1, 0.2]) == pytest.approx(0.0)  # a dip is no barrier: the ends count too
    t = _tiny_ticket()
    a = t.take_snapshot("a")
    t.reinitialize(seed=2)
    b = t.take_snapshot("b")
    mid = interpolate(a, b, 0.25)
    np.testing.assert_allclose(mid.weights["hidden"][0], 0.75 * a.weights["hidden"][0] + 0.25 * b.weights["hidden"][0])
    start = interpolate(a, b, 0.0).weights["out"]
    assert all(np.array_equal(x, y) for x, y in zip(start, a.weights["out"], strict=True))


def test_linear_path_on_real_data_restores_the_ticket():
    d = lk.data.load("mnist-mini")
    (x, y), (xt, yt) = d.train, d.test
    ends = []
    for order in (1, 2):  # same start, different data order
        t = lk.Ticket(lk.models.lenet_300_100(seed=0))
        t.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        t.fit(x[:3000], y[:3000], batch_size=60, epochs=1, verbose=0, seed=order)
        ends.append(t)
    a, b = (e.take_snapshot("end") for e in ends)
    before = ends[0].kernels()
    path = linear_path(ends[0], a, b, xt, yt, alphas=[0, 0.5, 1])
    assert path["error"][0] == pytest.approx(1 - ends[0].evaluate(xt, yt, verbose=0)[1])
    assert path["error"][2] == pytest.approx(1 - ends[1].evaluate(xt, yt, verbose=0)[1])
    assert path["barrier"] == pytest.approx(max(path["error"]) - (path["error"][0] + path["error"][2]) / 2)
    assert all(np.array_equal(before[n], k) for n, k in ends[0].kernels().items())


def test_sign_preserving_reinit_keeps_w0_signs():
    t = lk.Ticket(lk.models.lenet_300_100(seed=0))
    t.prune(0.5)
    w0 = t.snapshots["init"].weights
    t.reinitialize(seed=4, keep_sign=True)
    for n, k in t.kernels().items():
        alive = t.masks[n] == 1
        assert np.array_equal(np.sign(k[alive]), np.sign(w0[n][0][alive]))
        assert not np.allclose(np.abs(k[alive]), np.abs(w0[n][0][alive]))


def test_early_bird_mask_settles_during_training():
    x, y = lk.data.load("mnist-mini").train
    t = lk.Ticket(lk.models.lenet_300_100(seed=0))
    t.compile(optimizer=keras.optimizers.Adam(1.2e-3), loss="sparse_categorical_crossentropy")
    bird = EarlyBird(t, sparsity=0.8, threshold=0.05, patience=1)
    t.fit(x[:3000], y[:3000], batch_size=60, epochs=5, verbose=0, callbacks=[bird], seed=0)
    assert len(bird.distances) == 5 and np.isnan(bird.distances[0])
    assert bird.distances[-1] < bird.distances[1], "the mask should change less as training goes on"
    assert bird.found_epoch is None or bird.distances[bird.found_epoch - 1] < 0.05
