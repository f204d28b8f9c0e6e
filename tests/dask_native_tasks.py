"""Task functions for tests/test_dask_native.py (importable by Dask workers)."""

from __future__ import annotations

import os
import random
import time

import dask
import numpy as np
from distributed import get_client, rejoin, secede, worker_client

import seedpool
import seedpool.dask
from pool_tasks import draw


def nested_worker_client(x):
    """A task that submits tasks through worker_client(): its own draws around a nested
    map (its keyed call 0) and a nested submit (its keyed call 1)."""
    before = random.random()
    with worker_client() as client:
        inner = client.gather(client.map(draw, [10 * x, 10 * x + 1, 10 * x + 1]))
        single = client.submit(draw, 99).result()
    return [x, before, inner, single, float(np.random.random())]


def nested_get_client(x):
    """The same through get_client() and an explicit secede() / rejoin()."""
    client = get_client()
    futures = client.map(draw, range(2))
    secede()
    try:
        inner = client.gather(futures)
    finally:
        rejoin()
    return [x, inner, random.random()]


def fail_once(x, marker_dir):
    """Draw, then raise on the first attempt (retries=1 runs it again: same key)."""
    value = draw(x)
    marker = os.path.join(marker_dir, f"failed-{x}")
    if not os.path.exists(marker):
        with open(marker, "w") as fh:
            fh.write("1")
        raise RuntimeError(f"first attempt at {x}")
    return value


def die_once(x, marker_dir):
    """Draw, then -- the first time item 2 runs anywhere -- kill this worker process mid-task."""
    value = draw(x)
    time.sleep(0.05)
    marker = os.path.join(marker_dir, f"died-{x}")
    if x == 2 and not os.path.exists(marker):
        with open(marker, "w") as fh:
            fh.write(str(os.getpid()))
        os._exit(1)
    return list(value) + [random.random()]


noisy = seedpool.dask.delayed(draw)


@seedpool.dask.delayed
def add_noise(value, scale):
    return [value[0], value[1] + scale * random.random()]


@seedpool.dask.delayed(pure=True)
def inner_graph(n):
    """A delayed task that builds and computes a graph of its own: keyed under its node."""
    return [random.random(), list(dask.compute(*[noisy(j) for j in range(n)], scheduler="sync"))]


# -- controls: plain client.map with seeds by hand ---------------------------------------------

def seed_worker(seed):
    """The usual workaround (distributed#2558: "manage seeds yourself"): seed each worker."""
    np.random.seed(seed)


def plain_np_draw(x):
    time.sleep(0.05)
    return [x, float(np.random.random())]


# -- the key layout's golden test (integer draws: exact pins) ---------------------------------

def int_draw(x):
    return [x, random.getrandbits(32), int(np.random.randint(2**31)), int(seedpool.rng().integers(2**31))]


int_noisy = seedpool.dask.delayed(int_draw)


@seedpool.dask.delayed
def int_inner(n):
    return [random.getrandbits(32), list(dask.compute(*[int_noisy(j) for j in range(n)], scheduler="sync"))]


def int_nested(x):
    with worker_client() as client:
        inner = client.gather(client.map(int_draw, [0, 1]))
        single = client.submit(int_draw, 9).result()
    return [x, inner, single]
