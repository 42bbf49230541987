"""The Ticket contract, checked on every path: tf_keras + TF-MOT here, Keras 3 on each backend
in a subprocess (Keras 3 fixes its backend at import, so each backend needs its own process).

``LK_TICKET_PATH=keras3 KERAS_BACKEND=jax pytest tests/test_ticket_contract.py`` runs one
Keras 3 backend by hand. Real data: the bundled mnist-mini.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

import lottery_keras as lk

PATH = os.environ.get("LK_TICKET_PATH", "tf_keras")
BATCH = 60
# CI installs the jax extra; torch only where someone installed it (see README)
BACKENDS = ["jax", "tensorflow"] + (["torch"] if importlib.util.find_spec("torch") else [])


def _keras():
    if PATH == "keras3":
        import keras

        return keras
    return lk.keras


def _ticket(seed=0):
    if PATH == "keras3":
        from lottery_keras.keras3 import models
        model = models.get("lenet_300_100", seed=seed)
    else:
        model = lk.models.get("lenet_300_100", seed=seed)
    ticket = lk.Ticket(model)
    ticket.compile(optimizer=_keras().optimizers.Adam(1.2e-3), loss="sparse_categorical_crossentropy",
                   metrics=["accuracy"])
    return ticket


@pytest.fixture(scope="module")
def data():
    (x, y) = lk.data.load("mnist-mini").train
    return x[:1200], y[:1200]  # 20 steps of 60


def _same(a, b):
    return set(a) == set(b) and all(np.array_equal(a[k], b[k]) for k in a)


def test_ticket_is_on_the_expected_path():
    t = _ticket()
    assert isinstance(t, lk.Ticket)
    assert type(t).__module__ == ("lottery_keras.keras3.ticket" if PATH == "keras3" else "lottery_keras.ticket")
    assert list(t.masks) == ["dense_300", "dense_100", "output"]
    assert all(m.dtype == np.float32 and m.min() == 1 for m in t.masks.values())


def test_pruned_weights_stay_exactly_zero_after_training(data):
    t = _ticket()
    t.prune(0.5)
    masks = t.masks
    t.fit(*data, batch_size=BATCH, epochs=1, verbose=0)
    assert _same(t.masks, masks), "training changed a mask"
    for name, kernel in t.kernels().items():
        assert np.all(kernel[masks[name] == 0] == 0.0)
        assert np.count_nonzero(kernel[masks[name] == 1]) > 0.99 * masks[name].sum()


def test_masks_shrink_monotonically_and_sparsity_is_exact_to_one_weight():
    t = _ticket()
    previous = t.masks
    for scope, criterion in [("layerwise", "magnitude"), ("global", "magnitude"), ("layerwise", "random"),
                             ("global", "random")]:
        alive = {n: int(m.sum()) for n, m in previous.items()}
        fraction = 0.3 if scope == "global" else None
        rates = t.lth_rates()
        t.prune(fraction, scope=scope, criterion=criterion, seed=1)
        now = t.masks
        assert all(np.all(now[n] <= previous[n]) for n in now), "a pruned weight came back"
        removed = {n: alive[n] - int(now[n].sum()) for n in now}
        if scope == "layerwise":
            assert all(abs(removed[n] - rates[n] * alive[n]) <= 1 for n in now)
        else:
            assert abs(sum(removed.values()) - 0.3 * sum(alive.values())) <= 1
        previous = now
    counts = {n: m.sum() for n, m in previous.items()}
    t.randomize_masks(seed=5)
    assert {n: m.sum() for n, m in t.masks.items()} == counts and not _same(t.masks, previous)


def test_rewinding_is_exact_and_resets_the_optimizer(data):
    t = _ticket()
    w0 = {n: [v.copy() for v in vs] for n, vs in t.snapshots["init"].weights.items()}
    t.fit(*data, batch_size=BATCH, epochs=2, verbose=0, rewind_point="5it")
    assert t.iteration == 40 and t.snapshots["5it"].iteration == 5
    late = t.snapshots["5it"].weights
    t.prune()
    for point, snap, iteration in [("5it", late, 5), ("init", w0, 0)]:
        t.rewind(point)
        assert t.iteration == iteration
        for name, kernel in t.kernels().items():
            assert np.array_equal(kernel, snap[name][0] * t.masks[name])
            assert np.array_equal(kernel[t.masks[name] == 1], snap[name][0][t.masks[name] == 1])
    assert int(t.model.optimizer.iterations.numpy()) == 0, "rewind must give a fresh optimizer"
    t.reinitialize(seed=2, keep_sign=True)
    for name, kernel in t.kernels().items():
        alive = t.masks[name] == 1
        assert np.all(kernel[~alive] == 0) and not np.allclose(kernel[alive], w0[name][0][alive])
        assert np.array_equal(np.sign(kernel[alive]), np.sign(w0[name][0][alive]))


def test_same_seed_gives_same_masks_and_metrics(data):
    runs = []
    for _ in range(2):
        t = _ticket(seed=3)
        history = t.fit(*data, batch_size=BATCH, epochs=1, verbose=0, seed=7)
        t.prune()
        runs.append((history.history, t.masks))
    assert runs[0][0] == runs[1][0]
    assert _same(runs[0][1], runs[1][1])


def test_strip_gives_a_plain_model_with_zeros_and_the_same_outputs(data):
    x, _ = data
    t = _ticket()
    t.prune(0.6)
    plain = t.strip()
    assert {type(layer).__name__ for layer in plain.layers} <= {"Flatten", "Dense"}
    np.testing.assert_allclose(plain.predict(x[:100], verbose=0), t.predict(x[:100], verbose=0), atol=1e-6)
    kernel = plain.get_layer("dense_300").kernel.numpy()
    assert np.array_equal(kernel == 0, t.masks["dense_300"] == 0)


def test_bad_input_gives_clear_errors(data):
    t = _ticket()
    masks = t.masks
    with pytest.raises(ValueError, match="exactly the prunable layers"):
        t.set_masks({"dense_300": masks["dense_300"]})
    with pytest.raises(ValueError, match="shape"):
        t.set_masks({**masks, "output": masks["output"][:5]})
    with pytest.raises(ValueError, match="only 0 and 1"):
        t.set_masks({**masks, "output": masks["output"] * 0.5})
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        t.prune(1.5)
    with pytest.raises(ValueError, match="no snapshot"):
        t.rewind("7it")
    with pytest.raises(ValueError, match="unknown scope"):
        t.prune(0.2, scope="everywhere")
    keras = _keras()
    if PATH == "keras3":
        rnn = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(4, name="rnn")])
        with pytest.raises(TypeError, match=r"'rnn'.*cannot mask"):
            lk.Ticket(rnn)
    fresh = lk.Ticket(keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]))
    with pytest.raises(RuntimeError, match="compile"):
        fresh.fit(*data, epochs=1, verbose=0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_contract_on_keras3_backend(backend):
    """Every test above, in a fresh process on a Keras 3 backend (and on JAX, without TensorFlow),
    then the Keras 3 scorers, interpolation and export (tests/test_keras3_backends.py)."""
    env = {**os.environ, "LK_TICKET_PATH": "keras3", "KERAS_BACKEND": backend}
    scorers = os.path.join(os.path.dirname(__file__), "test_keras3_backends.py")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", __file__, scorers,
                          "-k", "not test_contract_on_keras3_backend"],
                         env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert " passed" in run.stdout


if PATH == "keras3" and os.environ.get("KERAS_BACKEND") == "jax":
    def test_zz_a_jax_ticket_never_loaded_tensorflow():
        """Runs last in the JAX process: nothing above (tickets, fit, prune, strip) imported TensorFlow."""
        assert "tensorflow" not in sys.modules
