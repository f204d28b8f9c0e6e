"""One version's side of bench_lifecycle.py, run in an interpreter whose ``seedpool`` is
that version's (PYTHONPATH): ``python _lifecycle_probe.py ENGINE TASKS ROUNDS`` prints
one JSON line ``{"plain": [...], "seeded": [...], "plain_wall": [...], "seeded_wall": [...]}``
-- CPU and wall seconds of each round. Only public APIs are used, so the same probe
measures the release before issue 21's restructure and this checkout.

CPU is this process's (all threads) plus every process below it and every Ray worker,
read from Linux's per-process CPU clocks (ns; psutil's /proc ticks are 10 ms).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
from contextlib import ExitStack
from typing import Any, Callable

import psutil

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _cpuclock import cpu_clock  # noqa: E402

import _tasks  # noqa: E402  (task functions by reference, numpy loaded in every worker)


class Meter:
    """CPU of this process, its descendants and Ray's workers; the pids are found once,
    after the warm-up round (the engines' workers live as long as the engine)."""

    def __init__(self) -> None:
        me = psutil.Process()
        procs = set(me.children(recursive=True))
        for p in psutil.process_iter(["name"]):
            if (p.info["name"] or "").startswith("ray::"):
                procs.add(p)
        self.clocks = [c for c in (cpu_clock(p.pid) for p in procs) if c is not None]

    def cpu(self) -> float:
        total = time.process_time()
        for c in self.clocks:
            try:
                total += time.clock_gettime(c)
            except OSError:  # a process that exited: its time is lost to both variants alike
                pass
        return total


def _engines(name: str, stack: ExitStack) -> tuple[Callable[[Any], Any], Any, Any, Callable[[Any, range], Any]]:
    """(task, plain engine, seeded engine, run(engine, items))."""
    import seedpool

    fork = multiprocessing.get_context("fork")
    if name in ("pool", "draw", "strict"):
        plain = stack.enter_context(fork.Pool(2))
        if name == "strict":
            plain = stack.enter_context(seedpool.Pool(2, seed=1, context=fork))
            with seedpool.strict("warn"):
                seeded = stack.enter_context(seedpool.Pool(2, seed=1, context=fork))
        else:
            seeded = stack.enter_context(seedpool.Pool(2, seed=1, context=fork))
        return _tasks.noop if name != "draw" else _tasks.draw, plain, seeded, lambda e, xs: e.map(e.task, xs)
    if name == "executor":
        import concurrent.futures as cf

        plain = stack.enter_context(cf.ProcessPoolExecutor(2, mp_context=fork))
        seeded = stack.enter_context(seedpool.ProcessPoolExecutor(2, seed=1, mp_context=fork))
        return _tasks.noop, plain, seeded, lambda e, xs: list(e.map(e.task, xs, chunksize=64))
    if name == "joblib":
        import joblib

        import seedpool.joblib

        plain = stack.enter_context(joblib.Parallel(n_jobs=2))
        seeded = stack.enter_context(seedpool.joblib.Parallel(n_jobs=2, seed=1))
        return _tasks.noop, plain, seeded, lambda e, xs: e(joblib.delayed(e.task)(x) for x in xs)
    if name == "ray":
        import ray
        import ray.util.multiprocessing as rmp

        import seedpool.ray

        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        stack.callback(ray.shutdown)
        plain = rmp.Pool(2)
        stack.callback(plain.terminate)
        seeded = seedpool.ray.Pool(2, seed=1)
        stack.callback(seeded.terminate)
        return _tasks.noop, plain, seeded, lambda e, xs: e.map(e.task, xs)
    raise SystemExit(f"unknown engine {name!r}")


class _Bound:
    """An engine with its task attached (``run`` reads ``e.task``)."""

    def __init__(self, engine: Any, task: Callable[[Any], Any]) -> None:
        self.engine, self.task = engine, task

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.engine, attr)

    def __call__(self, *args: Any) -> Any:
        return self.engine(*args)


def task_scope_cost(n: int, rounds: int) -> dict[str, list[float]]:
    """An in-process ``task_scope(node)`` that draws nothing, with numpy and random loaded
    (and torch when installed: its generator is seeded up front)."""
    import seedpool

    try:
        import torch  # noqa: F401
    except ImportError:
        pass
    root = seedpool.SeedTree(1)
    nodes = [root.child("tasks", 0, i) for i in range(n)]
    seeded, plain = [], []
    for _ in range(rounds + 1):
        t0 = time.process_time()
        for node in nodes:
            with seedpool.task_scope(node):
                pass
        t1 = time.process_time()
        for _node in nodes:  # the bare loop, subtracted
            pass
        t2 = time.process_time()
        seeded.append(t1 - t0)
        plain.append(t2 - t1)
    return {"plain": plain[1:], "seeded": seeded[1:], "plain_wall": plain[1:], "seeded_wall": seeded[1:]}


def main() -> None:
    import seedpool

    name, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if name == "task_scope":
        print(json.dumps(dict(task_scope_cost(n, rounds), seedpool=seedpool.__file__)))
        return
    out: dict[str, Any] = {"plain": [], "seeded": [], "plain_wall": [], "seeded_wall": []}
    with ExitStack() as stack:
        task, plain, seeded, run = _engines(name, stack)
        variants = {"plain": _Bound(plain, _tasks.reseed_draw if name == "draw" else task),
                    "seeded": _Bound(seeded, task)}
        items = range(n)
        for v in variants.values():  # warm-up: workers started, modules imported
            run(v, range(min(n, 2000)))
        meter = Meter()
        for r in range(rounds):
            for key in (("plain", "seeded") if r % 2 == 0 else ("seeded", "plain")):
                c0, t0 = meter.cpu(), time.perf_counter()
                result = run(variants[key], items)
                out[f"{key}_wall"].append(time.perf_counter() - t0)
                out[key].append(meter.cpu() - c0)
                if task is _tasks.noop and list(result) != list(items):
                    raise SystemExit(f"{name}/{key}: wrong results")
    print(json.dumps(dict(out, seedpool=seedpool.__file__)))


if __name__ == "__main__":
    main()
