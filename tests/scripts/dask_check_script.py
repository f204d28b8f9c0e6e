"""A Dask program for ``seedpool check``: Client.map and delayed -- seedpool's, keyed under
the run's root (``seedpool run`` sets SEEDPOOL_SEED), or Dask's own (``plain``); the
cluster has SEEDPOOL_WORKERS workers (``--vary-workers``), else 2.

Usage: dask_check_script.py seedpool|plain
"""
import os
import random
import sys

import dask
import distributed
import numpy as np
from distributed import LocalCluster

import seedpool
import seedpool.dask


def simulate(x):
    return round(x + random.random() + float(np.random.random()), 12)


if __name__ == "__main__":
    keyed = sys.argv[1] == "seedpool"
    n = int(os.environ.get("SEEDPOOL_WORKERS", "2"))
    make_client = seedpool.dask.Client if keyed else distributed.Client
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            make_client(cluster) as client:
        print(*client.gather(client.map(simulate, range(6))))
        noisy = (seedpool.dask.delayed if keyed else dask.delayed)(simulate)
        print(*dask.compute(*[noisy(x) for x in range(4)]))
