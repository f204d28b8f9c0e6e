"""Run CPython's own ``concurrent.futures`` process-pool tests against the stdlib
``ProcessPoolExecutor`` and against ``seedpool.ProcessPoolExecutor``.

Usage::

    python tests/cpython_futures_suite.py [--start-method fork|spawn|forkserver]
                                          [--executor stdlib|seedpool] [--json PATH]

With no ``--executor`` both are run, each in a fresh interpreter, and the per-test
outcomes compared; tests that pass with the stdlib executor but not with seedpool's are
rerun (both) to tell a consistent difference from a timing flake. The goal is no
difference at all: there is no allow-list.

Where CPython's tests come from (never copied into this repository):

* ``test.test_concurrent_futures`` of the running Python, if its ``test`` package has it
  (pyenv's 3.9/3.10 builds carry the single file, 3.12+ the package); else
* ``$SEEDPOOL_CPYTHON_TESTS/<major.minor>/`` (default ``.cache/cpython-tests`` in the
  repository), where ``make cpython-tests`` unpacks ``test_concurrent_futures`` from the
  Debian package ``libpython3.X-testsuite`` (``apt-get download``): pyenv's 3.11 build
  has ``test.support`` but not this file.

What is run: every test class CPython generates for the process pool flavour of the
chosen start method (``ProcessPool<Method>...Test``: executor, shutdown, wait,
as_completed, initializer, failing initializer, deadlock tests), i.e. the classes whose
``ctx`` is that method.

How ``seedpool.ProcessPoolExecutor`` is substituted: before CPython's test module is
imported, ``concurrent.futures.ProcessPoolExecutor`` (what the tests' mixins bind as
``executor_type`` and what several tests call directly as
``futures.ProcessPoolExecutor``) is set to ``seedpool.ProcessPoolExecutor``; scripts the
tests run in a fresh interpreter (``assert_python_ok('-c', ...)``) get their
``from concurrent.futures import ProcessPoolExecutor`` rewritten to ``from seedpool
import ProcessPoolExecutor`` with the repository on ``PYTHONPATH``.

Exit codes: 0 no test that passes with the stdlib executor fails with seedpool's (or a
single run completed), 1 a consistent difference, 3 a run crashed or timed out, 4 this
Python has no CPython futures tests available (see above), so nothing ran.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import unittest
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
for _path in (os.path.dirname(HERE), HERE):
    if _path not in sys.path:
        sys.path.insert(0, _path)  # spawn/forkserver children inherit sys.path

import cpython_suite  # noqa: E402  (tests/ is on sys.path from the lines above when imported, not run)
from cpython_suite import REPO_ROOT  # noqa: E402

ENV_CACHE = "SEEDPOOL_CPYTHON_TESTS"
ENV_EXECUTOR = "SEEDPOOL_CPY_SUITE_EXECUTOR"
SUITE = cpython_suite.Suite(script=os.path.abspath(__file__), name="cpython_futures_suite", option="executor",
                            noun="executor", class_key="executor_class", timeout=400, table=False)


def cache_dir() -> str:
    base = os.environ.get(ENV_CACHE) or os.path.join(REPO_ROOT, ".cache", "cpython-tests")
    return os.path.join(base, "{}.{}".format(*sys.version_info[:2]))


def _find_module_name() -> str | None:
    """The importable name of CPython's futures tests for this Python, or None."""
    try:
        importlib.import_module("test.support")
    except ImportError:
        return None
    if importlib.util.find_spec("test.test_concurrent_futures") is not None:
        return "test.test_concurrent_futures"
    cached = cache_dir()
    if os.path.exists(os.path.join(cached, "test_concurrent_futures.py")) or os.path.isdir(
            os.path.join(cached, "test_concurrent_futures")):
        if cached not in sys.path:
            sys.path.insert(0, cached)  # also reaches spawn children (they unpickle test functions)
        return "test_concurrent_futures"
    return None


def install_executor(kind: str) -> None:
    """Make ``concurrent.futures.ProcessPoolExecutor`` seedpool's (before the tests import)."""
    if kind != "seedpool":
        return
    import concurrent.futures

    import seedpool

    concurrent.futures.ProcessPoolExecutor = seedpool.ProcessPoolExecutor  # type: ignore[misc]


_rewritten = [0]
_SCRIPT_IMPORT = "from concurrent.futures import ProcessPoolExecutor"


