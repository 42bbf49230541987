"""Make what the GPU benchmark carries (runs HERE, with TensorFlow): the ``.gpu/`` folder.

Trains the variants of bench/variants.py on mnist-mini and exports them to ``.tflite``:
LeNet-300-100 dense, 90% unstructured (stored sparse), 50% of units pruned and compacted,
2:4 (stored sparse), and Conv-2 dense and 80% unstructured (stored sparse). Beside them:
``test_images.npz`` (mnist-mini's real test images and labels), ``reference.npz`` (each
file's outputs from LiteRT's CPU path here), ``lenet_2of4_kernels.npz`` (the 2:4 Dense
kernels, Keras layout, for sparse24.py) and ``manifest.json`` (per file: variant, format,
operators, whether stored sparse, Keras and LiteRT accuracy here). Nothing in .gpu is tracked;
carry it to the GPU machine with .whl and .gl (see docs/acceleration.md).

Run:  python bench/gpu/prepare.py [--out .gpu] [--epochs 2]   (bench/gpu/prepare.sh also fetches wheels)
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import variants  # bench/variants.py, shared with bench/bench_sparse.py

SPARSITY, UNITS, CONV_SPARSITY = 0.9, 0.5, 0.8


def models(data, epochs: int) -> dict:
    """{name: (variant description, plain model, format)} for every file to export."""
    import lottery_keras as lk
    from lottery_keras.acceleration import compaction

    # Conv-2 takes (28, 28, 1): with 28x28 input its Reshape layer computes the shape at run time
    # (SHAPE/STRIDED_SLICE/PACK), and LiteRT's CompiledModel corrupts memory when such a model is resized.
    lenet, conv2 = lk.models.lenet_300_100, functools.partial(lk.models.conv2, input_shape=(28, 28, 1))
    channels = SimpleNamespace(train=(data.train[0][..., None], data.train[1]))
    base = variants.trained(data, lenet, epochs)
    w, dense = base.model.get_weights(), base.strip()  # the ticket's weights; the plain model's
    print("  LeNet-300-100 trained", flush=True)
    units = compaction.compact(variants.structured(w, data, UNITS, lenet).strip())
    conv = variants.trained(channels, conv2, 1)
    print("  Conv-2 trained", flush=True)
    return {
        "lenet_dense": ("LeNet-300-100, dense", dense, "dense"),
        "lenet_sparse90": (f"LeNet-300-100, {SPARSITY:.0%} unstructured (magnitude), stored sparse",
                           variants.unstructured(w, data, SPARSITY, lenet).strip(), "sparse"),
        "lenet_units50_compacted": (f"LeNet-300-100, {UNITS:.0%} of hidden units pruned (L2), compacted "
                                    f"({units.remaining_units:.0%} of units left)", units.model, "dense"),
        "lenet_2of4": ("LeNet-300-100, 2:4 (TF-MOT), stored sparse",
                       variants.two_four(dense.get_weights(), data, lenet), "sparse"),
        "conv2_dense": ("Conv-2, dense (1 epoch)", conv.strip(), "dense"),
        "conv2_sparse80": (f"Conv-2, {CONV_SPARSITY:.0%} unstructured (magnitude), stored sparse",
                           variants.unstructured(conv.model.get_weights(), channels, CONV_SPARSITY, conv2).strip(),
                           "sparse"),
    }


def _commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def prepare(out: Path, epochs: int) -> dict:
    import ai_edge_litert

    import lottery_keras as lk
    from lottery_keras import tf
    from lottery_keras.acceleration import export, litert
    from lottery_keras.pruning import n_m

    out.mkdir(parents=True, exist_ok=True)
    data = lk.data.load("mnist-mini")
    x, y = data.test
    np.savez_compressed(out / "test_images.npz", x=x.astype(np.float32), y=y)
    files, reference = {}, {}
    for name, (variant, model, fmt) in models(data, epochs).items():
        exported = export.to_tflite(model, format=fmt)
        path = exported.save(out / f"{name}.tflite")
        xm = x.reshape((len(x), *model.input_shape[1:]))
        check = export.verify(exported, model, xm, y)
        reference[name] = litert.predict(exported, xm, api="compiled")
        ops = exported.operators()
        files[name] = {"file": path.name, "variant": variant, "format": fmt, "raw_bytes": exported.raw_bytes,
                       "operators": sorted(set(ops)), "sparse_tensors": len(exported.sparse_tensors()),
                       "keras_accuracy": check.keras_accuracy, "tflite_accuracy": check.tflite_accuracy,
                       "max_abs_diff_keras_tflite": check.max_abs_diff}
        if name == "lenet_2of4":
            kernels = {layer.name: layer.kernel.numpy() for layer in model.layers if hasattr(layer, "kernel")}
            files[name]["pattern_ok"] = all(c.ok for c in n_m.check_model(model).values())
            np.savez(out / "lenet_2of4_kernels.npz", **kernels)
        print(f"  {name}: {files[name]['tflite_accuracy']:.4f} accuracy, {files[name]['sparse_tensors']} sparse "
              f"tensors, DENSIFY {'DENSIFY' in ops}", flush=True)
    np.savez_compressed(out / "reference.npz", **reference)
    manifest = {"summary": {"created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                            "commit": _commit(), "tensorflow": tf.__version__,
                            "ai_edge_litert": ai_edge_litert.__version__, "dataset": "mnist-mini",
                            "test_images": len(x), "dense_epochs": epochs, "files": sorted(files)},
                "files": files}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / ".gpu"))
    parser.add_argument("--epochs", type=int, default=2, help="dense LeNet epochs before pruning")
    args = parser.parse_args()
    manifest = prepare(Path(args.out), args.epochs)
    print(f"wrote {len(manifest['files'])} models to {args.out}")


if __name__ == "__main__":
    main()
