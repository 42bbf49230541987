"""``sign_reinit``: fresh magnitudes, the signs of W0 (Zhou et al. 2019, notebook 04)."""

from __future__ import annotations

from lottery_keras.experiment.variants.reinit import Reinit


class SignReinit(Reinit):
    name, tag, color, marker = "sign_reinit", 3, "#9467bd", "D"
    description = "same mask, fresh weights with the signs of W0"
    keep_sign = True

    def label(self, rewind: str) -> str:
        return "same mask, re-init keeping W0's signs"
