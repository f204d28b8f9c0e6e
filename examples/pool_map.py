"""A noisy "augmentation" map through seedpool.Pool: the same numbers for any worker count.

    python examples/pool_map.py --seed 42
    SEEDPOOL_WORKERS=1 python examples/pool_map.py --seed 42   # same output
"""

from __future__ import annotations

import argparse
import random

import numpy as np

import seedpool


def augment(x: int) -> float:
    # numpy's and Python's global generators, as most code uses them
    return round(x + np.random.normal() + random.uniform(-1, 1), 12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with seedpool.Pool(seed=args.seed) as pool:  # processes=None: SEEDPOOL_WORKERS or the CPUs
        first = pool.map(augment, range(8))
        second = pool.map(augment, range(8))  # the next call: a new draw, also reproducible
    print(first)
    print(second)


if __name__ == "__main__":
    main()
