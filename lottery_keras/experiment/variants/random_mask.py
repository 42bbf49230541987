"""``random_mask``: a random mask of the same per-layer sparsity, on the rewind point's weights."""

from __future__ import annotations

from lottery_keras.experiment.variants.base import Variant


class RandomMask(Variant):
    name, tag, color, marker = "random_mask", 2, "#2ca02c", "^"
    description = "random mask, same per-layer sparsity"
    scope = "layerwise"

    def prepare(self, ticket, seed: int, rewind: str) -> None:
        ticket.randomize_masks(seed, scope=self.scope)
        ticket.rewind(rewind)

    def label(self, rewind: str) -> str:
        return "random mask, same sparsity"
