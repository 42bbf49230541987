"""Plots and a table of a run directory: what a person would put on a slide.

:func:`make_report` writes, into ``DIR/report/`` by default:

* ``accuracy.png``: test accuracy vs % of weights remaining, per variant, at the end of
  training and at early stopping (log x axis, sparsity growing to the right; line =
  mean over replicates, band = min..max);
* ``early_stop.png``: the early-stopping iteration (minimum validation loss) vs % remaining;
* ``learning_curves.png``: test accuracy over training, one panel per variant, at the levels
  nearest the paper's 100, 51.3, 21.1, 7.0 and 3.6% remaining that the run reaches, and at
  its sparsest level (:func:`pick_levels`);
* ``table.txt``: the printed table;
* ``paper_check.md``: for the paper's LeNet-300-100 on MNIST only, the run set against the
  paper's reported results (:mod:`.paper_check`), whose numeric points the plots also mark.

Several run directories of one experiment (differing only in seed and replicates) are
pooled into one report (:mod:`.pool`).

File names come from :mod:`.paths`; a variant's label, colour and marker are its own (:mod:`.variants`).

Level 0 (the dense network) is trained once per replicate and is the first point of
every variant's curve. Uses matplotlib's object API (no pyplot, no backend switch).
"""

from __future__ import annotations

import io
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lottery_keras.experiment import paper, paper_check, paths, pool, variants
from lottery_keras.experiment import run_dir as rd
from lottery_keras.experiment.config import VARIANTS, ExperimentConfig, Unit

PAPER_REMAINING = (100.0, 51.3, 21.1, 7.0, 3.6)  # levels the LTH paper's Figure 3 shows for LeNet
NEAR = 1.25  # a level is "near" a paper level within this factor of % remaining (one 20% pruning step)


def variant_label(variant: str, config: ExperimentConfig) -> str:
    return variants.get(variant).label(config.rewind_name)


def _style(variant: str) -> dict:
    v = variants.get(variant)
    return {"color": v.color, "marker": v.marker}


# --- aggregation -------------------------------------------------------------------

def summarize(rows: Sequence[dict], variants: Sequence[str] = VARIANTS) -> dict:
    """{variant: [per-level dict]} with mean/min/max over replicates; level 0 in every variant.

    Each per-level dict has ``level``, ``remaining`` (%), ``n`` and, for each metric
    (test_accuracy, early_stop_test_accuracy, early_stop_iteration), ``<metric>`` (mean),
    ``<metric>_min`` and ``<metric>_max``; accuracies in %.
    """
    groups = defaultdict(list)
    for row in rows:
        groups[(row["level"], row["variant"])].append(row)
    out = {}
    for variant in variants:
        points = []
        for level in sorted({lv for lv, _ in groups}):
            group = groups.get((level, "lottery" if level == 0 else variant))
            if not group:
                continue
            point = {"level": level, "remaining": 100 * group[0]["remaining"], "n": len(group)}
            for metric, scale in (("test_accuracy", 100), ("early_stop_test_accuracy", 100),
                                  ("early_stop_iteration", 1), ("validation_accuracy", 100)):
                values = np.array([r[metric] for r in group], dtype=float) * scale
                point[metric], point[f"{metric}_min"], point[f"{metric}_max"] = \
                    float(values.mean()), float(values.min()), float(values.max())
            points.append(point)
        if len(points) > 1 or (points and variant == "lottery"):
            out[variant] = points
    return out


def _cell(point, metric, fmt) -> str:
    text = format(point[metric], fmt)
    if point["n"] > 1:
        text += f" [{format(point[metric + '_min'], fmt)}..{format(point[metric + '_max'], fmt)}]"
    return text


def table(config: ExperimentConfig, rows: Sequence[dict]) -> str:
    """A plain-text table: one line per level and variant (mean [min..max] over replicates)."""
    summary = summarize(rows, config.variants)
    replicates = max((p["n"] for ps in summary.values() for p in ps), default=0)
    head = ("level", "remaining", "variant", "test acc (end)", "early-stop it", "test acc (early stop)")
    lines = []
    for level in range(config.levels + 1):
        for variant in config.variants:
            point = next((p for p in summary.get(variant, []) if p["level"] == level), None)
            if point is None or (level == 0 and variant != "lottery"):
                continue
            lines.append((str(level), f"{point['remaining']:.1f}%", "dense" if level == 0 else variant,
                          _cell(point, "test_accuracy", ".2f"), _cell(point, "early_stop_iteration", ".0f"),
                          _cell(point, "early_stop_test_accuracy", ".2f")))
    widths = [max(len(h), *(len(r[i]) for r in lines)) if lines else len(h) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:{'<' if i == 2 else '>'}{w}}}" for i, w in enumerate(widths))
    note = f"accuracies in %; {replicates} replicate(s)" + (", mean [min..max]" if replicates > 1 else "")
    return "\n".join([fmt.format(*head), *(fmt.format(*r) for r in lines), note]) + "\n"


