"""Tasks of a standard multiprocessing Pool draw random numbers.

Without seeding, the numbers change every run; with ``seedpool run --pools`` the
Pool is seedpool's, each task has its own stream, and the output is the same for any
worker count. Usage: pool_draws.py [start_method]
"""
import multiprocessing
import random
import sys

import numpy as np


def draw(i):
    return i, round(random.random(), 12), round(float(np.random.random()), 12)


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1] if len(sys.argv) > 1 else "spawn")
    with ctx.Pool() as pool:
        print(type(pool).__module__, type(pool).__name__, file=sys.stderr)
        for row in pool.map(draw, range(6)):
            print(*row)
