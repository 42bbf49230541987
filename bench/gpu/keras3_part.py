"""Training speed of a Keras 3 ticket against the plain model on one backend (no TensorFlow).

LeNet-300-100 and Conv-2 (the layers of lottery_keras.models, written in Keras 3 here since
that module is tf_keras), trained on real mnist-mini images at batch 60 and 1024: ms per
step of ``fit`` (one epoch of a fixed number of full batches, after a warm-up fit that
compiles; plain and ticket interleaved, median of 3). The ticket is ``lk.Ticket(model)`` for
a Keras 3 model with 80% of its weights pruned when lottery_keras provides that; if it does
not (ImportError/TypeError), a model of masked layers (``kernel * mask``, mask a
non-trainable weight), and the JSON says which was used.

Run:  python bench/gpu/keras3_part.py OUT.json jax|torch
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np

BATCHES = {60: 60, 1024: 20}  # batch size: steps timed
REPEATS = 3
SPARSITY = 0.8


def _layers(keras, masked: bool):
    class MaskedDense(keras.layers.Dense):
        def build(self, input_shape):
            super().build(input_shape)
            self.mask = self.add_weight(shape=self.kernel.shape, initializer="ones", trainable=False, name="mask")

        def call(self, inputs):
            y = keras.ops.matmul(inputs, self.kernel * self.mask)
            return self.activation(y + self.bias if self.use_bias else y)

    class MaskedConv2D(keras.layers.Conv2D):
        def build(self, input_shape):
            super().build(input_shape)
            self.mask = self.add_weight(shape=self.kernel.shape, initializer="ones", trainable=False, name="mask")

        def call(self, inputs):
            y = keras.ops.conv(inputs, self.kernel * self.mask, strides=self.strides, padding=self.padding,
                               dilation_rate=self.dilation_rate, data_format=self.data_format)
            return self.activation(y + self.bias if self.use_bias else y)

    if masked:
        return MaskedDense, MaskedConv2D
    return keras.layers.Dense, keras.layers.Conv2D


def build(keras, name: str, masked: bool = False):
    """LeNet-300-100 or Conv-2 for 28x28 images, as in lottery_keras.models.lth."""
    dense, conv = _layers(keras, masked)
    keras.utils.set_random_seed(0)
    head = [dense(256, activation="relu"), dense(256, activation="relu")] if name == "conv2" else []
    body = ([keras.layers.Reshape((28, 28, 1)), conv(64, 3, padding="same", activation="relu"),
             conv(64, 3, padding="same", activation="relu"), keras.layers.MaxPooling2D(2)] if name == "conv2" else [])
    lenet = [dense(300, activation="relu"), dense(100, activation="relu")] if name == "lenet_300_100" else []
    return keras.Sequential([keras.Input((28, 28)), *body, keras.layers.Flatten(), *lenet, *head,
                             dense(10, activation="softmax")], name=name)


def _compile(keras, model):
    model.compile(optimizer=keras.optimizers.Adam(1.2e-3), loss="sparse_categorical_crossentropy")
    return model


def ticket(keras, name: str):
    """(trainable, how): the library's Keras 3 ticket, else the masked-layer model."""
    try:
        import lottery_keras as lk

        t = lk.Ticket(build(keras, name))
        t.compile(optimizer=keras.optimizers.Adam(1.2e-3), loss="sparse_categorical_crossentropy")
        t.prune(SPARSITY)
        return t, f"lottery_keras.Ticket ({type(t).__module__}), {SPARSITY:.0%} pruned"
    except (ImportError, TypeError, AttributeError) as exc:  # no Keras 3 ticket in this lottery_keras
        reason = f"{type(exc).__name__}: {str(exc)[:200]}"
    model = _compile(keras, build(keras, name, masked=True))
    for layer in model.layers:
        if hasattr(layer, "mask") and hasattr(layer, "kernel"):
            w = np.abs(keras.ops.convert_to_numpy(layer.kernel))
            layer.mask.assign((w > np.quantile(w, SPARSITY)).astype("float32"))
    return model, f"masked layers (kernel * mask), {SPARSITY:.0%} pruned; lk.Ticket unavailable: {reason}"


def _fit_seconds(model, x, y, batch: int) -> float:
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
    return time.perf_counter() - start


def time_pair(models: dict, x, y, batch: int, steps: int) -> dict:
    """{name: ms per step}: warm-up fit of 2 steps, then REPEATS interleaved fits of `steps` steps."""
    n = batch * steps
    reps = -(-n // len(x))
    xs, ys = np.concatenate([x] * reps)[:n], np.concatenate([y] * reps)[:n]
    for m in models.values():
        m.fit(xs[:2 * batch], ys[:2 * batch], batch_size=batch, epochs=1, verbose=0, shuffle=False)
    times = {name: [] for name in models}
    for _ in range(REPEATS):
        for name, m in models.items():
            times[name].append(_fit_seconds(m, xs, ys, batch))
    return {name: 1000 * float(np.median(t)) / steps for name, t in times.items()}


def _device(keras, model) -> str:
    value = model.weights[0].value
    devices = getattr(value, "devices", None)
    return str(sorted(str(d) for d in devices()) if callable(devices) else getattr(value, "device", "?"))


def run(backend: str) -> dict:
    os.environ["KERAS_BACKEND"] = backend
    import keras

    import lottery_keras as lk

    data = lk.data.load("mnist-mini")
    x, y = data.train
    out = {"backend": keras.backend.backend(), "keras": keras.__version__, "sparsity": SPARSITY,
           "dataset": "mnist-mini train (repeated to fill the steps)", "repeats": REPEATS, "models": {}}
    for name in ("lenet_300_100", "conv2"):
        row = {}
        for batch, steps in BATCHES.items():
            plain = _compile(keras, build(keras, name))
            t, how = ticket(keras, name)
            try:
                ms = time_pair({"plain": plain, "ticket": t}, x, y, batch, steps)
                row[str(batch)] = {"steps": steps, "plain_ms": ms["plain"], "ticket_ms": ms["ticket"],
                                   "ticket_over_plain": ms["ticket"] / ms["plain"]}
            except Exception as exc:  # e.g. a backend that cannot train this model here: say why
                row[str(batch)] = {"error": f"{type(exc).__name__}: {str(exc)[:400]}"}
            row["ticket"] = how
            row["jit_compile"] = str(getattr(plain, "jit_compile", None))
            row["device"] = _device(keras, plain)
            print(f"  {name} batch {batch}: {row[str(batch)]}", flush=True)
        out["models"][name] = row
    out["target_ratio"] = 1.05
    out["tensorflow_imported"] = "tensorflow" in sys.modules
    return out


if __name__ == "__main__":
    result = run(sys.argv[2])
    with open(sys.argv[1], "w") as f:
        json.dump(result, f, indent=1, default=str)
