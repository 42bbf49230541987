"""MNIST, Fashion-MNIST and the bundled mnist-mini as train / validation / test splits.

``load(name)`` finds the original IDX files on disk (or Keras' ``mnist.npz``), checks
them against the published SHA-256 sums, and only falls back to the Keras downloader
(and so only then imports TensorFlow) when nothing is found. The validation split is
held out of the training set, as in the Lottery Ticket paper (5,000 images).
"""

from __future__ import annotations

import hashlib
import operator
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from lottery_keras.data import idx
from lottery_keras.data.idx import DatasetError

__all__ = ["FILES", "NAMES", "Dataset", "DatasetError", "load", "locate", "read_files"]

NAMES = ("mnist", "fashion_mnist", "mnist-mini")
_ALIASES = {"fashion-mnist": "fashion_mnist", "mnist_mini": "mnist-mini"}
FILES = (  # the original file names, in the order (x_train, y_train, x_test, y_test)
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
FOLDERS = {"mnist": "mnist", "fashion_mnist": "fashion-mnist", "mnist-mini": "mnist-mini"}
CLASS_NAMES = {
    "mnist": tuple(str(digit) for digit in range(10)),
    "fashion_mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
}
CLASS_NAMES["mnist-mini"] = CLASS_NAMES["mnist"]
PAPER_VALIDATION, PAPER_TRAIN = 5000, 60000  # LTH paper: 5,000 of MNIST's 60,000 held out
DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
MINI_DIR = Path(__file__).resolve().parent / "mnist-mini"
_MINI_FIX = "Reinstall lottery_keras, or rebuild the files with scripts/build_mnist_mini.py."


class _Sums(NamedTuple):
    """Known SHA-256 sums of one file: of the .gz as published, and of its decoded data."""

    gz: tuple[str, ...]
    data: str


# MNIST: the original files (as published by Y. LeCun et al. and mirrored by TFDS).
# Fashion-MNIST: Zalando's originals (as Keras and TFDS download them) and Debian's
# dataset-fashion-mnist copies, which are the same data gzipped without a file name.
_SHA256: dict[str, dict[str, _Sums]] = {
    "mnist": {
        FILES[0]: _Sums(("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",),
                        "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757"),
        FILES[1]: _Sums(("3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",),
                        "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13"),
        FILES[2]: _Sums(("8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",),
                        "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161"),
        FILES[3]: _Sums(("f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",),
                        "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5"),
    },
    "fashion_mnist": {
        FILES[0]: _Sums(("3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                         "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"),
                        "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012"),
        FILES[1]: _Sums(("a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                         "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"),
                        "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7"),
        FILES[2]: _Sums(("346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                         "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"),
                        "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a"),
        FILES[3]: _Sums(("67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                         "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"),
                        "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9"),
    },
}
# The file_hash tf_keras.datasets.mnist checks its download against.
_KERAS_MNIST_NPZ = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

Split = tuple[np.ndarray, np.ndarray]
_RawSplits = tuple[Split, Split]  # ((x_train, y_train), (x_test, y_test)) as uint8


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


# -- public API ---------------------------------------------------------------------------------

def load(name: str, data_dir: str | os.PathLike | None = None, validation: int | None = None,
         seed: int = 0, download: bool = True) -> Dataset:
    """Load `name` (one of NAMES), holding `validation` training images out (seeded split).

    ``validation=None`` holds out 5,000 for the full datasets and the same share (833)
    of mnist-mini. Files are looked for in `data_dir`, ``$LOTTERY_KERAS_DATA``, the Keras
    cache and (Fashion-MNIST) Debian's folder, then downloaded with Keras if `download`.
    """
    name = _canonical(name)
    count = _count(validation)  # argument errors before any search or download
    (x_train, y_train), test = _raw(name, data_dir, download)
    count = _validation_size(count, len(y_train))
    train, held_out = _split(x_train, y_train, count, seed)
    return Dataset(name, _scale(*train), _scale(*held_out), _scale(*test), CLASS_NAMES[name])


def locate(name: str, data_dir: str | os.PathLike | None = None) -> Path | None:
    """The folder (or Keras' ``mnist.npz``) `load` would read `name` from, without downloading."""
    name = _canonical(name)
    if name == "mnist-mini":
        return MINI_DIR
    return next((place for place in _candidates(name, data_dir) if _holds_data(place)), None)


def read_files(name: str, folder: str | os.PathLike) -> _RawSplits:
    """Read and verify the four original IDX files of `name` in `folder`, as uint8 arrays."""
    name = _canonical(name)
    folder = Path(folder)
    if name == "mnist-mini":
        sums, fix = {f: _Sums((digest,), "") for f, digest in _mini_sums().items()}, _MINI_FIX
    else:
        sums, fix = _SHA256[name], idx.REDOWNLOAD
    arrays = [_read_checked(folder / f, sums.get(f, _Sums((), "")), fix) for f in FILES]
    return _checked_splits(arrays, folder)


# -- finding the files --------------------------------------------------------------------------

def _canonical(name: str) -> str:
    name = _ALIASES.get(name, name) if isinstance(name, str) else name
    if name not in NAMES:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(NAMES)}")
    return name


def _keras_cache() -> Path:
    """Keras' dataset cache: ``$KERAS_HOME/datasets``, else ``~/.keras/datasets``."""
    home = os.environ.get("KERAS_HOME")
    return (Path(home) if home else Path.home() / ".keras") / "datasets"


def _env_dir() -> Path | None:
    value = os.environ.get("LOTTERY_KERAS_DATA")
    return Path(value).expanduser() if value else None


def _candidates(name: str, data_dir: str | os.PathLike | None) -> list[Path]:
    """Places to look for `name`, in search order."""
    folder, places = FOLDERS[name], []
    if data_dir is not None:
        root = Path(data_dir).expanduser()
        if not root.is_dir():
            raise FileNotFoundError(f"data_dir {str(root)!r} does not exist or is not a folder")
        places += [root / folder, root]
    if _env_dir() is not None:
        places.append(_env_dir() / folder)
    places.append(_keras_cache() / ("mnist.npz" if name == "mnist" else folder))
    if name == "fashion_mnist":
        places.append(DEBIAN_FASHION)
    return places


def _holds_data(place: Path) -> bool:
    if place.suffix == ".npz":
        return place.is_file()
    return all((place / f).is_file() for f in FILES)


# -- reading and checking -----------------------------------------------------------------------

def _raw(name: str, data_dir: str | os.PathLike | None, download: bool) -> _RawSplits:
    """uint8 ((x_train, y_train), (x_test, y_test)) of `name`, from disk or the downloader."""
    place = locate(name, data_dir)
    if place is not None:
        return _read_place(name, place)
    if not download:
        raise _not_found(name, data_dir, "skipped (download=False)")
    try:
        arrays = _download(name)
    except Exception as err:  # offline, TensorFlow missing, ...: all end in one error
        reason = " ".join(f"failed: {type(err).__name__}: {err}".split())
        raise _not_found(name, data_dir, reason) from None
    place = locate(name)  # read back what Keras cached, so it is checked like any other file
    return _read_place(name, place) if place else _checked_splits(
        [a for pair in arrays for a in pair], "the Keras download")


def _read_place(name: str, place: Path) -> _RawSplits:
    return _read_npz(place) if place.suffix == ".npz" else read_files(name, place)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_checked(path: Path, sums: _Sums, fix: str) -> np.ndarray:
    """Read one IDX file, accepting it only if its sum (or its data's sum) is a known one."""
    ndim = 3 if "images" in path.name else 1
    if not path.is_file():
        raise DatasetError(f"{path}: no such file; the folder must hold all of {', '.join(FILES)}.")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise DatasetError(f"{path}: cannot be read ({err.strerror or err}). {fix}") from None
    actual = _sha256(data)
    if actual in sums.gz:
        return idx.parse(data, path, ndim, fix)
    try:  # not a known packaging: accept another gzip of the very same data
        array = idx.parse(data, path, ndim, fix="")
    except DatasetError as err:
        problem = str(err).removeprefix(f"{path}: ").rstrip(". ")
        raise _sum_error(path, actual, sums, fix, f" ({problem})") from None
    if sums.data and _sha256(array.tobytes()) == sums.data:
        return array
    raise _sum_error(path, actual, sums, fix, "")


def _sum_error(path: Path, actual: str, sums: _Sums, fix: str, detail: str) -> DatasetError:
    expected = " or ".join(sums.gz) or "(no sum listed)"
    return DatasetError(
        f"{path}: SHA-256 checksum mismatch: expected {expected}, got {actual}{detail}. "
        f"The file is damaged, incomplete or not the original. {fix}")


def _read_npz(path: Path) -> _RawSplits:
    """Read Keras' ``mnist.npz`` after checking it is the file Keras publishes."""
    fix = "Delete it and run tf_keras.datasets.mnist.load_data() (or load('mnist')) again."
    data = path.read_bytes()
    if _sha256(data) != _KERAS_MNIST_NPZ:
        raise DatasetError(f"{path}: SHA-256 checksum mismatch: expected {_KERAS_MNIST_NPZ}, "
                           f"got {_sha256(data)}. The file is damaged or incomplete. {fix}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = [npz[key] for key in ("x_train", "y_train", "x_test", "y_test")]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as err:
        raise DatasetError(f"{path}: cannot be read as mnist.npz ({err}). {fix}") from None
    return _checked_splits(arrays, path)


def _mini_sums() -> dict[str, str]:
    """File name -> SHA-256 from the bundled ``SHA256SUMS`` (``sha256sum`` format)."""
    path = MINI_DIR / "SHA256SUMS"
    try:
        lines = path.read_text().splitlines()
    except OSError as err:
        raise DatasetError(f"{path}: cannot be read ({err.strerror or err}). {_MINI_FIX}") from None
    return {parts[1].lstrip("*"): parts[0] for parts in map(str.split, lines) if len(parts) == 2}


def _checked_splits(arrays: list[np.ndarray], source: str | Path) -> _RawSplits:
    """Check shapes, dtypes and labels of (x_train, y_train, x_test, y_test)."""
    x_train, y_train, x_test, y_test = arrays
    for x, y in ((x_train, y_train), (x_test, y_test)):
        ok = (x.dtype == np.uint8 and y.dtype == np.uint8 and x.ndim == 3 and y.ndim == 1
              and x.shape[1:] == (28, 28) and len(x) == len(y) and (y.size == 0 or y.max() < 10))
        if not ok:
            raise DatasetError(
                f"{source}: expected uint8 images of shape (n, 28, 28) with n labels in 0-9, "
                f"got {x.dtype} {x.shape} and {y.dtype} {y.shape}. {idx.REDOWNLOAD}")
    return (x_train, y_train), (x_test, y_test)


def _not_found(name: str, data_dir: str | os.PathLike | None, download: str) -> DatasetError:
    """The one error that lists every place looked in and every way to provide the files."""
    folder, env = FOLDERS[name], _env_dir()
    cache = _keras_cache() / ("mnist.npz" if name == "mnist" else folder)
    lines = [f"Could not find the {name} dataset. Looked in:"]
    if data_dir is not None:
        lines.append(f"  - data_dir={str(data_dir)!r} (and its {folder}/ folder)")
    lines.append(f"  - $LOTTERY_KERAS_DATA/{folder}: "
                 + (f"{env / folder} does not hold all four files" if env else "LOTTERY_KERAS_DATA is not set"))
    lines.append(f"  - the Keras cache: {cache}")
    if name == "fashion_mnist":
        lines.append(f"  - Debian's {DEBIAN_FASHION}")
    lines.append(f"  - the Keras downloader (needs internet): {download}")
    lines.append(
        "Fix it with one of: pass data_dir= a folder holding " + ", ".join(FILES)
        + f" (or a {folder}/ folder with them); set LOTTERY_KERAS_DATA to a folder holding "
        "mnist/ and fashion-mnist/; put the files in ~/.keras/datasets (or $KERAS_HOME/datasets)"
        + ("; apt install dataset-fashion-mnist" if name == "fashion_mnist" else "")
        + "; or connect to the internet and call load(..., download=True). "
        "For an offline start, load('mnist-mini') is bundled with the package.")
    return DatasetError("\n".join(lines))


def _download(name: str) -> list[Split]:
    """Fetch `name` with the Keras downloader into its cache (imports TensorFlow)."""
    from lottery_keras._keras import keras

    module = keras.datasets.mnist if name == "mnist" else keras.datasets.fashion_mnist
    home = os.environ.get("KERAS_HOME")
    return module.load_data(cache_dir=home) if home else module.load_data()


# -- splitting ----------------------------------------------------------------------------------

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
