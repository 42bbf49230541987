"""IMP experiments with the LTH controls: config, resumable runs, metrics, reports.

>>> from lottery_keras import experiment
>>> config = experiment.ExperimentConfig(levels=3, epochs=1)      # LeNet-300-100 on mnist-mini
>>> rows = experiment.run(config, "runs/small")                   # resumable; same numbers every time
>>> experiment.make_report("runs/small")                          # PNG plots + table

Modules: :mod:`.config` (what an experiment is), :mod:`.paper` (the LTH paper's settings per
model, the defaults of unset options), :mod:`.variants` (what each level trains: ``lottery``
and its controls, one class each), :mod:`.paths` (every run-directory file name),
:mod:`.run_dir` (atomic files, resume), :mod:`.metrics` (evaluation callback, early stopping),
:mod:`.imp` (the IMP loop), :mod:`.report` (plots, table); the command line is
:mod:`lottery_keras.cli.experiment` (``lottery-keras run`` / ``report``).
Importing this package does not import TensorFlow; :func:`run` does.
"""

from __future__ import annotations

import importlib

from lottery_keras.experiment import paper, paths, variants
from lottery_keras.experiment.config import VARIANTS, ConfigError, ExperimentConfig, Unit
from lottery_keras.experiment.run_dir import RunDir, load_results

_LAZY = {"run": "imp", "Experiment": "imp", "make_report": "report", "Evaluator": "metrics",
         "IterationMetrics": "metrics", "early_stop": "metrics"}

__all__ = ["VARIANTS", "ConfigError", "ExperimentConfig", "RunDir", "Unit", "load_results", "paper", "paths",
           "variants", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
