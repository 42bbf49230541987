"""`lottery-keras run` and `lottery-keras report` (no TensorFlow import until a command runs).

The options of ``run`` are generated from :class:`ExperimentConfig`'s fields: name,
help text, parser, choices and what an unset option means all live in the field's
metadata, and ``ExperimentConfig.__post_init__`` is the only validator (its errors are
shown as ``argument --option: ...``, one line, exit code 2).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
from pathlib import Path

from lottery_keras.experiment.config import ConfigError, ExperimentConfig


def flag(name: str) -> str:
    """The command-line option of a config field (``learning_rate`` -> ``--lr``)."""
    field = next(f for f in dataclasses.fields(ExperimentConfig) if f.name == name)
    return field.metadata.get("flag") or "--" + name.replace("_", "-")


def _arg_type(parse):
    def convert(text):
        try:
            return parse(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
    convert.__name__ = parse.__name__  # argparse names the type in its messages
    return convert


def _default_text(field) -> str:
    unset = field.metadata.get("unset")
    if unset is not None:
        return unset
    default = field.default
    return ",".join(default) if isinstance(default, tuple) else str(default)


def add_config_options(parser) -> None:
    """One option per config field; each defaults to None, meaning "not given"."""
    for field in dataclasses.fields(ExperimentConfig):
        meta = field.metadata
        text = f"{meta['help']} (default: {_default_text(field)})".replace("%", "%%")
        kwargs = {"choices": meta["choices"]} if meta["choices"] else {"type": _arg_type(meta["parse"])}
        parser.add_argument(flag(field.name), dest=field.name, default=None, metavar=meta["metavar"], help=text,
                            **kwargs)


def config_from_args(args) -> ExperimentConfig:
    """The config of the options given; a bad value raises ValueError ``argument --option: ...``."""
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(ExperimentConfig)}
    try:
        return ExperimentConfig(**{k: v for k, v in given.items() if v is not None})
    except ConfigError as err:
        raise ValueError(f"argument {flag(err.field)}: {_in_flags(err)}") from None


def _in_flags(err: ConfigError) -> str:
    """The error text with setting names spelled as options (``epochs`` -> ``--epochs``)."""
    text = str(err)
    if text.startswith(err.field + " must "):  # "levels must be >= 0" -> "argument --levels: must be >= 0"
        text = text[len(err.field) + 1:]
    for name in err.mentions:
        text = re.sub(rf"\b{name}\b", flag(name), text)
    return text


def add_parser(sub) -> None:
    p = sub.add_parser(
        "run",
        help="run (or resume) an iterative-magnitude-pruning experiment with the LTH controls",
        description="Iterative magnitude pruning, levels 0..LEVELS. Each level trains the variants under the "
                    "same sparsity (see --variants). Results go to --out; running the same command again resumes "
                    "an interrupted run. Defaults marked 'paper' are the LTH paper's value for --model "
                    "(Frankle & Carbin 2019); the demo's 6 epochs per level are not: --iterations paper trains "
                    "as long as the paper did.",
    )
    add_config_options(p)
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help="folder holding mnist/ and fashion-mnist/ IDX files (default: $LOTTERY_KERAS_DATA)")
    p.add_argument("--out", default="runs/demo", metavar="DIR",
                   help="run directory, created or resumed (default: runs/demo)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    add_engine_arguments(p)
    p.set_defaults(func=run_command)

    r = sub.add_parser("report", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       help="plots (PNG) and a table of an experiment's results",
                       description="Writes accuracy.png, early_stop.png, learning_curves.png and table.txt "
                                   "(and, for the paper's LeNet-300-100 on MNIST, paper_check.md: the run "
                                   "against the paper's reported results) for a run directory, or for several "
                                   "of one experiment pooled, and prints the table.")
    r.add_argument("run_dir", metavar="DIR", nargs="+",
                   help="a run directory written by lottery-keras run; several of one experiment (differing "
                        "only in --seed and --replicates) are pooled as replicates")
    r.add_argument("--out", default=None, metavar="DIR", help="where the plots go (default: the first DIR/report)")
    r.add_argument("--levels", default=None, metavar="LIST",
                   help="comma-separated levels for the learning curves (default: the levels nearest the "
                        "paper's 100, 51, 21, 7 and 3.6%% remaining that the run reaches, and its sparsest)")
    r.set_defaults(func=report_command)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text!r}")
    return value


def add_engine_arguments(p) -> None:
    """Where units run: run options, not part of the experiment (config.json does not record them)."""
    from lottery_keras.experiment.engines import ENGINES

    p.add_argument("--engine", choices=list(ENGINES), default="local",
                   help="local: units one after the other here; ray: units whose inputs exist in parallel, "
                        "as Ray tasks on the cluster at --address (pip install 'lottery_keras[ray]')")
    p.add_argument("--address", default=None, metavar="HOST:PORT",
                   help="Ray cluster to use (what `ray start --head` prints, or auto); default: a Ray cluster "
                        "running on this machine, else a new one just for this run")
    p.add_argument("--threads", type=_positive_int, default=1, metavar="N",
                   help="TensorFlow threads (and CPUs requested) per unit; runs with the same value give the "
                        "same numbers on either engine")
    p.add_argument("--gpus", type=float, default=0, metavar="G", help="GPUs requested per unit (--engine ray)")


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
