"""Benchmark: the same experiment with the local engine and with the Ray engine.

* local: ``lottery-keras run`` (one process, TensorFlow on 1 thread);
* ray: ``lottery-keras run --engine ray --address ...`` on a real two-node Ray cluster on
  127.0.0.1 (:class:`LoopbackCluster`), one CPU per node: 2 workers of 1 thread each.

Both are timed as whole commands (process start, TensorFlow import, data, all units).
Ray's overhead per unit is its wall time beyond an overhead-free schedule of the very unit
times its workers measured (:func:`graph.makespan` on 2 workers), spread over the units;
it includes starting the worker processes (TensorFlow import) once per run. The projection
for more workers uses the local per-unit time and the dependency graph (levels in turn
per replicate, the units of a level side by side). Checks that both runs wrote the same bytes.

Run:  python bench/bench_ray.py [--iterations 200] [--out bench/results/ray.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI = [sys.executable, "-c", "import sys; from lottery_keras.cli import main; sys.exit(main())", "run"]


def _run(args, env) -> float:
    start = time.perf_counter()
    proc = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"lottery-keras run failed:\n{proc.stdout}\n{proc.stderr}")
    return time.perf_counter() - start


def _unit_seconds(out: Path, units) -> dict:
    return {u: json.loads((out / u.name / "timing.json").read_text())["seconds"] for u in units}


def _files(out: Path) -> dict:
    return {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != "timing.json"}


def projection(units, seconds: float, overhead: float, workers=(1, 2, 4, 8, 16)) -> dict:
    """Projected wall time per worker count: the overhead-free schedule plus Ray's overhead."""
    from lottery_keras.experiment.engines import graph

    return {w: graph.makespan(units, lambda u: seconds, w) + (overhead * len(units) / w if w > 1 else 0.0)
            for w in workers}


def bench(iterations: int) -> dict:
    from lottery_keras.experiment import ExperimentConfig
    from lottery_keras.experiment.engines import graph
    from lottery_keras.experiment.engines.loopback import LoopbackCluster

    config = ExperimentConfig(levels=2, iterations=iterations, eval_every=50, train_eval_size=1000, replicates=2)
    args = ["--levels", "2", "--iterations", str(iterations), "--eval-every", "50", "--train-eval-size", "1000",
            "--replicates", "2"]
    units = config.units()
    load = {"before": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp, LoopbackCluster(nodes=2, cpus_per_node=1) as cluster:
        local_out, ray_out = Path(tmp) / "local", Path(tmp) / "ray"
        load["cluster_up"] = os.getloadavg()
        wall_ray = _run([*args, "--out", str(ray_out), "--engine", "ray", "--address", cluster.address],
                        cluster.env)
        load["after_ray"] = os.getloadavg()
        wall_local = _run([*args, "--out", str(local_out)], cluster.env)
        load["after_local"] = os.getloadavg()
        local_s, ray_s = _unit_seconds(local_out, units), _unit_seconds(ray_out, units)
        identical = _files(local_out) == _files(ray_out)
    ideal_ray = graph.makespan(units, ray_s.get, 2)
    overhead = (wall_ray - ideal_ray) / len(units)
    per_unit = sum(local_s.values()) / len(units)
    projected = projection(units, per_unit, overhead)
    paper = ExperimentConfig(levels=15, replicates=5)  # the LTH LeNet figure: 16 levels x 3 variants x 5 trials
    paper_units = paper.units()
    paper_proj = {w: graph.makespan(paper_units, lambda u: 1.0, w) for w in (1, 5, 15, 30)}
    text = [
        f"{len(units)} units ({config.levels + 1} levels x 3 variants x {config.replicates} replicates, level 0 "
        f"lottery only), {iterations} iterations each: local {wall_local:.0f} s, Ray with 2 workers "
        f"{wall_ray:.0f} s ({wall_local / wall_ray:.2f}x).",
        f"A unit trains in {per_unit:.1f} s locally and {sum(ray_s.values()) / len(units):.1f} s on a Ray worker; "
        f"an overhead-free 2-worker schedule of the Ray units takes {ideal_ray:.0f} s, so Ray adds "
        f"{overhead:.1f} s per unit (worker start and TensorFlow import, shipping inputs and outputs, the "
        "driver's writes).",
        "Projected wall time from the local unit time and the graph: "
        + ", ".join(f"{w} worker(s) {s:.0f} s" for w, s in projected.items())
        + f". No more than {max(len([u for u in units if u.level == lv]) for lv in range(config.levels + 1))} "
        f"units of this config run at once, and the chain level 0 -> level {config.levels} "
        f"({graph.critical_path(config)} units) bounds it below at {graph.critical_path(config) * per_unit:.0f} s.",
        f"The LTH paper's LeNet figure ({len(paper_units)} units) in unit times: "
        + ", ".join(f"{w} workers {s:.0f}" for w, s in paper_proj.items())
        + f": up to 15 workers (3 variants x 5 replicates per level) divide it almost evenly; beyond, the "
        f"{graph.critical_path(paper)}-unit chain of lottery units is the floor.",
    ]
    return {
        "what": "same experiment, local engine vs Ray engine on 2 loopback nodes x 1 CPU (1 TF thread per unit)",
        "config": config.to_dict(), "units": len(units),
        "wall_seconds": {"local": wall_local, "ray": wall_ray},
        "unit_seconds": {name: {u.name: s for u, s in times.items()}
                         for name, times in (("local", local_s), ("ray", ray_s))},
        "ray_overhead_free_seconds": ideal_ray, "ray_overhead_seconds_per_unit": overhead,
        "projected_wall_seconds": projected, "paper_lenet_units": len(paper_units),
        "paper_lenet_wall_in_unit_times": paper_proj, "identical_run_directories": identical,
        "load_average_1_5_15": load, "projection": text,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=200, help="training iterations per unit")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "ray.json"))
    args = parser.parse_args()
    import ray

    result = bench(args.iterations)
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(), "ray": ray.__version__,
                         "command": "python bench/bench_ray.py " + " ".join(sys.argv[1:])}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print("\n".join(result["projection"]))


if __name__ == "__main__":
    main()
