"""seedpool.dask.Executor and seedpool.dask.Client against plain Dask on one LocalCluster,
all in one run.

    python benchmarks/bench_dask.py [--tasks 1000] [--native-tasks 1000] [--work-tasks 100] [--rounds 7]

Cluster: ``LocalCluster(n_workers=2, threads_per_worker=1, processes=True)``. Variants,
timed in the same rounds in an order rotated by round (each ratio is taken within a
round, then the median and min over rounds are reported):

    client.map     client.map(f, xs, pure=False) + client.gather        (plain Dask)
    ClientExecutor list(client.get_executor(pure=False).map(f, xs))     (Dask's executor)
    seedpool       list(seedpool.dask.Executor(client, seed=1).map(f, xs))
    Client.map     sclient.map(f, xs, pure=False) + sclient.gather, sclient a
                   seedpool.dask.Client(cluster, seed=1) beside the plain client

1. no-op tasks (``--tasks``): Dask's own cost per task (client.map), seedpool's
   overhead per task, and that overhead as a share of Dask's per-task cost
   (target < 5 %, issue 13). Beside it, inside one worker: the CPU per item of the call
   a task makes, plain and seeded (seedpool's own part of the overhead).
2. ~10 ms tasks that draw once from ``random`` and numpy (``--work-tasks``):
   seedpool / client.map, target <= 1.05x (issue 13).
3. Dask's own API (issue 25): ``seedpool.dask.Client.map`` against ``Client.map``,
   no-op tasks (``--native-tasks``): overhead share, target <= 5 %; ~10 ms tasks,
   target <= 1.03x; and the driver's CPU for the ``map`` call alone, plain and seeded
   (the difference against Dask's per-task cost: seedpool's part, free of the workers'
   noise).

A missed target is reported, not a failure; exit status 1 if seedpool's results are wrong.
"""

from __future__ import annotations

import sys
import time

import _engine_tasks as T

import _common  # noqa: F401  (puts the repo and this directory on sys.path)
from _common import Row, engine_args, engine_rows, load_average, median, minimum, print_table, timed_rounds


def main() -> int:
    args = engine_args(__doc__, tasks=1000, native_tasks=1000)

    from distributed import Client, LocalCluster

    import seedpool
    import seedpool.dask

    print(f"bench_dask: seedpool from {seedpool.__file__}; load average before: {load_average()}")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client, seedpool.dask.Client(cluster, seed=1, set_as_default=False) as sclient:
        plain_ex = client.get_executor(pure=False)
        seeded = seedpool.dask.Executor(client, seed=1)

        submit_cpu: dict[str, list[float]] = {"client.map": [], "Client.map": []}

        def mapped(name, c, f, xs):
            # The driver's CPU for the map call alone (the key of each item, the graph),
            # free of the workers' share of a loaded machine.
            t0 = time.process_time()
            futures = c.map(f, xs, pure=False)
            if f is T.noop:
                submit_cpu[name].append((time.process_time() - t0) / max(1, len(xs)) * 1e6)
            return c.gather(futures)

        def variants(f, xs):
            return {
                "client.map": lambda: mapped("client.map", client, f, xs),
                "ClientExecutor": lambda: list(plain_ex.map(f, xs)),
                "seedpool": lambda: list(seeded.map(f, xs)),
                "Client.map": lambda: mapped("Client.map", sclient, f, xs),
            }

        # warm up: workers import the task module, numpy and seedpool's hooks
        for run in [*variants(T.noop, range(50)).values(), *variants(T.busy_draw, [1] * 4).values()]:
            run()

        xs = list(range(args.tasks))
        for cpu in submit_cpu.values():
            cpu.clear()  # the warm-up's
        noop = timed_rounds(variants(T.noop, xs), args.rounds, expect=xs)
        work = timed_rounds(variants(T.busy_draw, [10] * args.work_tasks), args.rounds)
        if args.native_tasks != args.tasks:
            nxs = list(range(args.native_tasks))
            noop.update({k: v for k, v in timed_rounds(variants(T.noop, nxs), args.rounds, expect=nxs).items()
                         if k in ("client.map", "Client.map")})
        in_worker = client.submit(T.call_cost, "dask", pure=False).result()
        # reproducibility check on the side: a fresh executor with the same seed
        a = list(seedpool.dask.Executor(client, seed=5, pure=False).map(T.busy_draw, [1] * 20))
        b = list(seedpool.dask.Executor(client, seed=5, pure=False).map(T.busy_draw, [1] * 20))
        ok = a == b

    n = args.tasks
    rows = engine_rows("Dask", noop["client.map"], noop["seedpool"], n, work["client.map"], work["seedpool"], 10,
                       in_worker)
    # Against Dask's own executor too (it waits on each future; seedpool's gathers batches).
    vs_exec = [(s - e) / n * 1e6 for s, e in zip(noop["seedpool"], noop["ClientExecutor"])]
    ratio_exec = [s / e for s, e in zip(work["seedpool"], work["ClientExecutor"])]
    rows += [
        Row("no-op: seedpool overhead per task vs ClientExecutor", median(vs_exec), minimum(vs_exec), "us"),
        Row("~10 ms tasks: seedpool / ClientExecutor", median(ratio_exec), minimum(ratio_exec), "x"),
    ]
    print_table(rows, f"Dask, 2 workers x 1 thread, {args.rounds} rounds; {n} no-op tasks "
                      f"(plain = client.map), {args.work_tasks} tasks of ~10 ms")
    rows = engine_rows("Dask", noop["client.map"], noop["Client.map"], args.native_tasks, work["client.map"],
                       work["Client.map"], 10, in_worker, work_target=1.03)
    per_task = [t / args.native_tasks * 1e6 for t in noop["client.map"]]
    n_cpu = len(per_task)  # the rounds of --native-tasks (the last ones measured)
    plain_cpu, seeded_cpu = submit_cpu["client.map"][-n_cpu:], submit_cpu["Client.map"][-n_cpu:]
    share = [100 * (s - p) / t for s, p, t in zip(seeded_cpu, plain_cpu, per_task)]
    rows += [
        Row("driver CPU per task of map(): Client.map", median(plain_cpu), minimum(plain_cpu), "us"),
        Row("driver CPU per task of map(): seedpool.dask.Client.map", median(seeded_cpu), minimum(seeded_cpu), "us"),
        Row("  -> the difference / Client.map's per-task cost", median(share), minimum(share), "%", target=5.0,
            target_text="< 5 %"),
    ]
    print_table(rows, f"seedpool.dask.Client.map vs Client.map, 2 workers x 1 thread, {args.rounds} rounds; "
                      f"{args.native_tasks} no-op tasks, {args.work_tasks} tasks of ~10 ms")
    print(f"\nsame seed, same results: {ok}; load average after: {load_average()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
