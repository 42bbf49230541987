"""What an IMP experiment is: one frozen, validated, JSON-round-tripping dataclass.

Nothing here imports TensorFlow, so the command line can check its options (and
refuse bad ones with one clear line) before the slow import.

An experiment runs levels ``0..levels``. Level 0 trains the dense network once per
replicate; every later level prunes the previous level's trained ``lottery`` network
by magnitude and trains each variant under that sparsity:

* ``lottery``: the IMP ticket, rewound to ``rewind`` ("init", or "500it", "1ep", ...
  captured during level 0);
* ``reinit``: the same mask with freshly drawn initial weights (the LTH control);
* ``random_mask``: a random mask with the same per-layer sparsity, rewound to ``rewind``.

A unit of work is one ``(level, variant, replicate)``; it is what a run directory
records as done, and what a resumed run skips.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from lottery_keras.pruning import rewind_point

VARIANTS = ("lottery", "reinit", "random_mask")
MODELS = ("lenet_300_100", "conv2", "conv4", "conv6")  # = lottery_keras.models.NAMES (checked by a test)
DATASETS = ("mnist-mini", "mnist", "fashion_mnist")
SCOPES = ("layerwise", "global")
OPTIMIZERS = ("adam", "sgd", "momentum")
FORMAT = 1  # version of the run-directory layout written next to the config

_VARIANT_TAG = {name: i for i, name in enumerate(VARIANTS)}


class Unit(NamedTuple):
    """One piece of work: train `variant` at pruning `level` for `replicate`."""

    level: int
    variant: str
    replicate: int

    @property
    def name(self) -> str:
        """The unit's folder inside a run directory, e.g. ``level_03/lottery_r0``."""
        return f"level_{self.level:02d}/{self.variant}_r{self.replicate}"


def derive_seed(*parts) -> int:
    """A 31-bit seed from integers and names (stable across processes and platforms)."""
    ints = [_VARIANT_TAG[p] + 1000 if isinstance(p, str) else int(p) for p in parts]
    return int(np.random.SeedSequence(ints).generate_state(1)[0] >> 1)


