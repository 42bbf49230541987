"""Pruning criteria: scorers that give every prunable weight a score (low score = pruned first).

A scorer is a callable ``scorer(ticket) -> {layer_name: scores}``. ``CRITERIA`` is the registry
of named criteria (:func:`get` builds one from its name); the gradient-based ones (SNIP, GraSP,
SynFlow) share :mod:`.gradients`.
"""

from lottery_keras._lazy import attach

__getattr__, __dir__ = attach(__name__, {
    "criteria": "criteria", "gradients": "gradients", "snip": "snip", "grasp": "grasp",
    "synflow": "synflow",
    "CRITERIA": "criteria:CRITERIA", "get": "criteria:get", "Magnitude": "criteria:Magnitude",
    "Random": "criteria:Random", "Snip": "snip:Snip", "GraSP": "grasp:GraSP",
    "SynFlow": "synflow:SynFlow", "synflow_prune": "synflow:synflow_prune",
    "loss_gradients": "gradients:loss_gradients",
})
