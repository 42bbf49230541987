"""Metric records every N iterations, and the early-stopping iteration of the LTH paper.

No Keras here: :class:`IterationRecorder` is the callback logic both Keras paths mix into
their own Callback class. :func:`early_stop` picks the record with the lowest validation
loss: Frankle & Carbin (2019) call its iteration the early-stopping iteration and report
the test accuracy there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

HISTORY_COLUMNS = ("iteration", "train_loss", "train_accuracy", "validation_loss", "validation_accuracy",
                   "test_loss", "test_accuracy")


class IterationRecorder:
    """Records ``evaluate()`` at the start, every `every` iterations, and at the end.

    The callback logic of both Keras paths, mixed into each one's Callback class
    (:class:`lottery_keras.experiment.metrics.IterationMetrics` for tf_keras,
    :mod:`lottery_keras.experiment.frameworks.keras3` for Keras 3).

    Iterations are counted from `start` (the iteration the weights were rewound to).
    With `stop_at`, training stops after exactly that iteration (mid-epoch if need be).
    `on_record(iteration, record)` is called after each record (e.g. a progress bar).
    """

    def __init__(self, evaluate: Callable[[], dict], every: int, start: int = 0, stop_at: int | None = None,
                 on_record: Callable | None = None):
        super().__init__()
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
