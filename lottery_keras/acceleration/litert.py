"""Run ``.tflite`` models with LiteRT (``ai-edge-litert``), on CPU or its GPU accelerator.

LiteRT has two Python APIs: the classic ``Interpreter`` (XNNPACK on CPU by default; the
same kernels as the deprecated ``tf.lite.Interpreter``) and the newer ``CompiledModel``,
which picks hardware accelerators (CPU via XNNPACK, GPU, NPU) when the model is compiled.
:func:`load` hides both behind one callable :class:`Runner`; time runners against each
other with :func:`lottery_keras.acceleration.timing.time_runners`. A GPU that cannot run
raises :class:`~lottery_keras.acceleration.gpu.AcceleratorUnavailable` with the reason
(:mod:`lottery_keras.acceleration.gpu` diagnoses it).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from lottery_keras.acceleration import gpu, timing
from lottery_keras.acceleration.gpu import AcceleratorUnavailable, explain_gpu_failure, gpu_status

APIS = ("interpreter", "compiled")
ACCELERATORS = ("cpu", "gpu")
KERNELS = ("xnnpack", "builtin")
_INSTALL_HINT = "install it with `pip install ai-edge-litert` (or `pip install lottery_keras[litert]`)"


def require():
    """Import and return the ``ai_edge_litert`` package, or raise ImportError saying how to get it."""
    try:
        import ai_edge_litert
    except ImportError as err:  # pragma: no cover - the dev extra installs it
        raise ImportError(f"running .tflite models needs ai-edge-litert: {_INSTALL_HINT}") from err
    return ai_edge_litert


# --- native log capture -----------------------------------------------------------------

@contextlib.contextmanager
def _native_stderr(log: list):
    """Send file descriptor 2 (where LiteRT's C++ code logs) to a temp file; append its text to `log`."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            log.append(tmp.read().decode("utf-8", "replace"))


# --- runners ---------------------------------------------------------------------------------

def _model_bytes(model) -> bytes:
    """A .tflite flatbuffer from bytes, an object with ``.content`` (export.Exported) or a path."""
    content = getattr(model, "content", model)
    if isinstance(content, (bytes, bytearray, memoryview)):
        data = bytes(content)
    elif isinstance(content, (str, os.PathLike)):
        data = Path(content).read_bytes()
    else:
        raise TypeError(f"expected .tflite bytes, a path or an export.Exported, got {type(model).__name__}")
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ValueError("not a .tflite flatbuffer (no 'TFL3' identifier at byte 4)")
    return data


def check_threads(threads) -> int:
    """A CPU thread count must be an int >= 1."""
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)):
        raise TypeError(f"threads must be an int >= 1, got {threads!r}")
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    return int(threads)


class Runner:
    """A .tflite model loaded on one LiteRT API and accelerator; ``runner(x)`` returns its output.

    Any batch size works: the input is resized when the batch changes (which re-plans
    the model, so time a fixed batch). ``log`` keeps LiteRT's native log lines.
    """

    def __init__(self, impl, api: str, accelerator: str, threads: int, log: str = ""):
        self.api, self.accelerator, self.threads, self.log = api, accelerator, threads, log
        self._impl = impl
        self.kernels = "xnnpack"
        self._batch = -1
        if api == "interpreter":
            shape = impl.get_input_details()[0]["shape"]
        else:
            self._signature = next(iter(impl.get_signature_list()))
            shape = next(iter(impl.get_input_tensor_details(self._signature).values()))["shape"]
        self.input_shape = tuple(int(d) for d in shape[1:])
        self._native_batch = max(int(shape[0]), 1)

    def __repr__(self) -> str:
        return (f"Runner(api={self.api!r}, accelerator={self.accelerator!r}, threads={self.threads}, "
                f"kernels={self.kernels!r})")

    def __call__(self, x) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.shape[1:] != self.input_shape:
            raise ValueError(f"input must have shape (batch, {', '.join(map(str, self.input_shape))}), "
                             f"got {x.shape}")
        if x.shape[0] != self._batch:
            log: list = []
            with _native_stderr(log):  # re-planning (and the first run) make LiteRT log
                self._resize(x.shape)
                out = self._run(x)
            self.log += "".join(log)
            return out
        return self._run(x)

    def warm_up(self) -> None:
        """Plan the model and run it once on zeros (fails early, and keeps first-run logs quiet)."""
        self(np.zeros((self._native_batch, *self.input_shape), np.float32))

    def _run(self, x):
        if self.api == "interpreter":
            self._impl.set_tensor(self._in, x)
            self._impl.invoke()
            return self._impl.get_tensor(self._out)
        self._ins[0].write(x)
        self._impl.run_by_index(0, self._ins, self._outs)
        return self._outs[0].read(int(np.prod(self._out_shape)), np.float32).reshape(self._out_shape)

    def _resize(self, shape):
        if self.api == "interpreter":
            it = self._impl
            it.resize_tensor_input(it.get_input_details()[0]["index"], list(shape))
            it.allocate_tensors()
            self._in = it.get_input_details()[0]["index"]
            self._out = it.get_output_details()[0]["index"]
        else:
            cm = self._impl
            cm.resize_input_tensor(0, list(shape))
            self._ins = cm.create_input_buffers(0)
            self._outs = cm.create_output_buffers(0)
            details = next(iter(cm.get_output_tensor_details(self._signature).values()))
            self._out_shape = tuple(details["shape"])
        self._batch = shape[0]


