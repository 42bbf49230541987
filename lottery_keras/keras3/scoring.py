"""SNIP, GraSP and SynFlow for Keras 3 tickets: the scores of :mod:`lottery_keras.scoring`
(same definitions, same hand checks), with the gradients taken by the model's backend.

The loss is computed with ``model.stateless_call`` on the kernels given as arguments, so one
function serves JAX (``jax.grad``), TensorFlow (``GradientTape``) and PyTorch (autograd).
Scorers take a Keras 3 ticket and return ``{layer: scores}`` shaped like the kernels.
"""

from __future__ import annotations

import contextlib

import keras
import numpy as np
from keras import ops

from lottery_keras.keras3.layers import prunable_layers
from lottery_keras.pruning import layers as layer_table
from lottery_keras.pruning import masks as masks_lib
from lottery_keras.scoring.criteria import GRASP_TEMPERATURE


def _autodiff(fn, args: list, hessian_gradient: bool = False) -> list:
    """d fn / d args as numpy; with `hessian_gradient`, H g instead (the gradient of g . stop(g))."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        grad = jax.grad(fn)
        if hessian_gradient:
            grad = jax.grad(lambda a: sum(ops.sum(g * jax.lax.stop_gradient(g)) for g in jax.grad(fn)(a)))
        return [np.asarray(g) for g in grad(list(args))]
    if backend == "tensorflow":
        import tensorflow as tf

        args = [tf.constant(a) for a in args]
        with tf.GradientTape() as outer:
            outer.watch(args)
            with tf.GradientTape() as inner:
                inner.watch(args)
                value = fn(args)
            grads = inner.gradient(value, args)
            dot = tf.add_n([tf.reduce_sum(g * tf.stop_gradient(g)) for g in grads])
        return [g.numpy() for g in (outer.gradient(dot, args) if hessian_gradient else grads)]
    if backend == "torch":
        import torch

        args = [torch.tensor(a, requires_grad=True) for a in args]
        grads = torch.autograd.grad(fn(args), args, create_graph=hessian_gradient)
        if hessian_gradient:
            grads = torch.autograd.grad(sum((g * g.detach()).sum() for g in grads), args)
        return [g.detach().cpu().numpy() for g in grads]
    raise NotImplementedError(f"gradient scorers do not support the {backend!r} backend")


def _check_batch(x, y) -> None:
    if x is None or y is None or len(x) == 0 or len(x) != len(y):
        raise ValueError("a data-driven scorer needs a non-empty batch (x, y) of equal lengths")


def _loss_of_kernels(ticket, x, y, loss, temperature: float = 1.0):
    """(names, kernels as numpy, f(kernels) -> loss of the ticket's model on (x, y))."""
    _check_batch(x, y)
    model, loss = ticket.model, loss or keras.losses.SparseCategoricalCrossentropy()
    layers = prunable_layers(model)
    index = {id(v): i for i, v in enumerate(model.trainable_variables)}
    slots = [index[id(layer._kernel)] for layer in layers.values()]
    trainable = [v.value for v in model.trainable_variables]
    frozen = [v.value for v in model.non_trainable_variables]
    x = np.asarray(x, dtype=np.float32)

    def fn(kernels):
        values = list(trainable)
        for slot, kernel in zip(slots, kernels, strict=True):
            values[slot] = kernel
        out = model.stateless_call(values, frozen, x, training=False)[0]
        if temperature != 1:  # softmax(logits / T) from softmax outputs (log p = logits - const)
            out = ops.softmax(ops.log(ops.maximum(out, 1e-30)) / temperature, axis=-1)
        return loss(y, out)

    return list(layers), [ops.convert_to_numpy(layer._kernel.value) for layer in layers.values()], fn


def loss_gradients(ticket, x, y, loss=None) -> dict:
    """{layer name: dL/dkernel} on the batch (x, y), masks applied (0 where pruned)."""
    names, kernels, fn = _loss_of_kernels(ticket, x, y, loss)
    return dict(zip(names, _autodiff(fn, kernels), strict=True))


def hessian_gradient_product(ticket, x, y, loss=None, temperature: float = 1.0) -> dict:
    """{layer name: H g}: the loss's Hessian times its gradient, by double backprop, with the
    model's softmax outputs softened by `temperature`."""
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}")
    names, kernels, fn = _loss_of_kernels(ticket, x, y, loss, temperature)
    return dict(zip(names, _autodiff(fn, kernels, hessian_gradient=True), strict=True))