@dataclass(frozen=True)
class ExperimentConfig:
    """Everything that determines an experiment's numbers (not where data or output live)."""

    model: str = "lenet_300_100"
    dataset: str = "mnist-mini"
    validation: int | None = None  # held-out images; None: the dataset's default (5,000 / 833)
    levels: int = 8  # pruning rounds after the dense level 0
    rate: float = 0.2  # share of surviving dense weights pruned per level (global: of all weights)
    conv_rate: float = 0.1  # ... of conv weights (layerwise only)
    output_rate: float | None = None  # ... of the output layer; None: half of `rate` (layerwise only)
    scope: str = "layerwise"
    epochs: int | None = 6  # training per level, in passes over the training set ...
    iterations: int | None = None  # ... or in iterations (then `epochs` is None)
    batch_size: int = 60
    optimizer: str = "adam"
    learning_rate: float = 1.2e-3
    rewind: str = "init"
    variants: tuple[str, ...] = VARIANTS
    replicates: int = 1
    seed: int = 0
    eval_every: int = 50  # iterations between metric evaluations
    train_eval_size: int = 2000  # training images (a fixed subset) the train loss/accuracy is measured on

    def __post_init__(self):
        _check_choice("model", self.model, MODELS)
        _check_choice("dataset", self.dataset, DATASETS)
        _check_choice("scope", self.scope, SCOPES)
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_int("levels", self.levels, 0)
        if self.iterations is not None:
            _check_int("iterations", self.iterations, 1)
            object.__setattr__(self, "epochs", None)  # not used: keep it out of the experiment's identity
        else:
            _check_int("epochs", self.epochs, 1)
        if self.validation is not None:
            _check_int("validation", self.validation, 1)
        _check_int("batch_size", self.batch_size, 1)
        _check_int("replicates", self.replicates, 1)
        _check_int("seed", self.seed, 0)
        _check_int("eval_every", self.eval_every, 1)
        _check_int("train_eval_size", self.train_eval_size, 1)
        _check_rate("rate", self.rate, allow_zero=False)
        _check_rate("conv_rate", self.conv_rate)
        if self.output_rate is not None:
            _check_rate("output_rate", self.output_rate)
        lr = self.learning_rate
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
            raise ValueError(f"learning_rate must be a number > 0, got {lr!r}")
        object.__setattr__(self, "learning_rate", float(lr))
        object.__setattr__(self, "rewind", _check_rewind(self.rewind))
        object.__setattr__(self, "variants", _check_variants(self.variants))

    # --- derived quantities --------------------------------------------------------

    @property
    def rewind_name(self) -> str:
        """The snapshot name of the rewind point ("init", "500it", "1ep")."""
        return rewind_point.parse(self.rewind).name

    def iterations_per_level(self, steps_per_epoch: int) -> int:
        """Training iterations per level, counted from iteration 0."""
        return self.iterations if self.iterations is not None else self.epochs * steps_per_epoch

    def rewind_iteration(self, steps_per_epoch: int) -> int:
        """The iteration the ``lottery`` and ``random_mask`` variants restart from."""
        return rewind_point.parse(self.rewind).iteration(steps_per_epoch)

    def check_schedule(self, steps_per_epoch: int) -> None:
        """The rewind point must fall inside one level's training (needs the data size)."""
        total, start = self.iterations_per_level(steps_per_epoch), self.rewind_iteration(steps_per_epoch)
        if start >= total:
            raise ValueError(f"rewind point {self.rewind!r} is iteration {start}, but a level trains for only "
                             f"{total} iterations ({steps_per_epoch} per epoch); rewind earlier or train longer")

    def units(self) -> list[Unit]:
        """All units in the order they run: level by level, replicate by replicate."""
        out = []
        for level in range(self.levels + 1):
            for replicate in range(self.replicates):
                variants = ("lottery",) if level == 0 else self.variants
                out += [Unit(level, v, replicate) for v in variants]
        return out

    def model_seed(self, replicate: int) -> int:
        """Seed of replicate's initial weights W0 (replicate 0 is ``models.get(model, seed)``)."""
        return self.seed + replicate

    def fit_seed(self, unit: Unit) -> int:
        """Seed of the data order of one unit's training."""
        return derive_seed(self.seed, unit.level, unit.variant, unit.replicate, 1)

    def variant_seed(self, unit: Unit) -> int:
        """Seed of the fresh weights (reinit) or the random mask (random_mask) of one unit."""
        return derive_seed(self.seed, unit.level, unit.variant, unit.replicate, 2)

    # --- JSON ----------------------------------------------------------------------

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["variants"] = list(self.variants)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: dict) -> ExperimentConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown experiment settings {unknown}; known: {sorted(known)}")
        data = dict(data)
        if "variants" in data:
            data["variants"] = tuple(data["variants"])
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> ExperimentConfig:
        return cls.from_dict(json.loads(text))

    def differences(self, other: ExperimentConfig) -> list[str]:
        """Human-readable ``name: mine vs theirs`` for every setting that differs."""
        a, b = self.to_dict(), other.to_dict()
        return [f"{k}: {a[k]!r} vs {b[k]!r}" for k in a if a[k] != b[k]]


# --- validation helpers ------------------------------------------------------------

def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(choices)}")


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")


def _check_rate(name, value, allow_zero=True):
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
    low_ok = ok and (value >= 0 if allow_zero else value > 0)
    if not (low_ok and value < 1):
        interval = "[0, 1)" if allow_zero else "(0, 1)"
        raise ValueError(f"{name} must be in {interval} (a share of the surviving weights pruned per level), "
                         f"got {value!r}")


def _check_rewind(value) -> str:
    return rewind_point.parse(value).name  # ints are iterations; raises a clear ValueError


def _check_variants(value) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v for v in value.replace(" ", ",").split(",") if v]
    value = list(value)
    unknown = [v for v in value if v not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown variant {unknown[0]!r}; choose from {', '.join(VARIANTS)}")
    if "lottery" not in value:
        raise ValueError("variants must include 'lottery': its trained weights define the next level's mask")
    return tuple(v for v in VARIANTS if v in value)


__all__ = ["DATASETS", "FORMAT", "MODELS", "OPTIMIZERS", "SCOPES", "VARIANTS", "ExperimentConfig", "Unit",
           "derive_seed"]
