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
# (TensorFlow probes, CPython's pool suite, CLI scripts) and must not load in pytest,
# and task modules of optional engines (the matrix legs have no Dask or Ray).
collect_ignore_glob = ["tf_*.py", "cpython_pool_suite.py", "scripts/*", "*_native_tasks.py"]
START_METHODS = [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]


def pytest_configure(config: pytest.Config) -> None:
    # The seedpool_fuzz fixture: seedpool's pytest plugin, loaded as a user's conftest.py
    # would (pytest_plugins = ["seedpool.pytest_plugin"]; a plain assignment here would
    # do, but the plugin must come after this conftest put the checkout on sys.path).
    if not config.pluginmanager.has_plugin("seedpool.pytest_plugin"):
        import seedpool.pytest_plugin as plugin

        config.pluginmanager.register(plugin, "seedpool.pytest_plugin")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Docstring examples that show Dask (RandomArray.to_dask, seedpool.dask.sample) run
    # where Dask is installed; the matrix legs, which have no Dask, skip just those.
    import importlib.util

    if importlib.util.find_spec("dask") is not None and importlib.util.find_spec("pandas") is not None:
        return
    skip = pytest.mark.skip(reason="the example needs Dask (and pandas), not installed here")
    for item in items:
        examples = getattr(getattr(item, "dtest", None), "examples", ())
        if any("dask" in example.source or "dd." in example.source for example in examples):
            item.add_marker(skip)


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
    # seed_everything(record=...) writes SEEDPOOL_RECORD for the children it seeds: restored
    # after each test, or every later test's workers would append to that record.
    monkeypatch.delenv("SEEDPOOL_RECORD", raising=False)
    from seedpool._state import seeding as _seeding

    _seeding._reset_for_tests()
    yield
    _seeding._reset_for_tests()
    # Pools fork this process, and TensorFlow here would also seed every task through
    # Keras: TensorFlow runs in subprocesses only. Fails the test that imported it.
    assert "tensorflow" not in sys.modules, "this test imported TensorFlow into the pytest process"


class SiteBuild:
    """One Sphinx build of docs/ (``-W --keep-going -n``): ``html`` and ``doctrees`` paths, and
    how the build ended (``returncode``, ``stderr``)."""

    def __init__(self, html: Path, doctrees: Path, returncode: int, stderr: str) -> None:
        self.html, self.doctrees, self.returncode, self.stderr = html, doctrees, returncode, stderr


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> SiteBuild:
    """The documentation site, built once per run: tests/test_docs.py checks the build,
    tests/test_browser.py opens its pages (half a minute each time it is built)."""
    root = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-n", "-q", "-d",
         str(root / "doctrees"), str(REPO / "docs"), str(root / "html")],
        capture_output=True, text=True, timeout=1200, cwd=str(REPO),
        env={**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    return SiteBuild(root / "html", root / "doctrees", proc.returncode, proc.stderr)
