"""Snapshots of a model's weights (W0, W_k) for rewinding, restored bit for bit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lottery_keras.pruning import npz
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


# --- on disk: {"layer/index": array, ..., "iteration": n} in an .npz file ------------

def to_arrays(snapshot: Snapshot, prefix: str = "") -> dict:
    """Flatten to ``{prefix + "layer/index": array, prefix + "iteration": n}``."""
    arrays = {f"{prefix}{name}/{i}": np.asarray(v) for name, ws in snapshot.weights.items() for i, v in enumerate(ws)}
    arrays[f"{prefix}iteration"] = np.asarray(snapshot.iteration, dtype=np.int64)
    return arrays


def from_arrays(arrays: dict, prefix: str = "", source="arrays") -> Snapshot:
    """The snapshot :func:`to_arrays` flattened under `prefix` (other keys are ignored)."""
    npz.missing(source, arrays, [f"{prefix}iteration"])
    indexed: dict = {}  # {layer: {index: array}}, layers in the order they were stored
    for key in arrays:
        if key.startswith(prefix) and key != f"{prefix}iteration":
            name, _, index = key[len(prefix):].rpartition("/")
            if not (name and index.isdigit()):
                raise ValueError(f"{source}: array {key!r} is not a snapshot weight (\"layer/index\")")
            indexed.setdefault(name, {})[int(index)] = arrays[key]
    weights = {name: [values[i] for i in sorted(values)] for name, values in indexed.items()}
    return Snapshot(iteration=int(arrays[f"{prefix}iteration"]), weights=weights)


def save(file, snapshot: Snapshot) -> None:
    """Write `snapshot` to `file` (a path or a binary file object) as ``.npz``."""
    npz.write(file, to_arrays(snapshot))


def load(path) -> Snapshot:
    """Read a snapshot written by :func:`save` (ValueError naming the file if it is not one)."""
    return from_arrays(npz.read(path), source=path)
