"""Course tools: exercise generation, student feedback helpers, notebook timing.

``lottery_keras.course.feedback``  helpers for the visible tests students run (``check_close`` ...)
``lottery_keras.course.build``     ``solutions/`` -> ``exercises/`` exactly as nbgrader's
                                   ``generate_assignment`` would write them
``lottery_keras.course.execute``   run a notebook top to bottom with nbclient (fast or default mode)
``lottery_keras.course.timing``    ``lottery-keras course time``: the runtime table

None of these import TensorFlow, so the command line stays quick.
"""

from __future__ import annotations

FAST_ENV = "LOTTERY_KERAS_FAST"


def fast_mode() -> bool:
    """True when notebooks should shrink epochs, levels and data (``LOTTERY_KERAS_FAST=1``)."""
    import os

    return os.environ.get(FAST_ENV, "").strip().lower() not in ("", "0", "false", "no")
