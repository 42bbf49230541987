"""Run a command on one submission in a bubblewrap sandbox.

Inside, the process sees the system's programs and this Python environment read-only, one
scratch folder (a copy of that submission) read-write at ``/submission``, an empty ``/tmp``, and
nothing else: no course folder, no gradebook, no other student. It has no network (its own
network namespace), its own process tree (everything in it dies with it), no capabilities, and
runs as an unprivileged user (uid 65534: when started by root the sandbox drops to that real
uid with ``setpriv``; otherwise bubblewrap maps the caller to it in a user namespace). Resource
limits (``setrlimit``, inherited by every process inside) cap CPU time, address space, the
number of processes and the size of any file written; a wall-clock limit kills the whole tree.

bubblewrap (``bwrap``) is the distribution's maintained sandbox tool (Flatpak uses it); without
it nothing is run: :class:`SandboxMissing` says how to install it.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

INSIDE = "/submission"
NOBODY = 65534
INSTALL = ("bubblewrap (bwrap) is needed to grade in a sandbox and was not found on PATH; "
           "install it (Debian/Ubuntu: `sudo apt-get install -y bubblewrap`, Fedora: "
           "`sudo dnf install bubblewrap`) and run the command again. Submissions are never "
           "graded outside the sandbox.")
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc/ld.so.cache",
           "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/passwd", "/etc/group",
           "/etc/nsswitch.conf", "/etc/alternatives", "/etc/fonts", "/etc/matplotlibrc")


class SandboxMissing(RuntimeError):
    """bubblewrap is not installed: grading refuses to run unsandboxed."""


@dataclass(frozen=True)
class Limits:
    """What one submission may use (per process, except `processes` and `wall_seconds`)."""

    cpu_seconds: int = 900          # RLIMIT_CPU of each process
    memory_mb: int = 8192           # RLIMIT_AS of each process (TensorFlow maps ~2 GB at import)
    processes: int = 512            # RLIMIT_NPROC: processes and threads of the sandbox user
    file_mb: int = 64               # RLIMIT_FSIZE: the largest file it may write
    wall_seconds: int = 1200        # the whole run, kernel start-up included


@dataclass
class Result:
    returncode: int | None          # None: killed at the wall-clock limit
    log: str                        # the tail of its stdout and stderr


def bwrap() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxMissing(INSTALL)
    return path


def _readonly() -> list[str]:
    """Folders this Python needs: its installation, environment and import path.

    Where lottery_keras is imported from a source checkout, only the package folder is shown,
    not the checkout: its solutions/ hold the hidden tests.
    """
    package = Path(__file__).resolve().parents[1]
    checkout = str(package.parent)
    cwd = os.getcwd()   # `python -m` puts it on sys.path; it may be the course folder
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix,
             str(Path(sys.executable).resolve().parent.parent), str(package)}
    paths.update(p for p in sys.path if p and p != cwd and Path(p).is_dir())
    if os.environ.get("LOTTERY_KERAS_DATA"):
        paths.add(os.environ["LOTTERY_KERAS_DATA"])
    paths = sorted(str(Path(p).resolve()) for p in paths if Path(p).exists())
    paths = [p for p in paths if p != checkout or "site-packages" in p]
    kept = [p for p in paths if not any(p.startswith(q + os.sep) for q in paths if q != p)]
    return [p for p in kept if not any(p == s or p.startswith(s + os.sep) for s in _SYSTEM)]


def command(argv: list[str], scratch: Path, hide: list[Path], env: dict[str, str]) -> list[str]:
    """The bwrap command line that runs `argv` with `scratch` at /submission."""
    root = os.geteuid() == 0
    cmd = [bwrap(), "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
           "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv"]
    if not root:
        cmd += ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY)]
    for path in _SYSTEM:
        cmd += ["--ro-bind-try", path, path]
    made: set[str] = set()
    for path in _readonly():   # parents made world-readable (bwrap makes them 0700)
        for parent in reversed(Path(path).parents[:-1]):
            if str(parent) not in made:
                made.add(str(parent))
                cmd += ["--perms", "0755", "--dir", str(parent)]
        cmd += ["--ro-bind", path, path]
    for path in hide:          # a course folder inside a visible path: covered by an empty one
        cmd += ["--tmpfs", str(Path(path).resolve())]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp",
            "--bind", str(scratch), INSIDE, "--chdir", INSIDE]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    cmd.append("--")
    if root:
        cmd += [shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={NOBODY}",
                f"--regid={NOBODY}", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"]
    return cmd + argv


def prepare(scratch: Path) -> None:
    """Make `scratch` writable by the sandbox user (only it; the trusted side reads it after)."""
    scratch.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        for path in [scratch, *scratch.rglob("*")]:
            os.chown(path, NOBODY, NOBODY, follow_symlinks=False)


def _set_limits(limits: Limits):
    def apply():
        for kind, value in ((resource.RLIMIT_CPU, limits.cpu_seconds),
                            (resource.RLIMIT_AS, limits.memory_mb << 20),
                            (resource.RLIMIT_NPROC, limits.processes),
                            (resource.RLIMIT_FSIZE, limits.file_mb << 20),
                            (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(kind, (value, value))
    return apply


def run(argv: list[str], scratch: Path, *, limits: Limits, env: dict[str, str],
        hide: list[Path] = ()) -> Result:
    """Run `argv` in the sandbox; never raises for what happens inside."""
    cmd = command(argv, scratch, list(hide), env)
    with open(scratch.parent / "sandbox.log", "w+b") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                preexec_fn=_set_limits(limits), start_new_session=True)
        try:
            code = proc.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            code = None
        log.seek(max(0, log.seek(0, 2) - 4000))
        return Result(code, log.read().decode("utf-8", "replace"))
