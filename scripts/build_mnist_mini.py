"""Build the bundled mnist-mini: a stratified, seeded subset of the real MNIST files.

    python scripts/build_mnist_mini.py [MNIST_FOLDER] [--out FOLDER]

Takes 1,000 training and 200 test images per digit from the original IDX files (checked
against their published SHA-256 sums), keeps them in their original order, and writes
them as gzipped IDX files under the original names plus a ``SHA256SUMS`` file. The gzip
header holds no file name and mtime 0, so a rebuild gives the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

from lottery_keras.data import datasets
from lottery_keras.data import idx

SEED = 20190506  # fixed: the subset must never change between builds
PER_CLASS = {"train": 1000, "t10k": 200}
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "mnist"


def stratified(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of `per_class` examples of every class, drawn without replacement."""
    picks = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False)
             for c in range(10)]
    return np.sort(np.concatenate(picks))


def build(source: Path, out: Path) -> dict[str, str]:
    """Write mnist-mini from the MNIST files in `source` to `out`; return name -> SHA-256."""
    (x_train, y_train), (x_test, y_test) = datasets.read_files("mnist", source)
    rng = np.random.default_rng(SEED)
    parts = {"train": (x_train, y_train), "t10k": (x_test, y_test)}
    out.mkdir(parents=True, exist_ok=True)
    sums = {}
    for prefix, (x, y) in parts.items():
        keep = stratified(y, PER_CLASS[prefix], rng)
        for kind, array in (("images-idx3", x[keep]), ("labels-idx1", y[keep])):
            name = f"{prefix}-{kind}-ubyte.gz"
            data = idx.encode(array)
            (out / name).write_bytes(data)
            sums[name] = hashlib.sha256(data).hexdigest()
    lines = "".join(f"{sums[name]}  {name}\n" for name in sorted(sums))
    (out / "SHA256SUMS").write_text(lines)
    return sums


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE,
                        help=f"folder with the original MNIST .gz files (default {DEFAULT_SOURCE})")
    parser.add_argument("--out", type=Path, default=datasets.MINI_DIR,
                        help=f"where to write mnist-mini (default {datasets.MINI_DIR})")
    args = parser.parse_args(argv)
    try:
        sums = build(args.source, args.out)
    except (idx.DatasetError, FileNotFoundError) as err:
        print(f"build_mnist_mini: error: {err}", file=sys.stderr)
        return 2
    size = sum((args.out / name).stat().st_size for name in sums)
    print(f"wrote {len(sums)} files ({size / 1e6:.2f} MB) and SHA256SUMS to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
