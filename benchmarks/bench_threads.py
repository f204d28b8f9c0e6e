"""seedpool's thread pools against the stdlib's, and the cost of the hooks outside tasks.

    python benchmarks/bench_threads.py [--tasks 20000] [--draws 200000] [--rounds 9]

Figures (issue 11), each a paired difference taken within one round and then the
median (and min) over rounds; CPU time (``process_time``: every thread of this process)
so other jobs on the machine distort it less than wall time:

1. no-op task overhead per task, ``seedpool.ThreadPoolExecutor(4).map`` against
   ``concurrent.futures.ThreadPoolExecutor(4).map`` and ``seedpool.ThreadPool(4).map``
   against ``multiprocessing.pool.ThreadPool(4).map``; target <= 2 us per task.
   A second stdlib pool of each kind gives the noise floor of that difference.
2. a draw *outside* any task in a process with the hooks installed (a seeded thread
   pool exists), against the same draw without seedpool -- measured in two fresh
   interpreters, one that never imports seedpool, so the baseline is the untouched
   stdlib / numpy; target <= 0.3 us slower. Also while a seeded pool is busy on other
   threads (the hooks then look up the calling thread's scope), for reference.
3. tasks drawing once from ``random`` and ``np.random`` (a lazy reseed of both, per
   task, on the task's thread), for reference.

Exit status 1 only if results differ between the thread pools and the process pool.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing.pool
import os
import subprocess
import sys
import time
from typing import Any, Callable

import _common  # noqa: F401  (puts the repo and this directory on sys.path)
import _tasks
import seedpool
from _common import Row, load_average, median, minimum, print_table

TARGET_TASK_OVERHEAD_US = 2.0
TARGET_OUTSIDE_DRAW_US = 0.3
THREADS = 4

# One draw per statement; each is timed in-process with timeit, CPU clock.
DRAWS = {
    "random.random()": "random.random()",
    "random.randint(1, 6)": "random.randint(1, 6)",
    "random.gauss(0, 1)": "random.gauss(0, 1)",
    "np.random.random()": "np.random.random()",
    "np.random.normal()": "np.random.normal()",
}

_DRAW_SCRIPT = r"""
import json, random, sys, time, timeit, threading
import numpy as np
mode, n, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
stmts = json.loads(sys.argv[4])
stop = None
if mode != "plain":
    sys.path.insert(0, sys.argv[5])
    import seedpool
    pool = seedpool.ThreadPool(2, seed=1)  # installs the hooks
    if mode == "busy":
        # Other threads run seeded tasks meanwhile (they sleep mostly, so the measured
        # thread keeps its CPU): the hooks now look up this thread's scope.
        def task(_):
            random.random(); np.random.random(); time.sleep(0.002)
        stop = threading.Event()
        def feed():
            while not stop.is_set():
                pool.map(task, range(8))
        feeder = threading.Thread(target=feed); feeder.start()
        time.sleep(0.05)
out = {}
for name, stmt in stmts.items():
    t = timeit.Timer(stmt, globals=globals(), timer=time.process_time)
    out[name] = [t.timeit(n) / n * 1e6 for _ in range(repeat)]
if stop is not None:
    stop.set(); feeder.join()
if mode != "plain":
    pool.close(); pool.join()
