"""CPython's own concurrent.futures process-pool tests pass with
``seedpool.ProcessPoolExecutor`` substituted for the stdlib executor.

Runs ``tests/cpython_futures_suite.py`` (see its docstring for where CPython's tests come
from and how the substitution is made) in a subprocess: the stdlib executor and
seedpool's in the same invocation, one after the other, and asserts that every test
that passes with the stdlib executor passes with seedpool's too -- including CPython's
check that a test leaves no dangling processes or threads behind (the
``[environment]`` entries). No allow-list. Skipped where CPython's futures tests are not
available for this Python (``make cpython-tests`` fetches them for 3.11, whose pyenv
build lacks them).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path

import pytest

import cpython_suite

# CPython's futures suite is the judge on the interpreter `make test` runs (3.11, with
# Debian's copy of its tests); on the matrix's other Pythons (3.13 ships its own, slower
# and version-specific) the core suite runs without it, to keep CI within its time.
pytestmark = pytest.mark.skipif(sys.version_info[:2] != (3, 11),
                                reason="CPython's futures suite runs on Python 3.11 (make test) only")

SCRIPT = Path(__file__).resolve().parent / "cpython_futures_suite.py"

# As the pool suite: fork is the quickest (~1 min for both executors), spawn (the macOS
# default) checks that the substitution and the tests' functions reach spawned workers
# (~3-6 min for both on two loaded cores). forkserver (the 3.14 Linux default) behaves as
# spawn here and passes too; it is left out of the default run to keep CI within minutes:
# SEEDPOOL_CPY_FUTURES_METHODS=fork,spawn,forkserver runs it.
_WANTED = os.environ.get("SEEDPOOL_CPY_FUTURES_METHODS", "fork,spawn").split(",")
METHODS = [m for m in _WANTED if m in multiprocessing.get_all_start_methods()]


@pytest.mark.timeout(2400)
@pytest.mark.parametrize("start_method", METHODS)
def test_cpython_futures_tests_pass_with_seedpool(start_method: str, tmp_path: Path) -> None:
    data, report = cpython_suite.run_script(str(SCRIPT), str(tmp_path / f"cpython_futures_{start_method}.json"),
                                            ["--start-method", start_method, "--reruns", "1", "--timeout", "700"],
                                            timeout=2300)
    std, ours = data["runs"]["stdlib"], data["runs"]["seedpool"]
    # The run really exercised the executor tests, and really with seedpool's executor.
    passed = [t for t, o in std["outcomes"].items() if o["status"] == "pass" and not t.endswith(".[environment]")]
    assert len(passed) >= 40, report
    assert ours["executor_class"] == "seedpool.ProcessPoolExecutor", report
    assert std["executor_class"] == "concurrent.futures.process.ProcessPoolExecutor", report
    assert ours["scripts_rewritten"] >= 1, report  # the fresh-interpreter tests ran seedpool's too
    regressions = data["comparison"]["consistent"]
    details = "\n".join(f"--- {t}: {ours['outcomes'].get(t, {}).get('status')}\n"
                        f"{ours['outcomes'].get(t, {}).get('detail', '')}" for t in regressions)
    assert not regressions, (
        f"CPython futures tests that pass with the stdlib executor but not with seedpool's "
        f"({start_method}): {regressions}\n{details}\n\n{report}")
