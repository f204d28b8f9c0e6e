"""seedpool.torch with real DataLoaders: per-sample mode, keyed sampler, worker mode.

torch is imported inside the tests only (the rest of the suite must not find it loaded
because this file was collected). Datasets live in tests/loader_data.py so spawn workers
can import them.
"""

from __future__ import annotations

import random
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import run_python  # noqa: E402

# Columns 0..5 of AugmentDataset are values; column 6 is the producing pid.
VALUES = slice(0, 6)


@pytest.fixture(autouse=True)
def _quiet_worker_count():
    # 4 workers on a 2-core machine warns; the warning is about speed, not results.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*worker processes in total.*")
        yield


def _items(dataset, *, num_workers=0, batch_size=4, sampler=None, context=None, persistent=False, epochs=(0,),
           generator=None):
    """Every item the loader yields, per epoch, as one (n, 7) float64 array."""
    import torch
    from torch.utils.data import DataLoader

    import seedpool.torch as st

    loader = DataLoader(
        dataset, batch_size=batch_size, num_workers=num_workers, sampler=sampler,
        multiprocessing_context=context if num_workers else None,
        persistent_workers=persistent and num_workers > 0, generator=generator,
    )
    out = []
    for epoch in epochs:
        st.set_epoch(loader, epoch)
        out.append(torch.cat(list(loader)).numpy())
    return out


def _seeded(n=24, seed=5, **kw):
    import seedpool.torch as st
    from loader_data import AugmentDataset

    return st.SeededDataset(AugmentDataset(n), seed=seed, **kw)


# -- per-sample mode -----------------------------------------------------------------
def test_per_sample_bitwise_identical_for_any_num_workers_and_batch_size():
    (ref,) = _items(_seeded(), num_workers=0, batch_size=4)
    # Every RNG column varies across items (a broken reseed would repeat or leak values).
    for col in range(1, 6):
        assert len(set(ref[:, col].tolist())) == len(ref), col
    seen_pids = set()
    for num_workers, batch_size in [(1, 5), (2, 4), (2, 1), (4, 3), (4, 24)]:
        (got,) = _items(_seeded(), num_workers=num_workers, batch_size=batch_size, context="fork")
        np.testing.assert_array_equal(got[:, VALUES], ref[:, VALUES], err_msg=f"{num_workers=} {batch_size=}")
        seen_pids.update(got[:, 6].tolist())
    # The values really were produced in other processes.
    import os

    assert len(seen_pids - {float(os.getpid())}) >= 4


def test_per_sample_matches_a_separate_process_and_changes_with_seed():
    (ref,) = _items(_seeded(n=12), num_workers=2, batch_size=4, context="fork")
    code = (
        "import sys; sys.path.insert(0, 'tests')\n"
        "import torch, seedpool.torch as st\n"
        "from loader_data import AugmentDataset\n"
        "ds = st.SeededDataset(AugmentDataset(12), seed=5)\n"
        "rows = [ds[i][:6].tolist() for i in range(12)]\n"
        "print(repr(rows))\n"
    )
    other = np.array(eval(run_python(code)))
    np.testing.assert_array_equal(ref[:, VALUES], other)
    (reseeded,) = _items(_seeded(n=12, seed=6), num_workers=0)
    assert not np.isin(reseeded[:, 1:6], ref[:, 1:6]).any()


def test_per_sample_spawn_workers_match_main_process():
    # spawn pickles the dataset (with its shared epoch tensor) into fresh interpreters;
    # one small case, because spawn start-up costs seconds.
    (ref,) = _items(_seeded(n=8), num_workers=0, epochs=(1,))
    (got,) = _items(_seeded(n=8), num_workers=2, batch_size=3, context="spawn", epochs=(1,))
    np.testing.assert_array_equal(got[:, VALUES], ref[:, VALUES])


def test_persistent_workers_follow_set_epoch():
    ref = _items(_seeded(n=12), num_workers=0, epochs=(0, 1, 2))
    got = _items(_seeded(n=12), num_workers=2, context="fork", persistent=True, epochs=(0, 1, 2))
    for epoch in range(3):
        np.testing.assert_array_equal(got[epoch][:, VALUES], ref[epoch][:, VALUES])
    # The same worker processes served every epoch ...
    assert set(got[0][:, 6]) == set(got[2][:, 6])
    # ... and still saw the new epoch: the draws differ between epochs.
    assert not np.isin(ref[1][:, 1:6], ref[0][:, 1:6]).any()


def test_resume_mid_epoch_reproduces_the_rest():
    import seedpool.torch as st

    ds = _seeded(n=20)
    (full,) = _items(ds, num_workers=2, batch_size=4, sampler=st.SeededSampler(20, seed=9), context="fork", epochs=(3,))
    # A "new run" resumed after 8 items of epoch 3: fresh objects, fresh workers.
    sampler = st.SeededSampler(20, seed=9)
    import torch
    from torch.utils.data import DataLoader

    loader = DataLoader(_seeded(n=20), batch_size=4, num_workers=2, sampler=sampler, multiprocessing_context="fork")
    st.set_epoch(loader, 3, start=8)
    rest = torch.cat(list(loader)).numpy()
    np.testing.assert_array_equal(rest[:, VALUES], full[8:, VALUES])
    assert full[:, 0].tolist() != sorted(full[:, 0].tolist())  # it really was shuffled


