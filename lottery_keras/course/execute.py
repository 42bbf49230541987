"""Run a notebook top to bottom with nbclient, in fast or default mode, and time it."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from lottery_keras.course import FAST_ENV


@dataclass
class Execution:
    """What happened when a notebook ran."""

    path: Path
    nb: object                    # the executed NotebookNode (outputs filled in)
    seconds: float                # wall time, kernel start-up included
    error: Exception | None       # nbclient's CellExecutionError (or a timeout), if any
    failed_cell: int | None       # index of the cell that raised, if any

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def ename(self) -> str | None:
        """Exception class name raised in the kernel (e.g. 'NotImplementedError')."""
        return getattr(self.error, "ename", None) if self.error is not None else None


def kernel_env(fast: bool, extra: dict | None = None) -> dict:
    env = dict(os.environ)
    if fast:
        env[FAST_ENV] = "1"
    else:
        env.pop(FAST_ENV, None)
    env.update(extra or {})
    return env


def execute_notebook(path, *, fast: bool, timeout: int = 600, env: dict | None = None,
                     cwd=None) -> Execution:
    """Execute `path` in a fresh kernel, working directory = the notebook's folder.

    Stops at the first cell that raises and reports it in the result; never raises for
    errors inside the notebook. `fast` sets or removes ``LOTTERY_KERAS_FAST`` for the kernel.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    kernel = nb.metadata.get("kernelspec", {}).get("name", "python3")
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel, record_timing=False,
                            resources={"metadata": {"path": str(cwd or path.parent)}})
    start = time.perf_counter()
    error = None
    try:
        client.execute(env=kernel_env(fast, env))
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
        error = err
    seconds = time.perf_counter() - start
    failed = None
    if error is not None:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and any(o.get("output_type") == "error"
                                                for o in cell.get("outputs", [])):
                failed = index
                break
        if failed is None:  # a timeout or dead kernel: the last cell that started
            started = [i for i, c in enumerate(nb.cells)
                       if c.cell_type == "code" and c.get("execution_count")]
            failed = started[-1] if started else None
    return Execution(path, nb, seconds, error, failed)
