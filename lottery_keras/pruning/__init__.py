"""Masks and what changes them: the numpy mask core, rates, random masks, re-initialisation,
the TF-MOT-wrapped model (and stripping it), snapshots and rewind points, unit and N:M pruning,
and saving a ticket (``checkpoint``).

``layers`` is the one table of layer knowledge (which layers prune, which pass values through).
"""

from lottery_keras._lazy import attach

_MODULES = ("layers", "masks", "rates", "random_mask", "reinitialize", "pruned_model", "snapshot", "snapshot_data",
            "rewind_point", "units", "n_m", "npz", "checkpoint")
__getattr__, __dir__ = attach(__name__, {
    **{m: m for m in _MODULES},
    "prune": "masks:prune", "remaining": "masks:remaining", "Remaining": "masks:Remaining",
    "lth_rates": "rates:lth_rates", "random_masks_like": "random_mask:random_masks_like",
    "fresh_weights": "reinitialize:fresh_weights", "Snapshot": "snapshot_data:Snapshot",
    "RewindPoint": "rewind_point:RewindPoint", "strip": "pruned_model:strip",
    "prune_units": "units:prune_units", "unit_masks": "units:unit_masks",
})
