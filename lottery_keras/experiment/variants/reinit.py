"""``reinit``: the ticket's mask on freshly drawn weights (the LTH paper's control)."""

from __future__ import annotations

from lottery_keras.experiment.variants.base import Variant


class Reinit(Variant):
    name, tag, color, marker = "reinit", 1, "#d62728", "s"
    description = "same mask, fresh weights"
    keep_sign = False

    def prepare(self, ticket, seed: int, rewind: str) -> None:
        ticket.reinitialize(seed, keep_sign=self.keep_sign)  # trains from iteration 0

    def label(self, rewind: str) -> str:
        return "same mask, random re-init"
