"""Shared fixtures: run the suite's pool tests once per start method this OS offers."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# --doctest-modules would import every .py here; these are scripts run in subprocesses
# (TensorFlow probes, CPython's pool suite, CLI scripts) and must not load in pytest.
collect_ignore_glob = ["tf_*.py", "cpython_pool_suite.py", "scripts/*"]
START_METHODS = [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]


def pytest_configure(config: pytest.Config) -> None:
    # The seedpool_fuzz fixture comes from seedpool's pytest plugin, an entry point of the
    # installed package; a checkout run from PYTHONPATH (or an install made before the
    # entry point existed) registers it here, under the entry point's name.
    if not config.pluginmanager.has_plugin("seedpool"):
        import seedpool._pytest_plugin as plugin

        config.pluginmanager.register(plugin, "seedpool")


@pytest.fixture(params=START_METHODS)
def start_method(request: pytest.FixtureRequest) -> str:
    return request.param


def run_python(code: str, *, env: dict | None = None, timeout: float = 120) -> str:
    """Run ``code`` in a fresh interpreter (seedpool importable) and return its stdout."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join([str(REPO), full_env.get("PYTHONPATH", "")])
    full_env.pop("SEEDPOOL_SEED", None)
    if env:
        full_env.update(env)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=timeout, cwd=str(REPO)
    )
    if proc.returncode != 0:
        raise AssertionError(f"subprocess failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout


@pytest.fixture(autouse=True)
def _clean_seed_env(monkeypatch: pytest.MonkeyPatch):
    """Tests must not leak SEEDPOOL_SEED or the process default root into each other."""
    monkeypatch.delenv("SEEDPOOL_SEED", raising=False)
    from seedpool import _seeding

    _seeding._reset_for_tests()
    yield
    _seeding._reset_for_tests()
    # Pools fork this process, and TensorFlow here would also seed every task through
    # Keras: TensorFlow runs in subprocesses only. Fails the test that imported it.
    assert "tensorflow" not in sys.modules, "this test imported TensorFlow into the pytest process"
