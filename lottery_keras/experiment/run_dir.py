"""A run directory: atomic files, the config guard, and which units of work are done.

The file names and layout are in :mod:`lottery_keras.experiment.paths`.

Every file goes to a temporary name in the same folder, is flushed and fsynced, then
``os.replace``-d over the real name (and the folder fsynced), so a reader, or a run
killed at any moment, sees either the old file or the new one, never a torn one.
A unit counts as done only once its ``result.json`` exists; a killed unit is redone.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np

from lottery_keras.experiment import paths
from lottery_keras.experiment.config import ExperimentConfig, Unit
from lottery_keras.pruning import masks as masks_io
from lottery_keras.pruning import snapshot_data

RESULT_COLUMNS = (
    "level", "variant", "replicate", "remaining", "start_iteration", "iterations",
    "test_accuracy", "test_loss", "validation_accuracy", "validation_loss", "train_accuracy", "train_loss",
    "early_stop_iteration", "early_stop_test_accuracy", "early_stop_validation_accuracy",
    "early_stop_validation_loss",
)


# --- atomic writes -----------------------------------------------------------------

def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path, write: Callable, binary: bool = True) -> None:
    """Call ``write(fileobj)`` on a temporary file, fsync it, and move it over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=paths.TMP_SUFFIX, dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; give the usual permissions
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""})) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def write_text(path, text: str) -> None:
    atomic_write(path, lambda f: f.write(text), binary=False)


def write_json(path, data) -> None:
    write_text(path, json.dumps(data, indent=2, allow_nan=True) + "\n")


def write_npz(path, arrays: Mapping[str, np.ndarray]) -> None:
    atomic_write(path, lambda f: np.savez_compressed(f, **arrays))


def read_npz(path) -> dict:
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def write_csv(path, rows: Iterable[Mapping], columns: list[str]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_value(row.get(k)) for k in columns})
    write_text(path, buf.getvalue())


