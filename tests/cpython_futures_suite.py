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

import argparse
import importlib
import json
import os
import pkgutil
import subprocess
import sys
import tempfile
import time
import traceback
import unittest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))
ENV_CACHE = "SEEDPOOL_CPYTHON_TESTS"
ENV_EXECUTOR = "SEEDPOOL_CPY_SUITE_EXECUTOR"
EXIT_NO_TESTS = 4
EXIT_RUN_BROKEN = 3
EXECUTORS = ("stdlib", "seedpool")

for _path in (REPO_ROOT, HERE):
    if _path not in sys.path:
        sys.path.insert(0, _path)  # spawn/forkserver children inherit sys.path


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
    from test.support import script_helper

    def wrap(original):  # type: ignore[no-untyped-def]
        def run(*args, **env_vars):  # type: ignore[no-untyped-def]
            if len(args) >= 2 and args[0] == "-c":
                script = args[1]
                paths = []
                if name != "test.test_concurrent_futures" and "test.test_concurrent_futures" in script:
                    script = script.replace("test.test_concurrent_futures", name)
                    paths.append(cache_dir())
                if kind == "seedpool" and _SCRIPT_IMPORT in script:
                    _rewritten[0] += 1
                    script = script.replace(_SCRIPT_IMPORT, "from seedpool import ProcessPoolExecutor")
                    paths.append(REPO_ROOT)
                if paths:
                    env_vars.setdefault("PYTHONPATH", os.pathsep.join(paths))
                args = ("-c", script) + args[2:]
            return original(*args, **env_vars)
        return run

    for helper in ("assert_python_ok", "assert_python_failure"):
        wrapped = wrap(getattr(script_helper, helper))
        setattr(script_helper, helper, wrapped)
        for module in modules:
            if getattr(module, helper, None) is not None:
                setattr(module, helper, wrapped)


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


from cpython_pool_suite import _Recorder  # noqa: E402  (same outcome bookkeeping as the pool suite)


def run_one(kind: str, start_method: str, only: list[str] | None, verbosity: int) -> dict[str, object]:
    os.environ[ENV_EXECUTOR] = kind
    install_executor(kind)
    name = _find_module_name()
    if name is None:
        raise SystemExit(EXIT_NO_TESTS)
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
    from test import support

    warnings_seen: list[tuple[str, str]] = []
    recorder: list[_Recorder] = []
    original_print_warning = support.print_warning

    def print_warning(msg: str) -> None:
        where = recorder[0].current_class if recorder else "[module]"
        warnings_seen.append((where, msg))
        original_print_warning(msg)

    print_warning.orig_stderr = getattr(original_print_warning, "orig_stderr", sys.__stderr__)  # type: ignore[attr-defined]
    support.print_warning = print_warning

    def make_result(*args, **kwargs):  # type: ignore[no-untyped-def]
        recorder.append(_Recorder(*args, **kwargs))
        return recorder[0]

    runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=verbosity, resultclass=make_result)
    started = time.monotonic()
    result = runner.run(suite)
    support.print_warning = original_print_warning
    # "Class.test_name", whatever the module path (one file up to 3.11, a package after)
    outcomes = {k if " " in k else ".".join(k.split(".")[-2:]): v
                for k, v in result.outcomes.items()}  # type: ignore[attr-defined]
    ran = sorted({k.split(".")[0] for k in outcomes if not k.startswith("[")})
    for where in ran:
        msgs = [m for w, m in warnings_seen if w == where]
        outcomes[f"{where}.[environment]"] = {"status": "altered" if msgs else "pass",
                                              "detail": "\n".join(msgs)[:3000], "seconds": 0}
    import concurrent.futures

    return {
        "executor": kind,
        "start_method": start_method,
        "python": sys.version.split()[0],
        "tests_from": name,
        "seconds": round(time.monotonic() - started, 1),
        "executor_class": f"{concurrent.futures.ProcessPoolExecutor.__module__}.ProcessPoolExecutor",
        "classes": [c.__name__ for c in classes],
        "scripts_rewritten": _rewritten[0],
        "outcomes": outcomes,
    }


