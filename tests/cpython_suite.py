"""Shared machinery of the scripts that run one of CPython's own test modules against a
substituted seedpool class: ``cpython_pool_suite.py`` (``multiprocessing.Pool``),
``cpython_futures_suite.py`` (``concurrent.futures.ProcessPoolExecutor``) and
``cpython_threadpool_suite.py`` (``multiprocessing.pool.ThreadPool``).

Each script says which tests it selects and how it substitutes seedpool's class (a
:class:`Suite` and a ``run_one(kind, start_method, only, verbosity)`` function); this
module does the rest, the same way for all three:

* :func:`main` -- the command line. With no ``--<option>`` both kinds (``stdlib`` and
  ``seedpool``) are run, each in a fresh interpreter (:func:`run_child`, the script run
  again with ``--no-compare``), side by side (:func:`run_children`); their per-test outcomes are
  compared (:func:`compare`) and reported (:func:`print_report`). Tests that pass with
  the stdlib class but not with seedpool's are rerun (both kinds) to tell a consistent
  difference from a timing flake.
* :func:`run_tests` -- one run in this interpreter: a ``unittest`` runner whose result
  (:class:`Recorder`) keeps each test's status, detail and time, and CPython's
  "environment altered" warnings (``support.print_warning``: a test class that leaves
  processes or threads behind) recorded against the class that printed them
  (:func:`add_environment`).
* :func:`rewrite_scripts` -- ``assert_python_ok/failure('-c', script)`` scripts, run in a
  fresh interpreter, rewritten to use seedpool's class.

Exit codes (all three scripts): 0 no test that passes with the stdlib class fails with
seedpool's (or a single-kind run completed), 1 a consistent difference, 3 a run crashed
or timed out, 4 this Python has no copy of the tests (or lacks the start method), so
nothing ran.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
import unittest
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, NamedTuple

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KINDS = ("stdlib", "seedpool")
EXIT_CONSISTENT_DIFFERENCE = 1
EXIT_RUN_BROKEN = 3
EXIT_NO_TESTS = 4

Outcomes = dict[str, dict[str, Any]]
RunOne = Callable[..., dict[str, Any]]  # (kind, start_method, only, verbosity) -> results


class Suite(NamedTuple):
    """What differs between the scripts: names, and the one test-selecting function."""

    script: str  # the script's own path: run again for each kind
    name: str  # "cpython_pool_suite": the prefix of its messages
    option: str  # "pool" / "executor": the command-line option and the results' key
    noun: str  # "pool" / "executor", for the report
    class_key: str  # the results' entry naming the class that ran
    timeout: float  # default seconds per run
    table: bool  # print every test's status side by side (small suites)


# --------------------------------------------------------------------------- one run
class Recorder(unittest.TextTestResult):
    """A text result that also keeps ``outcomes``: "Class.test_name" -> status, detail, seconds."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.outcomes: Outcomes = {}
        self._started: dict[str, float] = {}
        self.current_class = "[module]"

    @staticmethod
    def _key(test: unittest.TestCase) -> str:
        return test.id().split(".", 1)[-1]  # "Class.test_name"

    def _put(self, test: unittest.TestCase, status: str, detail: str = "") -> None:
        key = self._key(test)
        elapsed = time.monotonic() - self._started.get(key, time.monotonic())
        if key in self.outcomes and self.outcomes[key]["status"] != "pass":
            return  # keep the first failure (e.g. an error raised again in cleanup)
        self.outcomes[key] = {"status": status, "detail": detail, "seconds": round(elapsed, 2)}

    def startTest(self, test):  # type: ignore[no-untyped-def]
        self._started[self._key(test)] = time.monotonic()
        self.current_class = type(test).__name__
        super().startTest(test)

    def addSuccess(self, test):  # type: ignore[no-untyped-def]
        super().addSuccess(test)
        self._put(test, "pass")

    def addFailure(self, test, err):  # type: ignore[no-untyped-def]
        super().addFailure(test, err)
        self._put(test, "fail", self._exc_info_to_string(err, test))

    def addError(self, test, err):  # type: ignore[no-untyped-def]
        super().addError(test, err)
        if isinstance(test, unittest.TestCase):
            self._put(test, "error", self._exc_info_to_string(err, test))
        else:  # a class or module fixture (_ErrorHolder)
            self.outcomes[str(test)] = {"status": "error", "detail": self._exc_info_to_string(err, test), "seconds": 0}

    def addSkip(self, test, reason):  # type: ignore[no-untyped-def]
        super().addSkip(test, reason)
        if isinstance(test, unittest.TestCase):
            self._put(test, "skip", reason)

    def addExpectedFailure(self, test, err):  # type: ignore[no-untyped-def]
        super().addExpectedFailure(test, err)
        self._put(test, "pass", "expected failure")

    def addUnexpectedSuccess(self, test):  # type: ignore[no-untyped-def]
        super().addUnexpectedSuccess(test)
        self._put(test, "fail", "unexpected success")


