"""The LTH networks: shapes, sizes, and seeded initialisation."""

import numpy as np
import pytest

import lottery_keras as lk


def _weights(model):
    return [w.copy() for w in model.get_weights()]


@pytest.mark.parametrize("name", lk.models.NAMES)
def test_same_seed_same_weights_other_seed_other_weights(name):
    a, b, c = (_weights(lk.models.get(name, seed=s)) for s in (0, 0, 1))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])


def test_lenet_matches_the_paper():
    m = lk.models.lenet_300_100()
    kernels = [w for w in m.weights if "kernel" in w.name]
    assert [tuple(k.shape) for k in kernels] == [(784, 300), (300, 100), (100, 10)]
    assert sum(int(np.prod(k.shape)) for k in kernels) == 266_200
    assert m.output_shape == (None, 10)
    # Glorot normal: std = sqrt(2 / (fan_in + fan_out)) (keras rescales its truncated normal to keep it)
    std = np.std(kernels[0].numpy())
    assert std == pytest.approx(np.sqrt(2 / (784 + 300)), rel=0.05)


@pytest.mark.parametrize("name,convs", [("conv2", 2), ("conv4", 4), ("conv6", 6)])
def test_conv_nets_have_the_papers_layers(name, convs):
    m = lk.models.get(name)
    assert m.input_shape == (None, 28, 28)
    assert sum(type(layer).__name__ == "Conv2D" for layer in m.layers) == convs
    dense = [layer.units for layer in m.layers if type(layer).__name__ == "Dense"]
    assert dense == [256, 256, 10]


def test_unknown_model_name():
    with pytest.raises(ValueError, match=r"unknown model 'lenet5'.*lenet_300_100"):
        lk.models.get("lenet5")
