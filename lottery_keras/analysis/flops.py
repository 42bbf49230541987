"""Count the multiply-accumulates (MACs) of a model's Dense and convolution layers.

Dense kernels do every multiplication, zeros included; a perfect sparse kernel would do
only those with a nonzero weight. ``macs(model)`` counts the first, ``macs(model,
nonzero=True)`` the second: their ratio is the speedup unstructured sparsity promises and
compaction (:mod:`lottery_keras.acceleration.compaction`) can deliver only for whole removed units.
FLOPs are 2 x MACs. Activations, pooling and biases are not counted.
"""

from __future__ import annotations

import numpy as np

from lottery_keras.pruning import layers as layer_table
from lottery_keras.pruning.pruned_model import plain_model


def layer_macs(model, nonzero: bool = False) -> dict:
    """{layer name: MACs per example} for the layers with a MAC rule in
    :data:`lottery_keras.pruning.layers.LAYERS` (Dense, Conv2D, DepthwiseConv2D)."""
    if not isinstance(nonzero, bool):
        raise TypeError(f"nonzero must be True or False, got {nonzero!r}")
    model = plain_model(model)
    out = {}
    for layer in model.layers:
        info = layer_table.info(layer)
        if info.macs is None:
            continue
        kernel = layer_table.kernel(layer).numpy()
        weights = int(np.count_nonzero(kernel)) if nonzero else int(kernel.size)
        if info.macs == "input":  # Dense: once per position of the leading axes, 1 for (batch, features)
            positions = int(np.prod(layer.input_shape[1:-1], dtype=np.int64))
        else:  # a conv kernel (kh, kw, cin / groups, cout) is applied at every output position
            positions = int(np.prod(layer.output_shape[1:3], dtype=np.int64))
        out[layer.name] = positions * weights
    return out


def macs(model, nonzero: bool = False) -> int:
    """Total MACs per example (see :func:`layer_macs`)."""
    return sum(layer_macs(model, nonzero).values())


def flops(model, nonzero: bool = False) -> int:
    """Total FLOPs per example: 2 x MACs."""
    return 2 * macs(model, nonzero)
