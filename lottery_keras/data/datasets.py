"""MNIST, Fashion-MNIST and the bundled mnist-mini as train / validation / test splits.

``load(name)`` reads the files :mod:`.sources` finds on disk (checked by :mod:`.files`)
and only falls back to the Keras downloader (and so only then imports TensorFlow) when
nothing is found. The validation split is held out of the training set, as in the
Lottery Ticket paper (5,000 images).
"""

from __future__ import annotations

import operator
import os
from dataclasses import dataclass

import numpy as np

from lottery_keras.data import sources
from lottery_keras.data.files import RawSplits, Split, checked_splits, read_files, read_place
from lottery_keras.data.idx import DatasetError
from lottery_keras.data.sources import FILES, MINI_DIR, NAMES, canonical, locate

__all__ = ["CLASS_NAMES", "FILES", "MINI_DIR", "NAMES", "Dataset", "DatasetError", "load", "locate",
           "read_files"]

CLASS_NAMES = {
    "mnist": tuple(str(digit) for digit in range(10)),
    "fashion_mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
}
CLASS_NAMES["mnist-mini"] = CLASS_NAMES["mnist"]
PAPER_VALIDATION, PAPER_TRAIN = 5000, 60000  # LTH paper: 5,000 of MNIST's 60,000 held out


@dataclass(frozen=True, eq=False)
class Dataset:
    """One dataset: ``(x, y)`` pairs, x float32 in [0, 1] of shape (n, 28, 28), y int64."""

    name: str
    train: Split
    validation: Split
    test: Split
    class_names: tuple[str, ...]

    def __repr__(self) -> str:
        sizes = ", ".join(f"{part}={len(getattr(self, part)[1])}"
                          for part in ("train", "validation", "test"))
        return f"Dataset({self.name!r}, {sizes})"


def load(name: str, data_dir: str | os.PathLike | None = None, validation: int | None = None,
         seed: int = 0, download: bool = True) -> Dataset:
    """Load `name` (one of NAMES), holding `validation` training images out (seeded split).

    ``validation=None`` holds out 5,000 for the full datasets and the same share (833)
    of mnist-mini. Files are looked for in `data_dir`, ``$LOTTERY_KERAS_DATA``, the Keras
    cache and (Fashion-MNIST) Debian's folder, then downloaded with Keras if `download`.
    """
    name = canonical(name)
    count = _count(validation)  # argument errors before any search or download
    (x_train, y_train), test = read_raw(name, data_dir, download)
    count = _validation_size(count, len(y_train))
    train, held_out = _split(x_train, y_train, count, seed)
    return Dataset(name, _scale(*train), _scale(*held_out), _scale(*test), CLASS_NAMES[name])


def read_raw(name: str, data_dir: str | os.PathLike | None = None, download: bool = True) -> RawSplits:
    """uint8 ((x_train, y_train), (x_test, y_test)) of `name`, from disk or the downloader."""
    name = canonical(name)
    place = locate(name, data_dir)
    if place is not None:
        return read_place(name, place)
    if not download:
        raise sources.not_found(name, data_dir, "skipped (download=False)")
    try:
        arrays = sources.download(name)
    except Exception as err:  # offline, TensorFlow missing, ...: all end in one error
        reason = " ".join(f"failed: {type(err).__name__}: {err}".split())
        raise sources.not_found(name, data_dir, reason) from None
    place = locate(name)  # read back what Keras cached, so it is checked like any other file
    return read_place(name, place) if place else checked_splits(
        [a for pair in arrays for a in pair], "the Keras download")


def _count(validation: int | None) -> int | None:
    """`validation` as a non-negative int (or None), checked before any file is read."""
    if validation is None:
        return None
    if isinstance(validation, bool) or not hasattr(validation, "__index__"):
        raise TypeError(f"validation must be an int count of images or None, got {validation!r}")
    count = operator.index(validation)
    if count < 0:
        raise ValueError(f"validation={count} must be 0 or more")
    return count


def _validation_size(count: int | None, n_train: int) -> int:
    """The number of training images to hold out: by default the LTH paper's share."""
    if count is None:
        return round(PAPER_VALIDATION * n_train / PAPER_TRAIN)
    if count >= n_train:
        raise ValueError(f"validation={count} must be less than the {n_train} training images")
    return count


def _split(x: np.ndarray, y: np.ndarray, count: int, seed: int) -> tuple[Split, Split]:
    """Hold `count` examples out by a seeded permutation; both parts keep the original order."""
    order = np.random.default_rng(seed).permutation(len(y))
    held, kept = np.sort(order[:count]), np.sort(order[count:])
    return (x[kept], y[kept]), (x[held], y[held])


def _scale(x: np.ndarray, y: np.ndarray) -> Split:
    return x.astype(np.float32) / np.float32(255), y.astype(np.int64)
