"""Per-sample mode overhead: DataLoader(SeededDataset(ds)) against DataLoader(ds).

Each item costs ~100 us of work (busy loop) and draws from numpy, Python ``random`` and
torch, like a light augmentation. The loaders run in the same process, interleaved,
several times; the figure is the ratio of median wall times. Target: <= 1.10x (issue 9).
A third loader reseeds the three generators by hand per item (the floor any exact
per-sample seeding pays: numpy's legacy ``seed`` alone is 11-17 us here), so the figure
is split into that floor and seedpool's share above it.

    python benchmarks/bench_dataloader.py [--items 2000] [--repeats 5] [--work-us 100]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import warnings

import numpy as np
import torch
from torch.utils.data import DataLoader

import seedpool._task.task
import seedpool.torch as spt
from _common import Row, load_average, record

TARGET = 1.10  # issue 9 (per-sample SeededDataset vs the stock DataLoader; issue 5 asked 1.05)


class Work:
    def __init__(self, n: int, work_us: float) -> None:
        self.n, self.work_s = n, work_us * 1e-6

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> torch.Tensor:
        end = time.perf_counter() + self.work_s
        while time.perf_counter() < end:
            pass
        return torch.tensor([float(np.random.random()), random.random(), float(torch.rand(()))])


class ReseedingWork(Work):
    """The reseeding floor: ``Work`` whose every item first reseeds the three global
    generators by hand, with the calls and seed sizes seedpool uses (4 words each for
    ``random`` and numpy, 64 bits for torch) -- what any exact per-sample scheme pays,
    without seedpool's protocol. Seeds are precomputed, so their derivation is not in it."""

    def __init__(self, n: int, work_us: float) -> None:
        super().__init__(n, work_us)
        words = np.random.SeedSequence(12345).generate_state(n * 8).reshape(n, 8)
        self.words = [w[:4].copy() for w in words]
        self.ints = [int.from_bytes(w[:4].tobytes(), "little") for w in words]
        self.torch_seeds = [int.from_bytes(w[4:6].tobytes(), "little") for w in words]

    def __getitem__(self, i: int) -> torch.Tensor:
        random.seed(self.ints[i])
        np.random.seed(self.words[i])
        torch.default_generator.manual_seed(self.torch_seeds[i])
        return super().__getitem__(i)


def _time(loader: DataLoader) -> float:
    start = time.perf_counter()
    for _ in loader:
        pass
    return time.perf_counter() - start


def measure(num_workers: int, items: int, repeats: int, work_us: float,
            batch_size: int) -> tuple[float, float, float]:
    """Median wall times of the stock loader, the hand-reseeding one and SeededDataset."""
    base = Work(items, work_us)
    kw = dict(batch_size=batch_size, num_workers=num_workers, persistent_workers=num_workers > 0,
              generator=torch.Generator().manual_seed(0))
    stock = DataLoader(base, **kw)
    floor = DataLoader(ReseedingWork(items, work_us), **kw)
    seeded = DataLoader(spt.SeededDataset(base, seed=0), **kw)
    loaders = (stock, floor, seeded)
    times: list[list[float]] = [[], [], []]
    for loader in loaders:
        _time(loader)  # warm up (and start persistent workers)
    for _ in range(repeats):
        for loader, t in zip(loaders, times):
            t.append(_time(loader))
    t_stock, t_floor, t_seeded = (statistics.median(t) for t in times)
    return t_stock, t_floor, t_seeded


def scope_cost_us(n: int = 2000) -> tuple[float, float]:
    """Cost of one task_scope enter/exit, without and with restore (in microseconds)."""
    root = seedpool.SeedTree(0)
    out = []
    for restore in (False, True):
        start = time.perf_counter()
        for i in range(n):
            with seedpool._task.task.task_scope(root.child("samples", 0, i), restore=restore):
                pass
        out.append((time.perf_counter() - start) / n * 1e6)
    return out[0], out[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--work-us", type=float, default=100.0)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message=".*worker processes in total.*")
    plain, restoring = scope_cost_us()
    # A node's words derived one SeedSequence per backend (loader workers derive a batch
    # at once instead), torch seeded eagerly; the num_workers=0 loader restores.
    print(f"task_scope(node) in this process, drawing nothing: {plain:.1f} us, "
          f"{restoring:.1f} us with restore (what num_workers=0 pays per item)")
    rows = []
    for num_workers in (0, 2):
        t_stock, t_floor, t_seeded = measure(num_workers, args.items, args.repeats, args.work_us,
                                             args.batch_size)
        ratio = t_seeded / t_stock
        # Ratios of medians: one value, recorded as both median and min.
        rows += [Row(f"per-sample SeededDataset / stock DataLoader, num_workers={num_workers}", ratio, ratio, "x",
                     target=TARGET, floor=t_floor / t_stock),
                 Row(f"  reseeding floor: stock loader + three hand reseeds / stock, num_workers={num_workers}",
                     t_floor / t_stock, t_floor / t_stock, "x")]
        per_item = (t_seeded - t_stock) / args.items * 1e6
        above_floor = (t_seeded - t_floor) / args.items * 1e6
        verdict = "ok" if ratio <= TARGET else "ABOVE TARGET"
        print(
            f"num_workers={num_workers}: stock {t_stock * 1e3:.1f} ms, per-sample {t_seeded * 1e3:.1f} ms "
            f"for {args.items} items of {args.work_us:.0f} us -> {ratio:.3f}x (target <= {TARGET:.2f}x) "
            f"[{per_item:+.1f} us/item] {verdict}"
        )
        # The same loader reseeding random, numpy and torch by hand per item: no exact
        # per-sample seeding can cost less, so the target is only reachable above it.
        print(
            f"  reseeding floor (stock loader, three hand reseeds per item): {t_floor * 1e3:.1f} ms -> "
            f"{t_floor / t_stock:.3f}x; seedpool above the floor: {t_seeded / t_floor:.3f}x "
            f"[{above_floor:+.1f} us/item]"
        )
        # At this per-item overhead, items must cost this much for the ratio to meet TARGET.
        print(f"  -> target met for items of >= {max(per_item, 0) / (TARGET - 1):.0f} us at this overhead")
    record(rows, f"torch per-sample loader, {args.items} items of {args.work_us:.0f} us, median of "
                 f"{args.repeats} (loadavg {load_average()})")

if __name__ == "__main__":
    main()
