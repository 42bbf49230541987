"""Benchmark what pruning buys at inference: file size, TFLite/LiteRT and Keras latency.

LeNet-300-100 is trained for 2 epochs on mnist-mini (a Ticket), then, for each sparsity:

* unstructured: one-shot layer-wise magnitude pruning (output layer at half the rate, as in
  the LTH paper) + 1 epoch of fine-tuning with the masks fixed; exported dense and sparse
  (gzip sizes against the information limit: nonzero values + their positions + biases,
  target within 1.3x), timed as .tflite (LiteRT Interpreter, XNNPACK, 1 thread), and
  compacted (dead units removed) and timed again;
* structured: the same share of hidden units pruned by L2 norm + 1 epoch of fine-tuning,
  compacted: latency of the compacted model against the same model uncompacted, in Keras
  (the model called in a tf.function on 2,000 images) and TFLite, next to the remaining-units and MAC shares.

Plus a 2:4 LeNet (TF-MOT sparsity_m_by_n, 1 epoch from the trained weights) and the
XNNPACK-pattern MobileNet (2 dense epochs, then 80% of the 1x1 weights pruned, 2 epochs),
dense file against sparse file, and the LiteRT GPU accelerator when
this machine has one (else the reason). Timings interleave the compared models and report
medians over repeats; the machine may be shared, so the load average is recorded.

Run:  python bench/bench_sparse.py [--sparsities 0 0.5 0.8 0.9 0.95] [--repeats 41]
                                   [--out bench/results/sparse.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import variants  # bench/variants.py: the models compared, shared with bench/gpu/prepare.py

BATCHES = (1, 256)
KERAS_BATCH = 2000


def _accuracy(model, test) -> float:
    return float((model.predict(test[0], batch_size=500, verbose=0).argmax(-1) == test[1]).mean())


def _summary(times: dict) -> dict:
    """{name: {"median_us", "iqr_us", "min_us"}} from {name: timing.Timing} (the minimum is the
    least disturbed round: on a shared machine it separates compute from interference)."""
    return {name: {"median_us": t.median_us,
                   "iqr_us": 1e6 * float(np.subtract(*np.percentile(t.all_s, [75, 25]))),
                   "min_us": 1e6 * float(min(t.all_s))}
            for name, t in times.items()}


def _tflite_times(files: dict, x, repeats: int) -> dict:
    """{batch: {name: {median_us, iqr_us}}} for .tflite files: LiteRT Interpreter, XNNPACK, 1 thread."""
    from lottery_keras.acceleration import litert, timing

    out = {}
    for batch in BATCHES:
        runners = {name: litert.load(f, threads=1) for name, f in files.items()}
        out[batch] = _summary(timing.time_runners(runners, x[:batch], repeats=repeats, min_time=0.02))
    return out


def _keras_times(models: dict, x, repeats: int) -> dict:
    """{name: {median_us, iqr_us}}: each model called in a tf.function on one batch of
    KERAS_BATCH images already in a tensor (model compute, not Keras' per-call plumbing)."""
    from lottery_keras import tf
    from lottery_keras.acceleration import timing

    batch = tf.constant(x[:KERAS_BATCH])

    def compiled(model):
        run = tf.function(lambda v: model(v, training=False), autograph=False)
        return lambda _: run(batch)

    fns = {name: compiled(m) for name, m in models.items()}
    return _summary(timing.time_runners(fns, x[:KERAS_BATCH], repeats=repeats, min_time=0.02))


def _ratio(times: dict, a: str, b: str):
    if "median_us" in times.get(a, {}):
        return times[a]["median_us"] / times[b]["median_us"]
    return {batch: v[a]["median_us"] / v[b]["median_us"] for batch, v in times.items()}


def lenet_rows(sparsities, repeats: int, epochs: int) -> tuple:
    import lottery_keras as lk
    from lottery_keras.acceleration import compaction, export
    from lottery_keras.analysis import flops

    data = lk.data.load("mnist-mini")
    test = data.test
    lenet = lk.models.lenet_300_100
    base = variants.trained(data, lenet, epochs)
    trained = base.model.get_weights()
    dense_macs = flops.macs(base)
    rows = []
    for s in sparsities:
        row = {"sparsity": s}
        # unstructured magnitude pruning --------------------------------------------------
        t = variants.unstructured(trained, data, s, lenet)
        model = t.strip()
        dense, sparse = export.to_tflite(model), export.to_tflite(model, format="sparse")
        limit = export.information_limit(model)
        check = export.verify(sparse, model, *test)
        packed = compaction.compact(model)
        packed_file = export.to_tflite(packed.model)
        row["unstructured"] = {
            "remaining_weights": t.remaining().overall,
            "accuracy": check.keras_accuracy, "tflite_accuracy": check.tflite_accuracy,
            "tflite_max_abs_diff": check.max_abs_diff,
            "bytes": {"dense_raw": dense.raw_bytes, "dense_gzip": dense.gzip_bytes,
                      "sparse_raw": sparse.raw_bytes, "sparse_gzip": sparse.gzip_bytes,
                      "information_limit": limit},
            "sparse_tensors": len(sparse.sparse_tensors()),
            "gzip_sparse_over_dense": sparse.gzip_bytes / dense.gzip_bytes,
            "gzip_sparse_over_limit": sparse.gzip_bytes / limit,
            "gzip_dense_over_limit": dense.gzip_bytes / limit,
            "compaction": {"units": packed.units, "remaining_units": packed.remaining_units,
                           "mac_share": flops.macs(packed.model) / dense_macs,
                           "nonzero_mac_share": flops.macs(model, nonzero=True) / dense_macs},
        }
        tfl = _tflite_times({"dense": dense, "sparse": sparse, "compacted": packed_file}, test[0], repeats)
        ker = _keras_times({"dense": model, "compacted": packed.model}, test[0], repeats)
        u = row["unstructured"]
        u["tflite_us"] = tfl
        u["keras_us"] = ker
        u["tflite_sparse_over_dense"] = _ratio(tfl, "sparse", "dense")
        u["tflite_compacted_over_dense"] = _ratio(tfl, "compacted", "dense")
        u["keras_compacted_over_dense"] = _ratio(ker, "compacted", "dense")
        # structured: whole hidden units by L2 norm -----------------------------------------
        if s > 0:
            st = variants.structured(trained, data, s, lenet)
            smodel = st.strip()
            spacked = compaction.compact(smodel)
            diff = float(np.abs(smodel.predict(test[0], verbose=0) - spacked.model.predict(test[0], verbose=0)).max())
            files = {"dense": export.to_tflite(smodel), "compacted": export.to_tflite(spacked.model)}
            stfl = _tflite_times(files, test[0], repeats)
            sker = _keras_times({"dense": smodel, "compacted": spacked.model}, test[0], repeats)
            row["structured"] = {
                "units_pruned": s, "remaining_weights": st.remaining().overall,
                "accuracy": _accuracy(smodel, test), "compacted_accuracy": _accuracy(spacked.model, test),
                "compacted_max_abs_diff": diff, "units": spacked.units, "remaining_units": spacked.remaining_units,
                "mac_share": flops.macs(spacked.model) / dense_macs,
                "bytes": {"dense_raw": files["dense"].raw_bytes, "compacted_raw": files["compacted"].raw_bytes},
                "tflite_us": stfl, "keras_us": sker,
                "tflite_compacted_over_dense": _ratio(stfl, "compacted", "dense"),
                "keras_compacted_over_dense": _ratio(sker, "compacted", "dense"),
            }
        rows.append(row)
        print(f"  sparsity {s:.2f} done", flush=True)
    return rows, base.strip().get_weights()


def two_four(trained, repeats: int) -> dict:
    import lottery_keras as lk
    from lottery_keras.acceleration import export
    from lottery_keras.pruning import n_m as nm

    data = lk.data.load("mnist-mini")
    model = variants.two_four(trained, data, lk.models.lenet_300_100)
    dense, sparse = export.to_tflite(model), export.to_tflite(model, format="sparse")
    tfl = _tflite_times({"dense": dense, "sparse": sparse}, data.test[0], repeats)
    return {
        "pattern_ok": all(c.ok for c in nm.check_model(model).values()),
        "accuracy": _accuracy(model, data.test),
        "bytes": {"dense_gzip": dense.gzip_bytes, "sparse_gzip": sparse.gzip_bytes,
                  "information_limit": export.information_limit(model)},
        "tflite_us": tfl, "tflite_sparse_over_dense": _ratio(tfl, "sparse", "dense"),
    }


def xnnpack_mobilenet(repeats: int) -> dict:
    import lottery_keras as lk
    from lottery_keras.acceleration import export, litert, timing
    from lottery_keras.acceleration import xnnpack_model as xs

    data = lk.data.load("mnist-mini")
    model = variants.xnnpack_mobilenet(data)
    dense, sparse = export.to_tflite(model), export.to_tflite(model, format="sparse")
    runners = {"dense": litert.load(dense), "sparse": litert.load(sparse)}
    out = {1: _summary(timing.time_runners(runners, data.test[0][:1], repeats=2 * repeats, min_time=0.02))}
    expected, why = xs.sparse_inference_expected()
    return {"accuracy": _accuracy(model, data.test), "sparse_tensors": len(sparse.sparse_tensors()),
            "bytes": {"dense_raw": dense.raw_bytes, "sparse_raw": sparse.raw_bytes},
            "tflite_us": out, "tflite_sparse_over_dense": _ratio(out, "sparse", "dense"),
            "sparse_inference_expected": expected, "why": why}


def gpu(trained) -> dict:
    import lottery_keras as lk
    from lottery_keras.acceleration import export, litert, timing
    from lottery_keras.acceleration.gpu import gpu_status

    status = gpu_status()
    if not status:
        return {"result": f"not run: {status.reason}"}
    model = lk.models.lenet_300_100(seed=0)
    model.set_weights(trained)
    data = lk.data.load("mnist-mini")
    try:
        runner = litert.load(export.to_tflite(model), api="compiled", accelerator="gpu")
    except litert.AcceleratorUnavailable as err:
        return {"result": f"not run: {err}"}
    cpu = litert.load(export.to_tflite(model), api="compiled")
    times = timing.time_runners({"gpu": runner, "cpu": cpu}, data.test[0][:256], repeats=5)
    return {"result": "run", "device": status.reason, "batch": 256, "us": _summary(times)}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _table(result) -> str:
    lines = ["LeNet-300-100 on mnist-mini; TFLite = LiteRT Interpreter (XNNPACK, 1 thread), batch 1 / 256; "
             "Keras = model call in a tf.function, 2,000 images",
             f"{'pruned':>6} {'acc':>6} {'gz sp/dn':>8} {'gz sp/lim':>9} {'tfl sp/dn b1':>12} "
             f"{'units':>6} {'tfl cp/dn b1':>12} {'b256':>6} {'keras cp/dn':>11} | "
             f"{'struct units':>12} {'MACs':>6} {'acc':>6} {'tfl cp/dn b1':>12} {'b256':>6} {'keras cp/dn':>11}"]
    for row in result["lenet"]:
        u = row["unstructured"]
        line = (f"{row['sparsity']:>6.0%} {u['accuracy']:>6.3f} {u['gzip_sparse_over_dense']:>8.2f} "
                f"{u['gzip_sparse_over_limit']:>9.2f} {u['tflite_sparse_over_dense'][1]:>12.2f} "
                f"{u['compaction']['remaining_units']:>6.1%} {u['tflite_compacted_over_dense'][1]:>12.2f} "
                f"{u['tflite_compacted_over_dense'][256]:>6.2f} {u['keras_compacted_over_dense']:>11.2f} | ")
        st = row.get("structured")
        if st:
            line += (f"{st['remaining_units']:>12.1%} {st['mac_share']:>6.1%} {st['accuracy']:>6.3f} "
                     f"{st['tflite_compacted_over_dense'][1]:>12.2f} {st['tflite_compacted_over_dense'][256]:>6.2f} "
                     f"{st['keras_compacted_over_dense']:>11.2f}")
        lines.append(line)
    tf_ = result["two_four"]
    lines.append(f"2:4 LeNet: pattern ok {tf_['pattern_ok']}, accuracy {tf_['accuracy']:.3f}, TFLite sparse/dense "
                 f"b1 {tf_['tflite_sparse_over_dense'][1]:.2f}, b256 {tf_['tflite_sparse_over_dense'][256]:.2f}")
    mn = result["xnnpack_mobilenet"]
    lines.append(f"XNNPACK-pattern MobileNet (80% of 1x1 weights zero): TFLite sparse/dense b1 "
                 f"{mn['tflite_sparse_over_dense'][1]:.2f}; {mn['why']}")
    lines.append(f"LiteRT GPU: {result['gpu']['result']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sparsities", type=float, nargs="+", default=[0.0, 0.5, 0.8, 0.9, 0.95])
    parser.add_argument("--repeats", type=int, default=41, help="timed rounds per comparison (medians reported)")
    parser.add_argument("--epochs", type=int, default=2, help="dense training epochs before pruning")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "sparse.json"))
    args = parser.parse_args()

    import ai_edge_litert

    from lottery_keras import tf

    start = time.time()
    load_before = os.getloadavg()
    print("training and timing LeNet-300-100 tickets ...", flush=True)
    rows, trained = lenet_rows(args.sparsities, args.repeats, args.epochs)
    result = {
        "machine": {"cpus": os.cpu_count(), "cpu": _cpu_model(), "processor": platform.machine(),
                    "python": platform.python_version(), "tensorflow": tf.__version__,
                    "ai_edge_litert": ai_edge_litert.__version__, "load_average_before": load_before},
        "setup": {"model": "lenet_300_100", "dataset": "mnist-mini", "dense_epochs": args.epochs,
                  "fine_tune_epochs": 1, "repeats": args.repeats, "tflite": "LiteRT Interpreter, XNNPACK, 1 thread",
                  "tflite_batches": list(BATCHES), "keras_batch": KERAS_BATCH,
                  "keras": "model(x, training=False) in a tf.function, x already a tensor", "gzip_level": 9,
                  "information_limit": "32-bit nonzero kernel values + log2 C(size, nonzeros) bits per kernel "
                                       "+ 32-bit biases"},
        "lenet": rows,
        "two_four": two_four(trained, args.repeats),
        "xnnpack_mobilenet": xnnpack_mobilenet(args.repeats),
        "gpu": gpu(trained),
    }
    result["machine"]["load_average_after"] = os.getloadavg()
    result["seconds"] = time.time() - start
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(_table(result))
    print(f"wrote {args.out} in {result['seconds']:.0f} s")


if __name__ == "__main__":
    main()
