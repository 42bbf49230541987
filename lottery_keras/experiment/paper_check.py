"""A run set against what Frankle & Carbin (ICLR 2019) report for LeNet-300-100 on MNIST.

:data:`CLAIMS` holds each reported quantity once: what the paper says, where (its text, or
a figure read by eye), and how a run's replicates are measured against it. :func:`check`
returns one row per claim with the measured mean and min..max over replicates and a
verdict; differences are paired within a replicate, so their spread is the noise estimate.
:func:`markers` gives the paper's numeric points for the report's plots.

Verdicts: ``agrees`` (the paper's value lies inside the replicates' min..max and "no
effect" does not, or every replicate points the paper's way), ``differs`` (outside, or
every replicate points the other way), ``inside noise`` (replicates disagree in sign, or
their range holds both the paper's value and no effect: the run cannot tell). A claim of
no difference agrees when the replicates' range holds 0 or the mean is within
:data:`SAME` points (10 of MNIST's 10,000 test images).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

MODEL, DATASET = "lenet_300_100", "mnist"
LEVELS = (51.3, 21.1, 7.0, 3.6)  # % remaining the paper reports LeNet-300-100 at (Section 2, Figure 3)
SAME = 0.1  # accuracy points that count as "the same" for a claim of no difference
NEAR = 1.1  # a run's level stands for a paper level within this factor of % remaining

TEXT = "text, Section 2"
FIGURES = "figures, read by eye (issue 15)"
FIG1 = "Figure 1, dashed lines (direction only)"


class Claim(NamedTuple):
    quantity: str  # what is measured, in words
    paper: str  # what the paper reports
    source: str
    measure: tuple  # (kind, variant, % remaining or None, other variant or None, other % or None)
    test: tuple  # ("value", v, no effect) | ("range", lo, hi) | ("below", v) | ("sign", +1 / 0 / -1) | ("none",)
    fmt: str = ",.0f"


def _claims() -> list[Claim]:
    out = [Claim("dense: early-stopping iteration", "about 4,500 (error bars about 3,000-6,000)", FIGURES,
                 ("es", "lottery", 100.0, None, None), ("range", 3000, 6000)),
           Claim("dense: test accuracy at early stopping (%)", "not stated in the text", "-",
                 ("acc", "lottery", 100.0, None, None), ("none",), ".2f")]
    for p in LEVELS:
        out += [Claim(f"ticket {p}%: early-stopping iteration", "below about 6,500 at every level down to 2.9%",
                      FIGURES, ("es", "lottery", p, None, None), ("below", 6500)),
                Claim(f"ticket {p}%: test accuracy at early stopping (%)", "not stated as a number", "-",
                      ("acc", "lottery", p, None, None), ("none",), ".2f")]
    out += [Claim("ticket 51.3% minus dense: test accuracy (points)", "higher than the dense network", TEXT,
                  ("acc", "lottery", 51.3, "lottery", 100.0), ("sign", 1), "+.2f"),
            Claim("ticket 3.6% minus dense: test accuracy (points)", "back to the dense network's performance",
                  TEXT, ("acc", "lottery", 3.6, "lottery", 100.0), ("sign", 0), "+.2f"),
            Claim("ticket 21.1% / dense: early-stopping iteration", "0.62 (\"38% earlier\")", TEXT,
                  ("es_ratio", "lottery", 21.1, "lottery", 100.0), ("value", 0.62, 1.0), ".2f")]
    for p in LEVELS:
        out += [Claim(f"re-init {p}% minus ticket: early-stopping iteration", "later than the ticket", TEXT,
                      ("es", "reinit", p, "lottery", p), ("sign", 1), "+,.0f"),
                Claim(f"re-init {p}% minus ticket: test accuracy (points)",
                      "0.5 points lower" if p == 21.1 else "lower", TEXT,
                      ("acc", "reinit", p, "lottery", p), ("value", -0.5, 0.0) if p == 21.1 else ("sign", -1), "+.2f")]
    out += [Claim("re-init 51.3% minus dense: test accuracy (points)", "not yet below the dense network "
                  "(drop-off starts at 21.1%)", TEXT, ("acc", "reinit", 51.3, "lottery", 100.0), ("sign", 0), "+.2f"),
            Claim("re-init 21.1% minus dense: test accuracy (points)", "below the dense network", TEXT,
                  ("acc", "reinit", 21.1, "lottery", 100.0), ("sign", -1), "+.2f"),
            Claim("re-init 21.1% / ticket 21.1%: early-stopping iteration", "2.51", TEXT,
                  ("es_ratio", "reinit", 21.1, "lottery", 21.1), ("value", 2.51, 1.0), ".2f")]
    for p in LEVELS:
        out += [Claim(f"random mask {p}% minus ticket: early-stopping iteration", "later than the ticket", FIG1,
                      ("es", "random_mask", p, "lottery", p), ("sign", 1), "+,.0f"),
                Claim(f"random mask {p}% minus ticket: test accuracy (points)", "lower than the ticket", FIG1,
                      ("acc", "random_mask", p, "lottery", p), ("sign", -1), "+.2f")]
    return out


CLAIMS = _claims()


def applies(config) -> bool:
    """True for the paper's LeNet-300-100 on MNIST, trained with the paper's optimiser and rates."""
    return (config.model, config.dataset, config.optimizer, config.scope) == (MODEL, DATASET, "adam", "layerwise")


def level_of(rows, remaining: float) -> int | None:
    """The run's level whose % remaining is nearest `remaining` (within :data:`NEAR`), or None."""
    levels = {r["level"]: 100 * r["remaining"] for r in rows if r["variant"] == "lottery"}
    if not levels:
        return None
    level = min(levels, key=lambda lv: abs(math.log(levels[lv] / remaining)))
    return level if abs(math.log(levels[level] / remaining)) <= math.log(NEAR) else None


