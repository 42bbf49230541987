"""Metrics every N iterations on the tf_keras path (Keras 3: :mod:`.frameworks.keras3`).

:class:`Evaluator` measures loss and accuracy of a model on fixed ``(x, y)`` sets in one
compiled function (no ``model.evaluate`` per call: that would rebuild a data pipeline
and reset the training metrics each time). :class:`IterationMetrics` is a tf_keras
callback that calls it at a fixed interval in iterations and can stop training after
an exact number of iterations (:mod:`.records`: the logic, and :func:`early_stop`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from lottery_keras._keras import keras, tf
from lottery_keras.experiment.records import HISTORY_COLUMNS, IterationRecorder, early_stop
from lottery_keras.pruning import pruned_model


class Evaluator:
    """``evaluator() -> {"<set>_loss": mean loss, "<set>_accuracy": share correct}``.

    `sets` maps a name ("train", "validation", "test") to ``(x, y)`` with integer labels;
    the model must output class probabilities (softmax). Pruning masks are applied
    first, so the numbers are those of the masked network.
    """

    def __init__(self, model: keras.Model, sets: Mapping[str, tuple], batch_size: int = 2000):
        self.model = model
        self.sizes = {name: len(y) for name, (_, y) in sets.items()}
        self.chunks = {
            name: [(tf.constant(x[i:i + batch_size]), tf.constant(np.asarray(y[i:i + batch_size], np.int64)))
                   for i in range(0, len(y), batch_size)]
            for name, (x, y) in sets.items()
        }
        spec = tf.TensorSpec([None, *model.input_shape[1:]], tf.float32)
        self._sums = tf.function(self._sums_py, input_signature=[spec, tf.TensorSpec([None], tf.int64)])

    def _sums_py(self, x, y):
        probs = self.model(x, training=False)
        loss = tf.reduce_sum(keras.losses.sparse_categorical_crossentropy(y, probs))
        correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(probs, axis=-1), y), tf.int64))
        return loss, correct

    def __call__(self) -> dict:
        pruned_model.apply_masks(self.model)
        out = {}
        for name, chunks in self.chunks.items():
            loss, correct = 0.0, 0
            for x, y in chunks:
                chunk_loss, chunk_correct = self._sums(x, y)
                loss += float(chunk_loss)
                correct += int(chunk_correct)
            n = self.sizes[name]
            out[f"{name}_loss"] = loss / n if n else math.nan
            out[f"{name}_accuracy"] = correct / n if n else math.nan
        return out


class IterationMetrics(IterationRecorder, keras.callbacks.Callback):
    """A tf_keras callback: :class:`~lottery_keras.experiment.records.IterationRecorder`'s records."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._supports_tf_logs = True  # keep Keras from converting logs to numpy every batch


__all__ = ["HISTORY_COLUMNS", "Evaluator", "IterationMetrics", "early_stop"]
