"""The same Monte-Carlo run on seedpool.Pool and on a Dask cluster: the same numbers.

    python examples/dask_cluster.py --seed 7
    python examples/dask_cluster.py --seed 7 --workers 1 --threads 2   # same hashes

Each task estimates pi from its own random points. A task's streams depend only on the
seed, the call and the task's position, so a laptop pool and a cluster of any shape
give bit-identical estimates; the two hashes printed are equal (exit status 1 if not).
"""

from __future__ import annotations

import argparse
import hashlib
import random

import numpy as np
from distributed import Client, LocalCluster

import seedpool
import seedpool.dask


def estimate_pi(n_points: int) -> float:
    # numpy's global generator, Python's random and seedpool.rng(), as real code mixes them
    xy = np.random.random((n_points, 2))
    inside = int(((xy ** 2).sum(axis=1) <= 1.0).sum())
    jitter = random.random() * 1e-9 + seedpool.rng().random() * 1e-9
    return 4.0 * inside / n_points + jitter


def digest(values: list) -> str:
    return hashlib.sha256(np.asarray(values, dtype=np.float64).tobytes()).hexdigest()[:16]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tasks", type=int, default=64)
    parser.add_argument("--points", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per Dask worker")
    args = parser.parse_args()
    work = [args.points] * args.tasks  # equal items: Dask would run them once without the position key

    with seedpool.Pool(2, seed=args.seed) as pool:
        local = pool.map(estimate_pi, work)

    with LocalCluster(n_workers=args.workers, threads_per_worker=args.threads, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        with seedpool.dask.Executor(client, seed=args.seed) as ex:
            remote = list(ex.map(estimate_pi, work))

    print(f"seedpool.Pool        pi ~ {np.mean(local):.6f}  sha256 {digest(local)}")
    print(f"Dask {args.workers}x{args.threads} cluster   pi ~ {np.mean(remote):.6f}  sha256 {digest(remote)}")
    same = digest(local) == digest(remote)
    print("identical" if same else "DIFFERENT")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
