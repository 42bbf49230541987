"""Datasets: MNIST, Fashion-MNIST and the bundled ``mnist-mini``, found locally or downloaded.

``load`` reads and checks the original IDX files (:mod:`.idx`) from the places :mod:`.datasets`
lists; a missing or corrupt file raises :class:`DatasetError` naming it and the fix.
"""

from lottery_keras.data.idx import DatasetError
from lottery_keras.data.datasets import CLASS_NAMES, NAMES, Dataset, load, locate, read_files

__all__ = ["CLASS_NAMES", "NAMES", "Dataset", "DatasetError", "load", "locate", "read_files"]
