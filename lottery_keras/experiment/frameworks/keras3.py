"""The Keras 3 path of an experiment: masked layers (:class:`lottery_keras.keras3.Ticket`) on
the JAX, TensorFlow or PyTorch backend. Nothing here imports TensorFlow on JAX or PyTorch.

Keras 3 reads its backend once, when it is first imported: :func:`setup` sets
``KERAS_BACKEND`` before that import, and refuses a process where Keras 3 already runs
on another backend.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys

import numpy as np

from lottery_keras.experiment.frameworks import make_optimizer
from lottery_keras.experiment.records import IterationRecorder

_XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def setup(config) -> None:
    """Select `config.backend` (ValueError if Keras 3 already runs on another) and make it deterministic."""
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = config.backend
    try:
        keras = importlib.import_module("keras")
    except ImportError:
        raise ValueError("--keras 3 needs Keras 3: pip install 'lottery-keras[jax]' (or [torch])") from None
    backend = keras.backend.backend()
    if backend != config.backend:
        raise ValueError(f"Keras 3 already runs on the {backend} backend in this process; set "
                         f"KERAS_BACKEND={config.backend} before Python imports keras, or start a new process")
    from lottery_keras.keras3 import models

    if config.model not in models.ARCHITECTURES:
        raise ValueError(f"model {config.model!r} has no Keras 3 builder; --keras 3 runs "
                         f"{', '.join(models.ARCHITECTURES)}")
    if backend == "tensorflow":
        importlib.import_module("tensorflow").config.experimental.enable_op_determinism()


def pin_threads(threads: int, backend: str) -> bool:
    """Fix `backend`'s CPU threads where it can still be done (True if they are `threads`)."""
    if backend == "jax":
        if threads == 1 and "jax" not in sys.modules:
            os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_XLA_ONE_THREAD}".strip()
        return (_XLA_ONE_THREAD in os.environ.get("XLA_FLAGS", "")) == (threads == 1)
    if backend == "torch":
        torch = importlib.import_module("torch")
        torch.set_num_threads(threads)
        return torch.get_num_threads() == threads
    from lottery_keras.experiment.engines import pin_threads as pin_tensorflow

    return pin_tensorflow(threads)


def build(config, replicate: int):
    from lottery_keras.keras3 import models

    return models.get(config.model, seed=config.model_seed(replicate))


def optimizer(config):
    import keras

    return make_optimizer(keras, config)


def __getattr__(name):  # Ticket, take, restore, IterationMetrics: only after setup() chose the backend
    if name == "Ticket":
        from lottery_keras.keras3.ticket import Ticket

        return Ticket
    if name in ("take", "restore"):
        from lottery_keras.keras3 import weights

        return getattr(weights, name)
    if name == "IterationMetrics":
        return _iteration_metrics()
    raise AttributeError(name)


@functools.cache
def _iteration_metrics():
    import keras

    class IterationMetrics(IterationRecorder, keras.callbacks.Callback):
        """A Keras 3 callback: :class:`~lottery_keras.experiment.records.IterationRecorder`'s records."""

    return IterationMetrics


class Evaluator:
    """``evaluator() -> {"<set>_loss": mean loss, "<set>_accuracy": share correct}`` of a Keras 3
    model (softmax outputs, masks in the forward pass) on fixed ``(x, y)`` sets.

    Safe inside ``fit`` on JAX: it syncs the training state into the model first (once
    per evaluation, not per step) and predicts with the model's compiled function.
    """

    def __init__(self, model, sets, batch_size: int = 2000):
        self.model = model
        self.chunks = {name: [(np.asarray(x[i:i + batch_size], np.float32), np.asarray(y[i:i + batch_size], np.int64))
                              for i in range(0, len(y), batch_size)] for name, (x, y) in sets.items()}
        self.sizes = {name: len(y) for name, (_, y) in sets.items()}

    def __call__(self) -> dict:
        getattr(self.model, "jax_state_sync", lambda: None)()
        out = {}
        for name, chunks in self.chunks.items():
            loss, correct = 0.0, 0
            for x, y in chunks:
                probs = np.asarray(self.model.predict_on_batch(x), np.float64)
                picked = np.clip(probs[np.arange(len(y)), y], 1e-7, 1 - 1e-7)  # as Keras' crossentropy clips
                loss += float(-np.log(picked).sum())
                correct += int((probs.argmax(axis=-1) == y).sum())
            n = self.sizes[name]
            out[f"{name}_loss"] = loss / n if n else float("nan")
            out[f"{name}_accuracy"] = correct / n if n else float("nan")
        return out
