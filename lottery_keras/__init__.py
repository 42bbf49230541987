"""lottery_keras: Lottery Ticket Hypothesis experiments on tf_keras + TF-MOT.

The public namespace is small: :class:`Ticket` and the folders that name the parts
(``data``, ``models``, ``pruning``, ``scoring``, ``analysis``, ``acceleration``,
``experiment``, ``course``), plus ``keras`` and ``tf``, the Keras 2 (`tf_keras`) and
TensorFlow modules the library itself uses. Importing the package sets
``TF_USE_LEGACY_KERAS=1`` first, so TensorFlow (and TF-MOT) use Keras 2; nothing heavy
loads until a name is used, so ``import lottery_keras`` and the CLI's ``--help`` stay quick.
TensorFlow's C++ log lines stay off stderr unless ``LOTTERY_KERAS_VERBOSE=1`` (see ``_tf_log``).
"""

from __future__ import annotations

import importlib
import os

from lottery_keras import _moved, _tf_log
from lottery_keras._lazy import attach

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
_tf_log.install()  # TensorFlow's C++ log lines stay quiet unless asked for (see _tf_log)

__version__ = "0.2.0"

_PUBLIC = {
    "Ticket": "keras3.dispatch:Ticket", "keras": "_keras:keras", "tf": "_keras:tf",
    **{name: name for name in ("ticket", "keras3", "data", "models", "pruning", "scoring", "analysis",
                               "acceleration", "experiment", "course", "cli")},
}
_public_getattr, __dir__ = attach(__name__, _PUBLIC)
_moved.install()


def __getattr__(name):
    if name in _moved.MOVED:  # lk.masks and friends: the 0.1 flat names, deprecated
        return importlib.import_module(_moved.new_name(name))
    return _public_getattr(name)
