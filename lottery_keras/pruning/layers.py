"""The one table of layer knowledge: which layers prune, how they count and pass values.

Every part of the library that looks at layer types reads :data:`LAYERS`: the wrapped
model (which layers get masks), SynFlow (how to run a layer with its nonlinearity
removed), FLOPs (how to count multiply-accumulates) and compaction (which layers keep
units apart). Rows are keyed by class *name* and :func:`info` walks a class's bases, so
the table answers for tf_keras and Keras 3 layer classes alike, and a subclass inherits
its base's row unless it has its own (``Conv2DTranspose`` is a ``Conv2D`` in tf_keras).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LayerInfo:
    """What the library knows about one layer type."""

    kernel: str | None = None  # attribute holding the weight kernel (masked, MAC-counted)
    prunable: bool = False  # wrapped for pruning: a mask over `kernel`
    macs: str | None = None  # kernel applied once per position of the "input" or "output" (batch, channels aside)
    linear: str | None = None  # SynFlow's op with nonlinearities removed ("identity", "dense", "conv", ...)
    units: str | None = None  # config key of the output units / channels (compaction rebuilds with fewer)
    per_unit: bool = False  # maps each unit / channel on its own: compaction can see through it


UNKNOWN = LayerInfo()

LAYERS = {
    "Dense": LayerInfo("kernel", prunable=True, macs="input", linear="dense", units="units"),
    "Conv2D": LayerInfo("kernel", prunable=True, macs="output", linear="conv", units="filters"),
    "Conv2DTranspose": LayerInfo("kernel", prunable=True),  # masked like its base; not counted nor compacted
    "DepthwiseConv2D": LayerInfo("depthwise_kernel", macs="output"),
    "Flatten": LayerInfo(linear="flatten", per_unit=True),
    "Reshape": LayerInfo(linear="reshape"),
    "MaxPooling2D": LayerInfo(linear="max_pool", per_unit=True),
    "AveragePooling2D": LayerInfo(linear="avg_pool", per_unit=True),
    "GlobalAveragePooling2D": LayerInfo(per_unit=True),
    "GlobalMaxPooling2D": LayerInfo(per_unit=True),
    # Other ranks: linearised by the Keras 3 path's SynFlow only (ops.conv / pooling of any rank).
    "Conv1D": LayerInfo(linear="conv_nd"),
    "Conv3D": LayerInfo(linear="conv_nd"),
    "MaxPooling1D": LayerInfo(linear="max_pool_nd", per_unit=True),
    "MaxPooling3D": LayerInfo(linear="max_pool_nd", per_unit=True),
    "AveragePooling1D": LayerInfo(linear="avg_pool_nd", per_unit=True),
    "AveragePooling3D": LayerInfo(linear="avg_pool_nd", per_unit=True),
    "Dropout": LayerInfo(linear="identity", per_unit=True),
    "InputLayer": LayerInfo(linear="identity"),
    "Activation": LayerInfo(linear="identity"),
    "ReLU": LayerInfo(linear="identity"),
}

# Activations that act on each value alone: a unit's output depends on that unit only,
# so compaction may drop or fold units of a layer using them.
ELEMENTWISE = frozenset({
    "linear", "relu", "relu6", "elu", "selu", "tanh", "sigmoid", "hard_sigmoid", "softplus",
    "softsign", "swish", "silu", "gelu", "exponential", "leaky_relu", "mish",
})


def info(layer) -> LayerInfo:
    """The row for a layer (instance or class): its own class's, else its nearest base's."""
    cls = layer if isinstance(layer, type) else type(layer)
    for base in cls.__mro__:
        if base.__name__ in LAYERS:
            return LAYERS[base.__name__]
    return UNKNOWN


def prunable(layer) -> bool:
    """True for the layers the library masks (Dense and Conv2D kernels)."""
    return info(layer).prunable


def kernel(layer):
    """The layer's weight kernel variable (None for layers without one in the table). The
    table uses tf_keras' attribute names; Keras 3 calls every kernel ``kernel``."""
    name = info(layer).kernel
    if name is None:
        return None
    found = getattr(layer, name, None)
    return found if found is not None else getattr(layer, "kernel", None)
