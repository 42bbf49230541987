"""`.npz` files of named arrays: read back whole, or refused with an error naming the file.

Masks, snapshots and saved tickets are stored this way. A file that is missing stays a
FileNotFoundError; one that is truncated, corrupted or not an ``.npz`` archive at all
becomes a ValueError that says which file and what is wrong.
"""

from __future__ import annotations

import os
import zipfile
import zlib

import numpy as np


def write(file, arrays: dict) -> None:
    """Write ``{key: array}`` compressed to `file`: a binary file object, or a path (used as
    given: numpy would add ``.npz`` to a name without it)."""
    if isinstance(file, (str, os.PathLike)):
        with open(file, "wb") as f:
            np.savez_compressed(f, **arrays)
    else:
        np.savez_compressed(file, **arrays)


def read(path) -> dict:
    """``{key: array}`` of an ``.npz`` file (nothing pickled is ever loaded)."""
    try:
        npz = np.load(path, allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single .npy array, not an .npz archive")
        with npz:
            return {key: npz[key] for key in npz.files}
    except FileNotFoundError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise ValueError(f"{path} is not a readable .npz file, truncated or corrupted? ({err})") from None


def missing(path, arrays: dict, keys) -> None:
    """Refuse a file that lacks some of the arrays `keys` (ValueError naming it)."""
    absent = [k for k in keys if k not in arrays]
    if absent:
        raise ValueError(f"{path} lacks {', '.join(absent[:3])}{' ...' if len(absent) > 3 else ''}: "
                         "truncated, or not the kind of file expected")
