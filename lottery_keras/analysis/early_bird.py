"""Early-Bird tickets: the pruning mask stops changing early in training (You et al., ICLR 2020).

After each epoch, compute the mask that magnitude pruning to a target sparsity would
give now, and its distance to the masks of the last few epochs. When the largest
distance falls below a threshold, the ticket has been "drawn". You et al. prune
channels by BatchNorm scale; this module applies the same test to unstructured masks.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from lottery_keras._keras import keras
from lottery_keras.pruning import masks as masks_lib
from lottery_keras.scoring.criteria import Magnitude


def mask_distance(a: dict, b: dict) -> float:
    """Normalised Hamming distance: the share of all prunable weights whose 0/1 differs."""
    if set(a) != set(b):
        raise ValueError(f"masks cover different layers: {sorted(a)} vs {sorted(b)}")
    total = sum(np.size(m) for m in a.values())
    if any(np.shape(a[n]) != np.shape(b[n]) for n in a):
        raise ValueError("masks differ in shape")
    return sum(int(np.count_nonzero(np.asarray(a[n]) != np.asarray(b[n]))) for n in a) / total if total else 0.0


class EarlyBird(keras.callbacks.Callback):
    """Tracks the magnitude mask a ticket would get at `sparsity` after every epoch.

    ``distances[e]`` is the largest distance between epoch e's mask and those of the
    `patience` epochs before it; ``found_epoch`` is the first (1-based) epoch where it
    is below `threshold` (None until then). With ``stop=True`` training stops there.
    """

    def __init__(self, ticket, sparsity: float, threshold: float = 0.1, patience: int = 5,
                 scope: str = "layerwise", stop: bool = False):
        super().__init__()
        self.ticket, self.scope, self.stop = ticket, scope, stop
        self.sparsity = masks_lib.check_fraction(sparsity, "sparsity")
        self.threshold, self.patience = float(threshold), int(patience)
        self.recent = deque(maxlen=self.patience)
        self.distances: list[float] = []
        self.found_epoch = None

    def mask_now(self) -> dict:
        """The mask magnitude pruning to `sparsity` would give from the current weights."""
        return masks_lib.prune(Magnitude()(self.ticket), self.ticket.masks, self.sparsity, self.scope)

    def on_epoch_end(self, epoch, logs=None):
        mask = self.mask_now()
        full = len(self.recent) == self.patience
        distance = max((mask_distance(mask, m) for m in self.recent), default=float("nan"))
        self.distances.append(distance)
        self.recent.append(mask)
        if full and self.found_epoch is None and distance < self.threshold:
            self.found_epoch = epoch + 1
            if self.stop:
                self.model.stop_training = True
