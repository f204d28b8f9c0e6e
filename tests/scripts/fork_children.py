"""Forks children in several ways and prints what each drew, as JSON.

Usage: fork_children.py on|off. With "on", seedpool.reseed_after_fork(5) is called
first (twice, to check idempotence). Run as a separate process by tests/test_fork.py.
"""
import json
import multiprocessing
import os
import random
import sys

import numpy as np

from seedpool._state.context import rng
from seedpool._state.fork import register_generator, reseed_after_fork, stop_reseed_after_fork


def draws(gen):
    return [random.random(), float(np.random.random()), float(rng().random()), float(gen.random())]


def in_child(gen, write_fd, depth):
    record = {"draws": draws(gen), "env": os.environ.get("SEEDPOOL_SEED")}
    if depth:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            in_child(gen, w, depth - 1)
        os.close(w)
        record["grandchild"] = json.loads(_read(r))
        os.waitpid(pid, 0)
    os.write(write_fd, json.dumps(record).encode())
    os._exit(0)


def _read(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks).decode()
        chunks.append(chunk)


def fork_one(gen, depth=0):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        in_child(gen, w, depth)
    os.close(w)
    out = json.loads(_read(r))
    os.waitpid(pid, 0)
    return out


def mp_child(queue):
    queue.put(float(np.random.random()))


if __name__ == "__main__":
    np.random.seed(1)  # the parent's own state, which children must not replay
    gen = register_generator(np.random.default_rng(2)) if sys.argv[1] == "on" else np.random.default_rng(2)
    if sys.argv[1] == "on":
        reseed_after_fork(5)
        reseed_after_fork(5)
    result = {"children": [fork_one(gen, depth=1), fork_one(gen), fork_one(gen)]}
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=mp_child, args=(queue,)) for _ in range(2)]
    for p in procs:
        p.start()
        p.join()
    result["mp"] = sorted(queue.get() for _ in procs)
    result["parent_next"] = draws(gen)
    stop_reseed_after_fork()
    result["after_stop"] = fork_one(gen)["draws"]
    print(json.dumps(result))
