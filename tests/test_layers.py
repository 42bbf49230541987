"""The table of layer knowledge: lookups by class name, for tf_keras and Keras 3 classes alike."""

import keras as keras3
import pytest

from lottery_keras import keras
from lottery_keras.pruning import layers


@pytest.mark.parametrize("module", [keras.layers, keras3.layers], ids=["tf_keras", "keras3"])
def test_the_same_rows_answer_for_tf_keras_and_keras3_classes(module):
    dense, conv, depthwise = layers.info(module.Dense), layers.info(module.Conv2D), layers.info(module.DepthwiseConv2D)
    assert (dense.prunable, dense.kernel, dense.macs, dense.units) == (True, "kernel", "input", "units")
    assert (conv.prunable, conv.kernel, conv.macs, conv.units) == (True, "kernel", "output", "filters")
    assert (depthwise.prunable, depthwise.kernel, depthwise.macs) == (False, "depthwise_kernel", "output")
    assert layers.info(module.Dropout).per_unit and layers.info(module.Dropout).linear == "identity"
    assert layers.info(module.BatchNormalization) is layers.UNKNOWN


def test_subclasses_inherit_their_base_row_unless_they_have_their_own():
    assert layers.info(keras.layers.SpatialDropout2D) is layers.LAYERS["Dropout"]
    transpose = layers.info(keras.layers.Conv2DTranspose)  # a Conv2D subclass in tf_keras
    assert transpose.prunable and transpose.macs is None and transpose.units is None and transpose.linear is None

    class MyDense(keras.layers.Dense):
        pass

    layer = MyDense(3)
    layer.build((None, 4))
    assert layers.prunable(layer) and layers.kernel(layer) is layer.kernel
    assert layers.kernel(keras.layers.Flatten()) is None


def test_kernel_finds_a_depthwise_kernel_under_either_framework_name():
    old, new = keras.layers.DepthwiseConv2D(3), keras3.layers.DepthwiseConv2D(3)
    old.build((None, 8, 8, 2))
    new.build((None, 8, 8, 2))
    assert layers.kernel(old) is old.depthwise_kernel and layers.kernel(new) is new.kernel
