"""Engines: where the units of an experiment run. The driver (:func:`..imp.run`) always
writes the run directory; an engine only decides where :meth:`Experiment.train` runs.

* ``local``: one unit after the other in this process (:mod:`.local`);
* ``ray``: every unit whose inputs exist, at once, as Ray tasks on a cluster (:mod:`.ray`).

``ENGINES`` maps a name to its module (imported only when chosen, so Ray stays optional).
Each module has ``Engine(address=None, threads=1, gpus=0, pin=None)`` (refuses bad input with a
ValueError before anything is written) with ``run(experiment, todo, ledger)`` and ``close()``.
"""

from __future__ import annotations

import importlib
import os
import sys

ENGINES = {"local": "lottery_keras.experiment.engines.local", "ray": "lottery_keras.experiment.engines.ray"}


def open_engine(name: str, address: str | None = None, threads: int = 1, gpus: float = 0, pin=None):
    """The engine `name`, connected and checked (ValueError with one clear line if not usable).
    `pin(threads)`: how to fix the math library's threads (default :func:`pin_threads`)."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a whole number >= 1, got {threads!r}")
    if isinstance(gpus, bool) or not isinstance(gpus, (int, float)) or not gpus >= 0:
        raise ValueError(f"gpus must be a number >= 0 (GPUs per unit), got {gpus!r}")
    return importlib.import_module(ENGINES[name]).Engine(address=address, threads=threads, gpus=gpus, pin=pin)


def pin_threads(threads: int) -> bool:
    """Fix TensorFlow's thread pools (and OpenMP's) to `threads`, in every engine alike.

    Conv layers sum in a thread-count-dependent order, so bit-identical numbers need the
    same count everywhere. Works only before TensorFlow starts its runtime; returns
    False when it already runs with other settings (the numbers may then differ).
    """
    if "tensorflow" not in sys.modules:
        os.environ["OMP_NUM_THREADS"] = str(threads)
    from lottery_keras._keras import tf

    threading = tf.config.threading
    try:
        threading.set_intra_op_parallelism_threads(threads)
        threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # the runtime is up: settings are fixed for this process
        pass
    return threading.get_intra_op_parallelism_threads() == threading.get_inter_op_parallelism_threads() == threads


__all__ = ["ENGINES", "open_engine", "pin_threads"]
