"""The tf_keras path of an experiment: TF-MOT-wrapped models (:class:`lottery_keras.ticket.Ticket`)."""

from __future__ import annotations

from lottery_keras import models
from lottery_keras._keras import keras, tf
from lottery_keras.experiment import engines
from lottery_keras.experiment.frameworks import make_optimizer
from lottery_keras.experiment.metrics import Evaluator, IterationMetrics
from lottery_keras.pruning.snapshot import restore, take
from lottery_keras.ticket import Ticket


def setup(config) -> None:
    """Deterministic TensorFlow ops: the same config gives the same numbers."""
    tf.config.experimental.enable_op_determinism()


def pin_threads(threads: int, backend: str = "tensorflow") -> bool:
    return engines.pin_threads(threads)


def build(config, replicate: int):
    return models.get(config.model, seed=config.model_seed(replicate))


def optimizer(config):
    return make_optimizer(keras, config)


__all__ = ["Evaluator", "IterationMetrics", "Ticket", "build", "optimizer", "pin_threads", "restore", "setup",
           "take"]
