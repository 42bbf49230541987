"""lottery_keras: Lottery Ticket Hypothesis experiments on tf_keras + TF-MOT.

Importing the package sets ``TF_USE_LEGACY_KERAS=1`` first, so TensorFlow (and
TF-MOT) use Keras 2 (`tf_keras`). Heavy submodules load on first use, so
``import lottery_keras`` and the CLI's ``--help`` stay quick.
"""

from __future__ import annotations

import importlib
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

_SUBMODULES = {
    "datasets", "models", "masks", "scoring", "snapshot", "pruned_model", "ticket",
    "reinitialize", "random_mask", "rewind_point", "rates", "gradients", "snip", "grasp",
    "synflow", "early_bird", "interpolation", "experiment", "export", "litert", "compaction", "flops",
    "n_m_sparsity", "xnnpack_sparse",
}
_ATTRIBUTES = {"Ticket": "ticket"}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _ATTRIBUTES:
        return getattr(importlib.import_module(f"{__name__}.{_ATTRIBUTES[name]}"), name)
    raise AttributeError(f"module 'lottery_keras' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES | set(_ATTRIBUTES))
