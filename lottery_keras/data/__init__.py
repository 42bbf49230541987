"""Datasets: MNIST, Fashion-MNIST and the bundled ``mnist-mini``, found locally or downloaded.

:mod:`.sources` says where the files are looked for (and downloads as the last resort),
:mod:`.files` reads and checks them (:mod:`.idx` is the file format), :mod:`.datasets`
splits them; a missing or corrupt file raises :class:`DatasetError` naming it and the fix.
"""

from lottery_keras.data.datasets import CLASS_NAMES, NAMES, Dataset, load, locate, read_files
from lottery_keras.data.idx import DatasetError
from lottery_keras.data.sources import DatasetNotFound, describe

__all__ = ["CLASS_NAMES", "NAMES", "Dataset", "DatasetError", "DatasetNotFound", "describe", "load",
           "locate", "read_files"]
