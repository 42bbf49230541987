"""The driver's bookkeeping after each finished unit, the same for every engine."""

from __future__ import annotations

from lottery_keras.experiment import run_dir as rd
from lottery_keras.experiment.config import ExperimentConfig, Unit
from lottery_keras.experiment.progress import Progress


class Ledger:
    """Rewrites results.csv/json after each unit and prints each level's line once it is complete."""

    def __init__(self, run_dir: rd.RunDir, config: ExperimentConfig, progress: Progress):
        self.run_dir, self.config, self.progress = run_dir, config, progress
        self.units = config.units()
        self.done = sum(run_dir.done(u) for u in self.units)
        self._next_level = next((u.level for u in self.units if not run_dir.done(u)), config.levels + 1)

    def position(self) -> int:
        """1-based number of the next unit to finish (for progress lines)."""
        return self.done + 1

    def finished(self, unit: Unit) -> None:
        self.done += 1
        rows = self.run_dir.write_results(self.config)
        finished = {(r["level"], r["variant"], r["replicate"]) for r in rows}
        while self._next_level <= self.config.levels:
            level = self._next_level
            if any(tuple(u) not in finished for u in self.units if u.level == level):
                break
            self.progress.level_end(level, self.config.levels, [r for r in rows if r["level"] == level],
                                    self.config.variants)
            self._next_level += 1
