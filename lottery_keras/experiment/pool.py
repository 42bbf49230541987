"""Several run directories of one experiment read as one, their replicates pooled.

Runs that differ only in ``seed`` and ``replicates`` (e.g. started side by side on two
machines or cores, each with its own seed) are replicates of the same experiment: the
report pools them. Replicates are renumbered in the order the folders are given.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from lottery_keras.experiment import run_dir as rd
from lottery_keras.experiment.config import ExperimentConfig, Unit

MAY_DIFFER = ("seed", "replicates")


class Pooled(NamedTuple):
    config: ExperimentConfig  # the first folder's, with replicates = the total
    rows: list  # result rows, replicates renumbered 0..total-1
    history: Callable[[Unit], list]  # a pooled unit's metric history
    paths: list  # the folders


def load(paths: Sequence) -> Pooled:
    """The finished rows of `paths` as one experiment (ValueError if they hold different ones)."""
    paths = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
    if not paths:
        raise ValueError("no run directory given")
    first, rows, where, offset = None, [], {}, 0
    for path in paths:
        config, found = rd.load_results(path)
        if first is None:
            first = config
        diffs = [d for d in first.differences(config) if d.split(":")[0] not in MAY_DIFFER]
        if diffs:
            raise ValueError(f"{path} holds a different experiment than {paths[0]} ({'; '.join(diffs)}); only "
                             f"{' and '.join(MAY_DIFFER)} may differ between pooled runs")
        run = rd.RunDir(path)
        for row in found:
            pooled = Unit(row["level"], row["variant"], row["replicate"] + offset)
            where[pooled] = (run, Unit(*pooled[:2], row["replicate"]))
            rows.append({**row, "replicate": pooled.replicate})
        offset += config.replicates
    config = dataclasses.replace(first, replicates=offset) if len(paths) > 1 else first

    def history(unit: Unit) -> list:
        run, own = where[Unit(*unit)]
        return run.history(own)

    return Pooled(config, rows, history, paths)
