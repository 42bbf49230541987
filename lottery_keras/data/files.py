"""Reading a dataset's files and checking them against the published SHA-256 sums.

The original IDX files (:mod:`.idx`), Keras' ``mnist.npz`` and the bundled mnist-mini
are accepted only if their bytes (or, for a re-gzipped copy, their decoded data) have a
known sum, so a truncated, corrupted or substituted file raises a DatasetError naming it.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from lottery_keras.data import idx
from lottery_keras.data.idx import DatasetError
from lottery_keras.data.sources import FILES, MINI_DIR, canonical

__all__ = ["read_files", "read_place", "write_files"]

_MINI_FIX = "Reinstall lottery_keras, or rebuild the files with scripts/build_mnist_mini.py."
Split = tuple[np.ndarray, np.ndarray]
RawSplits = tuple[Split, Split]  # ((x_train, y_train), (x_test, y_test)) as uint8


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


def read_files(name: str, folder: str | os.PathLike) -> RawSplits:
    """Read and verify the four original IDX files of `name` in `folder`, as uint8 arrays."""
    name = canonical(name)
    folder = Path(folder)
    if name == "mnist-mini":
        sums, fix = {f: _Sums((digest,), "") for f, digest in _mini_sums().items()}, _MINI_FIX
    else:
        sums, fix = _SHA256[name], idx.REDOWNLOAD
    arrays = [_read_checked(folder / f, sums.get(f, _Sums((), "")), fix) for f in FILES]
    return checked_splits(arrays, folder)


def write_files(folder: str | os.PathLike, splits: RawSplits) -> Path:
    """Write uint8 ((x_train, y_train), (x_test, y_test)) as the four IDX files in `folder`.

    Turns Keras' ``mnist.npz`` into the original file layout; ``read_files`` accepts the
    result only if the data is the published data (the gzip bytes differ from the originals).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for file, array in zip(FILES, [a for pair in splits for a in pair], strict=True):
        idx.write(folder / file, array, compresslevel=1)  # quick: 55 MB of MNIST
    return folder


def read_place(name: str, place: Path) -> RawSplits:
    """Read what :func:`~.sources.locate` found: a folder of IDX files or ``mnist.npz``."""
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


def _read_npz(path: Path) -> RawSplits:
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
    return checked_splits(arrays, path)


def _mini_sums() -> dict[str, str]:
    """File name -> SHA-256 from the bundled ``SHA256SUMS`` (``sha256sum`` format)."""
    path = MINI_DIR / "SHA256SUMS"
    try:
        lines = path.read_text().splitlines()
    except OSError as err:
        raise DatasetError(f"{path}: cannot be read ({err.strerror or err}). {_MINI_FIX}") from None
    return {parts[1].lstrip("*"): parts[0] for parts in map(str.split, lines) if len(parts) == 2}


def checked_splits(arrays: list[np.ndarray], source: str | Path) -> RawSplits:
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
