"""A seedpool pool program for ``seedpool check --strict``: clean, or with unseeded
generators in its tasks (``dirty``), under the given start method.

Usage: strict_script.py clean|dirty [start_method]
"""
import multiprocessing
import random
import sys

import numpy as np

import seedpool


def clean(i):
    return i, round(random.random(), 12), round(float(np.random.random()), 12)


def dirty(i):
    rng = np.random.default_rng()  # fresh entropy in a task
    return i, round(float(rng.random()), 12), round(random.Random().random(), 12)


if __name__ == "__main__":
    kind = sys.argv[1]
    ctx = multiprocessing.get_context(sys.argv[2] if len(sys.argv) > 2 else "spawn")
    with seedpool.Pool(2, context=ctx, seed=1) as pool:
        for row in pool.map(clean if kind == "clean" else dirty, range(6)):
            print(*row)
