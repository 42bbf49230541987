"""Masks as plain numpy: ``{layer_name: 0/1 float32 array}``, and how to shrink them.

Pruning removes the lowest-scoring share of the weights that are still alive. Selection
uses ``np.argpartition`` (linear time, no full sort). Masks only shrink: a pruned weight
is never counted again and never comes back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from lottery_keras.pruning import npz

Masks = dict  # {layer_name: np.ndarray of 0.0/1.0}
SCOPES = ("layerwise", "global")


@dataclass(frozen=True)
class Remaining:
    """Fraction of prunable weights still alive: overall and per layer."""

    overall: float
    per_layer: dict

    def __float__(self) -> float:
        return self.overall


def check_fraction(fraction, what: str = "fraction") -> float:
    """A pruning fraction or sparsity must be a number in [0, 1)."""
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float, np.floating, np.integer)):
        raise TypeError(f"{what} must be a number in [0, 1), got {fraction!r}")
    if not 0.0 <= float(fraction) < 1.0:
        raise ValueError(f"{what} must be in [0, 1) (a share of the weights still alive), got {fraction}")
    return float(fraction)


def check_mask(name: str, mask, shape) -> np.ndarray:
    """Return `mask` as float32 after checking its shape and that it holds only 0 and 1."""
    mask = np.asarray(mask)
    if mask.shape != tuple(shape):
        raise ValueError(f"mask for layer {name!r} has shape {mask.shape}, expected {tuple(shape)}")
    if not np.isin(mask, (0, 1)).all():
        bad = mask[~np.isin(mask, (0, 1))].ravel()[:3]
        raise ValueError(f"mask for layer {name!r} must hold only 0 and 1, found e.g. {bad.tolist()}")
    return mask.astype(np.float32)


def check_scores(scores: Mapping, masks: Mapping) -> None:
    """Scores must cover exactly the masked layers, with matching shapes and no NaN."""
    if set(scores) != set(masks):
        raise ValueError(f"scores cover layers {sorted(scores)}, masks cover {sorted(masks)}")
    for name, s in scores.items():
        if np.shape(s) != np.shape(masks[name]):
            raise ValueError(f"scores for {name!r} have shape {np.shape(s)}, mask {np.shape(masks[name])}")
        if np.isnan(s).any():
            raise ValueError(f"scores for layer {name!r} contain NaN (did training diverge?)")


def _lowest(scores: np.ndarray, count: int) -> np.ndarray:
    """Indices of the `count` lowest entries of a 1-D array, in linear time."""
    if count <= 0:
        return np.empty(0, dtype=np.int64)
    if count >= scores.size:
        return np.arange(scores.size)
    return np.argpartition(scores, count - 1)[:count]


def layer_rates(fractions, masks: Mapping) -> dict:
    """{layer: checked fraction} from one number or a {layer: number} dict (missing layers: 0)."""
    if not isinstance(fractions, Mapping):
        fractions = {name: fractions for name in masks}
    unknown = set(fractions) - set(masks)
    if unknown:
        raise ValueError(f"fractions name unknown layers {sorted(unknown)}; layers are {sorted(masks)}")
    return {name: check_fraction(fractions.get(name, 0.0), f"fraction for {name!r}") for name in masks}


def lth_layer_rates(is_conv: Mapping, dense: float = 0.2, conv: float = 0.1, output: float | None = None) -> dict:
    """The LTH paper's per-layer rates from ``{layer name: is a conv layer}`` in model order:
    `conv` for conv layers, `dense` for the others, `output` (default half the dense rate)
    for the last one (Frankle & Carbin 2019). Both Keras paths' ``lth_rates`` use it."""
    dense, conv = check_fraction(dense, "dense rate"), check_fraction(conv, "conv rate")
    output = dense / 2 if output is None else check_fraction(output, "output rate")
    rates = {name: conv if flag else dense for name, flag in is_conv.items()}
    rates[list(is_conv)[-1]] = output
    return rates


def prune_layerwise(scores: Mapping, masks: Mapping, fractions) -> Masks:
    """Prune, in every layer, `fractions[layer]` of its alive weights with the lowest scores."""
    check_scores(scores, masks)
    rates = layer_rates(fractions, masks)
    new = {}
    for name, mask in masks.items():
        flat = np.asarray(mask, dtype=np.float32).ravel().copy()
        alive = np.flatnonzero(flat)
        count = round(rates[name] * alive.size)
        flat[alive[_lowest(np.asarray(scores[name]).ravel()[alive], count)]] = 0.0
        new[name] = flat.reshape(np.shape(mask))
    return new


def prune_global(scores: Mapping, masks: Mapping, fraction) -> Masks:
    """Prune `fraction` of all alive weights, pooled across layers, with the lowest scores."""
    check_scores(scores, masks)
    fraction = check_fraction(fraction)
    names = list(masks)
    alive = [np.flatnonzero(np.asarray(masks[n]).ravel()) for n in names]
    pooled = np.concatenate([np.asarray(scores[n]).ravel()[a] for n, a in zip(names, alive, strict=True)])
    count = round(fraction * pooled.size)
    chosen = np.zeros(pooled.size, dtype=bool)
    chosen[_lowest(pooled, count)] = True
    new, start = {}, 0
    for name, a in zip(names, alive, strict=True):
        flat = np.asarray(masks[name], dtype=np.float32).ravel().copy()
        flat[a[chosen[start:start + a.size]]] = 0.0
        start += a.size
        new[name] = flat.reshape(np.shape(masks[name]))
    return new


def prune(scores: Mapping, masks: Mapping, fraction, scope: str = "layerwise") -> Masks:
    """Shrink `masks` by `fraction` (a number, or per-layer numbers for "layerwise")."""
    if scope == "layerwise":
        return prune_layerwise(scores, masks, fraction)
    if scope == "global":
        if isinstance(fraction, Mapping):
            raise ValueError("scope='global' takes one fraction for all layers, not per-layer rates")
        return prune_global(scores, masks, fraction)
    raise ValueError(f"unknown scope {scope!r}; choose one of {', '.join(SCOPES)}")


def remaining(masks: Mapping) -> Remaining:
    """Share of weights still alive, overall and per layer."""
    sizes = {n: np.size(m) for n, m in masks.items()}
    alive = {n: int(np.count_nonzero(m)) for n, m in masks.items()}
    total = sum(sizes.values())
    return Remaining(
        overall=sum(alive.values()) / total if total else 1.0,
        per_layer={n: alive[n] / sizes[n] if sizes[n] else 1.0 for n in masks},
    )


# --- on disk: {layer: uint8 0/1} in an .npz file --------------------------------------

def to_arrays(masks: Mapping, prefix: str = "") -> dict:
    """``{prefix + layer: uint8 mask}`` (a quarter of float32's size, exact for 0/1)."""
    return {f"{prefix}{name}": np.asarray(m).astype(np.uint8) for name, m in masks.items()}


def from_arrays(arrays: Mapping, prefix: str = "") -> Masks:
    """The float32 masks :func:`to_arrays` stored under `prefix` (values checked to be 0/1)."""
    return {key[len(prefix):]: check_mask(key[len(prefix):], m, np.shape(m))
            for key, m in arrays.items() if key.startswith(prefix)}


def save(file, masks: Mapping) -> None:
    """Write `masks` to `file` (a path or a binary file object) as ``.npz``."""
    npz.write(file, to_arrays(masks))


def load(path) -> Masks:
    """Read masks written by :func:`save` (ValueError naming the file if it is not one)."""
    arrays = npz.read(path)
    try:
        return from_arrays(arrays)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
