"""The `lottery-keras` command line.

Each command lives in its own module with an ``add_parser(subparsers)`` function;
this file only collects them. Modules are imported lazily-cheap: none of them may
import TensorFlow at import time, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = [
    "lottery_keras.cli.info",
    "lottery_keras.cli.course",
    "lottery_keras.cli.experiment",
]


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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError) as err:
        print(f"lottery-keras {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
