"""Keras 3 layers whose kernel is masked, and models rebuilt from them.

Each masked layer is its Keras 3 base class plus one non-trainable variable, ``mask``
(0/1, shaped like the kernel), created after the kernel. Its effective kernel is
``kernel * mask``, computed cheaply: the ticket keeps every pruned entry of the stored
kernel at exactly 0 (it zeroes them whenever masks or weights change, and at the start
and end of each fit), so on JAX and TensorFlow the forward pass reads the kernel as it
is and the backward pass multiplies its gradient by the mask (a custom gradient). A
pruned weight then gets a gradient of exactly 0 and stays 0 under any optimizer whose
update of a weight depends on that weight's own gradient and state only (SGD, Adam, ...).
This saves an elementwise pass over every kernel per step (about a tenth of a LeNet
step on JAX, bench/bench_keras3.py). On PyTorch the forward pass multiplies.
The mask is part of the compiled step (no per-step callback, which on JAX would force a
state sync) and is saved in ``.keras`` files.
"""

from __future__ import annotations

import contextlib
import functools
import sys

import keras
from keras import ops

_PACKAGE = "lottery_keras"


class _Masked:
    """Mixin for a Keras 3 layer with a ``_kernel`` variable read through a ``kernel`` property."""

    def build(self, input_shape):
        super().build(input_shape)
        self.prune_mask = self.add_weight(name="mask", shape=self._kernel.shape, initializer="ones",
                                          trainable=False)

    @property
    def kernel(self):
        kernel = super().kernel
        mask = getattr(self, "prune_mask", None)  # absent while the layer is being built
        if mask is None:
            return kernel
        gate = _masked_gradient()
        return ops.multiply(kernel, mask) if gate is None else gate(ops.convert_to_tensor(kernel),
                                                                     ops.convert_to_tensor(mask))

    def save_own_variables(self, store):
        super().save_own_variables(store)
        if self.built:
            store["mask"] = ops.convert_to_numpy(self.prune_mask.value)

    def load_own_variables(self, store):
        mask = store["mask"]
        own = {key: store[key] for key in store.keys() if key != "mask"}
        self.prune_mask.assign(mask)
        super().load_own_variables(_Store(own, extra=1))
        self._kernel.assign(ops.multiply(self._kernel, self.prune_mask))  # pruned entries exactly 0


@functools.cache
def _masked_gradient():
    """``gate(kernel, mask)``: the kernel itself forward, the gradient times the mask backward
    (None on backends without ``ops.custom_gradient``: the caller multiplies instead)."""
    if keras.backend.backend() not in ("jax", "tensorflow"):
        return None

    @ops.custom_gradient
    def gate(kernel, mask):
        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return ops.multiply(upstream, mask), ops.zeros_like(mask)

        return kernel, grad

    return gate


class _Store(dict):
    """A weights store with `extra` phantom keys, so the base class's count check sees the mask."""

    def __init__(self, items, extra):
        super().__init__(items)
        self.extra = extra

    def keys(self):
        return [*super().keys(), *(f"_extra{i}" for i in range(self.extra))]


@keras.saving.register_keras_serializable(_PACKAGE)
class MaskedDense(_Masked, keras.layers.Dense):
    """``keras.layers.Dense`` computing with ``kernel * mask``."""


@keras.saving.register_keras_serializable(_PACKAGE)
class MaskedEinsumDense(_Masked, keras.layers.EinsumDense):
    """``keras.layers.EinsumDense`` computing with ``kernel * mask``."""


@keras.saving.register_keras_serializable(_PACKAGE)
class MaskedConv1D(_Masked, keras.layers.Conv1D):
    """``keras.layers.Conv1D`` computing with ``kernel * mask``."""


@keras.saving.register_keras_serializable(_PACKAGE)
class MaskedConv2D(_Masked, keras.layers.Conv2D):
    """``keras.layers.Conv2D`` computing with ``kernel * mask``."""


@keras.saving.register_keras_serializable(_PACKAGE)
class MaskedConv3D(_Masked, keras.layers.Conv3D):
    """``keras.layers.Conv3D`` computing with ``kernel * mask``."""


MASKED = {
    keras.layers.Dense: MaskedDense, keras.layers.EinsumDense: MaskedEinsumDense,
    keras.layers.Conv1D: MaskedConv1D, keras.layers.Conv2D: MaskedConv2D, keras.layers.Conv3D: MaskedConv3D,
}
CONV = (MaskedConv1D, MaskedConv2D, MaskedConv3D)


