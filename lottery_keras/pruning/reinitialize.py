"""Fresh weights from a model's own initializers with a new seed: the LTH re-init control."""

from __future__ import annotations

import numpy as np

from lottery_keras.pruning.pruned_model import prunable_layers

_SALT = 0x5EED  # keeps re-init seeds apart from the seeds models are built with


def _fresh(initializer, shape, seed: int):
    config = dict(initializer.get_config())
    if "seed" in config:
        config["seed"] = seed
    return type(initializer).from_config(config)(shape).numpy()


def fresh_weights(model, seed: int) -> dict:
    """{layer name: (kernel, bias or None)} drawn anew from each prunable layer's initializers."""
    out = {}
    for i, (name, wrapper) in enumerate(prunable_layers(model).items()):
        layer = wrapper.layer
        layer_seed = int(np.random.SeedSequence([_SALT, int(seed), i]).generate_state(1)[0] >> 1)
        kernel = _fresh(layer.kernel_initializer, layer.kernel.shape, layer_seed)
        bias = None
        if getattr(layer, "bias", None) is not None:
            bias = _fresh(layer.bias_initializer, layer.bias.shape, layer_seed + 1)
        out[name] = (kernel, bias)
    return out
