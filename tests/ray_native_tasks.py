"""Seeded Ray tasks and actors for tests/test_ray_native.py (importable by Ray workers)."""

from __future__ import annotations

import os
import random
import time

import numpy as np
import ray
import strict_tasks

import seedpool
import seedpool.ray
from pool_tasks import draw as _draw


@seedpool.ray.remote
def draw(x):
    """One value from every generator a task might use, plus the input."""
    return list(_draw(x))


@seedpool.ray.remote(num_cpus=1, max_retries=0)
def draw_with_options(x):
    return list(_draw(x))


@seedpool.ray.remote
def jitter(x):
    """Draw in two steps around a sleep: tasks on two workers interleave."""
    a = random.random()
    time.sleep(0.01 * (x % 3))
    return [x, a, float(np.random.random()), float(seedpool.rng().random())]


@seedpool.ray.remote
def outer(x, n):
    """A task that submits n seeded tasks (keyed under its own node), and draws itself
    before and after them."""
    before = random.random()
    inner = ray.get([draw.remote(10 * x + j) for j in range(n)])
    return [x, before, inner, float(np.random.random())]


@seedpool.ray.remote(max_retries=2, retry_exceptions=True)
def fail_once(x, marker_dir):
    """Draw, then raise on the first attempt (Ray retries the task: same key)."""
    value = list(_draw(x))
    marker = os.path.join(marker_dir, f"failed-{x}")
    if not os.path.exists(marker):
        with open(marker, "w") as fh:
            fh.write("1")
        raise RuntimeError(f"first attempt at {x}")
    return value


@seedpool.ray.remote(max_retries=2)
def die_once(x, marker_dir):
    """Draw, wait, then -- the first time item 2 runs anywhere -- kill this worker
    process (os._exit mid-task: Ray sees a lost worker and runs the task again)."""
    value = list(_draw(x))
    time.sleep(0.05)
    marker = os.path.join(marker_dir, f"died-{x}")
    if x == 2 and not os.path.exists(marker):
        with open(marker, "w") as fh:
            fh.write(str(os.getpid()))
        os._exit(1)
    return value + [random.random()]


@seedpool.ray.remote
class Walker:
    """A seeded actor: __init__ draws under the actor's node, each method call under
    actor.child("calls", m)."""

    def __init__(self, start):
        self.position = start
        self.init_draw = random.random()

    def step(self, scale):
        # self.noise() is a plain call inside the method: it draws from the same task.
        self.position += scale * self.noise()
        return [self.position, random.random(), float(seedpool.rng().random())]

    def noise(self):
        return float(np.random.standard_normal())

    def first(self):
        return self.init_draw

    def spawn(self, n):
        """Seeded tasks submitted from an actor method: keyed under the method's node."""
        return ray.get([draw.remote(j) for j in range(n)])

    def where(self):
        return os.getpid()


@seedpool.ray.remote(max_restarts=1)
class Counter:
    """Ray's own method options and __ray_call__ on a seeded actor."""

    def __init__(self):
        self.n = 0

    @ray.method(num_returns=2)
    def pair(self):
        self.n += 1
        return random.random(), random.random()


construct = seedpool.ray.remote(strict_tasks.construct)
construct_raising = seedpool.ray.remote(strict_tasks.construct_raising)


# -- controls: plain @ray.remote with a seed passed by hand ------------------------------------

@ray.remote
def plain_same_seed(x, seed):
    """The usual mistake (ray#50638): every task seeds numpy with the one seed it was given."""
    np.random.seed(seed)
    return [x, float(np.random.random())]


_SEEDED_ONCE = []


@ray.remote
def plain_seed_once(x, seed):
    """The usual workaround: seed the worker's generator the first time it runs a task,
    then draw on: a task's value depends on which worker ran it and what ran there before."""
    if not _SEEDED_ONCE:
        random.seed(seed)
        _SEEDED_ONCE.append(os.getpid())
    time.sleep(0.1)  # long enough that Ray runs the six tasks on both workers
    return [x, random.random(), os.getpid()]


@ray.remote(max_calls=1)
def plain_submitter():
    """A plain task (a fresh worker process each time) calling a seeded function: not
    inside a keyed task, so not under the worker's process root (every worker shares it)."""
    return ray.get(draw.remote(0))


# -- the key layout's golden test (integer draws: exact pins) ---------------------------------

def _ints():
    return [random.getrandbits(32), int(np.random.randint(2**31)), int(seedpool.rng().integers(2**31))]


@seedpool.ray.remote
def int_draw(x):
    return [x] + _ints()


@seedpool.ray.remote
def int_outer(n):
    first = random.getrandbits(32)
    return [first, ray.get([int_draw.remote(j) for j in range(n)])]


@seedpool.ray.remote
class IntWalker:
    def __init__(self):
        self.first = random.getrandbits(32)

    def draw(self):
        return [self.first] + _ints()

    def spawn(self):
        return ray.get(int_draw.remote(0))