class TestRun(NamedTuple):
    outcomes: Outcomes
    warnings: list[tuple[str, str]]  # (where it was printed: a class, or "[module]"; message)
    seconds: float


def run_tests(suite: unittest.TestSuite, verbosity: int,
              on_result: Callable[[Recorder], None] | None = None) -> TestRun:
    """Run ``suite`` with a :class:`Recorder`, catching CPython's environment warnings.

    CPython's harness reports a test class or module that leaves processes or threads
    behind ("Dangling processes/threads", ``support.environment_altered``; regrtest
    ``--fail-env-changed``, as CPython's CI runs, fails such a test file). Each warning is
    recorded against the result's ``current_class`` when it was printed (the class whose
    ``tearDownClass`` printed it); ``on_result`` is given the result when the run starts,
    so a suite's module teardown can set ``current_class = "[module]"`` first.
    """
    from test import support

    warnings_seen: list[tuple[str, str]] = []
    recorder: list[Recorder] = []
    original_print_warning = support.print_warning

    def print_warning(msg: str) -> None:
        where = recorder[0].current_class if recorder else "[module]"
        warnings_seen.append((where, msg))
        original_print_warning(msg)

    # The original finds its stream as an attribute of the module global print_warning.
    print_warning.orig_stderr = getattr(original_print_warning, "orig_stderr", sys.__stderr__)  # type: ignore[attr-defined]
    support.print_warning = print_warning

    def make_result(*args, **kwargs):  # type: ignore[no-untyped-def]
        recorder.append(Recorder(*args, **kwargs))
        if on_result is not None:
            on_result(recorder[0])
        return recorder[0]

    runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=verbosity, resultclass=make_result)
    started = time.monotonic()
    try:
        result = runner.run(suite)
    finally:
        support.print_warning = original_print_warning
    return TestRun(result.outcomes, warnings_seen, time.monotonic() - started)  # type: ignore[attr-defined]


def add_environment(outcomes: Outcomes, warnings_seen: list[tuple[str, str]], where: list[str]) -> None:
    """One ``"<where>.[environment]"`` outcome per class (or ``[module]``) in ``where``:
    ``altered`` if CPython printed an environment warning during it."""
    for place in where:
        msgs = [m for w, m in warnings_seen if w == place]
        outcomes[f"{place}.[environment]"] = {"status": "altered" if msgs else "pass",
                                             "detail": "\n".join(msgs)[:3000], "seconds": 0}


def results(suite: Suite, kind: str, start_method: str, run: TestRun, class_name: str,
            **extra: Any) -> dict[str, Any]:
    """One run's results, as :func:`run_child` reads them back: the keys every suite
    reports, then the suite's own counts (``extra``)."""
    return {suite.option: kind, "start_method": start_method, "python": sys.version.split()[0],
            "seconds": round(run.seconds, 1), suite.class_key: class_name, **extra, "outcomes": run.outcomes}


