"""``lottery``: the IMP ticket, its mask on the weights of the rewind point."""

from __future__ import annotations

from lottery_keras.experiment.variants.base import Variant


class Lottery(Variant):
    name, tag, color, marker = "lottery", 0, "#1f77b4", "o"
    description = "the IMP ticket rewound to --rewind"

    def prepare(self, ticket, seed: int, rewind: str) -> None:
        ticket.rewind(rewind)

    def label(self, rewind: str) -> str:
        return f"winning ticket (IMP, rewound to {rewind})"
