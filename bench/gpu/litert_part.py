"""LiteRT's GPU accelerator against its CPU path on the prepared ``.tflite`` files (no TensorFlow).

For every file in ``.gpu/manifest.json``: load it with LiteRT's ``CompiledModel`` on the
CPU (XNNPACK, 1 thread) and on the GPU accelerator (WebGPU over Vulkan, CPU fallback for
ops it lacks); record whether the GPU one compiled (else the exact reason), whether every op
runs on the GPU, outputs and accuracy against the CPU on the same test images, the CPU output
against the reference made by prepare.py, and latency at batch 1 and 256 (interleaved rounds,
medians). Whether a sparse file is densified is read from its operator list (``DENSIFY``).

Run:  python bench/gpu/litert_part.py OUT.json PREPARED_FOLDER
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

BATCHES = (1, 256)
REPEATS = 15


def _compare(out, ref, labels) -> dict:
    return {"accuracy": float((out.argmax(-1) == labels).mean()),
            "same_class_as_cpu": float((out.argmax(-1) == ref.argmax(-1)).mean()),
            "max_abs_diff_vs_cpu": float(np.abs(out - ref).max())}


def _latency(litert, runners: dict, x) -> dict:
    from lottery_keras.acceleration import timing

    out = {}
    for batch in BATCHES:
        times = timing.time_runners(runners, x[:batch], repeats=REPEATS, min_time=0.02)
        out[batch] = {name: {"median_us": t.median_us, "min_us": 1e6 * min(t.all_s)} for name, t in times.items()}
        if "gpu" in out[batch]:
            out[batch]["gpu_over_cpu"] = out[batch]["gpu"]["median_us"] / out[batch]["cpu"]["median_us"]
    return out


def _fully_accelerated(runner):
    """CompiledModel.is_fully_accelerated() of a Runner: False when some ops fell back to the CPU."""
    check = getattr(getattr(runner, "_impl", None), "is_fully_accelerated", None)
    try:
        return bool(check()) if check else None
    except RuntimeError as exc:
        return f"unknown ({exc})"


def one_file(litert, path: Path, entry: dict, x, y, reference) -> dict:
    row = {"file": path.name, "variant": entry["variant"], "format": entry["format"],
           "stored_sparse": entry["sparse_tensors"] > 0, "densified_at_load": "DENSIFY" in entry["operators"],
           "cpu_accuracy_at_prepare": entry["tflite_accuracy"]}
    cpu = litert.load(path, api="compiled", accelerator="cpu", threads=1)
    x = x.reshape((len(x), *cpu.input_shape))  # Conv-2 takes (28, 28, 1)
    cpu_out = litert.predict(cpu, x)
    row["cpu"] = {"accuracy": float((cpu_out.argmax(-1) == y).mean()),
                  "max_abs_diff_vs_prepare": float(np.abs(cpu_out - reference).max())}
    runners = {"cpu": cpu}
    try:
        gpu = litert.load(path, api="compiled", accelerator="gpu")
    except (litert.AcceleratorUnavailable, RuntimeError) as exc:
        row["gpu"] = {"ran": False, "reason": str(exc)[:600]}
    else:
        row["gpu"] = {"ran": True, "fully_accelerated": _fully_accelerated(gpu), **_compare(litert.predict(gpu, x),
                                                                                             cpu_out, y),
                      "native_log_tail": gpu.log[-800:]}
        row["gpu"]["accuracy_equal_to_cpu"] = row["gpu"]["accuracy"] == row["cpu"]["accuracy"]
        runners["gpu"] = gpu
    row["latency_us"] = _latency(litert, runners, x)
    return row


def run(prepared: Path) -> dict:
    from lottery_keras.acceleration import gpu, litert

    manifest = json.loads((prepared / "manifest.json").read_text())
    with np.load(prepared / "test_images.npz") as d:
        x, y = d["x"].astype(np.float32), d["y"]
    with np.load(prepared / "reference.npz") as refs:
        reference = {k: refs[k] for k in refs.files}
    status = gpu.gpu_status()
    result = {"gpu_status": status.reason, "gpu_status_ok": status.available, "images": len(x),
              "cpu": "CompiledModel, XNNPACK, 1 thread", "gpu": "CompiledModel, GPU accelerator (+ CPU fallback)",
              "repeats": REPEATS, "files": {}}
    for name, entry in manifest["files"].items():
        try:
            result["files"][name] = one_file(litert, prepared / entry["file"], entry, x, y, reference[name])
        except Exception as exc:  # keep the other files' results; say what broke this one
            result["files"][name] = {"error": f"{type(exc).__name__}: {str(exc)[:600]}"}
        print(f"  {name}: {result['files'][name].get('gpu', result['files'][name])}"[:300], flush=True)
    result["tensorflow_imported"] = "tensorflow" in sys.modules
    return result


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(run(Path(sys.argv[2])), indent=1, default=str))
