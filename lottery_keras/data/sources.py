"""Where a dataset's files are looked for, and the Keras download as the last resort.

Search order: ``data_dir``, ``$LOTTERY_KERAS_DATA``, the Keras cache, Debian's
Fashion-MNIST folder, then the Keras downloader. Before downloading, one quick request
checks that the download site answers, so an offline machine gets the error at once:
no "Downloading data from ..." line, no TensorFlow import, no empty cache folders.
"""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

from lottery_keras.data.idx import DatasetError

__all__ = ["FILES", "NAMES", "DatasetNotFound", "describe", "download", "locate"]

NAMES = ("mnist", "fashion_mnist", "mnist-mini")
_ALIASES = {"fashion-mnist": "fashion_mnist", "mnist_mini": "mnist-mini"}
FILES = (  # the original file names, in the order (x_train, y_train, x_test, y_test)
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
FOLDERS = {"mnist": "mnist", "fashion_mnist": "fashion-mnist", "mnist-mini": "mnist-mini"}
DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
MINI_DIR = Path(__file__).resolve().parent / "mnist-mini"
# Where tf_keras.datasets.{mnist,fashion_mnist}.load_data() download from.
KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_PROBE_FILE = {"mnist": "mnist.npz", "fashion_mnist": FILES[3]}


class DatasetNotFound(DatasetError):
    """No copy of a dataset was found and none could be downloaded.

    ``name``, ``looked`` (the places searched, as text) and ``download`` (what the
    download attempt did) let a front end, such as the CLI, word its own advice.
    """

    def __init__(self, message: str, name: str, looked: list[str], download: str):
        super().__init__(message)
        self.name, self.looked, self.download = name, looked, download


def canonical(name: str) -> str:
    """`name` as one of NAMES (``fashion-mnist`` and ``mnist_mini`` are accepted too)."""
    name = _ALIASES.get(name, name) if isinstance(name, str) else name
    if name not in NAMES:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(NAMES)}")
    return name


def locate(name: str, data_dir: str | os.PathLike | None = None) -> Path | None:
    """The folder (or Keras' ``mnist.npz``) `load` would read `name` from, without downloading."""
    name = canonical(name)
    if name == "mnist-mini":
        return MINI_DIR
    return next((place for place in _candidates(name, data_dir) if _holds_data(place)), None)


def describe(name: str, data_dir: str | os.PathLike | None = None) -> str:
    """Where `name` was found, else whether it could be downloaded (one quick request)."""
    place = locate(name, data_dir)
    if place is not None:
        return str(place)
    problem = _unreachable(canonical(name))
    if problem:
        return f"not found here; cannot be downloaded ({problem})"
    return f"not found here; would be downloaded from {KERAS_ORIGIN} (reachable)"


def keras_cache() -> Path:
    """Keras' dataset cache: ``$KERAS_HOME/datasets``, else ``~/.keras/datasets``."""
    home = os.environ.get("KERAS_HOME")
    return (Path(home) if home else Path.home() / ".keras") / "datasets"


def _env_dir() -> Path | None:
    value = os.environ.get("LOTTERY_KERAS_DATA")
    return Path(value).expanduser() if value else None


def _keras_place(name: str) -> Path:
    return keras_cache() / ("mnist.npz" if name == "mnist" else FOLDERS[name])


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
    places.append(_keras_place(name))
    if name == "fashion_mnist":
        places.append(DEBIAN_FASHION)
    return places


def _holds_data(place: Path) -> bool:
    if place.suffix == ".npz":
        return place.is_file()
    return all((place / f).is_file() for f in FILES)


def _unreachable(name: str, timeout: float = 10.0) -> str:
    """Why the Keras download site cannot be reached ('' when it answers); honours proxies."""
    request = urllib.request.Request(KERAS_ORIGIN + _PROBE_FILE[name], method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return ""
    except Exception as err:  # URLError, timeouts, proxy and TLS errors: all mean "offline"
        reason = getattr(err, "reason", err)
        return f"no connection to {KERAS_ORIGIN}: {reason}"


def download(name: str) -> list[tuple]:
    """Fetch `name` with the Keras downloader into its cache (imports TensorFlow); its splits.

    Raises ConnectionError, without printing or creating anything, when the site does
    not answer; folders the downloader created are removed again if it fails.
    """
    problem = _unreachable(name)
    if problem:
        raise ConnectionError(problem)
    made = [p for p in (_keras_place(name), keras_cache(), keras_cache().parent) if not p.exists()]
    try:
        from lottery_keras._keras import keras

        module = keras.datasets.mnist if name == "mnist" else keras.datasets.fashion_mnist
        home = os.environ.get("KERAS_HOME")
        return module.load_data(cache_dir=home) if home else module.load_data()
    except BaseException:
        for folder in made:  # deepest first; only folders left empty
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        raise


def not_found(name: str, data_dir: str | os.PathLike | None, download: str) -> DatasetNotFound:
    """The one error that lists every place looked in and every way to provide the files."""
    folder, env = FOLDERS[name], _env_dir()
    looked = []
    if data_dir is not None:
        looked.append(f"data_dir={str(data_dir)!r} (and its {folder}/ folder)")
    looked.append(f"$LOTTERY_KERAS_DATA/{folder}: " + (
        f"{env / folder} does not hold all four files" if env else "LOTTERY_KERAS_DATA is not set"))
    looked.append(f"the Keras cache: {_keras_place(name)}")
    if name == "fashion_mnist":
        looked.append(f"Debian's {DEBIAN_FASHION}")
    lines = [f"Could not find the {name} dataset. Looked in:", *(f"  - {p}" for p in looked),
             f"  - the Keras downloader (needs internet): {download}"]
    lines.append(
        "Fix it with one of: pass data_dir= a folder holding " + ", ".join(FILES)
        + f" (or a {folder}/ folder with them); set LOTTERY_KERAS_DATA to a folder holding "
        "mnist/ and fashion-mnist/; put the files in ~/.keras/datasets (or $KERAS_HOME/datasets)"
        + ("; apt install dataset-fashion-mnist" if name == "fashion_mnist" else "")
        + "; or connect to the internet and call load(..., download=True). "
        "For an offline start, load('mnist-mini') is bundled with the package.")
    return DatasetNotFound("\n".join(lines), name, looked, download)