def test_num_workers_0_leaves_main_process_streams_alone():
    import torch

    import seedpool

    def draws():
        return (random.random(), float(np.random.random()), float(torch.rand(())))

    seedpool.seed_everything(3)
    expected = draws()
    seedpool.seed_everything(3)
    # The stock DataLoader itself draws its base seed from the global torch RNG unless
    # given a generator; with one, the only code touching the RNGs is seedpool's.
    _items(_seeded(n=6), num_workers=0, generator=torch.Generator())
    assert draws() == expected
    seedpool.seed_everything(3)
    for i in range(6):  # without restoring, item draws would move the streams on
        with seedpool.isolate():
            _seeded(n=6).dataset[i]
    assert draws() == expected


def test_user_generator_reseeded_per_item_and_nested_by_registration():
    import seedpool.torch as st
    from loader_data import AugmentDataset, NestedDataset

    ds = st.SeededDataset(AugmentDataset(6), seed=1)
    assert ds.generators == ("rng",)  # found by the attribute scan
    # Item order no longer matters for the user's Generator: read 5 then 0, 0 then 5.
    a5, a0 = float(ds[5][5]), float(ds[0][5])
    b0, b5 = float(ds[0][5]), float(ds[5][5])
    assert (a0, a5) == (b0, b5) and a0 != a5

    nested = NestedDataset()
    assert st.SeededDataset(nested, seed=1).generators == ()  # one level only
    reg = st.SeededDataset(NestedDataset(), seed=1, generators=["transform.rng"])
    assert reg[2] == reg[2] and reg[2] != reg[3]
    unreg = st.SeededDataset(NestedDataset(), seed=1)
    assert unreg[2] != unreg[2]  # unregistered: the stream just continues


# -- sampler ---------------------------------------------------------------------------
def test_sampler_keyed_by_epoch_and_sharded_across_ranks():
    import seedpool.torch as st

    n, world = 10, 3
    shards = []
    for rank in range(world):
        s = st.SeededSampler(n, seed=2, num_replicas=world, rank=rank)
        s.set_epoch(4)
        shards.append(list(s))
        assert len(s) == 4  # ceil(10 / 3), padded like DistributedSampler
    union = sorted(i for shard in shards for i in shard)
    assert set(union) == set(range(n)) and len(union) == 12
    # Same epoch, fresh object (another run) -> same order; another epoch -> another one.
    again = st.SeededSampler(n, seed=2, num_replicas=world, rank=1)
    again.set_epoch(4)
    assert list(again) == shards[1]
    assert [list(st.SeededSampler(n, seed=2).indices(e)) for e in (0, 1)][0] != list(
        st.SeededSampler(n, seed=2).indices(1)
    )
    dropped = st.SeededSampler(n, seed=2, num_replicas=world, rank=0, drop_last=True)
    assert len(dropped) == 3 and len(set(dropped)) == 3


# -- worker mode -----------------------------------------------------------------------
def _worker_rows(seeder, num_workers=2, context="fork", n=8, dataset=None):
    import torch
    from torch.utils.data import DataLoader

    from loader_data import WorkerProbe

    loader = DataLoader(dataset or WorkerProbe(n), batch_size=1, num_workers=num_workers,
                        worker_init_fn=seeder, generator=seeder.generator, multiprocessing_context=context)
    # With batch_size=1 worker w loads items w, w + W, ...: its first row is its fresh state.
    rows = torch.cat(list(loader)).numpy()
    return {int(r[0]): r[1:] for r in rows[:num_workers]}


def test_worker_seeder_keys_rank_epoch_and_worker_without_collisions():
    import seedpool.torch as st

    firsts = {}
    for rank in (0, 1):
        for epoch in (0, 1):
            seeder = st.worker_init_fn(11, rank=rank, epoch=epoch)
            for wid, row in _worker_rows(seeder).items():
                firsts[(rank, epoch, wid)] = tuple(row)
    # Stock torch gives rank 0 / worker 1 and rank 1 / worker 0 the same seeds under DDP
    # unless the rank is folded in; here all 8 (rank, epoch, worker) streams differ in
    # every column, including the user's Generator (identical in all workers in stock torch).
    for col in range(5):
        values = [row[col] for row in firsts.values()]
        assert len(set(values)) == len(values), col
    # A second run (new loader, new worker processes) reproduces each stream.
    again = _worker_rows(st.worker_init_fn(11, rank=1, epoch=1))
    assert tuple(again[0]) == firsts[(1, 1, 0)]


