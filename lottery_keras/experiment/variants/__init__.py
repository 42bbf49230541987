"""Variants: what is trained at each IMP level, one small class per variant.

The registry is a plain dict ``{name: Variant}`` read by the runner (how a unit's
ticket is prepared), the config and command line (the valid names) and the report
(label, colour, marker). Adding a variant: a module with a :class:`Variant` subclass
(a new, never reused `tag`) and a line in ``REGISTRY``. No TensorFlow import here.
"""

from __future__ import annotations

from lottery_keras.experiment.variants.base import Variant
from lottery_keras.experiment.variants.lottery import Lottery
from lottery_keras.experiment.variants.random_mask import RandomMask
from lottery_keras.experiment.variants.random_mask_global import RandomMaskGlobal
from lottery_keras.experiment.variants.reinit import Reinit
from lottery_keras.experiment.variants.sign_reinit import SignReinit

REGISTRY: dict[str, Variant] = {v.name: v for v in (Lottery(), Reinit(), RandomMask(), SignReinit(),
                                                     RandomMaskGlobal())}
NAMES = tuple(REGISTRY)  # run order within a level
DEFAULT = ("lottery", "reinit", "random_mask")  # the LTH paper's ticket and its two controls


def get(name: str) -> Variant:
    """The registered variant called `name` (ValueError naming the choices otherwise)."""
    if name not in REGISTRY:
        raise ValueError(f"unknown variant {name!r}; choose from {', '.join(NAMES)}")
    return REGISTRY[name]


__all__ = ["DEFAULT", "NAMES", "REGISTRY", "Variant", "get"]
