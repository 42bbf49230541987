"""SynFlow: iterative synaptic flow pruning, data-free (Tanaka, Kunin, Yamins & Ganguli, NeurIPS 2020).

Take every weight and bias in absolute value, feed an all-ones input through the network
with its nonlinearities removed, and sum the output: R. A weight's score is
|w| * dR/d|w|, the "synaptic flow" through it. Pruning a little at a time and
re-scoring (100 rounds, exponential schedule) avoids layer collapse.
"""

from __future__ import annotations

import numpy as np

from lottery_keras._keras import tf
from lottery_keras.pruning import layers as layer_table
from lottery_keras.pruning import masks as masks_lib
from lottery_keras.pruning.pruned_model import prunable_layers


def _pool(op):
    return lambda layer, x, k, b: op(x, layer.pool_size, layer.strides, layer.padding.upper())


# SynFlow's linearised forward per LayerInfo.linear: (layer, x, kernels, biases) -> output
_LINEAR = {
    "identity": lambda layer, x, k, b: x,
    "dense": lambda layer, x, k, b: tf.tensordot(x, k[layer.name], 1) + b[layer.name],
    "conv": lambda layer, x, k, b: tf.nn.conv2d(x, k[layer.name], strides=layer.strides,
                                                padding=layer.padding.upper(),
                                                dilations=layer.dilation_rate) + b[layer.name],
    "flatten": lambda layer, x, k, b: tf.reshape(x, (tf.shape(x)[0], -1)),
    "reshape": lambda layer, x, k, b: tf.reshape(x, (tf.shape(x)[0], *layer.target_shape)),
    "max_pool": _pool(tf.nn.max_pool2d),
    "avg_pool": _pool(tf.nn.avg_pool2d),
}


def _linear_forward(model, kernels: dict, biases: dict, x):
    """The model with |weights| and no nonlinearities, in float64, on input x."""
    for layer in model.layers:
        inner = getattr(layer, "layer", layer)
        op = _LINEAR.get(layer_table.info(inner).linear)
        if op is None:
            raise TypeError(f"SynFlow does not know how to linearise layer {inner.name!r} ({type(inner).__name__})")
        x = op(inner, x, kernels, biases)
    return x


def synflow_scores(ticket) -> dict:
    """{layer: |w| * dR/d|w|} for the ticket's masked kernels (data-free)."""
    layers = prunable_layers(ticket.model)
    kernels = {n: tf.constant(np.abs(k), tf.float64) for n, k in ticket.kernels().items()}
    biases = {n: tf.constant(np.abs(w.layer.bias.numpy()) if w.layer.bias is not None else 0.0, tf.float64)
              for n, w in layers.items()}
    ones = tf.ones((1, *ticket.model.input_shape[1:]), tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(list(kernels.values()))
        flow = tf.reduce_sum(_linear_forward(ticket.model, kernels, biases, ones))
    grads = tape.gradient(flow, list(kernels.values()))
    return {n: (g * k).numpy() for (n, k), g in zip(kernels.items(), grads, strict=True)}


class SynFlow:
    """Scorer ``ticket -> synaptic flow scores`` (one round; see :func:`synflow_prune`)."""

    name = "synflow"

    def __call__(self, ticket) -> dict:
        return synflow_scores(ticket)


def synflow_prune(ticket, sparsity: float, iterations: int = 100) -> None:
    """Prune the ticket to `sparsity` of its current weights in `iterations` global SynFlow
    rounds, keeping (1 - sparsity) ** (k / iterations) after round k."""
    sparsity = masks_lib.check_fraction(sparsity, "sparsity")
    if iterations < 1:
        raise ValueError(f"iterations must be >= 1, got {iterations}")
    start = ticket.remaining().overall
    for k in range(1, iterations + 1):
        target = start * (1 - sparsity) ** (k / iterations)
        now = ticket.remaining().overall
        if now > target:
            ticket.prune(1 - target / now, scope="global", criterion=synflow_scores)
