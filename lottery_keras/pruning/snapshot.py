"""Snapshots of a tf_keras model's weights (W0, W_k) for rewinding, restored bit for bit.

The :class:`Snapshot` and its ``.npz`` form are TensorFlow-free (:mod:`.snapshot_data`)."""

from __future__ import annotations

import numpy as np

from lottery_keras.pruning.pruned_model import weight_layers
from lottery_keras.pruning.snapshot_data import Snapshot, from_arrays, load, save, to_arrays


def take(model, iteration: int) -> Snapshot:
    """Copy every layer's weights out of `model` (the masks and TF-MOT's own counters excluded)."""
    return Snapshot(
        iteration=int(iteration),
        weights={name: [w.numpy().copy() for w in layer.weights] for name, layer in weight_layers(model).items()},
    )


def check(model, snapshot: Snapshot) -> dict:
    """Refuse a snapshot whose layers or weight shapes differ from `model`'s; returns the layers."""
    layers = weight_layers(model)
    if set(layers) != set(snapshot.weights):
        raise ValueError(f"snapshot holds layers {sorted(snapshot.weights)}, model has {sorted(layers)}")
    for name, layer in layers.items():
        got = [np.shape(v) for v in snapshot.weights[name]]
        want = [tuple(w.shape) for w in layer.weights]
        if got != want:
            raise ValueError(f"snapshot weights of layer {name!r} have shapes {got}, the model's {want}")
    return layers


def restore(model, snapshot: Snapshot) -> None:
    """Assign the snapshot's values back into `model`'s variables (exact copies)."""
    layers = check(model, snapshot)
    for name, layer in layers.items():
        for var, value in zip(layer.weights, snapshot.weights[name], strict=True):
            var.assign(value)


__all__ = ["Snapshot", "check", "from_arrays", "load", "restore", "save", "take", "to_arrays"]