# --- plots -------------------------------------------------------------------------

def _figure(width=7.5, height=4.6, ncols=1, sharey=False):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    axes = fig.subplots(1, ncols, sharey=sharey, squeeze=False)[0]
    return fig, axes


def _save(fig, path: Path) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    rd.atomic_write(path, lambda f: f.write(buf.getvalue()))
    return path


def _remaining_axis(ax, remaining: Sequence[float]) -> None:
    """Log x axis of % remaining, inverted (sparser to the right), a labelled tick at every level."""
    from matplotlib.ticker import FixedLocator, NullLocator

    ax.set_xscale("log")
    ticks = sorted(set(remaining), reverse=True)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([f"{v:.3g}" for v in ticks], fontsize=8 if len(ticks) <= 10 else 7,
                       rotation=0 if len(ticks) <= 10 else 60)
    lo, hi = min(ticks), max(ticks)
    ax.set_xlim(hi * 1.12, lo / 1.12)
    ax.set_xlabel("weights remaining (%, log scale)")
    ax.grid(True, which="major", alpha=0.3)


def _title(config: ExperimentConfig, rows, what: str) -> str:
    done, total = len(rows), len(config.units())
    partial = "" if done == total else f" (partial: {done} of {total} units)"
    return f"{paper.settings(config.model).title} on {config.dataset}: {what}{partial}"


def _iterations_text(config: ExperimentConfig, rows) -> str:
    total = max((r["start_iteration"] + r["iterations"] for r in rows), default=0)
    return f"{total:,} iterations per level"


def plot_accuracy(config, rows, path) -> Path:
    summary = summarize(rows, config.variants)
    fig, axes = _figure(11, 4.6, ncols=2, sharey=True)
    panels = (("test_accuracy", f"at the end of training ({_iterations_text(config, rows)})"),
              ("early_stop_test_accuracy", "at early stopping (minimum validation loss)"))
    all_remaining = [p["remaining"] for ps in summary.values() for p in ps]
    dense = summary.get("lottery", [{}])[0]
    for ax, (metric, subtitle) in zip(axes, panels, strict=True):
        for variant, points in summary.items():
            x = [p["remaining"] for p in points]
            ax.plot(x, [p[metric] for p in points], ms=4, label=variant_label(variant, config), **_style(variant))
            if any(p["n"] > 1 for p in points):
                ax.fill_between(x, [p[f"{metric}_min"] for p in points], [p[f"{metric}_max"] for p in points],
                                color=_style(variant)["color"], alpha=0.18, lw=0)
        if dense:
            ax.axhline(dense[metric], color="grey", ls=":", lw=1, label="dense network (level 0)")
        _remaining_axis(ax, all_remaining)
        ax.set_title(subtitle, fontsize=10)
        ax.set_ylabel("test accuracy (%)")
        ax.tick_params(labelleft=True)
    replicates = max((p["n"] for ps in summary.values() for p in ps), default=1)
    title = f"line: mean of {replicates} replicates, shading: min to max" if replicates > 1 else None
    axes[0].legend(loc="lower left", fontsize=8, title=title, title_fontsize=8)
    fig.suptitle(_title(config, rows, "test accuracy as pruning proceeds"), fontsize=12)
    return _save(fig, path)


def plot_early_stop(config, rows, path) -> Path:
    summary = summarize(rows, config.variants)
    fig, axes = _figure(7.5, 4.6)
    ax = axes[0]
    for variant, points in summary.items():
        x = [p["remaining"] for p in points]
        ax.plot(x, [p["early_stop_iteration"] for p in points], ms=4, label=variant_label(variant, config),
                **_style(variant))
        if any(p["n"] > 1 for p in points):
            ax.fill_between(x, [p["early_stop_iteration_min"] for p in points],
                            [p["early_stop_iteration_max"] for p in points], color=_style(variant)["color"],
                            alpha=0.18, lw=0)
    _remaining_axis(ax, [p["remaining"] for ps in summary.values() for p in ps])
    if paper_check.applies(config):
        marks = paper_check.markers()
        for x, low, value, high, label in marks["early_stop"]:
            ax.errorbar([x], [value], yerr=[[value - low], [high - value]], fmt="*", color="black", ms=10,
                        capsize=4, label=label, zorder=5)
        ceiling, label = marks["early_stop_ceiling"]
        ax.axhline(ceiling, color="black", ls="--", lw=0.8, label=label)
    ax.set_ylabel("early-stopping iteration")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    ax.set_title(f"iteration of minimum validation loss (evaluated every {config.eval_every} iterations)",
                 fontsize=9)
    fig.suptitle(_title(config, rows, "early-stopping iteration"), fontsize=12)
    return _save(fig, path)


