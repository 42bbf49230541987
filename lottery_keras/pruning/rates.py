"""Per-layer pruning rates of the LTH paper (Frankle & Carbin 2019, Figure 2).

By default dense layers lose 20% of their alive weights per round, conv layers 10%
(the paper's rate for Conv-2 and Conv-4; it prunes Conv-6's conv layers at 15%: pass
``conv=0.15``) and the output layer half the dense rate (10%). The per-model values
are in :mod:`lottery_keras.experiment.paper`; ``lottery-keras run`` uses them.
"""

from __future__ import annotations

from lottery_keras._keras import keras
from lottery_keras.pruning.masks import lth_layer_rates
from lottery_keras.pruning.pruned_model import prunable_layers


def lth_rates(model, dense: float = 0.2, conv: float = 0.1, output: float | None = None) -> dict:
    """{layer name: rate} for a wrapped model; `output` defaults to half the dense rate."""
    return lth_layer_rates({name: isinstance(w.layer, keras.layers.Conv2D)
                            for name, w in prunable_layers(model).items()}, dense, conv, output)
