"""Task functions for the strict-mode tests. Each construction sits on a line marked
``# @name`` so the tests can check the reported file:line without hard-coding it."""

from __future__ import annotations

import random
import warnings

import numpy as np

import seedpool

UNSEEDED = {
    "default_rng": lambda: np.random.default_rng(),  # @default_rng
    "generator": lambda: np.random.Generator(np.random.PCG64()),  # @generator
    "randomstate": lambda: np.random.RandomState(),  # @randomstate
    "seedsequence": lambda: np.random.SeedSequence(),  # @seedsequence
    "np_seed": lambda: np.random.seed(),  # @np_seed
    "random_class": lambda: random.Random(),  # @random_class
    "random_seed": lambda: random.seed(),  # @random_seed
}

SEEDED = {
    "default_rng": lambda: np.random.default_rng(seedpool.rng().integers(2**63)),
    "generator": lambda: np.random.Generator(np.random.PCG64(5)),
    "randomstate": lambda: np.random.RandomState(5),
    "seedsequence": lambda: np.random.SeedSequence(12345),
    "np_seed": lambda: np.random.seed(5),
    "random_class": lambda: random.Random(5),
    "random_seed": lambda: random.seed(5),
    "rng": lambda: seedpool.rng().random(),
    "draws": lambda: (random.random(), np.random.random()),
}


def marker_line(name: str) -> int:
    with open(__file__) as f:
        for number, line in enumerate(f, 1):
            if line.rstrip().endswith(f"# @{name}"):
                return number
    raise LookupError(name)


def construct(name_and_table):
    """Run one construction; return the strict warnings it raised as (file, line, text)."""
    name, table = name_and_table
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (UNSEEDED if table == "unseeded" else SEEDED)[name]()
    return [(w.filename, w.lineno, str(w.message)) for w in caught
            if issubclass(w.category, seedpool.UnseededRandomnessWarning)]


def construct_raising(name):
    """Error mode: the construction must raise; return the message."""
    try:
        UNSEEDED[name]()
    except seedpool.UnseededRandomnessError as exc:
        return str(exc)
    return None
