"""N:M structured sparsity (e.g. 2:4): at most N nonzeros in every M consecutive weights.

The pattern runs along the *input* axis of each kernel as TensorFlow Lite stores it
(Dense ``[C_OUT, C_IN]``, Conv2D ``[C_OUT, H, W, C_IN]``), i.e. along ``C_IN`` of the
TF kernel ``[..., C_IN, C_OUT]``. Hardware with N:M support (NVIDIA Ampere and later
Sparse Tensor Cores, for 2:4) stores half the values plus 2-bit indices and skips the
zeros, up to 2x matrix throughput; CPUs and LiteRT's XNNPACK have no 2:4 kernels, so on
them a 2:4 model is simply a 50%-sparse model (see docs/acceleration.md).

Tuples follow TF-MOT's ``sparsity_m_by_n=(m, n)``: *m zeros* in every *n* values, so
``(2, 4)`` is 2:4. Training goes through TF-MOT's ``prune_low_magnitude(...,
sparsity_m_by_n=...)`` (:func:`wrap`) or, for a :class:`~lottery_keras.Ticket`, through
fixed masks made by TF-MOT's own mask function (:func:`masks`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import tensorflow_model_optimization as tfmot
from tensorflow_model_optimization.python.core.sparsity.keras import pruning_utils

from lottery_keras._keras import check_model as check_keras_model
from lottery_keras._keras import tf
from lottery_keras.pruning import layers, pruned_model


def check_m_by_n(m_by_n) -> tuple:
    """(m zeros, n values) with 0 < m < n, as ints."""
    if (not isinstance(m_by_n, (tuple, list)) or len(m_by_n) != 2
            or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in m_by_n)):
        raise TypeError(f"m_by_n must be a pair of ints (m zeros, per n values) such as (2, 4), got {m_by_n!r}")
    m, n = int(m_by_n[0]), int(m_by_n[1])
    if not 0 < m < n:
        raise ValueError(f"m_by_n={m_by_n!r}: need 0 < m < n (m zeros in every n consecutive values)")
    return m, n


def _groups(kernel: np.ndarray, n: int) -> np.ndarray:
    """Kernel as rows of n consecutive input-axis values (zero-padded at each row's end)."""
    kernel = np.asarray(kernel)
    if kernel.ndim not in (2, 4):
        raise ValueError(f"expected a Dense (2-D) or Conv2D (4-D) kernel, got shape {kernel.shape}")
    rows = np.moveaxis(kernel, -2, -1).reshape(-1, kernel.shape[-2])  # (everything else, C_IN)
    pad = -rows.shape[1] % n
    if pad:
        rows = np.pad(rows, ((0, 0), (0, pad)))
    return rows.reshape(-1, n)


@dataclass(frozen=True)
class PatternCheck:
    """Result of checking one kernel: groups checked, groups breaking the pattern, density."""

    m_by_n: tuple
    groups: int
    violations: int
    density: float  # share of nonzero weights

    @property
    def ok(self) -> bool:
        return self.violations == 0

    def __bool__(self) -> bool:
        return self.ok


def check(kernel, m_by_n=(2, 4)) -> PatternCheck:
    """Check a TF-layout kernel (Dense ``[C_IN, C_OUT]``, Conv2D ``[H, W, C_IN, C_OUT]``):
    every n consecutive values along C_IN must hold at most n - m nonzeros."""
    m, n = check_m_by_n(m_by_n)
    kernel = np.asarray(kernel)
    groups = _groups(kernel, n)
    violations = int((np.count_nonzero(groups, axis=1) > n - m).sum())
    density = float(np.count_nonzero(kernel) / kernel.size) if kernel.size else 0.0
    return PatternCheck((m, n), int(groups.shape[0]), violations, density)


def check_model(model, m_by_n=(2, 4)) -> dict:
    """{layer name: PatternCheck} for every Dense and Conv2D kernel of a model or Ticket."""
    model = pruned_model.plain_model(model)
    return {name: check(layer.kernel.numpy(), m_by_n)
            for name, layer in pruned_model.weight_layers(model).items() if layers.prunable(layer)}


def masks(kernels: Mapping, m_by_n=(2, 4), current: Mapping | None = None) -> dict:
    """N:M masks for ``{layer: TF-layout kernel}``, made by TF-MOT's own 2:4 mask code (the
    largest n - m magnitudes of every group survive), times `current` masks if given. Set
    them on a Ticket with ``ticket.set_masks(n_m_sparsity.masks(ticket.kernels(), (2, 4), ticket.masks))``."""
    m_by_n = check_m_by_n(m_by_n)
    if current is not None and set(current) != set(kernels):
        raise ValueError(f"current masks cover {sorted(current)}, kernels cover {sorted(kernels)}")
    out = {}
    for name, kernel in kernels.items():
        weights = tf.constant(np.asarray(kernel, dtype=np.float32))
        if weights.shape.rank not in (2, 4):
            raise ValueError(f"layer {name!r}: expected a Dense or Conv2D kernel, got shape {tuple(weights.shape)}")
        prepared = pruning_utils.weights_rearrange(weights)
        mask = pruning_utils.generate_m_by_n_mask(prepared, m_by_n)
        mask = pruning_utils.m_by_n_sparsity_mask_prepare(mask, weights.shape).numpy().astype(np.float32)
        if current is not None:
            mask = mask * np.asarray(current[name], dtype=np.float32)
        out[name] = mask
    return out


def wrap(model, m_by_n=(2, 4), update_every: int = 100):
    """`model` with every Dense/Conv2D layer in a TF-MOT pruning wrapper that keeps it N:M
    sparse (``prune_low_magnitude(..., sparsity_m_by_n=m_by_n)``); the mask is recomputed
    every `update_every` steps. Train with :func:`callbacks`, then :func:`strip`."""
    m_by_n = check_m_by_n(m_by_n)
    if isinstance(update_every, bool) or not isinstance(update_every, int) or update_every < 1:
        raise ValueError(f"update_every must be an int >= 1, got {update_every!r}")
    check_keras_model(model)
    schedule = tfmot.sparsity.keras.ConstantSparsity(0.5, begin_step=0, frequency=update_every)
    return tfmot.sparsity.keras.prune_low_magnitude(model, pruning_schedule=schedule, sparsity_m_by_n=m_by_n)


def callbacks() -> list:
    """The Keras callbacks TF-MOT pruning needs during ``fit`` (it steps the schedule)."""
    return [tfmot.sparsity.keras.UpdatePruningStep()]


def strip(wrapped):
    """A plain tf_keras model from a :func:`wrap`-ped one, its kernels N:M sparse."""
    return pruned_model.plain_model(wrapped)