def read_csv(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return [{k: _parse_value(v) for k, v in row.items()} for row in csv.DictReader(f)]


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back to the same float
    return value


def _parse_value(text: str):
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


# --- snapshots and masks on disk ---------------------------------------------------

def save_masks(path, masks: Mapping[str, np.ndarray]) -> None:
    atomic_write(path, lambda f: masks_io.save(f, masks))


def load_masks(path) -> dict:
    return masks_io.load(path)


def save_snapshot(path, snap) -> None:
    """A :class:`~lottery_keras.pruning.snapshot_data.Snapshot` as ``{"layer/index": array, "iteration": n}``."""
    atomic_write(path, lambda f: snapshot_data.save(f, snap))


def load_snapshot(path):
    return snapshot_data.load(path)


# --- the run directory -------------------------------------------------------------

class RunDir:
    """One experiment's folder: its config, its units, its results."""

    def __init__(self, path):
        self.path = Path(path)

    # config guard

    def stored_config(self) -> ExperimentConfig | None:
        """The config this folder was started with, or None for a new or empty folder.

        Raises ValueError if the folder is a file, holds something else, or has an
        unreadable config.
        """
        if self.path.exists() and not self.path.is_dir():
            raise ValueError(f"{self.path} is a file, not a run directory; choose another --out")
        config_file = self.path / paths.CONFIG
        if not config_file.is_file():
            if self.path.is_dir() and any(p for p in self.path.iterdir() if not p.name.endswith(paths.TMP_SUFFIX)):
                raise ValueError(f"{self.path} already exists and is not an experiment run directory "
                                 f"(it has no {paths.CONFIG}); choose a new or empty folder for --out")
            return None
        try:
            return ExperimentConfig.from_json(config_file.read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError) as err:
            raise ValueError(f"{config_file} cannot be read as an experiment config ({err}); "
                             "choose another --out") from None

    def check(self, config: ExperimentConfig) -> bool:
        """True if the folder already belongs to `config` (resume); False if it is new.

        A folder holding a different experiment is refused with a ValueError that lists
        the differences: runs are never mixed.
        """
        stored = self.stored_config()
        if stored is None:
            self._check_creatable()
            return False
        if stored != config:
            diffs = "; ".join(config.differences(stored))
            raise ValueError(f"{self.path} holds a different experiment ({diffs}; given vs stored). "
                             "Use another --out, or delete the folder to start over")
        return True

    def _check_creatable(self) -> None:
        """Refuse, before any work, a new run directory that cannot be made or written."""
        folder = self.path.absolute()
        try:
            while not folder.exists():
                folder = folder.parent
        except OSError as err:
            raise ValueError(f"cannot create the run directory {self.path}: {err.strerror}; "
                             "choose another --out") from None
        if not folder.is_dir():
            raise ValueError(f"cannot create the run directory {self.path}: {folder} is a file; "
                             "choose another --out")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ValueError(f"cannot create the run directory {self.path}: {folder} is not writable; "
                             "choose another --out")

    def create(self, config: ExperimentConfig) -> None:
        """Make the folder and write config.json (no-op if it is already there)."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            if not (self.path / paths.CONFIG).is_file():
                write_text(self.path / paths.CONFIG, config.to_json())
                _fsync_dir(self.path.parent)
        except OSError as err:
            raise ValueError(f"cannot write the run directory {self.path}: {err.strerror or err}; "
                             "choose another --out") from None

    def clean_temp(self) -> int:
        """Remove temporary files left by a killed run; returns how many."""
        count = 0
        for tmp in self.path.rglob(f".*{paths.TMP_SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
                count += 1
        return count

    # units

    def unit_dir(self, unit: Unit) -> Path:
        return self.path / unit.name

    def replicate_dir(self, replicate: int) -> Path:
        return self.path / paths.replicate(replicate)

    def init_file(self, replicate: int) -> Path:
        """W0 of a replicate."""
        return self.replicate_dir(replicate) / paths.INIT

    def rewind_file(self, replicate: int, name: str) -> Path:
        """The rewind snapshot `name` ("500it") a replicate's level 0 captured."""
        return self.replicate_dir(replicate) / paths.rewind(name)

    def done(self, unit: Unit) -> bool:
        return (self.unit_dir(unit) / paths.RESULT).is_file()

    def result(self, unit: Unit) -> dict:
        return json.loads((self.unit_dir(unit) / paths.RESULT).read_text(encoding="utf-8"))

    def history(self, unit: Unit) -> list[dict]:
        return read_csv(self.unit_dir(unit) / paths.HISTORY)

    def rows(self, config: ExperimentConfig) -> list[dict]:
        """Result rows of the finished units, in run order."""
        return [self.result(u) for u in config.units() if self.done(u)]

    def write_results(self, config: ExperimentConfig) -> list[dict]:
        """Rewrite the results CSV and JSON from the finished units."""
        rows = self.rows(config)
        layers = [k for k in (rows[0] if rows else {}) if k.startswith("remaining_")]
        columns = list(RESULT_COLUMNS) + layers
        write_csv(self.path / paths.RESULTS_CSV, rows, columns)
        units = config.units()
        write_json(self.path / paths.RESULTS_JSON, {
            "config": config.to_dict(),
            "units_done": len(rows),
            "units_total": len(units),
            "columns": columns,
            "rows": [{k: _json_float(r.get(k)) for k in columns} for r in rows],
        })
        return rows


def _json_float(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def load_results(path) -> tuple[ExperimentConfig, list[dict]]:
    """(config, finished rows) of a run directory, read from its units."""
    run = RunDir(path)
    if not run.path.exists():
        raise FileNotFoundError(f"{run.path} does not exist")
    if not (run.path / paths.CONFIG).is_file():
        raise FileNotFoundError(f"{run.path} is not an experiment run directory (no {paths.CONFIG})")
    config = run.stored_config()
    return config, run.rows(config)
