"""Dead-unit removal (lottery_keras.acceleration.compaction) on real tickets and MNIST images,
after magnitude or structured (whole-unit) pruning: the compacted model is smaller and
computes the same outputs."""

import numpy as np
import pytest

import lottery_keras as lk
from lottery_keras import keras
from lottery_keras.acceleration import compaction
from lottery_keras.analysis import flops


@pytest.fixture(scope="module")
def data(mnist_3000):
    return mnist_3000


def _same_outputs(a, b, x, atol=1e-5):
    np.testing.assert_allclose(a.predict(x, verbose=0), b.predict(x, verbose=0), atol=atol, rtol=0)


def test_magnitude_pruning_leaves_units_without_outgoing_weights_and_compaction_cuts_them(
        trained_lenet, data, make_ticket):
    t = make_ticket()
    t.model.set_weights(trained_lenet.model.get_weights())
    t.prune(0.9)  # 90% of every layer, the 10x100 output layer included
    dead = compaction.dead_units(t)
    output_rows = t.kernels()["output"].any(axis=1)
    np.testing.assert_array_equal(dead["dense_100"].no_outgoing, np.flatnonzero(~output_rows))
    assert dead["dense_100"].no_outgoing.size > 0
    result = compaction.compact(t)
    assert result.units["dense_100"] == (100, 100 - dead["dense_100"].dead.size)
    assert result.units["output"] == (10, 10)
    assert result.remaining_units < 1.0
    np.testing.assert_array_equal(result.kept["dense_100"], np.flatnonzero(output_rows))
    _same_outputs(t.strip(), result.model, data[1][0])
    assert flops.macs(result.model) < flops.macs(t.strip())


def test_structured_pruning_removes_whole_units_and_compaction_is_exact(trained_lenet, data, make_ticket):
    t = make_ticket()
    t.model.set_weights(trained_lenet.model.get_weights())
    lk.pruning.units.prune_units(t, 0.5)
    masks = t.masks
    assert (~masks["dense_300"].any(axis=0)).sum() == 150
    assert (~masks["dense_100"].any(axis=0)).sum() == 50
    assert masks["output"].all()  # output units are never pruned
    t.fit(*data[0], batch_size=60, epochs=1, verbose=0, seed=1)  # the biases keep training
    stripped = t.strip()
    dead_bias = stripped.get_layer("dense_300").bias.numpy()[~masks["dense_300"].any(axis=0)]
    assert (np.maximum(dead_bias, 0) > 0).any(), "some pruned units output a nonzero constant to fold"
    result = compaction.compact(t)
    assert result.units == {"dense_300": (300, 150), "dense_100": (100, 50), "output": (10, 10)}
    assert result.remaining_units == pytest.approx(0.5)
    assert flops.macs(result.model) == 784 * 150 + 150 * 50 + 50 * 10
    _same_outputs(stripped, result.model, data[1][0])
    result.model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    stripped.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert result.model.evaluate(*data[1], verbose=0)[1] == stripped.evaluate(*data[1], verbose=0)[1]


def test_conv_channels_are_compacted_and_constant_channels_before_same_padding_kept(data, make_ticket):
    t = make_ticket("conv2")
    rng = np.random.default_rng(0)
    for layer in t.model.layers:  # nonzero biases, as after training
        inner = getattr(layer, "layer", layer)
        if hasattr(inner, "bias"):
            inner.bias.assign(rng.normal(0, 0.1, inner.bias.shape).astype(np.float32))
    lk.pruning.units.prune_units(t, 0.5)
    stripped = t.strip()
    result = compaction.compact(t)
    bias_a = stripped.get_layer("conv1a").bias.numpy()
    pruned_a = ~t.masks["conv1a"].reshape(-1, 64).any(axis=0)
    # conv1a feeds a "same"-padded conv: pruned channels with relu(bias) > 0 must stay
    assert result.kept_constant["conv1a"] == int((pruned_a & (bias_a > 0)).sum()) > 0
    assert result.units["conv1a"] == (64, 64 - int((pruned_a & (bias_a <= 0)).sum()))
    assert result.units["conv1b"] == (64, 32)  # conv1b feeds Flatten + Dense: every constant folds
    assert result.units["dense_256a"] == (256, 128) and result.units["dense_256b"] == (256, 128)
    _same_outputs(stripped, result.model, data[1][0][:300], atol=1e-4)


def test_bad_input_is_refused_clearly(make_ticket):
    with pytest.raises(ValueError, match="Sequential"):
        inputs = keras.Input((4,))
        compaction.compact(keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Dense(3)(inputs))))
    with pytest.raises(ValueError, match="elementwise"):
        compaction.compact(keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax"),
                                             keras.layers.Dense(2)]))
    with pytest.raises(ValueError, match="BatchNormalization"):
        compaction.compact(keras.Sequential([keras.Input((4,)), keras.layers.Dense(3),
                                             keras.layers.BatchNormalization(), keras.layers.Dense(2)]))
    with pytest.raises(ValueError, match="atol"):
        compaction.compact(lk.models.lenet_300_100(), atol=-1)
    with pytest.raises(TypeError, match="Ticket"):
        lk.pruning.units.prune_units(lk.models.lenet_300_100(), 0.5)
    t = make_ticket()
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        lk.pruning.units.prune_units(t, 1.0)
    with pytest.raises(ValueError, match="ord"):
        lk.pruning.units.prune_units(t, 0.5, ord=3)
    with pytest.raises(ValueError, match="unknown layers"):
        lk.pruning.units.prune_units(t, {"dense_7": 0.5})
    assert t.remaining().overall == 1.0  # nothing half-done
