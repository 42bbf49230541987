"""The one place that imports Keras: Keras 2 (`tf_keras`), never Keras 3.

TF-MOT 0.8 only wraps Keras 2 models, so ``TF_USE_LEGACY_KERAS=1`` must be set
before TensorFlow is first imported. The package ``__init__`` sets it; this module
checks it held and offers the model checks every entry point uses.
"""

from __future__ import annotations

import os
import warnings

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # the package __init__ also chose TF's log level

import tensorflow as tf
import tf_keras as keras

if os.environ.get("TF_USE_LEGACY_KERAS") != "1":  # pragma: no cover - user override
    warnings.warn(
        "TF_USE_LEGACY_KERAS is not '1': tf.keras in your session is Keras 3. "
        "lottery_keras uses tf_keras (Keras 2) regardless; build models with "
        "`import tf_keras as keras`.",
        stacklevel=2,
    )

__all__ = ["check_model", "keras", "tf"]


def check_model(model) -> None:
    """Raise a clear TypeError unless `model` is a Sequential/functional tf_keras model."""
    if isinstance(model, keras.Model):
        if isinstance(model, keras.Sequential) or getattr(model, "_is_graph_network", False):
            return
        raise TypeError(
            f"{type(model).__name__} is a subclassed tf_keras model; TF-MOT's pruning wrappers "
            "can only wrap Sequential or functional models. Rebuild it with "
            "tf_keras.Sequential([...]) or the functional API (tf_keras.Model(inputs, outputs))."
        )
    module = type(model).__module__
    if module.startswith("keras"):
        raise TypeError(
            f"You passed a Keras 3 model ({module}.{type(model).__name__}). TF-MOT pruning "
            "needs Keras 2: build the model with `import tf_keras as keras` (pip package tf-keras), "
            "or set TF_USE_LEGACY_KERAS=1 before importing TensorFlow and use tf.keras; or use "
            "lk.Ticket(model), which gives a Keras 3 model a Keras 3 ticket (lottery_keras.keras3)."
        )
    raise TypeError(f"expected a tf_keras.Model, got {type(model).__name__}")
