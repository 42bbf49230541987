"""Multiply-accumulate counts (lottery_keras.analysis.flops) of dense and pruned LTH models."""

import numpy as np

import lottery_keras as lk
from lottery_keras.analysis import flops


def test_flops_count_dense_and_nonzero_multiply_accumulates(trained_lenet, make_ticket):
    model = lk.models.lenet_300_100(seed=0)
    assert flops.macs(model) == 784 * 300 + 300 * 100 + 100 * 10 == flops.flops(model) // 2
    assert flops.layer_macs(lk.models.conv2(seed=0)) == {
        "conv1a": 28 * 28 * 9 * 1 * 64, "conv1b": 28 * 28 * 9 * 64 * 64,
        "dense_256a": 14 * 14 * 64 * 256, "dense_256b": 256 * 256, "output": 256 * 10}
    t = make_ticket()
    t.model.set_weights(trained_lenet.model.get_weights())
    t.prune(0.8)
    nonzero = sum(int(np.count_nonzero(k)) for k in t.kernels().values())
    assert flops.macs(t, nonzero=True) == nonzero
