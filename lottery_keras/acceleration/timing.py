"""Time callables against each other: interleaved rounds, medians.

Works on anything callable on a batch (a LiteRT :class:`~lottery_keras.acceleration.litert.Runner`,
a Keras model's ``predict_on_batch``, an XNNPACK model): every round runs each callable
once in turn, so drift in machine load hits them alike.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Timing:
    """Seconds per call of one runner: the median over repeats, and every repeat."""

    median_s: float
    all_s: tuple
    batch: int

    @property
    def median_us(self) -> float:
        return 1e6 * self.median_s

    def __repr__(self) -> str:
        return f"Timing(median {self.median_us:.1f} us over {len(self.all_s)} rounds, batch {self.batch})"


def time_runners(runners: dict, x, repeats: int = 7, number: int | None = None,
                 min_time: float = 0.02) -> dict:
    """Time each callable in `runners` ({name: f}) on `x`: `repeats` rounds, interleaved
    (every round runs each runner once in turn), each round `number` calls (chosen so a
    round lasts about `min_time` s when None). Returns {name: Timing} with the medians."""
    if not runners:
        raise ValueError("time_runners needs at least one runner")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be an int >= 1, got {repeats!r}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    counts = {}
    for name, f in runners.items():  # warm up (and plan for this batch size), size the rounds
        f(x)
        if number is None:
            start = time.perf_counter()
            f(x)
            once = max(time.perf_counter() - start, 1e-7)
            counts[name] = max(1, int(min_time / once))
        else:
            counts[name] = int(number)
    times = {name: [] for name in runners}
    for _ in range(repeats):
        for name, f in runners.items():
            n = counts[name]
            start = time.perf_counter()
            for _ in range(n):
                f(x)
            times[name].append((time.perf_counter() - start) / n)
    return {name: Timing(float(np.median(t)), tuple(t), len(x)) for name, t in times.items()}
