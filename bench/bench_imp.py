"""Benchmark: one IMP level with lottery_keras.experiment vs the same work by hand.

One level = prune the previous level's trained weights by magnitude (LTH rates: 20% per
dense layer, 10% output), rewind to W0 under the new mask, fresh Adam(1.2e-3), train a
full level (default: the demo's 6 epochs of mnist-mini at batch 60 = 918 iterations)
measuring train/validation/test loss and accuracy every 50 iterations, then save the
mask, the metric history and the weights.

* library: ``Experiment.run_unit(Unit(1, "lottery", 0))``, exactly what ``lottery-keras run``
  does per unit (Ticket, snapshots, atomic fsynced writes, results rows);
* by hand: plain ``tf_keras`` + TF-MOT: ``prune_low_magnitude`` with a schedule that never
  prunes, ``UpdatePruningStep``, masks computed with numpy and assigned to the wrappers'
  mask variables, the same evaluation sets evaluated by a ``tf.function`` in a callback,
  ``np.savez_compressed`` / ``csv`` for the files.

The two alternate in one process (median of `--repeats`), so drift in machine load hits
both alike. Target: library / by hand <= 1.15.

Run:  python bench/bench_imp.py [--repeats 3] [--epochs 6] [--out bench/results/imp.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # before TensorFlow loads: TF-MOT wraps Keras 2 models only


class ByHand:
    """IMP with plain tf_keras + TF-MOT (no lottery_keras code on the timed path).

    The model, its wrappers and the evaluation function are built once, as anyone writing
    an IMP loop by hand would; :meth:`level` is one timed IMP level.
    """

    def __init__(self, data, config):
        import tensorflow as tf
        import tensorflow_model_optimization as tfmot
        import tf_keras as keras
        from tensorflow_model_optimization.python.core.sparsity.keras import pruning_schedule, pruning_wrapper

        class NeverPrune(pruning_schedule.PruningSchedule):
            def __call__(self, step):
                return tf.constant(False), tf.constant(0.0, dtype=tf.float32)

            def get_config(self):
                return {}

        self.keras, self.tf, self.tfmot, self.data, self.config = keras, tf, tfmot, data, config
        # the same architecture as lottery_keras.models.lenet_300_100, wrapped by TF-MOT
        model = keras.Sequential([
            keras.Input(shape=(28, 28)), keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(300, activation="relu", name="dense_300"),
            keras.layers.Dense(100, activation="relu", name="dense_100"),
            keras.layers.Dense(10, activation="softmax", name="output"),
        ])
        self.model = tfmot.sparsity.keras.prune_low_magnitude(model, pruning_schedule=NeverPrune())
        self.wrappers = {w.layer.name: w for w in self.model.layers  # (TF-MOT wraps Flatten too, with no weights)
                         if isinstance(w, pruning_wrapper.PruneLowMagnitude) and w.pruning_vars}
        n = min(config.train_eval_size, len(data.train[1]))
        sets = {"train": (data.train[0][:n], data.train[1][:n]), "validation": data.validation, "test": data.test}
        self.sets = {k: (tf.constant(x), tf.constant(y)) for k, (x, y) in sets.items()}
        m = self.model

        @tf.function(reduce_retracing=True)
        def sums(x, y):
            p = m(x, training=False)
            return (tf.reduce_sum(keras.losses.sparse_categorical_crossentropy(y, p)),
                    tf.reduce_sum(tf.cast(tf.equal(tf.argmax(p, -1), y), tf.int64)))

        self.sums = sums

    def level(self, w0, trained, prev_masks, out_dir: Path, seed: int) -> None:
        keras, tfmot, data, config = self.keras, self.tfmot, self.data, self.config
        rates = {"dense_300": 0.2, "dense_100": 0.2, "output": 0.1}
        masks = {}
        for name, mask in prev_masks.items():  # magnitude pruning of the surviving weights
            flat = mask.ravel().copy()
            alive = np.flatnonzero(flat)
            count = round(rates[name] * alive.size)
            scores = np.abs(trained[name][0]).ravel()[alive]
            flat[alive[np.argpartition(scores, count - 1)[:count]]] = 0
            masks[name] = flat.reshape(mask.shape)
        for name, w in self.wrappers.items():  # rewind: W0 * mask, masks into the wrappers
            w.pruning_vars[0][1].assign(masks[name])
            w.layer.kernel.assign(w0[name][0] * masks[name])
            w.layer.bias.assign(w0[name][1])
        self.model.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                           loss="sparse_categorical_crossentropy")
        steps = math.ceil(len(data.train[1]) / config.batch_size)
        total = config.iterations_per_level(steps)
        history, sets, sums = [], self.sets, self.sums

        class Every(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.it = 0

            def record(self):
                row = {"iteration": self.it}
                for k, (x, y) in sets.items():
                    loss, correct = sums(x, y)
                    row[f"{k}_loss"], row[f"{k}_accuracy"] = float(loss) / len(y), int(correct) / len(y)
                history.append(row)

            def on_train_begin(self, logs=None):
                self.record()

            def on_train_batch_end(self, batch, logs=None):
                self.it += 1
                if self.it % config.eval_every == 0 or self.it == total:
                    self.record()
                if self.it >= total:
                    self.model.stop_training = True

        keras.utils.set_random_seed(seed)
        self.model.fit(*data.train, batch_size=config.batch_size, epochs=math.ceil(total / steps), verbose=0,
                       callbacks=[tfmot.sparsity.keras.UpdatePruningStep(), Every()])
        for name, w in self.wrappers.items():
            w.layer.kernel.assign(w.layer.kernel * masks[name])
        out_dir.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(out_dir / "mask.npz", **{k: v.astype(np.uint8) for k, v in masks.items()})
        with open(out_dir / "history.csv", "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(history[0]))
            writer.writeheader()
            writer.writerows(history)
        np.savez_compressed(out_dir / "weights.npz", **{f"{k}/{i}": v.numpy() for k, w in self.wrappers.items()
                                                         for i, v in enumerate(w.layer.weights)})


def bench(repeats: int, epochs: int) -> dict:
    from lottery_keras.experiment import ExperimentConfig, Unit
    from lottery_keras.experiment import run_dir as rd
    from lottery_keras.experiment.imp import Experiment, load_data
    from lottery_keras.experiment.progress import Progress

    config = ExperimentConfig(levels=1, epochs=epochs, eval_every=50, variants=("lottery",))
    data = load_data(config)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "lib"
        rd.RunDir(out).create(config)
        exp = Experiment(config, out, data, Progress(quiet=True))
        exp.run_unit(Unit(0, "lottery", 0))  # level 0: the trained weights both prune from (untimed)
        level0 = out / Unit(0, "lottery", 0).name
        w0 = rd.load_snapshot(out / "replicate_0" / "init.npz").weights
        trained = rd.load_snapshot(level0 / "weights.npz").weights
        prev_masks = rd.load_masks(level0 / "mask.npz")

        def library():
            exp._masks.clear()  # prune again each time, as a fresh level would
            exp.run_unit(Unit(1, "lottery", 0))

        hand = ByHand(data, config)

        def by_hand():
            hand.level(w0, trained, prev_masks, Path(tmp) / "hand", seed=config.fit_seed(Unit(1, "lottery", 0)))

        runs = {"library": library, "by_hand": by_hand}
        for fn in runs.values():  # warm-up: first traces, first allocations
            fn()
        times = {name: [] for name in runs}
        for _ in range(repeats):
            for name, fn in runs.items():
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
        lib_history = rd.read_csv(out / Unit(1, "lottery", 0).name / "history.csv")
        hand_history = rd.read_csv(Path(tmp) / "hand" / "history.csv")
    median = {name: float(np.median(t)) for name, t in times.items()}
    return {
        "what": "one IMP level (prune, rewind to W0, train, evaluate every eval_every iterations, save files)",
        "config": config.to_dict(), "iterations_per_level": exp.total, "train_examples": len(data.train[1]),
        "repeats": repeats, "seconds": times, "median_seconds": median,
        "ratio_library_over_by_hand": median["library"] / median["by_hand"], "target_ratio": 1.15,
        # less sensitive to load spikes from other jobs: each library level over the by-hand level next to it
        "median_of_paired_ratios": float(np.median(np.array(times["library"]) / np.array(times["by_hand"]))),
        "ratio_of_fastest": min(times["library"]) / min(times["by_hand"]),
        "final_test_accuracy": {"library": lib_history[-1]["test_accuracy"],
                                "by_hand": hand_history[-1]["test_accuracy"]},
        "same_metric_history": lib_history == hand_history,  # same W0, mask, seed: the same training?
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="timed levels per implementation")
    parser.add_argument("--epochs", type=int, default=6, help="epochs per level")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "imp.json"))
    args = parser.parse_args()
    import tensorflow as tf

    result = {
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "python": platform.python_version(), "tensorflow": tf.__version__},
        "imp_level": bench(args.repeats, args.epochs),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    r = result["imp_level"]
    print(f"one IMP level ({r['iterations_per_level']} iterations): library {r['median_seconds']['library']:.2f}s, "
          f"by hand {r['median_seconds']['by_hand']:.2f}s, ratio {r['ratio_library_over_by_hand']:.3f} "
          f"(target <= 1.15); median of paired ratios {r['median_of_paired_ratios']:.3f}, fastest vs fastest "
          f"{r['ratio_of_fastest']:.3f}; same metric history: {r['same_metric_history']}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
