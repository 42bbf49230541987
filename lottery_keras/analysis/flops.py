"""Count the multiply-accumulates (MACs) of a model's Dense and convolution layers.

Dense kernels do every multiplication, zeros included; a perfect sparse kernel would do
only those with a nonzero weight. ``macs(model)`` counts the first, ``macs(model,
nonzero=True)`` the second: their ratio is the speedup unstructured sparsity promises and
compaction (:mod:`lottery_keras.compaction`) can deliver only for whole removed units.
FLOPs are 2 x MACs. Activations, pooling and biases are not counted.
"""

from __future__ import annotations

import numpy as np


def layer_macs(model, nonzero: bool = False) -> dict:
    """{layer name: MACs per example} for Dense, Conv2D and DepthwiseConv2D layers."""
    from lottery_keras._keras import keras
    from lottery_keras.pruning.pruned_model import plain_model

    if not isinstance(nonzero, bool):
        raise TypeError(f"nonzero must be True or False, got {nonzero!r}")
    model = plain_model(model)
    out = {}
    for layer in model.layers:
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            kernel = layer.depthwise_kernel.numpy()
        elif isinstance(layer, (keras.layers.Dense, keras.layers.Conv2D)):
            kernel = layer.kernel.numpy()
        else:
            continue
        weights = int(np.count_nonzero(kernel)) if nonzero else int(kernel.size)
        if isinstance(layer, keras.layers.Dense):
            positions = int(np.prod(layer.input_shape[1:-1], dtype=np.int64))  # 1 for (batch, features)
        else:
            # a conv kernel (kh, kw, cin / groups, cout) is applied at every output position
            positions = int(np.prod(layer.output_shape[1:3], dtype=np.int64))
        out[layer.name] = positions * weights
    return out


def macs(model, nonzero: bool = False) -> int:
    """Total MACs per example (see :func:`layer_macs`)."""
    return sum(layer_macs(model, nonzero).values())


def flops(model, nonzero: bool = False) -> int:
    """Total FLOPs per example: 2 x MACs."""
    return 2 * macs(model, nonzero)
