"""Run CPython's own thread-pool tests against the stdlib ``ThreadPool`` and against
``seedpool.ThreadPool``.

Usage::

    python tests/cpython_threadpool_suite.py [--pool stdlib|seedpool] [--json PATH] [--reruns N]

With no ``--pool`` both are run, each in a fresh interpreter, and the per-test outcomes
compared (``cpython_suite.py``: the command line, the comparison and the report are the
pool and futures suites').

What is run: ``WithThreadsTestPool``, CPython's ``_TestPool`` suite in its threads
flavour, generated from this Python's ``test._test_multiprocessing`` by
``install_tests_in_module_dict`` (not copied). Its pools come from
``ThreadsMixin.Pool = staticmethod(multiprocessing.dummy.Pool)``; for the seedpool run
the generated class's ``Pool`` is a factory that builds ``seedpool.ThreadPool`` with the
same arguments (and counts them, so the report shows the substitution really happened).
``support.LONG_TIMEOUT`` is lowered to 10 s (see :func:`run_one`) so ``test_terminate``
cannot hold a thread pool's ``join()`` for 5 minutes.

Exit codes: as ``cpython_suite.py`` (4: this Python has no ``test`` package).
"""

from __future__ import annotations

import os
import sys
import unittest
from typing import Any

import cpython_suite

SUITE = cpython_suite.Suite(script=os.path.abspath(__file__), name="cpython_threadpool_suite", option="pool",
                            noun="pool", class_key="pool_class", timeout=300, table=True)
CLASS = "WithThreadsTestPool"


def run_one(pool: str, start_method: str, only: list[str] | None, verbosity: int) -> dict[str, Any]:
    import test._test_multiprocessing as cpython_tests
    from test import support

    import seedpool

    # test_terminate maps time.sleep(support.LONG_TIMEOUT) (5 min) over a pool and joins it
    # after terminate(): threads cannot be killed, so a thread that picked up a task before
    # terminate() holds join() for the whole sleep -- with either class, when the machine
    # is loaded. Ten seconds keeps that bounded; the other uses are generous get() timeouts.
    support.LONG_TIMEOUT = 10.0
    built = [0]

    def seeded(*args, **kwargs):  # type: ignore[no-untyped-def]
        built[0] += 1
        return seedpool.ThreadPool(*args, **kwargs)

    # Not this module's name: unittest would look for module fixtures there.
    namespace: dict[str, Any] = {"__name__": "cpython_threadpool"}
    cpython_tests.install_tests_in_module_dict(namespace, start_method)
    cls = namespace[CLASS]
    if pool == "seedpool":
        cls.Pool = staticmethod(seeded)
    suite = unittest.TestSuite(test for test in unittest.defaultTestLoader.loadTestsFromTestCase(cls)
                               if only is None or test.id().split(".", 1)[-1] in only)
    run = cpython_suite.run_tests(suite, verbosity)
    class_name = "seedpool.ThreadPool" if pool == "seedpool" else "multiprocessing.pool.ThreadPool"
    return cpython_suite.results(SUITE, pool, start_method, run, class_name, seedpool_pools_constructed=built[0])


def _missing() -> str | None:
    try:
        import test._test_multiprocessing  # noqa: F401
    except ImportError as exc:
        return f"this Python ({sys.executable}) has no test._test_multiprocessing: {exc}"
    return None


def _header(run: dict[str, Any]) -> str:
    return f"CPython thread-pool tests (test._test_multiprocessing {CLASS}, Python {run.get('python', '?')})"


def _describe(kind: str, run: dict[str, Any]) -> str:
    return f"; seedpool.ThreadPool constructed {run['seedpool_pools_constructed']}x" if kind == "seedpool" else ""


def main(argv: list[str] | None = None) -> int:
    return cpython_suite.main(SUITE, argv, description=__doc__.split("\n\n")[0], missing=_missing,
                              run_one=run_one, header=_header, describe=_describe)


if __name__ == "__main__":
    sys.exit(main())
