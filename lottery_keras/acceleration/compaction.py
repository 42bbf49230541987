"""Structured compaction: a physically smaller dense model from a pruned one.

Unstructured pruning keeps every matrix its full shape, so dense kernels do the same work.
A unit (a Dense neuron, or a Conv2D output channel) is *dead* when pruning left it

* no outgoing weights: nothing reads it, so it can be cut out exactly; or
* no incoming weights: it outputs the constant ``activation(bias)``, which can be folded
  into the next layer's bias (exact up to float rounding) and the unit cut out. Into a
  "same"-padded convolution a nonzero constant cannot be folded (the zero padding makes
  its effect position-dependent), so such a channel is kept.

:func:`compact` removes dead units until none is left and rebuilds a smaller tf_keras model
whose outputs equal the pruned model's within float tolerance. Magnitude pruning rarely
kills whole units; :func:`lottery_keras.pruning.units.prune_units` prunes whole neurons / channels by the norm of
their incoming weights (a structured criterion), so that compaction has units to remove.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from lottery_keras._keras import keras, tf
from lottery_keras.pruning import layers as layer_table
from lottery_keras.pruning.pruned_model import plain_model


def _is_weighted(layer) -> bool:
    """A layer whose units compaction can remove (Dense units, Conv2D channels)."""
    return layer_table.info(layer).units is not None


def _activation_name(layer) -> str:
    name = keras.activations.serialize(layer.activation)
    return name if isinstance(name, str) else str(name.get("class_name", name))


@dataclass
class _Link:
    """How the units of weighted layer A reach weighted layer B (through pass-through layers)."""

    kind: str  # "dense" (B Dense on A's units), "flatten" (B Dense on A's flattened maps), "conv"
    spatial: int = 1  # positions per channel for "flatten"


def _plan(model):
    """(layers, indices of weighted layers, links between consecutive weighted layers)."""
    if not isinstance(model, keras.Sequential):
        raise ValueError("compaction works on Sequential models (one chain of layers); got a "
                         f"{type(model).__name__}. Rebuild it as tf_keras.Sequential([...]).")
    layers = list(model.layers)
    weighted = [i for i, layer in enumerate(layers) if _is_weighted(layer)]
    if not weighted:
        raise ValueError(f"model {model.name!r} has no Dense or Conv2D layer to compact")
    links = []
    for a, b in pairwise(weighted):
        between = layers[a + 1:b]
        for layer in between:
            if not layer_table.info(layer).per_unit:
                raise ValueError(f"cannot compact across layer {layer.name!r} ({type(layer).__name__}): between "
                                 "Dense/Conv2D layers only Flatten, pooling and Dropout layers are supported")
        A, B = layers[a], layers[b]
        if getattr(A, "groups", 1) != 1 or getattr(B, "groups", 1) != 1:
            raise ValueError(f"grouped convolutions ({A.name!r}, {B.name!r}) are not supported")
        if any(getattr(x, "data_format", "channels_last") != "channels_last" for x in layers[a:b + 1]):
            raise ValueError("only channels_last data format is supported")
        name = _activation_name(A)
        if name not in layer_table.ELEMENTWISE:
            raise ValueError(f"layer {A.name!r} has activation {name!r}; compaction needs an elementwise "
                             "activation on hidden layers")
        if isinstance(B, keras.layers.Conv2D):
            if not isinstance(A, keras.layers.Conv2D):
                raise ValueError(f"cannot compact a Dense layer {A.name!r} feeding a Conv2D {B.name!r}")
            links.append(_Link("conv"))
        elif isinstance(A, keras.layers.Conv2D):
            flatten = [x for x in between if isinstance(x, keras.layers.Flatten)]
            if flatten:
                shape = flatten[0].input_shape
                links.append(_Link("flatten", int(np.prod(shape[1:-1]))))
            elif any(isinstance(x, (keras.layers.GlobalAveragePooling2D, keras.layers.GlobalMaxPooling2D))
                     for x in between):
                links.append(_Link("dense"))
            else:
                raise ValueError(f"Conv2D {A.name!r} reaches Dense {B.name!r} without Flatten or global pooling")
        else:
            if len(A.output_shape) != 2:
                raise ValueError(f"Dense layer {A.name!r} must have 2-D output (batch, units) to be compacted")
            links.append(_Link("dense"))
    return layers, weighted, links


def _view(kernel, link: _Link, units: int) -> np.ndarray:
    """B's kernel as (A's units, everything one unit feeds..., B's units)."""
    if link.kind == "dense":
        return kernel
    if link.kind == "flatten":
        return kernel.reshape(link.spatial, units, kernel.shape[-1]).transpose(1, 0, 2)
    return kernel.transpose(2, 0, 1, 3)


def _unview(view, link: _Link, shape) -> np.ndarray:
    if link.kind == "dense":
        return view
    if link.kind == "flatten":
        return view.transpose(1, 0, 2).reshape(-1, view.shape[-1])
    return view.transpose(1, 2, 0, 3)


def _constants(layer, bias) -> np.ndarray:
    """activation(bias): what each unit with no incoming weights outputs."""
    units = layer.kernel.shape[-1] if bias is None else bias.shape[0]
    b = np.zeros(units, np.float32) if bias is None else bias
    return np.asarray(layer.activation(tf.constant(b[None, :]))).reshape(-1)


