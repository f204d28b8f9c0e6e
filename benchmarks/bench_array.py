"""seedpool.array against numpy's default generator and dask.array.random, all in one run.

    python benchmarks/bench_array.py [--rounds 7] [--log2n 22] [--no-dask]

Baselines, timed in the same rounds in an order rotated by round (each ratio is taken
within a round, then the median and min over rounds are reported). Figures 1-3 are
single-threaded and timed in this thread's CPU time (the machine is shared: time spent
waiting for a core is not the code's); 4-5 are wall time.

1. whole arrays: ``seedpool.array.normal(s, n).to_numpy()`` against
   ``Generator(PCG64).standard_normal(n)`` (and ``random`` against ``.random``), 1-d
   and 2-d; target <= 1.15x (issue 24).
2. large aligned blocks: ``a[k * 2**18:(k + 1) * 2**18]`` of a longer 1-d array and
   ``a[1024:2048, 2048:3072]`` of a 2-d one, against numpy drawing as many values;
   target <= 1.15x.
3. unaligned 4,096-element chunks: ``a[1000 + 4096 k:...]`` one after another (each
   crosses two tiles), against numpy drawing 4,096 values as often; target <= 1.5x.
4. ``to_dask(chunks)`` summed on a 2-worker LocalCluster against
   ``dask.array.random.default_rng(s).standard_normal`` with the same chunks;
   target <= 1.2x.
5. ``to_numpy(threads=2)`` against ``threads=1``: the speed-up, target >= 1.7x on 2
   free cores (on a shared machine, another process's load shows here first).

Then the memory a block allocates beyond itself (tracemalloc). A missed target is
reported, not a failure; exit status 1 only if a result is wrong.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc

import numpy as np

import _common  # noqa: F401  (puts the repo and this directory on sys.path)
from _common import Row, load_average, median, minimum, print_table, timed_rounds


def cpu_rounds(variants, rounds: int) -> dict[str, list[float]]:
    """``timed_rounds`` on this thread's CPU time: single-threaded figures that the
    other processes of a shared machine do not inflate (waiting for a core is not
    counted; their cache traffic still is)."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            t0 = time.thread_time()
            variants[name]()
            times[name].append(time.thread_time() - t0)
    return times


