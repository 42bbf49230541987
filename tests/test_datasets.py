"""lottery_keras.datasets and .idx on the real MNIST / Fashion-MNIST files (never made-up data)."""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lottery_keras.data import DatasetError, datasets, files, idx, sources

REPO = Path(__file__).resolve().parents[1]
FOLDER = {"mnist": "mnist", "fashion_mnist": "fashion-mnist"}
# Published class counts: MNIST per digit (train, test); Fashion-MNIST is balanced.
COUNTS = {
    "mnist": ([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
              [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]),
    "fashion_mnist": ([6000] * 10, [1000] * 10),
}


def rows(x: np.ndarray) -> set[bytes]:
    """Each image as bytes, to compare sets of images (the training sets hold no duplicates)."""
    return {image.tobytes() for image in x}


def copy_folder(src: Path, dst: Path, real_copy: str) -> Path:
    """`dst` with links to the four files of `src`, except `real_copy`, which is copied."""
    dst.mkdir(parents=True)
    for name in datasets.FILES:
        if name == real_copy:
            (dst / name).write_bytes((src / name).read_bytes())
        else:
            (dst / name).symlink_to(src / name)
    return dst


@pytest.fixture
def isolated(tmp_path, monkeypatch) -> Path:
    """No LOTTERY_KERAS_DATA, an empty HOME and KERAS_HOME, no Debian folder."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.delenv("LOTTERY_KERAS_DATA", raising=False)
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(sources, "DEBIAN_FASHION", tmp_path / "no-debian")
    return home


@pytest.fixture(scope="module", params=["mnist", "fashion_mnist"])
def full(request, shared_data):
    """A full dataset loaded through $LOTTERY_KERAS_DATA, once per module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOTTERY_KERAS_DATA", str(shared_data))
        assert datasets.locate(request.param) == shared_data / FOLDER[request.param]
        return datasets.load(request.param), datasets.load(request.param, validation=0)


def test_full_dataset_shapes_ranges_and_labels(full):
    data, whole = full
    assert data.name in ("mnist", "fashion_mnist") and len(data.class_names) == 10
    assert repr(data) == f"Dataset({data.name!r}, train=55000, validation=5000, test=10000)"
    for (x, y), n in ((data.train, 55000), (data.validation, 5000), (data.test, 10000)):
        assert x.shape == (n, 28, 28) and x.dtype == np.float32
        assert y.shape == (n,) and y.dtype == np.int64
        assert x.min() == 0.0 and x.max() == 1.0
    train_counts, test_counts = COUNTS[data.name]
    seen = np.bincount(data.train[1], minlength=10) + np.bincount(data.validation[1], minlength=10)
    assert seen.tolist() == train_counts
    assert np.bincount(data.test[1], minlength=10).tolist() == test_counts
    assert whole.validation[0].shape == (0, 28, 28) and len(whole.train[1]) == 60000


def test_validation_is_held_out_of_train(full):
    data, whole = full
    train, held = rows(data.train[0]), rows(data.validation[0])
    assert len(held) == 5000 and not train & held
    assert train | held == rows(whole.train[0])


def test_class_names(full):
    data, _ = full
    first = {"mnist": "0", "fashion_mnist": "T-shirt/top"}[data.name]
    assert data.class_names[0] == first and len(data.class_names) == 10


def test_mnist_mini_is_bundled_and_stratified(isolated):
    data = datasets.load("mnist-mini", download=False)
    assert datasets.locate("mnist-mini") == datasets.MINI_DIR
    assert [len(part[1]) for part in (data.train, data.validation, data.test)] == [9167, 833, 2000]
    per_class = np.bincount(data.train[1], minlength=10) + np.bincount(data.validation[1])
    assert per_class.tolist() == [1000] * 10
    assert np.bincount(data.test[1]).tolist() == [200] * 10
    assert data.train[0].dtype == np.float32 and data.train[1].dtype == np.int64


def test_mnist_mini_images_are_real_mnist(shared_data):
    (x_train, _), (x_test, _) = datasets.read_files("mnist", shared_data / "mnist")
    (mini_train, _), (mini_test, _) = datasets.read_files("mnist-mini", datasets.MINI_DIR)
    assert rows(mini_train) <= rows(x_train) and rows(mini_test) <= rows(x_test)


def test_bundled_files_match_their_sha256sums():
    lines = (datasets.MINI_DIR / "SHA256SUMS").read_text().split("\n")
    listed = dict(reversed(line.split("  ")) for line in lines if line)
    assert sorted(listed) == sorted(datasets.FILES)
    for name, digest in listed.items():
        assert hashlib.sha256((datasets.MINI_DIR / name).read_bytes()).hexdigest() == digest
    size = sum((datasets.MINI_DIR / name).stat().st_size for name in listed)
    assert size < 3_000_000


def test_rebuilding_mnist_mini_gives_identical_bytes(shared_data, tmp_path):
    script = REPO / "scripts" / "build_mnist_mini.py"
    subprocess.run([sys.executable, str(script), str(shared_data / "mnist"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    for name in (*datasets.FILES, "SHA256SUMS"):
        built, bundled = (tmp_path / name).read_bytes(), (datasets.MINI_DIR / name).read_bytes()
        if name.endswith(".gz"):  # same data first, so a zlib difference reads as such
            assert gzip.decompress(built) == gzip.decompress(bundled), name
        assert built == bundled, f"{name}: same data, different gzip bytes (another zlib?)"


def test_truncated_file_names_the_file(shared_data, tmp_path, isolated):
    src = shared_data / "mnist"
    folder = copy_folder(src, tmp_path / "mnist", "t10k-images-idx3-ubyte.gz")
    bad = folder / "t10k-images-idx3-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:100_000])
    with pytest.raises(DatasetError, match=r"t10k-images-idx3-ubyte\.gz") as err:
        datasets.load("mnist", data_dir=tmp_path, download=False)
    assert "truncated" in str(err.value) and "download it again" in str(err.value)
    with pytest.raises(DatasetError, match=r"t10k-images.*truncated.*download it again"):
        idx.read(bad, ndim=3)


def test_corrupted_byte_gives_checksum_error(shared_data, tmp_path, isolated):
    folder = copy_folder(shared_data / "mnist", tmp_path / "mnist", "t10k-labels-idx1-ubyte.gz")
    bad = folder / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(bad.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    expected = files._SHA256["mnist"]["t10k-labels-idx1-ubyte.gz"].gz[0]
    with pytest.raises(DatasetError) as err:
        datasets.load("mnist", data_dir=folder, download=False)
    message = str(err.value)
    assert str(bad) in message and "checksum mismatch" in message
    assert expected in message and hashlib.sha256(data).hexdigest() in message
    assert "delete it and download it again" in message.lower()


def test_regzipped_copy_of_the_same_data_is_accepted(shared_data, tmp_path, isolated):
    folder = copy_folder(shared_data / "mnist", tmp_path / "mnist", "t10k-labels-idx1-ubyte.gz")
    path = folder / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes()), compresslevel=1, mtime=0))
    assert np.bincount(datasets.load("mnist", data_dir=folder).test[1]).tolist() == COUNTS["mnist"][1]


def test_idx_rejects_wrong_magic_bad_length_and_non_gzip(shared_data):
    labels = shared_data / "mnist" / "t10k-labels-idx1-ubyte.gz"
    with pytest.raises(DatasetError, match=r"t10k-labels.*wrong magic.*0x00000803"):
        idx.read(labels, ndim=3)
    raw = gzip.decompress(labels.read_bytes())
    assert idx.decode(raw, "labels", ndim=1).shape == (10000,)
    with pytest.raises(DatasetError, match=r"labels: the header says \(10000,\).*found 9999"):
        idx.decode(raw[:-1], "labels", ndim=1)
    with pytest.raises(DatasetError, match=r"labels: .*gzip"):
        idx.parse(raw, "labels", ndim=1)


def test_unknown_name_and_bad_validation_sizes():
    with pytest.raises(ValueError, match="mnist, fashion_mnist, mnist-mini"):
        datasets.load("cifar10")
    for size in (-1, 10_000, 10**6):
        with pytest.raises(ValueError, match="validation"):
            datasets.load("mnist-mini", validation=size)
    with pytest.raises(TypeError, match="validation"):  # before any search or download
        datasets.load("mnist", data_dir="/nowhere", validation=0.1)
    empty = datasets.load("mnist-mini", validation=0)
    assert empty.validation[0].shape == (0, 28, 28) and empty.validation[0].dtype == np.float32
    assert len(empty.train[1]) == 10_000


def test_offline_without_files_gives_one_clear_error(tmp_path, isolated):
    empty = tmp_path / "empty"
    empty.mkdir()
    for name, extra in (("mnist", []), ("fashion_mnist", ["apt install dataset-fashion-mnist"])):
        with pytest.raises(DatasetError) as err:
            datasets.load(name, data_dir=empty, download=False)
        message = str(err.value)
        for option in ["data_dir=", "LOTTERY_KERAS_DATA", ".keras/datasets", "internet",
                       "download=False", *extra]:
            assert option in message, (option, message)
        assert datasets.locate(name, data_dir=empty) is None


def test_missing_data_dir_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        datasets.load("mnist", data_dir=tmp_path / "nowhere")


def test_data_dir_accepts_both_layouts(shared_data, isolated):
    assert datasets.locate("mnist", data_dir=shared_data) == shared_data / "mnist"
    assert datasets.locate("fashion_mnist", data_dir=shared_data / "fashion-mnist") == (
        shared_data / "fashion-mnist")
    data = datasets.load("mnist", data_dir=shared_data / "mnist", validation=100)
    assert len(data.train[1]) == 59_900 and len(data.test[1]) == 10_000


def test_keras_cache_is_searched_and_respects_keras_home(shared_data, tmp_path, isolated,
                                                         monkeypatch):
    for root in (isolated / ".keras", tmp_path / "keras-home"):
        cache = root / "datasets" / "fashion-mnist"
        cache.parent.mkdir(parents=True)
        cache.symlink_to(shared_data / "fashion-mnist")
    assert datasets.locate("fashion_mnist") == isolated / ".keras" / "datasets" / "fashion-mnist"
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    assert datasets.locate("fashion_mnist") == tmp_path / "keras-home" / "datasets" / "fashion-mnist"
    assert datasets.locate("mnist") is None


def test_split_depends_on_seed_only():
    a, b = datasets.load("mnist-mini", seed=1), datasets.load("mnist-mini", seed=1)
    c = datasets.load("mnist-mini", seed=2)
    assert np.array_equal(a.validation[0], b.validation[0])
    assert np.array_equal(a.train[1], b.train[1])
    assert rows(a.validation[0]) != rows(c.validation[0])
    assert np.array_equal(a.test[0], c.test[0])


def test_loading_from_files_does_not_import_tensorflow():
    code = ("import sys, lottery_keras.datasets as d; d.load('mnist-mini'); "
            "sys.exit('tensorflow' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_a_download_is_read_back_from_the_keras_cache(shared_data, isolated, monkeypatch):
    def fake_keras_download(name):  # what tf_keras' fashion_mnist.load_data() leaves behind
        cache = isolated / ".keras" / "datasets"
        cache.mkdir(parents=True)
        (cache / "fashion-mnist").symlink_to(shared_data / "fashion-mnist")
        return datasets.read_files(name, shared_data / "fashion-mnist")

    monkeypatch.setattr(sources, "download", fake_keras_download)
    with pytest.raises(DatasetError):
        datasets.load("fashion_mnist", download=False)
    assert len(datasets.load("fashion_mnist").train[1]) == 55_000
    assert datasets.locate("fashion_mnist") == isolated / ".keras" / "datasets" / "fashion-mnist"


def test_idx_files_written_from_arrays_are_accepted_as_the_published_data(shared_data, tmp_path):
    splits = datasets.read_files("mnist", shared_data / "mnist")  # what mnist.npz also holds
    folder = files.write_files(tmp_path / "mnist", splits)
    again = datasets.read_files("mnist", folder)  # checked against the published data sums
    flat = [a for pair in splits for a in pair]
    assert all(np.array_equal(a, b) for a, b in zip(flat, [a for pair in again for a in pair], strict=True))
    damaged = splits[0][0].copy()
    damaged[0, 0, 0] ^= 1
    idx.write(folder / datasets.FILES[0], damaged, compresslevel=1)
    with pytest.raises(DatasetError, match=r"train-images.*checksum mismatch"):
        datasets.read_files("mnist", folder)
