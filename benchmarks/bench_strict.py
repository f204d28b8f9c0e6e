"""Strict mode's cost: seedpool.Pool(2) with strict mode off vs on, one run, paired rounds.

    python benchmarks/bench_strict.py [--tasks 100000] [--rounds 13]

Three pools alive at once (fork): ``off`` (strict mode never switched on), ``off-b`` (a
second one: off-b - off is the noise floor), ``on`` (created under ``seedpool.strict("warn")``,
so its workers check every task). Figures are CPU time per task (parent + workers, see
bench_pool.py), medians over rounds of paired differences:

    on - off, no-op tasks       target <= 0.5 us per task (issue 14)
    off-b - off                 the noise floor (strict off installs nothing: zero cost)
    on - off, tasks drawing once from random and np.random (reference)
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from bench_pool import paired, run_block

import _common  # noqa: F401  (puts the repo and this directory on sys.path)
import _tasks
import seedpool
from _common import Row, load_average, median, minimum, print_table

TARGET_STRICT_US = 0.5


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=13)
    args = ap.parse_args(argv)
    n, rounds = args.tasks, args.rounds
    print(f"bench_strict: python {sys.version.split()[0]}, numpy {np.__version__}, "
          f"loadavg {load_average()}\nseedpool from {seedpool.__file__}")
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    off = seedpool.Pool(2, seed=1, context=ctx)
    off_b = seedpool.Pool(2, seed=1, context=ctx)
    with seedpool.strict("warn"):
        on = seedpool.Pool(2, seed=1, context=ctx)
    problems: list[str] = []
    try:
        items = range(n)
        expected = off.map(_tasks.draw, range(200))
        if on.map(_tasks.draw, range(200)) != expected:
            problems.append("strict mode changed the tasks' draws")

        def check(name: str, out: object) -> None:
            if name.endswith("noop") and out != list(items):
                problems.append(f"{name}: wrong results")

        def mapper(func):  # type: ignore[no-untyped-def]
            return lambda pool: pool.map(func, items)

        print("\ntiming (variants interleaved, order rotated each round):")
        noop = run_block("no-op", {
            "off/noop": (off, mapper(_tasks.noop)),
            "off-b/noop": (off_b, mapper(_tasks.noop)),
            "on/noop": (on, mapper(_tasks.noop)),
        }, 2 * rounds, check)
        draw = run_block("draw", {
            "off/draw": (off, mapper(_tasks.draw)),
            "on/draw": (on, mapper(_tasks.draw)),
        }, rounds, check)
    finally:
        for pool in (off, off_b, on):
            pool.terminate()

    def per_task(a: list[float], b: list[float]) -> list[float]:
        return paired(a, b, lambda x, y: (x - y) / n * 1e6)

    on_noop = per_task(noop["on/noop"]["cpu"], noop["off/noop"]["cpu"])
    floor = per_task(noop["off-b/noop"]["cpu"], noop["off/noop"]["cpu"])
    on_draw = per_task(draw["on/draw"]["cpu"], draw["off/draw"]["cpu"])
    print_table([
        Row("strict on - off, no-op task (CPU)", median(on_noop), minimum(on_noop), "us", TARGET_STRICT_US),
        Row("second off pool - off (noise floor)", median(floor), minimum(floor), "us",
            target_text="strict off: nothing installed"),
        Row("strict on - off, draw task (CPU)", median(on_draw), minimum(on_draw), "us"),
    ], f"strict mode, {n:,} tasks per map, 2 workers")
    for p in problems:
        print("PROBLEM:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
