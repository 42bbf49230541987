"""Analyses (lottery_keras.analysis): Early-Bird mask distance and stopping, linear
interpolation between weights and its error barrier, on hand-made masks and real data."""

import numpy as np
import pytest

import lottery_keras as lk
from lottery_keras import keras
from lottery_keras.analysis.early_bird import EarlyBird, mask_distance
from lottery_keras.analysis.interpolation import error_barrier, interpolate, linear_path


def test_mask_distance_by_hand():
    a = {"l": np.array([[1, 0], [1, 1]], np.float32), "m": np.ones(4, np.float32)}
    b = {"l": np.array([[1, 1], [0, 1]], np.float32), "m": np.ones(4, np.float32)}
    assert mask_distance(a, b) == 2 / 8
    assert mask_distance(a, a) == 0
    with pytest.raises(ValueError):
        mask_distance(a, {"l": a["l"]})


def test_error_barrier_and_interpolation_end_points(tiny):
    assert error_barrier([0.1, 0.3, 0.5, 0.2]) == pytest.approx(0.5 - 0.15)
    assert error_barrier([0.2, 0.1, 0.2]) == pytest.approx(0.0)  # a dip is no barrier: the ends count too
    t = tiny.ticket()
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


def test_early_bird_mask_settles_during_training():
    x, y = lk.data.load("mnist-mini").train
    t = lk.Ticket(lk.models.lenet_300_100(seed=0))
    t.compile(optimizer=keras.optimizers.Adam(1.2e-3), loss="sparse_categorical_crossentropy")
    bird = EarlyBird(t, sparsity=0.8, threshold=0.05, patience=1)
    t.fit(x[:3000], y[:3000], batch_size=60, epochs=5, verbose=0, callbacks=[bird], seed=0)
    assert len(bird.distances) == 5 and np.isnan(bird.distances[0])
    assert bird.distances[-1] < bird.distances[1], "the mask should change less as training goes on"
    assert bird.found_epoch is None or bird.distances[bird.found_epoch - 1] < 0.05
