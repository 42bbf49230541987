"""What an IMP experiment is: one frozen, validated, JSON-round-tripping dataclass.

Nothing here imports TensorFlow, so the command line can check its options (and
refuse bad ones with one clear line) before the slow import. Each field carries its
``--help`` text and command-line parser in its metadata (the ``run`` command is
generated from them, :mod:`lottery_keras.cli.experiment`); ``__post_init__`` is the
only validator.

An experiment runs levels ``0..levels``. Level 0 trains the dense network once per
replicate; every later level prunes the previous level's trained ``lottery`` network
by magnitude and trains each variant (:mod:`.variants`) under that sparsity.

Options left at None take the model's value from the LTH paper (:mod:`.paper`) and
are stored resolved, so ``config.json`` says what was used. Training length is
``epochs`` (6 unless ``iterations`` is given: the demo's) or ``iterations``
(``"paper"``: the model's paper value), never both.

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

from lottery_keras import data, models
from lottery_keras.experiment import paper, paths
from lottery_keras.experiment import variants as variants_lib
from lottery_keras.experiment.options import (
    ConfigError,
    check_choice,
    check_int,
    check_rate,
    levels_list,
    number,
    option,
    whole,
    whole_or_paper,
)
from lottery_keras.pruning import rewind_point

VARIANTS = variants_lib.DEFAULT  # the default variants (every registered one: variants.NAMES)
MODELS = models.NAMES
DATASETS = data.NAMES
SCOPES = ("layerwise", "global")
OPTIMIZERS = ("adam", "sgd", "momentum")
KERAS = ("2", "3")  # 2: tf_keras with TF-MOT wrappers (the course's path); 3: Keras 3 masked layers
BACKENDS = {"2": ("tensorflow",), "3": ("jax", "tensorflow", "torch")}  # the first is the default
DEMO_EPOCHS = 6  # training per level when neither epochs nor iterations is given
FORMAT = 1  # version of the run-directory layout written next to the config


class Unit(NamedTuple):
    """One piece of work: train `variant` at pruning `level` for `replicate`."""

    level: int
    variant: str
    replicate: int

    @property
    def name(self) -> str:
        """The unit's folder inside a run directory, e.g. ``level_03/lottery_r0``."""
        return paths.unit(*self)


def derive_seed(*parts) -> int:
    """A 31-bit seed from integers and variant names (stable across processes and platforms)."""
    ints = [variants_lib.get(p).tag + 1000 if isinstance(p, str) else int(p) for p in parts]
    return int(np.random.SeedSequence(ints).generate_state(1)[0] >> 1)


