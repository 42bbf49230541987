"""2:4 sparsity on NVIDIA sparse tensor cores: PyTorch's semi-structured format against dense.

The pure-numpy helpers (magnitude 2:4 pruning, the TF-to-PyTorch weight layout, padding to
the shapes the kernels accept, where sparse starts to win) run anywhere and are unit-tested;
:func:`run` needs PyTorch and a CUDA GPU. It times ``torch.nn.functional.linear(x, W)`` with W
dense and with W in ``torch.sparse`` semi-structured form (the default conversion, CUTLASS and cuSPARSELt,
fp16 and bf16), with CUDA events, on the 2:4 LeNet-300-100 kernels prepared by
``bench/gpu/prepare.py`` and on larger random 2:4 matrices (square, and the two matrices
of a transformer MLP with d=4096), at several token counts.
"""

from __future__ import annotations

import json
import sys

import numpy as np

ROW_MULTIPLE = COL_MULTIPLE = 64  # CUTLASS fp16/bf16 needs rows % 32, cols % 64; cuSPARSELt less
SQUARE = (1024, 2048, 4096, 8192)
MLP = (("mlp_up_4096x16384", 16384, 4096), ("mlp_down_16384x4096", 4096, 16384))
TOKENS = (64, 1024, 8192)
DTYPES = ("float16", "bfloat16")
BACKENDS = ("default", "cutlass", "cusparselt")  # default: to_sparse_semi_structured
PUBLISHED = ("about 1.1-1.6x end to end on Ampere-class GPUs (the figure quoted in issue 17); "
             "up to 2x is the sparse tensor cores' peak for the matrix product alone")


def is_2_4(w) -> bool:
    """True when every 4 consecutive values along the last axis hold at most 2 nonzeros."""
    w = np.asarray(w)
    if w.shape[-1] % 4:
        return False
    return bool((np.count_nonzero(w.reshape(-1, 4), axis=1) <= 2).all())


def prune_2_4(w) -> np.ndarray:
    """`w` with the 2 smallest magnitudes of every 4 consecutive values (last axis) set to 0."""
    w = np.asarray(w)
    if w.shape[-1] % 4:
        raise ValueError(f"the last axis must be a multiple of 4 for 2:4, got shape {w.shape}")
    groups = w.reshape(-1, 4)
    drop = np.argsort(np.abs(groups), axis=1, kind="stable")[:, :2]
    out = groups.copy()
    np.put_along_axis(out, drop, 0, axis=1)
    return out.reshape(w.shape)


def torch_layout(kernel) -> np.ndarray:
    """A Dense kernel in Keras layout ``[C_IN, C_OUT]`` as a PyTorch Linear weight ``[C_OUT, C_IN]``:
    the 2:4 groups (along C_IN, see lottery_keras.pruning.n_m) become groups along each row."""
    kernel = np.asarray(kernel)
    if kernel.ndim != 2:
        raise ValueError(f"expected a Dense kernel [C_IN, C_OUT], got shape {kernel.shape}")
    return np.ascontiguousarray(kernel.T)


def pad_to(w, rows: int = ROW_MULTIPLE, cols: int = COL_MULTIPLE) -> np.ndarray:
    """`w` zero-padded at the end to a multiple of `rows` x `cols` (zeros keep the 2:4 pattern)."""
    w = np.asarray(w)
    return np.pad(w, ((0, -w.shape[0] % rows), (0, -w.shape[1] % cols)))


def crossover(rows: list) -> dict:
    """Per "dtype/backend": the smallest product (out x in x tokens) where sparse beat dense,
    and the best speedup, from rows as :func:`run` makes them."""
    out = {}
    for row in sorted(rows, key=lambda r: r["out"] * r["in"] * r["tokens"]):
        for backend, res in row["backends"].items():
            key = f"{row['dtype']}/{backend}"
            entry = out.setdefault(key, {"first_faster": None, "best": None, "measured": 0})
            if "speedup" not in res:
                continue
            entry["measured"] += 1
            shape = {"matrix": row["matrix"], "out": row["out"], "in": row["in"], "tokens": row["tokens"],
                     "speedup": res["speedup"]}
            if res["speedup"] > 1 and entry["first_faster"] is None:
                entry["first_faster"] = shape
            if entry["best"] is None or res["speedup"] > entry["best"]["speedup"]:
                entry["best"] = shape
    return out


