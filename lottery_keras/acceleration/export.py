"""Export a ticket or a stripped tf_keras model to TensorFlow Lite (``.tflite``), and check it.

A pruned model saved densely is as large as the unpruned one: the zeros are stored.
``format="sparse"`` asks the converter (``tf.lite.Optimize.EXPERIMENTAL_SPARSITY``) to
store sparse-enough weight tensors in a compressed (CSR-like) layout; LiteRT turns them
back into dense tensors with ``DENSIFY`` ops when the model is loaded, so the file gets
smaller but inference is not faster on CPUs without sparse kernels (see
docs/acceleration.md). :func:`verify` runs the exported file with LiteRT on real data and
compares it with Keras; :func:`fixed_width_bound` is the size of an ideal sparse encoding
that stores each nonzero as a fixed-width number, to judge how close a file comes.
"""

from __future__ import annotations

import gzip
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lottery_keras._keras import tf
from lottery_keras.acceleration import litert
from lottery_keras.pruning import layers, pruned_model
from lottery_keras.pruning.pruned_model import plain_model

FORMATS = ("dense", "sparse")
QUANTIZATIONS = ("none", "dynamic", "float16")


@dataclass(frozen=True)
class Exported:
    """A converted model: the ``.tflite`` bytes and how they were made."""

    content: bytes = field(repr=False)
    format: str
    quantize: str

    @property
    def raw_bytes(self) -> int:
        return len(self.content)

    @property
    def gzip_bytes(self) -> int:
        return gzip_size(self.content)

    def save(self, path) -> Path:
        """Write the flatbuffer to `path` (parent folders created) and return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.content)
        return path

    def operators(self) -> list:
        """The operator names LiteRT runs, in order (``DENSIFY`` marks sparse weights expanded at load)."""
        litert.require()
        from ai_edge_litert.interpreter import Interpreter, OpResolverType  # optional dependency

        interpreter = Interpreter(model_content=self.content,
                                  experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        return [op["op_name"] for op in interpreter._get_ops_details()]

    def sparse_tensors(self) -> list:
        """Names of the tensors stored in a sparse layout (empty for a dense file)."""
        litert.require()
        from ai_edge_litert.interpreter import Interpreter  # optional dependency

        details = Interpreter(model_content=self.content).get_tensor_details()
        return [d["name"] for d in details if d.get("sparsity_parameters")]


def gzip_size(content: bytes, level: int = 9) -> int:
    """Bytes after gzip (what a download or a compressed app bundle would cost)."""
    return len(gzip.compress(bytes(content), compresslevel=level, mtime=0))


def to_tflite(model, format: str = "dense", quantize: str = "none") -> Exported:
    """Convert a Ticket or tf_keras model to ``.tflite``.

    `format`: "dense" or "sparse" (weights stored sparsely where the converter finds
    them sparse enough). `quantize`: "none" (float32), "dynamic" (int8 weights, float
    activations; post-training dynamic-range quantisation) or "float16" (float16 weights).
    """
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    if quantize is None:
        quantize = "none"
    if quantize not in QUANTIZATIONS:
        raise ValueError(f"unknown quantize {quantize!r}; choose one of {', '.join(QUANTIZATIONS)}")
    model = plain_model(model)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    optimizations = []
    if quantize != "none":
        optimizations.append(tf.lite.Optimize.DEFAULT)
    if quantize == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if format == "sparse":
        optimizations.append(tf.lite.Optimize.EXPERIMENTAL_SPARSITY)
    converter.optimizations = optimizations
    return Exported(bytes(converter.convert()), format, quantize)


def _log2_binomial(n: int, k: int) -> float:
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)) / math.log(2)


def fixed_width_bound(model, value_bits: int = 32) -> float:
    """Bytes of an ideal sparse encoding of `model`'s weights that stores every nonzero
    kernel value as a fixed-width `value_bits` number: the values, plus where the nonzeros
    are (log2 C(size, nonzeros) bits per kernel, the least any encoding of the positions
    needs), plus every other weight (biases...) dense. It is not a lower bound for
    compressors that also compress the values (gzip shrinks float32 bytes a little), and a
    ``.tflite`` file adds a little graph."""
    if isinstance(value_bits, bool) or not isinstance(value_bits, int) or value_bits < 1:
        raise ValueError(f"value_bits must be an int >= 1, got {value_bits!r}")
    model = plain_model(model)
    bits = 0.0
    for layer in pruned_model.weight_layers(model).values():
        kernel = layers.kernel(layer) if layers.prunable(layer) else None
        for w in layer.weights:
            values = w.numpy()
            if kernel is not None and w is kernel:
                nonzero = int(np.count_nonzero(values))
                bits += nonzero * value_bits + _log2_binomial(values.size, nonzero)
            else:
                bits += values.size * value_bits
    return bits / 8


information_limit = fixed_width_bound  # the earlier name, kept: it is not a limit for gzip


@dataclass(frozen=True)
class Verification:
    """How a .tflite file's outputs compare with the Keras model's on `n` examples."""

    n: int
    max_abs_diff: float
    keras_accuracy: float | None
    tflite_accuracy: float | None
    agreement: float  # share of examples where both predict the same class

    def __str__(self) -> str:
        acc = ""
        if self.keras_accuracy is not None:
            acc = f", accuracy Keras {self.keras_accuracy:.4f} / TFLite {self.tflite_accuracy:.4f}"
        return f"max |diff| {self.max_abs_diff:.2e} on {self.n} examples, same class {self.agreement:.2%}{acc}"


def verify(exported, model, x, y=None, batch_size: int = 500, api: str = "interpreter",
           kernels: str = "xnnpack") -> Verification:
    """Run `exported` (Exported, bytes or path) with LiteRT and `model` with Keras on `x`;
    report the largest absolute output difference, class agreement and, given labels `y`,
    both accuracies. `api` and `kernels` as in :func:`lottery_keras.acceleration.litert.load`."""
    x = np.asarray(x, dtype=np.float32)
    if len(x) == 0:
        raise ValueError("verify needs at least one example")
    if y is not None and len(y) != len(x):
        raise ValueError(f"x has {len(x)} examples but y has {len(y)} labels")
    model = plain_model(model)
    expected = model.predict(x, batch_size=batch_size, verbose=0)
    got = litert.predict(exported, x, batch_size=batch_size, api=api, kernels=kernels)
    if got.shape != expected.shape:
        raise ValueError(f"TFLite output shape {got.shape} differs from Keras {expected.shape}")
    keras_class, tflite_class = expected.argmax(-1), got.argmax(-1)
    keras_acc = tflite_acc = None
    if y is not None:
        y = np.asarray(y).reshape(-1)
        keras_acc, tflite_acc = float((keras_class == y).mean()), float((tflite_class == y).mean())
    return Verification(len(x), float(np.abs(got - expected).max()), keras_acc, tflite_acc,
                        float((keras_class == tflite_class).mean()))
