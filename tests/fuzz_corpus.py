"""Functions for seedpool.testing's own tests: planted schedule-dependence bugs, and keyed ones.

``PLANTED``: functions whose results depend on the schedule, each of a kind users write,
with where it is found in the wild. ``tests/test_fuzz.py`` checks that the fuzzer flags
at least 90 % of them within 200 schedules each, and ``benchmarks/bench_fuzz.py`` prints
how many schedules each took. ``KEYED``: functions that draw only through the task's
streams -- the fuzzer must never flag them.

Module-level functions only (a spawned worker imports this module to run them); state
the bugs carry lives in this module's globals, as it would in a user's module.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import random
import re
import shutil
import tempfile
import threading
import time
from typing import Any, Callable, NamedTuple

import numpy as np

import seedpool

SEED = 1234


class Planted(NamedTuple):
    name: str
    fn: Callable[[Any], Any]
    kind: str
    wild: str  # where this kind of code is found, factually
    flagged: bool = True  # False: a documented blind spot of the fuzzer


# -- planted bugs ----------------------------------------------------------------------------------
def pid_seed(x):
    """Reseeds numpy's global state from the process id before drawing."""
    np.random.seed(os.getpid() % 2**32)
    return x + float(np.random.random())


def _rank() -> int:
    """The worker's number, as a user reads it off the process or thread name
    ("ForkPoolWorker-3", "LokyProcess-2", "ThreadPoolExecutor-0_1"); 0 in the main thread."""
    import multiprocessing

    name = threading.current_thread().name
    if name == "MainThread":
        name = multiprocessing.current_process().name
    digits = re.findall(r"\d+", name)
    return int(digits[-1]) if digits else 0


def seed_plus_rank(x):
    """``random.seed(SEED + rank)``: each worker its own seed, from its rank."""
    rng = random.Random(SEED + _rank())
    return x + rng.random()


_WORKER_RNG = None


def per_worker_generator(x):
    """A generator made once per process, on first use, from a fixed seed."""
    global _WORKER_RNG
    if _WORKER_RNG is None:
        _WORKER_RNG = np.random.default_rng(SEED)
    return x + float(_WORKER_RNG.random())


_MODULE_RNG = random.Random(SEED)  # seeded at import


def module_generator(x):
    """Draws from a module-level generator seeded when the module was imported."""
    return x + _MODULE_RNG.random()


class Augment:
    """A callable that keeps the generator it was given (a transform object)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def __call__(self, x):
        return x + float(self.rng.normal())


shared_generator = Augment(np.random.default_rng(SEED))  # one instance, every task


_SEQUENCE = np.random.SeedSequence(SEED)


def spawn_per_call(x):
    """Spawns a child of one shared ``SeedSequence`` per call (spawn is stateful)."""
    child = _SEQUENCE.spawn(1)[0]
    return x + float(np.random.default_rng(child).random())


_RUNNING = {"total": 0.0}


def carried_state(x):
    """Keeps a running total across calls in a global: each result depends on which
    tasks ran before it in this process."""
    _RUNNING["total"] = 0.5 * _RUNNING["total"] + random.random()
    return x + _RUNNING["total"]


def time_seed(x):
    """Reseeds numpy from the clock (microseconds) before drawing."""
    np.random.seed(int(time.time() * 1e6) % 2**32)
    return x + float(np.random.random())


@functools.lru_cache(maxsize=64)
def _noise(key: int) -> float:
    return random.random()


def cached_noise(x):
    """Memoises a random helper with functools.lru_cache: the first task to ask for a
    key in a process decides what every later task asking for it gets."""
    return x + _noise(x % 4)


_CALLS = 0


def call_counter(x):
    """Counts calls in a global and seeds from the count."""
    global _CALLS
    _CALLS += 1
    return x + float(np.random.default_rng([SEED, _CALLS]).random())


def unseeded_random(x):
    """``random.Random()``: seeded from OS entropy."""
    return x + random.Random().random()


def reseed_from_entropy(x):
    """``np.random.seed()`` with no argument: numpy's global state from OS entropy."""
    np.random.seed()
    return x + float(np.random.random())


def string_hash_seed(x):
    """Seeds from ``hash()`` of a string, which Python salts per interpreter."""
    return x + float(np.random.default_rng(hash(f"sample-{x}") % 2**32).random())


# One directory for the process that imported this first and every process it starts
# (they inherit the environment), as a project's cache directory would be.
if "SEEDPOOL_TEST_MEMO_DIR" not in os.environ:
    os.environ["SEEDPOOL_TEST_MEMO_DIR"] = tempfile.mkdtemp(prefix="seedpool-fuzz-memo-")
    _owner = os.getpid()
    atexit.register(lambda: os.getpid() == _owner and shutil.rmtree(os.environ["SEEDPOOL_TEST_MEMO_DIR"], True))
_MEMO_DIR = os.environ["SEEDPOOL_TEST_MEMO_DIR"]


