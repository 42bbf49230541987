"""`lottery-keras run` and `lottery-keras report` (no TensorFlow import until a command runs)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from lottery_keras.experiment.config import DATASETS, MODELS, OPTIMIZERS, SCOPES, VARIANTS, ExperimentConfig

_D = ExperimentConfig()  # the defaults shown in --help


class _Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows every default, except where the help text already spells it out."""

    def _get_help_string(self, action):
        if action.default is None and "default:" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def _int_at_least(minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value
    return parse


def _rate(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1) (a share of the surviving weights), got {text}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _variants(text):
    names = [v for v in text.replace(" ", ",").split(",") if v]
    unknown = [v for v in names if v not in VARIANTS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown variant {unknown[0]!r}; choose from {', '.join(VARIANTS)}")
    if "lottery" not in names:
        raise argparse.ArgumentTypeError("must include 'lottery' (its trained weights define the next level's mask)")
    return tuple(names)


def _rewind(text):
    from lottery_keras.pruning import rewind_point

    try:
        return rewind_point.parse(text).name
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def add_parser(sub) -> None:
    p = sub.add_parser(
        "run", formatter_class=_Formatter,
        help="run (or resume) an iterative-magnitude-pruning experiment with the LTH controls",
        description="Iterative magnitude pruning, levels 0..LEVELS. Each level trains the variants under the "
                    "same sparsity: lottery (the IMP ticket rewound to --rewind), reinit (same mask, fresh "
                    "weights) and random_mask (random mask, same per-layer sparsity). Results go to --out; "
                    "running the same command again resumes an interrupted run.",
    )
    p.add_argument("--model", choices=MODELS, default=_D.model, help="network")
    p.add_argument("--dataset", choices=DATASETS, default=_D.dataset,
                   help="mnist-mini is bundled; mnist and fashion_mnist are looked for in --data-dir, "
                        "$LOTTERY_KERAS_DATA, the Keras cache")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help="folder holding mnist/ and fashion-mnist/ IDX files (default: $LOTTERY_KERAS_DATA)")
    p.add_argument("--validation", type=_int_at_least(1), default=None, metavar="N",
                   help="training images held out for validation (default: 5000 for the full datasets, "
                        "833 for mnist-mini)")
    p.add_argument("--levels", type=_int_at_least(0), default=_D.levels, metavar="N",
                   help="pruning levels after the dense level 0")
    p.add_argument("--rate", type=_rate, default=_D.rate, metavar="R",
                   help="share of the surviving dense-layer weights pruned per level (with --scope global: "
                        "of all surviving weights)")
    p.add_argument("--conv-rate", type=_rate, default=_D.conv_rate, metavar="R",
                   help="share of the surviving conv-layer weights pruned per level")
    p.add_argument("--output-rate", type=_rate, default=None, metavar="R",
                   help="share of the surviving output-layer weights pruned per level (default: half of --rate)")
    p.add_argument("--scope", choices=SCOPES, default=_D.scope,
                   help="prune each layer at its own rate, or all weights pooled")
    p.add_argument("--epochs", type=_int_at_least(1), default=_D.epochs, metavar="N",
                   help="training per level, in epochs")
    p.add_argument("--iterations", type=_int_at_least(1), default=None, metavar="N",
                   help="training per level in iterations, instead of --epochs (default: use --epochs)")
    p.add_argument("--batch-size", type=_int_at_least(1), default=_D.batch_size, metavar="N", help="batch size")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=_D.optimizer,
                   help="optimizer (momentum = SGD with momentum 0.9)")
    p.add_argument("--lr", type=_positive_float, default=_D.learning_rate, metavar="LR", help="learning rate")
    p.add_argument("--rewind", type=_rewind, default=_D.rewind, metavar="POINT",
                   help="where lottery and random_mask restart: init, or a point of level 0's training such "
                        "as 500it or 1ep (late rewinding)")
    p.add_argument("--variants", type=_variants, default=",".join(_D.variants), metavar="LIST",
                   help=f"comma-separated, from {', '.join(VARIANTS)}; must include lottery")
    p.add_argument("--replicates", type=_int_at_least(1), default=_D.replicates, metavar="N",
                   help="independent repeats, each with its own initial weights (seed + replicate) and data order")
    p.add_argument("--seed", type=_int_at_least(0), default=_D.seed, metavar="N", help="base random seed")
    p.add_argument("--eval-every", type=_int_at_least(1), default=_D.eval_every, metavar="N",
                   help="iterations between evaluations of train/validation/test loss and accuracy")
    p.add_argument("--train-eval-size", type=_int_at_least(1), default=_D.train_eval_size, metavar="N",
                   help="training images (a fixed subset) the train loss and accuracy are measured on")
    p.add_argument("--out", default="runs/demo", metavar="DIR", help="run directory (created, or resumed)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    add_engine_arguments(p)
    p.set_defaults(func=run_command)

    r = sub.add_parser("report", formatter_class=_Formatter,
                       help="plots (PNG) and a table of an experiment's results",
                       description="Writes accuracy.png, early_stop.png, learning_curves.png and table.txt "
                                   "for a run directory, and prints the table.")
    r.add_argument("run_dir", metavar="DIR", help="a run directory written by lottery-keras run")
    r.add_argument("--out", default=None, metavar="DIR", help="where the plots go (default: DIR/report)")
    r.add_argument("--levels", default=None, metavar="LIST",
                   help="comma-separated levels for the learning curves (default: up to 5 levels near the "
                        "paper's 100, 51, 21, 7 and 3.6%% remaining)")
    r.set_defaults(func=report_command)


def add_engine_arguments(p) -> None:
    """Where units run: run options, not part of the experiment (config.json does not record them)."""
    from lottery_keras.experiment.engines import ENGINES

    p.add_argument("--engine", choices=list(ENGINES), default="local",
                   help="local: units one after the other here; ray: units whose inputs exist in parallel, "
                        "as Ray tasks on the cluster at --address (pip install 'lottery_keras[ray]')")
    p.add_argument("--address", default=None, metavar="HOST:PORT",
                   help="Ray cluster to use (what `ray start --head` prints, or auto); default: a Ray cluster "
                        "running on this machine, else a new one just for this run")
    p.add_argument("--threads", type=_int_at_least(1), default=1, metavar="N",
                   help="TensorFlow threads (and CPUs requested) per unit; runs with the same value give the "
                        "same numbers on either engine")
    p.add_argument("--gpus", type=float, default=0, metavar="G", help="GPUs requested per unit (--engine ray)")


def config_from_args(args) -> ExperimentConfig:
    variants = args.variants if isinstance(args.variants, tuple) else _variants(args.variants)
    return ExperimentConfig(
        model=args.model, dataset=args.dataset, validation=args.validation, levels=args.levels, rate=args.rate,
        conv_rate=args.conv_rate, output_rate=args.output_rate, scope=args.scope, epochs=args.epochs,
        iterations=args.iterations, batch_size=args.batch_size, optimizer=args.optimizer,
        learning_rate=args.lr, rewind=args.rewind, variants=variants, replicates=args.replicates,
        seed=args.seed, eval_every=args.eval_every, train_eval_size=args.train_eval_size,
    )


def _check_data_dir(data_dir) -> None:
    if data_dir is None:
        return
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(f"--data-dir {data_dir}: no such folder")
    if not os.access(path, os.R_OK | os.X_OK):
        raise ValueError(f"--data-dir {data_dir}: folder is not readable")


def run_command(args) -> int:
    config = config_from_args(args)
    _check_data_dir(args.data_dir)
    from lottery_keras.experiment.imp import run
    from lottery_keras.experiment.progress import Progress

    try:
        run(config, args.out, data_dir=args.data_dir, progress=Progress(quiet=args.quiet),
            engine=args.engine, address=args.address, threads=args.threads, gpus=args.gpus)
    except KeyboardInterrupt:
        print(f"\ninterrupted; run the same command again to continue from the last finished unit in {args.out}",
              file=sys.stderr)
        return 130
    return 0


def report_command(args) -> int:
    from lottery_keras.experiment.report import make_report

    levels = None
    if args.levels:
        try:
            levels = [int(v) for v in args.levels.split(",") if v.strip()]
        except ValueError:
            raise ValueError(f"--levels must be comma-separated whole numbers, got {args.levels!r}") from None
    make_report(args.run_dir, out=args.out, levels=levels, echo=True)
    return 0
