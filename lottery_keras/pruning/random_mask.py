"""Random masks with the same sparsity as given masks: the LTH random-mask ablation."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from lottery_keras.pruning.masks import Masks


def random_masks_like(masks: Mapping, seed: int, scope: str = "layerwise") -> Masks:
    """Masks with the same number of ones as `masks`, at random positions.

    "layerwise" keeps every layer's count; "global" keeps only the total count and
    scatters it uniformly over all layers.
    """
    rng = np.random.default_rng(seed)
    if scope == "layerwise":
        out = {}
        for name, mask in masks.items():
            flat = np.zeros(np.size(mask), dtype=np.float32)
            flat[rng.permutation(flat.size)[: int(np.count_nonzero(mask))]] = 1.0
            out[name] = flat.reshape(np.shape(mask))
        return out
    if scope == "global":
        sizes = [np.size(m) for m in masks.values()]
        flat = np.zeros(sum(sizes), dtype=np.float32)
        flat[rng.permutation(flat.size)[: sum(int(np.count_nonzero(m)) for m in masks.values())]] = 1.0
        parts = np.split(flat, np.cumsum(sizes)[:-1])
        return {n: p.reshape(np.shape(m)) for (n, m), p in zip(masks.items(), parts, strict=True)}
    raise ValueError(f"unknown scope {scope!r}; choose 'layerwise' or 'global'")
