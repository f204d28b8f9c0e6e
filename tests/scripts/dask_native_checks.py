"""seedpool.dask.Client and seedpool.dask.delayed on a real LocalCluster of the given shape;
prints the results as JSON (last line). Run by tests/test_dask_native.py (and the key
layout's golden test) in a subprocess with a timeout; every process is killed after.

Usage: dask_native_checks.py shape WORKERS THREADS MARKER_DIR
       dask_native_checks.py keys
"""

from __future__ import annotations

import json
import os
import sys

import dask
import dask_native_tasks as N
import distributed
import engine_tasks as E
import strict_tasks
from distributed import LocalCluster

import pool_tasks as T
import seedpool
import seedpool.dask

SEED = 4242
ITEMS = [5, 5, 5, 1, 2, 3, 4, 5]  # equal items must still draw independently


def client_workload(client, marker_dir: str) -> dict:
    """The same calls, in the same order, on any cluster: call numbers in the comments."""
    out = {}
    out["map"] = client.gather(client.map(T.draw, ITEMS))                            # call 0
    out["submit"] = client.submit(T.draw, 9).result()                                # call 1
    out["jitter"] = client.gather(client.map(E.jitter_draw, range(12)))              # call 2
    out["nested"] = client.gather(client.map(N.nested_worker_client, range(3)))      # call 3
    out["nested_secede"] = client.gather(client.map(N.nested_get_client, range(2)))  # call 4
    out["retries"] = client.gather(client.map(N.fail_once, range(3), [marker_dir] * 3, retries=1))  # call 5
    out["killed"] = client.gather(client.map(N.die_once, range(4), [marker_dir] * 4))  # call 6
    out["died"] = os.path.exists(os.path.join(marker_dir, "died-2"))
    out["batched"] = client.gather(client.map(T.draw, range(5), batch_size=2))      # call 7
    with seedpool.dask.Executor(client, seed=SEED, pure=False) as ex:  # recomputed, not shared
        out["executor"] = list(ex.map(T.draw, ITEMS))                                # its call 0
    return out


def delayed_graph() -> list:
    """A graph built the same way each time: positions 0.. under the process root."""
    seedpool.seed_everything(SEED)
    values = [N.noisy(x) for x in ITEMS]                                 # k = 0..7
    noisier = [N.add_noise(v, 0.5) for v in values[:3]]                  # k = 8..10
    inner = N.inner_graph(3)                                             # k = 11
    return [values, noisier, inner]


def delayed_on(scheduler) -> list:
    graph = delayed_graph()
    return json.loads(json.dumps(dask.compute(*graph, scheduler=scheduler)))


def controls(cluster) -> dict:
    """Plain client.map with a seed by hand; pure keys of seedpool's and Dask's calls."""
    out = {}
    with distributed.Client(cluster, set_as_default=False) as plain:
        plain.wait_for_workers(len(cluster.workers))  # the worker killed earlier is back
        plain.run(N.seed_worker, 7)
        out["seeded_workers"] = plain.gather(plain.map(N.plain_np_draw, range(8), pure=False))
        same = plain.map(T.draw, [5, 5, 5])  # pure: one task for equal items
        out["plain_equal_items"] = [len({f.key for f in same}), plain.gather(same)]
    with seedpool.dask.Client(cluster, seed=99, set_as_default=False) as a, \
            seedpool.dask.Client(cluster, seed=99, set_as_default=False) as b:
        fa, fb = a.map(T.draw, [5, 5]), b.map(T.draw, [5, 5])
        out["keys"] = {"a": [f.key for f in fa], "b": [f.key for f in fb],
                       "submit": [a.submit(T.draw, 5).key, a.submit(T.draw, 5).key]}
        out["a_values"] = a.gather(fa)
    return out


def strict_and_record(cluster) -> dict:
    seedpool.seed_everything(SEED)  # the record's header, when SEEDPOOL_RECORD is set
    out = {}
    with seedpool.dask.Client(cluster, set_as_default=False) as client:  # root.child("pools", 0)
        out["root"] = client.root.path
        out["values"] = client.gather(client.map(T.draw, range(3)))
        with seedpool.strict("warn"):
            names = [(n, "unseeded") for n in strict_tasks.UNSEEDED]
            out["unseeded"] = client.gather(client.map(strict_tasks.construct, names))
            out["seeded"] = client.gather(client.map(strict_tasks.construct,
                                                     [(n, "seeded") for n in strict_tasks.SEEDED]))
        out["off"] = client.submit(strict_tasks.construct, ("default_rng", "unseeded")).result()
    return out


def shape(workers: str, threads: str, marker_dir: str) -> dict:
    if os.environ.get("SEEDPOOL_RECORD"):
        # The record's header first: a worker appending to a record that does not exist
        # yet would create the file that seed_everything then replaces.
        seedpool.seed_everything(SEED)
    with LocalCluster(n_workers=int(workers), threads_per_worker=int(threads), processes=True,
                      dashboard_address=None) as cluster:
        with seedpool.dask.Client(cluster, seed=SEED) as client:
            out = {"client": client_workload(client, marker_dir)}
            out["delayed_distributed"] = delayed_on(None)  # the client is the default scheduler
        out["controls"] = controls(cluster)
        if os.environ.get("SEEDPOOL_RECORD"):
            out["strict_record"] = strict_and_record(cluster)
    if workers == threads == "1":
        for scheduler in ("sync", "threads", "processes"):
            out[f"delayed_{scheduler}"] = delayed_on(scheduler)
    return out


def keys() -> dict:
    """What the key layout's golden test pins: delayed calls under the process root and
    inside a keyed task, plain Client calls inside a keyed task (integer draws)."""
    seedpool.seed_everything(1234)
    graph = [N.int_noisy(0), N.int_noisy(1), N.int_inner(1)]  # k = 0, 1, 2
    out = {"delayed": list(dask.compute(*graph, scheduler="sync"))}
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None) as cluster, \
            seedpool.dask.Client(cluster, seed=1234) as client:
        out["nested"] = client.submit(N.int_nested, 0).result()  # call 0
    return json.loads(json.dumps(out))


def errors() -> dict:
    """Calls Dask refuses: refused before they take a call number."""
    out = []
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            seedpool.dask.Client(cluster, seed=3) as client:
        for call in (lambda: client.submit(5), lambda: client.map("f", [1]),
                     lambda: client.submit(T.draw, 1, allow_other_workers=True),
                     lambda: client.map(T.draw, iter([1, 2]))):
            try:
                call()
            except (TypeError, ValueError) as exc:
                out.append(f"{type(exc).__name__}: {exc}")
        after = client.submit(T.draw, 1).result()  # still call 0
    return json.loads(json.dumps({"errors": out, "after": after}))


if __name__ == "__main__":
    name, *args = sys.argv[1:]
    print(json.dumps(globals()[name](*args)))
