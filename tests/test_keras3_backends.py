"""SNIP, GraSP, SynFlow and linear interpolation on Keras 3 tickets, against the hand
computations of tests/conftest.py (Tiny) (the TF-MOT path's checks); LiteRT export of a
stripped Keras 3 ticket (TensorFlow backend; Keras refuses it on JAX).

These tests exist only in the Keras 3 processes that tests/test_ticket_contract.py starts,
one per backend (``LK_TICKET_PATH=keras3 KERAS_BACKEND=jax pytest tests/test_keras3_backends.py``
by hand) after the contract tests; in the default process this file holds no tests.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import lottery_keras as lk

if os.environ.get("LK_TICKET_PATH") == "keras3":
    import keras

    from lottery_keras.analysis.interpolation import interpolate, linear_path
    from lottery_keras.keras3 import models
    from lottery_keras.keras3.scoring import GraSP, Snip, SynFlow, synflow_prune

    @pytest.fixture(scope="module")
    def hand(tiny):
        """The tiny network and its hand computations (tests/conftest.py), as the TF-MOT path checks."""
        return tiny

    def _tiny_ticket(hand):
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="relu", name="hidden"),
                                  keras.layers.Dense(2, activation="softmax", name="out")])
        model.set_weights([hand.w1, hand.b1, hand.w2, hand.b2])
        return lk.Ticket(model)

    def test_snip_is_abs_gradient_times_weight(hand):
        scores = Snip(hand.x.astype(np.float32), hand.y)(_tiny_ticket(hand))
        g1, g2 = hand.grads(hand.w1, hand.w2)
        np.testing.assert_allclose(scores["hidden"], np.abs(g1 * hand.w1), rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(scores["out"], np.abs(g2 * hand.w2), rtol=1e-4, atol=1e-7)
        with pytest.raises(ValueError, match="non-empty batch"):
            Snip(hand.x[:0], hand.y[:0])(_tiny_ticket(hand))

    @pytest.mark.parametrize("temperature", [1.0, 200.0])
    def test_grasp_is_weight_times_hessian_gradient_product(hand, temperature):
        scores = GraSP(hand.x.astype(np.float32), hand.y, temperature=temperature)(_tiny_ticket(hand))
        g1, g2 = hand.grads(hand.w1, hand.w2, temperature)
        eps = 1e-5 * temperature
        p1, p2 = hand.grads(hand.w1 + eps * g1, hand.w2 + eps * g2, temperature)
        m1, m2 = hand.grads(hand.w1 - eps * g1, hand.w2 - eps * g2, temperature)
        for got, want in [(scores["hidden"], hand.w1 * (p1 - m1) / (2 * eps)),
                          (scores["out"], hand.w2 * (p2 - m2) / (2 * eps))]:
            np.testing.assert_allclose(got, want, rtol=2e-3, atol=1e-3 * np.abs(want).max())

    def test_synflow_is_weight_times_flow_through_it(hand):
        scores = SynFlow()(_tiny_ticket(hand))
        a1, a2, b1 = np.abs(hand.w1), np.abs(hand.w2), np.abs(hand.b1)
        np.testing.assert_allclose(scores["hidden"], a1 * a2.sum(1)[None, :], rtol=1e-6)
        np.testing.assert_allclose(scores["out"], a2 * (a1.sum(0) + b1)[:, None], rtol=1e-6)

    def test_synflow_prune_on_a_conv_net_reaches_the_sparsity_without_emptying_a_layer():
        t = lk.Ticket(models.get("conv2", seed=0))
        synflow_prune(t, 0.9, iterations=10)
        r = t.remaining()
        assert r.overall == pytest.approx(0.1, abs=1e-3)
        assert min(r.per_layer.values()) > 0.01

    def test_interpolation_end_points_and_linear_path_restore_the_ticket():
        xt, yt = lk.data.load("mnist-mini").test
        t = lk.Ticket(models.get("lenet_300_100", seed=0))
        t.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        t.prune(0.5)
        a = t.take_snapshot("a")
        t.reinitialize(seed=2)
        b = t.take_snapshot("b")
        mid = interpolate(a, b, 0.25)
        np.testing.assert_allclose(mid.weights["dense_300"][0], 0.75 * a.weights["dense_300"][0]
                                   + 0.25 * b.weights["dense_300"][0])
        before = t.kernels()
        path = linear_path(t, a, b, xt[:500], yt[:500], alphas=[0, 1])
        assert path["error"][1] == pytest.approx(1 - t.evaluate(xt[:500], yt[:500], verbose=0)[1])
        assert all(np.array_equal(before[n], k) for n, k in t.kernels().items())
        assert sorted(t.snapshots) == ["a", "b", "init", "reinit"]

    def _stripped_lenet():
        t = lk.Ticket(models.get("lenet_300_100", seed=0))
        t.prune(0.8)
        return t.strip()

if os.environ.get("LK_TICKET_PATH") == "keras3" and os.environ.get("KERAS_BACKEND") == "tensorflow":
    def test_stripped_ticket_exports_to_tflite_and_runs_in_litert_with_the_same_outputs(tmp_path):
        from lottery_keras.acceleration import litert

        plain = _stripped_lenet()
        path = tmp_path / "ticket.tflite"
        plain.export(str(path), format="litert", verbose=False)
        x = lk.data.load("mnist-mini").test[0][:7]
        np.testing.assert_allclose(litert.load(path)(x), plain.predict(x, verbose=0), atol=1e-5)

if os.environ.get("LK_TICKET_PATH") == "keras3" and os.environ.get("KERAS_BACKEND") == "jax":
    def test_litert_export_is_refused_by_keras_on_jax(tmp_path):
        with pytest.raises(ValueError, match="LiteRT export requires TensorFlow or PyTorch"):
            _stripped_lenet().export(str(tmp_path / "ticket.tflite"), format="litert")

if os.environ.get("LK_TICKET_PATH") == "keras3" and os.environ.get("KERAS_BACKEND") == "torch":
    def test_litert_export_on_torch_needs_litert_torch_and_gives_a_batch_1_model(tmp_path):
        import importlib.util

        plain, path = _stripped_lenet(), tmp_path / "ticket.tflite"
        if importlib.util.find_spec("litert_torch") is None:
            with pytest.raises(ImportError, match="litert-torch"):
                plain.export(str(path), format="litert", verbose=False)
            return
        from ai_edge_litert.interpreter import Interpreter

        from lottery_keras.acceleration import litert

        plain.export(str(path), format="litert", verbose=False)
        signature = Interpreter(str(path)).get_input_details()[0]["shape_signature"]
        assert list(signature) == [1, 28, 28], "the torch export fixes the batch size to 1"
        run = litert.load(path)
        x = lk.data.load("mnist-mini").test[0][:5]
        got = np.concatenate([run(image[None]) for image in x])
        np.testing.assert_allclose(got, plain.predict(x, verbose=0), atol=1e-5)

if os.environ.get("LK_TICKET_PATH") == "keras3":
    def test_save_and_load_keep_masks_weights_snapshots_and_counters(tmp_path):
        x, y = lk.data.load("mnist-mini").train
        t = lk.Ticket(models.get("lenet_300_100", seed=0))
        t.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        t.fit(x[:600], y[:600], batch_size=60, epochs=1, verbose=0, rewind_point="3it")
        t.prune()
        t.save(tmp_path / "ticket")
        back = type(t).load(tmp_path / "ticket")
        assert (back.iteration, back.epoch, sorted(back.snapshots)) == (10, 1, ["3it", "init"])
        for name in t.masks:
            assert np.array_equal(back.masks[name], t.masks[name])
            assert np.array_equal(back.kernels()[name], t.kernels()[name])
        np.testing.assert_array_equal(back.predict(x[:50], verbose=0), t.predict(x[:50], verbose=0))
        back.rewind("3it")
        assert all(np.array_equal(k, t.snapshots["3it"].weights[n][0] * t.masks[n]) for n, k in back.kernels().items())
        with pytest.raises(FileNotFoundError, match="no saved Keras 3 ticket"):
            type(t).load(tmp_path)

if os.environ.get("LK_TICKET_PATH") == "keras3" and os.environ.get("KERAS_BACKEND") in ("jax", "tensorflow"):
    def _lenet_ticket():
        t = lk.Ticket(models.get("lenet_300_100", seed=0))
        t.compile(optimizer=keras.optimizers.Adam(1.2e-3), loss="sparse_categorical_crossentropy")
        return t

    def test_rewind_keeps_the_compiled_step_and_trains_like_a_fresh_ticket():
        """A rewind resets the optimizer in place (no recompile), and the data order does not
        depend on whether the model was compiled since the last fit."""
        x, y = lk.data.load("mnist-mini").train
        x, y = x[:1200], y[:1200]
        used = _lenet_ticket()
        used.fit(x, y, batch_size=60, epochs=1, verbose=0, seed=1)
        used.prune()
        step = used.model.train_function
        used.rewind("init")
        assert all(not np.any(keras.ops.convert_to_numpy(v.value)) for v in used.model.optimizer.variables
                   if "kernel" in v.name or "bias" in v.name), "a rewind must leave no optimizer state"
        used.fit(x, y, batch_size=60, epochs=1, verbose=0, seed=2)
        assert used.model.train_function is step, "the rewind recompiled the training step"
        fresh = _lenet_ticket()
        fresh.set_masks(used.masks)
        fresh.fit(x, y, batch_size=60, epochs=1, verbose=0, seed=2)
        for name, kernel in fresh.kernels().items():
            np.testing.assert_array_equal(used.kernels()[name], kernel)

    def test_pruning_mid_training_keeps_pruned_weights_at_zero_throughout():
        """Pruned without a rewind, Adam's moments of the pruned weights are zeroed with them,
        so those weights never move (the fit-end check would warn if one had)."""
        import warnings

        x, y = lk.data.load("mnist-mini").train
        t = _lenet_ticket()
        t.fit(x[:1200], y[:1200], batch_size=60, epochs=1, verbose=0)
        t.prune(0.5)
        for layer in t.model.layers:  # set directly, bypassing the ticket: fit zeroes them first
            if layer.name == "output":
                layer.set_weights([np.ones_like(w) for w in layer.get_weights()])
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            t.fit(x[:1200], y[:1200], batch_size=60, epochs=1, verbose=0)
        for name, kernel in t.kernels().items():
            assert not np.any(kernel[t.masks[name] == 0])

    def test_an_optimizer_that_moves_pruned_weights_is_named_in_a_warning():
        x, y = lk.data.load("mnist-mini").train
        t = lk.Ticket(models.get("lenet_300_100", seed=0))
        t.compile(optimizer=keras.optimizers.Muon(learning_rate=0.01), loss="sparse_categorical_crossentropy")
        t.prune(0.5)
        with pytest.warns(UserWarning, match="moved pruned weights of dense_300"):
            t.fit(x[:600], y[:600], batch_size=60, epochs=1, verbose=0)
        for name, kernel in t.kernels().items():
            assert not np.any(kernel[t.masks[name] == 0])
