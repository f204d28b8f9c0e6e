"""Task functions for the thread-pool tests: importable by process-pool workers too
(spawn/forkserver unpickle them by module name), so both kinds of pool run the same code."""

from __future__ import annotations

import random
import time

import numpy as np

import seedpool


def draws(x: int) -> tuple:
    """Draw from every routed generator, sleeping in between so threads interleave."""
    a = random.random()
    time.sleep(0.0005 * (x % 4))
    b = float(np.random.random())
    time.sleep(0.0002)
    c = float(seedpool.rng().random())
    d = random.gauss(0, 1)  # caches a second normal on the generator it runs on
    time.sleep(0.0003 * (x % 3))
    e = float(np.random.randn())  # numpy's legacy cached normal, too
    f = random.randint(0, 10**9)
    g = int(np.random.randint(0, 10**9))
    h = [random.gauss(0, 1) for _ in range(3)]
    return (x, a, b, c, d, e, f, g, h)


def draws2(x: int, y: int) -> tuple:
    return draws(x * 100 + y)


def info(x: int) -> tuple:
    w = seedpool.worker_info()
    time.sleep(0.001)
    return (x, w.call, w.task_index, w.node.path, w.scope, 0 <= w.index < w.num_workers)


_init_draws: list = []


def remember_init(tag: str) -> None:
    _init_draws.append((tag, random.random(), float(np.random.random()), float(seedpool.rng().random()),
                        seedpool.worker_info().node.path))


def init_draws(_: object) -> list:
    return list(_init_draws)


def noop(x: object) -> object:
    return x
