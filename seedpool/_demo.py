"""``seedpool demo``: the three bugs and the fix, with real worker processes.

Every number printed is drawn in a worker process; nothing is simulated.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
from typing import Any, Callable, Sequence

import numpy as np

from ._keys import DEMO_WORKER
from ._tree import SeedTree

__all__ = ["main"]

WORKERS = 4


# -- work done in the workers (module-level: importable under spawn) -----------------
def _report_first_draw(queue: Any, tag: Any) -> None:
    queue.put((tag, float(np.random.random())))


def _seed_then_report(queue: Any, seed: Any, tag: Any) -> None:
    np.random.seed(seed)  # an int, or the 4 words of a SeedTree node
    queue.put((tag, float(np.random.random())))


def _init_plain_worker(queue: Any) -> None:
    # A plain pool worker: report the first number it would draw.
    queue.put((os.getpid(), float(np.random.random())))


def _noisy_task(x: int) -> float:
    # "augmentation": the value depends on the task and on the RNG state
    return round(x + float(np.random.random()), 6)


def _seed_worker_by_identity(seed: int) -> None:
    # The common "seed each worker" fix: seed from the worker's number.
    ident = multiprocessing.current_process()._identity
    np.random.seed(seed + (ident[-1] if ident else 0))


# -- the sections -------------------------------------------------------------------
def _run_processes(ctx: Any, target: Callable[..., None], args_per_worker: Sequence[tuple]) -> list:
    queue = ctx.Queue()
    procs = [ctx.Process(target=target, args=(queue, *args)) for args in args_per_worker]
    for p in procs:
        p.start()
    got = dict(queue.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(60)
    return [got[args[-1]] for args in args_per_worker]


def _fmt(values: Sequence[float]) -> str:
    return "  ".join(f"{v:.6f}" for v in values)


def _verdict(ok: bool, good: str, bad: str) -> str:
    return ("ok    " + good) if ok else ("BUG   " + bad)


def _section_fork() -> list[str]:
    import multiprocess

    ctx = multiprocess.get_context("fork")
    np.random.random()  # the parent uses np.random before starting the pool
    queue = ctx.Queue()
    with ctx.Pool(WORKERS, initializer=_init_plain_worker, initargs=(queue,)) as pool:
        values = [queue.get(timeout=60)[1] for _ in range(WORKERS)]
        pool.close()
        pool.join()
    distinct = len(set(values))
    return [
        "1. multiprocess.Pool under fork, after the parent called np.random.random()",
        f"   first draw per worker: {_fmt(values)}",
        "   " + _verdict(distinct == WORKERS, "distinct", f"{distinct} distinct value(s) among {WORKERS} workers: inherited state"),
    ]


def _section_spawn_top_level_seed() -> list[str]:
    from . import _demo_script  # noqa: F401  (the "script" that seeds at its top)

    ctx = multiprocessing.get_context("spawn")
    values = _run_processes(ctx, _demo_script.first_draw, [(w,) for w in range(WORKERS)])
    distinct = len(set(values))
    return [
        "2. np.random.seed(1234) at the top of the script, workers started with spawn",
        f"   first draw per worker: {_fmt(values)}",
        "   " + _verdict(distinct == WORKERS, "distinct", f"{distinct} distinct value(s): every worker re-ran the seeding line"),
    ]


def _section_additive() -> list[str]:
    ctx = multiprocessing.get_context("fork")
    run_a = _run_processes(ctx, _seed_then_report, [(1 + w, w) for w in range(WORKERS)])
    run_b = _run_processes(ctx, _seed_then_report, [(2 + w, w) for w in range(WORKERS)])
    shared = sorted(set(run_a) & set(run_b))
    return [
        "3. seed = base + worker_id; run A with base 1, run B with base 2",
        f"   run A: {_fmt(run_a)}",
        f"   run B: {_fmt(run_b)}",
        "   " + _verdict(not shared, "no overlap", f"{len(shared)} of {WORKERS} streams shared between the runs (A's worker w+1 = B's worker w)"),
    ]


def _section_tree() -> list[str]:
    ctx = multiprocessing.get_context("spawn")

    def run(seed: int) -> list:
        tree = SeedTree(seed)
        return _run_processes(ctx, _seed_then_report, [(tree.child(DEMO_WORKER, w).generate_state(4), w) for w in range(WORKERS)])

    a1, a2, b = run(1), run(1), run(2)
    ok = len(set(a1)) == WORKERS and a1 == a2 and not set(a1) & set(b)
    return [
        "4. seedpool: SeedTree(seed).child('worker', w) handed to each spawned worker",
        f"   seed 1, run 1: {_fmt(a1)}",
        f"   seed 1, run 2: {_fmt(a2)}",
        f"   seed 2       : {_fmt(b)}",
        "   " + _verdict(ok, "distinct within a run, identical across runs, no overlap between seeds", "unexpected"),
    ]


def _digest(values: Sequence[float]) -> str:
    return hashlib.sha256(repr(list(values)).encode()).hexdigest()[:12]


def _section_schedule() -> list[str]:
    from ._pool import Pool

    fork = multiprocessing.get_context("fork")
    items = range(64)
    rows = []
    plain, seeded = set(), set()
    for processes, chunksize in ((1, 1), (2, 1), (4, 1), (4, 16)):
        with fork.Pool(processes, initializer=_seed_worker_by_identity, initargs=(42,)) as pool:
            p = _digest(pool.map(_noisy_task, items, chunksize))
        with Pool(processes, seed=42, context=fork) as pool:
            s = _digest(pool.map(_noisy_task, items, chunksize))
        plain.add(p)
        seeded.add(s)
        rows.append(f"   processes={processes} chunksize={chunksize:<3}  per-worker seeds: {p}   seedpool.Pool: {s}")
    return [
        "5. the same 64-task map, per-worker seeding vs seedpool.Pool (hash of the results)",
        *rows,
        "   " + _verdict(len(plain) == 1, "per-worker seeding stable", f"per-worker seeding gave {len(plain)} different results across schedules"),
        "   " + _verdict(len(seeded) == 1, "seedpool.Pool: identical for every schedule (tasks own their streams)", "seedpool.Pool differed"),
    ]


def main(argv: Sequence[str] = ()) -> int:
    """Run every section and print the table; returns 0."""
    if argv:
        print("usage: seedpool demo", file=sys.stderr)
        return 2
    print("seedpool demo: randomness in worker processes (each value drawn in a real worker)\n")
    sections = [_section_fork, _section_spawn_top_level_seed, _section_additive, _section_tree, _section_schedule]
    for section in sections:
        if section is _section_fork and "fork" not in multiprocessing.get_all_start_methods():
            continue
        print("\n".join(section()))
        print()
    return 0
