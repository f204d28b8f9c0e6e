"""Mesh seeds, fork() and sharded initialisation (seedpool.torch.distributed / .init).

    python benchmarks/bench_distributed.py [--rounds 9] [--forks 20000] [--init-rounds 5]

Figures (issue 26), each variant and its reference timed in the same round, rounds
interleaved, median and min over rounds:

1. ``MeshSeeds`` set-up per rank: the constructor on a 4-axis dict mesh of 1,024 ranks,
   on a real 3-axis ``DeviceMesh`` (a one-process gloo group), and constructor +
   ``seed_everything()`` (what a rank does at start-up); target <= 1 ms each.
2. ``fork()`` enter + exit against a Megatron-style tracker re-implemented here
   (``CudaRNGStatesTracker.fork``'s logic on torch's CPU generator: get_rng_state /
   set_rng_state swaps, a ``contextlib.contextmanager``); target: the ratio <= 1.0x.
   For reference also with ``set_step`` every 48 entries (a step of 24 layers, two
   dropouts each: the step's first entry derives the seeds of the next 64).
3. ``init.normal_`` of a 4096 x 4096 float32 weight's shard -- a quarter of the rows
   (FSDP-style) and a quarter of the columns (tensor parallel) -- against
   ``torch.nn.init.normal_`` of the whole weight, per element; target <= 1.3x. With
   ``threads=1`` and with the default (``torch.get_num_threads()``; torch's normal_
   itself runs on one thread).

Exit status 1 if a shard differs from the slice of the whole tensor.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from typing import Any, Callable

import numpy as np

import _common  # noqa: F401  (puts the repo on sys.path)
from _common import Row, load_average, median, minimum, print_table

TARGET_SETUP_US = 1000.0
TARGET_FORK_RATIO = 1.0
TARGET_INIT_RATIO = 1.3
SEED = 1234


class MegatronStyleTracker:
    """Megatron-LM's ``CudaRNGStatesTracker`` logic, on torch's default CPU generator.

    ``add(name, seed)`` stores a generator state seeded with ``seed``; ``fork(name)``
    saves the current state, installs the stream's, and on exit stores the stream's
    advanced state and puts the original back (megatron/core/tensor_parallel/random.py).
    """

    def __init__(self) -> None:
        self.states: dict[str, Any] = {}

    def add(self, name: str, seed: int) -> None:
        import torch

        orig = torch.get_rng_state()
        torch.manual_seed(seed)
        self.states[name] = torch.get_rng_state()
        torch.set_rng_state(orig)

    @contextlib.contextmanager
    def fork(self, name: str = "model-parallel-rng") -> Any:
        import torch

        if name not in self.states:
            raise Exception(f"cuda rng state {name} is not added")
        orig = torch.get_rng_state()
        torch.set_rng_state(self.states[name])
        try:
            yield
        finally:
            self.states[name] = torch.get_rng_state()
            torch.set_rng_state(orig)


def per_call_us(fn: Callable[[], Any], n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1e6


def bench_setup(rounds: int) -> list[Row]:
    import torch.distributed as dist
    from torch.distributed.device_mesh import init_device_mesh

    from seedpool.torch.distributed import MeshSeeds

    sizes = {"pp": 4, "dp": 16, "ep": 4, "tp": 4}
    coords = {"pp": 3, "dp": 11, "ep": 2, "tp": 1}
    policy = {"pp": "split", "dp": "split", "ep": "split", "tp": "share"}
    store = tempfile.mkdtemp(prefix="seedpool-bench-")
    dist.init_process_group("gloo", init_method=f"file://{store}/store", rank=0, world_size=1)
    try:
        mesh = init_device_mesh("cpu", (1, 1, 1), mesh_dim_names=("pp", "dp", "tp"))
        mesh_policy = {"pp": "split", "dp": "split", "tp": "share"}
        variants = {
            "dict": lambda: MeshSeeds(SEED, sizes, policy, coords=coords),
            "device_mesh": lambda: MeshSeeds(SEED, mesh, mesh_policy),
            "seed_everything": lambda: MeshSeeds(SEED, sizes, policy, coords=coords).seed_everything(),
        }
        times: dict[str, list[float]] = {k: [] for k in variants}
        for _ in range(rounds):
            for name, fn in variants.items():
                times[name].append(per_call_us(fn, 200))
    finally:
        dist.destroy_process_group()
    return [
        Row("MeshSeeds(seed, dict mesh 4 axes / 1,024 ranks)", median(times["dict"]), minimum(times["dict"]), "us",
            target=TARGET_SETUP_US),
        Row("MeshSeeds(seed, DeviceMesh 3 named axes)", median(times["device_mesh"]), minimum(times["device_mesh"]),
            "us", target=TARGET_SETUP_US),
        Row("MeshSeeds(...) + seed_everything()", median(times["seed_everything"]),
            minimum(times["seed_everything"]), "us", target=TARGET_SETUP_US),
    ]


def bench_fork(rounds: int, n: int) -> list[Row]:
    import torch

    from seedpool.torch.distributed import MeshSeeds

    seeds = MeshSeeds(SEED, {"dp": 8, "tp": 4}, {"dp": "split", "tp": "share"}, coords={"dp": 3, "tp": 1})
    tracker = MegatronStyleTracker()
    tracker.add("model-parallel-rng", SEED + 2718)

    def ours() -> None:
        with seeds.fork("model-parallel-rng"):
            pass

    def megatron() -> None:
        with tracker.fork("model-parallel-rng"):
            pass

    step = [0]

    def ours_stepped() -> None:
        # A step of 48 entries: every 48th call starts the next step.
        if seeds._forks["model-parallel-rng"].count == 48:
            step[0] += 1
            seeds.set_step(step[0])
        with seeds.fork("model-parallel-rng"):
            pass

    # Both really swap: a draw inside differs from the draw outside.
    torch.manual_seed(0)
    with seeds.fork("model-parallel-rng"):
        inside = torch.rand(2)
    if torch.equal(inside, torch.rand(2, generator=torch.Generator().manual_seed(0))):
        raise SystemExit("fork() did not swap the generator")
    ours_t, meg_t, stepped_t, ratio, stepped_ratio = [], [], [], [], []
    for r in range(rounds):
        pair = [("ours", ours), ("megatron", megatron)]
        if r % 2:
            pair.reverse()
        got = {name: per_call_us(fn, n) for name, fn in pair}
        seeds.set_step(0)
        got["stepped"] = per_call_us(ours_stepped, n)
        ours_t.append(got["ours"])
        meg_t.append(got["megatron"])
        stepped_t.append(got["stepped"])
        ratio.append(got["ours"] / got["megatron"])
        stepped_ratio.append(got["stepped"] / got["megatron"])
    return [
        Row("fork() enter+exit, seedpool MeshSeeds", median(ours_t), minimum(ours_t), "us"),
        Row("fork() enter+exit, Megatron-style tracker", median(meg_t), minimum(meg_t), "us"),
        Row("  ratio seedpool / Megatron-style (paired)", median(ratio), minimum(ratio), "x",
            target=TARGET_FORK_RATIO),
        Row("fork() with set_step every 48 entries", median(stepped_t), minimum(stepped_t), "us"),
        Row("  ratio to Megatron-style (paired)", median(stepped_ratio), minimum(stepped_ratio), "x"),
    ]


def bench_init(rounds: int) -> list[Row]:
    import torch

    import seedpool.torch.init as sinit
    from seedpool import SeedTree

    n = 4096
    key = SeedTree(SEED).child("init", "layers.0.weight")
    whole = torch.empty(n, n)
    rows_shard = torch.empty(n // 4, n)
    cols_shard = torch.empty(n, n // 4)
    threads = torch.get_num_threads()

    # Correctness first: both shards are slices of the whole.
    full = sinit.normal_(torch.empty(n, n), key, 0.0, 0.02)
    sinit.normal_(rows_shard, key, 0.0, 0.02, global_shape=(n, n), offset=(n // 4, 0))
    sinit.normal_(cols_shard, key, 0.0, 0.02, global_shape=(n, n), offset=(0, 3 * n // 4))
    if not (torch.equal(rows_shard, full[n // 4:n // 2]) and torch.equal(cols_shard, full[:, 3 * n // 4:])):
        print("FAIL: a shard differs from the slice of the whole tensor")
        sys.exit(1)
    del full

    def ns_per_element(fn: Callable[[], Any], elements: int) -> float:
        t0 = time.perf_counter()
        fn()
        return (time.perf_counter() - t0) / elements * 1e9

    variants: dict[str, tuple[Callable[[], Any], int]] = {
        "torch": (lambda: torch.nn.init.normal_(whole, 0.0, 0.02), n * n),
        "rows1": (lambda: sinit.normal_(rows_shard, key, 0.0, 0.02, global_shape=(n, n), offset=(n // 4, 0),
                                        threads=1), n * n // 4),
        "cols1": (lambda: sinit.normal_(cols_shard, key, 0.0, 0.02, global_shape=(n, n), offset=(0, n // 4),
                                        threads=1), n * n // 4),
        "rowsT": (lambda: sinit.normal_(rows_shard, key, 0.0, 0.02, global_shape=(n, n), offset=(n // 4, 0)),
                  n * n // 4),
    }
    times: dict[str, list[float]] = {k: [] for k in variants}
    ratios: dict[str, list[float]] = {k: [] for k in variants if k != "torch"}
    names = list(variants)
    for r in range(rounds):
        k = r % len(names)
        got = {name: ns_per_element(*variants[name]) for name in names[k:] + names[:k]}
        for name, value in got.items():
            times[name].append(value)
            if name != "torch":
                ratios[name].append(value / got["torch"])
    return [
        Row("torch.nn.init.normal_, whole 4096x4096, per element", median(times["torch"]), minimum(times["torch"]),
            "ns"),
        Row("init.normal_ row shard (1/4), threads=1", median(times["rows1"]), minimum(times["rows1"]), "ns"),
        Row("  ratio to torch per element (paired)", median(ratios["rows1"]), minimum(ratios["rows1"]), "x",
            target=TARGET_INIT_RATIO),
        Row("init.normal_ column shard (1/4), threads=1", median(times["cols1"]), minimum(times["cols1"]), "ns"),
        Row("  ratio to torch per element (paired)", median(ratios["cols1"]), minimum(ratios["cols1"]), "x",
            target=TARGET_INIT_RATIO),
        Row(f"init.normal_ row shard (1/4), threads={threads} (default)", median(times["rowsT"]),
            minimum(times["rowsT"]), "ns"),
        Row("  ratio to torch per element (paired)", median(ratios["rowsT"]), minimum(ratios["rowsT"]), "x",
            target=TARGET_INIT_RATIO),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--forks", type=int, default=20000, help="fork() entries per round and variant")
    ap.add_argument("--init-rounds", type=int, default=5)
    args = ap.parse_args(argv)

    import torch

    import seedpool

    print(f"bench_distributed: torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}, "
          f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, loadavg {load_average()}\n"
          f"seedpool from {seedpool.__file__}")
    print_table(bench_setup(args.rounds), "1. MeshSeeds set-up per rank")
    print_table(bench_fork(args.rounds, args.forks), "2. fork() enter + exit on torch's CPU generator")
    print_table(bench_init(args.init_rounds), "3. Sharded init.normal_ of a 4096 x 4096 float32 weight")
    return 0


if __name__ == "__main__":
    sys.exit(main())
