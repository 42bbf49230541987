"""The command line as a new user meets it: --version, a bare command, info, a missing dataset."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import lottery_keras
from lottery_keras.cli import main
from lottery_keras.data import DatasetNotFound, sources

NO_NETWORK = "http://127.0.0.1:9"  # a proxy that refuses every connection: offline, reliably


@pytest.fixture
def offline_home(tmp_path, monkeypatch):
    """An empty HOME, no LOTTERY_KERAS_DATA or KERAS_HOME, no Debian folder, no network."""
    home = tmp_path / "home"
    home.mkdir()
    for name in ("LOTTERY_KERAS_DATA", "KERAS_HOME", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HOME",):
        monkeypatch.setenv(name, str(home))
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(name, NO_NETWORK)
    monkeypatch.setattr(sources, "DEBIAN_FASHION", tmp_path / "no-debian")
    return home


def test_version_prints_the_version_and_exits_0(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"lottery-keras {lottery_keras.__version__}\n"


def test_bare_command_prints_usage_and_points_to_help(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: lottery-keras") and "`lottery-keras --help`" in err
    assert "run" in err and "info" in err


def test_info_prints_its_own_version_and_says_what_a_download_would_do(capsys, offline_home):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"lottery_keras {lottery_keras.__version__}"
    for name in ("mnist", "fashion_mnist"):
        line = next(line for line in out.splitlines() if line.startswith(f"{name} "))
        assert "not found here; cannot be downloaded (no connection to" in line, line
    assert "will download" not in out and not (offline_home / ".keras" / "datasets").exists()


def test_offline_missing_dataset_error_speaks_cli(offline_home, tmp_path):
    out = tmp_path / "run"
    cli = "import sys; from lottery_keras.cli import main; sys.exit(main())"
    done = subprocess.run([sys.executable, "-c", cli, "run", "--dataset", "mnist", "--out", str(out)],
                          capture_output=True, text=True, env=dict(os.environ), timeout=300)
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1, done.stderr
    message = done.stderr
    for option in ("--data-dir", "LOTTERY_KERAS_DATA", "--dataset mnist-mini", "no connection"):
        assert option in message, (option, message)
    for python_advice in ("data_dir=", "load(", "download=True"):
        assert python_advice not in message, (python_advice, message)
    assert not (offline_home / ".keras").exists() and not out.exists()


def test_failed_download_leaves_no_empty_keras_cache(offline_home, monkeypatch):
    """Even when the site check passes and the Keras downloader itself then fails."""
    monkeypatch.setattr(sources, "_unreachable", lambda name, timeout=10.0: "")
    with pytest.raises(DatasetNotFound) as err:
        lottery_keras.data.load("fashion_mnist")
    assert "the Keras downloader (needs internet): failed" in str(err.value)
    assert not (offline_home / ".keras" / "datasets").exists()  # (tf_keras makes ~/.keras itself)
