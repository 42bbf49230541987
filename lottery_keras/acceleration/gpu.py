"""Can LiteRT's GPU accelerator run here, and if not, why: one line instead of an empty native error.

LiteRT's GPU accelerator on Linux is WebGPU (Dawn) over Vulkan: it needs the Vulkan
loader (``libvulkan.so.1``) and a Vulkan driver for a real GPU. :func:`gpu_status` checks
what it can without running anything; :func:`explain_gpu_failure` reads LiteRT's native
log after a failed GPU compilation (see :func:`lottery_keras.acceleration.litert.load`).
"""

from __future__ import annotations

import ctypes
import glob
import importlib.util
import platform
from dataclasses import dataclass
from pathlib import Path


class AcceleratorUnavailable(RuntimeError):
    """The requested LiteRT accelerator cannot run here; the message says why."""


@dataclass(frozen=True)
class AcceleratorStatus:
    """Whether a LiteRT accelerator can run here, and if not, why (one line)."""

    name: str
    available: bool
    reason: str

    def __bool__(self) -> bool:
        return self.available


def _gpu_libraries() -> list:
    """The GPU accelerator libraries shipped in the ai-edge-litert wheel (found without importing it)."""
    spec = importlib.util.find_spec("ai_edge_litert")
    if spec is None or not spec.submodule_search_locations:
        return []
    return sorted(glob.glob(str(Path(spec.submodule_search_locations[0]) / "libLiteRt*GpuAccelerator*")))


def _vulkan_loader() -> str | None:
    """None when the Vulkan loader loads, else the loader's error text."""
    names = {"Linux": ["libvulkan.so.1", "libvulkan.so"], "Windows": ["vulkan-1.dll"]}.get(platform.system())
    if not names:
        return None  # macOS uses Metal; nothing to check here
    errors = []
    for name in names:
        try:
            ctypes.CDLL(name)
            return None
        except OSError as err:
            errors.append(str(err))
    return "; ".join(errors)


def _gpu_device_nodes() -> list:
    return sorted(glob.glob("/dev/dri/renderD*") + glob.glob("/dev/nvidia[0-9]*"))


def explain_gpu_failure(native_log: str) -> str:
    """Turn LiteRT's native log of a failed GPU compilation into one reason line."""
    lines = [line.strip() for line in native_log.splitlines()]
    if any("No adapters found" in line for line in lines):
        return ("no adapter: LiteRT's WebGPU accelerator found no GPU adapter "
                "(no Vulkan driver for a GPU on this machine)")
    if any("GPU accelerator" in line and "not" in line.lower() and "found" in line.lower() for line in lines):
        return "accelerator not found: LiteRT could not load its GPU accelerator library"
    errors = [line for line in lines if line.startswith(("ERROR", "E0", "└"))]
    return "GPU compilation failed: " + (" | ".join(errors[:4]) if errors else "LiteRT gave no reason")


def gpu_status() -> AcceleratorStatus:
    """Can LiteRT's GPU accelerator run here? Checks, in order: the accelerator library in
    the ai-edge-litert wheel, the Vulkan loader (Linux/Windows), a GPU device node (Linux).
    A positive answer is provisional: :func:`load` with ``accelerator="gpu"`` is the test."""
    libraries = _gpu_libraries()
    if not libraries:
        return AcceleratorStatus("gpu", False, "accelerator not found: no ai-edge-litert package with a "
                                 "libLiteRt*GpuAccelerator library for this platform is installed")
    loader_error = _vulkan_loader()
    if loader_error is not None:
        return AcceleratorStatus("gpu", False, "no Vulkan loader: LiteRT's GPU accelerator here is WebGPU over "
                                 f"Vulkan and libvulkan cannot be loaded ({loader_error}); install the Vulkan "
                                 "loader (e.g. apt install libvulkan1) and a GPU driver")
    if platform.system() == "Linux" and not _gpu_device_nodes():
        return AcceleratorStatus("gpu", False, "no adapter: the Vulkan loader is present but this machine has "
                                 "no GPU device (/dev/dri/renderD* or /dev/nvidia*)")
    return AcceleratorStatus("gpu", True, f"GPU accelerator library {Path(libraries[0]).name} and Vulkan present")
