"""Task functions and estimators for the joblib tests (importable by every backend's workers)."""

from __future__ import annotations

import os
import random
from random import randint  # bound at import: must still be seeded per task

import numpy as np

import seedpool


def draw(x):
    """One value from every generator a task might use, plus the input."""
    return [x, random.random(), float(np.random.random()), float(seedpool.rng().random())]


def draw_many(x):
    return [x, randint(0, 10**9), float(np.random.standard_normal()), random.gauss(0, 1),
            float(np.random.mtrand._rand.random_sample())]


def noop(x):
    return x


def busy(seconds):
    """~``seconds`` of CPU, then one draw (for the 1 ms benchmark)."""
    import time

    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass
    return random.random()


def nested(x, n_jobs=2, backend="threading"):
    """A task that itself runs a plain joblib.Parallel (as scikit-learn nests them)."""
    from joblib import Parallel, delayed

    return [x, random.random()] + Parallel(n_jobs=n_jobs, backend=backend)(delayed(draw)(j) for j in range(3))


def fail_at(x, bad):
    if x == bad:
        raise ValueError(f"task {x} fails")
    return draw(x)


def probe(_=None):
    """What a plain task sees of seedpool's per-task state in the process that runs it."""
    from seedpool._state import context as _context
    from seedpool._state import scopes as _lazy

    joblib_mod = __import__("sys").modules.get("seedpool.joblib")
    active = None if joblib_mod is None else joblib_mod._here.keying
    return [os.getpid(), _lazy.current_scope() is None, _context.local.state.provider is None, active is None]


def caller_pid(_=None):
    return os.getpid()


# -- scikit-learn estimators that draw from np.random's global state ------------------------
try:
    from sklearn.base import BaseEstimator, ClassifierMixin
except ImportError:  # the sklearn tests are skipped then
    BaseEstimator = ClassifierMixin = object  # type: ignore[assignment,misc]


class NoisyFit(ClassifierMixin, BaseEstimator):
    """A linear classifier with random weights drawn in ``fit`` from ``np.random``."""

    def __init__(self, scale=1.0):
        self.scale = scale

    def fit(self, X, y):
        self.w_ = np.random.randn(X.shape[1]) * self.scale + random.random()
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return (X @ self.w_ > 0).astype(int)


class NoisyPredict(NoisyFit):
    """Also draws in ``predict`` (so permutation_importance's tasks draw)."""

    def predict(self, X):
        return (X @ self.w_ + np.random.randn(len(X)) > 0).astype(int)
