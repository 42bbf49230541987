"""A small MobileNet-style network that fits XNNPACK's sparse-inference pattern, and
pruning it with TF-MOT's ``PruneForLatencyOnXNNPack`` policy.

XNNPACK (LiteRT's CPU engine) runs a subgraph with sparse kernels ("Fast Sparse
ConvNets") only when it starts with a 3x3 stride-2 convolution with padding 1 and 3 input
channels, ends with a spatial mean (global average pooling), holds only 1x1 convolutions,
3x3 / 5x5 depthwise convolutions and elementwise ops in between, at least 2/3 of the 1x1
weights are zero, and the file stores them sparsely (``export.to_tflite(...,
format="sparse")``). Even then XNNPACK does it on ARM (and WebAssembly) only: on x86 CPUs
with AVX it disables sparse inference, because its sparse microkernels target SSE and lose
to its dense AVX kernels. :func:`sparse_inference_expected` says which case this machine is.
"""

from __future__ import annotations

import platform
from pathlib import Path

import tensorflow_model_optimization as tfmot

from lottery_keras._keras import keras
from lottery_keras.pruning.masks import check_fraction


def mobilenet_tiny(seed: int = 0, num_classes: int = 10, input_shape=(28, 28), width: int = 32):
    """MobileNet-style classifier for 28x28 grey images in the XNNPACK sparse pattern:
    grey to 3 channels, pad 1 + conv 3x3 stride 2 (3 -> width), three depthwise-3x3 +
    pointwise-1x1 blocks (one with stride 2), global average pooling, dense softmax.
    Every convolution is followed by batch normalisation and ReLU (folded into the
    convolution when converted to TFLite); without them it does not train."""
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be an int >= 1, got {width!r}")
    init = keras.initializers.GlorotNormal
    layers = keras.layers

    def bn_relu(x, name):
        x = layers.BatchNormalization(name=f"{name}_bn")(x)
        return layers.ReLU(name=f"{name}_relu")(x)

    inputs = keras.Input(shape=input_shape)
    x = inputs if len(input_shape) == 3 else layers.Reshape((*input_shape, 1), name="add_channel")(inputs)
    if x.shape[-1] == 1:
        x = layers.Concatenate(name="grey_to_rgb")([x, x, x])
    x = layers.ZeroPadding2D(1, name="pad0")(x)
    x = layers.Conv2D(width, 3, strides=2, padding="valid", name="stem", kernel_initializer=init(seed=seed))(x)
    x = bn_relu(x, "stem")
    for i, (filters, stride) in enumerate([(width * 2, 1), (width * 4, 2), (width * 4, 1)], start=1):
        if stride == 1:
            x = layers.DepthwiseConv2D(3, padding="same", name=f"dw{i}",
                                       depthwise_initializer=init(seed=seed + 10 * i))(x)
        else:
            x = layers.ZeroPadding2D(1, name=f"pad{i}")(x)
            x = layers.DepthwiseConv2D(3, strides=2, padding="valid", name=f"dw{i}",
                                       depthwise_initializer=init(seed=seed + 10 * i))(x)
        x = bn_relu(x, f"dw{i}")
        x = layers.Conv2D(filters, 1, name=f"pw{i}", kernel_initializer=init(seed=seed + 10 * i + 1))(x)
        x = bn_relu(x, f"pw{i}")
    x = layers.GlobalAveragePooling2D(keepdims=True, name="mean")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="output",
                           kernel_initializer=init(seed=seed + 99))(x)
    return keras.Model(inputs, outputs, name="mobilenet_tiny")


def prune_for_xnnpack(model, sparsity: float = 0.8, begin_step: int = 0, frequency: int = 50):
    """Wrap the 1x1 convolutions of `model` for TF-MOT pruning to `sparsity` under the
    ``PruneForLatencyOnXNNPack`` policy (which also checks the pattern and raises
    ValueError naming what breaks it). XNNPACK needs `sparsity` >= 2/3. Train with
    ``tfmot.sparsity.keras.UpdatePruningStep()``, then ``export.plain_model(...)``."""
    sparsity = check_fraction(sparsity, "sparsity")
    if sparsity < 2 / 3:
        raise ValueError(f"XNNPACK uses sparse kernels only when at least 2/3 of the 1x1 weights are zero; "
                         f"sparsity={sparsity} is too low")
    schedule = tfmot.sparsity.keras.ConstantSparsity(sparsity, begin_step=begin_step, frequency=frequency)
    policy = tfmot.sparsity.keras.PruneForLatencyOnXNNPack()
    return tfmot.sparsity.keras.prune_low_magnitude(model, pruning_schedule=schedule, pruning_policy=policy)


def _cpu_flags() -> set:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def sparse_inference_expected() -> tuple:
    """(True/False, why): would XNNPACK's sparse kernels run on this CPU?"""
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64", "i386", "i686"):
        flags = _cpu_flags()
        why = ("XNNPACK disables sparse inference on x86 with AVX (its sparse microkernels target SSE only "
               "and are slower than its dense AVX kernels)")
        if "avx" in flags:
            return False, f"{machine} CPU with AVX: {why}"
        if not flags:
            return False, f"{machine} CPU (AVX not checked; x86-64 CPUs since about 2011 have it): {why}"
        return True, f"{machine} CPU without AVX: XNNPACK's SSE sparse kernels may be used"
    if machine in ("arm64", "aarch64") or machine.startswith("arm"):
        return True, f"{machine} CPU: XNNPACK has NEON sparse kernels for this pattern"
    return False, f"{machine} CPU: no XNNPACK sparse kernels known for this architecture"
