"""Course tools: exercise generation, student feedback helpers, notebook timing.

``lottery_keras.course.feedback``  the checks graded cells run (``check_close`` ...)
``lottery_keras.course.guard``     what makes those checks trustworthy: a seal of numpy, builtins
                                   and lottery_keras, the grading kernel's watchdog, plain answers
``lottery_keras.course.build``     ``solutions/`` -> ``exercises/`` exactly as nbgrader's
                                   ``generate_assignment`` would write them
``lottery_keras.course.validate``  the checks of a source notebook done before building
``lottery_keras.course.grade``     ``lottery-keras course grade``: nbgrader autograde with the
                                   execution step in ``lottery_keras.course.sandbox`` (bubblewrap)
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