# --- GPU part (PyTorch, CUDA) ------------------------------------------------------------------

def _time_ms(torch, fn, inner: int = 10, repeats: int = 15) -> float:
    """Median ms per call of `fn`, `inner` calls between two CUDA events, after warm-up."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(inner):
            fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / inner)
    return float(np.median(times))


def _sparse(torch, backend: str, w):
    from torch.sparse import semi_structured as ss

    if backend == "default":
        return ss.to_sparse_semi_structured(w)
    cls = {"cutlass": "SparseSemiStructuredTensorCUTLASS", "cusparselt": "SparseSemiStructuredTensorCUSPARSELT"}
    return getattr(ss, cls[backend]).from_dense(w)


def _one(torch, name: str, w_np, tokens: int, dtype: str) -> dict:
    dt = getattr(torch, dtype)
    w = torch.from_numpy(w_np).to("cuda", dt)
    x = torch.randn(tokens, w.shape[1], device="cuda", dtype=dt, generator=torch.Generator("cuda").manual_seed(1))
    linear = torch.nn.functional.linear
    dense_y = linear(x, w)
    row = {"matrix": name, "out": int(w.shape[0]), "in": int(w.shape[1]), "tokens": tokens, "dtype": dtype,
           "dense_ms": _time_ms(torch, lambda: linear(x, w)), "backends": {}}
    for backend in BACKENDS:
        try:
            ws = _sparse(torch, backend, w)
            err = float((linear(x, ws) - dense_y).abs().max() / dense_y.abs().max().clamp_min(1e-6))
            ms = _time_ms(torch, lambda ws=ws: linear(x, ws))
            row["backends"][backend] = {"ms": ms, "speedup": row["dense_ms"] / ms, "max_rel_err": err}
        except Exception as exc:  # record the exact reason a backend cannot run this shape / dtype / GPU
            row["backends"][backend] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    return row


def run(kernels_path: str | None = None) -> dict:
    """Time dense against 2:4 semi-structured linear layers on the GPU; returns the JSON part."""
    import torch
    from torch.sparse import to_sparse_semi_structured

    if not torch.cuda.is_available():
        return {"error": "torch sees no CUDA device"}
    matrices = []
    if kernels_path:
        with np.load(kernels_path) as kernels:
            for layer in kernels.files:
                w = torch_layout(kernels[layer])
                if is_2_4(w):
                    matrices.append((f"lenet_2of4/{layer} padded from {w.shape[0]}x{w.shape[1]}", pad_to(w)))
    rng = np.random.default_rng(0)
    shapes = [(f"square_{n}", n, n) for n in SQUARE] + list(MLP)
    matrices += [(name, prune_2_4(rng.standard_normal((o, i), dtype=np.float32))) for name, o, i in shapes]
    probe = torch.zeros(64, 64, device="cuda", dtype=torch.float16)
    probe[:, ::2] = 1
    try:
        default = type(to_sparse_semi_structured(probe)).__name__
    except Exception as exc:  # the reason the default conversion fails on this GPU
        default = f"error: {type(exc).__name__}: {str(exc)[:300]}"
    rows = [_one(torch, name, w, tokens, dtype) for name, w in matrices for tokens in TOKENS for dtype in DTYPES]
    return {"default_backend": default,
            "weights": "LeNet-300-100 2:4 kernels (TF-MOT, from prepare.py) and random normal matrices "
                       "pruned 2:4 by magnitude; x random normal",
            "op": "torch.nn.functional.linear(x[tokens, in], W[out, in]); CUDA events, median of 15 "
                  "rounds of 10 calls", "rows": rows, "crossover": crossover(rows), "published": PUBLISHED,
            "capability": list(torch.cuda.get_device_capability()),
            "tensorflow_imported": "tensorflow" in sys.modules}


if __name__ == "__main__":  # python sparse24.py OUT.json [KERNELS.npz]
    result = run(sys.argv[2] if len(sys.argv) > 2 else None)
    with open(sys.argv[1], "w") as f:
        json.dump(result, f, indent=1)
