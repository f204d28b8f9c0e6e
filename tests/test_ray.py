"""seedpool.ray.Pool: seedpool.Pool's task keys on Ray actors.

Ray is heavy (~3-8 s to start idle, 10 processes, ~730 MiB): every scenario runs in one
subprocess (tests/scripts/ray_checks.py) under a single ``ray.init(num_cpus=2,
include_dashboard=False)``, with a timeout; every process it started is killed
afterwards (tests/cluster_procs.py), also on failure.
"""

from __future__ import annotations

import json
import random
import sys

import numpy as np
import pytest

pytest.importorskip("ray")

from cluster_procs import TESTS, run_cluster_script  # noqa: E402
from test_pool import expected_draw  # noqa: E402

import seedpool  # noqa: E402
from seedpool._state.backends import words_to_int  # noqa: E402

sys.path.insert(0, str(TESTS / "scripts"))
import ray_checks as R  # noqa: E402


def as_json(value):
    return json.loads(json.dumps(value))


@pytest.fixture(scope="module")
def ray_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("ray") / "run.jsonl"
    got = run_cluster_script("ray_checks.py", env={"SEEDPOOL_RECORD": str(path)}, timeout=600)
    return got, path


@pytest.fixture(scope="module")
def reference():
    with seedpool.Pool(2, seed=R.SEED) as pool:
        return as_json(R.workload(pool))


def worker_draw(slot, incarnation):
    node = seedpool.SeedTree(R.SEED).child("workers", slot, incarnation)
    py = random.Random(words_to_int(node.child("python").generate_state(4))).random()
    npv = np.random.RandomState(node.child("numpy").generate_state(4)).random_sample()
    return [py, float(npv)]


@pytest.mark.parametrize("actors", [1, 2])
def test_results_equal_seedpool_pool(ray_run, reference, actors):
    got = ray_run[0][f"task{actors}"]
    assert got == reference
    assert got[0] == as_json([(x,) + expected_draw(R.SEED, 0, i)[1:] for i, x in enumerate(R.ITEMS)])
    assert got[4] == as_json((70,) + expected_draw(R.SEED, 4, 0)[1:])
    assert len({tuple(v) for v in got[0][:2]}) == 2  # equal items, independent draws


def test_batch_positions_hold_for_iterators_and_after_a_failed_item(ray_run):
    # Items travel without their positions; each batch's copy of the call counts them.
    got = ray_run[0]
    assert got["iterator"] == as_json([expected_draw(R.SEED, 0, i) for i in range(7)])
    expected = [expected_draw(R.SEED, 1, i) for i in range(6)]
    expected[3] = None
    assert got["after_failure"] == as_json(expected)


def test_worker_scope_gives_each_actor_its_own_slot(ray_run):
    got = ray_run[0]["worker"]
    assert [v[:2] for v in got] == [worker_draw(0, 0), worker_draw(1, 0), worker_draw(0, 1), worker_draw(1, 1)]
    assert len({v[2] for v in got}) == 4  # four actors: maxtasksperchild=1 replaced each


def test_user_initializer_runs_after_seeding(ray_run):
    got = ray_run[0]["task_init"]
    assert {tuple(v[:2]) for v in got} == {tuple(worker_draw(0, 0)), tuple(worker_draw(1, 0))}


def test_SEEDPOOL_WORKERS_sets_the_actor_count_when_none_is_given(ray_run, reference):
    assert ray_run[0]["env_actors"] == 1
    assert ray_run[0]["env_values"] == reference[0]


def test_task_nodes_from_actors_reach_the_seed_record(ray_run):
    got, path = ray_run
    record = seedpool.SeedRecord.load(path)
    tasks = sorted(c.path for c in record.consumers if c.kind == "task")
    assert tasks == [("pools", 0, "tasks", 0, i) for i in range(3)]
    workers = sorted(c.path for c in record.consumers if c.kind == "worker")
    assert workers == [("pools", 0, "workers", 0, 0), ("pools", 0, "workers", 1, 0)]
    root = seedpool.SeedTree(R.SEED).child("pools", 0)
    assert got["record"] == as_json([expected_draw(root, 0, i) for i in range(3)])


def test_bad_arguments_fail_before_ray_starts():
    import seedpool.ray

    with pytest.raises(TypeError, match="initializer must be a callable"):
        seedpool.ray.Pool(1, initializer=3)
    with pytest.raises(ValueError, match="Processes in the pool must be >0"):
        seedpool.ray.Pool(0)
    with pytest.raises(ValueError, match="scope must be 'task' or 'worker'"):
        seedpool.ray.Pool(1, scope="actor")
    import ray

    assert not ray.is_initialized()
