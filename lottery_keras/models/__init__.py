"""Models: the LTH paper's networks (:mod:`.lth`), built from a seed; ``get(name)`` by name.

``REGISTRY`` names every builder; importing this package does not import TensorFlow.
"""

from lottery_keras._lazy import attach

INPUT_SHAPE = (28, 28)
REGISTRY = {"lenet_300_100": "lth:lenet_300_100", "conv2": "lth:conv2", "conv4": "lth:conv4",
            "conv6": "lth:conv6"}
NAMES = tuple(REGISTRY)

__getattr__, __dir__ = attach(__name__, {"lth": "lth", **REGISTRY})


def get(name: str, seed: int = 0, **kwargs):
    """Build a model by name (one of NAMES)."""
    if name not in REGISTRY:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(NAMES)}")
    return __getattr__(name)(seed=seed, **kwargs)
