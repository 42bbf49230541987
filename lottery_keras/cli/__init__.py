"""The `lottery-keras` command line.

Each command lives in its own module with an ``add_parser(subparsers)`` function;
this file only collects them, adds ``--version`` and ``--verbose`` (TensorFlow's C++
log lines, hidden by default) and turns a missing dataset into advice in CLI terms.
Modules are imported lazily-cheap: none of them may import TensorFlow at import time,
so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from lottery_keras import __version__, _tf_log
from lottery_keras.data.sources import DatasetNotFound

COMMAND_MODULES = [
    "lottery_keras.cli.info",
    "lottery_keras.cli.course",
    "lottery_keras.cli.experiment",
]
_VERBOSE_HELP = "show TensorFlow's C++ log lines (hidden by default; same as LOTTERY_KERAS_VERBOSE=1)"


class _Parser(argparse.ArgumentParser):
    """argparse that prints one clear line and exits with code 2 on bad input."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lottery-keras",
        description="Lottery Ticket Hypothesis experiments and course tools.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"lottery-keras {__version__}")
    parser.add_argument("--verbose", action="store_true", help=_VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(sub)
    _add_verbose(sub)
    return parser


def _add_verbose(sub) -> None:
    """``--verbose`` after any command too (``lottery-keras run --verbose``), at every depth."""
    for command in sub.choices.values():
        command.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS,
                             help=_VERBOSE_HELP)
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                _add_verbose(action)


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # bare `lottery-keras`
        parser.print_usage(sys.stderr)
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        print(f"lottery-keras: error: a COMMAND is required ({', '.join(commands.choices)}); "
              "see `lottery-keras --help`", file=sys.stderr)
        return 2
    if args.verbose:
        _tf_log.configure(verbose=True)
    try:
        return int(args.func(args) or 0)
    except DatasetNotFound as err:
        print(f"lottery-keras {args.command}: error: {_missing_data(err)}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError) as err:
        print(f"lottery-keras {args.command}: error: {err}", file=sys.stderr)
        return 2


def _missing_data(err: DatasetNotFound) -> str:
    """The library's not-found error, with the CLI's options as the fixes, on one line."""
    folder = "fashion-mnist" if err.name == "fashion_mnist" else err.name
    debian = "; or apt install dataset-fashion-mnist" if err.name == "fashion_mnist" else ""
    looked = "; ".join(err.looked).replace("data_dir=", "--data-dir ")
    return (f"the {err.name} dataset was not found (looked in {looked}; "
            f"download: {err.download.removeprefix('failed: ')}). "
            f"Give --data-dir DIR (a folder holding {folder}/ with the four IDX .gz files), "
            "set LOTTERY_KERAS_DATA to a folder holding mnist/ and fashion-mnist/, "
            f"or connect to the internet to download it{debian}; "
            "or use --dataset mnist-mini (bundled, works offline).")


if __name__ == "__main__":
    sys.exit(main())
