"""Task functions for bench_dask.py and bench_ray.py (importable: workers load them by
reference, so the engines are compared, not the pickling of the function)."""

from __future__ import annotations

import random
import time

import numpy as np


def noop(x):
    return x


def busy_draw(ms):
    """About ``ms`` milliseconds of CPU work, plus one draw from each global generator."""
    end = time.perf_counter() + ms / 1000.0
    acc = 0
    while time.perf_counter() < end:
        acc += 1
    return acc * 0 + random.random() + float(np.random.random())


def call_cost(engine, n=20000, rounds=5):
    """CPU microseconds per item in this process (run it in a worker), plain and seeded:
    ``{"noop": (plain, seeded), "draw": (plain, seeded)}`` -- ``noop(x)``, and
    ``busy_draw(0)`` (no work, one draw from ``random`` and one from numpy), against the
    call an engine makes per item instead. The difference is the part of the overhead
    that is seedpool's own. ``engine``: "ray" (a batch's ``KeyedBatch(x)``), "dask"
    (``KeyedCall(i, x)``) or "remote" (``KeyedUnder(i, x)``, a ``@seedpool.ray.remote``
    or ``seedpool.dask.delayed`` task). The call is pickled first, as an engine sends it."""
    import pickle

    from seedpool._derive.tree import SeedTree
    from seedpool._task.call import KeyedBatch, KeyedCall, KeyedUnder

    out = {}
    for name, f, m in (("noop", noop, n), ("draw", busy_draw, n // 4)):
        xs = list(range(m)) if f is noop else [0] * m
        plain, seeded = [], []
        for r in range(rounds):
            if engine == "ray":
                call = pickle.loads(pickle.dumps(KeyedBatch(f, SeedTree(1), r).batch(m)))
                t0 = time.process_time()
                for x in xs:
                    f(x)
                t1 = time.process_time()
                for x in xs:
                    call(x)
            else:
                keyed = KeyedUnder(f, SeedTree(1).child("remote", r)) if engine == "remote" else \
                    KeyedCall(f, SeedTree(1), r)
                call = pickle.loads(pickle.dumps(keyed))
                t0 = time.process_time()
                for x in xs:
                    f(x)
                t1 = time.process_time()
                for i, x in enumerate(xs):
                    call(i, x)
            t2 = time.process_time()
            plain.append(t1 - t0)
            seeded.append(t2 - t1)
        out[name] = (min(plain) / m * 1e6, min(seeded) / m * 1e6)
    return out
