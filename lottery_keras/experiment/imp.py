"""Iterative magnitude pruning (IMP) with the LTH controls, resumable unit by unit.

:func:`run` executes an :class:`~lottery_keras.experiment.config.ExperimentConfig` into
a run directory. Every unit of work ``(level, variant, replicate)`` is a pure function
of the config and of files already on disk:

* its mask: all ones at level 0; else the previous level's ``lottery`` mask pruned by
  the magnitude of that unit's trained weights (read back from its ``weights.npz``);
* its start weights: W0 of the replicate (the model built with seed ``seed + replicate``) or
  the rewind snapshot saved by level 0, prepared by the unit's variant (:mod:`.variants`:
  e.g. fresh weights for ``reinit``, a random mask for ``random_mask``);
* its data order and random choices: seeds derived from ``(seed, level, variant,
  replicate)``; TensorFlow op determinism is switched on.

So a run killed at any point and started again redoes at most the unit it was in and
ends with exactly the numbers of an uninterrupted run.
"""

from __future__ import annotations

import functools
import json
import math
import time
from typing import Any, NamedTuple

import numpy as np

from lottery_keras import data as datasets
from lottery_keras.experiment import engines, frameworks, paths, variants
from lottery_keras.experiment import run_dir as rd
from lottery_keras.experiment.config import ExperimentConfig, Unit
from lottery_keras.experiment.engines.ledger import Ledger
from lottery_keras.experiment.progress import Progress
from lottery_keras.experiment.records import HISTORY_COLUMNS, early_stop


def load_data(config: ExperimentConfig, data_dir=None):
    """The config's dataset with its validation split (seeded by the config's seed)."""
    return datasets.load(config.dataset, data_dir=data_dir, validation=config.validation, seed=config.seed)


class UnitInputs(NamedTuple):
    """What one unit starts from: all a worker needs besides the config and the data."""

    unit: Unit
    init: Any  # Snapshot: the replicate's W0
    rewind: Any  # Snapshot of the rewind point (late rewinding, levels > 0), else None
    mask: dict  # the level's IMP mask


class UnitOutputs(NamedTuple):
    """What one unit produces, in memory (:meth:`Experiment.save` writes it to the run directory)."""

    unit: Unit
    mask: dict
    history: list  # metric records
    weights: Any  # Snapshot at the end of training
    rewind: Any  # Snapshot captured at the rewind point (level 0 with late rewinding), else None
    row: dict  # the results row
    seconds: float


