"""Linear mode connectivity (Frankle, Dziugaite, Roy & Carbin, ICML 2020).

Train two copies of a network from the same starting point with different data
orders, evaluate along the straight line between their weights, and measure the
error barrier: the largest rise in error above the mean of the two end points. A
network is "stable" (to SGD noise) when the barrier is about zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # either path's Snapshot (TF-MOT or Keras 3): the type of `a` is kept
    from lottery_keras.pruning import snapshot


def interpolate(a: snapshot.Snapshot, b: snapshot.Snapshot, alpha: float) -> snapshot.Snapshot:
    """Weights (1 - alpha) * a + alpha * b, layer by layer."""
    if set(a.weights) != set(b.weights):
        raise ValueError("snapshots hold different layers")
    return type(a)(
        iteration=-1,
        weights={n: [(1 - alpha) * wa + alpha * wb for wa, wb in zip(a.weights[n], b.weights[n], strict=True)]
                 for n in a.weights},
    )


def error_barrier(errors) -> float:
    """max over the path of error(alpha) minus the mean error of the two end points."""
    errors = np.asarray(errors, dtype=float)
    if errors.size < 2:
        raise ValueError("need the errors of at least the two end points")
    return float(errors.max() - 0.5 * (errors[0] + errors[-1]))


def linear_path(ticket, a: snapshot.Snapshot, b: snapshot.Snapshot, x, y, alphas=None,
                batch_size: int = 1000) -> dict:
    """Loss and error (1 - accuracy) of the ticket's network at points between a and b.

    The ticket is evaluated in place and put back exactly as it was. Its masks apply, so
    two tickets with the same mask interpolate within that mask. The ticket must be
    compiled with an accuracy metric.
    """
    alphas = np.linspace(0.0, 1.0, 11) if alphas is None else np.asarray(alphas, dtype=float)
    saved = ticket.take_snapshot("_linear_path")
    losses, errors = [], []
    try:
        for alpha in alphas:
            ticket.restore_weights(interpolate(a, b, float(alpha)))
            loss, acc = ticket.evaluate(x, y, batch_size=batch_size, verbose=0)[:2]
            losses.append(float(loss))
            errors.append(1.0 - float(acc))
    finally:
        ticket.restore_weights(saved)  # masked weights, restored exactly
        del ticket.snapshots["_linear_path"]
    return {"alpha": alphas.tolist(), "loss": losses, "error": errors, "barrier": error_barrier(errors)}