def test_worker_seeder_values_are_the_documented_node():
    import torch

    import seedpool.torch as st
    from seedpool import SeedTree

    rows = _worker_rows(st.WorkerSeeder(11, rank=0, epoch=2), num_workers=1, context="spawn", n=2)
    node = SeedTree(11).child("dataloader-workers", 0, 2, 0)
    expected_rng = node.child("rng").generator().random()
    user = np.random.default_rng(0)
    user.bit_generator.state = np.random.PCG64(node.child("attr", "rng").seed_sequence).state
    assert rows[0][3] == expected_rng
    assert rows[0][4] == user.random()
    g = torch.Generator()
    st_words = node.child("torch").generate_state(4)
    g.manual_seed(int(st_words[0]) | int(st_words[1]) << 32)
    assert rows[0][2] == float(torch.rand((), generator=g, dtype=torch.float32))


def test_generator_makes_shuffle_a_function_of_epoch():
    import torch
    from torch.utils.data import DataLoader

    import seedpool.torch as st

    def order(epoch, warmup):
        seeder = st.WorkerSeeder(4)
        loader = DataLoader(list(range(16)), shuffle=True, generator=seeder.generator, worker_init_fn=seeder)
        for e in range(warmup):  # epochs run before do not change epoch `epoch`'s order
            seeder.set_epoch(e)
            list(loader)
        seeder.set_epoch(epoch)
        return torch.cat(list(loader)).tolist()

    assert order(2, warmup=0) == order(2, warmup=2)
    assert order(2, warmup=0) != order(3, warmup=0)


# -- the torch backend -----------------------------------------------------------------
def test_torch_backend_seed_and_state_roundtrip():
    import torch

    import seedpool
    import seedpool.torch as st

    seedpool.seed_everything(8, backends="torch")
    a = torch.rand(3)
    seedpool.seed_everything(8, backends="torch")
    state = st.get_state()
    assert torch.equal(torch.rand(3), a)
    st.set_state(state)
    assert torch.equal(torch.rand(3), a)
    seedpool.seed_everything(9, backends="torch")
    assert not torch.equal(torch.rand(3), a)
    with pytest.raises(TypeError, match="seedpool.torch.get_state"):
        st.set_state("nope")


# -- bad input -------------------------------------------------------------------------
def test_bad_input_names_argument_value_and_fix():
    import seedpool.torch as st
    from loader_data import AugmentDataset

    ds = st.SeededDataset(AugmentDataset(4), seed=0)
    with pytest.raises(TypeError, match=r"index must be an int \(got 'a'"):
        ds["a"]
    with pytest.raises(ValueError, match=r"index must be in \[-4, 4\).*got 4"):
        ds[4]
    with pytest.raises(ValueError, match=r"epoch must be in \[0, 2\*\*31\) \(got -1\); pass the epoch"):
        ds.set_epoch(-1)
    with pytest.raises(TypeError, match=r"dataset must be a map-style dataset.*got int.*WorkerSeeder"):
        st.SeededDataset(3)
    with pytest.raises(ValueError, match=r"generators names 'nope'.*e.g. 'rng'"):
        st.SeededDataset(AugmentDataset(4), generators=["nope"])
    with pytest.raises(TypeError, match=r"generators names 'n', which holds a int"):
        st.SeededDataset(AugmentDataset(4), generators="n")
    with pytest.raises(ValueError, match=r"rank must be in \[0, num_replicas=2\) \(got 2\)"):
        st.SeededSampler(10, num_replicas=2, rank=2)
    with pytest.raises(ValueError, match=r"start must be at most this rank's 10 samples per epoch \(got 11\)"):
        st.SeededSampler(10, seed=0).set_epoch(0, start=11)
    with pytest.raises(TypeError, match=r"rank must be an int \(got 'x'"):
        st.WorkerSeeder(0, rank="x")
    with pytest.raises(TypeError, match=r"init_fn must be a callable"):
        st.WorkerSeeder(0, init_fn=3)
    with pytest.raises(TypeError, match=r"loader must be a torch.utils.data.DataLoader \(got list\)"):
        st.set_epoch([], 0)


def test_rank_and_world_come_from_torch_distributed_when_initialised(monkeypatch):
    import torch.distributed as dist

    import seedpool.torch as st

    monkeypatch.setattr(dist, "is_available", lambda: True)
    monkeypatch.setattr(dist, "is_initialized", lambda: True)
    monkeypatch.setattr(dist, "get_rank", lambda group=None: 3)
    monkeypatch.setattr(dist, "get_world_size", lambda group=None: 4)
    seeder = st.WorkerSeeder(0)
    assert seeder.rank == 3 and seeder.node(1) == st.WorkerSeeder(0, rank=3).node(1)
    assert seeder.node(1) != st.WorkerSeeder(0, rank=0).node(1)
    sampler = st.SeededSampler(10, seed=0)
    assert (sampler.rank, sampler.num_replicas) == (3, 4)
    assert list(sampler) == list(st.SeededSampler(10, seed=0, num_replicas=4, rank=3))