def disk_memo(x):
    """Memoises a random helper on disk (joblib.Memory-like), shared by every process."""
    os.makedirs(_MEMO_DIR, exist_ok=True)
    path = os.path.join(_MEMO_DIR, f"{x % 4}.json")
    try:
        with open(path) as fh:
            value = json.load(fh)
    except (OSError, ValueError):
        value = random.random()
        tmp = f"{path}.{os.getpid()}.{threading.get_ident()}"
        with open(tmp, "w") as fh:
            json.dump(value, fh)
        os.replace(tmp, path)
    return x + value


PLANTED = (
    Planted("pid_seed", pid_seed, "np.random.seed(os.getpid())",
            "pytorch/pytorch#3880 proposed seeding DataLoader workers from the process id; the worker id was "
            "chosen instead so that a seeded run repeats"),
    Planted("seed_plus_rank", seed_plus_rank, "random.seed(SEED + rank), rank from the worker's name",
            "numpy's 'Parallel random number generation' guide marks `root_seed + worker_id` UNSAFE; "
            "uma-pi1/kge#100 (seeds from the worker number depend on which worker gets which input)"),
    Planted("per_worker_generator", per_worker_generator, "a generator made once per worker from a fixed seed",
            "igmhub/picca#429 (the same seed on every processor, so every processor drew the same numbers)"),
    Planted("module_generator", module_generator, "a module-level generator seeded at import",
            "numpy/numpy#14729 and pytorch/pytorch#5059 (forked workers inherit one generator state and "
            "draw the same numbers)"),
    Planted("shared_generator", shared_generator, "a generator kept by an object every task shares",
            "scikit-image/scikit-image#1521 (np.random shared between threads; a RandomState per use instead)"),
    Planted("spawn_per_call", spawn_per_call, "SeedSequence.spawn from several threads and workers",
            "numpy/numpy#32063 (concurrent SeedSequence.spawn calls hand out duplicate spawn keys)"),
    Planted("carried_state", carried_state, "state carried between tasks in a global",
            "rl-institut/simbev#23 and piskvorky/gensim#2953 (results depend on the order in which "
            "asynchronous tasks draw or finish)"),
    Planted("time_seed", time_seed, "reseeding from the clock",
            "eclipse-sumo/sumo#15580 (a time seed with one-second precision repeats across processes started "
            "together)"),
    Planted("cached_noise", cached_noise, "a cache of random values (functools.lru_cache)",
            "EleutherAI/lm-evaluation-harness#3839 (a response cache keyed without the repeat index returned "
            "one sample for K repeats)"),
    Planted("call_counter", call_counter, "counting calls in a global and seeding from the count",
            "mlcommons/storage#278 (a request counter that restarts at 0 in every worker made every worker "
            "generate the same data)"),
    Planted("unseeded_random", unseeded_random, "random.Random() with no seed",
            "funkelab/gunpowder#77 (workers reseeded from OS entropy so that they differ: no longer repeatable)"),
    Planted("reseed_from_entropy", reseed_from_entropy, "np.random.seed() with no argument",
            "pints-team/pints#1358 (proposed np.random.seed() at the start of each subprocess, noting that "
            "results would then not be reproducible)"),
    Planted("string_hash_seed", string_hash_seed, "a seed from hash() of a string (salted per interpreter)",
            "PolicyEngine/policyengine-core#455, proteneer/timemachine#983, fvutils/pyvsc#117 (seeds from "
            "hash() of strings changed with every new interpreter)"),
    Planted("disk_memo", disk_memo, "a cache of random values on disk, shared by all processes (joblib.Memory-like)",
            "Grid2op/grid2op#616 (results not reproducible with a cache on); the fuzzer's blind spot: the "
            "first schedule fills the cache and every later run, the reference included, reads it",
            flagged=False),
)


# -- keyed functions: the fuzzer must never flag these ---------------------------------------------
def keyed_all(x):
    """One value from every generator seedpool keys."""
    return (x, random.random(), float(np.random.random()), float(seedpool.rng().random()))


def keyed_python(x):
    items = list(range(6))
    random.shuffle(items)
    return (x, random.gauss(0, 1), random.randint(0, 10**9), items)


def keyed_numpy(x):
    return np.concatenate([np.random.normal(size=3), np.random.permutation(4).astype(float), [x]])


def keyed_derived_generator(x):
    """A local generator derived from the task's own stream."""
    rng = np.random.default_rng(int(seedpool.rng().integers(2**63)))
    return (x, rng.standard_normal(2).tolist())


def keyed_seed_everything(x):
    """seed_everything() inside a task reseeds from the task's node."""
    seedpool.seed_everything()
    return (x, random.random(), float(np.random.random()))


def _inner_draw(y):
    return (y, random.random(), float(seedpool.rng().random()))


def keyed_nested_thread_pool(x):
    """A ThreadPool opened with seed=None inside the task: keyed under the task."""
    with seedpool.ThreadPool(2) as pool:
        return (x, pool.map(_inner_draw, range(3)))


def keyed_nested_thread_executor(x):
    with seedpool.ThreadPoolExecutor(2) as ex:
        return (x, [f.result() for f in [ex.submit(_inner_draw, y) for y in range(3)]])


KEYED = (keyed_all, keyed_python, keyed_numpy, keyed_derived_generator, keyed_seed_everything,
         keyed_nested_thread_pool, keyed_nested_thread_executor)


def noop(x):
    return x


def sleepy(x):
    time.sleep(60)
    return x
