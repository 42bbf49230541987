"""Rewind points: "init", "500it" (after 500 iterations) or "1ep" (after one epoch)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_PATTERN = re.compile(r"^\s*(\d+)\s*(it|ep)\s*$")


@dataclass(frozen=True)
class RewindPoint:
    """A point in training, counted in iterations ("it") or epochs ("ep")."""

    amount: int
    unit: str  # "it" or "ep"

    @property
    def name(self) -> str:
        return "init" if self.amount == 0 else f"{self.amount}{self.unit}"

    def iteration(self, steps_per_epoch: int) -> int:
        """The point as an iteration count, given the number of steps in an epoch."""
        return self.amount * (steps_per_epoch if self.unit == "ep" else 1)


def parse(point) -> RewindPoint:
    """Parse "init", "500it", "2ep", or a plain int (iterations)."""
    if isinstance(point, RewindPoint):
        return point
    if isinstance(point, bool):
        raise TypeError(f"rewind point must be 'init', '<N>it', '<N>ep' or an int, got {point!r}")
    if isinstance(point, int):
        if point < 0:
            raise ValueError(f"rewind point must be >= 0 iterations, got {point}")
        return RewindPoint(point, "it")
    if isinstance(point, str):
        if point.strip() == "init":
            return RewindPoint(0, "it")
        match = _PATTERN.match(point)
        if match:
            return RewindPoint(int(match.group(1)), match.group(2))
    raise ValueError(f"rewind point must be 'init', '<N>it' (e.g. '500it') or '<N>ep' (e.g. '1ep'), got {point!r}")
