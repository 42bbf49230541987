"""Read and write gzipped IDX files, the format MNIST and Fashion-MNIST ship in.

An IDX file is a big-endian header (magic ``0x000008NN``: unsigned bytes, ``NN``
dimensions; then one 4-byte size per dimension) followed by the uint8 data. Images
have 3 dimensions (data from byte 16), labels 1 (data from byte 8).

Every problem (damaged gzip stream, cut-off download, wrong magic, a size that does
not match the header) raises :class:`DatasetError` naming the file and saying what
to do, never a low-level gzip, zlib or numpy error.
"""

from __future__ import annotations

import gzip
import io
import struct
import zlib
from pathlib import Path

import numpy as np

__all__ = ["REDOWNLOAD", "DatasetError", "decode", "decompress", "encode", "parse", "read", "write"]

UINT8 = 0x08
REDOWNLOAD = "Delete it and download it again."


class DatasetError(ValueError):
    """A dataset is missing, or one of its files is damaged or not what it should be."""


def _fail(source: str | Path, problem: str, fix: str) -> DatasetError:
    return DatasetError(f"{source}: {problem}." + (f" {fix}" if fix else ""))


def decompress(data: bytes, source: str | Path, fix: str = REDOWNLOAD) -> bytes:
    """Gunzip `data`; a damaged or truncated stream raises DatasetError."""
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as err:  # BadGzipFile is an OSError
        problem = ("the gzip stream ends early: the file is truncated" if isinstance(err, EOFError)
                   else f"not a valid gzip stream: {err}")
        raise _fail(source, problem, fix) from None


def decode(raw: bytes, source: str | Path, ndim: int | None = None, fix: str = REDOWNLOAD) -> np.ndarray:
    """Turn uncompressed IDX bytes into a uint8 array, checking the header against the data."""
    if len(raw) < 4:
        raise _fail(source, f"only {len(raw)} bytes, too short for an IDX header", fix)
    zeros, dtype, dims = struct.unpack(">HBB", raw[:4])
    if zeros != 0 or dtype != UINT8 or dims == 0 or (ndim is not None and dims != ndim):
        want = f"0x{(UINT8 << 8) | ndim:08x}" if ndim is not None else "0x000008NN"
        raise _fail(source, f"wrong magic number 0x{raw[:4].hex()} (expected {want})", fix)
    start = 4 + 4 * dims
    if len(raw) < start:
        raise _fail(source, f"the header is cut short ({len(raw)} bytes)", fix)
    shape = struct.unpack(f">{dims}I", raw[4:start])
    expected, actual = int(np.prod(shape, dtype=np.int64)), len(raw) - start
    if actual != expected:
        raise _fail(source, f"the header says {shape} = {expected} bytes of data, found {actual}", fix)
    return np.frombuffer(raw, dtype=np.uint8, offset=start).reshape(shape)


def parse(data: bytes, source: str | Path, ndim: int | None = None, fix: str = REDOWNLOAD) -> np.ndarray:
    """Decode the bytes of a gzipped IDX file; `source` names it in error messages."""
    return decode(decompress(data, source, fix), source, ndim, fix)


def read(path: str | Path, ndim: int | None = None, fix: str = REDOWNLOAD) -> np.ndarray:
    """Read a gzipped IDX file (``ndim=3`` for images, ``1`` for labels) as a uint8 array."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise _fail(path, f"cannot be read ({err.strerror or err})", fix) from None
    return parse(data, path, ndim, fix)


def encode(array: np.ndarray, compresslevel: int = 9) -> bytes:
    """Gzipped IDX bytes for a uint8 array, byte-for-byte reproducible (mtime 0, no name)."""
    array = np.ascontiguousarray(array)
    if array.dtype != np.uint8 or not 1 <= array.ndim <= 255:
        raise ValueError(f"IDX here holds uint8 arrays with 1-255 dims, got {array.dtype} {array.shape}")
    header = struct.pack(f">HBB{array.ndim}I", 0, UINT8, array.ndim, *array.shape)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=compresslevel, mtime=0) as gz:
        gz.write(header + array.tobytes())
    return buffer.getvalue()


def write(path: str | Path, array: np.ndarray, compresslevel: int = 9) -> None:
    """Write `array` as a reproducible gzipped IDX file."""
    Path(path).write_bytes(encode(array, compresslevel))
