"""Benchmark the README's demo experiment end to end on both Keras paths.

One command runs ``lottery-keras run`` with its defaults (LeNet-300-100 on ``mnist-mini``,
8 levels, variants lottery, reinit, random_mask, 6 epochs per level, evaluation every 100
iterations) twice, each in its own fresh subprocess and run directory:

* ``tf_keras``: the default path (tf_keras models in TF-MOT wrappers);
* ``keras3/jax``: the same command with ``--keras 3 --backend jax``.

For each path it records the wall seconds, the CPU seconds of the subprocess (user + system,
all threads; a busy machine disturbs it less than the wall time), and the machine's load
average before, during (sampled every few seconds) and after. From the two run directories'
``results.json`` it compares the weights remaining per level (total and per layer; the two
paths must give identical numbers) and the test accuracies per level and variant (mean and
min-max over ``--replicates``; "within the spread" means the two paths' replicate ranges
overlap). The issue's targets: Keras 3/JAX at least 2.5x faster, identical sparsities,
accuracies within the spread of replicates.

Run:  python bench/bench_demo_paths.py [--replicates 2] [--out bench/results/demo_paths.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from lottery_keras.course import timing

PATHS = {"tf_keras": [], "keras3/jax": ["--keras", "3", "--backend", "jax"]}
TARGET_SPEEDUP = 2.5


class _LoadSampler(threading.Thread):
    """Samples the 1-minute load average every `every` seconds until stopped."""

    def __init__(self, every: float = 5.0):
        super().__init__(daemon=True)
        self.every, self.samples, self._stop_event = every, [], threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            self.samples.append(os.getloadavg()[0])
            self._stop_event.wait(self.every)

    def stop(self) -> dict:
        self._stop_event.set()
        self.join()
        s = np.array(self.samples or [float("nan")])
        return {"mean": float(s.mean()), "min": float(s.min()), "max": float(s.max()), "samples": len(self.samples)}


def run_path(name: str, extra: list, out: Path, replicates: int, options: list) -> dict:
    """Run the demo on one path in a fresh subprocess; its times, load and result rows."""
    command = [sys.executable, "-m", "lottery_keras.cli", "run", "--out", str(out), "--quiet",
               "--replicates", str(replicates), *options, *extra]
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = os.getloadavg()
    sampler = _LoadSampler()
    sampler.start()
    start = time.perf_counter()
    run = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    load = sampler.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode:
        raise SystemExit(f"{name} failed (exit {run.returncode}):\n{run.stderr[-3000:]}")
    results = json.loads((out / "results.json").read_text())
    return {
        "command": "lottery-keras run " + " ".join(command[4:]).replace(str(out), "DIR"),
        "wall_s": wall,
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "load_average_before": load_before, "load_average_during": load,
        "load_average_after": os.getloadavg(),
        "config": results["config"], "rows": results["rows"],
    }


def _key(row) -> tuple:
    return row["level"], row["variant"], row["replicate"]


def compare(paths: dict) -> dict:
    """Sparsities (must be identical) and accuracies (mean, min-max over replicates) per level."""
    a, b = (paths[name]["rows"] for name in PATHS)
    rows_a, rows_b = {_key(r): r for r in a}, {_key(r): r for r in b}
    if set(rows_a) != set(rows_b):
        raise SystemExit(f"the two runs have different units: {sorted(set(rows_a) ^ set(rows_b))}")
    remaining_cols = ["remaining", *sorted(c for c in a[0] if c.startswith("remaining_"))]
    mismatches = [{"unit": list(k), "column": c, "tf_keras": rows_a[k][c], "keras3/jax": rows_b[k][c]}
                  for k in sorted(rows_a) for c in remaining_cols if rows_a[k][c] != rows_b[k][c]]
    levels = sorted({k[0] for k in rows_a})
    variants = list(dict.fromkeys(k[1] for k in sorted(rows_a, key=lambda k: (k[0], k[2]))))
    remaining = {str(level): {c: rows_a[(level, "lottery", 0)][c] for c in remaining_cols} for level in levels}
    accuracy, overlaps, total = {}, 0, 0
    for level in levels:
        for variant in variants:
            per_path = {}
            for name, rows in zip(PATHS, (rows_a, rows_b), strict=True):
                for metric in ("test_accuracy", "early_stop_test_accuracy"):
                    values = [r[metric] for k, r in sorted(rows.items()) if k[:2] == (level, variant)]
                    if values:
                        per_path.setdefault(name, {})[metric] = {
                            "values": values, "mean": float(np.mean(values)),
                            "min": float(min(values)), "max": float(max(values))}
            if len(per_path) < 2:
                continue
            x, y = (per_path[name]["test_accuracy"] for name in PATHS)
            overlap = x["min"] <= y["max"] and y["min"] <= x["max"]
            overlaps, total = overlaps + overlap, total + 1
            accuracy.setdefault(str(level), {})[variant] = {**per_path, "ranges_overlap": overlap,
                                                            "mean_difference_keras3_minus_tf": y["mean"] - x["mean"]}
    return {"remaining_identical": not mismatches, "remaining_mismatches": mismatches,
            "remaining_per_level": remaining, "accuracy": accuracy,
            "accuracy_ranges_overlap": f"{overlaps} of {total} (level, variant) pairs"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicates", type=int, default=2)
    parser.add_argument("--options", default="", help="more `lottery-keras run` options, for a quick "
                        "check of this script (e.g. '--levels 1 --epochs 1'); the benchmark uses none")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "demo_paths.json"))
    args = parser.parse_args()
    results = {
        "what": "lottery-keras run defaults (the README's demo) on each path, one fresh subprocess each",
        "replicates": args.replicates, "extra_options": args.options, "target_speedup": TARGET_SPEEDUP,
        "machine": timing.machine(("tensorflow-model-optimization", "keras", "jax", "jaxlib")),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "paths": {},
    }
    with tempfile.TemporaryDirectory(prefix="bench_demo_") as tmp:
        for name, extra in PATHS.items():
            print(f"running {name} ...", flush=True)
            results["paths"][name] = run_path(name, extra, Path(tmp) / name.replace("/", "_"), args.replicates,
                                               args.options.split())
            r = results["paths"][name]
            print(f"{name}: {r['wall_s']:.0f} s wall, {r['cpu_s']:.0f} s CPU, load average during "
                  f"{r['load_average_during']['mean']:.1f} ({r['load_average_during']['min']:.1f}-"
                  f"{r['load_average_during']['max']:.1f})", flush=True)
    tf_, jx = (results["paths"][name] for name in PATHS)
    results["speedup_wall"] = tf_["wall_s"] / jx["wall_s"]
    results["speedup_cpu"] = tf_["cpu_s"] / jx["cpu_s"]
    results["comparison"] = compare(results["paths"])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    c = results["comparison"]
    print(f"speed-up of keras3/jax: {results['speedup_wall']:.2f}x wall, {results['speedup_cpu']:.2f}x CPU "
          f"(target {TARGET_SPEEDUP}x); remaining identical per level: {c['remaining_identical']}; "
          f"test-accuracy replicate ranges overlap: {c['accuracy_ranges_overlap']}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
