"""SNIP: single-shot connection sensitivity (Lee, Ajanthan & Torr, ICLR 2019).

Score of a weight: |dL/dw * w| on a batch of data at initialisation, the first-order
change in loss from removing it. Low scores are pruned first.
"""

from __future__ import annotations

import numpy as np

from lottery_keras.scoring.gradients import loss_gradients


class Snip:
    """Scorer ``ticket -> {layer: |g * w|}`` on the batch (x, y)."""

    name = "snip"

    def __init__(self, x, y, loss=None):
        self.x, self.y, self.loss = x, y, loss

    def __call__(self, ticket) -> dict:
        grads = loss_gradients(ticket, self.x, self.y, self.loss)
        return {name: np.abs(grads[name] * k) for name, k in ticket.kernels().items()}
