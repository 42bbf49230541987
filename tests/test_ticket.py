"""Ticket behaviour on real data (the bundled MNIST subset): masks, rewinding, variants."""

import numpy as np
import pytest

import lottery_keras as lk
from lottery_keras import keras

BATCH = 60


@pytest.fixture(scope="module")
def data(mnist_3000):
    return mnist_3000


def _same(a, b):
    return set(a) == set(b) and all(np.array_equal(a[k], b[k]) for k in a)


def test_new_ticket_has_full_masks_on_dense_layers_only(make_ticket):
    t = make_ticket()
    assert list(t.masks) == ["dense_300", "dense_100", "output"]
    assert all(m.dtype == np.float32 and m.min() == 1 for m in t.masks.values())
    assert t.remaining().overall == 1.0
    assert t.lth_rates() == {"dense_300": 0.2, "dense_100": 0.2, "output": 0.1}


def test_pruned_weights_stay_exactly_zero_through_training_and_masks_do_not_move(data, make_ticket):
    (x, y), _ = data
    t = make_ticket()
    t.prune()
    masks = t.masks
    t.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    assert _same(t.masks, masks), "training changed the mask"
    for name, kernel in t.kernels().items():
        assert np.all(kernel[masks[name] == 0] == 0.0)
        assert np.count_nonzero(kernel[masks[name] == 1]) > 0.99 * masks[name].sum()


def test_prune_meets_lth_rates_and_global_rate_within_one_weight(data, make_ticket):
    t = make_ticket()
    sizes = {n: m.size for n, m in t.masks.items()}
    t.prune()  # LTH rates: 20%, 20%, output 10%
    for name, rate in t.lth_rates().items():
        assert abs(sizes[name] - t.masks[name].sum() - rate * sizes[name]) <= 1
    before = sum(m.sum() for m in t.masks.values())
    t.prune(0.5, scope="global")
    after = sum(m.sum() for m in t.masks.values())
    assert abs((before - after) - 0.5 * before) <= 1


def test_rewind_to_init_restores_w0_bit_for_bit(data, make_ticket):
    (x, y), _ = data
    t = make_ticket()
    w0 = {n: [v.copy() for v in vs] for n, vs in t.snapshots["init"].weights.items()}
    t.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    t.prune()
    t.rewind("init")
    for layer in t.model.layers:
        inner = getattr(layer, "layer", layer)
        if not inner.weights:
            continue
        mask = t.masks[inner.name]
        kernel, bias = (v.numpy() for v in inner.weights)
        assert np.array_equal(kernel, w0[inner.name][0] * mask)
        assert np.array_equal(kernel[mask == 1], w0[inner.name][0][mask == 1])  # exact, bit for bit
        assert np.array_equal(bias, w0[inner.name][1])
    assert t.iteration == 0


def test_rewind_point_is_captured_once_at_its_iteration(data, make_ticket):
    (x, y), _ = data
    t = make_ticket()
    t.fit(x, y, batch_size=BATCH, epochs=2, verbose=0, rewind_point="30it")
    assert t.iteration == 2 * 50
    snap = t.snapshots["30it"]
    assert snap.iteration == 30
    t.prune()
    t.rewind("30it")
    assert t.iteration == 30
    for name, kernel in t.kernels().items():
        assert np.array_equal(kernel, snap.weights[name][0] * t.masks[name])
    t.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, rewind_point="30it")
    assert t.snapshots["30it"] is snap, "a later round must not overwrite the rewind point"
    fresh = make_ticket()  # rewind points count from initialisation: "1ep" = after the first epoch
    fresh.fit(x[:600], y[:600], batch_size=BATCH, epochs=2, verbose=0, rewind_point="1ep")
    assert fresh.snapshots["1ep"].iteration == 10 and fresh.iteration == 20


def test_reinitialize_keeps_mask_but_draws_new_weights(data, make_ticket):
    t = make_ticket()
    t.prune(0.5)
    masks, w0 = t.masks, t.snapshots["init"].weights
    t.reinitialize(seed=1)
    assert _same(t.masks, masks)
    for name, kernel in t.kernels().items():
        assert np.all(kernel[masks[name] == 0] == 0)
        alive = kernel[masks[name] == 1]
        assert not np.allclose(alive, w0[name][0][masks[name] == 1])
        # same distribution family: Glorot-normal std within 10% of W0's
        assert np.std(alive) == pytest.approx(np.std(w0[name][0]), rel=0.1)
    first = t.kernels()
    t.reinitialize(seed=1)
    assert _same(first, t.kernels())
    t.rewind("reinit")
    assert _same(first, t.kernels())


