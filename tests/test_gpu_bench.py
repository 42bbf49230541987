"""The GPU benchmark (bench/gpu) where there is no GPU, as in CI: it says so in one line, exits 0
and imports no TensorFlow; and the pieces that need no GPU: the detection verdict, the result
file's checks, the 2:4 layout helpers on TF-MOT-pruned kernels, the sparse/dense crossover."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
GPU_DIR = ROOT / "bench" / "gpu"


@pytest.fixture
def gpu(monkeypatch):
    monkeypatch.syspath_prepend(str(GPU_DIR))
    import gpu_bench
    import sparse24

    return gpu_bench, sparse24


def test_without_a_gpu_run_sh_and_the_python_entry_print_one_line_and_exit_0(tmp_path):
    """CI has no GPU. A tensorflow / tf_keras that records being imported sits first on the path."""
    marker = tmp_path / "imported"
    for name in ("tensorflow", "tf_keras"):
        (tmp_path / "block" / name).mkdir(parents=True)
        (tmp_path / "block" / name / "__init__.py").write_text(
            f"open({str(marker)!r}, 'a').write('{name}\\n')\nraise ImportError('blocked by the test')\n")
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])  # python3 = this python
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "block"), str(ROOT)]),
           "OUT": str(tmp_path / "out"), "PATH": path}
    for cmd in (["bash", "bench/gpu/run.sh"], [sys.executable, "bench/gpu/gpu_bench.py"]):
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        lines = proc.stdout.splitlines()
        assert len(lines) == 1 and lines[0].startswith("no GPU: "), proc.stdout
        assert "nvidia-smi" in lines[0] and "torch" in lines[0] and "jax" in lines[0]
    assert not marker.exists(), marker.read_text()
    assert not (tmp_path / "out").exists()


def test_verdict_takes_the_first_probe_that_finds_a_gpu_else_names_every_reason(gpu):
    gpu_bench, _ = gpu
    called = []

    def none(why):
        return lambda: (called.append(why), (None, why))[1]

    assert gpu_bench.verdict([("a", none("no a")), ("b", none("no b"))]) == (None, None, "no GPU: no a; no b")
    called.clear()
    probes = [("a", none("no a")), ("b", lambda: ([{"name": "H200"}], None)), ("c", none("not asked"))]
    assert gpu_bench.verdict(probes) == ([{"name": "H200"}], "b", None)
    assert called == ["no a"]


def test_result_file_is_checked_before_it_is_written(gpu, tmp_path):
    gpu_bench, _ = gpu
    result = {"schema": gpu_bench.SCHEMA, "started": "2026-01-01T00:00:00+00:00", "seconds": 1.5,
              "device": {"name": "NVIDIA H200", "driver": "580"}, "versions": gpu_bench.versions(),
              "prepared": {"commit": None}, **{name: {"error": "not run"} for name, *_ in gpu_bench.PARTS}}
    path = gpu_bench.write(tmp_path / "results" / "gpu.json", result)
    assert json.loads(path.read_text()) == json.loads(json.dumps(result))
    assert result["versions"]["numpy"] == np.__version__
    broken = [{k: v for k, v in result.items() if k != "litert"}, {**result, "device": {}},
              {**result, "sparse24": "timed out"}, {**result, "schema": "other/1"}]
    for bad in broken:
        with pytest.raises(ValueError):
            gpu_bench.write(tmp_path / "bad.json", bad)
    assert not (tmp_path / "bad.json").exists()


def test_2_4_helpers_on_tfmot_pruned_lenet_kernels(gpu):
    _, sparse24 = gpu
    import lottery_keras as lk
    from lottery_keras.pruning import n_m

    model = lk.models.lenet_300_100(seed=0)
    kernels = {layer.name: layer.kernel.numpy() for layer in model.layers if hasattr(layer, "kernel")}
    masks = n_m.masks(kernels, (2, 4))
    for name, kernel in kernels.items():
        pruned = kernel * masks[name]
        w = sparse24.torch_layout(pruned)
        assert w.shape == kernel.shape[::-1] and n_m.check(pruned).ok and sparse24.is_2_4(w), name
        assert not sparse24.is_2_4(sparse24.torch_layout(kernel))
        # the same weights survive as with TF-MOT's own 2:4 mask
        np.testing.assert_array_equal(sparse24.prune_2_4(sparse24.torch_layout(kernel)), w)
        padded = sparse24.pad_to(w)
        assert padded.shape[0] % 64 == 0 and padded.shape[1] % 64 == 0 and sparse24.is_2_4(padded)
        np.testing.assert_array_equal(padded[: w.shape[0], : w.shape[1]], w)
        assert np.count_nonzero(padded) == np.count_nonzero(w)
    with pytest.raises(ValueError, match="multiple of 4"):
        sparse24.prune_2_4(np.ones((4, 6)))


def test_crossover_finds_the_smallest_product_where_sparse_wins(gpu):
    _, sparse24 = gpu

    def row(n, tokens, speedup):
        return {"matrix": f"m{n}", "out": n, "in": n, "tokens": tokens, "dtype": "float16",
                "backends": {"cutlass": {"ms": 1.0, "speedup": speedup}, "cusparselt": {"error": "unsupported"}}}

    rows = [row(8192, 64, 1.4), row(1024, 64, 0.6), row(4096, 64, 1.1), row(8192, 8192, 1.2)]
    result = sparse24.crossover(rows)
    cutlass = result["float16/cutlass"]
    assert cutlass["first_faster"]["matrix"] == "m4096" and cutlass["best"]["speedup"] == 1.4
    assert cutlass["measured"] == 4
    assert result["float16/cusparselt"] == {"first_faster": None, "best": None, "measured": 0}
