"""Frameworks: which Keras trains an experiment's units (``--keras``, ``--backend``).

* ``"2"``: tf_keras models in TF-MOT wrappers (:mod:`.tf_keras`), what the course teaches;
* ``"3"``: Keras 3 models with masked layers on JAX, TensorFlow or PyTorch (:mod:`.keras3`).

``FRAMEWORKS`` maps ``config.keras`` to its module, imported only when chosen (the Keras 3
path on JAX never imports TensorFlow). Each module has the same functions:

``setup(config)``            check and select the backend, switch on determinism (before any
                             model is built; ValueError with one line if it cannot);
``pin_threads(threads, backend)`` fix the math library's threads (True if it took effect);
``build(config, replicate)`` the replicate's network, freshly initialised (W0);
``Ticket``, ``take(model, iteration)``, ``restore(model, snapshot)``, ``optimizer(config)``,
``Evaluator(model, sets)`` and ``IterationMetrics(evaluate, every, start, stop_at, on_record)``.
"""

from __future__ import annotations

import importlib

FRAMEWORKS = {"2": "lottery_keras.experiment.frameworks.tf_keras",
              "3": "lottery_keras.experiment.frameworks.keras3"}


def get(config):
    """The framework module of `config` (its ``keras`` setting)."""
    return importlib.import_module(FRAMEWORKS[config.keras])


def make_optimizer(keras_module, config):
    """A fresh optimizer of `keras_module` for the config ("momentum" is SGD with momentum 0.9)."""
    optimizers = keras_module.optimizers
    if config.optimizer == "adam":
        return optimizers.Adam(learning_rate=config.learning_rate)
    if config.optimizer == "momentum":
        return optimizers.SGD(learning_rate=config.learning_rate, momentum=0.9)
    return optimizers.SGD(learning_rate=config.learning_rate)


__all__ = ["FRAMEWORKS", "get", "make_optimizer"]
