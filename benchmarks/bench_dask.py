"""seedpool.dask.Executor against plain Dask on one LocalCluster, all in one run.

    python benchmarks/bench_dask.py [--tasks 1000] [--work-tasks 100] [--rounds 7]

Cluster: ``LocalCluster(n_workers=2, threads_per_worker=1, processes=True)``. Variants,
timed in the same rounds in an order rotated by round (each ratio is taken within a
round, then the median and min over rounds are reported):

    client.map     client.map(f, xs, pure=False) + client.gather        (plain Dask)
    ClientExecutor list(client.get_executor(pure=False).map(f, xs))     (Dask's executor)
    seedpool       list(seedpool.dask.Executor(client, seed=1).map(f, xs))

1. no-op tasks (``--tasks``): Dask's own cost per task (client.map), seedpool's
   overhead per task, and that overhead as a share of Dask's per-task cost
   (target < 5 %, issue 13).
2. ~10 ms tasks that draw once from ``random`` and numpy (``--work-tasks``):
   seedpool / client.map, target <= 1.05x (issue 13).

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
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--work-tasks", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    import seedpool
    import seedpool.dask

    print(f"bench_dask: seedpool from {seedpool.__file__}; load average before: {load_average()}")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        plain_ex = client.get_executor(pure=False)
        seeded = seedpool.dask.Executor(client, seed=1)

        def run_client(f, xs):
            return client.gather(client.map(f, xs, pure=False))

        variants = {
            "client.map": run_client,
            "ClientExecutor": lambda f, xs: list(plain_ex.map(f, xs)),
            "seedpool": lambda f, xs: list(seeded.map(f, xs)),
        }
        # warm up: workers import the task module, numpy and seedpool's hooks
        for run in variants.values():
            run(T.noop, range(50))
            run(T.busy_draw, [1] * 4)

        def timed(f, xs, rounds):
            times = {name: [] for name in variants}
            for r in range(rounds):
                names = list(variants)
                names = names[r % len(names):] + names[: r % len(names)]
                for name in names:
                    t0 = time.perf_counter()
                    out = variants[name](f, xs)
                    times[name].append(time.perf_counter() - t0)
                    if name == "seedpool" and f is T.noop and out != list(xs):
                        raise SystemExit("seedpool.dask returned wrong results")
            return times

        noop = timed(T.noop, range(args.tasks), args.rounds)
        work = timed(T.busy_draw, [10] * args.work_tasks, args.rounds)
        # reproducibility check on the side: a fresh executor with the same seed
        a = list(seedpool.dask.Executor(client, seed=5, pure=False).map(T.busy_draw, [1] * 20))
        b = list(seedpool.dask.Executor(client, seed=5, pure=False).map(T.busy_draw, [1] * 20))
        ok = a == b

    n = args.tasks
    per_task = [t / n * 1e6 for t in noop["client.map"]]
    overhead = [(s - p) / n * 1e6 for s, p in zip(noop["seedpool"], noop["client.map"])]
    share = [100 * o / p for o, p in zip(overhead, per_task)]
    vs_exec = [(s - e) / n * 1e6 for s, e in zip(noop["seedpool"], noop["ClientExecutor"])]
    ratio = [s / p for s, p in zip(work["seedpool"], work["client.map"])]
    ratio_exec = [s / e for s, e in zip(work["seedpool"], work["ClientExecutor"])]
    rows = [
        Row("no-op: Dask's cost per task (client.map)", median(per_task), minimum(per_task), "us"),
        Row("no-op: seedpool overhead per task vs client.map", median(overhead), minimum(overhead), "us"),
        Row("no-op: that overhead / Dask's per-task cost", median(share), minimum(share), "%", target=5.0),
        Row("no-op: seedpool overhead per task vs ClientExecutor", median(vs_exec), minimum(vs_exec), "us"),
        Row("~10 ms tasks: seedpool / client.map", median(ratio), minimum(ratio), "x", target=1.05),
        Row("~10 ms tasks: seedpool / ClientExecutor", median(ratio_exec), minimum(ratio_exec), "x"),
    ]
    print_table(rows, f"Dask, 2 workers x 1 thread, {args.rounds} rounds; {n} no-op tasks, "
                      f"{args.work_tasks} tasks of ~10 ms")
    print(f"\nsame seed, same results: {ok}; load average after: {load_average()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
