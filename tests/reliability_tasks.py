"""Task functions for tests/test_reliability.py (importable by worker processes)."""

from __future__ import annotations

import random
import sys

import numpy as np

import seedpool


def draw(_=None):
    return [random.getrandbits(32), int(np.random.randint(2**31)), int(seedpool.rng().integers(2**31))]


def set_pcg64_then_draw(i):
    """numpy allows both: another bit generator for the global state, then seed() on it."""
    np.random.set_bit_generator(np.random.PCG64(i))
    first = int(np.random.randint(2**31))
    np.random.seed(7)
    return [first, int(np.random.randint(2**31))]


def hand_out_bit_generator(_):
    return np.random.get_bit_generator()


def refused_seed_then_draw(_):
    """strict "error": the refused random.seed() / np.random.seed() must not leave the
    stream marked as seeded by the task (its next draw would be a spare's leftover)."""
    for refused in (random.seed, np.random.seed):
        try:
            refused()
        except seedpool.UnseededRandomnessError:
            pass
    return draw()


def exit_on_two(i):
    if i == 2:
        sys.exit(3)
    return i


def interrupt_on_one(i):
    if i == 1:
        raise KeyboardInterrupt
    return i
