"""Structured pruning (lottery_keras.pruning.units): whole units by the norm of their
incoming weights, on a LeNet-300-100 trained on the bundled MNIST subset."""

import numpy as np

import lottery_keras as lk


def test_prune_units_by_l1_norm_picks_the_smallest_units(trained_lenet, make_ticket):
    t = make_ticket()
    t.model.set_weights(trained_lenet.model.get_weights())
    norms = lk.pruning.units.unit_norms(t.kernels()["dense_100"], ord=1)
    lk.pruning.units.prune_units(t, {"dense_300": 0.0, "dense_100": 0.1}, ord=1)
    pruned = np.flatnonzero(~t.masks["dense_100"].any(axis=0))
    np.testing.assert_array_equal(np.sort(pruned), np.sort(np.argsort(norms)[:10]))
    assert t.masks["dense_300"].all()
    lk.pruning.units.prune_units(t, {"dense_100": 0.5}, ord=1)  # half of the 90 still alive
    assert (~t.masks["dense_100"].any(axis=0)).sum() == 10 + 45
