"""Keep TensorFlow's C++ log lines off the terminal and out of notebook cells, unless asked for.

TensorFlow's C++ code writes straight to file descriptor 2: "failed call to cuInit" on
any machine with CUDA libraries and no GPU, "NodeDef mentions attribute
use_unbounded_threadpool" once per training run, and INFO lines while it loads. A
Jupyter kernel forwards such output to whichever cell is running when it arrives, and
nbgrader gives 0 to a graded cell with any stderr. Two measures, both independent of
timing:

* ``TF_CPP_MIN_LOG_LEVEL=3`` (only FATAL) unless the user set it: TensorFlow applies it
  to everything logged once its logging is set up (the cuInit and NodeDef lines are
  ERROR level; errors that stop a computation still raise Python exceptions).
* The lines TensorFlow prints while it loads, before its logging is set up, ignore that
  setting. The first ``import tensorflow`` after ``import lottery_keras`` runs with fd 2
  sent to a temporary file; afterwards the lines at or above the chosen level (and any
  line that is not a TensorFlow log line) are written to ``sys.stderr``, the rest dropped.

``LOTTERY_KERAS_VERBOSE=1`` (the CLI's ``--verbose``) or the user's own
``TF_CPP_MIN_LOG_LEVEL`` shows TensorFlow's usual output. Nothing can be done when
TensorFlow, or JAX, was imported before lottery_keras: ``import jax`` first sets up the C++
logging both use, and TensorFlow's "failed call to cuInit" line then shows (measured with
jax 0.10 and TensorFlow 2.21). Import lottery_keras before keras on the JAX backend.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile

LEVEL, VERBOSE = "TF_CPP_MIN_LOG_LEVEL", "LOTTERY_KERAS_VERBOSE"
QUIET = "3"
_SEVERITY = "IWEF"  # absl's INFO, WARNING, ERROR, FATAL = TF_CPP_MIN_LOG_LEVEL 0..3
_RECORD = re.compile(r"([IWEF])\d{4} [\d:.]+ +\d+ [^\]]+\] ")
_ABSL_NOTE = "WARNING: All log messages before absl::InitializeLog() is called"
_chosen: str | None = None  # the level this module set (None: the user's, or not set yet)


def configure(verbose: bool | None = None) -> None:
    """Set TF_CPP_MIN_LOG_LEVEL (3, or 0 when verbose) unless the user set it; before TF loads."""
    global _chosen
    if verbose is None:
        verbose = os.environ.get(VERBOSE, "").strip() not in ("", "0")
    if LEVEL in os.environ and os.environ[LEVEL] != _chosen:
        return  # the user's own choice wins
    _chosen = os.environ[LEVEL] = "0" if verbose else QUIET
    if verbose:
        os.environ[VERBOSE] = "1"  # for child processes


def min_level() -> int:
    """The effective TF_CPP_MIN_LOG_LEVEL (TensorFlow's default is 0)."""
    try:
        return int(os.environ.get(LEVEL, "0"))
    except ValueError:
        return 0


def keep(text: str, level: int) -> str:
    """Captured fd-2 output less TF log records below `level` and absl's note about them.

    Every other line (a Python warning, a crash report) is kept.
    """
    def shown(line: str) -> bool:
        record = _RECORD.match(line)
        if record:
            return _SEVERITY.index(record.group(1)) >= level
        return level == 0 or not line.startswith(_ABSL_NOTE)

    return "".join(line for line in text.splitlines(keepends=True) if shown(line))


@contextlib.contextmanager
def quiet_fd2():
    """Send fd 2 to a temporary file for the block, then show what :func:`keep` keeps."""
    level = min_level()
    if level <= 0:
        yield
        return
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 at all: nothing to keep quiet
        yield
        return
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            shown = keep(tmp.read().decode(errors="replace"), level)
            if shown and sys.stderr is not None:
                sys.stderr.write(shown)
                sys.stderr.flush()


class _QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """Runs the first ``import tensorflow`` (by anyone) inside :func:`quiet_fd2`, once."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        uninstall()
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _QuietLoader(spec.loader)
        return spec


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self.loader  # leave no trace of this wrapper
        with quiet_fd2():
            self.loader.exec_module(module)


_FINDER = _QuietTensorFlowImport()


def install() -> None:
    """Choose the level and quieten the first TensorFlow import, if TensorFlow is not loaded yet."""
    configure()
    if "tensorflow" not in sys.modules and _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