def ratio_rows(name: str, times: dict[str, list[float]], ours: str, base: str, target: float) -> Row:
    ratios = [o / b for o, b in zip(times[ours], times[base])]
    return Row(name, median(ratios), minimum(ratios), "x", target=target)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--log2n", type=int, default=22, help="whole-array size, 2**log2n elements")
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()

    import seedpool
    import seedpool.array as spa
    from seedpool._derive import tiles as _tiles

    print(f"bench_array: seedpool from {seedpool.__file__}; numpy {np.__version__}; "
          f"load average before: {load_average()}")
    n = 2**args.log2n
    side = int(np.sqrt(n))
    pcg = np.random.Generator(np.random.PCG64(1))
    rows: list[Row] = []

    # 1-2. whole arrays and large aligned blocks ------------------------------------------
    for label, fn, base in [("normal", spa.normal, pcg.standard_normal), ("random", spa.random, pcg.random)]:
        a1, a2 = fn(1, n), fn(1, (side, side))
        big1, big2 = fn(1, 4 * n), fn(1, (4096, 4096))
        block = 2**18
        k = iter(range(10**6))
        variants = {
            "seedpool 1-d": a1.to_numpy,
            "seedpool 2-d": a2.to_numpy,
            "numpy n": lambda base=base: base(n),
            "seedpool block 1-d": lambda big1=big1, k=k, block=block: big1[(j := next(k) % 16) * block:
                                                                           (j + 1) * block],
            "seedpool block 2-d": lambda big2=big2: big2[1024:2048, 2048:3072],
            "numpy block": lambda base=base, block=block: base(block),
            "numpy 2-d block": lambda base=base: base(1024 * 1024),
        }
        for run in variants.values():
            run()  # warm: the sampler check, numpy's caches
        times = cpu_rounds(variants, args.rounds)
        rows += [
            ratio_rows(f"{label}: whole 1-d array ({n:,}) / numpy", times, "seedpool 1-d", "numpy n", 1.15),
            ratio_rows(f"{label}: whole 2-d array ({side}x{side}) / numpy", times, "seedpool 2-d", "numpy n", 1.15),
            ratio_rows(f"{label}: aligned 1-d block (2**18) / numpy", times, "seedpool block 1-d", "numpy block", 1.15),
            ratio_rows(f"{label}: aligned 2-d block (1024x1024) / numpy", times, "seedpool block 2-d",
                       "numpy 2-d block", 1.15),
        ]

    # 3. unaligned 4,096-element chunks, one after another --------------------------------
    for label, fn, base in [("normal", spa.normal, pcg.standard_normal), ("random", spa.random, pcg.random)]:
        a = fn(2, 2**24)
        chunks = 256
        starts = [1000 + 4096 * j for j in range(chunks)]
        offset = iter(range(10**6))

        def ours(a=a, offset=offset, starts=starts, chunks=chunks) -> None:
            shift = (next(offset) % 64) * 4096 * chunks  # a fresh stretch each round
            for s in starts:
                a[shift + s:shift + s + 4096]

        def theirs(base=base, starts=starts) -> None:
            for _ in starts:
                base(4096)

        ours(), theirs()
        times = cpu_rounds({"seedpool": ours, "numpy": theirs}, args.rounds)
        rows.append(ratio_rows(f"{label}: unaligned 4,096-element chunks / numpy", times, "seedpool", "numpy", 1.5))
        per = [t / chunks * 1e6 for t in times["seedpool"]]
        rows.append(Row(f"{label}: one unaligned 4,096-element chunk", median(per), minimum(per), "us"))

    # 5. threads ---------------------------------------------------------------------------
    a = spa.normal(3, 2 * n)
    one, two = a.to_numpy(threads=1), a.to_numpy(threads=2)
    ok = one.tobytes() == two.tobytes()
    times = timed_rounds({"1": lambda: a.to_numpy(threads=1), "2": lambda: a.to_numpy(threads=2)}, args.rounds)
    speed = [t1 / t2 for t1, t2 in zip(times["1"], times["2"])]
    rows.append(Row(f"normal, {2 * n:,}: threads=2 speed-up over threads=1", median(speed), minimum(speed), "x",
                    target=1.7, higher_is_better=True))

    # 4. Dask on a 2-worker LocalCluster --------------------------------------------------------
    if not args.no_dask:
        import dask.array as da
        from distributed import Client, LocalCluster

        shape, chunks = (8192, 8192), (2048, 2048)
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster):
            ours_d = spa.normal(4, shape).to_dask(chunks)
            theirs_d = da.random.default_rng(4).standard_normal(shape, chunks=chunks)
            variants = {"seedpool": lambda: float(ours_d.sum().compute()),
                        "dask": lambda: float(theirs_d.sum().compute())}
            for run in variants.values():
                run()
            times = timed_rounds(variants, args.rounds)
            part = ours_d[2000:2100, 4000:4100].compute()  # drawn on the workers
            ok = ok and part.tobytes() == spa.normal(4, shape)[2000:2100, 4000:4100].tobytes()
        rows.append(ratio_rows(f"to_dask {shape}, chunks {chunks}, sum on 2 workers / dask.array.random",
                               times, "seedpool", "dask", 1.2))

    print_table(rows, f"seedpool.array, {args.rounds} rounds (ratio = seedpool / baseline within a round)")

    # memory: what a block allocates beyond itself -----------------------------------------
    print("\nMemory beyond the block (tracemalloc peak - block bytes), one thread:")
    for label, a, index in [("normal 1-d, 8M-element block", spa.normal(5, 2**23 + 7), np.s_[3:]),
                            ("random float32 2-d, 2000x2000 block", spa.random(5, (4096, 4096), dtype=np.float32),
                             np.s_[5:2005, 7:2007]),
                            ("integers 3-d, 150x150x150 block", spa.integers(5, (160, 160, 160), 0, 9), np.s_[3:153, 5:155, :150])]:
        a[index]
        tracemalloc.start()
        tracemalloc.reset_peak()
        t0 = time.perf_counter()
        out = a[index]
        elapsed = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        tile = a.dtype.itemsize * 2 ** _tiles.tile_bits(a.node.path[-3])
        print(f"  {label}: block {out.nbytes / 2**20:.1f} MiB, beyond it {(peak - out.nbytes) / 1024:.0f} KiB "
              f"(one tile: {tile / 1024:.0f} KiB) [{elapsed * 1e3:.0f} ms under tracemalloc]")
    print(f"\nthreads and the cluster give the same bits: {ok}; load average after: {load_average()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
