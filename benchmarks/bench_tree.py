"""Bulk seed derivation: ``SeedTree.child_states`` vs numpy's one-by-one ``SeedSequence``.

    python benchmarks/bench_tree.py [--children 1000000] [--numpy-children 20000] [--repeats 7]

First checks bit-equality of the bulk words against numpy on a sample of indices
(exits 1 on any mismatch). Then times

* bulk:  ``SeedTree(E).child_states(range(n))`` -- the seed words (4 x uint32) of
         children 0..n-1 in one vectorised call, ``--children`` of them;
* numpy: ``SeedSequence(E, spawn_key=(i,)).generate_state(4)`` one child at a time, on
         ``--numpy-children`` children (1M would take ~15 s per repeat); the per-child
         time is scaled up, which is fair because numpy's cost per child is flat in n.

Target (issue 2): bulk >= 1e7 children/s. Medians (and the best repeat) of the repeats;
the ratio is taken between medians measured in this run.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import _common  # noqa: F401  (puts the repo on sys.path)
import seedpool
from _common import Row, load_average, median, minimum, print_table
from seedpool import SeedTree

TARGET = 1e7
ENTROPY = 0x8C3F_0A1E_55D2_9B47_2E61_F0C4_7A93_1D5B  # a fixed 128-bit root


def verify(tree: SeedTree, n: int) -> int:
    """Compare bulk rows with numpy on a sample; return the number of mismatches."""
    rng = np.random.default_rng(0)
    sample = np.unique(np.concatenate([
        np.arange(0, 64), [n - 1, 2**31 - 1, 2**16, 2**32 // 2 - 1],
        rng.integers(0, n, 2000), rng.integers(0, 2**31, 500),
    ])).astype(np.int64)
    bad = 0
    # The benchmarked form: plain int children, 4 uint32 words.
    bulk = tree.child_states(sample)
    for row, i in zip(bulk, sample.tolist()):
        ref = np.random.SeedSequence(ENTROPY, spawn_key=(i,)).generate_state(4)
        bad += not np.array_equal(row, ref)
    # The forms the pools use: a prefix path, a str suffix, 8 words, and uint64 output.
    node = tree.child("tasks", 3)
    sub = sample[:300]
    for kwargs in ({"n_words": 8}, {"n_words": 4, "dtype": np.uint64}):
        rows = node.child_states(sub, "numpy", **kwargs)
        for row, i in zip(rows, sub.tolist()):
            ref = node.child(i, "numpy").generate_state(kwargs["n_words"], kwargs.get("dtype", np.uint32))
            bad += not np.array_equal(row, ref)
    return bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--children", type=int, default=1_000_000)
    ap.add_argument("--numpy-children", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args(argv)
    n, n_np, reps = args.children, args.numpy_children, args.repeats

    print(f"bench_tree: numpy {np.__version__}, python {sys.version.split()[0]}, loadavg {load_average()}\n"
          f"seedpool from {seedpool.__file__}")
    tree = SeedTree(ENTROPY)
    bad = verify(tree, n)
    if bad:
        print(f"FAIL: {bad} bulk rows differ from numpy's SeedSequence.generate_state")
        return 1
    print("bit-equality with numpy SeedSequence: ok (sample of ~2,600 indices, 3 forms)")

    indices = np.arange(n, dtype=np.int64)
    tree.child_states(indices[:1000])  # warm up
    bulk_s, numpy_s = [], []
    # Interleave the two so that they share the machine's noise.
    for _ in range(reps):
        t0 = time.perf_counter()
        out = tree.child_states(indices)
        bulk_s.append(time.perf_counter() - t0)
        assert out.shape == (n, 4)
        del out
        SS = np.random.SeedSequence
        t0 = time.perf_counter()
        for i in range(n_np):
            SS(ENTROPY, spawn_key=(i,)).generate_state(4)
        numpy_s.append(time.perf_counter() - t0)

    bulk_rate = [n / t for t in bulk_s]
    numpy_rate = [n_np / t for t in numpy_s]
    ratios = [b / p for b, p in zip(bulk_rate, numpy_rate)]  # paired, same round
    print(f"\nbulk: {n:,} children per call; numpy: {n_np:,} children per repeat, scaled per child; "
          f"{reps} repeats, interleaved")
    print(f"bulk  1M children: median {median(bulk_s) * 1e3:.1f} ms (best {minimum(bulk_s) * 1e3:.1f} ms)")
    print(f"numpy 1M children (extrapolated): median {median(numpy_s) * n / n_np:.1f} s "
          f"(best {minimum(numpy_s) * n / n_np:.1f} s)")
    rows = [
        Row("bulk child_states, children/s", median(bulk_rate), max(bulk_rate), "/s",
            target=TARGET, higher_is_better=True),
        Row("numpy SeedSequence(...).generate_state(4), children/s", median(numpy_rate), max(numpy_rate), "/s"),
        Row("ratio bulk / numpy (paired per repeat)", median(ratios), max(ratios), "x"),
    ]
    print_table(rows, "Bulk derivation (the 'min' column is the best repeat: highest rate)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
