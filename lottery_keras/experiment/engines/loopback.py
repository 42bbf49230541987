"""A throwaway Ray cluster of several nodes on 127.0.0.1 (tests, benchmarks, trying the engine).

Each node is its own ``ray start --block`` process group (stopped by :meth:`stop`, along
with every process of its session). Two adjustments keep it on one machine, reliably:

* loopback only: Ray replaces 127.0.0.1 by the machine's network address; here nodes and
  drivers (``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` in :attr:`env`) stay on 127.0.0.1;
* fixed agent ports, announced before the raylet starts: a raylet waits only ~15 s for its
  agents' port files, less than a busy machine needs to start them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_LAUNCHER = r'''
import inspect, os, sys
import ray._private.ray_constants as constants
import ray._private.services as services
from ray._raylet import (DASHBOARD_AGENT_LISTEN_PORT_NAME, METRICS_AGENT_PORT_NAME, RUNTIME_ENV_AGENT_PORT_NAME,
                         get_port_filename)
constants.ENABLE_RAY_CLUSTER = True  # several nodes on one machine
services.get_node_ip_address = lambda address=None: "127.0.0.1"
start_raylet = services.start_raylet
def announce_ports_then_start(*args, **kwargs):
    a = inspect.signature(start_raylet).bind(*args, **kwargs).arguments
    for key, name in (("metrics_agent_port", METRICS_AGENT_PORT_NAME),
                      ("dashboard_agent_listen_port", DASHBOARD_AGENT_LISTEN_PORT_NAME),
                      ("runtime_env_agent_port", RUNTIME_ENV_AGENT_PORT_NAME)):
        with open(os.path.join(a["session_dir"], get_port_filename(a["node_id"], name)), "w") as f:
            f.write(str(a[key]))
    return start_raylet(*args, **kwargs)
services.start_raylet = announce_ports_then_start
from ray.scripts.scripts import main
sys.argv = ["ray", *sys.argv[1:]]
sys.exit(main())
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackCluster:
    """``with LoopbackCluster(nodes=2) as cluster: ... cluster.address ...`` (a head and nodes-1 workers)."""

    def __init__(self, nodes: int = 2, cpus_per_node: int = 1, startup_s: float = 600):
        self.nodes, self.cpus, self.startup_s = nodes, cpus_per_node, startup_s
        self.env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0",
                    "RAY_worker_register_timeout_seconds": "600"}
        self.temp_dir = Path(tempfile.mkdtemp(prefix="lk-ray-"))
        self.address: str | None = None
        self._procs: list[subprocess.Popen] = []

    def __enter__(self) -> LoopbackCluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> str:
        port = free_port()
        self.address = f"127.0.0.1:{port}"
        self._node(["--head", "--port", str(port), "--include-dashboard", "false",
                    "--temp-dir", str(self.temp_dir)])
        for _ in range(self.nodes - 1):
            self._node(["--address", self.address])
        return self.address

    def _node(self, args: list[str]) -> None:
        ports = ["--dashboard-agent-grpc-port", "--dashboard-agent-listen-port", "--runtime-env-agent-port",
                 "--metrics-export-port"]
        cmd = [sys.executable, "-c", _LAUNCHER, "start", "--block", "--node-ip-address", "127.0.0.1",
               "--num-cpus", str(self.cpus), "--disable-usage-stats", *args,
               *[x for flag in ports for x in (flag, str(free_port()))]]
        log = self.temp_dir / f"node{len(self._procs)}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=self.env,
                                    start_new_session=True, cwd=self.temp_dir)
        self._procs.append(proc)
        deadline = time.monotonic() + self.startup_s
        while b"Ray runtime started" not in log.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Ray node did not start ({log}):\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.5)

    def processes(self, title: str = "ray::") -> list[int]:
        """Pids of this cluster's processes whose command line starts with `title` (e.g. ``ray::_train``)."""
        sessions = {p.pid for p in self._procs}
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.getsid(int(entry.name)) in sessions and \
                        (entry / "cmdline").read_bytes().startswith(title.encode()):
                    found.append(int(entry.name))
            except (OSError, ProcessLookupError):
                continue
        return found

    def stop(self) -> None:
        """SIGTERM each node's process group, then SIGKILL whatever of its session is left."""
        for proc in self._procs:
            with _quiet():
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self._procs:
            with _quiet():
                proc.wait(timeout=30)
        for pid in self.processes(""):
            with _quiet():
                os.kill(pid, signal.SIGKILL)
        for proc in self._procs:
            with _quiet():
                proc.wait(timeout=10)
        self._procs = []


def _quiet():
    return contextlib.suppress(OSError, subprocess.TimeoutExpired)
