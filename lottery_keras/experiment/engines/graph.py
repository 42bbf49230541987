"""The dependency graph of an experiment's units.

A level-0 unit needs nothing but its replicate's seed (it creates W0 and, with late
rewinding, the rewind point). A unit of level L > 0 needs the trained ``lottery`` unit
of level L-1 of its replicate: its mask and weights give the level's IMP mask. Levels
are sequential per replicate; replicates, and variants within a level, are independent.
"""

from __future__ import annotations

from collections.abc import Iterable

from lottery_keras.experiment.config import ExperimentConfig, Unit


def needs(unit: Unit) -> Unit | None:
    """The unit whose outputs `unit` starts from (None at level 0)."""
    return None if unit.level == 0 else Unit(unit.level - 1, "lottery", unit.replicate)


def critical_path(config: ExperimentConfig) -> int:
    """Units in the longest chain (level 0 to the last level): the fewest sequential steps."""
    return config.levels + 1


class Graph:
    """Units still to run; :meth:`ready` lists those whose inputs exist, lottery units first."""

    def __init__(self, todo: Iterable[Unit]):
        self.waiting = list(todo)
        self._waiting = set(self.waiting)
        self.running: set[Unit] = set()

    def ready(self) -> list[Unit]:
        """Waiting units whose input unit is finished (lottery first: it unblocks the next level)."""
        def finished(u):
            return u is None or (u not in self._waiting and u not in self.running)

        units = [u for u in self.waiting if finished(needs(u))]
        return sorted(units, key=lambda u: (u.variant != "lottery", u.level, u.replicate))

    def start(self, unit: Unit) -> None:
        self.waiting.remove(unit)
        self._waiting.discard(unit)
        self.running.add(unit)

    def finish(self, unit: Unit) -> None:
        self.running.discard(unit)

    def __bool__(self) -> bool:
        return bool(self.waiting or self.running)


def makespan(units: list[Unit], seconds, workers: int) -> float:
    """Wall time of `units` on `workers` slots with no overhead, scheduled as the Ray engine does.

    `seconds(unit)` is a unit's training time. Ready units start in :meth:`Graph.ready`
    order whenever a slot is free; levels follow each other per replicate.
    """
    g, clock, running = Graph(units), 0.0, {}  # unit -> finish time
    while g:
        for unit in g.ready()[: max(0, workers - len(running))]:
            g.start(unit)
            running[unit] = clock + seconds(unit)
        unit = min(running, key=running.get)
        clock = running.pop(unit)
        g.finish(unit)
    return clock
