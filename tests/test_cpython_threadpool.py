"""CPython's own thread-pool tests pass with ``seedpool.ThreadPool`` substituted.

Runs ``tests/cpython_threadpool_suite.py`` (see its docstring for what is run and how the
substitution is made) in a subprocess: the stdlib ``ThreadPool`` and seedpool's, each in
a fresh interpreter; every test that passes with the stdlib pool must pass with
seedpool's (no allow-list; a test that differs is run once more with both, as the pool
suite's are, so a timing flake on a loaded machine -- the suite sleeps 0.1 s "to let
threaded cleanup code run" -- is told apart from an incompatibility, which fails both
times), and the run must really have built seedpool pools.

``concurrent.futures.ThreadPoolExecutor``: this Python's ``test`` package ships no
``test_concurrent_futures`` (3.13's is tied to 3.13's stdlib and ``test.support``), so
the executor's drop-in behaviour is compared with the stdlib's in ``test_threads.py``.
"""

from __future__ import annotations

from pathlib import Path

import cpython_suite

SCRIPT = str(Path(__file__).resolve().parent / "cpython_threadpool_suite.py")


def test_cpython_threadpool_tests_pass_with_seedpool_threadpool(tmp_path: Path) -> None:
    data, report = cpython_suite.run_script(SCRIPT, str(tmp_path / "cpython_threadpool.json"),
                                            ["--reruns", "1", "--timeout", "300"], timeout=660)
    std, ours = data["runs"]["stdlib"], data["runs"]["seedpool"]
    assert ours["seedpool_pools_constructed"] >= 1, "the run built no seedpool.ThreadPool\n" + report
    passed = [name for name, o in std["outcomes"].items() if o["status"] == "pass"]
    assert len(passed) >= 20, report  # the suite really ran (25 tests on 3.11)
    regressions = {t: ours["outcomes"].get(t) for t in data["comparison"]["consistent"]}
    assert not regressions, f"{regressions}\n{report}"
