"""Run one Dask scenario on a real LocalCluster and print its results as JSON (last line).

Usage: dask_checks.py SCENARIO [ARGS...]; see the functions below. Run by tests/test_dask.py
in a subprocess with a timeout; every cluster process is killed afterwards.
"""

from __future__ import annotations

import json
import os
import sys

import engine_tasks as E
from distributed import Client, LocalCluster

import pool_tasks as T
import seedpool
import seedpool.dask

SEED = 2024
ITEMS = [5, 5, 5, 1, 2, 3, 4, 5, 6, 7, 8, 9]  # equal items must still draw independently


def cluster(workers: int, threads: int, **kw):
    return LocalCluster(n_workers=workers, threads_per_worker=threads, processes=True,
                        dashboard_address=None, **kw)


def workload(ex) -> list:
    """The same calls, in the same order, as test_dask.reference_workload."""
    out = [list(ex.map(T.draw, ITEMS))]                       # call 0
    out.append(ex.submit(T.draw, 9).result())                 # call 1
    out.append(list(ex.map(T.draw_star, range(4), [7] * 4)))  # call 2
    out.append(list(ex.map(E.jitter_draw, range(16))))        # call 3
    out.append(list(ex.map(T.draw_many, range(6))))           # call 4
    return out


def identity(workers: str, threads: str) -> list:
    with cluster(int(workers), int(threads)) as c, Client(c) as client:
        with seedpool.dask.Executor(client, seed=SEED) as ex:
            return workload(ex)


def semantics() -> dict:
    """Executor.map's concurrent.futures behaviour: order, errors in item order, timeout."""
    import concurrent.futures as cf

    out = {}
    with cluster(2, 1) as c, Client(c) as client:
        with seedpool.dask.Executor(client, seed=SEED) as ex:
            it = ex.map(E.fail_at, range(40))
            got = []
            try:
                for v in it:
                    got.append(v)
            except ValueError as exc:
                out["error"] = str(exc)
            out["before_error"] = got
            try:
                list(ex.map(E.sleep, [0.0, 5.0], timeout=0.5))
            except cf.TimeoutError:
                out["timeout"] = True
            out["empty"] = list(ex.map(T.draw, []))
            out["two_iterables"] = list(ex.map(T.draw_star, [1, 2, 3], [4, 5]))
        try:
            ex.submit(T.draw, 1)
        except RuntimeError as exc:
            out["after_shutdown"] = str(exc)
    return out


def progress(folder: str) -> dict:
    """Executor.map beside Dask's own ClientExecutor: a result is yielded as soon as it
    and every earlier one are done (item 2 can finish only after the caller got item 1),
    and on a timeout the finished results come first. Each executor on a cluster of its
    own, so a task one left running cannot delay the other's."""
    import concurrent.futures as cf

    out: dict = {}
    for name in ("dask", "seedpool"):
        with cluster(2, 1) as c, Client(c) as client:
            ex = client.get_executor() if name == "dask" else seedpool.dask.Executor(client, seed=SEED)
            gate = os.path.join(folder, f"gate-{name}")
            got: list = []
            try:
                for value in ex.map(E.wait_for_file, [None, None, gate], timeout=30):
                    got.append(value)
                    if len(got) == 2:
                        open(gate, "w").close()
            except cf.TimeoutError:
                got.append("timeout")
            out[f"{name}_gate"] = got
            got = []
            try:
                for value in ex.map(E.sleep, [0.0, 0.0, 20.0], timeout=4):
                    got.append(value)
            except cf.TimeoutError:
                got.append("timeout")
            out[f"{name}_timeout"] = got
            ex.shutdown(wait=False)
    return out


def kill(marker_dir: str) -> dict:
    with cluster(2, 1) as c, Client(c) as client:
        with seedpool.dask.Executor(client, seed=SEED) as ex:
            values = list(ex.map(E.die_once, range(4), [marker_dir] * 4))
    return {"values": values, "died": os.path.exists(os.path.join(marker_dir, "died-2"))}


def kwargs(marker_dir: str) -> dict:
    with cluster(2, 1, resources={"slot": 1}) as c, Client(c) as client:
        first = sorted(client.scheduler_info()["workers"])[0]
        with seedpool.dask.Executor(client, seed=SEED, retries=1, priority=5, resources={"slot": 1},
                                    workers=[first]) as ex:
            got = list(ex.map(E.fail_once, range(6), [marker_dir] * 6))
            sub = ex.submit(E.fail_once, 40, marker_dir).result()
    return {"first": first, "map": got, "submit": sub}


def record(path: str) -> list:
    seedpool.seed_everything(SEED)  # writes the record's header ($SEEDPOOL_RECORD)
    with cluster(2, 1) as c, Client(c) as client:
        with seedpool.dask.Executor(client) as ex:  # root.child("pools", 0)
            return list(ex.map(T.draw, range(3)))


def default_workers() -> dict:
    ex = seedpool.dask.Executor(seed=SEED)
    try:
        n = len(ex.client.scheduler_info()["workers"])
        values = list(ex.map(T.draw, ITEMS))
    finally:
        ex.shutdown()
    return {"workers": n, "values": values}


def keyed() -> dict:
    import dask
    import dask.bag as db

    g = seedpool.dask.keyed(T.draw, seed=SEED)
    out = {}
    for scheduler in ("sync", "threads", "processes"):
        tasks = [dask.delayed(g)(i, x) for i, x in enumerate(ITEMS)]
        out[scheduler] = [list(v) for v in dask.compute(*tasks, scheduler=scheduler)]
    bag = db.from_sequence(list(enumerate(ITEMS)), npartitions=3).starmap(g)
    out["bag"] = [list(v) for v in bag.compute(scheduler="processes")]
    return out


if __name__ == "__main__":
    name, *args = sys.argv[1:]
    print(json.dumps(globals()[name](*args)))