@dataclass(frozen=True)
class DeadUnits:
    """Units of one layer with no incoming weights and with no outgoing weights (indices)."""

    no_incoming: np.ndarray
    no_outgoing: np.ndarray

    @property
    def dead(self) -> np.ndarray:
        return np.union1d(self.no_incoming, self.no_outgoing)


def dead_units(model) -> dict:
    """{hidden Dense/Conv2D layer: DeadUnits} of a pruned model (one look, no iteration)."""
    model = plain_model(model)
    layers, weighted, links = _plan(model)
    out = {}
    for a, b, link in zip(weighted[:-1], weighted[1:], links, strict=True):
        A, B = layers[a], layers[b]
        units = A.kernel.shape[-1]
        view = _view(B.kernel.numpy(), link, units)
        incoming = A.kernel.numpy().reshape(-1, units).any(0)
        outgoing = view.reshape(units, -1).any(1)
        out[A.name] = DeadUnits(np.flatnonzero(~incoming), np.flatnonzero(~outgoing))
    return out


@dataclass(frozen=True)
class Compaction:
    """The compacted model, which original units each layer kept, and unit counts."""

    model: object
    kept: dict  # {layer name: indices of the original units kept}
    units: dict  # {layer name: (units before, units after)}
    kept_constant: dict  # {layer name: units kept although constant (not foldable)}

    @property
    def remaining_units(self) -> float:
        """Share of hidden units (all but the last Dense/Conv2D layer) still there."""
        before = sum(b for b, _ in list(self.units.values())[:-1])
        after = sum(a for _, a in list(self.units.values())[:-1])
        return after / before if before else 1.0

    def __str__(self) -> str:
        parts = ", ".join(f"{name} {b}->{a}" for name, (b, a) in self.units.items())
        return f"compacted: {parts} ({self.remaining_units:.1%} of hidden units left)"


def compact(model, atol: float = 0.0) -> Compaction:
    """Remove dead units from a pruned Sequential model of Dense / Conv2D layers (with
    Flatten, pooling, Dropout between them); returns a :class:`Compaction` whose ``.model``
    is a new, smaller tf_keras model with the same outputs (within float tolerance).

    `model`: a Ticket, a model in pruning wrappers, or a plain (stripped) model. Weights
    with ``|w| <= atol`` count as pruned (default: only exact zeros). The last layer keeps
    all its units (they are the outputs); input features are never removed.
    """
    if isinstance(atol, bool) or not isinstance(atol, (int, float)) or not atol >= 0:
        raise ValueError(f"atol must be a number >= 0, got {atol!r}")
    model = plain_model(model)
    layers, weighted, links = _plan(model)
    kernels = {i: layers[i].kernel.numpy().copy() for i in weighted}
    biases = {i: (layers[i].bias.numpy().copy() if layers[i].use_bias else None) for i in weighted}
    kept = {i: np.arange(kernels[i].shape[-1]) for i in weighted}
    constant_kept = {layers[i].name: 0 for i in weighted}
    for i in weighted:
        kernels[i][np.abs(kernels[i]) <= atol] = 0.0

    changed = True
    while changed:
        changed = False
        for a, b, link in zip(weighted[:-1], weighted[1:], links, strict=True):
            A, B = layers[a], layers[b]
            units = kernels[a].shape[-1]
            view = _view(kernels[b], link, units)
            no_out = ~view.reshape(units, -1).any(1)
            no_in = ~kernels[a].reshape(-1, units).any(0)
            const = _constants(A, biases[a])
            can_fold = B.use_bias and (link.kind != "conv" or B.padding == "valid")
            foldable = no_in & ((const == 0) | can_fold)
            remove = no_out | foldable
            constant_kept[A.name] = int((no_in & ~remove).sum())
            if remove.all():  # keep one unit so the layer still exists
                remove[np.flatnonzero(no_out)[-1] if no_out.any() else units - 1] = False
            if not remove.any():
                continue
            fold = remove & ~no_out & (const != 0)
            if fold.any():
                contribution = const[fold, None] * view[fold].reshape(int(fold.sum()), -1, view.shape[-1]).sum(1)
                biases[b] = (biases[b].astype(np.float64) + contribution.sum(0)).astype(np.float32)
            keep = ~remove
            kernels[a] = kernels[a][..., keep]
            if biases[a] is not None:
                biases[a] = biases[a][keep]
            kept[a] = kept[a][keep]
            kernels[b] = _unview(view[keep], link, None)
            changed = True

    new_layers = []
    for i, layer in enumerate(layers):
        config = layer.get_config()
        if i in weighted and i != weighted[-1]:
            config[layer_table.info(layer).units] = int(kernels[i].shape[-1])
        new_layers.append(type(layer).from_config(config))
    smaller = keras.Sequential([keras.Input(shape=model.input_shape[1:]), *new_layers],
                               name=f"{model.name}_compact")
    for i, (old, new) in enumerate(zip(layers, smaller.layers, strict=True)):
        if i in weighted:
            new.set_weights([kernels[i]] + ([biases[i]] if old.use_bias else []))
        elif old.weights:
            new.set_weights(old.get_weights())
    return Compaction(
        model=smaller,
        kept={layers[i].name: kept[i] for i in weighted},
        units={layers[i].name: (int(layers[i].kernel.shape[-1]), int(kernels[i].shape[-1])) for i in weighted},
        kept_constant={n: c for n, c in constant_kept.items() if c},
    )
