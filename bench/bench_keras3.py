"""Benchmark the two ticket paths: tf_keras + TF-MOT, and Keras 3 on each installed backend.

For every path, in its own fresh process (Keras 3 fixes its backend at import):
(1) startup: seconds for ``import lottery_keras`` and for import + a first LeNet-300-100
    ticket, peak memory (max RSS) then, and whether TensorFlow got loaded;
(2) ms per training step (wall clock, and CPU time of all threads, which a busy machine
    disturbs less), plain model against ticket (LTH-pruned masks), LeNet-300-100, batch 60,
    Adam 1.2e-3, epochs interleaved; target ticket/plain <= 1.05 per backend.
The machine's load average is recorded: on a shared machine, compare ratios within a run.

Run:  python bench/bench_keras3.py [--dataset mnist-mini|mnist] [--epochs 10] [--out bench/results/keras3.json]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

PATHS = [("tf_keras", None), ("keras3", "jax"), ("keras3", "tensorflow"), ("keras3", "torch")]


def _startup(path: str):
    """(lk, import seconds, first-ticket seconds, max RSS MB, TensorFlow loaded, builder, keras)."""
    start = time.perf_counter()
    import lottery_keras as lk

    imported = time.perf_counter() - start
    if path == "tf_keras":
        def build():
            return lk.models.get("lenet_300_100", seed=0)
        keras = lk.keras
    else:
        import keras

        from lottery_keras.keras3 import models

        def build():
            return models.get("lenet_300_100", seed=0)
    lk.Ticket(build())
    first = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return lk, imported, first, rss, "tensorflow" in sys.modules, build, keras


def worker(path: str, dataset: str, epochs: int) -> dict:
    """One path's numbers (runs in a subprocess)."""
    lk, imported, first, rss, tf_loaded, build, keras = _startup(path)
    x, y = lk.data.load(dataset).train
    models = {"plain": build(), "ticket": lk.Ticket(build())}
    models["ticket"].prune()  # LTH rates: a real mask, as in any round after the first
    for model in models.values():
        model.compile(optimizer=keras.optimizers.Adam(1.2e-3), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        model.fit(x, y, batch_size=60, epochs=1, verbose=0)  # trace, compile, warm up
    steps = -(-len(x) // 60)
    ms, cpu = {name: [] for name in models}, {name: [] for name in models}
    for _ in range(epochs):  # interleaved, so drift in machine load hits both alike
        for name, model in models.items():
            begin, begin_cpu = time.perf_counter(), time.process_time()
            model.fit(x, y, batch_size=60, epochs=1, verbose=0)
            ms[name].append(1e3 * (time.perf_counter() - begin) / steps)
            cpu[name].append(1e3 * (time.process_time() - begin_cpu) / steps)  # all threads; less load-sensitive
    best = {name: min(v) for name, v in ms.items()}
    median = {name: float(np.median(v)) for name, v in ms.items()}
    return {
        "keras": keras.__version__, "startup_import_s": imported, "startup_first_ticket_s": first,
        "startup_max_rss_mb": rss, "tensorflow_loaded_at_first_ticket": tf_loaded,
        "steps_per_epoch": steps, "ms_per_step_all": ms, "ms_per_step_best": best, "ms_per_step_median": median,
        "ratio_ticket_over_plain_best": best["ticket"] / best["plain"],
        "ratio_ticket_over_plain_median": median["ticket"] / median["plain"],
        "ratio_median_of_paired_epochs": float(np.median(np.array(ms["ticket"]) / np.array(ms["plain"]))),
        "cpu_ms_per_step_median": {name: float(np.median(v)) for name, v in cpu.items()},
        "cpu_ratio_ticket_over_plain_median": float(np.median(cpu["ticket"]) / np.median(cpu["plain"])),
    }


def _installed(backend) -> bool:
    return backend is None or importlib.util.find_spec(backend) is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="mnist-mini", choices=["mnist-mini", "mnist"])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "keras3.json"))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.dataset, args.epochs)))
        return
    results = {"dataset": args.dataset, "model": "lenet_300_100", "batch_size": 60, "epochs_timed": args.epochs,
               "target_ratio": 1.05, "cpus": os.cpu_count(), "machine": platform.platform(),
               "python": platform.python_version(), "load_average_before": os.getloadavg(), "paths": {}}
    for path, backend in PATHS:
        if not _installed(backend):
            continue
        name = path if backend is None else f"{path}/{backend}"
        env = {**os.environ, **({"KERAS_BACKEND": backend} if backend else {})}
        run = subprocess.run([sys.executable, __file__, "--worker", path, "--dataset", args.dataset,
                              "--epochs", str(args.epochs)], env=env, capture_output=True, text=True)
        if run.returncode:
            raise SystemExit(f"{name} failed:\n{run.stderr[-3000:]}")
        results["paths"][name] = json.loads(run.stdout.strip().splitlines()[-1])
        print(name, json.dumps({k: v for k, v in results["paths"][name].items() if k != "ms_per_step_all"}), flush=True)
    cold = []
    for _ in range(3):  # `python -c "import lottery_keras"`, interpreter start included
        begin = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import lottery_keras"], check=True)
        cold.append(time.perf_counter() - begin)
    results["python_c_import_lottery_keras_s_best"] = min(cold)
    results["load_average_after"] = os.getloadavg()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
