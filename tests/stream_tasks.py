"""Task functions for tests/test_task_streams.py (importable by spawn workers)."""

from __future__ import annotations

import random

import numpy as np

import seedpool


def plain(x):
    return random.getrandbits(32)


def isolate_seeded(x):
    with seedpool.isolate(seed=99):
        inner = random.getrandbits(32)
    return [inner, random.getrandbits(32)]


def state_roundtrip(x):
    state = seedpool.get_state()
    random.seed(7)
    np.random.seed(7)
    seedpool.set_state(state)
    return random.getrandbits(32)


def seed_everything_root(x):
    root = seedpool.seed_everything()
    return [root.generate_state(4).tolist(), random.getrandbits(32)]


def _draw(_=None):
    return [random.getrandbits(32), int(np.random.randint(2**31)), int(seedpool.rng().integers(2**31))]


def nested_executor(x):
    import multiprocessing

    with seedpool.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as inner:
        first = inner.root.generate_state(4).tolist()
        value = inner.submit(_draw).result()
    with seedpool.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as inner:
        second = inner.root.generate_state(4).tolist()
    return [first, value, second]


# -- numpy's global MT19937 reached directly ------------------------------------------------
class StdNormal:
    def pdf(self, x):
        return np.exp(-x * x / 2)

    def dpdf(self, x):
        return -x * np.exp(-x * x / 2)

    def cdf(self, x):
        from scipy.special import ndtr

        return ndtr(x)


def unuran_inside(x):
    from scipy.stats.sampling import (
        NumericalInversePolynomial,
        TransformedDensityRejection,
    )

    tdr = TransformedDensityRejection(StdNormal(), random_state=None)
    pinv = NumericalInversePolynomial(StdNormal(), random_state=None)
    return [tdr.rvs(3).tolist(), pinv.rvs(3).tolist()]


_held = []


def hold_samplers():
    """Initializer: a sampler and the bit generator itself, taken before any task."""
    from scipy.stats.sampling import NumericalInversePolynomial

    _held[:] = [NumericalInversePolynomial(StdNormal(), random_state=None), np.random.get_bit_generator()]


def unuran_held(x):
    sampler, bitgen = _held
    return [int(bitgen.random_raw()), sampler.rvs(3).tolist()]
