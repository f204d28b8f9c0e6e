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
