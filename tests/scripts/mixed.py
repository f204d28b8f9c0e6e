"""random, np.random and a multiprocessing Pool, with no seeding of its own.

Reproducible only under ``seedpool run``. Every pool worker draws once in its
initializer and sends the draw to the parent (every worker runs the initializer,
whichever tasks it gets); the parent prints them sorted. A subprocess child draws too.
Usage: mixed.py [start_method]
"""
import multiprocessing as mp
import random
import subprocess
import sys

import numpy as np


def init(queue):
    queue.put((round(random.random(), 12), round(float(np.random.random()), 12)))


def square(x):
    return x * x


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1] if len(sys.argv) > 1 else "spawn")
    print("main", random.random(), np.random.random())
    queue = ctx.Queue()
    with ctx.Pool(2, initializer=init, initargs=(queue,)) as pool:
        assert pool.map(square, range(4)) == [0, 1, 4, 9]
        draws = sorted(queue.get(timeout=60) for _ in range(2))
    for d in draws:
        print("worker", *d)
    out = subprocess.run([sys.executable, "-c", "import random; print(random.random())"],
                         capture_output=True, text=True, check=True).stdout.strip()
    print("subprocess", out)
