"""GPU benchmark of lottery_keras tickets: runs on a machine with an NVIDIA GPU, no TensorFlow.

Without a GPU it prints one line, ``no GPU: <why>``, and exits 0. With one, it runs each
part in its own process (so a crash or a timeout costs only that part, and Keras 3 can
load a different backend each time), inside a total time budget, and writes one JSON:

* ``litert``: LiteRT's GPU accelerator against its CPU path on the ``.tflite`` files in
  ``.gpu/`` (made here by ``bench/gpu/prepare.sh``): ran on the GPU or why not, outputs and
  accuracy against the CPU on the same test images, latency at batch 1 and 256;
* ``keras3_jax`` / ``keras3_torch``: ms per training step, ticket against plain model,
  LeNet-300-100 and Conv-2, batch 60 and 1024 (``keras3_part.py``);
* ``sparse24``: 2:4 semi-structured matrix products against dense (``sparse24.py``).

Run:  bash bench/gpu/run.sh      (or python bench/gpu/gpu_bench.py [--out FILE] [--prepared .gpu])
      python bench/gpu/gpu_bench.py detect   (the GPU line only; exit 3 when there is none)
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCHEMA = "lottery_keras.gpu_bench/1"
PARTS = (  # (name, script, extra args given the prepared folder, seconds at most)
    ("sparse24", "sparse24.py", lambda p: [str(p / "lenet_2of4_kernels.npz")], 100),
    ("litert", "litert_part.py", lambda p: [str(p)], 120),
    ("keras3_jax", "keras3_part.py", lambda p: ["jax"], 120),
    ("keras3_torch", "keras3_part.py", lambda p: ["torch"], 120),
)
REQUIRED = ("schema", "started", "seconds", "device", "versions", "prepared", *(p[0] for p in PARTS))
VERSIONS = ("torch", "jax", "jaxlib", "keras", "ai-edge-litert", "numpy", "lottery_keras")
NO_GPU_EXIT = 3


# --- detection ---------------------------------------------------------------------------------

def _probe_nvidia_smi():
    """(gpus, None) from nvidia-smi, or (None, why not)."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None, "nvidia-smi not found"
    query = ["--query-gpu=name,driver_version,memory.total", "--format=csv,noheader,nounits"]
    try:
        out = subprocess.run([exe, *query], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"nvidia-smi failed ({exc})"
    gpus = [dict(zip(("name", "driver", "memory_mib"), (v.strip() for v in line.split(",")), strict=False))
            for line in out.stdout.splitlines() if line.strip()]
    if out.returncode or not gpus:
        return None, f"nvidia-smi lists no GPU ({(out.stderr or out.stdout).strip()[:200] or 'no output'})"
    return gpus, None


def _probe_torch():
    if importlib.util.find_spec("torch") is None:
        return None, "torch not installed"
    import torch

    if not torch.cuda.is_available():
        return None, "torch.cuda.is_available() is False"
    return [{"name": torch.cuda.get_device_name(i)} for i in range(torch.cuda.device_count())], None


def _probe_jax():
    if importlib.util.find_spec("jax") is None:
        return None, "jax not installed"
    import jax

    try:
        return [{"name": d.device_kind} for d in jax.devices("gpu")], None
    except RuntimeError as exc:
        return None, f"jax has no GPU backend ({str(exc).splitlines()[0][:120]})"


PROBES = (("nvidia-smi", _probe_nvidia_smi), ("torch", _probe_torch), ("jax", _probe_jax))


def verdict(probes=PROBES):
    """(gpus, found_by, None) from the first probe that finds a GPU, else (None, None, one line
    naming why each probe found none). Stops at the first hit, so no framework claims the GPU."""
    reasons = []
    for name, probe in probes:
        gpus, why = probe()
        if gpus:
            return gpus, name, None
        reasons.append(why)
    return None, None, "no GPU: " + "; ".join(reasons)


# --- result file --------------------------------------------------------------------------------

def validate(result: dict) -> dict:
    """Raise ValueError unless `result` has every top-level key and each part is a dict
    (a part that could not run holds {"error": why})."""
    missing = [k for k in REQUIRED if k not in result]
    if missing:
        raise ValueError(f"GPU result lacks {', '.join(missing)}")
    if result["schema"] != SCHEMA:
        raise ValueError(f"schema is {result['schema']!r}, expected {SCHEMA!r}")
    bad = [p[0] for p in PARTS if not isinstance(result[p[0]], dict)]
    if bad or not result["device"].get("name"):
        raise ValueError(f"GPU result: parts {bad} are not objects or the device is unnamed")
    return result


def write(path, result: dict) -> Path:
    """Validate `result` and write it as JSON to `path` (parent folders made)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(validate(result), indent=1, default=str) + "\n")
    return path


def versions() -> dict:
    out = {"python": platform.python_version()}
    for name in VERSIONS:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


# --- running the parts ---------------------------------------------------------------------------

def run_part(name: str, script: str, args: list, timeout: float, log) -> dict:
    """Run one part in a fresh process; its JSON, or {"error": ...} with the end of its output."""
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"gpu_part_{os.getpid()}_{name}.json"
    out.unlink(missing_ok=True)
    path = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    cmd = [sys.executable, str(HERE / script), str(out), *args]
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=max(timeout, 1), env=env, cwd=ROOT)
        text, rc = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        text = "".join(v.decode("utf-8", "replace") if isinstance(v, bytes) else v or ""
                       for v in (exc.stdout, exc.stderr))
        rc = f"timed out after {timeout:.0f} s"
    log.write(f"===== {' '.join(cmd[1:])} ({time.monotonic() - start:.0f} s, exit {rc})\n{text}\n")
    if rc == 0 and out.exists():
        result = json.loads(out.read_text())
    else:
        result = {"error": rc if isinstance(rc, str) else f"exit {rc}", "output_tail": text[-1500:]}
    result["seconds"] = round(time.monotonic() - start, 1)
    return result


def run_all(out_path, prepared: Path, budget: float, gpus: list, found_by: str) -> dict:
    started, t0 = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), time.monotonic()
    prepared = Path(prepared).resolve()  # the parts run from the repository root
    manifest = prepared / "manifest.json"
    result = {"schema": SCHEMA, "started": started, "command": "bash bench/gpu/run.sh",
              "device": {**gpus[0], "count": len(gpus), "found_by": found_by, "machine": platform.machine()},
              "versions": versions(),
              "prepared": json.loads(manifest.read_text())["summary"] if manifest.exists()
              else {"error": f"{manifest} missing: run bench/gpu/prepare.sh here and carry .gpu"}}
    log_path = Path(out_path).with_name(Path(out_path).stem + "_log.txt")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        for name, script, args, cap in PARTS:
            left = budget - (time.monotonic() - t0)
            if left < 20:
                result[name] = {"error": f"not run: the {budget:.0f} s budget was spent"}
                continue
            print(f"{name} ...", flush=True)
            result[name] = run_part(name, script, args(prepared), min(cap, left - 10), log)
            print(f"{name}: {result[name].get('error', 'done')} ({result[name]['seconds']} s)", flush=True)
    result["seconds"] = round(time.monotonic() - t0, 1)
    result["tensorflow_imported"] = any(result[p[0]].get("tensorflow_imported") for p in PARTS)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", choices=("all", "detect"), default="all")
    default_out = Path(os.environ["OUT"]) / "gpu.json" if os.environ.get("OUT") else ROOT / "bench/results/gpu.json"
    parser.add_argument("--out", default=str(default_out), help="result JSON (default: $OUT/gpu.json)")
    parser.add_argument("--prepared", default=str(ROOT / ".gpu"), help="folder made by prepare.sh")
    parser.add_argument("--budget", type=float, default=420, help="seconds for all parts together")
    args = parser.parse_args(argv)
    gpus, found_by, why = verdict()
    if gpus is None:
        print(why)
        return NO_GPU_EXIT if args.command == "detect" else 0
    print(f"GPU: {gpus[0].get('name')} (found by {found_by})", flush=True)
    if args.command == "detect":
        return 0
    result = run_all(args.out, Path(args.prepared), args.budget, gpus, found_by)
    print(f"wrote {write(args.out, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
