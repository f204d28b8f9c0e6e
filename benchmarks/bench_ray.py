"""seedpool.ray.Pool against ray.util.multiprocessing.Pool, and @seedpool.ray.remote against
@ray.remote, all alive in one run.

    python benchmarks/bench_ray.py [--tasks 10000] [--native-tasks 2000] [--work-tasks 100] [--rounds 7]

One ``ray.init(num_cpus=2, include_dashboard=False)``; two pools of 2 actors each:

    ray        ray.util.multiprocessing.Pool(2)
    seedpool   seedpool.ray.Pool(2, seed=1)

Timed in the same rounds, in an order rotated by round; each ratio is taken within a
round, then the median and min over rounds are reported.

1. ``map`` of no-op tasks (``--tasks``, Ray's default chunking): Ray's own cost per
   task, seedpool's overhead per task, and that overhead as a share of Ray's per-task
   cost (target < 5 %, issue 13). Beside it, inside one actor: the CPU per item of the
   call Ray's ``run_batch`` makes, plain and seeded (seedpool's own part of the overhead).
2. ``map`` of ~10 ms tasks drawing once from ``random`` and numpy (``--work-tasks``,
   chunksize 1): seedpool / ray, target <= 1.05x (issue 13).
3. Ray's own API (issue 25): ``ray.get([f.remote(x) for x in xs])`` with ``f`` decorated
   by ``ray.remote`` and by ``seedpool.ray.remote`` (under ``seed_everything(1)``):
   no-op tasks (``--native-tasks``), seedpool's overhead per task as a share of Ray's
   per-task cost (target <= 5 %), and ~10 ms tasks (``--work-tasks``), target <= 1.03x;
   beside them, inside one worker, the CPU of the keyed call per task, and in the driver,
   the CPU of the submissions alone, plain and seeded (the difference against Ray's
   per-task cost: the part of the overhead that is seedpool's, free of the workers' noise).

A missed target is reported, not a failure; exit status 1 if seedpool's results are wrong.
"""

from __future__ import annotations

import sys
import time

import _engine_tasks as T

import _common  # noqa: F401  (puts the repo and this directory on sys.path)
from _common import Row, engine_args, engine_rows, load_average, median, minimum, print_table, timed_rounds


def main() -> int:
    args = engine_args(__doc__, tasks=10000, native_tasks=2000)

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

        xs, work = list(range(args.tasks)), [10] * args.work_tasks
        noop = timed_rounds({name: (lambda p=p: p.map(T.noop, xs)) for name, p in pools.items()},
                            args.rounds, expect=xs)
        busy = timed_rounds({name: (lambda p=p: p.map(T.busy_draw, work, 1)) for name, p in pools.items()},
                            args.rounds)
        in_actor = pools["ray"].apply(T.call_cost, ("ray",))
        a = seedpool.ray.Pool(1, seed=5).map(T.busy_draw, [1] * 20)
        b = seedpool.ray.Pool(2, seed=5).map(T.busy_draw, [1] * 20)
        ok = a == b
        for pool in pools.values():
            pool.terminate()

        # 3. @ray.remote and @seedpool.ray.remote, in the same rounds
        seedpool.seed_everything(1)
        noop_fns = {"ray.remote": ray.remote(T.noop), "seedpool": seedpool.ray.remote(T.noop)}
        busy_fns = {"ray.remote": ray.remote(T.busy_draw), "seedpool": seedpool.ray.remote(T.busy_draw)}
        for f in [*noop_fns.values(), *busy_fns.values()]:  # warm up: workers load both functions
            ray.get([f.remote(1) for _ in range(40)])
        nxs = list(range(args.native_tasks))
        submit_cpu: dict[str, list[float]] = {name: [] for name in noop_fns}

        def submit_and_get(name, f):
            # The driver's CPU for the submissions alone: what the seeded call adds in
            # the driver (the key, the signature check, one more argument), free of the
            # workers' share of a loaded machine.
            t0 = time.process_time()
            refs = [f.remote(x) for x in nxs]
            submit_cpu[name].append((time.process_time() - t0) / len(nxs) * 1e6)
            return ray.get(refs)

        native_noop = timed_rounds({name: (lambda name=name, f=f: submit_and_get(name, f))
                                    for name, f in noop_fns.items()}, args.rounds, expect=nxs)
        native_busy = timed_rounds({name: (lambda f=f: ray.get([f.remote(10) for _ in range(args.work_tasks)]))
                                    for name, f in busy_fns.items()}, args.rounds)
        native_in_worker = ray.get(ray.remote(T.call_cost).remote("remote"))
        seedpool.seed_everything(5)
        c = ray.get([busy_fns["seedpool"].remote(1) for _ in range(20)])
        seedpool.seed_everything(5)
        ok = ok and c == ray.get([busy_fns["seedpool"].remote(1) for _ in range(20)])
    finally:
        ray.shutdown()

    rows = engine_rows("Ray", noop["ray"], noop["seedpool"], args.tasks, busy["ray"], busy["seedpool"], 10,
                       in_actor)
    print_table(rows, f"Ray pool, 2 actors, {args.rounds} rounds; {args.tasks} no-op tasks (default "
                      f"chunking), {args.work_tasks} tasks of ~10 ms (chunksize 1)")
    rows = engine_rows("@ray.remote", native_noop["ray.remote"], native_noop["seedpool"], args.native_tasks,
                       native_busy["ray.remote"], native_busy["seedpool"], 10, native_in_worker, work_target=1.03)
    per_task = [t / args.native_tasks * 1e6 for t in native_noop["ray.remote"]]
    extra = [s - p for s, p in zip(submit_cpu["seedpool"], submit_cpu["ray.remote"])]
    share = [100 * e / t for e, t in zip(extra, per_task)]
    rows += [
        Row("driver CPU per .remote(): @ray.remote", median(submit_cpu["ray.remote"]),
            minimum(submit_cpu["ray.remote"]), "us"),
        Row("driver CPU per .remote(): @seedpool.ray.remote", median(submit_cpu["seedpool"]),
            minimum(submit_cpu["seedpool"]), "us"),
        Row("  -> the difference / @ray.remote's per-task cost", median(share), minimum(share), "%", target=5.0,
            target_text="< 5 %"),
    ]
    print_table(rows, f"Ray tasks, num_cpus=2, {args.rounds} rounds; {args.native_tasks} no-op tasks "
                      f"(@ray.remote vs @seedpool.ray.remote), {args.work_tasks} tasks of ~10 ms")
    print(f"\n1 and 2 actors, same seed, same results; remote tasks, same root, same results: {ok}; "
          f"load average after: {load_average()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