class Experiment:
    """Runs the units of one config in one run directory (see :func:`run`).

    A unit is three steps: :meth:`inputs` reads its starting state from the run
    directory, :meth:`train` turns it into :class:`UnitOutputs` without touching the
    disk (what a worker of a parallel engine would call), :meth:`save` writes them.
    """

    def __init__(self, config: ExperimentConfig, out, data, progress: Progress):
        self.framework = fw = frameworks.get(config)
        fw.setup(config)
        self.config = config
        self.run_dir = rd.RunDir(out)
        self.data = data
        self.progress = progress
        (x, y) = data.train
        self.steps_per_epoch = math.ceil(len(y) / config.batch_size)
        self.total = config.iterations_per_level(self.steps_per_epoch)
        self.ticket = fw.Ticket(fw.build(config, 0))
        self.ticket.compile(optimizer=fw.optimizer(config), loss="sparse_categorical_crossentropy")
        self._w0 = self.ticket.snapshots["init"]
        n = min(config.train_eval_size, len(y))
        self.evaluator = fw.Evaluator(self.ticket.model, {
            "train": (x[:n], y[:n]), "validation": data.validation, "test": data.test})
        self._masks: dict = {}  # (level, replicate) -> IMP mask, computed once per process

    # --- state read back from disk ---------------------------------------------------

    def _init_snapshot(self, replicate: int):
        """W0 of a replicate: read from the run dir, or built from its seed and saved there."""
        path = self.run_dir.init_file(replicate)
        if path.is_file():
            return rd.load_snapshot(path)
        if replicate == 0:
            snap = self._w0
        else:
            snap = self.framework.take(self.framework.build(self.config, replicate), 0)
        rd.save_snapshot(path, snap)
        return snap

    def imp_mask(self, level: int, replicate: int) -> dict:
        """The IMP mask of a level: the previous lottery unit's mask pruned by its trained weights."""
        key = (level, replicate)
        if key not in self._masks:
            ticket = self.ticket
            if level == 0:
                mask = {name: np.ones_like(m) for name, m in ticket.masks.items()}
            else:
                prev = self.run_dir.unit_dir(Unit(level - 1, "lottery", replicate))
                ticket.set_masks(rd.load_masks(prev / paths.MASK))
                self.framework.restore(ticket.model, rd.load_snapshot(prev / paths.WEIGHTS))
                c = self.config
                if c.scope == "layerwise":
                    fraction = ticket.lth_rates(dense=c.rate, conv=c.conv_rate, output=c.output_rate)
                else:
                    fraction = c.rate
                ticket.prune(fraction, scope=c.scope)
                mask = ticket.masks
            self._masks = {k: v for k, v in self._masks.items() if k[0] >= level - 1}
            self._masks[key] = mask
        return self._masks[key]

    def inputs(self, unit: Unit) -> UnitInputs:
        """A unit's starting state, read from (or, for W0, first written to) the run directory."""
        rewind = None
        if unit.level > 0 and self.config.rewind_name != "init":
            rewind = rd.load_snapshot(self.run_dir.rewind_file(unit.replicate, self.config.rewind_name))
        return UnitInputs(unit, self._init_snapshot(unit.replicate), rewind, self.imp_mask(unit.level,
                                                                                            unit.replicate))

    # --- one unit ----------------------------------------------------------------------

    def train(self, inputs: UnitInputs, position: int = 1, count: int = 1) -> UnitOutputs:
        """Train one unit from its inputs (no file is read or written)."""
        started = time.monotonic()
        c, t, unit = self.config, self.ticket, inputs.unit
        t.snapshots = {"init": inputs.init}
        if inputs.rewind is not None:
            t.snapshots[c.rewind_name] = inputs.rewind
        t.set_masks(inputs.mask)
        t.rewind("init")
        variants.get(unit.variant).prepare(t, c.variant_seed(unit), "init" if unit.level == 0 else c.rewind_name)
        start = t.iteration
        capture = c.rewind if unit.level == 0 else None

        self.progress.unit_start(unit, start, self.total, position, count)
        metrics = self.framework.IterationMetrics(self.evaluator, c.eval_every,
                                   start=start, stop_at=self.total, on_record=self.progress.record)
        x, y = self.data.train
        epochs = math.ceil((self.total - start) / self.steps_per_epoch)
        t.fit(x, y, batch_size=c.batch_size, epochs=epochs, shuffle=True, verbose=0, callbacks=[metrics],
              seed=c.fit_seed(unit), rewind_point=capture)
        self.progress.unit_end()
        if t.iteration != self.total:  # pragma: no cover - a Keras change would show here
            raise RuntimeError(f"{unit.name}: trained to iteration {t.iteration}, expected {self.total}")
        rewind = t.snapshots[c.rewind_name] if capture is not None and c.rewind_name != "init" else None
        row = self._row(unit, start, metrics.records)
        return UnitOutputs(unit, t.masks, metrics.records, self.framework.take(t.model, t.iteration), rewind, row,
                           time.monotonic() - started)

    def _row(self, unit: Unit, start: int, records: list) -> dict:
        best, last = early_stop(records), records[-1]
        remaining = self.ticket.remaining()
        return {
            "level": unit.level, "variant": unit.variant, "replicate": unit.replicate,
            "remaining": remaining.overall, "start_iteration": start, "iterations": self.total - start,
            **{k: last[k] for k in ("test_accuracy", "test_loss", "validation_accuracy", "validation_loss",
                                    "train_accuracy", "train_loss")},
            "early_stop_iteration": best["iteration"],
            "early_stop_test_accuracy": best["test_accuracy"],
            "early_stop_validation_accuracy": best["validation_accuracy"],
            "early_stop_validation_loss": best["validation_loss"],
            **{f"remaining_{name}": share for name, share in remaining.per_layer.items()},
        }

    def save(self, out: UnitOutputs) -> dict:
        """Write a unit's files (its result row last: then the unit is done); returns the row."""
        folder = self.run_dir.unit_dir(out.unit)
        rd.save_masks(folder / paths.MASK, out.mask)
        rd.write_csv(folder / paths.HISTORY, out.history, list(HISTORY_COLUMNS))
        rd.save_snapshot(folder / paths.WEIGHTS, out.weights)
        if out.rewind is not None:
            rd.save_snapshot(self.run_dir.rewind_file(out.unit.replicate, self.config.rewind_name), out.rewind)
        rd.write_json(folder / paths.TIMING, {"seconds": round(out.seconds, 3)})
        rd.write_json(folder / paths.RESULT, out.row)
        return out.row

    def run_unit(self, unit: Unit, position: int = 1, count: int = 1) -> dict:
        """Train one unit from its state on disk; write its files (result.json last)."""
        return self.save(self.train(self.inputs(unit), position, count))


