"""Shared test fixtures: the real-data location, mnist-mini, LTH tickets, a trained LeNet and
its .tflite export, and a tiny network with hand-computed gradients."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from lottery_keras.data import DatasetError, datasets, files, sources

REPO = Path(__file__).resolve().parents[1]
FULL = ("mnist", "fashion_mnist")


@pytest.fixture(scope="session")
def shared_data(tmp_path_factory) -> Path:
    """A folder holding the real ``mnist/`` and ``fashion-mnist/`` IDX files.

    Each dataset is obtained as the library obtains it for a user: ``$LOTTERY_KERAS_DATA``,
    the Keras cache, Debian's folder, then the Keras download (needs internet). When that
    finds ``$LOTTERY_KERAS_DATA`` itself (CI, offline) it is returned as is; otherwise a
    temporary folder links the folders found, and Keras' ``mnist.npz`` is written out as
    IDX files (the same data, checked against the published sums). Fails, never skips,
    when a dataset can be neither found nor downloaded.
    """
    places = {name: _obtain(name) for name in FULL}
    roots = {place.parent for place in places.values()}
    if len(roots) == 1 and all(place.name == sources.FOLDERS[n] for n, place in places.items()):
        return roots.pop()
    root = tmp_path_factory.mktemp("data")
    for name, place in places.items():
        folder = root / sources.FOLDERS[name]
        if place.is_dir():
            folder.symlink_to(place)
        else:  # Keras' mnist.npz: the same data, written out as the original files
            files.write_files(folder, datasets.read_raw(name))
            datasets.read_files(name, folder)
    return root


def _obtain(name: str) -> Path:
    """Where the library finds `name`, downloading it first if it is nowhere on disk."""
    try:
        place = datasets.locate(name)
        if place is None:
            datasets.read_raw(name)  # the Keras download, checked like any file
            place = datasets.locate(name)
    except DatasetError as err:
        error = str(err)
    else:
        error = ""
    if error:
        pytest.fail(f"test data: the real {name} dataset was neither found nor downloadable.\n{error}\n"
                    "On a machine with internet the tests download it with Keras; offline, set "
                    "LOTTERY_KERAS_DATA to a folder holding mnist/ and fashion-mnist/ with the "
                    "original IDX .gz files.", pytrace=False)
    if place is None:
        pytest.fail(f"test data: {name} was downloaded but not found in the Keras cache "
                    f"({sources.keras_cache()}); is it writable?", pytrace=False)
    return place


# --- shared models (real data only: the bundled mnist-mini subset of MNIST) ----------------

@pytest.fixture(scope="session")
def mnist_mini():
    """The bundled MNIST subset, loaded once per test session."""
    import lottery_keras as lk

    return lk.data.load("mnist-mini")


@pytest.fixture(scope="session")
def mnist_3000(mnist_mini):
    """((x, y) of the first 3,000 training images, (x, y) of the test set)."""
    x, y = mnist_mini.train
    return (x[:3000], y[:3000]), mnist_mini.test


@pytest.fixture(scope="session")
def make_ticket():
    """``make_ticket(model="lenet_300_100", seed=0)``: a new Ticket of an LTH model, compiled
    as the LTH paper trains it (Adam 1.2e-3, cross-entropy, accuracy)."""
    import lottery_keras as lk

    def make(model="lenet_300_100", seed=0):
        t = lk.Ticket(lk.models.get(model, seed=seed))
        t.compile(optimizer=lk.keras.optimizers.Adam(1.2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
        return t

    return make


@pytest.fixture(scope="session")
def trained_lenet(make_ticket, mnist_3000):
    """LeNet-300-100 trained one epoch (seed 0) on 3,000 images; copy its weights, never change it."""
    t = make_ticket()
    t.fit(*mnist_3000[0], batch_size=60, epochs=1, verbose=0, seed=0)
    return t


@pytest.fixture(scope="session")
def tflite(mnist_mini):
    """(LeNet-300-100 trained one epoch on mnist-mini, its dense .tflite export)."""
    import lottery_keras as lk
    from lottery_keras.acceleration import export

    model = lk.models.lenet_300_100(seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(*mnist_mini.train, batch_size=60, epochs=1, verbose=0)
    return model, export.to_tflite(model)


class Tiny:
    """A 3-2-2 Dense network (ReLU, softmax) with fixed weights, three examples, and its
    cross-entropy gradient computed by hand: scorers are checked against it exactly."""

    w1 = np.array([[0.5, -1.0], [0.25, 0.75], [-0.5, 0.3]])
    b1 = np.array([0.1, -0.2])
    w2 = np.array([[1.0, -0.5], [-0.25, 0.8]])
    b2 = np.array([0.05, -0.05])
    x = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0], [-0.7, 0.4, 0.1]])
    y = np.array([0, 1, 1])

    def ticket(self):
        """A new Ticket of the network (layers "hidden" and "out")."""
        import lottery_keras as lk

        keras = lk.keras
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="relu", name="hidden"),
                                  keras.layers.Dense(2, activation="softmax", name="out")])
        model.set_weights([self.w1, self.b1, self.w2, self.b2])
        return lk.Ticket(model)

    def grads(self, w1, w2, temperature=1.0):
        """Mean cross-entropy gradient (d_w1, d_w2) of softmax(logits / T) with kernels w1, w2, by hand."""
        pre = self.x @ w1 + self.b1
        h = np.maximum(pre, 0)
        z = (h @ w2 + self.b2) / temperature
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        d_logits = (p - np.eye(2)[self.y]) / len(self.x) / temperature
        return self.x.T @ ((d_logits @ w2.T) * (pre > 0)), h.T @ d_logits


@pytest.fixture(scope="session")
def tiny():
    """The :class:`Tiny` network."""
    return Tiny()


def kill_when_written(proc, path: Path, timeout: float = 240) -> None:
    """SIGKILL `proc` as soon as `path` exists (a unit's result.json: the run is mid-way);
    fails with the process's output if it ended or timed out first."""
    deadline = time.monotonic() + timeout
    while not path.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.exists(), "".join(proc.communicate()) if proc.poll() is not None else f"{path} never appeared"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