def run_child(kind: str, start_method: str, only: list[str] | None, timeout: float, verbosity: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="cpy_futures_suite_") as tmp:
        out = os.path.join(tmp, "result.json")
        cmd = [sys.executable, os.path.abspath(__file__), "--executor", kind, "--start-method", start_method,
               "--json", out, "--verbosity", str(verbosity), "--no-compare"]
        for test in only or ():
            cmd += ["--only", test]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([REPO_ROOT] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        try:
            proc = subprocess.run(cmd, env=env, timeout=timeout, capture_output=True, text=True)
        except subprocess.TimeoutExpired as exc:
            err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
            return {"executor": kind, "broken": f"timed out after {timeout:.0f} s", "stderr": err[-4000:]}
        if proc.returncode == EXIT_NO_TESTS:
            sys.stderr.write(proc.stderr)
            sys.exit(EXIT_NO_TESTS)
        if not os.path.exists(out):
            return {"executor": kind, "broken": f"exited {proc.returncode} without results",
                    "stderr": proc.stderr[-4000:]}
        with open(out) as f:
            data = json.load(f)
        data["stderr_tail"] = proc.stderr[-2000:]
        return data


def compare(runs: dict, start_method: str, reruns: int, timeout: float) -> dict[str, object]:
    std, sp = runs["stdlib"]["outcomes"], runs["seedpool"]["outcomes"]
    tests = sorted(set(std) | set(sp))
    differing = [t for t in tests if std.get(t, {}).get("status") == "pass" and sp.get(t, {}).get("status") != "pass"]
    log: dict[str, list[tuple[str, str]]] = {t: [] for t in differing}
    for _ in range(reruns if differing else 0):
        again = {k: run_child(k, start_method, differing, timeout, 1) for k in EXECUTORS}
        for t in differing:
            for k in EXECUTORS:
                log[t].append((k, again[k].get("outcomes", {}).get(t, {}).get("status", "missing")))
    consistent = [t for t in differing
                  if not any(s == "pass" for k, s in log[t] if k == "seedpool")
                  and not any(s != "pass" for k, s in log[t] if k == "stdlib")]
    flaky = [t for t in differing if t not in consistent]
    return {"tests": tests, "differing": differing, "consistent": consistent, "flaky": flaky, "reruns": log,
            "seedpool_only_passes": [t for t in tests if sp.get(t, {}).get("status") == "pass"
                                     and std.get(t, {}).get("status") != "pass"]}


def print_report(runs: dict, cmp: dict | None) -> None:
    out = sys.stdout
    first = next(iter(runs.values()))
    out.write(f"\nCPython concurrent.futures process-pool tests ({first.get('tests_from', '?')}, "
              f"Python {first.get('python', '?')}), start method {first.get('start_method', '?')}\n")
    for k, r in runs.items():
        if "broken" in r:
            out.write(f"  {k}: RUN BROKEN: {r['broken']}\n{r.get('stderr', '')[-3000:]}\n")
            continue
        counts: dict[str, int] = {}
        altered = 0
        for key, o in r["outcomes"].items():
            if key.endswith(".[environment]"):
                altered += o["status"] != "pass"
            else:
                counts[o["status"]] = counts.get(o["status"], 0) + 1
        out.write(f"  {k:9s} {r['executor_class']}; {r['seconds']} s; tests: "
                  + ", ".join(f"{s} {counts.get(s, 0)}" for s in ("pass", "fail", "error", "skip"))
                  + f"; environment altered in {altered} class(es)"
                  + (f"; {r['scripts_rewritten']} subprocess script(s) rewritten" if k == "seedpool" else "") + "\n")
    for k, r in runs.items():
        for t, o in sorted(r.get("outcomes", {}).items()):
            if o["status"] in ("fail", "error", "altered"):
                detail = "\n".join("      " + x for x in str(o["detail"]).strip().splitlines()[-8:])
                out.write(f"\n  [{k}] {o['status'].upper()} {t}\n{detail}\n")
    if cmp is not None:
        out.write("\nPass with the stdlib executor, not with seedpool's:\n")
        if not cmp["differing"]:
            out.write("  none\n")
        for t in cmp["differing"]:
            kind = "CONSISTENT" if t in cmp["consistent"] else "flaky"
            out.write(f"  {t}: {kind} {cmp['reruns'][t]}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--start-method", default="fork", choices=["fork", "spawn", "forkserver"])
    parser.add_argument("--executor", choices=EXECUTORS, help="run one executor only (default: both, compared)")
    parser.add_argument("--json")
    parser.add_argument("--only", action="append", help="Class.test_name to run (repeatable)")
    parser.add_argument("--reruns", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=400, help="seconds per executor run")
    parser.add_argument("--verbosity", type=int, default=1)
    parser.add_argument("--no-compare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if _find_module_name() is None:
        sys.stderr.write(
            f"cpython_futures_suite: no CPython concurrent.futures tests for Python {sys.version.split()[0]}: "
            f"neither test.test_concurrent_futures nor {cache_dir()}/test_concurrent_futures* "
            "(run `make cpython-tests`, which unpacks Debian's libpython3.X-testsuite there)\n")
        return EXIT_NO_TESTS
    import multiprocessing

    if args.start_method not in multiprocessing.get_all_start_methods():
        sys.stderr.write(f"cpython_futures_suite: start method {args.start_method!r} is not available here\n")
        return EXIT_NO_TESTS
    if args.no_compare:
        try:
            data = run_one(args.executor, args.start_method, args.only, args.verbosity)
        except SystemExit:
            raise
        except Exception:
            traceback.print_exc()
            return EXIT_RUN_BROKEN
        if args.json:
            with open(args.json, "w") as f:
                json.dump(data, f, indent=1)
        return 0
    kinds = [args.executor] if args.executor else list(EXECUTORS)
    runs = {k: run_child(k, args.start_method, args.only, args.timeout, args.verbosity) for k in kinds}
    cmp = None
    if len(kinds) == 2 and not any("broken" in r for r in runs.values()):
        cmp = compare(runs, args.start_method, args.reruns, args.timeout)
    print_report(runs, cmp)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": runs, "comparison": cmp}, f, indent=1)
    if any("broken" in r for r in runs.values()):
        return EXIT_RUN_BROKEN
    return 1 if cmp and cmp["consistent"] else 0


if __name__ == "__main__" or (__name__ == "__mp_main__" and os.environ.get(ENV_EXECUTOR)):
    if __name__ == "__mp_main__":
        install_executor(os.environ[ENV_EXECUTOR])
        _find_module_name()
    else:
        sys.exit(main())
