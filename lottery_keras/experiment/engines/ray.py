"""The Ray engine: each unit a Ray task, as many at once as the cluster has room for.

The driver (this process) keeps the run directory: it reads a unit's inputs from it
(:meth:`Experiment.inputs`), ships them with the config and the dataset (put once in
Ray's object store) to a worker, and writes the returned outputs atomically
(:meth:`Experiment.save`). Workers need the library, not the data or the run directory.
A worker process that dies mid-unit is retried by Ray (``max_retries``); as every unit is
a pure function of its inputs, the retry gives the same numbers.
"""

from __future__ import annotations

import socket

from lottery_keras.experiment.engines import pin_threads
from lottery_keras.experiment.engines.graph import Graph

MAX_RETRIES = 3  # re-runs of a unit whose worker process or node died
_WORKER: dict = {}  # per worker process: the Experiment of the config it last trained


def _import_ray():
    try:
        import ray
    except ImportError as err:
        raise ValueError(f"--engine ray needs Ray ({err}): pip install 'lottery_keras[ray]'") from None
    return ray


def _check_reachable(address: str | None) -> None:
    """A `host:port` (or ``ray://host:port``) nobody answers at is refused in a second, not minutes."""
    if address is None or address in ("auto", "local"):
        return
    hostport = address.split("://", 1)[-1]
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"--address {address!r}: expected HOST:PORT of a Ray head node (as printed by "
                         "`ray start --head`), ray://HOST:PORT, or auto")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as err:
        raise ValueError(f"--address {address}: no Ray cluster answers there ({err.strerror or err}); "
                         "start one with `ray start --head` and pass the address it prints") from None


def _probe() -> str:
    """Runs on a worker: the library's version there (fails where it is not installed)."""
    import lottery_keras

    return lottery_keras.__version__


def _train(config_json: str, threads: int, data, inputs):
    """Runs on a worker: train one unit from its inputs; returns its :class:`UnitOutputs`."""
    key = (config_json, threads)
    if _WORKER.get("key") != key:
        pin_threads(threads)
        from lottery_keras.experiment.config import ExperimentConfig
        from lottery_keras.experiment.imp import Experiment
        from lottery_keras.experiment.progress import Progress

        config = ExperimentConfig.from_json(config_json)
        _WORKER.clear()  # the run directory is the driver's: the worker's Experiment never touches it
        _WORKER.update(key=key, experiment=Experiment(config, ".", data, Progress(quiet=True)))
    return _WORKER["experiment"].train(inputs)


class Engine:
    """Connects to the Ray cluster at `address` (None: a cluster found on this machine, else a new one)."""

    name = "ray"

    def __init__(self, address: str | None = None, threads: int = 1, gpus: float = 0, runtime_env=None, pin=None):
        # pin: unused, Ray runs --keras 2 experiments only (TensorFlow is pinned in each worker)
        import lottery_keras

        ray = _import_ray()
        _check_reachable(address)
        self.ray, self.threads, self.gpus, self.address = ray, threads, gpus, address or "a local Ray instance"
        try:
            ray.init(address=address, runtime_env=runtime_env, log_to_driver=False, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as err:
            raise ValueError(f"--address {address}: cannot connect to a Ray cluster ({err})") from None
        try:
            version = ray.get(ray.remote(num_cpus=0, max_retries=0)(_probe).remote(), timeout=300)
        except Exception as err:  # a worker's import error arrives wrapped in Ray's errors
            self.close()
            first = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
            raise ValueError(f"Ray cluster at {self.address}: its workers cannot run lottery_keras ({first}); "
                             "install it on every node: pip install 'lottery_keras[ray]'") from None
        if version != lottery_keras.__version__:
            self.close()
            raise ValueError(f"Ray cluster at {self.address}: its workers have lottery_keras {version}, this "
                             f"driver {lottery_keras.__version__}; install the same version on every node")
        self.pinned = pin_threads(threads)  # the driver computes the IMP masks, as the local engine does
        self._train = ray.remote(num_cpus=threads, num_gpus=gpus, max_retries=MAX_RETRIES)(_train)
        self._running: dict = {}

    def slots(self) -> int:
        """Units the cluster can train at once (its CPUs, or GPUs, over one unit's share)."""
        resources = self.ray.cluster_resources()
        share = [resources.get("CPU", 0) // self.threads]
        if self.gpus:
            share.append(resources.get("GPU", 0) // self.gpus)
        return max(1, int(min(share)))

    def run(self, experiment, todo, ledger) -> None:
        ray, graph, count = self.ray, Graph(todo), len(ledger.units)
        config_json, data = experiment.config.to_json(), ray.put(experiment.data)
        while graph:
            for unit in graph.ready()[: max(0, self.slots() - len(graph.running))]:
                graph.start(unit)
                ref = self._train.remote(config_json, self.threads, data, experiment.inputs(unit))
                self._running[ref] = unit
            (ref,), _ = ray.wait(list(self._running), num_returns=1)
            unit = self._running.pop(ref)
            outputs = ray.get(ref)
            experiment.save(outputs)
            graph.finish(unit)
            experiment.progress.line(f"  [{ledger.position()}/{count}] {unit.name} trained in "
                                     f"{outputs.seconds:.1f} s on the cluster ({len(graph.running)} running)")
            ledger.finished(unit)

    def close(self) -> None:
        for ref in getattr(self, "_running", {}):
            self.ray.cancel(ref, force=True)
        self.ray.shutdown()
