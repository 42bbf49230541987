"""Old flat import paths (lottery_keras 0.1) kept working for one release, with a DeprecationWarning.

``MOVED`` is the one table of where each module went. A meta-path finder serves
``import lottery_keras.masks`` with the module at its new place; ``lk.masks`` resolves through
the package ``__getattr__``. Remove both in 0.3.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

MOVED = {
    "masks": "pruning.masks", "rates": "pruning.rates", "random_mask": "pruning.random_mask",
    "reinitialize": "pruning.reinitialize", "pruned_model": "pruning.pruned_model",
    "snapshot": "pruning.snapshot", "rewind_point": "pruning.rewind_point", "n_m_sparsity": "pruning.n_m",
    "gradients": "scoring.gradients", "snip": "scoring.snip", "grasp": "scoring.grasp",
    "synflow": "scoring.synflow", "early_bird": "analysis.early_bird",
    "interpolation": "analysis.interpolation", "flops": "analysis.flops", "datasets": "data",
    "idx": "data.idx", "export": "acceleration.export", "litert": "acceleration.litert",
    "compaction": "acceleration.compaction", "xnnpack_sparse": "acceleration.xnnpack_model",
    "info": "cli.info", "experiment.cli": "cli.experiment", "course.cli": "cli.course",
}
_PACKAGE = __name__.rpartition(".")[0]


def new_name(old: str) -> str:
    """Warn that `old` (relative to the package) moved, and return the new module's full name."""
    new = f"{_PACKAGE}.{MOVED[old]}"
    warnings.warn(f"{_PACKAGE}.{old} moved to {new}; the old path goes away in 0.3",
                  DeprecationWarning, stacklevel=3)
    return new


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        prefix = _PACKAGE + "."
        if fullname.startswith(prefix) and fullname[len(prefix):] in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        # importlib returns whatever sits in sys.modules under the old name after this call.
        sys.modules[module.__name__] = importlib.import_module(new_name(module.__name__[len(_PACKAGE) + 1:]))


def install() -> None:
    if not any(isinstance(f, _Alias) for f in sys.meta_path):
        sys.meta_path.append(_Alias())
