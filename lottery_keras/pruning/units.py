"""Structured (unit) pruning: remove whole neurons or channels by the norm of their incoming weights.

A criterion on units instead of single weights; the masks it returns zero whole kernel
columns, which :mod:`lottery_keras.acceleration.compaction` can then cut out of the model.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from lottery_keras.pruning import masks as masks_lib

NORMS = (1, 2)


def unit_norms(kernel, ord: int = 2) -> np.ndarray:
    """L1 or L2 norm of each unit's incoming weights (``kernel[..., j]``)."""
    if ord not in NORMS:
        raise ValueError(f"ord must be 1 or 2 (L1 or L2 norm), got {ord!r}")
    kernel = np.asarray(kernel)
    return np.linalg.norm(kernel.reshape(-1, kernel.shape[-1]), ord=ord, axis=0)


def unit_masks(kernels: Mapping, masks: Mapping, fraction, ord: int = 2, skip=()) -> dict:
    """Masks with whole units pruned: in every layer not in `skip`, the `fraction` of the
    units still alive whose incoming (masked) weights have the smallest norm lose all their
    incoming weights. `fraction`: a number in [0, 1) or {layer: number}. Masks only shrink."""
    if set(kernels) != set(masks):
        raise ValueError(f"kernels cover layers {sorted(kernels)}, masks cover {sorted(masks)}")
    rates = masks_lib.layer_rates(fraction, masks)
    new = {}
    for name, mask in masks.items():
        mask = np.asarray(mask, dtype=np.float32).copy()
        if name in skip or rates[name] == 0.0:
            new[name] = mask
            continue
        units = mask.shape[-1]
        cols = mask.reshape(-1, units)
        alive = np.flatnonzero(cols.any(0))
        norms = unit_norms(np.asarray(kernels[name]) * mask, ord)[alive]
        count = round(rates[name] * alive.size)
        if count:
            drop = alive[np.argsort(norms, kind="stable")[:count]]
            cols[:, drop] = 0.0
        new[name] = cols.reshape(mask.shape)
    return new


def prune_units(ticket, fraction, ord: int = 2) -> None:
    """Prune whole neurons / channels of a Ticket by the norm of their incoming weights:
    `fraction` of the alive units of every prunable layer except the last (the outputs)."""
    if not hasattr(ticket, "set_masks") or not hasattr(ticket, "kernels"):
        raise TypeError(f"prune_units takes a lottery_keras Ticket, got {type(ticket).__name__}")
    current = ticket.masks
    last = list(current)[-1]
    ticket.set_masks(unit_masks(ticket.kernels(), current, fraction, ord, skip=(last,)))
