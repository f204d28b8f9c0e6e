"""Helpers shared by the benchmarks: import path, statistics, the figures table.

Run the benchmarks from anywhere (``make bench`` does not put the repo on PYTHONPATH);
importing this module first makes ``import seedpool`` and ``import _tasks`` work.
"""

from __future__ import annotations

import os
import statistics
import sys
from collections.abc import Iterable, Sequence
from typing import Optional

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

try:
    import seedpool  # noqa: F401
except ImportError:
    sys.path.insert(0, ROOT)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

__all__ = ["ROOT", "median", "minimum", "Row", "print_table", "fmt", "load_average"]


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
    """One figure of the results table: value (median), min, target and verdict."""

    def __init__(self, name: str, median: float, minimum: float, unit: str,
                 target: Optional[float] = None, higher_is_better: bool = False,
                 target_text: Optional[str] = None) -> None:
        self.name = name
        self.median = median
        self.minimum = minimum
        self.unit = unit
        self.target = target
        self.higher_is_better = higher_is_better
        self.target_text = target_text

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


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"
