"""Every file name of a run directory, defined once (read by run_dir, imp and report).

Layout (``DIR`` is what ``--out`` names)::

    DIR/config.json                       the experiment (written first; a rerun must match it)
    DIR/replicate_0/init.npz              W0 of replicate 0 (all weights)
    DIR/replicate_0/rewind_500it.npz      the rewind point captured in level 0 (late rewinding only)
    DIR/level_03/lottery_r0/mask.npz      that unit's masks, uint8 {layer: 0/1}
    DIR/level_03/lottery_r0/history.csv   metrics every `eval_every` iterations
    DIR/level_03/lottery_r0/weights.npz   the trained weights at the end of training
    DIR/level_03/lottery_r0/timing.json   wall time (kept out of the results: it never repeats)
    DIR/level_03/lottery_r0/result.json   the unit's results row, written last: the unit is done
    DIR/results.csv, DIR/results.json     one row per finished unit, in run order
    DIR/report/accuracy.png, ...          what ``lottery-keras report`` writes
"""

from __future__ import annotations

from pathlib import Path

CONFIG = "config.json"
RESULTS_CSV = "results.csv"
RESULTS_JSON = "results.json"
TMP_SUFFIX = ".tmp"  # atomic writes go to ``.NAME.XXXX.tmp`` first

# per replicate
INIT = "init.npz"

# per unit
MASK = "mask.npz"
HISTORY = "history.csv"
WEIGHTS = "weights.npz"
TIMING = "timing.json"
RESULT = "result.json"
UNIT_FILES = (HISTORY, MASK, RESULT, TIMING, WEIGHTS)

# the report
REPORT = "report"
ACCURACY_PLOT = "accuracy.png"
EARLY_STOP_PLOT = "early_stop.png"
LEARNING_CURVES_PLOT = "learning_curves.png"
TABLE = "table.txt"
PAPER_CHECK = "paper_check.md"


def unit(level: int, variant: str, replicate: int) -> str:
    """A unit's folder relative to the run directory, e.g. ``level_03/lottery_r0``."""
    return f"level_{level:02d}/{variant}_r{replicate}"


def replicate(index: int) -> str:
    """A replicate's folder (its W0 and rewind point), e.g. ``replicate_0``."""
    return f"replicate_{index}"


def rewind(name: str) -> str:
    """The file of a rewind snapshot inside a replicate's folder, e.g. ``rewind_500it.npz``."""
    return f"rewind_{name}.npz"


def report(run_dir) -> Path:
    """The default report folder of a run directory."""
    return Path(run_dir) / REPORT
