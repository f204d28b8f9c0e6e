"""Helpers shared by the benchmarks: import path, statistics, the figures table.

Run the benchmarks from anywhere (``make bench`` does not put the repo on PYTHONPATH);
importing this module first makes ``import seedpool`` and ``import _tasks`` work.

Every table printed is also recorded in ``benchmarks/results.json`` (:func:`record`),
one entry per script, replaced by the script's next run: the performance page's figure
(``docs/figures/bench_ratios.py``) is drawn from it when the site is built.
``SEEDPOOL_BENCH_RESULTS`` names another file; set empty, nothing is recorded.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Callable, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

try:
    import seedpool  # noqa: F401
except ImportError:
    sys.path.insert(0, ROOT)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

__all__ = ["ROOT", "RESULTS", "median", "minimum", "Row", "print_table", "record", "fmt", "load_average",
           "engine_args", "timed_rounds", "engine_rows"]

#: Where :func:`record` keeps every script's last figures (committed with the docs' figure).
RESULTS = os.path.join(HERE, "results.json")


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def minimum(values: Iterable[float]) -> float:
    return min(values)


def fmt(value: float, digits: int = 2) -> str:
    if value != value:  # nan
        return "n/a"
    if abs(value) >= 1e5 or (value != 0 and abs(value) < 1e-2):
        return f"{value:.{digits}e}"
    return f"{value:.{digits}f}"


class Row:
    """One figure of the results table: value (median), min, target and verdict.

    ``floor`` is what no implementation can go below, measured in the same run (e.g. a
    plain pool reseeding the generators by hand): recorded for the docs' figure, which
    draws it beside the target.
    """

    def __init__(self, name: str, median: float, minimum: float, unit: str,
                 target: Optional[float] = None, higher_is_better: bool = False,
                 target_text: Optional[str] = None, floor: Optional[float] = None) -> None:
        self.name = name
        self.median = median
        self.minimum = minimum
        self.unit = unit
        self.target = target
        self.higher_is_better = higher_is_better
        self.target_text = target_text
        self.floor = floor

    def as_dict(self) -> dict[str, Any]:
        """The row as :func:`record` writes it (NaN as None: JSON has no NaN)."""
        def num(x: Optional[float]) -> Optional[float]:
            return None if x is None or math.isnan(x) else float(x)

        return {"name": self.name, "median": num(self.median), "min": num(self.minimum), "unit": self.unit,
                "target": num(self.target), "higher_is_better": self.higher_is_better,
                "target_text": self.target_text, "floor": num(self.floor), "met": self.met}

    @property
    def met(self) -> Optional[bool]:
        if self.target is None:
            return None
        if self.higher_is_better:
            return self.median >= self.target
        return self.median <= self.target

    def cells(self) -> list[str]:
        if self.target is None:
            target, verdict = self.target_text or "-", "(reference)"
        else:
            op = ">=" if self.higher_is_better else "<="
            target = self.target_text or f"{op} {fmt(self.target)} {self.unit}"
            verdict = "met" if self.met else "NOT MET"
        return [self.name, f"{fmt(self.median)} {self.unit}", f"{fmt(self.minimum)} {self.unit}", target, verdict]


def print_table(rows: Sequence[Row], title: str) -> None:
    header = ["figure", "median", "min", "target", "verdict"]
    body = [r.cells() for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(header)]
    print(f"\n{title}\n")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for b in body:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(b, widths)) + " |")
    record(rows, title)


_recorded_here: set[str] = set()


def record(rows: Sequence[Row], title: str, script: Optional[str] = None) -> None:
    """Add a table to the results file under its script's name (``bench_pool.py``...).

    A script's first table in a process replaces that script's previous entry, later
    ones are appended to it; other scripts' entries are kept. Each entry says when, on
    what and with which arguments it was measured.
    """
    path = os.environ.get("SEEDPOOL_BENCH_RESULTS", RESULTS)
    if not path:
        return
    script = script or os.path.basename(sys.argv[0])
    try:
        with open(path) as f:
            data = json.load(f)
    except (FileNotFoundError, ValueError):
        data = {}
    table = {"title": title, "rows": [r.as_dict() for r in rows]}
    if script in _recorded_here and script in data:
        data[script]["tables"].append(table)
    else:
        data[script] = {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "argv": sys.argv[1:], "python": platform.python_version(), "cpus": os.cpu_count(),
            "loadavg": load_average(), "tables": [table]}
    _recorded_here.add(script)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)  # a reader (the docs build) never sees half a file


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


# -- bench_dask.py and bench_ray.py: one engine, plain and seeded, in the same rounds ----
def engine_args(doc: str, tasks: int, native_tasks: Optional[int] = None) -> argparse.Namespace:
    """``--tasks`` (no-op tasks), ``--work-tasks`` (~10 ms tasks) and ``--rounds``; with
    ``native_tasks``, ``--native-tasks`` (no-op tasks through the engine's own API)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=tasks)
    parser.add_argument("--work-tasks", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    if native_tasks is not None:
        parser.add_argument("--native-tasks", type=int, default=native_tasks)
    return parser.parse_args()


def timed_rounds(variants: Mapping[str, Callable[[], Any]], rounds: int,
                 expect: Optional[Any] = None) -> dict[str, list[float]]:
    """Wall seconds of each variant, ``rounds`` times, in an order rotated by round (so
    no variant always runs first, or right after the same one). With ``expect``, a
    variant that returns anything else stops the benchmark."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            t0 = time.perf_counter()
            out = variants[name]()
            times[name].append(time.perf_counter() - t0)
            if expect is not None and out != expect:
                raise SystemExit(f"{name} returned wrong results")
    return times


def engine_rows(engine: str, noop_plain: Sequence[float], noop_seeded: Sequence[float], n: int,
                work_plain: Sequence[float], work_seeded: Sequence[float], work_ms: float,
                in_worker: Optional[Mapping[str, tuple[float, float]]] = None,
                work_target: float = 1.05) -> list[Row]:
    """Issue 13's figures: the engine's own cost per no-op task, seedpool's overhead per
    task and its share of that cost (target < 5 %), and the ~10 ms ratio (<= 1.05x;
    ``work_target``: issue 25's engine APIs, <= 1.03x).

    Ratios and differences are taken within a round (both variants ran under the same
    load), then the median and min over rounds are reported. ``in_worker`` -- the CPU
    microseconds per item of the per-item call inside one worker, plain and seeded
    (``_engine_tasks.call_cost``) -- adds the part of the overhead that is seedpool's
    own, free of the scheduling noise between rounds, and what it implies for the
    ~10 ms tasks (one draw from ``random`` and numpy each).
    """
    per_task = [t / n * 1e6 for t in noop_plain]
    overhead = [(s - p) / n * 1e6 for s, p in zip(noop_seeded, noop_plain)]
    share = [100 * o / p for o, p in zip(overhead, per_task)]
    ratio = [s / p for s, p in zip(work_seeded, work_plain)]
    rows = [
        Row(f"no-op: {engine}'s cost per task", median(per_task), minimum(per_task), "us"),
        Row("no-op: seedpool overhead per task", median(overhead), minimum(overhead), "us"),
        Row(f"no-op: that overhead / {engine}'s per-task cost", median(share), minimum(share), "%",
            target=5.0, target_text="< 5 %"),
        Row("~10 ms tasks: seedpool / plain", median(ratio), minimum(ratio), "x", target=work_target),
    ]
    if in_worker is not None:
        (plain, seeded), (dplain, dseeded) = in_worker["noop"], in_worker["draw"]
        extra = dseeded - dplain
        rows += [
            Row("in one worker, CPU: no-op item, plain call", plain, plain, "us"),
            Row("in one worker, CPU: no-op item, seeded call", seeded, seeded, "us"),
            Row("in one worker, CPU: seeding a task that draws", extra, extra, "us"),
            Row(f"  -> implied ~{work_ms:g} ms tasks: seeded / plain", 1 + extra / (work_ms * 1e3),
                1 + extra / (work_ms * 1e3), "x", target=work_target),
        ]
    return rows
