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


# The reseeding floor of ``draw`` in task scope: what any per-task keying of the two
# global generators must do at least -- seed each MT19937 from 128 bits (Python's
# ``Random.seed(int)``, numpy's ``RandomState.seed`` with 4 words: both init_by_array)
# -- done here on plain generators, without seedpool, in a plain pool's worker.
_FLOOR_PY = random.Random(0)
_FLOOR_NP = np.random.RandomState(0)
_FLOOR_WORDS = np.array([0x9E3779B9, 0x7F4A7C15, 0x85EBCA6B, 0xC2B2AE35], dtype=np.uint32)
_FLOOR_INT = int.from_bytes(_FLOOR_WORDS.astype("<u4").tobytes(), "little")


def reseed_draw(x):
    """Reseed both generators from 128 bits, then draw once from each (the floor)."""
    _FLOOR_PY.seed(_FLOOR_INT)
    _FLOOR_NP.seed(_FLOOR_WORDS)
    return _FLOOR_PY.random() + _FLOOR_NP.random()


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
