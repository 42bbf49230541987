"""Pruning criteria: objects that score every prunable weight (low score = pruned first).

A scorer is a callable ``scorer(ticket) -> {layer_name: scores}``, the scores shaped like
the layer's kernel. Pruned weights may get any score; they are never counted again.
"""

from __future__ import annotations

import numpy as np


class Magnitude:
    """|w|: magnitude pruning (Han et al. 2015; the LTH criterion)."""

    name = "magnitude"

    def __call__(self, ticket) -> dict:
        return {name: np.abs(k) for name, k in ticket.kernels().items()}


class Random:
    """Uniform random scores from a seed: random pruning with the same per-layer counts."""

    name = "random"

    def __init__(self, seed: int = 0):
        self.seed = seed

    def __call__(self, ticket) -> dict:
        rng = np.random.default_rng(self.seed)
        return {name: rng.random(k.shape) for name, k in ticket.kernels().items()}


CRITERIA = {"magnitude": Magnitude, "random": Random}

# GraSP takes its loss on softmax(logits / T) with the reference implementation's T (both Keras paths).
GRASP_TEMPERATURE = 200.0


def get(criterion, seed: int = 0):
    """A scorer from a name ("magnitude", "random") or any callable scorer."""
    if callable(criterion):
        return criterion
    if criterion == "random":
        return Random(seed)
    if criterion in CRITERIA:
        return CRITERIA[criterion]()
    raise ValueError(f"unknown pruning criterion {criterion!r}; choose one of {', '.join(CRITERIA)} or pass a callable")
