"""seedpool.ray.Pool against ray.util.multiprocessing.Pool, both alive in one run.

    python benchmarks/bench_ray.py [--tasks 10000] [--work-tasks 100] [--rounds 7]

One ``ray.init(num_cpus=2, include_dashboard=False)``; two pools of 2 actors each:

    ray        ray.util.multiprocessing.Pool(2)
    seedpool   seedpool.ray.Pool(2, seed=1)

Timed in the same rounds, in an order rotated by round; each ratio is taken within a
round, then the median and min over rounds are reported.

1. ``map`` of no-op tasks (``--tasks``, Ray's default chunking): Ray's own cost per
   task, seedpool's overhead per task, and that overhead as a share of Ray's per-task
   cost (target < 5 %, issue 13).
2. ``map`` of ~10 ms tasks drawing once from ``random`` and numpy (``--work-tasks``,
   chunksize 1): seedpool / ray, target <= 1.05x (issue 13).

A missed target is reported, not a failure; exit status 1 if seedpool's results are wrong.
"""

from __future__ import annotations

import argparse
import sys
import time

import _engine_tasks as T

import _common  # noqa: F401  (puts the repo and this directory on sys.path)
from _common import Row, load_average, median, minimum, print_table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10000)
    parser.add_argument("--work-tasks", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    import ray
    from ray.util.multiprocessing import Pool as RayPool

    import seedpool
    import seedpool.ray

    print(f"bench_ray: seedpool from {seedpool.__file__}; load average before: {load_average()}")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        pools = {"ray": RayPool(2), "seedpool": seedpool.ray.Pool(2, seed=1)}
        for pool in pools.values():  # warm up: actors import the task module and numpy
            pool.map(T.noop, range(100))
            pool.map(T.busy_draw, [1] * 4, chunksize=1)

        def timed(f, xs, rounds, chunksize):
            times = {name: [] for name in pools}
            for r in range(rounds):
                names = list(pools)[r % 2:] + list(pools)[: r % 2]
                for name in names:
                    t0 = time.perf_counter()
                    out = pools[name].map(f, xs, chunksize)
                    times[name].append(time.perf_counter() - t0)
                    if f is T.noop and out != list(xs):
                        raise SystemExit(f"{name} returned wrong results")
            return times

        noop = timed(T.noop, range(args.tasks), args.rounds, None)
        work = timed(T.busy_draw, [10] * args.work_tasks, args.rounds, 1)
        a = seedpool.ray.Pool(1, seed=5).map(T.busy_draw, [1] * 20)
        b = seedpool.ray.Pool(2, seed=5).map(T.busy_draw, [1] * 20)
        ok = a == b
        for pool in pools.values():
            pool.terminate()
    finally:
        ray.shutdown()

    n = args.tasks
    per_task = [t / n * 1e6 for t in noop["ray"]]
    overhead = [(s - p) / n * 1e6 for s, p in zip(noop["seedpool"], noop["ray"])]
    share = [100 * o / p for o, p in zip(overhead, per_task)]
    ratio = [s / p for s, p in zip(work["seedpool"], work["ray"])]
    rows = [
        Row("no-op: Ray pool's cost per task", median(per_task), minimum(per_task), "us"),
        Row("no-op: seedpool overhead per task", median(overhead), minimum(overhead), "us"),
        Row("no-op: that overhead / Ray's per-task cost", median(share), minimum(share), "%", target=5.0),
        Row("~10 ms tasks: seedpool / ray", median(ratio), minimum(ratio), "x", target=1.05),
    ]
    print_table(rows, f"Ray pool, 2 actors, {args.rounds} rounds; {n} no-op tasks (default chunking), "
                      f"{args.work_tasks} tasks of ~10 ms (chunksize 1)")
    print(f"\n1 and 2 actors, same seed, same results: {ok}; load average after: {load_average()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
