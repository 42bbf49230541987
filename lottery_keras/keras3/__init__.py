"""Tickets for Keras 3 models on the JAX, TensorFlow or PyTorch backend, without TF-MOT.

``lk.Ticket(model)`` dispatches here for a Keras 3 model (:mod:`.dispatch`). Keras 3 picks
its backend from ``KERAS_BACKEND`` when it is first imported; nothing here imports
TensorFlow, so on JAX a ticket runs without it.
"""

from lottery_keras._lazy import attach

__getattr__, __dir__ = attach(__name__, {
    **{m: m for m in ("layers", "weights", "ticket", "dispatch", "models", "scoring", "saving")},
    "Ticket": "ticket:Ticket", "is_keras3_model": "dispatch:is_keras3_model",
    "strip": "layers:strip",
})
