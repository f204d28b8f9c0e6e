"""@seedpool.ray.remote scenarios under one ``ray.init(num_cpus=N, include_dashboard=False)``;
prints the results as JSON (last line). Run by tests/test_ray_native.py (and the key
layout's golden test) in a subprocess with a timeout; every Ray process is killed after.

Usage: ray_native_checks.py NUM_CPUS MARKER_DIR [keys]
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings

import ray
import ray_native_tasks as T
import strict_tasks

import seedpool

SEED = 2025
ITEMS = [5, 5, 1, 2, 3, 4, 5, 6]  # equal items must still draw independently


def workload(marker_dir: str) -> dict:
    """The same seeded calls, in the same order, whatever the cluster: the driver's
    seeded .remote() calls are numbered 0, 1, 2... in this order."""
    seedpool.seed_everything(SEED)
    out: dict = {}
    out["flat"] = ray.get([T.draw.remote(x) for x in ITEMS])                 # k = 0..7
    out["options"] = ray.get(T.draw_with_options.options(num_cpus=0.5).remote(70))  # k = 8
    out["jitter"] = ray.get([T.jitter.remote(x) for x in range(6)])         # k = 9..14
    out["nested"] = ray.get([T.outer.remote(x, 3) for x in range(3)])       # k = 15..17
    walker = T.Walker.remote(1.0)                                           # k = 18
    out["actor"] = ray.get([walker.step.remote(s) for s in (1.0, 0.5, 2.0)])  # calls 0..2
    out["actor_first"] = ray.get(walker.first.remote())                     # call 3
    out["actor_spawn"] = ray.get(walker.spawn.remote(2))                    # call 4
    out["retry"] = ray.get([T.fail_once.remote(x, marker_dir) for x in range(3)])  # k = 19..21
    out["killed"] = ray.get([T.die_once.remote(x, marker_dir) for x in range(4)])   # k = 22..25
    out["died"] = os.path.exists(os.path.join(marker_dir, "died-2"))
    return out


def controls(num_cpus: int) -> dict:
    """Plain @ray.remote with a seed passed by hand."""
    deadline = time.monotonic() + 30
    while ray.available_resources().get("CPU", 0) < num_cpus and time.monotonic() < deadline:
        time.sleep(0.1)  # every CPU free (a killed actor's may come back late)
    same = ray.get([T.plain_same_seed.remote(x, 7) for x in range(4)])
    once = ray.get([T.plain_seed_once.remote(x, 7) for x in range(6)])
    return {"same_seed": same, "seed_once": once}


def strict() -> dict:
    out = {}
    with seedpool.strict("warn"):
        out["unseeded"] = ray.get([T.construct.remote((n, "unseeded")) for n in strict_tasks.UNSEEDED])
        out["seeded"] = ray.get([T.construct.remote((n, "seeded")) for n in strict_tasks.SEEDED])
    with seedpool.strict("error"):
        out["raising"] = ray.get(T.construct_raising.remote("default_rng"))
    out["off"] = ray.get(T.construct.remote(("default_rng", "unseeded")))  # strict mode off again
    return out


def unseeded() -> list:
    """No root: each call is keyed by fresh entropy."""
    from seedpool._state import seeding

    seeding._reset_for_tests()
    os.environ.pop("SEEDPOOL_SEED", None)
    return ray.get([T.draw.remote(0) for _ in range(2)])


def keys() -> dict:
    """What the key layout's golden test pins (tests/test_key_layout.py): integer draws."""
    seedpool.seed_everything(1234)
    out = {"driver": ray.get([T.int_draw.remote(i) for i in range(2)])}   # k = 0, 1
    out["nested"] = ray.get(T.int_outer.remote(2))                        # k = 2
    walker = T.IntWalker.remote()                                         # k = 3
    out["actor"] = [ray.get(walker.draw.remote()), ray.get(walker.spawn.remote())]  # calls 0, 1
    return out


def main(num_cpus: int, marker_dir: str, what: str) -> dict:
    if what == "keys":
        return keys()
    out = {"run1": workload(marker_dir)}
    if num_cpus == 2:
        out["run2"] = workload(marker_dir)  # run after run, on workers with a history
        record = os.environ.get("SEEDPOOL_RECORD")
        out["record"] = bool(record)
        out["strict"] = strict()
        counter = T.Counter.remote()  # k = 44: after run 2's 26 calls and strict()'s 18
        first, second = counter.pair.remote()  # @ray.method(num_returns=2) kept
        out["pair"] = [ray.get(first), ray.get(second),
                       ray.get(counter.__ray_call__.remote(lambda self: self.n))]
        ray.kill(counter)
    if num_cpus == 2:
        # SEEDPOOL_SEED was set before ray.init: every worker process has that root.
        out["plain_submitters"] = ray.get([T.plain_submitter.remote() for _ in range(2)])
    out["controls"] = controls(num_cpus)
    out["unseeded"] = unseeded()
    return out


if __name__ == "__main__":
    cpus, marker, *rest = sys.argv[1:]
    warnings.simplefilter("ignore")
    ray.init(num_cpus=int(cpus), include_dashboard=False)
    try:
        result = main(int(cpus), marker, rest[0] if rest else "all")
    finally:
        ray.shutdown()
    print(json.dumps(result))
