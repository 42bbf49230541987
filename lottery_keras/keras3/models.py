"""The LTH paper's networks (:mod:`lottery_keras.models.lth`) built in Keras 3, from a seed.

Same architectures and layer names as the tf_keras builders (LeNet-300-100, Conv-2/4/6 on
28x28 input, Glorot-normal kernels, zero biases). The initial weights differ from the
tf_keras ones: the two Keras versions draw different numbers from the same seed.
"""

from __future__ import annotations

import keras
import numpy as np

from lottery_keras.models import INPUT_SHAPE

# name: (conv filters per block of two 3x3 convolutions, dense widths before the output)
ARCHITECTURES = {"lenet_300_100": ((), (300, 100)), "conv2": ((64,), (256, 256)),
                 "conv4": ((64, 128), (256, 256)), "conv6": ((64, 128, 256), (256, 256))}


def get(name: str, seed: int = 0, num_classes: int = 10, input_shape=INPUT_SHAPE) -> keras.Model:
    """Build the LTH network `name` (one of ARCHITECTURES) as a Keras 3 Sequential model."""
    if name not in ARCHITECTURES:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(ARCHITECTURES)}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    blocks, widths = ARCHITECTURES[name]
    seeds = iter(int(s >> 1) for s in np.random.SeedSequence(int(seed)).generate_state(2 * len(blocks) + 3))

    def init():
        return keras.initializers.GlorotNormal(seed=next(seeds))

    layers = [keras.Input(shape=input_shape)]
    if blocks and len(input_shape) == 2:
        layers.append(keras.layers.Reshape((*input_shape, 1), name="add_channel"))
    for b, filters in enumerate(blocks, start=1):
        layers += [keras.layers.Conv2D(filters, 3, padding="same", activation="relu", kernel_initializer=init(),
                                       name=f"conv{b}{half}") for half in "ab"]
        layers.append(keras.layers.MaxPooling2D(2, name=f"pool{b}"))
    layers.append(keras.layers.Flatten(name="flatten"))
    dense_names = ("dense_300", "dense_100") if name == "lenet_300_100" else ("dense_256a", "dense_256b")
    layers += [keras.layers.Dense(w, activation="relu", kernel_initializer=init(), name=n)
               for w, n in zip(widths, dense_names, strict=True)]
    layers.append(keras.layers.Dense(num_classes, activation="softmax", kernel_initializer=init(), name="output"))
    return keras.Sequential(layers, name=name)
