"""Keras 3 layers that compute with ``kernel * mask``, and models rebuilt from them.

Each masked layer is its Keras 3 base class plus one non-trainable variable, ``mask``
(0/1, shaped like the kernel), created after the kernel. The layer's ``kernel`` property,
which its ``call`` reads, returns ``kernel * mask``: the mask is part of the compiled
step on every backend (no per-step callback, which on JAX would force a state sync), the
gradient of a pruned weight is exactly 0, and the mask is saved in ``.keras`` files.
"""

from __future__ import annotations

import contextlib
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
        return kernel if mask is None else ops.multiply(kernel, mask)

    def save_own_variables(self, store):
        super().save_own_variables(store)
        if self.built:
            store["mask"] = ops.convert_to_numpy(self.prune_mask.value)

    def load_own_variables(self, store):
        mask = store["mask"]
        own = {key: store[key] for key in store.keys() if key != "mask"}
        self.prune_mask.assign(mask)
        super().load_own_variables(_Store(own, extra=1))


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
