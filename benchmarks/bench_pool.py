"""seedpool.Pool against the plain pools, processes=2, all pools alive in one run.

    python benchmarks/bench_pool.py [--tasks 100000] [--work-tasks 4000] [--rounds 13]

Pools (all fork, Linux's default on 3.11; the task functions live in ``_tasks.py`` so
every pool pickles them by reference, and numpy is imported in every worker):

    plain        multiprocessing.Pool(2)
    plain-b      a second multiprocessing.Pool(2): plain-b / plain is the noise floor of a ratio;
                 "plain" in the figures is the per-round mean of the two
    task         seedpool.Pool(2, seed=1)                       scope="task" (default)
    worker       seedpool.Pool(2, seed=1, scope="worker")       default context
    worker-ctx   seedpool.Pool(2, seed=1, scope="worker", context=multiprocessing.get_context("fork"))
    multiprocess multiprocess.Pool(2)                           dill for everything (reference)

Blocks, each timed in rounds (no-op: 2 x --rounds, draw: --rounds / 2 + 1, work:
--rounds); in round r the variants run in an order rotated by r, and
every ratio or difference is taken between runs of the *same* round (they share the
machine's noise), then the median (and min) over rounds is reported. Wall time is
``perf_counter`` around ``pool.map``; CPU time is the parent's ``process_time`` (all its
threads) plus the workers' CPU clocks (``clock_gettime`` on the process's CPU clock, ns resolution), so it is less sensitive to other
jobs on the machine than wall time is.

1. no-op tasks, ``map`` with default chunking, ``--tasks`` items:
   seeding overhead per task = (task - plain) / tasks, wall   target <= 1.5 us (issue 9)
   also against worker scope (the seeding alone, without the transport cost), and in
   CPU time (two workers: about twice the wall figure).
2. tasks drawing ``random.random()`` and ``np.random.random()`` (a real reseed of both
   per task -- the lazy scheme's worst case): overhead per task, CPU target <= 12 us (issue 9).
   The issue derives that target as "the reseeding floor (~9.5 us) + <= 2.5 us of
   protocol"; the floor is measured here in the same run -- ``reseed_draw`` in the plain
   pool seeds a plain ``Random`` and ``RandomState`` from 128 bits and draws -- and the
   protocol's share (task - floor) is reported against the 2.5 us.
3. ~100 us of non-random work per task (``--work-tasks`` items): task / plain, target
   <= 1.05x; and the same work plus one draw from each generator (reference).
4. transport, no-op tasks: worker / plain <= 1.25x, worker-ctx / plain <= 1.02x;
   multiprocess / plain, and lambdas through seedpool (dill for the callable only) and
   through multiprocess, for reference.

Exit status 1 only if something is wrong (results differ from the plain pool's, a lambda
is refused); a missed speed target is reported, not a failure.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from typing import Any, Callable

import multiprocess
import numpy as np
import psutil
from _cpuclock import cpu_clock

import _common  # noqa: F401  (puts the repo and this directory on sys.path)
import _tasks
import seedpool
from _common import Row, load_average, median, minimum, print_table

TARGET_TASK_OVERHEAD_US = 1.5  # issue 9 (issue 3 asked <= 3 us)
TARGET_DRAW_OVERHEAD_CPU_US = 12.0  # issue 9: the two MT19937 reseeds (~9.5 us) + <= 2.5 us of protocol
# issue 9's decomposition of that target: the protocol's share above the reseeding floor,
# which is measured here in the same run (reseed_draw in a plain pool) rather than assumed.
TARGET_DRAW_ABOVE_FLOOR_CPU_US = 2.5
TARGET_WORK_RATIO = 1.05
TARGET_WORKER_RATIO = 1.25
TARGET_WORKER_CTX_RATIO = 1.02


class Meter:
    """Wall and CPU time (parent, all threads, + workers) of one pool call."""

    def __init__(self, pool: Any) -> None:
        # pool._pool (the worker Process objects) is private, read here only to find
        # the workers' pids; no maxtasksperchild, so they live as long as the pool.
        pids = [p.pid for p in pool._pool]
        self.clocks = [cpu_clock(pid) for pid in pids]
        self.workers = [psutil.Process(pid) for pid in pids]

    def cpu(self) -> float:
        total = time.process_time()
        for clock, w in zip(self.clocks, self.workers):
            if clock is not None:
                total += time.clock_gettime(clock)
            else:
                t = w.cpu_times()
                total += t.user + t.system
        return total

    def run(self, fn: Callable[[], Any]) -> tuple[float, float, Any]:
        c0 = self.cpu()
        t0 = time.perf_counter()
        out = fn()
        wall = time.perf_counter() - t0
        return wall, self.cpu() - c0, out


def run_block(name: str, variants: dict[str, tuple[Any, Callable[[Any], Any]]], rounds: int,
              check: Callable[[str, Any], None]) -> dict[str, dict[str, list[float]]]:
    """Time every variant once per round, in rotated order; one warm-up round first."""
    meters = {pool_name: Meter(pool) for pool_name, (pool, _) in variants.items()}
    keys = list(variants)
    times: dict[str, dict[str, list[float]]] = {k: {"wall": [], "cpu": []} for k in keys}
    t_block = time.perf_counter()
    for r in range(-1, rounds):
        order = keys[r % len(keys):] + keys[:r % len(keys)] if r >= 0 else keys
        for k in order:
            pool, call = variants[k]
            wall, cpu, out = meters[k].run(lambda: call(pool))  # noqa: B023  (called at once, inside this iteration)
            if r < 0:
                check(k, out)
            else:
                times[k]["wall"].append(wall)
                times[k]["cpu"].append(cpu)
    print(f"  block {name!r}: {rounds} rounds (+1 warm-up) in {time.perf_counter() - t_block:.1f} s, "
          f"loadavg {load_average()}", flush=True)
    return times


def paired(a: list[float], b: list[float], f: Callable[[float, float], float]) -> list[float]:
    return [f(x, y) for x, y in zip(a, b)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=100_000)
    ap.add_argument("--work-tasks", type=int, default=4_000)
    ap.add_argument("--rounds", type=int, default=13)
    args = ap.parse_args(argv)
    N, NW, R = args.tasks, args.work_tasks, args.rounds

    print(f"bench_pool: python {sys.version.split()[0]}, numpy {np.__version__}, "
          f"multiprocess {multiprocess.__version__}, start method "
          f"{multiprocessing.get_start_method(allow_none=True) or multiprocessing.get_all_start_methods()[0]}, "
          f"cpus {psutil.cpu_count()}, loadavg {load_average()}\nseedpool from {seedpool.__file__}")
    k = _tasks.calibrate(100e-6)
    t0 = time.perf_counter()
    for _ in range(200):
        _tasks.work(k)
    print(f"work(k={k}) takes {(time.perf_counter() - t0) / 200 * 1e6:.0f} us in the parent; "
          f"{N:,} no-op tasks, {NW:,} work tasks, {R} rounds")

    problems: list[str] = []
    items = range(N)
    expected = list(items)
    work_items = [k] * NW
    lam = lambda x: x  # noqa: E731  -- a lambda: stdlib pickle refuses it

    def check(name: str, out: Any) -> None:
        if name.endswith("noop") or name.endswith("lambda"):
            if out != expected:
                problems.append(f"{name}: results differ from the plain pool's")

    pools = {
        "plain": multiprocessing.Pool(2),
        "plain-b": multiprocessing.Pool(2),  # a second plain pool: the noise floor of a ratio
        "task": seedpool.Pool(2, seed=1),
        "worker": seedpool.Pool(2, seed=1, scope="worker"),
        "worker-ctx": seedpool.Pool(2, seed=1, scope="worker", context=multiprocessing.get_context("fork")),
        "multiprocess": multiprocess.Pool(2),
    }
    try:
        # Correctness before speed: lambdas go through, task-scope draws are reproducible.
        if pools["worker"].map(lam, range(10)) != list(range(10)):
            problems.append("seedpool worker scope: lambda gave wrong results")
        a = pools["task"].map(_tasks.draw, range(50), chunksize=7)
        with seedpool.Pool(1, seed=1) as again:
            b = again.map(_tasks.draw, range(50), chunksize=50)
        if a != b:
            problems.append("task scope: draws depend on the schedule (processes/chunksize)")
        if len(set(a)) != len(a):
            problems.append("task scope: two tasks drew the same numbers")

        def mapper(func: Callable[[Any], Any], it: Any) -> Callable[[Any], Any]:
            return lambda pool: pool.map(func, it)

        print("\ntiming (every block interleaves its variants, rotating the order each round):")
        noop = run_block("no-op", {
            "plain/noop": (pools["plain"], mapper(_tasks.noop, items)),
            "plain-b/noop": (pools["plain-b"], mapper(_tasks.noop, items)),
            "task/noop": (pools["task"], mapper(_tasks.noop, items)),
            "worker/noop": (pools["worker"], mapper(_tasks.noop, items)),
            "worker-ctx/noop": (pools["worker-ctx"], mapper(_tasks.noop, items)),
            "multiprocess/noop": (pools["multiprocess"], mapper(_tasks.noop, items)),
            "worker/lambda": (pools["worker"], mapper(lam, items)),
            "multiprocess/lambda": (pools["multiprocess"], mapper(lam, items)),
        }, 2 * R, check)  # the cheapest block and the noisiest (15 ms maps): twice the rounds
        draw = run_block("draw", {
            "plain/draw": (pools["plain"], mapper(_tasks.draw, items)),
            "plain/reseed_draw": (pools["plain"], mapper(_tasks.reseed_draw, items)),
            "task/draw": (pools["task"], mapper(_tasks.draw, items)),
            "worker/draw": (pools["worker"], mapper(_tasks.draw, items)),
        }, max(3, R // 2 + 1), check)
        work = run_block("work", {
            "plain/work": (pools["plain"], mapper(_tasks.work, work_items)),
            "plain-b/work": (pools["plain-b"], mapper(_tasks.work, work_items)),
            "task/work": (pools["task"], mapper(_tasks.work, work_items)),
            "plain/work_draw": (pools["plain"], mapper(_tasks.work_draw, work_items)),
            "task/work_draw": (pools["task"], mapper(_tasks.work_draw, work_items)),
        }, R, check)
    finally:
        for pool in pools.values():
            pool.terminate()
        for pool in pools.values():
            pool.join()

    # The baseline of every ratio and difference: per round, the mean of the two plain
    # pools, so that a systematic quirk of one pool (it happens: see the control rows)
    # does not bias the comparison either way.
    for times, a, b, base in ((noop, "plain/noop", "plain-b/noop", "base/noop"),
                              (work, "plain/work", "plain-b/work", "base/work")):
        times[base] = {what: paired(times[a][what], times[b][what], lambda x, y: (x + y) / 2)
                       for what in ("wall", "cpu")}

    us = 1e6 / N

    def per_item(times: dict, key: str, what: str = "wall") -> list[float]:
        return [t * us for t in times[key][what]]

    def overhead(times: dict, a: str, b: str, what: str, n: int) -> list[float]:
        return paired(times[a][what], times[b][what], lambda x, y: (x - y) * 1e6 / n)

    def ratio(times: dict, a: str, b: str, what: str = "wall") -> list[float]:
        return paired(times[a][what], times[b][what], lambda x, y: x / y)

    def row(name: str, values: list[float], unit: str, **kw: Any) -> Row:
        return Row(name, median(values), minimum(values), unit, **kw)

    reseed_floor = overhead(draw, "plain/reseed_draw", "plain/draw", "cpu", N)
    rows = [
        row("plain multiprocessing.Pool (mean of 2), no-op, wall per item", per_item(noop, "base/noop"), "us"),
        row("seedpool task scope, no-op, wall per item", per_item(noop, "task/noop"), "us"),
        row("seedpool worker scope, no-op, wall per item", per_item(noop, "worker/noop"), "us"),
        row("task-scope overhead vs plain, wall per task", overhead(noop, "task/noop", "base/noop", "wall", N),
            "us", target=TARGET_TASK_OVERHEAD_US),
        row("task-scope overhead vs plain, CPU per task (both workers' and the parent's)",
            overhead(noop, "task/noop", "base/noop", "cpu", N), "us"),
        row("task-scope overhead vs worker scope, wall per task",
            overhead(noop, "task/noop", "worker/noop", "wall", N), "us"),
        row("task-scope overhead vs worker scope, CPU per task",
            overhead(noop, "task/noop", "worker/noop", "cpu", N), "us"),
        row("draw-every-task overhead vs plain, wall per task", overhead(draw, "task/draw", "plain/draw", "wall", N),
            "us"),
        row("draw-every-task overhead vs plain, CPU per task", overhead(draw, "task/draw", "plain/draw", "cpu", N),
            "us", target=TARGET_DRAW_OVERHEAD_CPU_US, floor=median(reseed_floor)),
        row("reseeding floor (plain pool, reseed both + draw) vs plain, CPU per task", reseed_floor, "us"),
        row("draw-every-task overhead above the reseeding floor, CPU per task",
            overhead(draw, "task/draw", "plain/reseed_draw", "cpu", N), "us", target=TARGET_DRAW_ABOVE_FLOOR_CPU_US),
        row("draw-every-task, worker scope vs plain, CPU per task",
            overhead(draw, "worker/draw", "plain/draw", "cpu", N), "us"),
        row("~100 us work: task / plain, wall", ratio(work, "task/work", "base/work"), "x",
            target=TARGET_WORK_RATIO),
        row("~100 us work: task / plain, CPU", ratio(work, "task/work", "base/work", "cpu"), "x"),
        row("control: 2nd plain pool / plain, ~100 us work, wall", ratio(work, "plain-b/work", "plain/work"), "x"),
        row("~100 us work + 1 draw each RNG: task / plain, wall", ratio(work, "task/work_draw", "plain/work_draw"),
            "x"),
        row("worker scope (default ctx) / plain, no-op, wall", ratio(noop, "worker/noop", "base/noop"), "x",
            target=TARGET_WORKER_RATIO),
        row("worker scope (fork ctx passed) / plain, no-op, wall", ratio(noop, "worker-ctx/noop", "base/noop"), "x",
            target=TARGET_WORKER_CTX_RATIO),
        row("worker scope (default ctx) / plain, no-op, CPU", ratio(noop, "worker/noop", "base/noop", "cpu"), "x"),
        row("worker scope (fork ctx passed) / plain, no-op, CPU",
            ratio(noop, "worker-ctx/noop", "base/noop", "cpu"), "x"),
        row("control: 2nd plain pool / plain, no-op, wall", ratio(noop, "plain-b/noop", "plain/noop"), "x"),
        row("control: 2nd plain pool / plain, no-op, CPU", ratio(noop, "plain-b/noop", "plain/noop", "cpu"), "x"),
        row("multiprocess.Pool / plain, no-op, wall", ratio(noop, "multiprocess/noop", "base/noop"), "x"),
        row("worker scope, lambda / plain, no-op, wall", ratio(noop, "worker/lambda", "base/noop"), "x"),
        row("multiprocess.Pool, lambda / plain, no-op, wall", ratio(noop, "multiprocess/lambda", "base/noop"), "x"),
        row("multiprocess.Pool, no-op, wall per item", per_item(noop, "multiprocess/noop"), "us"),
    ]
    print_table(rows, f"Pool figures, processes=2 (median and min over rounds; differences and ratios paired "
                      f"within a round; loadavg at end {load_average()})")
    missed = [r.name for r in rows if r.met is False]
    if missed:
        print(f"\n{len(missed)} target(s) not met (reported, not a failure): " + "; ".join(missed))
    if problems:
        print("\nFAIL: " + "; ".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
