"""Tasks for tests/test_nesting.py: every seedpool engine opened with ``seed=None`` inside
a task of every other (importable by worker processes; runs in subprocesses)."""

from __future__ import annotations

import json
import multiprocessing
import random
import sys

import numpy as np

import seedpool


def draw(_x=None):
    return [random.getrandbits(32), int(np.random.randint(2**31)), int(seedpool.rng().integers(2**31))]


def _pool():
    with seedpool.Pool(2) as pool:
        return pool.map(draw, range(3), chunksize=2)


def _thread_pool():
    with seedpool.ThreadPool(2) as pool:
        return pool.map(draw, range(3))


def _process_executor():
    with seedpool.ProcessPoolExecutor(2) as ex:
        return list(ex.map(draw, range(3)))


def _thread_executor():
    with seedpool.ThreadPoolExecutor(2) as ex:
        return list(ex.map(draw, range(3)))


def _joblib(backend):
    def run():
        from joblib import delayed

        from seedpool.joblib import Parallel

        return list(Parallel(n_jobs=2, backend=backend)(delayed(draw)(i) for i in range(3)))
    return run


INNER = {
    "pool": _pool,
    "thread_pool": _thread_pool,
    "process_executor": _process_executor,
    "thread_executor": _thread_executor,
    "joblib_loky": _joblib("loky"),
    "joblib_threading": _joblib("threading"),
}
# multiprocessing.Pool's workers are daemonic, and a daemonic process may not have
# children (multiprocessing's own rule): no process pool opens inside one of its tasks.
PROCESS_INNER = ("pool", "process_executor")


class Opens:
    """The task: open each named inner engine with seed=None, in order (the k-th is keyed
    task.child("pools", k)), and return what each drew. Picklable by reference."""

    def __init__(self, names):
        self.names = list(names)

    def __call__(self, _x):
        try:
            return [INNER[name]() for name in self.names]
        finally:
            if "joblib_loky" in self.names and multiprocessing.parent_process() is not None:
                # In a worker process, loky's reusable workers outlive the task, and a
                # concurrent.futures worker joins its children when it exits: shut them
                # down here (joblib's own limitation, see docs/limits.md).
                from joblib.externals.loky import get_reusable_executor

                get_reusable_executor().shutdown(wait=True)


def run_outer(outer, config, names, n=4, seed=11):
    task = Opens(names)
    if outer == "pool":
        with seedpool.Pool(config["workers"], seed=seed) as pool:
            return pool.map(task, range(n), chunksize=config["chunk"])
    if outer == "thread_pool":
        with seedpool.ThreadPool(config["workers"], seed=seed) as pool:
            return pool.map(task, range(n), chunksize=config["chunk"])
    if outer == "process_executor":
        with seedpool.ProcessPoolExecutor(config["workers"], seed=seed) as ex:
            return list(ex.map(task, range(n), chunksize=config["chunk"]))
    if outer == "thread_executor":
        with seedpool.ThreadPoolExecutor(config["workers"], seed=seed) as ex:
            return list(ex.map(task, range(n)))
    if outer in ("joblib_loky", "joblib_threading"):
        from joblib import delayed

        from seedpool.joblib import Parallel

        backend = outer.split("_")[1]
        parallel = Parallel(n_jobs=config["workers"], backend=backend, batch_size=config["chunk"], seed=seed)
        return list(parallel(delayed(task)(i) for i in range(n)))
    if outer == "reference":  # each task in this process, under its node
        root = seedpool.SeedTree(seed)
        out = []
        for i in range(n):
            with seedpool.task_scope(root.child("tasks", 0, i)):
                out.append(task(i))
        return out
    raise ValueError(outer)


if __name__ == "__main__":
    import nest_tasks  # the tasks by their module's name, so workers unpickle them by reference

    outer, configs, names = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
    print(json.dumps([nest_tasks.run_outer(outer, config, names) for config in configs]))
