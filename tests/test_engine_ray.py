"""The Ray engine: same run directory as the local engine, on a real two-node Ray cluster.

The cluster is real: a head node and a worker node, each its own ``ray start`` process
group on 127.0.0.1, one CPU each (:class:`LoopbackCluster`), stopped at the end. The
experiment is small but real training on the bundled mnist-mini (2 levels, 2 replicates,
3 variants: 8 units). Bad input is checked without a cluster.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from lottery_keras.cli import main
from lottery_keras.experiment import ExperimentConfig, Unit, run
from lottery_keras.experiment.engines import graph
from lottery_keras.experiment.engines.loopback import LoopbackCluster, free_port

CONFIG = ExperimentConfig(levels=1, iterations=40, eval_every=20, train_eval_size=500, replicates=2)
ARGS = ["--levels", "1", "--iterations", "40", "--eval-every", "20", "--train-eval-size", "500", "--replicates", "2"]
CLI = [sys.executable, "-c", "import sys; from lottery_keras.cli import main; sys.exit(main())", "run"]


def _files(out):
    """{relative path: bytes} of a run directory, less the wall times (which never repeat)."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "timing.json"}


def _same_run(out, reference):
    got, want = _files(out), _files(reference)
    assert sorted(got) == sorted(want)
    assert [name for name in want if got[name] != want[name]] == []


# --- without a cluster -------------------------------------------------------------------


def test_graph_a_unit_needs_the_previous_lottery_unit_of_its_replicate():
    assert graph.needs(Unit(0, "lottery", 1)) is None
    assert graph.needs(Unit(3, "reinit", 1)) == Unit(2, "lottery", 1)
    g = graph.Graph(CONFIG.units())
    assert g.ready() == [Unit(0, "lottery", 0), Unit(0, "lottery", 1)]
    g.start(Unit(0, "lottery", 1))
    assert g.ready() == [Unit(0, "lottery", 0)]  # level 1 of replicate 1 waits for its level 0
    g.finish(Unit(0, "lottery", 1))
    assert g.ready() == [Unit(0, "lottery", 0), Unit(1, "lottery", 1), Unit(1, "reinit", 1),
                         Unit(1, "random_mask", 1)]
    # 8 units of 1 s: one worker runs them in turn; two run both replicates side by side;
    # more than a level's width cannot beat the chain level 0 -> level 1.
    assert [graph.makespan(CONFIG.units(), lambda u: 1.0, w) for w in (1, 2, 3, 8)] == [8.0, 4.0, 3.0, 2.0]


@pytest.mark.parametrize("options, message", [
    (["--engine", "ray", "--address", f"127.0.0.1:{free_port()}"], "no Ray cluster answers there"),
    (["--engine", "ray", "--address", "nowhere"], "expected HOST:PORT of a Ray head node"),
    (["--address", "127.0.0.1:6379"], "--address is for --engine ray"),
    (["--engine", "ray", "--threads", "0"], "--threads: must be >= 1"),
    (["--engine", "ray", "--gpus", "-1"], "gpus must be a number >= 0"),
])
def test_bad_engine_input_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, options, message):
    out = tmp_path / "run"
    try:
        code = main(["run", *ARGS, "--out", str(out), *options])
    except SystemExit as stop:  # argparse's own checks
        code = stop.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_engine_ray_without_ray_installed_says_how_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets where Ray is not installed
    out = tmp_path / "run"
    assert main(["run", *ARGS, "--out", str(out), "--engine", "ray"]) == 2
    err = capsys.readouterr().err
    assert "--engine ray needs Ray" in err and "pip install 'lottery_keras[ray]'" in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()


# --- on a cluster ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    with LoopbackCluster(nodes=2, cpus_per_node=1) as c:
        yield c


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "run"
    run(CONFIG, out, progress=False, engine="local")
    return out


def _driver(cluster, out, *options):
    return subprocess.Popen([*CLI, *ARGS, "--out", str(out), *options], env=dict(cluster.env, PYTHONUNBUFFERED="1"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(proc):
    output = proc.communicate(timeout=900)[0]
    assert proc.returncode == 0, output
    return output


def _wait(condition, proc, what, timeout=600):
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"run ended before {what}:\n{proc.communicate()[0]}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.mark.slow
def test_a_ray_run_writes_the_local_runs_directory_byte_for_byte(cluster, reference, tmp_path):
    out = tmp_path / "ray"
    output = _finish(_driver(cluster, out, "--engine", "ray", "--address", cluster.address))
    _same_run(out, reference)
    assert "[8/8]" in output and "level  1/1" in output  # the CLI's progress lines


@pytest.mark.slow
def test_a_worker_killed_mid_unit_is_retried_and_the_run_is_unchanged(cluster, reference, tmp_path):
    out = tmp_path / "ray"
    proc = _driver(cluster, out, "--engine", "ray", "--address", cluster.address)
    _wait(lambda: cluster.processes("ray::_train"), proc, "a unit in training")
    time.sleep(1.0)
    victims = cluster.processes("ray::_train")
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    _finish(proc)
    assert victims
    _same_run(out, reference)


@pytest.mark.slow
def test_killed_drivers_resume_with_either_engine(cluster, reference, tmp_path):
    out = tmp_path / "ray"

    def done():
        return sum((out / u.name / "result.json").exists() for u in CONFIG.units())

    for engine, stop_at in (("ray", 2), ("local", 4)):
        options = ["--engine", "ray", "--address", cluster.address] if engine == "ray" else []
        proc = _driver(cluster, out, *options)
        _wait(lambda n=stop_at: done() >= n, proc, f"{stop_at} units done")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert done() < len(CONFIG.units())
    output = _finish(_driver(cluster, out, "--engine", "ray", "--address", cluster.address))
    assert "resuming" in output
    _same_run(out, reference)


@pytest.mark.slow
def test_a_cluster_whose_workers_lack_the_library_is_refused(cluster, tmp_path, monkeypatch):
    from lottery_keras.experiment.engines.ray import Engine

    # Workers whose `import lottery_keras` fails, as on nodes where it is not installed: their
    # working directory (first on their path) holds a package of that name that raises ImportError.
    stub = tmp_path / "lottery_keras"
    stub.mkdir()
    (stub / "__init__.py").write_text("raise ImportError('No module named lottery_keras')\n")
    monkeypatch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # this process is the driver: stay on 127.0.0.1
    with pytest.raises(ValueError, match=r"its workers cannot run lottery_keras .*pip install"):
        Engine(cluster.address, runtime_env={"working_dir": str(tmp_path)})
