"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

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
