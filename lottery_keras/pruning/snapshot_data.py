"""A snapshot of a model's weights (W0, W_k) as numpy, and its ``.npz`` form.

No TensorFlow and no Keras here: both Keras paths take and restore snapshots their own
way (:mod:`.snapshot` for tf_keras, :mod:`lottery_keras.keras3.weights`), and both, like
the run directory, store them in this one format.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lottery_keras.pruning import npz


@dataclass(frozen=True)
class Snapshot:
    """All weights of all layers (kernels, biases, BatchNorm statistics; no masks) at one iteration."""

    iteration: int
    weights: dict  # {layer name: [np.ndarray, ...] in the layer's weights order}


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
