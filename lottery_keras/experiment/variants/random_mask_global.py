"""``random_mask_global``: a random mask of the same total sparsity, spread over all layers."""

from __future__ import annotations

from lottery_keras.experiment.variants.random_mask import RandomMask


class RandomMaskGlobal(RandomMask):
    name, tag, color, marker = "random_mask_global", 4, "#ff7f0e", "v"
    description = "random mask, same total sparsity scattered over all layers"
    scope = "global"

    def label(self, rewind: str) -> str:
        return "random mask, same total sparsity (global)"