def pick_levels(config: ExperimentConfig, rows, count: int = 5) -> list[int]:
    """The levels whose learning curves to draw: all of them if there are at most `count`;
    else the level nearest each of the paper's 100, 51.3, 21.1, 7.0 and 3.6% remaining that
    lies within a factor :data:`NEAR` of it, and the sparsest level (at most `count + 1`)."""
    remaining = {r["level"]: 100 * r["remaining"] for r in rows if r["variant"] == "lottery"}
    if len(remaining) <= count:
        return sorted(remaining)
    picked = {max(remaining)}
    for target in PAPER_REMAINING:
        level = min(remaining, key=lambda lv: abs(math.log(remaining[lv] / target)))
        if abs(math.log(remaining[level] / target)) <= math.log(NEAR):
            picked.add(level)
    return sorted(picked)


def curve_limits(curves: Sequence[Sequence[float]]) -> tuple[float, float]:
    """y limits (accuracy in %) that show every point of every curve, with a small margin."""
    low, high = min(min(c) for c in curves), max(max(c) for c in curves)
    margin = max(0.5, 0.03 * (high - low))
    return max(0.0, low - margin), min(100.0, high + margin)


def plot_learning_curves(config, rows, history, path, levels=None) -> Path:
    """`history(unit)`: a unit's metric records (e.g. :meth:`RunDir.history`)."""
    from matplotlib import colormaps

    levels = sorted(levels) if levels else pick_levels(config, rows)
    done = {(r["level"], r["variant"], r["replicate"]): r for r in rows}
    shown = [v for v in config.variants if any(k[1] == v and k[0] > 0 for k in done)] or ["lottery"]
    fig, axes = _figure(4.2 * len(shown) + 0.8, 4.4, ncols=len(shown), sharey=True)
    cmap = colormaps["viridis"]
    curves = []
    for ax, variant in zip(axes, shown, strict=True):
        for i, level in enumerate(levels):
            v = "lottery" if level == 0 else variant
            reps = [k for k in done if k[0] == level and k[1] == v]
            if not reps:
                continue
            histories = [history(Unit(*k)) for k in sorted(reps)]
            length = min(len(h) for h in histories)
            its = [h["iteration"] for h in histories[0][:length]]
            acc = np.mean([[100 * h["test_accuracy"] for h in hist[:length]] for hist in histories], axis=0)
            curves.append(acc)
            remaining = 100 * done[reps[0]]["remaining"]
            ax.plot(its, acc, color=cmap(i / max(len(levels) - 1, 1) * 0.9),
                    label=f"level {level}: {remaining:.3g}% remaining")
        ax.set_title(variant_label(variant, config), fontsize=10)
        ax.set_xlabel("training iteration")
        ax.grid(True, alpha=0.3)
        ax.tick_params(labelleft=True)
    axes[0].set_ylabel("test accuracy (%)")
    if curves:
        axes[0].set_ylim(*curve_limits(curves))
    axes[0].legend(fontsize=8, loc="lower right")
    mean = " (mean over replicates)" if config.replicates > 1 else ""
    fig.suptitle(_title(config, rows, f"test accuracy during training{mean}"), fontsize=12)
    return _save(fig, path)


def make_report(path, out=None, levels=None, echo: bool = False) -> dict:
    """Write the plots and table of the run directory `path` (or a list of run directories of
    one experiment, pooled: :mod:`.pool`); returns {name: file path}.

    `out`: folder for the files (default ``<first path>/report``); `levels`: the levels whose
    learning curves to draw (default :func:`pick_levels`); `echo`: print the table.
    """
    pooled = pool.load(path)
    config, rows = pooled.config, pooled.rows
    first = pooled.paths[0]
    if not rows:
        raise ValueError(f"{first} has no finished units yet; run `lottery-keras run` first")
    unknown = sorted(set(levels or []) - {r["level"] for r in rows})
    if unknown:
        raise ValueError(f"no finished units at level(s) {unknown}; finished levels are "
                         f"{sorted({r['level'] for r in rows})}")
    out = Path(out) if out is not None else paths.report(first)
    text = table(config, rows)
    files = {
        "accuracy": plot_accuracy(config, rows, out / paths.ACCURACY_PLOT),
        "early_stop": plot_early_stop(config, rows, out / paths.EARLY_STOP_PLOT),
        "learning_curves": plot_learning_curves(config, rows, pooled.history, out / paths.LEARNING_CURVES_PLOT,
                                                levels),
    }
    rd.write_text(out / paths.TABLE, text)
    files["table"] = out / paths.TABLE
    if paper_check.applies(config):
        rd.write_text(out / paths.PAPER_CHECK, paper_check.markdown(rows))
        files["paper_check"] = out / paths.PAPER_CHECK
    if echo:
        print(_title(config, rows, f"{len(rows)} units"))
        print(text, end="")
        if "paper_check" in files:
            verdicts = [r["verdict"].split(" (")[0] for r in paper_check.check(rows) if r["verdict"] != "-"]
            print(f"against the paper: {', '.join(f'{verdicts.count(v)} {v}' for v in dict.fromkeys(verdicts))} "
                  f"({files['paper_check']})")
        print("plots: " + ", ".join(str(p) for k, p in files.items() if k not in ("table", "paper_check")))
    return files