_ENVIRONMENT = None


def _environment():
    """One shared LiteRT Environment (creating one loads every accelerator plugin: slow and noisy)."""
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        from ai_edge_litert.environment import Environment

        log = []
        with _native_stderr(log):
            _ENVIRONMENT = Environment.create()
    return _ENVIRONMENT


def load(model, api: str = "interpreter", accelerator: str = "cpu", threads: int = 1,
         kernels: str = "xnnpack") -> Runner:
    """Load a .tflite model (bytes, path or export.Exported) for LiteRT.

    `api`: "interpreter" (LiteRT ``Interpreter``) or "compiled" (``CompiledModel``).
    `accelerator`: "cpu" or "gpu" (``CompiledModel`` only, with CPU fallback for
    unsupported ops). `threads`: CPU threads (>= 1). `kernels` (CPU): "xnnpack" (the
    default delegate) or "builtin" (TFLite's own kernels; they run some files XNNPACK
    refuses, e.g. sparse + int8). A GPU that cannot run raises
    :class:`AcceleratorUnavailable` with the reason.
    """
    if api not in APIS:
        raise ValueError(f"unknown LiteRT api {api!r}; choose one of {', '.join(APIS)}")
    if accelerator not in ACCELERATORS:
        raise ValueError(f"unknown accelerator {accelerator!r}; choose one of {', '.join(ACCELERATORS)}")
    if kernels not in KERNELS:
        raise ValueError(f"unknown kernels {kernels!r}; choose one of {', '.join(KERNELS)}")
    threads = check_threads(threads)
    if accelerator == "gpu" and api != "compiled":
        raise ValueError("the GPU accelerator is reached through api='compiled' (LiteRT CompiledModel)")
    data = _model_bytes(model)
    require()
    log: list = []
    if api == "interpreter":
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        resolver = OpResolverType.AUTO if kernels == "xnnpack" else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        try:
            with _native_stderr(log):
                impl = Interpreter(model_content=data, num_threads=threads, experimental_op_resolver_type=resolver)
                runner = Runner(impl, api, accelerator, threads)
                runner.warm_up()
        except RuntimeError as err:
            hint = "; try kernels='builtin'" if kernels == "xnnpack" else ""
            raise RuntimeError(f"LiteRT Interpreter cannot run this model with {kernels} kernels: {err}{hint}") from err
    else:
        impl = _compile(data, accelerator, threads, kernels, log)
        try:
            with _native_stderr(log):
                runner = Runner(impl, api, accelerator, threads)
                runner.warm_up()
        except RuntimeError as err:
            hint = "; try kernels='builtin'" if kernels == "xnnpack" else ""
            raise RuntimeError(f"LiteRT CompiledModel cannot run this model with {kernels} kernels: "
                               f"{err}{hint}") from err
    runner.kernels = kernels
    runner.log = "".join(log)
    return runner


def _compile(data: bytes, accelerator: str, threads: int, kernels: str, log: list):
    from ai_edge_litert.compiled_model import CompiledModel
    from ai_edge_litert.cpu_kernel_mode import CpuKernelMode
    from ai_edge_litert.hardware_accelerator import HardwareAccelerator
    from ai_edge_litert.options import CpuOptions, Options

    hw = HardwareAccelerator.CPU
    if accelerator == "gpu":
        status = gpu_status()
        if not status:
            raise AcceleratorUnavailable(status.reason)
        hw = HardwareAccelerator.GPU | HardwareAccelerator.CPU
    mode = CpuKernelMode.DELEGATE if kernels == "xnnpack" else CpuKernelMode.BUILTIN
    options = Options(hw, cpu_options=CpuOptions(num_threads=threads, kernel_mode=mode))
    env = _environment()
    try:
        with _native_stderr(log):
            return CompiledModel.from_buffer(data, environment=env, options=options)
    except RuntimeError as err:
        if accelerator == "gpu":
            raise AcceleratorUnavailable(explain_gpu_failure("".join(log))) from err
        raise RuntimeError(f"LiteRT could not compile the model on CPU: {err}\n{''.join(log)[-2000:]}") from err


def predict(model, x, batch_size: int = 500, **load_kwargs) -> np.ndarray:
    """Outputs of a .tflite model (or a loaded :class:`Runner`) on `x`, in batches."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    runner = model if isinstance(model, Runner) else load(model, **load_kwargs)
    x = np.asarray(x, dtype=np.float32)
    if len(x) == 0:
        raise ValueError("predict got no examples")
    outs = [runner(x[i:i + batch_size]).copy() for i in range(0, len(x), batch_size)]
    return np.concatenate(outs)



_MOVED = {"time_runners": timing, "Timing": timing, "gpu_status": gpu, "explain_gpu_failure": gpu,
          "AcceleratorStatus": gpu}


def __getattr__(name):
    """``litert.time_runners`` and friends (0.2 names) still resolve, with a DeprecationWarning."""
    if name not in _MOVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(f"{__name__}.{name} moved to {_MOVED[name].__name__}.{name}; the old name goes away in 0.3",
                  DeprecationWarning, stacklevel=2)
    return getattr(_MOVED[name], name)
