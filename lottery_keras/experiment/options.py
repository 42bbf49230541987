"""The pieces ExperimentConfig's fields are made of: the field helper that carries each option's
command line in its metadata, text parsers for the command line, and the range checks
``__post_init__`` runs (raising :class:`ConfigError`, which names the setting at fault).
"""

from __future__ import annotations

import math
from dataclasses import field

import numpy as np


class ConfigError(ValueError):
    """A bad setting. `field` is the setting at fault; `mentions` the other settings the message names."""

    def __init__(self, field: str, message: str, mentions: tuple[str, ...] = ()):
        super().__init__(message)
        self.field, self.mentions = field, mentions


def whole(text: str) -> int:
    """Command-line text -> int (range checks are __post_init__'s)."""
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"expected a whole number, got {text!r}") from None


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None


def levels_list(text: str) -> tuple[int, ...]:
    """``"3,7,12"`` -> (3, 7, 12) (range checks are __post_init__'s)."""
    parts = [p for p in text.replace(" ", ",").split(",") if p]
    if not parts:
        raise ValueError(f"expected comma-separated levels, got {text!r}")
    return tuple(whole(p) for p in parts)


def whole_or_paper(text: str) -> int | str:
    return "paper" if text.strip() == "paper" else whole(text)


def option(default, help: str, *, parse=str, choices=None, metavar="N", flag=None, unset=None):
    """A config field with its command line: `unset` says what None means (shown as the default)."""
    return field(default=default, metadata={"help": help, "parse": parse, "choices": choices, "metavar": metavar,
                                            "flag": flag, "unset": unset})


def check_choice(name, value, choices):
    if value not in choices:
        raise ConfigError(name, f"unknown {name} {value!r}; choose one of {', '.join(choices)}")


def check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(name, f"{name} must be a whole number >= {minimum}, got {value!r}")
    if value < minimum:
        raise ConfigError(name, f"{name} must be >= {minimum}, got {value}")


def check_rate(name, value, allow_zero=True):
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
    low_ok = ok and (value >= 0 if allow_zero else value > 0)
    if not (low_ok and value < 1):
        interval = "[0, 1)" if allow_zero else "(0, 1)"
        raise ConfigError(name, f"{name} must be in {interval} (a share of the surviving weights pruned per "
                          f"level), got {value!r}")
