"""Terminal progress: a bar per unit (on a terminal only) and one line per finished level."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence


def _clock(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """Prints to `stream` (stdout): level lines always, the per-unit bar only on a terminal."""

    def __init__(self, stream=None, bar: bool | None = None, quiet: bool = False, width: int = 24):
        self.stream = stream or sys.stdout
        self.quiet = quiet
        self.bar = (not quiet) and (bar if bar is not None else self.stream.isatty())
        self.width = width
        self.t0 = time.monotonic()
        self._unit = None
        self._span = (0, 1)

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def line(self, text: str) -> None:
        if self.quiet:
            return
        if self.bar:
            self.stream.write("\r\033[K")
        self.stream.write(text + "\n")
        self.stream.flush()

    def unit_start(self, unit, start: int, stop: int, position: int, total: int) -> None:
        self._unit, self._span, self._position = unit, (start, stop), (position, total)
        self.record(start, None)

    def record(self, iteration: int, record: dict | None) -> None:
        if not self.bar or self._unit is None:
            return
        start, stop = self._span
        share = (iteration - start) / max(stop - start, 1)
        filled = round(share * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        unit = self._unit
        tail = f"  val loss {record['validation_loss']:.4f}" if record else ""
        pos, total = self._position
        self.stream.write(f"\r\033[K  [{pos}/{total}] level {unit.level} {unit.variant} r{unit.replicate} "
                          f"|{bar}| {iteration}/{stop} it{tail}")
        self.stream.flush()

    def unit_end(self) -> None:
        if self.bar:
            self.stream.write("\r\033[K")
            self.stream.flush()
        self._unit = None

    def level_end(self, level: int, levels: int, rows: Sequence[dict], variants: Sequence[str]) -> None:
        """``level 3/10  51.2% left  test acc  lottery 97.45%  reinit ...  (elapsed 0:41)``"""
        remaining = rows[0]["remaining"]
        parts = []
        for variant in variants:
            accs = [r["test_accuracy"] for r in rows if r["variant"] == variant]
            if accs:
                parts.append(f"{variant} {100 * sum(accs) / len(accs):.2f}%")
        name = "dense" if level == 0 else f"{100 * remaining:.1f}% left"
        self.line(f"level {level:>2}/{levels}  {name:>11}  test acc  {'  '.join(parts)}"
                  f"  (elapsed {_clock(self.elapsed())})")
