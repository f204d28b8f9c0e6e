"""The schedule fuzzer's speed, and how many schedules each planted bug takes to be found.

    python benchmarks/bench_fuzz.py [--items 32] [--steady 30] [--runs 3] [--trials 100] [--no-detect]

Figures (issue 23), for schedules of ``--items`` no-op items on the local engines:

1. per engine, a schedule on an engine already open (worker count and start method
   fixed, entry point and chunk size drawn), median (min) over ``--steady`` schedules,
   beside the same engine's own ``map`` of the items without the fuzzer (the plain
   alternative, same run): what a reused engine costs per schedule;
2. whole fuzz runs in a fresh ``Fuzzer`` -- ``--trials`` schedules drawn by the default
   rules (nesting and killed workers included, then flat only), every start-up paid --
   ms per schedule and schedules per second, median (min) over ``--runs`` schedule
   seeds; target <= 50 ms per schedule on average;
3. the planted-bug corpus (``tests/fuzz_corpus.py``): schedules to the first detection
   per bug and schedule seed (at most 200; ``-`` = not found), as ``tests/test_fuzz.py``
   runs it.

Exit status 1 if a keyed run was flagged (the fuzzer itself would be wrong).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from dataclasses import replace

import _common  # noqa: F401  (puts the repo and this directory on sys.path)
from _common import ROOT, Row, load_average, median, minimum, print_table

sys.path.insert(0, os.path.join(ROOT, "tests"))
import fuzz_corpus as C  # noqa: E402

from seedpool import _fuzz  # noqa: E402
from seedpool.testing import Fuzzer, ScheduleDependenceError  # noqa: E402

TARGET_MS = 50.0
SEEDS = (1, 2, 3, 5, 8)


def noop(x):
    return x


def _plain_ms(engine: str, items: list, rounds: int) -> list[float]:
    """The engine's own map of the items, warm, without the fuzzer."""
    import multiprocessing

    import seedpool

    opened: object
    if engine in ("pool", "thread_pool"):
        opened = (seedpool.Pool(2, context=multiprocessing.get_context("fork"), seed=0) if engine == "pool"
                  else seedpool.ThreadPool(2, seed=0))
        run = lambda: opened.map(noop, items)  # noqa: E731
    elif engine in ("process_executor", "thread_executor"):
        opened = (seedpool.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"), seed=0)
                  if engine == "process_executor" else seedpool.ThreadPoolExecutor(2, seed=0))
        run = lambda: list(opened.map(noop, items))  # noqa: E731
    else:
        from joblib import delayed

        from seedpool.joblib import Parallel

        opened = Parallel(n_jobs=2, backend=engine.split("_", 1)[1], seed=0).__enter__()
        run = lambda: opened(delayed(noop)(x) for x in items)  # noqa: E731
    run()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        run()
        times.append(1e3 * (time.perf_counter() - t0))
    close = getattr(opened, "terminate", None) or getattr(opened, "shutdown", None)
    if close is not None:
        close()
    else:
        opened.__exit__(None, None, None)  # type: ignore[attr-defined]
    return times


def steady(items: list, n: int) -> list[Row]:
    rows = []
    chooser = _fuzz.RandomChooser(7)
    with Fuzzer() as fuzzer:
        for engine in _fuzz.LOCAL_ENGINES:
            start = "fork" if _fuzz.ENGINES[engine].start_methods else None
            drawn = [replace(_fuzz.draw_schedule(chooser, [engine], 2, len(items), nesting=False, kill=False),
                             workers=2, start_method=start) for _ in range(n + 1)]
            fuzzer.check(noop, items, drawn[0])  # the start-up and the reference
            times = []
            for schedule in drawn[1:]:
                t0 = time.perf_counter()
                fuzzer.check(noop, items, schedule)
                times.append(1e3 * (time.perf_counter() - t0))
            plain = _plain_ms(engine, items, n)
            rows.append(Row(f"{engine}: a schedule on the open engine", median(times), minimum(times), "ms",
                            target=TARGET_MS))
            rows.append(Row(f"{engine}: its own map, no fuzzer", median(plain), minimum(plain), "ms"))
    return rows


INNER = list(_fuzz.LOCAL_ENGINES)  # every local engine as the inner one too


def whole_runs(items: list, runs: int, trials: int) -> tuple[list[Row], bool]:
    rows, ok = [], True
    for label, nesting, kill in (("default rules (nesting, killed workers)", INNER, True),
                                 ("flat schedules (no nesting, no kills)", False, False)):
        per, rates = [], []
        for seed in SEEDS[:runs]:
            t0 = time.perf_counter()
            try:
                with Fuzzer() as fuzzer:
                    fuzzer.fuzz(C.keyed_all, items, trials=trials, schedule_seed=seed, nesting=nesting, kill=kill,
                                engines=_fuzz.LOCAL_ENGINES)
            except ScheduleDependenceError as error:
                print(f"a keyed function was flagged: {error}")
                ok = False
            seconds = time.perf_counter() - t0
            per.append(1e3 * seconds / trials)
            rates.append(trials / seconds)
        rows.append(Row(f"fuzz run, {label}: per schedule, start-ups included", median(per), minimum(per), "ms",
                        target=TARGET_MS))
        rows.append(Row(f"fuzz run, {label}: schedules per second", median(rates), min(rates), "/s"))
    return rows, ok


def detection(runs: int) -> None:
    seeds = SEEDS[:runs]
    print(f"\nPlanted bugs: schedules to the first detection (of at most 200; '-' = not found), "
          f"schedule seeds {', '.join(map(str, seeds))}\n")
    print(f"| {'planted bug':<22} | {'kind':<58} | " + " | ".join(f"seed {s}" for s in seeds) + " |")
    print(f"|{'-' * 24}|{'-' * 60}|" + "|".join("-" * 8 for _ in seeds) + "|")
    with Fuzzer() as fuzzer:
        for bug in C.PLANTED:
            cells = []
            for seed in seeds:
                try:
                    fuzzer.fuzz(bug.fn, range(32), trials=200, schedule_seed=seed, nesting=INNER)
                    cells.append("-")
                except ScheduleDependenceError as error:
                    cells.append(str(error.trial + 1))
            print(f"| {bug.name:<22} | {bug.kind[:58]:<58} | " + " | ".join(f"{c:>6}" for c in cells) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=32)
    parser.add_argument("--steady", type=int, default=30, help="schedules per engine on an open engine")
    parser.add_argument("--runs", type=int, default=3, help="fuzz runs (schedule seeds) per figure")
    parser.add_argument("--trials", type=int, default=100, help="schedules per fuzz run")
    parser.add_argument("--no-detect", action="store_true", help="skip the planted-bug table")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message=r".*parallel loops cannot be", category=UserWarning)
    items = list(range(args.items))
    print(f"bench_fuzz: {args.items} no-op items per schedule, local engines, load average {load_average()}")
    rows = steady(items, args.steady)
    more, ok = whole_runs(items, args.runs, args.trials)
    print_table(rows + more, f"Schedule cost ({args.items} no-op items; median (min); target <= {TARGET_MS:g} ms)")
    if not args.no_detect:
        detection(args.runs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
