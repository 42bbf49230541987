"""The LTH paper's settings per model (Frankle & Carbin, ICLR 2019, Figure 2 and Appendix G).

An :class:`~lottery_keras.experiment.config.ExperimentConfig` option left unset (None)
takes the model's value from here: pruning rates, Adam learning rate, evaluation interval,
and, with ``iterations="paper"``, the training length. All four networks train with Adam
at batch size 60 and prune the output layer at half the dense rate (10%).
"""

from __future__ import annotations

from typing import NamedTuple


class PaperSettings(NamedTuple):
    title: str  # how the paper names the network
    rate: float  # share of each dense layer's surviving weights pruned per round
    conv_rate: float  # ... of each conv layer's (no conv layers in LeNet-300-100)
    learning_rate: float  # Adam
    iterations: int  # training iterations per round


EVAL_EVERY = 100  # iterations between evaluations (Appendix G.1)
BATCH_SIZE = 60

SETTINGS = {
    "lenet_300_100": PaperSettings("LeNet-300-100", 0.2, 0.1, 1.2e-3, 50_000),
    "conv2": PaperSettings("Conv-2", 0.2, 0.1, 2e-4, 20_000),
    "conv4": PaperSettings("Conv-4", 0.2, 0.1, 3e-4, 25_000),
    "conv6": PaperSettings("Conv-6", 0.2, 0.15, 3e-4, 30_000),
}


def settings(model: str) -> PaperSettings:
    return SETTINGS[model]


def describe(attribute: str) -> str:
    """``"lenet_300_100 0.0012, conv2 0.0002, ..."``: one setting for every model (for --help)."""
    values = {getattr(s, attribute) for s in SETTINGS.values()}
    if len(values) == 1:
        return f"{values.pop():g} for every model"
    return ", ".join(f"{model} {getattr(s, attribute):g}" for model, s in SETTINGS.items())
