"""Python children started in ways seedpool run must number, with no seeding of their own.

Usage: run_children.py MODE. Prints one JSON line: ``{"parent": draw, "children": [...]}``
where a draw is ``[random.random(), np.random.random()]`` taken first thing by that
process (the parent's before it starts any child). Run by tests/test_run_children.py
under ``seedpool run``, in a subprocess with a timeout.

Modes:

loky
    joblib.Parallel(n_jobs=2) (loky): two tasks that wait for each other, so each runs
    first on its own worker; the workers' draws, sorted.
ray
    ray.init(num_cpus=2): two plain @ray.remote tasks that wait for each other, so they
    run on two workers at once; their draws, sorted.
dask
    a LocalCluster with two worker processes (started by nannies); ``client.run``
    draws on every worker; sorted.
spawn
    os.posix_spawn, os.posix_spawnp, os.spawnv, os.spawnve (with a copy of the
    environment), os.spawnlp: one child each, in that order.
inherited
    a child that gets no node of its own: os.fork, then os.execve with the environment
    the parent had before the fork (a start path seedpool run cannot number).
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time

import numpy as np

CHILD_CODE = ("import json, random, numpy as np; "
              "print(json.dumps([random.random(), float(np.random.random())]))")


def draw() -> list:
    return [random.random(), float(np.random.random())]


def wait_for_two(folder: str) -> None:
    """Block until two processes have called this (each leaves its pid in ``folder``)."""
    open(os.path.join(folder, str(os.getpid())), "w").close()
    deadline = time.monotonic() + 120
    while len(os.listdir(folder)) < 2:
        if time.monotonic() > deadline:
            raise TimeoutError("the other worker never started")
        time.sleep(0.02)


def first_draw_together(folder: str) -> list:
    value = draw()  # the worker's first draw: this is its first task
    wait_for_two(folder)
    return value


def loky() -> list:
    from joblib import Parallel, delayed

    folder = tempfile.mkdtemp()
    return sorted(Parallel(n_jobs=2)(delayed(first_draw_together)(folder) for _ in range(2)))


def ray_() -> list:
    import ray

    folder = tempfile.mkdtemp()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        task = ray.remote(first_draw_together)
        return sorted(ray.get([task.remote(folder) for _ in range(2)]))
    finally:
        ray.shutdown()


def dask() -> list:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        return sorted(client.run(draw).values())


def read_child(start) -> list:
    r, w = os.pipe()
    pid = start(w)
    os.close(w)
    with os.fdopen(r) as out:
        text = out.read()
    _, status = os.waitpid(pid, 0)
    assert status == 0, text
    return json.loads(text)


def spawn() -> list:
    exe, argv = sys.executable, [sys.executable, "-c", CHILD_CODE]
    out = []
    for posix_spawn in (os.posix_spawn, os.posix_spawnp):
        out.append(read_child(lambda w, f=posix_spawn: f(exe, argv, os.environ,
                                                         file_actions=[(os.POSIX_SPAWN_DUP2, w, 1)])))

    def with_stdout(w, start):
        saved = os.dup(1)
        os.dup2(w, 1)
        try:
            return start()
        finally:
            os.dup2(saved, 1)
            os.close(saved)

    out.append(read_child(lambda w: with_stdout(w, lambda: os.spawnv(os.P_NOWAIT, exe, argv))))
    env = dict(os.environ)
    out.append(read_child(lambda w: with_stdout(w, lambda: os.spawnve(os.P_NOWAIT, exe, argv, env))))
    out.append(read_child(lambda w: with_stdout(w, lambda: os.spawnlp(os.P_NOWAIT, exe, exe, "-c", CHILD_CODE))))
    return out


def inherited() -> list:
    env = dict(os.environ)  # taken before the fork: the parent's node, as loky's fork_exec did
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.dup2(w, 1)
        os.execve(sys.executable, [sys.executable, "-c", CHILD_CODE], env)
    os.close(w)
    with os.fdopen(r) as out:
        text = out.read()
    os.waitpid(pid, 0)
    return [json.loads(text)]


MODES = {"loky": loky, "ray": ray_, "dask": dask, "spawn": spawn, "inherited": inherited}

if __name__ == "__main__":
    parent = draw()
    children = MODES[sys.argv[1]]()
    print(json.dumps({"parent": parent, "children": children}))
