"""Task functions for bench_pool.py.

They live in an importable module so that every pool (stdlib, seedpool, multiprocess)
pickles them by reference, and the comparison measures the pools, not the pickling of
the function. numpy is imported here, so the workers have it loaded (the numpy backend
is "present" in every worker).
"""

from __future__ import annotations

import random

import numpy as np


def noop(x):
    return x


def draw(x):
    """The worst case for lazy seeding: every task draws from both global generators."""
    return random.random() + np.random.random()


def work(k):
    """About 100 us of non-random work for the calibrated ``k`` (see ``calibrate``)."""
    acc = 0
    for i in range(k):
        acc = (acc * 31 + i) & 0xFFFF
    return acc


def work_draw(k):
    return work(k) + random.random() + np.random.random()


def calibrate(target_s: float = 100e-6) -> int:
    """The ``k`` for which ``work(k)`` takes about ``target_s`` in this process.

    Uses the fastest of several timings (the least disturbed by other jobs)."""
    import time

    k = 2000
    for _ in range(2):
        best = float("inf")
        for _ in range(9):
            t0 = time.perf_counter()
            for _ in range(50):
                work(k)
            best = min(best, (time.perf_counter() - t0) / 50)
        k = max(1, round(k * target_s / best))
    return k