def run(config: ExperimentConfig, out, data_dir=None, progress: Progress | bool = True,
        engine: str = "local", address: str | None = None, threads: int = 1, gpus: float = 0) -> list[dict]:
    """Run (or resume) `config` into the folder `out`; returns the results rows.

    A folder that already holds this experiment is resumed from its last finished unit;
    a finished one is left alone; one holding a different experiment is refused with
    a ValueError. `progress`: a :class:`Progress`, True (print), or False (silent).
    `engine` ("local" or "ray", :mod:`.engines`), `address` (of a Ray cluster), `threads`
    (TensorFlow threads per unit: the same count gives the same numbers on any engine) and
    `gpus` (per unit, Ray) say where units run, not what they compute.
    """
    if not isinstance(progress, Progress):
        progress = Progress(quiet=not progress)
    run_dir = rd.RunDir(out)
    resuming = run_dir.check(config)
    units = config.units()
    if resuming:
        run_dir.clean_temp()
        todo = [u for u in units if not run_dir.done(u)]
        if not todo:
            if _units_in_results(run_dir) != len(units):  # killed after the last unit, before the summary
                run_dir.write_results(config)
            progress.line(f"{run_dir.path}: experiment already complete ({len(units)} of {len(units)} units); "
                          f"nothing to do. See: lottery-keras report {run_dir.path}")
            return run_dir.rows(config)
    else:
        todo = units
    data = load_data(config, data_dir)
    config.check_schedule(math.ceil(len(data.train[1]) / config.batch_size))
    if config.keras != "2" and engine != "local":
        raise ValueError(f"--engine {engine} runs --keras 2 experiments only; use --engine local for --keras 3")
    runner = engines.open_engine(engine, address=address, threads=threads, gpus=gpus,
                                 pin=functools.partial(frameworks.get(config).pin_threads,
                                                       backend=config.backend))  # refuses before writing
    try:
        _run_units(config, run_dir, data, progress, runner, resuming, todo)
    finally:
        runner.close()
    progress.line(f"done in {progress.elapsed():.0f} s: {run_dir.path / paths.RESULTS_CSV}; "
                  f"plots: lottery-keras report {run_dir.path}")
    return run_dir.rows(config)


def _run_units(config, run_dir, data, progress, runner, resuming, todo) -> None:
    units = config.units()
    run_dir.create(config)
    if resuming:
        progress.line(f"{run_dir.path}: resuming, {len(units) - len(todo)} of {len(units)} units already done")
    else:
        progress.line(f"{run_dir.path}: {config.model} on {config.dataset}, levels 0..{config.levels}, "
                      f"variants {', '.join(config.variants)}, {config.replicates} replicate(s): {len(units)} units")
    if not runner.pinned:
        progress.line(f"note: TensorFlow was already running with other thread settings than threads={runner.threads}; "
                      "numbers match other runs only under the same settings")
    runner.run(Experiment(config, run_dir.path, data, progress), todo, Ledger(run_dir, config, progress))


def _units_in_results(run_dir: rd.RunDir) -> int | None:
    try:
        return json.loads((run_dir.path / paths.RESULTS_JSON).read_text(encoding="utf-8"))["units_done"]
    except (OSError, ValueError, KeyError):
        return None