def _values(rows, variant, remaining) -> dict | None:
    """{replicate: row} of `variant` at the level nearest `remaining` (level 0 is lottery's)."""
    level = level_of(rows, remaining)
    if level is None:
        return None
    variant = "lottery" if level == 0 else variant
    found = {r["replicate"]: r for r in rows if r["level"] == level and r["variant"] == variant}
    return found or None


def measure(rows, spec) -> np.ndarray | None:
    """Per-replicate values of one claim's measurement (None if the run lacks the units)."""
    kind, variant, p, other, q = spec
    key = "early_stop_test_accuracy" if kind == "acc" else "early_stop_iteration"
    scale = 100 if kind == "acc" else 1
    mine = _values(rows, variant, p)
    theirs = _values(rows, other, q) if other else None
    if mine is None or (other and theirs is None):
        return None
    reps = sorted(mine if theirs is None else set(mine) & set(theirs))
    a = np.array([mine[r][key] * scale for r in reps], float)
    if theirs is None:
        return a
    b = np.array([theirs[r][key] * scale for r in reps], float)
    return a / b if kind == "es_ratio" else a - b


def verdict(values: np.ndarray, test: tuple) -> str:
    lo, hi, mean = values.min(), values.max(), values.mean()
    kind = test[0]
    if kind == "none":
        return "-"
    if kind == "value":
        if lo <= test[1] <= hi:
            return "inside noise (the range also holds no effect)" if lo <= test[2] <= hi else "agrees"
        return f"differs (measured {'higher' if mean > test[1] else 'lower'})"
    if kind == "range":
        return "agrees" if test[1] <= mean <= test[2] else f"differs (mean {'above' if mean > test[2] else 'below'})"
    if kind == "below":
        return "agrees" if hi < test[1] else f"differs ({int((values >= test[1]).sum())} of {len(values)} at or above)"
    sign = test[1]
    if sign == 0:
        if lo <= 0 <= hi or abs(mean) <= SAME:
            return "agrees"
        return f"differs (every replicate {'above' if lo > 0 else 'below'})"
    if (values * sign > 0).all():
        return "agrees"
    return "differs" if (values * sign < 0).all() else "inside noise"


def check(rows) -> list[dict]:
    """One dict per claim: quantity, paper, source, n, mean, min, max, verdict (numbers None if not run)."""
    out = []
    for claim in CLAIMS:
        values = measure(rows, claim.measure)
        row = {"quantity": claim.quantity, "paper": claim.paper, "source": claim.source, "fmt": claim.fmt}
        if values is None or not len(values):
            out.append({**row, "n": 0, "mean": None, "min": None, "max": None, "verdict": "not run"})
        else:
            out.append({**row, "n": len(values), "mean": float(values.mean()), "min": float(values.min()),
                        "max": float(values.max()), "verdict": verdict(values, claim.test)})
    return out


def markdown(rows) -> str:
    """:func:`check` as a Markdown table (mean [min..max] over replicates), then the units
    whose run may have been too short for them (:func:`late_minima`)."""
    lines = ["| quantity | paper | source | measured: mean [min..max] | n | verdict |",
             "| --- | --- | --- | ---: | ---: | --- |"]
    for r in check(rows):
        f = r["fmt"]
        measured = "-" if r["mean"] is None else \
            f"{format(r['mean'], f)} [{format(r['min'], f)}..{format(r['max'], f)}]"
        lines.append(f"| {r['quantity']} | {r['paper']} | {r['source']} | {measured} | {r['n']} | {r['verdict']} |")
    late = late_minima(rows)
    names = ", ".join(f"level {r['level']} {r['variant']} r{r['replicate']}" for r in late)
    lines.append(f"\nValidation minimum in the last 10% of training (early-stopping iteration a lower bound): "
                 f"{len(late)} of {len(rows)} units{': ' + names if late else ''}.")
    return "\n".join(lines) + "\n"


def late_minima(rows, share: float = 0.9) -> list[dict]:
    """Rows whose validation minimum lies in the last (1 - share) of their training: the run may
    have been too short for them (their early-stopping iteration is then a lower bound)."""
    return [r for r in rows if r["early_stop_iteration"] >= r["start_iteration"] + share * r["iterations"]]


def markers() -> dict:
    """The paper's numbers for the plots: ``"early_stop"``: points (% remaining, low, value, high, label);
    ``"early_stop_ceiling"``: (iteration, label), a bound every ticket stays below."""
    return {"early_stop": [(100.0, 3000, 4500, 6000, "paper: dense, about 4,500 (read off its figures)")],
            "early_stop_ceiling": (6500, "paper: tickets below about 6,500 down to 2.9%")}
