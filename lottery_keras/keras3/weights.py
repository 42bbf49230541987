"""Weights of a Keras 3 ticket's model as numpy: snapshots (W0, W_k), fresh re-initialised
kernels, and the LTH per-layer rates. Values go through numpy, so a restore is bit-exact."""

from __future__ import annotations

import keras
import numpy as np

from lottery_keras.keras3.layers import CONV, prunable_layers, weight_layers
from lottery_keras.pruning.masks import lth_layer_rates
from lottery_keras.pruning.snapshot_data import Snapshot

_SALT = 0x5EED  # keeps re-init seeds apart from the seeds models are built with


def take(model, iteration: int) -> Snapshot:
    """Copy every layer's weights (masks excluded) out of `model`."""
    return Snapshot(int(iteration), {name: [keras.ops.convert_to_numpy(v.value).copy() for v in variables]
                                     for name, variables in weight_layers(model).items()})


def restore(model, snap: Snapshot) -> None:
    """Assign the snapshot's values back into `model`'s variables (exact copies)."""
    layers = weight_layers(model)
    if set(layers) != set(snap.weights):
        raise ValueError(f"snapshot holds layers {sorted(snap.weights)}, model has {sorted(layers)}")
    for name, variables in layers.items():
        for var, value in zip(variables, snap.weights[name], strict=True):
            var.assign(value)


def _draw(initializer, shape, seed: int) -> np.ndarray:
    config = dict(initializer.get_config())
    if "seed" in config:
        config["seed"] = seed
    return keras.ops.convert_to_numpy(type(initializer).from_config(config)(tuple(shape)))


def fresh_weights(model, seed: int) -> dict:
    """{layer name: (kernel, bias or None)} drawn anew from each prunable layer's initializers."""
    out = {}
    for i, (name, layer) in enumerate(prunable_layers(model).items()):
        layer_seed = int(np.random.SeedSequence([_SALT, int(seed), i]).generate_state(1)[0] >> 1)
        bias = getattr(layer, "bias", None)
        out[name] = (_draw(layer.kernel_initializer, layer._kernel.shape, layer_seed),
                     None if bias is None else _draw(layer.bias_initializer, bias.shape, layer_seed + 1))
    return out


def lth_rates(model, dense: float = 0.2, conv: float = 0.1, output: float | None = None) -> dict:
    """{layer name: rate}: the LTH per-layer rates (:func:`masks.lth_layer_rates`) for this model."""
    return lth_layer_rates({name: isinstance(layer, CONV) for name, layer in prunable_layers(model).items()},
                           dense, conv, output)
