"""Metrics every N iterations, and the early-stopping iteration of the LTH paper.

:class:`Evaluator` measures loss and accuracy of a model on fixed ``(x, y)`` sets in one
compiled function (no ``model.evaluate`` per call: that would rebuild a data pipeline
and reset the training metrics each time). :class:`IterationMetrics` is a Keras
callback that calls it at a fixed interval in iterations and can stop training after
an exact number of iterations. :func:`early_stop` picks the record with the lowest
validation loss: Frankle & Carbin (2019) call its iteration the early-stopping
iteration and report the test accuracy there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from lottery_keras._keras import keras, tf
from lottery_keras.pruning import pruned_model

HISTORY_COLUMNS = ("iteration", "train_loss", "train_accuracy", "validation_loss", "validation_accuracy",
                   "test_loss", "test_accuracy")


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


class IterationMetrics(keras.callbacks.Callback):
    """Records ``evaluate()`` at the start, every `every` iterations, and at the end.

    Iterations are counted from `start` (the iteration the weights were rewound to).
    With `stop_at`, training stops after exactly that iteration (mid-epoch if need be).
    `on_record(iteration, record)` is called after each record (e.g. a progress bar).
    """

    def __init__(self, evaluate: Callable[[], dict], every: int, start: int = 0, stop_at: int | None = None,
                 on_record: Callable | None = None):
        super().__init__()
        self._supports_tf_logs = True  # keep Keras from converting logs to numpy every batch
        self.evaluate = evaluate
        self.every = int(every)
        self.start = int(start)
        self.stop_at = stop_at
        self.on_record = on_record
        self.iteration = self.start
        self.records: list[dict] = []

    def _record(self):
        if self.records and self.records[-1]["iteration"] == self.iteration:
            return
        record = {"iteration": self.iteration, **self.evaluate()}
        self.records.append(record)
        if self.on_record is not None:
            self.on_record(self.iteration, record)

    def on_train_begin(self, logs=None):
        self.iteration = self.start
        self.records = []
        self._record()

    def on_train_batch_end(self, batch, logs=None):
        self.iteration += 1
        last = self.stop_at is not None and self.iteration >= self.stop_at
        if last or self.iteration % self.every == 0:
            self._record()
        if last:
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self._record()


def early_stop(records: Sequence[Mapping]) -> Mapping:
    """The record with the lowest validation loss (the first one on ties)."""
    if not records:
        raise ValueError("no metric records to pick an early-stopping iteration from")
    losses = [r["validation_loss"] for r in records]
    finite = [i for i, v in enumerate(losses) if math.isfinite(v)]
    if not finite:
        return records[-1]
    return records[min(finite, key=lambda i: losses[i])]
