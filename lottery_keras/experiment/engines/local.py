"""The local engine: the units one after the other, in this process."""

from __future__ import annotations

from lottery_keras.experiment.engines import pin_threads


class Engine:
    """Trains in this process with the math library pinned to `threads` threads (`pin`: the
    framework's, default :func:`pin_threads`, TensorFlow's)."""

    name = "local"

    def __init__(self, address=None, threads: int = 1, gpus: float = 0, pin=None):
        if address is not None:
            raise ValueError("--address is for --engine ray (the address of a Ray cluster)")
        self.threads = threads
        self.pinned = (pin or pin_threads)(threads)

    def run(self, experiment, todo, ledger) -> None:
        for unit in todo:
            experiment.run_unit(unit, ledger.position(), len(ledger.units))
            ledger.finished(unit)

    def close(self) -> None:
        pass
