"""seedpool.dask: the process pools' task keys on a real Dask cluster.

Each scenario runs in a subprocess (tests/scripts/dask_checks.py) on a real
``LocalCluster(processes=True)``, with a timeout, and every process it started is killed
afterwards (tests/cluster_procs.py). Results are compared with seedpool's local pools.
"""

from __future__ import annotations

import json
import sys

import pytest

pytest.importorskip("distributed")

from cluster_procs import run_cluster_script  # noqa: E402
from test_pool import expected_draw  # noqa: E402

import pool_tasks as T  # noqa: E402
import seedpool  # noqa: E402
from conftest import run_python  # noqa: E402

sys.path.insert(0, str(__import__("cluster_procs").TESTS / "scripts"))
import dask_checks as D  # noqa: E402


def as_json(value):
    return json.loads(json.dumps(value))


@pytest.fixture(scope="module")
def reference():
    """The same workload on seedpool.ProcessPoolExecutor (one machine, 2 processes)."""
    with seedpool.ProcessPoolExecutor(2, seed=D.SEED) as ex:
        return as_json(D.workload(ex))


@pytest.mark.parametrize("workers,threads", [(1, 1), (2, 1), (1, 2), (2, 2)])
def test_results_equal_the_local_executor_for_any_cluster_shape(workers, threads, reference):
    got = run_cluster_script("dask_checks.py", "identity", str(workers), str(threads))
    assert got == reference
    # the documented keys, derived here: map item i of call 0, submit = call 1 index 0
    assert got[0] == as_json([(x,) + expected_draw(D.SEED, 0, i)[1:] for i, x in enumerate(D.ITEMS)])
    assert got[1] == as_json((9,) + expected_draw(D.SEED, 1, 0)[1:])
    # equal items (three 5s) are separate tasks with independent draws
    assert len({tuple(v) for v in got[0][:3]}) == 3


def test_map_keeps_the_concurrent_futures_behaviour():
    got = run_cluster_script("dask_checks.py", "semantics")
    assert got["before_error"] == list(range(25)) and got["error"] == "bad item 25"
    assert got["timeout"] is True
    assert got["empty"] == []
    assert got["two_iterables"] == as_json([(1, 4) + expected_draw(D.SEED, 3, 0)[1:3],
                                            (2, 5) + expected_draw(D.SEED, 3, 1)[1:3]])
    assert got["after_shutdown"] == "cannot schedule new futures after shutdown"


def test_a_task_rerun_after_its_worker_died_gives_the_same_value(tmp_path):
    got = run_cluster_script("dask_checks.py", "kill", str(tmp_path))
    assert got["died"], "the worker was never killed: the test did not test anything"
    assert got["values"] == as_json([expected_draw(D.SEED, 0, i) for i in range(4)])


def test_client_keywords_reach_dask(tmp_path):
    # retries=1 lets each item's failed first attempt run again -- same value;
    # workers=[first] pins them; resources/priority are accepted by the scheduler.
    got = run_cluster_script("dask_checks.py", "kwargs", str(tmp_path))
    assert [v[0] for v in got["map"]] == as_json([expected_draw(D.SEED, 0, i) for i in range(6)])
    assert {v[1] for v in got["map"]} == {got["first"]}
    assert got["submit"][0] == as_json((40,) + expected_draw(D.SEED, 1, 0)[1:])


def test_task_nodes_from_dask_workers_reach_the_seed_record(tmp_path):
    path = tmp_path / "run.jsonl"
    got = run_cluster_script("dask_checks.py", "record", str(path), env={"SEEDPOOL_RECORD": str(path)})
    record = seedpool.SeedRecord.load(path)
    tasks = sorted(c.path for c in record.consumers if c.kind == "task")
    assert tasks == [("pools", 0, "tasks", 0, i) for i in range(3)]
    pool_root = seedpool.SeedTree(D.SEED).child("pools", 0)
    assert got == as_json([expected_draw(pool_root, 0, i) for i in range(3)])


def test_no_client_means_a_local_cluster_of_SEEDPOOL_WORKERS(reference):
    for n in (1, 2):
        got = run_cluster_script("dask_checks.py", "default_workers", env={"SEEDPOOL_WORKERS": str(n)})
        assert got["workers"] == n
        assert got["values"] == reference[0]


def test_keyed_helper_for_delayed_and_bag(reference):
    got = run_cluster_script("dask_checks.py", "keyed")
    for scheduler in ("sync", "threads", "processes", "bag"):
        assert got[scheduler] == reference[0], scheduler


def test_bad_arguments_fail_before_anything_starts():
    import seedpool.dask

    with pytest.raises(TypeError, match="client must be a distributed.Client"):
        seedpool.dask.Executor("tcp://127.0.0.1:8786")
    with pytest.raises(TypeError, match="unsupported arguments.*'chunks'"):
        seedpool.dask.Executor(None, chunks=3)
    with pytest.raises(ValueError, match="seed must be non-negative"):
        seedpool.dask.Executor(None, seed=-3)
    with pytest.raises(TypeError, match="seed must be given"):
        seedpool.dask.keyed(T.draw, None)
    with pytest.raises(ValueError, match=r"call must be an int in \[0, 2\*\*31\) \(got -1\)"):
        seedpool.dask.keyed(T.draw, 1, call=-1)


def test_engines_import_only_their_own_engine():
    out = run_python(
        "import sys, seedpool; a = {'dask', 'distributed', 'ray'} & set(sys.modules)\n"
        "import seedpool.dask; b = 'ray' in sys.modules\n"
        "print(sorted(a), b)"
    )
    assert out.split() == ["[]", "False"]
    out = run_python("import sys, seedpool.ray; print('distributed' in sys.modules)")
    assert out.split() == ["False"]


def test_example_prints_equal_hashes_for_pool_and_cluster():
    from cluster_procs import REPO

    out = run_cluster_script(REPO / "examples" / "dask_cluster.py", "--tasks", "24", "--points", "5000",
                             "--threads", "2", parse_json=False)
    hashes = [line.split("sha256 ")[1] for line in out.splitlines() if "sha256" in line]
    assert len(hashes) == 2 and hashes[0] == hashes[1], out
    assert out.splitlines()[-1] == "identical"


def test_map_yields_each_result_once_it_and_the_earlier_ones_are_done(tmp_path):
    # concurrent.futures semantics, as distributed's own ClientExecutor: nothing ready is
    # held back for the rest of a fetch batch, and a timeout comes after the finished items.
    got = run_cluster_script("dask_checks.py", "progress", str(tmp_path))
    assert got["dask_gate"] == [None, None, str(tmp_path / "gate-dask")]  # the reference behaves so
    assert got["dask_timeout"] == [0.0, 0.0, "timeout"]
    assert got["seedpool_gate"] == [None, None, str(tmp_path / "gate-seedpool")]
    assert got["seedpool_timeout"] == [0.0, 0.0, "timeout"]
