"""Task functions for the Dask and Ray tests (importable by cluster workers)."""

from __future__ import annotations

import os
import random
import time

import numpy as np

import seedpool
from pool_tasks import draw

INIT_DRAW: list = []


def die_once(x, marker_dir):
    """Draw, then -- the first time item 2 runs anywhere -- kill this worker process."""
    value = draw(x)
    marker = os.path.join(marker_dir, f"died-{x}")
    if x == 2 and not os.path.exists(marker):
        with open(marker, "w") as fh:
            fh.write(str(os.getpid()))
        os._exit(1)
    return value


def fail_once(x, marker_dir):
    """Draw, then raise on the first attempt at each item; report where it ran."""
    value = draw(x)
    marker = os.path.join(marker_dir, f"failed-{x}")
    if not os.path.exists(marker):
        with open(marker, "w") as fh:
            fh.write("1")
        raise RuntimeError(f"first attempt at {x}")
    from distributed import get_worker

    return [list(value), get_worker().address]


def jitter_draw(x):
    """Draw in two steps around a sleep, so tasks on two threads interleave their draws."""
    a = random.random()
    time.sleep(0.005 * (x % 4))
    b = float(np.random.random())
    return (x, a, b, float(seedpool.rng().random()), random.random())


def remember_init():
    """Pool initializer: keep the first draw an actor makes (it runs after seeding)."""
    INIT_DRAW[:] = [random.random(), float(np.random.random())]


def init_draw(_=None):
    return (INIT_DRAW[0], INIT_DRAW[1], os.getpid())


def fail_at(x):
    if x == 25:
        raise ValueError(f"bad item {x}")
    return x


def draw_unless_3(x):
    """``draw(x)``, but item 3 fails after drawing (the next item must not be shifted)."""
    out = draw(x)
    if x == 3:
        raise ValueError("item 3 fails")
    return out


def sleep(t):
    time.sleep(t)
    return t


def wait_for_file(path):
    """Return ``path`` once it exists (None: at once); gives up after 60 s."""
    deadline = time.monotonic() + 60
    while path is not None and not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.02)
    return path
