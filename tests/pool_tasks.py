"""Task functions for the pool tests (importable, so every start method can load them)."""

from __future__ import annotations

import os
import random
import time
from random import randint  # bound at import: must still be seeded per task

import numpy as np

import seedpool


def draw(x):
    """One value from every generator a task might use, plus the input."""
    return (x, random.random(), float(np.random.random()), float(seedpool.rng().random()))


def draw_star(x, y):
    return (x, y, random.random(), float(np.random.random()))


def draw_many(x):
    return (x, randint(0, 10**9), float(np.random.mtrand._rand.random_sample()),
            float(np.random.standard_normal()), random.gauss(0, 1))


def noop(x):
    return x


def info(_=None):
    i = seedpool.worker_info()
    return (i.index, i.num_workers, i.call, i.task_index, i.scope, os.getpid())


def slow_draw(x):
    time.sleep(0.02 * (x % 3))  # jitter the schedule
    return draw(x)


def own_seed(x):
    np.random.seed(x)
    random.seed(x)
    return (float(np.random.random()), random.random())


def worker_stream(_=None):
    i = seedpool.worker_info()
    return (i.index, i.incarnation, random.random(), float(np.random.random()), os.getpid())


def sleep(t):
    time.sleep(t)
    return t


def boom(x):
    raise ValueError(f"boom {x}")


INIT_DRAWS = {}


def init_draw(tag):
    # runs in the worker after seeding: its randomness must be seeded too
    INIT_DRAWS["value"] = (tag, random.random())


def read_init(_=None):
    i = seedpool.worker_info()
    return (i.index, i.incarnation, INIT_DRAWS.get("value"))


def die_on(x, victim=5, how="kill"):
    """Task `victim` kills its own worker (SIGKILL, or os._exit(3)); the others sleep a bit."""
    import signal

    if x == victim:
        if how == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        os._exit(3)
    time.sleep(0.01)
    return x


def import_tensorflow():
    import tensorflow  # noqa: F401  (the worker now has TF: seeded eagerly per task)


def draw_with_tf(x):
    import tensorflow as tf

    return draw(x) + (float(tf.random.uniform(())),)


class KillOnUnpickle:
    """An argument whose unpickling SIGKILLs the worker (before any task code runs)."""

    def __reduce__(self):
        return (_kill_self, ())


def _kill_self():
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def exit_zero(x):
    if x == 1:
        os._exit(0)  # skips the worker's own slot release: must still count as a death
    time.sleep(0.01)
    return x


def bit_generator_draw(x):
    if x % 2:
        return int(np.random.get_bit_generator().random_raw())
    return float(np.random.random())


def isolated_draws(_):
    with seedpool.isolate(seed=5):
        inside = (float(seedpool.rng().random()), random.random())
    seedpool.seed_everything(5)
    again = (float(seedpool.rng().random()), random.random())
    return inside, again


def crash_once(x):
    if x == 2:
        os._exit(7)
    return worker_stream(x)


def slow_worker_stream(x):
    time.sleep(0.05)  # long enough that every live worker takes some tasks
    return worker_stream(x)


def chunk_mix(x):
    """Tasks that differ in what they leave behind: a chunk's next task must not see it
    (a worker re-arms its task between the items of a chunk)."""
    out = [x, float(seedpool.rng().random())]
    if x % 2:
        out.append(random.gauss(0, 1))  # leaves a cached second normal on random's generator
        out.append(float(np.random.standard_normal()))  # and on numpy's
    else:
        out.append(random.random())
    if x % 3 == 0:
        with seedpool.ThreadPool(1) as pool:  # seed=None inside a task: the task's pools/0
            out.extend(v for r in pool.map(draw, range(2)) for v in r)
    if x % 4 == 1:
        seedpool.seed_everything()  # the task's node as the root: pools count from 0 again
        out.append(random.random())
    return out


class _DrawsWhenCollected:
    """A reference cycle whose finaliser draws: the collector may run it anywhere,
    between the items of a chunk or before the chunk's result is sent included."""

    errors: list = []

    def __init__(self):
        self.me = self

    def __del__(self):
        try:
            random.random()
            np.random.random()
            seedpool.rng().random()
        except Exception as error:  # a finaliser's error is only printed: keep it
            _DrawsWhenCollected.errors.append(repr(error))


def leave_a_drawing_cycle(x):
    """Leaves garbage that draws when collected; returns the errors seen so far here."""
    import gc

    gc.set_threshold(3)  # collect often: some collections fall between tasks
    _DrawsWhenCollected()
    return list(_DrawsWhenCollected.errors)