@contextlib.contextmanager
def tensorflow_unloaded():
    """Keras 3's ``get_config`` asks ``tf.available``, which imports TensorFlow only to rule
    out a ``tf.TensorShape``. While TensorFlow is not loaded no object can be one, so while
    we clone, Keras is told it is unavailable (a JAX ticket then never loads TensorFlow)."""
    from keras.src.utils import module_utils

    lazy = module_utils.tensorflow
    if "tensorflow" in sys.modules or getattr(lazy, "_available", False) is not None:
        yield
        return
    lazy._available = False
    try:
        yield
    finally:
        lazy._available = None


def clone(model, layer_class) -> keras.Model:
    """``keras.models.clone_model`` with every layer rebuilt as ``layer_class(layer)`` from
    its config, and the weights (masks aside) copied over by layer name."""
    with tensorflow_unloaded():
        copy = keras.models.clone_model(model, clone_function=lambda layer: layer_class(layer).from_config(
            layer.get_config()))
    targets = weight_layers(copy)
    for name, variables in weight_layers(model).items():
        for var, src in zip(targets[name], variables, strict=True):
            var.assign(ops.convert_to_numpy(src.value))  # a copy: on JAX a shared buffer may be donated away
    return copy


def check_maskable(model) -> None:
    """Refuse what the ticket cannot mask: subclassed or nested models, and layers other
    than Dense/EinsumDense/Conv1D-3D that hold a kernel (the error names the layer)."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"expected a Keras 3 model, got {type(model).__name__}")
    if type(model).__name__ not in ("Sequential", "Functional"):
        raise TypeError(f"{type(model).__name__} is a subclassed Keras 3 model; a ticket rebuilds the model "
                        "with masked layers, so build it with keras.Sequential([...]) or keras.Model(inputs, outputs)")
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            raise TypeError(f"layer {layer.name!r} is a nested model; flatten it into one Sequential/functional model")
        if type(layer) in MASKED or isinstance(layer, _Masked):
            continue
        kernels = [w.path for w in layer.weights if w.name.endswith("kernel")]
        if kernels:
            raise TypeError(f"layer {layer.name!r} ({type(layer).__name__}) holds {kernels[0]!r}, a kernel the ticket "
                            f"cannot mask; prunable layers are {', '.join(c.__name__ for c in MASKED)}")


def masked_model(model) -> keras.Model:
    """A copy of `model` with every Dense/EinsumDense/Conv layer replaced by its masked
    twin (same names and weights, masks all ones). `model` itself is not changed."""
    check_maskable(model)
    if not model.built:
        raise ValueError(f"model {model.name!r} is not built; give it an Input (or call build) first")
    copy = clone(model, lambda layer: MASKED.get(type(layer), type(layer)))
    if not prunable_layers(copy):
        raise ValueError(f"model {model.name!r} has no Dense, EinsumDense or Conv layer to prune")
    return copy


def prunable_layers(model) -> dict:
    """{layer name: masked layer}, in model order."""
    return {layer.name: layer for layer in model.layers if isinstance(layer, _Masked)}


def apply_masks(model) -> None:
    """kernel <- kernel * mask in every masked layer (exact: unpruned weights are untouched)."""
    for layer in prunable_layers(model).values():
        layer._kernel.assign(ops.multiply(layer._kernel, layer.prune_mask))


def moved_while_pruned(model) -> list:
    """Names of the masked layers whose kernel is not 0 where the mask is 0."""
    return [name for name, layer in prunable_layers(model).items()
            if ops.convert_to_numpy(ops.any(ops.logical_and(ops.equal(layer.prune_mask, 0),
                                                           ops.not_equal(layer._kernel, 0))))]


def zero_optimizer_state(model) -> None:
    """Zero the compiled optimizer's per-weight state (slots shaped like a kernel: Adam's
    moments, SGD's momentum, ...) where the kernel is pruned, so a pruned weight stays 0."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not optimizer.built:
        return
    for layer in prunable_layers(model).values():
        prefix = layer._kernel.path.replace("/", "_") + "_"
        for slot in optimizer.variables:
            if slot.name.startswith(prefix) and tuple(slot.shape) == tuple(layer._kernel.shape):
                slot.assign(ops.multiply(slot, ops.cast(layer.prune_mask, slot.dtype)))


def weight_layers(model) -> dict:
    """{layer name: [weight variables, masks excluded]} for every layer with weights."""
    out = {}
    for layer in model.layers:
        own = [w for w in layer.weights if w is not getattr(layer, "prune_mask", None)]
        if own:
            out[layer.name] = own
    return out


def strip(model) -> keras.Model:
    """An independent plain Keras 3 model (base layers, no masks) with `model`'s masked weights."""
    apply_masks(model)
    plain_of = {masked: base for base, masked in MASKED.items()}
    return clone(model, lambda layer: plain_of.get(type(layer), type(layer)))
