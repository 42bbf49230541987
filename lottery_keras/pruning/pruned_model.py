"""A tf_keras model whose Dense/Conv layers sit in TF-MOT pruning wrappers with fixed masks.

TF-MOT's ``PruneLowMagnitude`` wrapper keeps ``pruning_vars = [(kernel, mask, threshold)]``
and multiplies the kernel by the mask before every training step. Driven by
:class:`FixedMask`, a schedule whose ``should_prune`` is always False, TF-MOT never
recomputes the mask: the mask is whatever we assign. Layers are addressed by the
name of the wrapped layer (``"dense_300"``, not ``"prune_low_magnitude_dense_300"``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import tensorflow_model_optimization as tfmot
from tensorflow_model_optimization.python.core.sparsity.keras import pruning_schedule, pruning_wrapper

from lottery_keras._keras import check_model, keras, tf
from lottery_keras.pruning import layers as layer_table
from lottery_keras.pruning.masks import check_mask


class FixedMask(pruning_schedule.PruningSchedule):
    """A TF-MOT schedule that never prunes, so hand-set masks survive training."""

    def __call__(self, step):
        return tf.constant(False), tf.constant(0.0, dtype=tf.float32)

    def get_config(self):
        return {"class_name": self.__class__.__name__, "config": {}}


def wrap(model: keras.Model) -> keras.Model:
    """Wrap every prunable layer of `model` (Dense, Conv2D; shared, not copied) in a fixed-mask wrapper."""
    check_model(model)

    def clone(layer):
        if layer_table.prunable(layer):
            return tfmot.sparsity.keras.prune_low_magnitude(layer, pruning_schedule=FixedMask())
        return layer

    wrapped = keras.models.clone_model(model, clone_function=clone)
    if not prunable_layers(wrapped):
        raise ValueError(f"model {model.name!r} has no Dense or Conv2D layer to prune")
    for wrapper in prunable_layers(wrapped).values():
        # TF-MOT refuses model(x, training=True) at its initial step -1 unless fit runs its
        # UpdatePruningStep callback; FixedMask never prunes at any step, so custom loops may start at 0
        wrapper.pruning_step.assign(0)
    return wrapped


def prunable_layers(model: keras.Model) -> dict:
    """{name of the wrapped layer: its PruneLowMagnitude wrapper}, in model order."""
    return {
        layer.layer.name: layer
        for layer in model.layers
        if isinstance(layer, pruning_wrapper.PruneLowMagnitude)
    }


def kernels(model: keras.Model) -> dict:
    """{layer name: kernel as numpy}, for the prunable layers."""
    return {name: w.layer.kernel.numpy() for name, w in prunable_layers(model).items()}


def get_masks(model: keras.Model) -> dict:
    """{layer name: mask as a float32 numpy copy}."""
    return {name: w.pruning_vars[0][1].numpy().copy() for name, w in prunable_layers(model).items()}


def check_masks(model: keras.Model, masks: Mapping) -> dict:
    """Validate masks for all prunable layers of `model` (names, shapes, 0/1); return float32 copies."""
    layers = prunable_layers(model)
    if set(masks) != set(layers):
        raise ValueError(f"masks must name exactly the prunable layers {list(layers)}; got {sorted(masks)}")
    return {name: check_mask(name, masks[name], layers[name].layer.kernel.shape) for name in layers}


def set_masks(model: keras.Model, masks: Mapping) -> None:
    """Assign masks (validated first, so nothing is half-changed) and zero the pruned weights."""
    checked = check_masks(model, masks)
    for name, wrapper in prunable_layers(model).items():
        wrapper.pruning_vars[0][1].assign(checked[name])
    apply_masks(model)


def apply_masks(model: keras.Model) -> None:
    """kernel <- kernel * mask in every pruning wrapper (exact: unpruned weights are untouched).

    Covers any TF-MOT-wrapped model, including wrappers TF-MOT puts around layers it
    does not prune (their ``pruning_vars`` are empty)."""
    for wrapper in prunable_layers(model).values():
        for kernel, mask, _ in wrapper.pruning_vars:
            kernel.assign(kernel * mask)


def weight_layers(model: keras.Model) -> dict:
    """{layer name: the layer holding the weights} for every layer with weights (unwrapped)."""
    out = {}
    for layer in model.layers:
        inner = layer.layer if isinstance(layer, pruning_wrapper.PruneLowMagnitude) else layer
        if inner.weights:
            out[inner.name] = inner
    return out


def check_finite(model: keras.Model) -> None:
    """Refuse weights that hold NaN or infinity (a diverged or corrupted model)."""
    for name, layer in weight_layers(model).items():
        for w in layer.weights:
            if not np.isfinite(w.numpy()).all():
                raise ValueError(f"layer {name!r} weight {w.name!r} holds NaN or infinity")


def plain_model(model) -> keras.Model:
    """A plain tf_keras model from a Ticket, a model in pruning wrappers, or a plain model,
    with zeros where pruned; refuses Keras 3 / subclassed models (TypeError) and NaN or
    infinite weights (ValueError)."""
    from lottery_keras.ticket import Ticket  # inside: ticket.py imports this module

    if isinstance(model, Ticket):
        model = model.strip()
    else:
        check_model(model)
        if prunable_layers(model):
            apply_masks(model)
            model = tfmot.sparsity.keras.strip_pruning(model)
    check_finite(model)
    return model