def test_sign_preserving_reinit_keeps_w0_signs():
    t = lk.Ticket(lk.models.lenet_300_100(seed=0))
    t.prune(0.5)
    w0 = t.snapshots["init"].weights
    t.reinitialize(seed=4, keep_sign=True)
    for n, k in t.kernels().items():
        alive = t.masks[n] == 1
        assert np.array_equal(np.sign(k[alive]), np.sign(w0[n][0][alive]))
        assert not np.allclose(np.abs(k[alive]), np.abs(w0[n][0][alive]))


def test_random_mask_keeps_per_layer_counts_and_original_init(make_ticket):
    t = make_ticket()
    t.prune()
    t.prune()
    counts = {n: m.sum() for n, m in t.masks.items()}
    old = t.masks
    t.randomize_masks(seed=5)
    t.rewind("init")
    assert {n: m.sum() for n, m in t.masks.items()} == counts
    assert not _same(old, t.masks)
    w0 = t.snapshots["init"].weights
    assert all(np.array_equal(k, w0[n][0] * t.masks[n]) for n, k in t.kernels().items())


def test_same_seed_reproduces_masks_and_metrics(data, make_ticket):
    (x, y), _ = data
    runs = []
    for _ in range(2):
        t = make_ticket(seed=3)
        h = t.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, seed=7)
        t.prune()
        runs.append((h.history, t.masks))
    assert runs[0][0] == runs[1][0]
    assert _same(runs[0][1], runs[1][1])


def test_strip_gives_an_independent_plain_model_with_the_same_outputs(data, make_ticket):
    (x, y), (xt, yt) = data
    t = make_ticket()
    t.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    t.prune(0.5)
    plain = t.strip()
    assert not any("prune" in type(layer).__name__.lower() for layer in plain.layers)
    np.testing.assert_allclose(plain.predict(xt[:200], verbose=0), t.predict(xt[:200], verbose=0), atol=1e-6)
    kernel = plain.get_layer("dense_300").kernel.numpy()
    assert np.all(kernel[t.masks["dense_300"] == 0] == 0)
    _loss, acc = plain.evaluate(xt, yt, verbose=0)  # compiled like the ticket
    assert acc > 0.8
    t.rewind("init")
    assert np.array_equal(plain.get_layer("dense_300").kernel.numpy(), kernel), "strip() must not share weights"


def test_conv_ticket_uses_conv_rate_and_trains(data, make_ticket):
    (x, y), _ = data
    t = make_ticket(model="conv2")
    rates = t.lth_rates()
    assert rates["conv1a"] == 0.1 and rates["dense_256a"] == 0.2 and rates["output"] == 0.1
    t.prune()
    t.fit(x[:600], y[:600], batch_size=BATCH, epochs=1, verbose=0)
    assert np.all(t.kernels()["conv1b"][t.masks["conv1b"] == 0] == 0)


def test_iteration_is_live_during_fit_for_user_callbacks(data, make_ticket):
    (x, y), _ = data
    t = make_ticket()
    seen = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(t.iteration)

    t.fit(x[:600], y[:600], batch_size=BATCH, epochs=2, verbose=0, callbacks=[Record()])
    assert seen == list(range(1, 21)) and t.iteration == 20
    t.rewind("init")
    assert t.iteration == 0


def test_gradient_tape_loop_keeps_pruned_weights_exactly_zero_with_apply_masks(data, make_ticket):
    (x, y), _ = data
    t = make_ticket()
    t.prune()
    masks = t.masks
    optimizer = keras.optimizers.Adam(1e-3)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    before = t.kernels()

    def step(i):
        with lk.tf.GradientTape() as tape:
            loss = loss_fn(y[i:i + BATCH], t.model(x[i:i + BATCH], training=True))
        grads = tape.gradient(loss, t.model.trainable_variables)
        optimizer.apply_gradients(zip(grads, t.model.trainable_variables, strict=True))
        return float(loss)

    step(0)  # without apply_masks the gradient step moves pruned weights off zero ...
    assert all(np.any(k[masks[n] == 0] != 0) for n, k in t.kernels().items())
    t.apply_masks()  # ... and apply_masks puts them back
    losses = []
    for i in range(BATCH, 20 * BATCH, BATCH):  # the documented recipe: apply_masks after every step
        losses.append(step(i))
        t.apply_masks()
        assert all(np.all(k[masks[n] == 0] == 0.0) for n, k in t.kernels().items())
    assert _same(t.masks, masks), "the loop changed the mask"
    after = t.kernels()
    assert all(np.mean(after[n][masks[n] == 1] != before[n][masks[n] == 1]) > 0.5 for n in masks), "alive ones train"
    assert np.mean(losses[-5:]) < np.mean(losses[:5])
