"""Gradients of a ticket's loss with respect to its prunable kernels (for data-driven scorers)."""

from __future__ import annotations

from lottery_keras._keras import keras, tf
from lottery_keras.pruning.pruned_model import prunable_layers


def default_loss():
    """Cross-entropy on integer labels for models that end in a softmax (as ours do)."""
    return keras.losses.SparseCategoricalCrossentropy()


def kernel_variables(ticket) -> dict:
    """{layer name: kernel variable} of the prunable layers."""
    return {name: w.layer.kernel for name, w in prunable_layers(ticket.model).items()}


def check_batch(x, y) -> None:
    """Data-driven scorers need at least one labelled example."""
    if x is None or y is None or len(x) == 0 or len(x) != len(y):
        raise ValueError("a data-driven scorer needs a non-empty batch (x, y) of equal lengths")


def loss_gradients(ticket, x, y, loss=None) -> dict:
    """{layer name: dL/dkernel} on the batch (x, y), masks applied."""
    check_batch(x, y)
    loss = loss or default_loss()
    kernels = kernel_variables(ticket)
    with tf.GradientTape() as tape:
        value = loss(y, ticket.model(x, training=False))
    grads = tape.gradient(value, list(kernels.values()))
    return {name: g.numpy() for name, g in zip(kernels, grads, strict=True)}
