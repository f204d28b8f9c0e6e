"""A whole program for ``seedpool check --fuzz``: the standard library's pools, tasks that
draw from numpy's global state. ``fuzz_program.py pid`` reseeds each task from the process
id first (the bug the check must find); ``fuzz_program.py shape`` prints what the pools
were given instead of results (the schedule ``SEEDPOOL_FUZZ`` asked for)."""

from __future__ import annotations

import concurrent.futures
import itertools
import math
import multiprocessing
import multiprocessing.pool
import os
import sys
import time

import numpy as np

MODE = sys.argv[1] if len(sys.argv) > 1 else ""


def task(x):
    if MODE == "pid":
        np.random.seed(os.getpid() % 2**32)
    return round(x + float(np.random.random()), 12)


def where(x):
    time.sleep(0.05)  # long enough that every worker takes a chunk
    return os.getpid()


if __name__ == "__main__":
    with multiprocessing.Pool(2) as pool:
        if MODE == "shape":
            pids = pool.map(where, range(12))
            # Runs of one pid: the items of a chunk run on one worker, in order.
            runs = [len(list(g)) for _, g in itertools.groupby(pids)]
            print(pool._processes, pool._ctx.get_start_method(), math.gcd(*runs))
            sys.exit(0)
        print(pool.map(task, range(12)))
        print(sorted(pool.imap_unordered(task, range(12))))
    with concurrent.futures.ProcessPoolExecutor(2) as ex:
        print(list(ex.map(task, range(8))))
    with multiprocessing.pool.ThreadPool(3) as threads:
        print(threads.map(task, range(8)))
