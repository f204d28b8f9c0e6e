"""Binds numpy's and random's draws at import, before any hooks (strict-mode tests)."""

from random import random as bound_random  # noqa: F401

from numpy.random import rand as bound_rand  # noqa: F401


def draw_bound_numpy(x):
    return (x, float(bound_rand()))


def draw_bound_python(x):
    return (x, bound_random())


def unuran(x):
    """scipy's UNU.RAN sampler with random_state=None draws from numpy's global MT19937 in C."""
    from scipy.stats import norm
    from scipy.stats.sampling import TransformedDensityRejection

    class StdNormal:
        def pdf(self, v):
            return float(norm.pdf(v))

        def dpdf(self, v):
            return float(-v * norm.pdf(v))

    sampler = TransformedDensityRejection(StdNormal(), random_state=None)
    return (x, float(sampler.rvs(1)[0]))


def clean(x):
    import random

    import numpy as np

    return (x, random.random(), float(np.random.random()))