print(json.dumps(out))
"""


def _draw_costs(mode: str, n: int, repeat: int) -> dict[str, list[float]]:
    proc = subprocess.run([sys.executable, "-c", _DRAW_SCRIPT, mode, str(n), str(repeat), json.dumps(DRAWS),
                           _common.ROOT], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"draw-cost subprocess ({mode}) failed:\n{proc.stderr}")
    return json.loads(proc.stdout)


def _cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.process_time()
    out = fn()
    return time.process_time() - t0, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=20_000)
    ap.add_argument("--draw-tasks", type=int, default=4_000)
    ap.add_argument("--draws", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=9)
    args = ap.parse_args(argv)
    print(f"seedpool {seedpool.__file__}; Python {sys.version.split()[0]}; {os.cpu_count()} CPUs; "
          f"loadavg {load_average()}", flush=True)

    status = 0
    rows: list[Row] = []
    items = list(range(args.tasks))
    draw_items = list(range(args.draw_tasks))

    # -- 1 and 3: task overhead, pools alive for the whole run, rotated order per round
    ex_std = concurrent.futures.ThreadPoolExecutor(THREADS)
    ex_std_b = concurrent.futures.ThreadPoolExecutor(THREADS)
    ex_ours = seedpool.ThreadPoolExecutor(THREADS, seed=1)
    tp_std = multiprocessing.pool.ThreadPool(THREADS)
    tp_std_b = multiprocessing.pool.ThreadPool(THREADS)
    tp_ours = seedpool.ThreadPool(THREADS, seed=1)
    variants: dict[str, Callable[[list], Any]] = {
        "executor-std": lambda xs: list(ex_std.map(_tasks.noop, xs)),
        "executor-std-b": lambda xs: list(ex_std_b.map(_tasks.noop, xs)),
        "executor-seedpool": lambda xs: list(ex_ours.map(_tasks.noop, xs)),
        "threadpool-std": lambda xs: tp_std.map(_tasks.noop, xs),
        "threadpool-std-b": lambda xs: tp_std_b.map(_tasks.noop, xs),
        "threadpool-seedpool": lambda xs: tp_ours.map(_tasks.noop, xs),
        "draw-executor-std": lambda xs: list(ex_std.map(_tasks.draw, xs)),
        "draw-executor-seedpool": lambda xs: list(ex_ours.map(_tasks.draw, xs)),
    }
    times: dict[str, list[float]] = {k: [] for k in variants}
    t_block = time.perf_counter()
    keys = list(variants)
    for r in range(-1, args.rounds):
        order = keys[r % len(keys):] + keys[:r % len(keys)] if r >= 0 else keys
        for k in order:
            xs = draw_items if k.startswith("draw") else items
            cpu, out = _cpu(lambda: variants[k](xs))  # noqa: B023  (called at once)
            if r < 0 and not k.startswith("draw") and out != xs:
                print(f"  {k}: wrong results")
                status = 1
            elif r >= 0:
                times[k].append(cpu)
    print(f"  task block: {args.rounds} rounds (+1 warm-up) in {time.perf_counter() - t_block:.1f} s, "
          f"loadavg {load_average()}", flush=True)
    for pool in (ex_std, ex_std_b, ex_ours):
        pool.shutdown()
    for p in (tp_std, tp_std_b, tp_ours):
        p.close()
        p.join()

    def per_task(a: str, b: str, n: int) -> list[float]:
        return [(x - y) / n * 1e6 for x, y in zip(times[a], times[b])]

    for kind in ("executor", "threadpool"):
        d = per_task(f"{kind}-seedpool", f"{kind}-std", args.tasks)
        rows.append(Row(f"no-op task overhead, {kind} (seedpool - stdlib, CPU)", median(d), minimum(d), "us/task",
                        TARGET_TASK_OVERHEAD_US))
        floor = per_task(f"{kind}-std-b", f"{kind}-std", args.tasks)
        rows.append(Row(f"  noise floor, {kind} (stdlib b - stdlib, CPU)", median(floor), minimum(floor), "us/task"))
        base = [x / args.tasks * 1e6 for x in times[f"{kind}-std"]]
        rows.append(Row(f"  stdlib {kind} no-op task, CPU", median(base), minimum(base), "us/task"))
    d = per_task("draw-executor-seedpool", "draw-executor-std", args.draw_tasks)
    rows.append(Row("task drawing random + np.random once each, overhead (CPU)", median(d), minimum(d), "us/task"))

    # Results equal to the process pool's (the same keys), as a sanity check.
    with seedpool.ThreadPoolExecutor(THREADS, seed=3) as ex:
        ours = list(ex.map(_tasks.draw, range(200)))
    with seedpool.Pool(2, seed=3) as pool:
        theirs = pool.map(_tasks.draw, range(200))
    if ours != theirs:
        print("  thread pool results differ from seedpool.Pool's")
        status = 1

    # -- 2: a draw outside any task
    repeat = max(3, args.rounds)
    plain = _draw_costs("plain", args.draws, repeat)
    hooked = _draw_costs("hooked", args.draws, repeat)
    busy = _draw_costs("busy", args.draws // 4, repeat)
    for name in DRAWS:
        d = sorted(h - p for h, p in zip(sorted(hooked[name]), sorted(plain[name])))
        rows.append(Row(f"outside-task draw {name}: hooked - plain", median(d), minimum(d), "us",
                        TARGET_OUTSIDE_DRAW_US))
        rows.append(Row(f"  plain {name}", median(plain[name]), minimum(plain[name]), "us"))
        d = sorted(h - p for h, p in zip(sorted(busy[name]), sorted(plain[name])))
        rows.append(Row("  while a seeded pool is busy: hooked - plain", median(d), minimum(d), "us"))

    print_table(rows, f"Thread pools, {THREADS} threads (loadavg {load_average()})")
    return status


if __name__ == "__main__":
    sys.exit(main())
