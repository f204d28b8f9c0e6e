"""A @seedpool.ray.remote program for ``seedpool check``: tasks and an actor, keyed under
the run's root (``seedpool run`` sets SEEDPOOL_SEED); ``ray.init(num_cpus=SEEDPOOL_WORKERS)``
(``--vary-workers``), else 2."""
import os
import random

import numpy as np
import ray

import seedpool
import seedpool.ray


@seedpool.ray.remote
def simulate(x):
    return round(x + random.random() + float(np.random.random()), 12)

@seedpool.ray.remote
class Walker:
    def __init__(self):
        self.p = random.random()
    def step(self):
        self.p += random.random()
        return round(self.p, 12)

if __name__ == "__main__":
    ray.init(num_cpus=int(os.environ.get("SEEDPOOL_WORKERS", "2")), include_dashboard=False, log_to_driver=False)
    print(*ray.get([simulate.remote(x) for x in range(6)]))
    w = Walker.remote()
    print(*ray.get([w.step.remote() for _ in range(3)]))
    ray.shutdown()
