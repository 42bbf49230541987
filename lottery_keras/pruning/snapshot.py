"""Snapshots of a model's weights (W0, W_k) for rewinding, restored bit for bit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lottery_keras.pruning.pruned_model import weight_layers


@dataclass(frozen=True)
class Snapshot:
    """All weights of all layers (kernels, biases, BatchNorm statistics) at one iteration."""

    iteration: int
    weights: dict  # {layer name: [np.ndarray, ...] in layer.weights order}


def take(model, iteration: int) -> Snapshot:
    """Copy every layer's weights out of `model` (the masks and TF-MOT's own counters excluded)."""
    return Snapshot(
        iteration=int(iteration),
        weights={name: [w.numpy().copy() for w in layer.weights] for name, layer in weight_layers(model).items()},
    )


def restore(model, snapshot: Snapshot) -> None:
    """Assign the snapshot's values back into `model`'s variables (exact copies)."""
    layers = weight_layers(model)
    if set(layers) != set(snapshot.weights):
        raise ValueError(f"snapshot holds layers {sorted(snapshot.weights)}, model has {sorted(layers)}")
    for name, layer in layers.items():
        for var, value in zip(layer.weights, snapshot.weights[name], strict=True):
            var.assign(value)


def as_arrays(snapshot: Snapshot) -> dict:
    """Flatten to {"layer/index": array}, e.g. to save with np.savez."""
    return {f"{name}/{i}": np.asarray(v) for name, ws in snapshot.weights.items() for i, v in enumerate(ws)}