class Snip:
    """|dL/dw * w| on the batch (x, y) (Lee et al. 2019); low scores are pruned first."""

    name = "snip"

    def __init__(self, x, y, loss=None):
        self.x, self.y, self.loss = x, y, loss

    def _per_weight(self, ticket) -> dict:
        return loss_gradients(ticket, self.x, self.y, self.loss)

    def __call__(self, ticket) -> dict:
        factor = self._per_weight(ticket)
        return {name: self._combine(k, factor[name]) for name, k in ticket.kernels().items()}

    @staticmethod
    def _combine(kernel, gradient):
        return np.abs(gradient * kernel)


class GraSP(Snip):
    """w * (H g) on the batch (x, y) (Wang et al. 2020; the negated GraSP score, low goes first),
    the loss taken on softmax(logits / T), T = 200 as published (1 = the plain equations)."""

    name = "grasp"

    def __init__(self, x, y, loss=None, temperature: float = GRASP_TEMPERATURE):
        super().__init__(x, y, loss)
        self.temperature = temperature

    def _per_weight(self, ticket) -> dict:
        return hessian_gradient_product(ticket, self.x, self.y, self.loss, self.temperature)

    @staticmethod
    def _combine(kernel, hg):
        return kernel * hg


def _conv(layer, x, w):
    return ops.conv(x, w[0], strides=layer.strides, padding=layer.padding, dilation_rate=layer.dilation_rate) + w[1]


def _pool(op):
    return lambda layer, x, w: op(x, layer.pool_size, layer.strides, layer.padding)


def _reshape(layer, x, w):
    return ops.reshape(x, (ops.shape(x)[0], *getattr(layer, "target_shape", (-1,))))


# SynFlow's linearised forward per the layer table's `linear` (pruning/layers.py): (layer, x, (w, b)) -> output
_LINEAR = {
    "identity": lambda layer, x, w: x,
    "dense": lambda layer, x, w: ops.matmul(x, w[0]) + w[1],
    "conv": _conv, "conv_nd": _conv,
    "flatten": _reshape, "reshape": _reshape,
    "max_pool": _pool(ops.max_pool), "max_pool_nd": _pool(ops.max_pool),
    "avg_pool": _pool(ops.average_pool), "avg_pool_nd": _pool(ops.average_pool),
}


def _linear_forward(model, weights: dict, x):
    """The model with |weights| and no nonlinearities on input x (channels-last layers only)."""
    for layer in model.layers:
        if getattr(layer, "data_format", "channels_last") != "channels_last":
            raise TypeError(f"SynFlow handles channels_last layers only; {layer.name!r} is channels_first")
        linear = layer_table.info(layer).linear
        op = _LINEAR.get(linear)
        if op is None or (linear in ("dense", "conv", "conv_nd") and layer.name not in weights):
            raise TypeError(f"SynFlow does not know how to linearise layer {layer.name!r} ({type(layer).__name__})")
        x = op(layer, x, weights.get(layer.name))
    return x


@contextlib.contextmanager
def _float64():
    if keras.backend.backend() == "jax":
        import jax

        with jax.enable_x64(True):
            yield
    else:
        yield


def synflow_scores(ticket) -> dict:
    """{layer: |w| * dR/d|w|}, R the summed output of the linearised |weights| network on ones."""
    layers = prunable_layers(ticket.model)
    kernels = {n: np.abs(k).astype(np.float64) for n, k in ticket.kernels().items()}
    biases = {n: np.abs(ops.convert_to_numpy(layer.bias.value)).astype(np.float64)
              if getattr(layer, "bias", None) is not None else np.float64(0.0) for n, layer in layers.items()}
    ones = np.ones((1, *ticket.model.input_shape[1:]), np.float64)
    with _float64():
        def flow(ks):
            weights = {n: (k, ops.convert_to_tensor(biases[n])) for n, k in zip(kernels, ks, strict=True)}
            return ops.sum(_linear_forward(ticket.model, weights, ops.convert_to_tensor(ones)))

        grads = _autodiff(flow, list(kernels.values()))
    return {n: g * k for (n, k), g in zip(kernels.items(), grads, strict=True)}


class SynFlow:
    """Scorer ``ticket -> synaptic flow scores`` (one round; see :func:`synflow_prune`)."""

    name = "synflow"

    def __call__(self, ticket) -> dict:
        return synflow_scores(ticket)


def synflow_prune(ticket, sparsity: float, iterations: int = 100) -> None:
    """Prune to `sparsity` in `iterations` global SynFlow rounds, keeping (1 - sparsity) ** (k / iterations)."""
    sparsity = masks_lib.check_fraction(sparsity, "sparsity")
    if iterations < 1:
        raise ValueError(f"iterations must be >= 1, got {iterations}")
    targets = ticket.remaining().overall * (1 - sparsity) ** (np.arange(1, iterations + 1) / iterations)
    for target in targets:
        alive = ticket.remaining().overall
        if alive > target:
            ticket.prune(1 - target / alive, scope="global", criterion=synflow_scores)
