"""Ticket.save / Ticket.load (lottery_keras.pruning.checkpoint) on real data (mnist-mini): exact
round trip, training after loading, and clear errors for corrupt or mismatched files."""

import numpy as np
import pytest

import lottery_keras as lk
from lottery_keras import keras
from lottery_keras.pruning import npz, snapshot

BATCH = 60


@pytest.fixture(scope="module")
def data(mnist_mini):
    x, y = mnist_mini.train
    return x[:1200], y[:1200]


@pytest.fixture(scope="module")
def saved(data, tmp_path_factory):
    """A ticket trained with a late rewind point, pruned, trained on, and saved."""
    x, y = data
    t = lk.Ticket(lk.models.get("lenet_300_100", seed=1))
    t.compile(optimizer=keras.optimizers.Adam(1.2e-3), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
    t.fit(x, y, batch_size=BATCH, epochs=2, verbose=0, rewind_point="30it", seed=0)
    t.prune()
    t.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, seed=1)
    path = t.save(tmp_path_factory.mktemp("ticket") / "t.ticket")
    return t, path


def _same_snapshot(a, b):
    return (a.iteration == b.iteration and list(a.weights) == list(b.weights)
            and all(np.array_equal(u, v) and u.dtype == v.dtype
                    for name in a.weights for u, v in zip(a.weights[name], b.weights[name], strict=True)))


def test_save_load_round_trips_weights_masks_snapshots_and_counts_exactly(saved):
    t, path = saved
    back = lk.Ticket.load(path)
    assert _same_snapshot(snapshot.take(back.model, back.iteration), snapshot.take(t.model, t.iteration))
    assert list(back.masks) == list(t.masks) and all(np.array_equal(back.masks[k], t.masks[k]) for k in t.masks)
    assert list(back.snapshots) == ["init", "30it"]
    assert all(_same_snapshot(back.snapshots[k], t.snapshots[k]) for k in t.snapshots)
    assert (back.iteration, back.epoch) == (t.iteration, t.epoch) == (60, 3)
    assert type(back.model.optimizer).__name__ == "Adam"
    assert back.model.optimizer.learning_rate.numpy() == t.model.optimizer.learning_rate.numpy()
    assert back.model.loss == "sparse_categorical_crossentropy"
    state = [v.numpy() for v in t.model.optimizer.variables]
    assert all(np.array_equal(a, b.numpy()) for a, b in zip(state, back.model.optimizer.variables, strict=True))


def test_training_a_loaded_ticket_matches_training_the_original(saved, data):
    t, path = saved
    x, y = data
    back = lk.Ticket.load(path)
    for ticket in (t, back):  # the optimizer's moments and step count carry on as in the original
        ticket.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, seed=5)
    assert _same_snapshot(snapshot.take(back.model, back.iteration), snapshot.take(t.model, t.iteration))
    back.rewind("30it")  # a rewind point survives saving: rewind + train as on the original
    assert back.iteration == 30
    for name, kernel in back.kernels().items():
        assert np.array_equal(kernel, t.snapshots["30it"].weights[name][0] * t.masks[name])
    masks = back.masks
    back.fit(x[:600], y[:600], batch_size=BATCH, epochs=1, verbose=0)
    assert all(np.all(k[masks[n] == 0] == 0) for n, k in back.kernels().items())


def test_corrupt_truncated_and_mismatched_files_are_refused_by_name(saved, tmp_path):
    _, path = saved
    content = path.read_bytes()
    (tmp_path / "cut.ticket").write_bytes(content[: len(content) // 2])
    with pytest.raises(ValueError, match=r"cut\.ticket is not a readable \.npz file"):
        lk.Ticket.load(tmp_path / "cut.ticket")
    flipped = bytearray(content)
    flipped[len(flipped) // 3] ^= 0xFF  # inside a compressed array: the zip CRC check fails
    (tmp_path / "flip.ticket").write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match=r"flip\.ticket"):
        lk.Ticket.load(tmp_path / "flip.ticket")
    arrays = npz.read(path)
    snapshot.save(tmp_path / "snap.npz", snapshot.from_arrays(arrays, "snapshot/0/"))
    with pytest.raises(ValueError, match=r"snap\.npz lacks meta"):
        lk.Ticket.load(tmp_path / "snap.npz")
    arrays["mask/dense_100"] = arrays["mask/dense_100"][:10]
    npz.write(tmp_path / "shape.ticket", arrays)
    with pytest.raises(ValueError, match=r"shape\.ticket does not match.*dense_100.*shape"):
        lk.Ticket.load(tmp_path / "shape.ticket")
    with pytest.raises(FileNotFoundError):
        lk.Ticket.load(tmp_path / "missing.ticket")