@dataclass(frozen=True)
class ExperimentConfig:
    """Everything that determines an experiment's numbers (not where data or output live)."""

    model: str = option("lenet_300_100", "network; the defaults marked 'paper' follow it", choices=MODELS,
                        metavar=None)
    dataset: str = option("mnist-mini", "mnist-mini is bundled; mnist and fashion_mnist are looked for in "
                          "--data-dir, $LOTTERY_KERAS_DATA, the Keras cache", choices=DATASETS, metavar=None)
    validation: int | None = option(None, "training images held out for validation", parse=whole,
                                    unset="5000 for the full datasets, 833 for mnist-mini")
    levels: int = option(8, "pruning levels after the dense level 0", parse=whole)
    rate: float | None = option(None, "share of the surviving dense-layer weights pruned per level (with "
                                "--scope global: of all surviving weights)", parse=number, metavar="R",
                                unset=f"paper: {paper.describe('rate')}")
    conv_rate: float | None = option(None, "share of the surviving conv-layer weights pruned per level "
                                     "(layerwise only)", parse=number, metavar="R",
                                     unset=f"paper: {paper.describe('conv_rate')}")
    output_rate: float | None = option(None, "share of the surviving output-layer weights pruned per level "
                                       "(layerwise only)", parse=number, metavar="R",
                                       unset="half of --rate: the paper's 10%")
    scope: str = option("layerwise", "prune each layer at its own rate, or all weights pooled", choices=SCOPES,
                        metavar=None)
    epochs: int | None = option(None, "training per level, in passes over the training set", parse=whole,
                                unset=f"{DEMO_EPOCHS} unless --iterations is given")
    iterations: int | str | None = option(None, "training per level in iterations instead of --epochs; 'paper' "
                                          f"for the model's paper value ({paper.describe('iterations')})",
                                          parse=whole_or_paper, metavar="N|paper",
                                          unset="use --epochs")
    batch_size: int = option(paper.BATCH_SIZE, "batch size", parse=whole)
    optimizer: str = option("adam", "optimizer (momentum = SGD with momentum 0.9)", choices=OPTIMIZERS,
                            metavar=None)
    learning_rate: float | None = option(None, "learning rate", parse=number, metavar="LR", flag="--lr",
                                         unset=f"paper, Adam only: {paper.describe('learning_rate')}")
    rewind: str = option("init", "where lottery and the random masks restart (re-initialised variants start "
                         "at 0): init, or a point of level 0's training such as 500it or 1ep (late rewinding)",
                         metavar="POINT")
    variants: tuple[str, ...] = option(VARIANTS, "comma-separated, from "
                                       + "; ".join(f"{v.name} ({v.description})" for v in
                                                   variants_lib.REGISTRY.values()) + "; must include lottery",
                                       metavar="LIST")
    replicates: int = option(1, "independent repeats, each with its own initial weights (seed + replicate) "
                             "and data order", parse=whole)
    seed: int = option(0, "base random seed", parse=whole)
    eval_every: int | None = option(None, "iterations between evaluations of train/validation/test loss and "
                                    "accuracy", parse=whole, unset=f"paper: {paper.EVAL_EVERY}")
    control_levels: tuple[int, ...] | None = option(None, "comma-separated levels at which the variants other "
                                                    "than lottery are trained (lottery trains at every level)",
                                                    parse=levels_list, metavar="LIST", unset="every level")
    keras: str = option("2", "2: tf_keras with TF-MOT wrappers (what the course uses); 3: Keras 3 with masked "
                        "layers, on --backend", choices=KERAS, metavar=None)
    backend: str | None = option(None, "Keras 3 backend (Keras 2 runs on tensorflow)",
                                 choices=sorted({b for names in BACKENDS.values() for b in names}), metavar=None,
                                 unset="tensorflow for --keras 2, jax for --keras 3")
    train_eval_size: int = option(2000, "training images (a fixed subset) the train loss and accuracy are "
                                  "measured on", parse=whole)

    def __post_init__(self):
        check_choice("model", self.model, MODELS)
        check_choice("dataset", self.dataset, DATASETS)
        check_choice("scope", self.scope, SCOPES)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("keras", self.keras, KERAS)
        self._default("backend", BACKENDS[self.keras][0])
        if self.backend not in BACKENDS[self.keras]:
            raise ConfigError("backend", f"backend {self.backend!r} needs keras 3 (keras {self.keras} runs on "
                              f"{', '.join(BACKENDS[self.keras])})", ("keras",))
        settings = paper.settings(self.model)
        self._default("rate", settings.rate)
        self._default("conv_rate", settings.conv_rate)
        self._default("eval_every", paper.EVAL_EVERY)
        if self.learning_rate is None:
            if self.optimizer != "adam":
                raise ConfigError("learning_rate", f"learning_rate must be given for optimizer {self.optimizer!r} "
                                  "(the paper's values are for Adam)", ("optimizer",))
            self._set("learning_rate", settings.learning_rate)
        check_int("levels", self.levels, 0)
        if self.iterations is not None:
            if self.epochs is not None:
                raise ConfigError("epochs", "epochs must not be given with iterations (a level trains for one "
                                  "or the other)", ("iterations",))
            if self.iterations == "paper":
                self._set("iterations", settings.iterations)
            check_int("iterations", self.iterations, 1)
        else:
            self._default("epochs", DEMO_EPOCHS)
            check_int("epochs", self.epochs, 1)
        if self.validation is not None:
            check_int("validation", self.validation, 1)
        for name in ("batch_size", "replicates", "eval_every", "train_eval_size"):
            check_int(name, getattr(self, name), 1)
        check_int("seed", self.seed, 0)
        check_rate("rate", self.rate, allow_zero=False)
        check_rate("conv_rate", self.conv_rate)
        if self.output_rate is not None:
            check_rate("output_rate", self.output_rate)
        lr = self.learning_rate
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
            raise ConfigError("learning_rate", f"learning_rate must be a number > 0, got {lr!r}")
        self._set("learning_rate", float(lr))
        self._set("rewind", _check_rewind(self.rewind))
        self._set("variants", _check_variants(self.variants))
        if self.control_levels is not None:
            self._set("control_levels", _check_control_levels(self.control_levels, self.levels))

    def _set(self, name, value) -> None:
        object.__setattr__(self, name, value)

    def _default(self, name, value) -> None:
        if getattr(self, name) is None:
            self._set(name, value)

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
            raise ConfigError("rewind", f"rewind point {self.rewind!r} is iteration {start}, but a level trains "
                              f"for only {total} iterations ({steps_per_epoch} per epoch); rewind earlier or "
                              "train longer")

    def units(self) -> list[Unit]:
        """All units in the order they run: level by level, replicate by replicate."""
        out = []
        for level in range(self.levels + 1):
            for replicate in range(self.replicates):
                names = self.variants if self.trains_controls(level) else ("lottery",)
                out += [Unit(level, v, replicate) for v in names]
        return out

    def trains_controls(self, level: int) -> bool:
        """True if the variants besides lottery train at `level` (never at the dense level 0)."""
        return level > 0 and (self.control_levels is None or level in self.control_levels)

    def model_seed(self, replicate: int) -> int:
        """Seed of replicate's initial weights W0 (replicate 0 is ``models.get(model, seed)``)."""
        return self.seed + replicate

    def fit_seed(self, unit: Unit) -> int:
        """Seed of the data order of one unit's training."""
        return derive_seed(self.seed, unit.level, unit.variant, unit.replicate, 1)

    def variant_seed(self, unit: Unit) -> int:
        """Seed of the variant's own random choices (fresh weights, random mask) in one unit."""
        return derive_seed(self.seed, unit.level, unit.variant, unit.replicate, 2)

    # --- JSON ----------------------------------------------------------------------

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["variants"] = list(self.variants)
        if self.control_levels is not None:
            out["control_levels"] = list(self.control_levels)
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
        for name in ("variants", "control_levels"):
            if isinstance(data.get(name), list):
                data[name] = tuple(data[name])
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> ExperimentConfig:
        return cls.from_dict(json.loads(text))

    def differences(self, other: ExperimentConfig) -> list[str]:
        """Human-readable ``name: mine vs theirs`` for every setting that differs."""
        a, b = self.to_dict(), other.to_dict()
        return [f"{k}: {a[k]!r} vs {b[k]!r}" for k in a if a[k] != b[k]]


