"""Benchmark the foundation: ticket training overhead and mask computation speed.

(1) seconds per epoch of a Ticket against the same plain tf_keras model, LeNet-300-100 on
    mnist-mini, batch 60, epochs interleaved in one process (target ratio <= 1.15);
(2) time to compute a global magnitude mask for 1M and 10M weights (target: linear,
    <= 50 ms per million weights).

Run:  python bench/bench_ticket.py [--epochs 3] [--out bench/results/ticket.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np


def epoch_times(epochs: int) -> dict:
    import lottery_keras as lk
    from lottery_keras import keras, tf

    x, y = lk.data.load("mnist-mini").train
    compile_args = dict(loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    plain = lk.models.lenet_300_100(seed=0)
    plain.compile(optimizer=keras.optimizers.Adam(1.2e-3), **compile_args)
    ticket = lk.Ticket(lk.models.lenet_300_100(seed=0))
    ticket.compile(optimizer=keras.optimizers.Adam(1.2e-3), **compile_args)
    ticket.prune()  # a real mask, as in any IMP round after the first

    fits = {"plain": lambda: plain.fit(x, y, batch_size=60, epochs=1, verbose=0),
            "ticket": lambda: ticket.fit(x, y, batch_size=60, epochs=1, verbose=0)}
    for fit in fits.values():  # trace and warm up
        fit()
    times = {name: [] for name in fits}
    for _ in range(epochs):  # interleave so drift in machine load hits both alike
        for name, fit in fits.items():
            start = time.perf_counter()
            fit()
            times[name].append(time.perf_counter() - start)
    median = {name: float(np.median(t)) for name, t in times.items()}
    fastest = {name: float(np.min(t)) for name, t in times.items()}
    paired = [tk / pl for tk, pl in zip(times["ticket"], times["plain"], strict=True)]
    return {
        "model": "lenet_300_100", "dataset": "mnist-mini", "train_examples": len(x), "batch_size": 60,
        "epochs_timed": epochs, "seconds_per_epoch": median, "fastest_seconds_per_epoch": fastest,
        "all_seconds": times, "ratio_ticket_over_plain": median["ticket"] / median["plain"],
        "ratio_of_fastest_epochs": fastest["ticket"] / fastest["plain"],
        "median_paired_ratio": float(np.median(paired)),
        "target_ratio": 1.15, "tensorflow": tf.__version__,
    }


def mask_times(sizes=(1_000_000, 10_000_000), repeats: int = 3) -> dict:
    from lottery_keras.pruning import masks

    rng = np.random.default_rng(0)
    out = {}
    for n in sizes:
        # four layers of unequal size, as in a network; a fifth of them already pruned
        parts = np.array_split(rng.normal(size=n).astype(np.float32), [n // 2, 3 * n // 4, 7 * n // 8])
        weights = {f"layer{i}": p for i, p in enumerate(parts)}
        current = {k: (rng.random(v.size) > 0.2).astype(np.float32) for k, v in weights.items()}
        scores = {k: np.abs(v) for k, v in weights.items()}
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            masks.prune_global(scores, current, 0.2)
            best = min(best, time.perf_counter() - start)
        out[str(n)] = {"seconds": best, "ms_per_million": 1e3 * best / (n / 1e6)}
    return {"global_magnitude_mask": out, "target_ms_per_million": 50}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per model")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "ticket.json"))
    args = parser.parse_args()
    result = {
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "python": platform.python_version()},
        "training": epoch_times(args.epochs),
        "masks": mask_times(),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    tr, mk = result["training"], result["masks"]["global_magnitude_mask"]
    print(f"epoch (median): plain {tr['seconds_per_epoch']['plain']:.3f}s, ticket "
          f"{tr['seconds_per_epoch']['ticket']:.3f}s, ratio {tr['ratio_ticket_over_plain']:.3f} (target <= 1.15); "
          f"fastest epochs ratio {tr['ratio_of_fastest_epochs']:.3f}, median paired ratio "
          f"{tr['median_paired_ratio']:.3f}")
    for n, r in mk.items():
        print(f"global mask, {int(n):>10,} weights: {1e3 * r['seconds']:.1f} ms ({r['ms_per_million']:.1f} ms/M)")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
