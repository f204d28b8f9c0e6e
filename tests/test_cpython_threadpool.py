"""CPython's own thread-pool tests pass with ``seedpool.ThreadPool`` substituted.

The tests are loaded from this Python's ``test._test_multiprocessing`` at test time (not
copied): ``install_tests_in_module_dict`` generates ``WithThreadsTestPool`` -- CPython's
``_TestPool`` suite in its threads flavour, whose pools come from
``ThreadsMixin.Pool = staticmethod(multiprocessing.dummy.Pool)``. A fresh interpreter
runs it twice, once as generated (the stdlib ``ThreadPool``) and once with the class's
``Pool`` set to a factory that builds ``seedpool.ThreadPool`` with the same arguments;
every test that passes with the stdlib pool must pass with seedpool's, and the run
must really have built seedpool pools. ``support.LONG_TIMEOUT`` is lowered to 10 s (see
the code) so ``test_terminate`` cannot hold a thread pool's ``join()`` for 5 minutes.

``concurrent.futures.ThreadPoolExecutor``: this Python's ``test`` package ships no
``test_concurrent_futures`` (3.13's is tied to 3.13's stdlib and ``test.support``), so
the executor's drop-in behaviour is compared with the stdlib's in ``test_threads.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import REPO

CODE = r"""
import json, sys, unittest
try:
    import test._test_multiprocessing as cpython_tests
except ImportError as exc:
    print(json.dumps({"missing": str(exc)})); sys.exit(0)
from test import support

import seedpool

# test_terminate maps time.sleep(support.LONG_TIMEOUT) (5 min) over a pool and joins it
# after terminate(): threads cannot be killed, so a thread that picked up a task before
# terminate() holds join() for the whole sleep -- with either class, when the machine
# is loaded. Ten seconds keeps that bounded; the other uses are generous get() timeouts.
support.LONG_TIMEOUT = 10.0

built = [0]

def seeded(*args, **kwargs):
    built[0] += 1
    return seedpool.ThreadPool(*args, **kwargs)

outcomes = {}

class Recorder(unittest.TextTestResult):
    def addSuccess(self, test):
        super().addSuccess(test); outcomes.setdefault(test.id().split(".", 1)[-1], "pass")
    def addFailure(self, test, err):
        super().addFailure(test, err); outcomes[test.id().split(".", 1)[-1]] = "fail"
    def addError(self, test, err):
        super().addError(test, err); outcomes[str(test)] = "error: " + self._exc_info_to_string(err, test)[-500:]
    def addSkip(self, test, reason):
        super().addSkip(test, reason); outcomes[test.id().split(".", 1)[-1]] = "skip"

namespace = {"__name__": "cpython_threadpool"}
cpython_tests.install_tests_in_module_dict(namespace, "fork")
cls = namespace["WithThreadsTestPool"]
if sys.argv[1] == "seedpool":
    cls.Pool = staticmethod(seeded)
suite = unittest.defaultTestLoader.loadTestsFromTestCase(cls)
unittest.TextTestRunner(resultclass=Recorder, verbosity=0, stream=sys.stderr).run(suite)
print(json.dumps({"outcomes": outcomes, "built": built[0]}))
"""


def _run(kind: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", CODE, kind], capture_output=True, text=True, timeout=300,
                          cwd=str(REPO))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_cpython_threadpool_tests_pass_with_seedpool_threadpool() -> None:
    std = _run("stdlib")
    if "missing" in std:
        pytest.skip(f"CPython's test package is not available: {std['missing']}")
    ours = _run("seedpool")
    assert ours["built"] >= 1, "the run built no seedpool.ThreadPool"
    passed = {name for name, status in std["outcomes"].items() if status == "pass"}
    assert len(passed) >= 20, std  # the suite really ran (25 tests on 3.11)
    regressions = {name: ours["outcomes"].get(name) for name in passed if ours["outcomes"].get(name) != "pass"}
    assert not regressions, regressions
