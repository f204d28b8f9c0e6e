"""Scenarios of issue 22 that need a fresh process (and, for joblib, real loky workers).

Usage: reliability_checks.py SCENARIO [ARGS...]; prints its result as JSON (last line).
Run by tests/test_reliability.py in a subprocess with a timeout.

reseed
    ``seedpool.seed_everything()`` (no argument) inside thread tasks and ``task_scope``:
    whether ``SEEDPOOL_SEED`` stayed as it was, and what later ``seed=None`` pools draw.
carry
    a plain ``joblib.Parallel`` call, a keyed ``seedpool.joblib`` call and a plain call
    again on the same two loky workers: what each worker's plain draws should be (from
    its state before the keyed call) and what they were.
strict MODE...
    one keyed ``seedpool.joblib`` call per MODE (off, warn or error: the caller's
    ``seedpool.strict`` around that call) on the same two loky workers; each task makes
    an unseeded numpy Generator and says what strict mode did.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import sys
import tempfile
import time
import warnings

import numpy as np
from joblib import Parallel, delayed

import seedpool
import seedpool.joblib

BASE = tempfile.mkdtemp()


def rendezvous() -> str:
    """A fresh folder for :func:`meet`: two tasks that meet there run on two workers."""
    return tempfile.mkdtemp(dir=BASE)


def meet(folder: str) -> None:
    open(os.path.join(folder, str(os.getpid())), "w").close()
    deadline = time.monotonic() + 60
    while len(os.listdir(folder)) < 2:
        if time.monotonic() > deadline:
            raise TimeoutError("the other worker never came")
        time.sleep(0.02)


# -- reseed --------------------------------------------------------------------------------------
def reseed_task(x):
    seedpool.seed_everything()
    return random.random()


def draw(x):
    return random.random(), float(np.random.random())


def later_pools() -> list:
    with seedpool.ThreadPool(2) as pool:
        threads = pool.map(draw, range(4))
    with seedpool.Pool(2) as pool:
        processes = pool.map(draw, range(4))
    return [threads, processes]


def reseed() -> dict:
    def run(how: str, n: int) -> None:
        if how == "ThreadPool":
            with seedpool.ThreadPool(n, seed=9) as pool:
                pool.map(reseed_task, range(6))
        elif how == "ThreadPoolExecutor":
            with seedpool.ThreadPoolExecutor(n, seed=9) as ex:
                list(ex.map(reseed_task, range(6)))
        elif how == "joblib n_jobs=1":
            seedpool.joblib.Parallel(n_jobs=1, seed=9)(delayed(reseed_task)(i) for i in range(6))
        elif how == "joblib threading":
            seedpool.joblib.Parallel(n_jobs=n, backend="threading", seed=9)(delayed(reseed_task)(i) for i in range(6))
        elif how == "task_scope":
            with seedpool.task_scope(seedpool.SeedTree(9)):
                reseed_task(0)

    seedpool.seed_everything(5)
    out: dict = {"baseline": later_pools()}
    for how in ("ThreadPool", "ThreadPoolExecutor", "joblib n_jobs=1", "joblib threading", "task_scope"):
        for n in (1, 3):
            seedpool.seed_everything(5)
            env = os.environ["SEEDPOOL_SEED"]
            run(how, n)
            out[f"{how}, {n}"] = {"env kept": os.environ["SEEDPOOL_SEED"] == env, "later": later_pools()}
    return out


# -- carry ---------------------------------------------------------------------------------------
def state(folder):
    meet(folder)
    return os.getpid(), pickle.dumps((random.getstate(), np.random.get_state()))


def keyed_draws(folder):
    meet(folder)
    return [random.random() for _ in range(4)], [float(np.random.random()) for _ in range(4)]


def plain_draws(folder):
    meet(folder)
    return os.getpid(), [random.random(), random.random()], [float(np.random.random()), float(np.random.random())]


def carry() -> dict:
    folder = rendezvous()
    before = dict(Parallel(n_jobs=2)(delayed(state)(folder) for _ in range(2)))
    folder = rendezvous()
    keyed = seedpool.joblib.Parallel(n_jobs=2, seed=3)(delayed(keyed_draws)(folder) for _ in range(2))
    folder = rendezvous()
    after = Parallel(n_jobs=2)(delayed(plain_draws)(folder) for _ in range(2))
    expected, got = {}, {}
    for pid, py, npy in after:
        py_state, np_state = pickle.loads(before[pid])
        r, rs = random.Random(), np.random.RandomState()
        r.setstate(py_state)
        rs.set_state(np_state)
        expected[pid] = [[r.random(), r.random()], [float(rs.random_sample()), float(rs.random_sample())]]
        got[pid] = [py, npy]
    return {"workers": sorted(before), "after_workers": sorted(got), "expected": expected, "got": got,
            "keyed": keyed}


# -- strict --------------------------------------------------------------------------------------
def strict_probe(folder):
    meet(folder)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            np.random.default_rng()
        except seedpool.UnseededRandomnessError:
            return os.getpid(), "error"
    warned = any(issubclass(w.category, seedpool.UnseededRandomnessWarning) for w in caught)
    return os.getpid(), "warn" if warned else "off"


def strict(*modes: str) -> list:
    out = []
    for mode in modes:
        folder = rendezvous()
        with seedpool.strict(None if mode == "off" else mode):
            out.append(seedpool.joblib.Parallel(n_jobs=2, seed=1)(delayed(strict_probe)(folder) for _ in range(2)))
    return out


if __name__ == "__main__":
    name, *args = sys.argv[1:]
    print(json.dumps(globals()[name](*args)))