# --- validation helpers ------------------------------------------------------------

def _check_rewind(value) -> str:
    try:
        return rewind_point.parse(value).name  # ints are iterations
    except (TypeError, ValueError) as err:
        raise ConfigError("rewind", str(err)) from None


def _check_control_levels(value, levels: int) -> tuple[int, ...]:
    if isinstance(value, str):
        value = levels_list(value)
    value = tuple(value)
    for level in value:
        if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or not 1 <= level <= levels:
            raise ConfigError("control_levels", f"control_levels must be between 1 and levels={levels}, "
                              f"got {level!r}", ("levels",))
    return tuple(sorted({int(level) for level in value}))


def _check_variants(value) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v for v in value.replace(" ", ",").split(",") if v]
    value = list(value)
    unknown = [v for v in value if v not in variants_lib.REGISTRY]
    if unknown:
        raise ConfigError("variants", f"unknown variant {unknown[0]!r}; choose from "
                          f"{', '.join(variants_lib.NAMES)}")
    if "lottery" not in value:
        raise ConfigError("variants", "variants must include 'lottery': its trained weights define the next "
                          "level's mask")
    return tuple(v for v in variants_lib.NAMES if v in value)


__all__ = ["BACKENDS", "DATASETS", "DEMO_EPOCHS", "FORMAT", "KERAS", "MODELS", "OPTIMIZERS", "SCOPES", "VARIANTS",
           "ConfigError", "ExperimentConfig", "Unit", "derive_seed"]
