"""The networks of the LTH paper, built from a seed (same seed, same initial weights).

LeNet-300-100 for MNIST and the Conv-2/4/6 networks of Frankle & Carbin (2019), here
adapted to 28x28x1 input: 3x3 convolutions ("same" padding), 2x2 max-pooling after
each pair, then dense 256-256-10. Glorot-normal kernels and zero biases throughout.
"""

from __future__ import annotations

import numpy as np

from lottery_keras._keras import keras
from lottery_keras.models import INPUT_SHAPE


def _layer_seeds(seed: int):
    """One independent initializer seed per layer, derived from the model seed."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    index = 0
    while True:
        yield int(np.random.SeedSequence([int(seed), index]).generate_state(1)[0] >> 1)
        index += 1


def _dense(units, seeds, activation="relu", name=None):
    return keras.layers.Dense(
        units, activation=activation, name=name,
        kernel_initializer=keras.initializers.GlorotNormal(seed=next(seeds)),
        bias_initializer="zeros",
    )


def _conv(filters, seeds, name):
    return keras.layers.Conv2D(
        filters, 3, padding="same", activation="relu", name=name,
        kernel_initializer=keras.initializers.GlorotNormal(seed=next(seeds)),
        bias_initializer="zeros",
    )


def lenet_300_100(seed: int = 0, num_classes: int = 10, input_shape=INPUT_SHAPE) -> keras.Model:
    """LeNet-300-100: dense 300-100-10 with ReLU, softmax output (266,200 weights on MNIST)."""
    seeds = _layer_seeds(seed)
    return keras.Sequential([
        keras.Input(shape=input_shape),
        keras.layers.Flatten(name="flatten"),
        _dense(300, seeds, name="dense_300"),
        _dense(100, seeds, name="dense_100"),
        _dense(num_classes, seeds, activation="softmax", name="output"),
    ], name="lenet_300_100")


def _conv_net(blocks, seed, num_classes, input_shape, name) -> keras.Model:
    seeds = _layer_seeds(seed)
    layers = [keras.Input(shape=input_shape)]
    if len(input_shape) == 2:
        layers.append(keras.layers.Reshape((*input_shape, 1), name="add_channel"))
    for b, filters in enumerate(blocks, start=1):
        layers += [
            _conv(filters, seeds, name=f"conv{b}a"),
            _conv(filters, seeds, name=f"conv{b}b"),
            keras.layers.MaxPooling2D(2, name=f"pool{b}"),
        ]
    layers += [
        keras.layers.Flatten(name="flatten"),
        _dense(256, seeds, name="dense_256a"),
        _dense(256, seeds, name="dense_256b"),
        _dense(num_classes, seeds, activation="softmax", name="output"),
    ]
    return keras.Sequential(layers, name=name)


def conv2(seed: int = 0, num_classes: int = 10, input_shape=INPUT_SHAPE) -> keras.Model:
    """Conv-2: conv 64-64, pool, dense 256-256-10."""
    return _conv_net([64], seed, num_classes, input_shape, "conv2")


def conv4(seed: int = 0, num_classes: int = 10, input_shape=INPUT_SHAPE) -> keras.Model:
    """Conv-4: conv 64-64, pool, 128-128, pool, dense 256-256-10."""
    return _conv_net([64, 128], seed, num_classes, input_shape, "conv4")


def conv6(seed: int = 0, num_classes: int = 10, input_shape=INPUT_SHAPE) -> keras.Model:
    """Conv-6: conv 64-64, pool, 128-128, pool, 256-256, pool, dense 256-256-10."""
    return _conv_net([64, 128, 256], seed, num_classes, input_shape, "conv6")
