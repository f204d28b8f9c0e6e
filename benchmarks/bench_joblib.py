"""seedpool.joblib.Parallel against plain joblib.Parallel (loky, 2 workers), in one run.

    python benchmarks/bench_joblib.py [--tasks 20000] [--work-tasks 400] [--rounds 9]

Variants (all on joblib's one reusable loky executor, so the same two worker processes
run every variant; the task functions live in ``_tasks.py`` and are pickled by
reference):

    plain      joblib.Parallel(n_jobs=2)
    plain-b    the same again: plain-b - plain is the noise floor; "plain" in the
               figures is the per-round mean of the two
    seeded     seedpool.joblib.Parallel(n_jobs=2, seed=1)
    block      joblib.Parallel(n_jobs=2) inside ``with seedpool.joblib.seeded(1):``

In round r the variants run in an order rotated by r; each difference or ratio is taken
between runs of the same round, then the median (and min) over rounds is reported.

1. no-op tasks (``--tasks`` items, batch_size="auto"): overhead per task =
   (seeded - plain) / tasks, target <= 1 us (issue 12); the same for ``seeded()``.
2. ~1 ms of non-random work per task (``--work-tasks`` items): seeded / plain, target
   <= 1.05x.
3. tasks drawing once from ``random`` and ``np.random`` (a real reseed per task): the
   overhead per task, for reference (no target).

Exit status 1 only if results differ from plain joblib's on non-random tasks.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, Callable

import joblib

import _common  # noqa: F401  (puts the repo and this directory on sys.path)
import _tasks
import seedpool.joblib
from _common import Row, load_average, median, minimum, print_table

TARGET_TASK_OVERHEAD_US = 1.0
TARGET_WORK_RATIO = 1.05


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = run()
    return time.perf_counter() - t0, out


def variants(func: Callable[..., Any], items: list) -> dict[str, Callable[[], Any]]:
    def plain() -> Any:
        return joblib.Parallel(n_jobs=2)(joblib.delayed(func)(x) for x in items)

    def seeded() -> Any:
        return seedpool.joblib.Parallel(n_jobs=2, seed=1)(joblib.delayed(func)(x) for x in items)

    def block() -> Any:
        with seedpool.joblib.seeded(1):
            return joblib.Parallel(n_jobs=2)(joblib.delayed(func)(x) for x in items)

    return {"plain": plain, "plain-b": plain, "seeded": seeded, "block": block}


def rounds(func: Callable[..., Any], items: list, n_rounds: int) -> tuple[dict[str, list[float]], dict[str, Any]]:
    runs = variants(func, items)
    names = list(runs)
    times: dict[str, list[float]] = {name: [] for name in names}
    outputs: dict[str, Any] = {}
    for name in names:  # warm-up: workers started, modules imported, caches filled
        outputs[name] = runs[name]()
    for r in range(n_rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            seconds, _ = timed(runs[name])
            times[name].append(seconds)
    return times, outputs


def per_round(times: dict[str, list[float]], fn: Callable[[float, float], float], name: str) -> list[float]:
    plain = [(a + b) / 2 for a, b in zip(times["plain"], times["plain-b"])]
    return [fn(v, p) for v, p in zip(times[name], plain)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=20000)
    ap.add_argument("--work-tasks", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=9)
    args = ap.parse_args(argv)
    print(f"joblib {joblib.__version__}, loky, n_jobs=2; load average {load_average()}")
    ok = True
    rows: list[Row] = []

    # 1. no-op tasks
    items = list(range(args.tasks))
    times, outputs = rounds(_tasks.noop, items, 2 * args.rounds)
    ok &= all(out == items for out in outputs.values())
    us = lambda v, p: (v - p) / args.tasks * 1e6  # noqa: E731
    plain_us = [t / args.tasks * 1e6 for t in times["plain"]]
    rows.append(Row("plain joblib, no-op, per task", median(plain_us), minimum(plain_us), "us"))
    floor = [(b - a) / args.tasks * 1e6 for a, b in zip(times["plain"], times["plain-b"])]
    rows.append(Row("noise floor (plain-b - plain), per task", median(floor), minimum(floor), "us"))
    for name, label in (("seeded", "Parallel(seed=1)"), ("block", "seeded(1) + plain Parallel")):
        d = per_round(times, us, name)
        rows.append(Row(f"{label} - plain, no-op, per task", median(d), minimum(d), "us",
                        TARGET_TASK_OVERHEAD_US))

    # 2. ~1 ms of work per task
    k = _tasks.calibrate(1e-3)
    work_items = [k] * args.work_tasks
    times, outputs = rounds(_tasks.work, work_items, args.rounds)
    ok &= len({tuple(out) for out in outputs.values()}) == 1
    for name, label in (("seeded", "Parallel(seed=1)"), ("block", "seeded(1) + plain Parallel")):
        ratio = per_round(times, lambda v, p: v / p, name)
        rows.append(Row(f"{label} / plain, ~1 ms tasks", median(ratio), minimum(ratio), "x", TARGET_WORK_RATIO))

    # 3. one draw from each generator per task (reference)
    n_draw = max(1000, args.tasks // 4)
    times, _ = rounds(_tasks.draw, list(range(n_draw)), args.rounds)
    d = per_round(times, lambda v, p: (v - p) / n_draw * 1e6, "seeded")
    rows.append(Row("Parallel(seed=1) - plain, 1 draw each from random+np.random", median(d), minimum(d), "us"))

    print_table(rows, f"seedpool.joblib vs joblib.Parallel ({args.tasks} no-op / {args.work_tasks} x 1 ms tasks, "
                      f"{args.rounds} rounds)")
    if not ok:
        print("ERROR: results differ from plain joblib's on non-random tasks")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
