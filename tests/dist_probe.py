"""Scenarios for tests/test_distributed.py on real torch.distributed process groups.

``python tests/dist_probe.py SCENARIO WORLD_SIZE OUTDIR [JSON_PARAMS]`` starts
WORLD_SIZE processes with ``torch.multiprocessing.spawn``, each joining a gloo process
group (a FileStore in OUTDIR) and a DeviceMesh; every rank runs the scenario and rank 0
writes what all ranks saw (gathered with ``all_gather_object``) to
``OUTDIR/result.pt``. The test runs this script in its own session with a timeout, so
a hang fails the test instead of sticking.

torch is imported inside functions only: pytest's doctest collection imports this
module, and the rest of the suite must not find torch loaded because of it.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

SEED = 20240611


# -- scenarios: each returns this rank's record (gathered by rank 0) ------------------------
def scenario_mesh(rank: int, world: int, params: dict) -> dict:
    """MeshSeeds on a real DeviceMesh: nodes, generators, fork() dropout, seed_everything."""
    import random

    import numpy as np
    import torch
    from torch.distributed.device_mesh import init_device_mesh

    from seedpool.torch.distributed import MeshSeeds

    names, shape = tuple(params["names"]), tuple(params["shape"])
    mesh = init_device_mesh("cpu", shape, mesh_dim_names=names)
    seeds = MeshSeeds(SEED, mesh, params["policy"])
    x = torch.ones(64)
    record: dict[str, Any] = {"coords": seeds.coords, "path": list(seeds.node.path)}
    record["generator"] = torch.rand(8, generator=seeds.generator()).tolist()
    record["noise"] = torch.rand(8, generator=seeds.generator("noise")).tolist()
    seeds.seed_everything()
    record["global"] = [random.random(), float(np.random.random()), float(torch.rand(()))]
    torch.manual_seed(1)
    outside = torch.rand(4)
    torch.manual_seed(1)
    masks = []
    for step in range(2):
        seeds.set_step(step)
        for _layer in range(2):
            with seeds.fork("dropout"):
                masks.append(torch.nn.functional.dropout(x, 0.5).tolist())
            with seeds.fork("tp-dropout", policy={"tp": "split"}):
                masks.append(torch.nn.functional.dropout(x, 0.5).tolist())
    record["masks"] = masks
    seeds.set_step(0)  # the default stream's draws are reseeded: not comparable to outside
    torch.manual_seed(1)
    for _ in range(3):
        with seeds.fork("dropout"):
            torch.rand(5)
    record["fork_restores"] = torch.equal(torch.rand(4), outside)
    if params.get("init"):
        record["init"] = _sharded_init(mesh, params["init"])
    return record


def _sharded_init(mesh: Any, specs: list) -> list:
    """Every rank fills its DTensor shard of each weight; full_tensor() gathers them."""
    import torch
    from torch.distributed.tensor import Replicate, Shard, distribute_tensor

    import seedpool.torch.init as sinit

    out = []
    for fn, shape, placements, kwargs in specs:
        places = [Shard(p) if isinstance(p, int) else Replicate() for p in placements]
        weight = distribute_tensor(torch.zeros(shape), mesh, places)
        getattr(sinit, fn)(weight, SEED, **kwargs)
        out.append(weight.full_tensor().numpy())
    return out


def scenario_loader(rank: int, world: int, params: dict) -> dict:
    """A data-parallel epoch (SeededSampler + SeededDataset + DataLoader) and fork()
    draws per step; optionally resumed from a checkpoint saved by another world size."""
    import torch
    from torch.utils.data import DataLoader

    import seedpool.torch as st
    from loader_data import AugmentDataset
    from seedpool.torch.distributed import MeshSeeds

    n, batch, workers = params["n"], params["batch_size"], params["num_workers"]
    mesh = {"dp": world}
    seeds = MeshSeeds(SEED, mesh, {"dp": "split"}, coords={"dp": rank}, cuda=False)
    dataset = st.SeededDataset(AugmentDataset(n), seed=seeds.root)
    sampler = st.SeededSampler(n, seed=seeds.root)  # rank and world from the process group
    sampler.set_epoch(params["epoch"])
    dataset.set_epoch(params["epoch"])
    first_step = 0
    if params.get("resume"):
        state = torch.load(params["resume"], weights_only=True)
        sampler.load_state_dict(state["sampler"])
        dataset.load_state_dict(state["dataset"])
        seeds.load_state_dict(state["mesh"])
        first_step = state["mesh"]["step"] + 1
    loader = DataLoader(dataset, batch_size=batch, sampler=sampler, num_workers=workers,
                        multiprocessing_context="fork" if workers else None)
    positions = list(sampler._positions(sampler.position))  # this rank's global positions, in order
    rows, masks = [], {}
    x = torch.ones(32)
    for i, items in enumerate(loader):
        step = first_step + i
        seeds.set_step(step)
        with seeds.fork("dropout"):
            masks[step] = torch.nn.functional.dropout(x, 0.5).tolist()
        rows.extend(items[:, :6].tolist())  # the pid column differs by process
        if params.get("checkpoint_after") == i + 1:
            # Workers prefetch, so the sampler has handed out more than this: pass
            # what the loop consumed.
            state = {"sampler": sampler.state_dict(consumed=(i + 1) * batch), "dataset": dataset.state_dict(),
                     "mesh": seeds.state_dict()}
            if rank == 0:
                torch.save(state, params["checkpoint"])
    return {"positions": positions, "rows": rows, "masks": masks, "coords": seeds.coords}


SCENARIOS = {"mesh": scenario_mesh, "loader": scenario_loader}


# -- process group plumbing ----------------------------------------------------------------
def _worker(rank: int, scenario: str, world: int, outdir: str, params: dict) -> None:
    import torch
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{outdir}/store", rank=rank, world_size=world,
                            timeout=timedelta(seconds=60))
    try:
        record = SCENARIOS[scenario](rank, world, params)
        gathered: list = [None] * world
        dist.all_gather_object(gathered, record)
        if rank == 0:
            torch.save(gathered, os.path.join(outdir, "result.pt"))
        dist.barrier()
    finally:
        dist.destroy_process_group()


def main(argv: list[str]) -> None:
    import torch.multiprocessing as mp

    scenario, world, outdir = argv[0], int(argv[1]), argv[2]
    params = json.loads(argv[3]) if len(argv) > 3 else {}
    mp.spawn(_worker, args=(scenario, world, outdir, params), nprocs=world, join=True)


if __name__ == "__main__":
    main(sys.argv[1:])