def _rewrite_scripts(modules: list, kind: str, name: str) -> None:
    """``assert_python_ok/failure('-c', script)`` scripts: with ``kind="seedpool"`` they use
    seedpool's executor; with tests loaded from the cache (not ``test.*``) they import
    the tests' module by its cached name (both executors alike)."""

    def rewrite(script: str) -> tuple[str, list[str]]:
        paths = []
        if name != "test.test_concurrent_futures" and "test.test_concurrent_futures" in script:
            script = script.replace("test.test_concurrent_futures", name)
            paths.append(cache_dir())
        if kind == "seedpool" and _SCRIPT_IMPORT in script:
            _rewritten[0] += 1
            script = script.replace(_SCRIPT_IMPORT, "from seedpool import ProcessPoolExecutor")
            paths.append(REPO_ROOT)
        return script, paths

    cpython_suite.rewrite_scripts(rewrite, ("assert_python_ok", "assert_python_failure"), tuple(modules))


def load_test_modules(name: str) -> list:
    module = importlib.import_module(name)
    modules = [module]
    if hasattr(module, "__path__"):  # 3.12+: a package of test_* modules
        for info in pkgutil.iter_modules(module.__path__):
            modules.append(importlib.import_module(f"{name}.{info.name}"))
    return modules


def select_classes(modules: list, start_method: str) -> list:
    """CPython's process-pool test classes for ``start_method`` (their ``ctx``)."""
    import concurrent.futures.process as process

    found = {}
    for module in modules:
        for attr, obj in vars(module).items():
            if (isinstance(obj, type) and issubclass(obj, unittest.TestCase)
                    and getattr(obj, "ctx", None) == start_method
                    and issubclass(getattr(obj, "executor_type", object), process.ProcessPoolExecutor)
                    and attr == obj.__name__):
                found[f"{obj.__module__}.{attr}"] = obj
    return [found[k] for k in sorted(found)]


def run_one(kind: str, start_method: str, only: list[str] | None, verbosity: int) -> dict[str, Any]:
    os.environ[ENV_EXECUTOR] = kind
    install_executor(kind)
    name = _find_module_name()
    if name is None:
        raise SystemExit(cpython_suite.EXIT_NO_TESTS)
    modules = load_test_modules(name)
    _rewrite_scripts(modules, kind, name)
    classes = select_classes(modules, start_method)
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for cls in classes:
        for test in loader.loadTestsFromTestCase(cls):
            key = test.id().split(".")[-2] + "." + test.id().split(".")[-1]
            if only is not None and key not in only and f"{key.split('.')[0]}.[environment]" not in only:
                continue
            suite.addTest(test)
    run = cpython_suite.run_tests(suite, verbosity)
    # "Class.test_name", whatever the module path (one file up to 3.11, a package after)
    outcomes = {k if " " in k else ".".join(k.split(".")[-2:]): v for k, v in run.outcomes.items()}
    ran = sorted({k.split(".")[0] for k in outcomes if not k.startswith("[")})
    cpython_suite.add_environment(outcomes, run.warnings, ran)
    import concurrent.futures

    executor = f"{concurrent.futures.ProcessPoolExecutor.__module__}.ProcessPoolExecutor"
    return cpython_suite.results(SUITE, kind, start_method, run._replace(outcomes=outcomes), executor,
                                 tests_from=name, classes=[c.__name__ for c in classes],
                                 scripts_rewritten=_rewritten[0])


def _missing() -> str | None:
    if _find_module_name() is not None:
        return None
    return (f"no CPython concurrent.futures tests for Python {sys.version.split()[0]}: "
            f"neither test.test_concurrent_futures nor {cache_dir()}/test_concurrent_futures* "
            "(run `make cpython-tests`, which unpacks Debian's libpython3.X-testsuite there)")


def _header(run: dict[str, Any]) -> str:
    return (f"CPython concurrent.futures process-pool tests ({run.get('tests_from', '?')}, "
            f"Python {run.get('python', '?')}), start method {run.get('start_method', '?')}")


def _describe(kind: str, run: dict[str, Any]) -> str:
    return f"; {run['scripts_rewritten']} subprocess script(s) rewritten" if kind == "seedpool" else ""


def main(argv: list[str] | None = None) -> int:
    return cpython_suite.main(SUITE, argv, description=__doc__.split("\n\n")[0], missing=_missing,
                              run_one=run_one, header=_header, describe=_describe)


if __name__ == "__main__" or (__name__ == "__mp_main__" and os.environ.get(ENV_EXECUTOR)):
    if __name__ == "__mp_main__":
        install_executor(os.environ[ENV_EXECUTOR])
        _find_module_name()
    else:
        sys.exit(main())
