"""Every Ray scenario under one ``ray.init(num_cpus=2, include_dashboard=False)``; prints
the results as JSON (last line). Run by tests/test_ray.py in a subprocess with a timeout;
every Ray process is killed afterwards."""

from __future__ import annotations

import json
import os

import engine_tasks as E
import ray

import pool_tasks as T
import seedpool
import seedpool.ray

SEED = 77
ITEMS = [5, 5, 1, 2, 3, 4, 5, 6, 7, 8]


def workload(pool) -> list:
    """The same calls, in the same order, as on seedpool.Pool in test_ray.py."""
    out = [pool.map(T.draw, ITEMS)]                                     # call 0
    out.append(pool.starmap(T.draw_star, [(1, 2), (3, 4), (1, 2)]))     # call 1
    out.append(list(pool.imap(T.draw, range(7))))                       # call 2
    out.append(sorted(pool.imap_unordered(T.draw, range(7))))           # call 3
    out.append(pool.apply_async(T.draw, (70,)).get())                   # call 4
    out.append(pool.apply(T.draw, (80,)))                               # call 5
    out.append(pool.map_async(E.jitter_draw, range(8)).get())           # call 6
    out.append(pool.starmap_async(T.draw_star, [(9, 9)]).get())         # call 7 (Ray: no chunksize)
    out.append(list(pool.imap(T.draw_many, range(9), chunksize=4)))     # call 8
    return out


def main() -> dict:
    out: dict = {}
    for n in (1, 2):
        with seedpool.ray.Pool(n, seed=SEED) as pool:
            out[f"task{n}"] = workload(pool)
    # worker scope: each actor its own slot; maxtasksperchild=1 replaces an actor after
    # every batch, and Ray hands batches round-robin -> slots 0,1,0,1, incarnations 0,0,1,1
    with seedpool.ray.Pool(2, initializer=E.remember_init, maxtasksperchild=1, seed=SEED,
                           scope="worker") as pool:
        out["worker"] = pool.map(E.init_draw, range(4), chunksize=1)
    with seedpool.ray.Pool(2, initializer=E.remember_init, seed=SEED) as pool:
        out["task_init"] = pool.map(E.init_draw, range(4), chunksize=1)
    # The actor counts a batch's positions: an iterator (no len) sent in chunks, and a
    # batch whose middle item fails (Ray records the error and runs the next item).
    with seedpool.ray.Pool(2, seed=SEED) as pool:
        out["iterator"] = list(pool.imap(T.draw, iter(range(7)), chunksize=3))  # call 0
        it = pool.imap(E.draw_unless_3, range(6), chunksize=6)                    # call 1
        after_failure = []
        for _ in range(6):
            try:
                value = next(it)
            except Exception:
                value = None
            after_failure.append(None if isinstance(value, Exception) else value)
        out["after_failure"] = after_failure
    os.environ["SEEDPOOL_WORKERS"] = "1"
    with seedpool.ray.Pool(seed=SEED) as pool:
        out["env_actors"] = len(pool._actor_pool)
        out["env_values"] = pool.map(T.draw, ITEMS)
    del os.environ["SEEDPOOL_WORKERS"]
    record = os.environ.get("SEEDPOOL_RECORD")
    if record:
        seedpool.seed_everything(SEED)
        with seedpool.ray.Pool(2) as pool:  # root.child("pools", 0)
            out["record"] = pool.map(T.draw, range(3))
    return out


if __name__ == "__main__":
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        result = main()
    finally:
        ray.shutdown()
    print(json.dumps(result))