def rewrite_scripts(rewrite: Callable[[str], tuple[str, list[str]]], helpers: tuple[str, ...],
                    modules: tuple[Any, ...] = ()) -> None:
    """Pass every ``script_helper.<helper>('-c', script, ...)`` script through ``rewrite``.

    ``rewrite(script)`` returns the script to run and the folders its interpreter needs
    on ``PYTHONPATH`` (set unless the test sets one itself). Test modules that imported
    a helper by name (``modules``) get the wrapped helper too.
    """
    from test.support import script_helper

    def wrap(original):  # type: ignore[no-untyped-def]
        def run(*args, **env_vars):  # type: ignore[no-untyped-def]
            if len(args) >= 2 and args[0] == "-c":
                script, paths = rewrite(args[1])
                if paths:
                    env_vars.setdefault("PYTHONPATH", os.pathsep.join(paths))
                args = ("-c", script) + args[2:]
            return original(*args, **env_vars)
        return run

    for helper in helpers:
        wrapped = wrap(getattr(script_helper, helper))
        setattr(script_helper, helper, wrapped)
        for module in modules:
            if getattr(module, helper, None) is not None:
                setattr(module, helper, wrapped)


# ----------------------------------------------------------------------- orchestration
def run_child(suite: Suite, kind: str, start_method: str, only: list[str] | None, timeout: float,
              verbosity: int) -> dict[str, Any]:
    """One kind's run in a fresh interpreter (no state shared with the other kind's run)."""
    with tempfile.TemporaryDirectory(prefix=f"{suite.name}_") as tmp:
        out = os.path.join(tmp, "result.json")
        cmd = [sys.executable, suite.script, f"--{suite.option}", kind, "--start-method", start_method,
               "--json", out, "--verbosity", str(verbosity), "--no-compare"]
        for test in only or ():
            cmd += ["--only", test]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([REPO_ROOT] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        try:
            proc = subprocess.run(cmd, env=env, timeout=timeout, capture_output=True, text=True)
        except subprocess.TimeoutExpired as exc:
            err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
            return {suite.option: kind, "broken": f"timed out after {timeout:.0f} s", "stderr": err[-4000:]}
        if proc.returncode == EXIT_NO_TESTS:
            sys.stderr.write(proc.stderr)
            sys.exit(EXIT_NO_TESTS)
        if not os.path.exists(out):
            return {suite.option: kind, "broken": f"exited {proc.returncode} without results",
                    "stderr": proc.stderr[-4000:]}
        with open(out) as f:
            data: dict[str, Any] = json.load(f)
        data["stderr_tail"] = proc.stderr[-2000:]
        return data


def run_children(suite: Suite, kinds: Sequence[str], start_method: str, only: list[str] | None,
                 timeout: float, verbosity: int) -> dict[str, dict[str, Any]]:
    """:func:`run_child` for each kind, all at once: CPython's pool and executor tests
    spend about half their time waiting (timeouts, sleeps, process start-up), so the two
    kinds side by side take little longer than one. Both run under the same load, which
    keeps the per-test comparison fair; a difference is rerun before it counts."""
    if len(kinds) == 1:
        return {kinds[0]: run_child(suite, kinds[0], start_method, only, timeout, verbosity)}
    with ThreadPoolExecutor(len(kinds)) as pool:
        futures = {k: pool.submit(run_child, suite, k, start_method, only, timeout, verbosity) for k in kinds}
        return {k: f.result() for k, f in futures.items()}


def compare(suite: Suite, runs: dict[str, dict[str, Any]], start_method: str, reruns: int,
            timeout: float) -> dict[str, Any]:
    """The tests that pass with the stdlib class but not with seedpool's, rerun (both
    kinds) so a timing flake on a loaded box is told apart from a real incompatibility:
    "consistent" means seedpool's failed every time while the stdlib's passed every time."""
    std, sp = runs["stdlib"]["outcomes"], runs["seedpool"]["outcomes"]
    tests = sorted(set(std) | set(sp))
    differing = [t for t in tests if std.get(t, {}).get("status") == "pass" and sp.get(t, {}).get("status") != "pass"]
    rerun_log: dict[str, list[tuple[str, str]]] = {t: [] for t in differing}
    for _ in range(reruns if differing else 0):
        again = run_children(suite, KINDS, start_method, differing, timeout, 1)
        for t in differing:
            for kind in KINDS:
                rerun_log[t].append((kind, again[kind].get("outcomes", {}).get(t, {}).get("status", "missing")))
    consistent = [t for t in differing
                  if not any(s == "pass" for kind, s in rerun_log[t] if kind == "seedpool")
                  and not any(s != "pass" for kind, s in rerun_log[t] if kind == "stdlib")]
    flaky = [t for t in differing if t not in consistent]
    seedpool_only = [t for t in tests if sp.get(t, {}).get("status") == "pass"
                     and std.get(t, {}).get("status") != "pass"]
    return {"tests": tests, "differing": differing, "consistent": consistent, "flaky": flaky,
            "reruns": rerun_log, "seedpool_only_passes": seedpool_only}


def _short(detail: str, lines: int = 6) -> str:
    rows = [r for r in detail.strip().splitlines() if r.strip()]
    return "\n".join("      " + r for r in rows[-lines:])


def print_report(suite: Suite, runs: dict[str, dict[str, Any]], cmp: dict[str, Any] | None, header: str,
                 describe: Callable[[str, dict[str, Any]], str]) -> None:
    """The human-readable report: ``header``, one line per kind (``describe`` adds what
    that suite counts), the failures, and the difference list."""
    out = sys.stdout
    kinds = [k for k in KINDS if k in runs]
    out.write(f"\n{header}\n")
    for k in kinds:
        r = runs[k]
        if "broken" in r:
            out.write(f"  {k}: RUN BROKEN: {r['broken']}\n{_short(str(r.get('stderr', '')), 20)}\n")
            continue
        counts: dict[str, int] = {}
        altered = 0
        for key, o in r["outcomes"].items():
            if key.endswith(".[environment]"):
                altered += o["status"] != "pass"
            else:
                counts[o["status"]] = counts.get(o["status"], 0) + 1
        out.write(f"  {k:9s} {suite.noun} class {r[suite.class_key]}; {r['seconds']} s; tests: "
                  + ", ".join(f"{s} {counts.get(s, 0)}" for s in ("pass", "fail", "error", "skip"))
                  + f"; environment altered in {altered} teardown(s)" + describe(k, r) + "\n")
    if any("broken" in runs[k] for k in kinds):
        return
    tests = sorted(set().union(*(runs[k]["outcomes"] for k in kinds)))
    if suite.table:
        width = max(len(t) for t in tests) if tests else 10
        out.write("\n  " + "test".ljust(width) + "  " + "  ".join(k.ljust(8) for k in kinds) + "\n")
        for t in tests:
            cells = [runs[k]["outcomes"].get(t, {}).get("status", "-") for k in kinds]
            mark = "  <-- differs" if len(set(cells)) > 1 else ""
            out.write("  " + t.ljust(width) + "  " + "  ".join(c.ljust(8) for c in cells) + mark + "\n")
    for k in kinds:
        for t in tests:
            o = runs[k]["outcomes"].get(t)
            if o and o["status"] in ("fail", "error", "altered"):
                out.write(f"\n  [{k}] {o['status'].upper()} {t}\n{_short(str(o['detail']))}\n")
            elif o and o["status"] == "skip" and suite.table:
                out.write(f"  [{k}] skipped {t}: {o['detail']}\n")
    if cmp is not None:
        out.write(f"\nDifference list (pass with the stdlib {suite.noun}, not with seedpool's):\n")
        if not cmp["differing"]:
            out.write("  none\n")
        for t in cmp["differing"]:
            kind = "CONSISTENT" if t in cmp["consistent"] else "flaky (passed on a rerun, or stdlib failed on one)"
            reruns = ", ".join(f"{k}={s}" for k, s in cmp["reruns"][t])
            out.write(f"  {t}: {kind}" + (f" [reruns: {reruns}]" if reruns else "") + "\n")
        if cmp["seedpool_only_passes"]:
            out.write(f"Pass with seedpool's {suite.noun} only: " + ", ".join(cmp["seedpool_only_passes"]) + "\n")


def main(suite: Suite, argv: list[str] | None, *, description: str, missing: Callable[[], str | None],
         run_one: RunOne, header: Callable[[dict[str, Any]], str],
         describe: Callable[[str, dict[str, Any]], str] = lambda kind, run: "") -> int:
    """The command line every suite script shares (see the module docstring).

    ``missing()`` says why this Python has no copy of the tests (None: it has them);
    ``run_one`` is the suite's single run in this interpreter; ``header(run)`` and
    ``describe(kind, run)`` are its lines of the report.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--start-method", default="fork", choices=["fork", "spawn", "forkserver"])
    parser.add_argument(f"--{suite.option}", choices=KINDS, dest="kind",
                        help=f"run one {suite.noun} only (default: both, compared)")
    parser.add_argument("--json", help="write the results (and the comparison) as JSON here")
    parser.add_argument("--only", action="append", help="Class.test_name to run (repeatable)")
    parser.add_argument("--reruns", type=int, default=2, help="reruns of differing tests (default 2)")
    parser.add_argument("--timeout", type=float, default=suite.timeout,
                        help=f"seconds per {suite.noun} run (default {suite.timeout:.0f})")
    parser.add_argument("--verbosity", type=int, default=1)
    parser.add_argument("--no-compare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    why = missing()
    if why is not None:
        sys.stderr.write(f"{suite.name}: {why}\n")
        return EXIT_NO_TESTS
    import multiprocessing

    if args.start_method not in multiprocessing.get_all_start_methods():
        sys.stderr.write(f"{suite.name}: start method {args.start_method!r} is not available here\n")
        return EXIT_NO_TESTS

    if args.no_compare:  # internal: one kind, in this interpreter
        try:
            data = run_one(args.kind, args.start_method, args.only, args.verbosity)
        except Exception:
            traceback.print_exc()
            return EXIT_RUN_BROKEN
        if args.json:
            with open(args.json, "w") as f:
                json.dump(data, f, indent=1)
        return 0

    kinds = [args.kind] if args.kind else list(KINDS)
    runs = run_children(suite, kinds, args.start_method, args.only, args.timeout, args.verbosity)
    cmp = None
    if len(kinds) == 2 and not any("broken" in r for r in runs.values()):
        cmp = compare(suite, runs, args.start_method, args.reruns, args.timeout)
    print_report(suite, runs, cmp, header(next(iter(runs.values()))), describe)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": runs, "comparison": cmp}, f, indent=1)
    if any("broken" in r for r in runs.values()):
        return EXIT_RUN_BROKEN
    return EXIT_CONSISTENT_DIFFERENCE if cmp and cmp["consistent"] else 0


# ------------------------------------------------------------------------- from pytest
def run_script(script: str, out: str, args: list[str], timeout: float) -> tuple[dict[str, Any], str]:
    """Run a suite script (both kinds, compared) as the ``test_cpython_*`` tests do.

    Returns the results written to ``out`` (``{"runs": ..., "comparison": ...}``) and the
    printed report; skips the calling test when this Python has no copy of the tests, and
    fails it when a run broke or wrote no results.
    """
    import pytest

    cmd = [sys.executable, script, "--json", out, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT)
    if proc.returncode == EXIT_NO_TESTS:
        pytest.skip(f"CPython's tests are not available: {proc.stderr.strip()}")
    assert os.path.exists(out), f"suite produced no results (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    with open(out) as f:
        data: dict[str, Any] = json.load(f)
    for kind, run in data["runs"].items():
        assert "broken" not in run, f"{kind} run broke: {run['broken']}\n{run.get('stderr', '')}\n{proc.stdout}"
    return data, proc.stdout
