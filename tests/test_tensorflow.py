"""seedpool.tensorflow with real TensorFlow and real strategies.

pytest never imports TensorFlow: every TF scenario runs in a subprocess, and the slow
ones run once, all at the same time, in one module-scoped fixture:

* ``tests/tf_probe.py`` twice (two processes, same seed): MirroredStrategy on 2 logical
  CPUs, many probes per process;
* ``tests/tf_mwms_probe.py:probe`` in a 2-worker MultiWorkerMirroredStrategy launch;
* each example: seed 1 twice, seed 2 once.

Determinism claims compare values from separate processes.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="TensorFlow not installed")

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SEED = 7
ENV = {**os.environ, "PYTHONPATH": REPO, "TF_CPP_MIN_LOG_LEVEL": "2"}


def _json_line(cmd: list[str]) -> dict:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=400)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _mwms_probe() -> list:
    from seedpool.tensorflow import launch_local_workers

    return launch_local_workers(f"{os.path.join(HERE, 'tf_mwms_probe.py')}:probe", 2, seed=SEED,
                                args=[SEED], timeout=300, env={"PYTHONPATH": REPO})


@pytest.fixture(scope="module")
def runs():
    py = sys.executable
    mirrored = os.path.join(REPO, "examples", "tf_mirrored_train.py")
    multi = os.path.join(REPO, "examples", "tf_multiworker_train.py")
    jobs = {
        "probe_a": lambda: _json_line([py, os.path.join(HERE, "tf_probe.py"), str(SEED)]),
        "probe_b": lambda: _json_line([py, os.path.join(HERE, "tf_probe.py"), str(SEED)]),
        "mwms": _mwms_probe,
        "mirrored_1a": lambda: _json_line([py, mirrored, "--seed", "1"]),
        "mirrored_1b": lambda: _json_line([py, mirrored, "--seed", "1"]),
        "mirrored_2": lambda: _json_line([py, mirrored, "--seed", "2"]),
        "multi_1a": lambda: _json_line([py, multi, "--seed", "1", "--steps", "10"]),
        "multi_1b": lambda: _json_line([py, multi, "--seed", "1", "--steps", "10"]),
        "multi_2": lambda: _json_line([py, multi, "--seed", "2", "--steps", "10"]),
    }
    # Two cores: three jobs at a time keeps the CPU busy without thrashing.
    with ThreadPoolExecutor(3) as pool:
        futures = {name: pool.submit(fn) for name, fn in jobs.items()}
        return {name: f.result() for name, f in futures.items()}


# -- replica seeds ------------------------------------------------------------------------
def test_replica_seeds_distinct_per_replica_step_and_key(runs):
    seeds = runs["probe_a"]["replica_seeds"]
    flat = [tuple(s) for name in ("nostep", "step0", "step1", "step0_key") for s in seeds[name]]
    assert len(flat) == 8 and len(set(flat)) == 8
    assert seeds["step1_tensor"] == seeds["step1"]  # int32 tensor step is cast to int64


def test_replica_seeds_identical_across_processes_and_eager_vs_graph(runs):
    a, b = runs["probe_a"], runs["probe_b"]
    assert a["replica_seeds"] == b["replica_seeds"]
    assert a["replica_seeds_graph"] == a["replica_seeds"]


def test_replica_seed_equals_same_fold_without_strategy(runs):
    assert runs["probe_a"]["replica_seeds"]["step1"] == runs["probe_a"]["reference_step1"]


def test_replica_seeds_depend_on_root(runs):
    a = runs["probe_a"]
    assert a["replica_seeds_other_root"] != a["replica_seeds"]["step0"]


def test_multiworker_replica_seeds_keyed_by_global_replica_id(runs):
    w0, w1 = runs["mwms"]
    assert [w0["task_index"], w1["task_index"]] == [0, 1]
    assert [w0["worker_id"], w1["worker_id"]] == [0, 1]
    assert w0["replica_id"] == [0] and w1["replica_id"] == [1]
    for name in ("nostep", "step0", "step1", "step0_key"):
        # Distinct across workers, and equal to MirroredStrategy's replicas 0 and 1 of a
        # different process: the key is the global replica id, not the strategy.
        assert w0["replica_seeds"][name] != w1["replica_seeds"][name]
        assert w0["replica_seeds"][name] + w1["replica_seeds"][name] == runs["probe_a"]["replica_seeds"][name]


def test_multiworker_worker_nodes_and_process_seeding(runs):
    w0, w1 = runs["mwms"]
    assert w0["worker_node_is_launch_node"] and w1["worker_node_is_launch_node"]
    assert w0["worker_node_words"] != w1["worker_node_words"]
    assert w0["python_random"] != w1["python_random"]
    assert w0["numpy_random"] != w1["numpy_random"]
    assert runs["probe_a"]["worker_node_words"] == w0["worker_node_words"]  # task 0 == single worker


# -- dropout --------------------------------------------------------------------------
def test_keras_dropout_masks_identical_but_replica_dropout_differs(runs):
    a = runs["probe_a"]
    m0, m1 = a["plain_dropout_masks"]
    assert m0 == m1  # the Keras behaviour the layer exists to fix
    for key in ("replica_dropout_masks", "replica_dropout_masks_graph"):
        r0, r1 = a[key]
        assert r0 != r1
        assert 0.25 < sum(r0) / len(r0) < 0.75
    assert a["replica_dropout_masks"] == runs["probe_b"]["replica_dropout_masks"]
    assert a["replica_dropout_masks_graph"] == runs["probe_b"]["replica_dropout_masks_graph"]
    assert a["replica_dropout_inference_identity"] is True


def test_replica_dropout_differs_across_workers(runs):
    w0, w1 = runs["mwms"]
    assert w0["dropout_mask"] != w1["dropout_mask"]


# -- tf.data ---------------------------------------------------------------------------
def test_seeded_map_same_for_any_parallelism_and_across_runs(runs):
    m = runs["probe_a"]["map"]
    assert len(m["p1"]) == 200 and len(set(m["p1"])) == 200
    assert m["p4"] == m["p1"]
    assert m["auto_nondet"] == m["p1"]  # per element, even when the order is not kept
    assert runs["probe_b"]["map"] == m


def test_seeded_map_epochs_differ_and_variable_epoch_matches_int(runs):
    m = runs["probe_a"]["map"]
    assert m["epoch1"] != m["p1"]
    assert m["var_epoch0"] == m["p1"] and m["var_epoch1"] == m["epoch1"]
    assert len(m["tuple_elements"]) == 3 and m["tuple_elements"] == m["p1"][:3]


def test_distribute_datasets_shards_and_keys_noise_by_global_element(runs):
    mirrored = runs["probe_a"]["dist_batches"]  # one pipeline, two replica batches of 4
    assert [[row[0] for row in b] for b in mirrored] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    noise_of = {int(i): v for b in mirrored for i, v in b}
    assert [noise_of[i] for i in range(8)] == runs["probe_a"]["map"]["p1"][:8]
    w0, w1 = runs["mwms"]
    ids0 = [int(r[0]) for r in w0["dist_batch"][0]]
    ids1 = [int(r[0]) for r in w1["dist_batch"][0]]
    assert len(ids0) == len(ids1) == 4 and not set(ids0) & set(ids1)  # each worker its own shard
    assert all(i % 2 == 0 for i in ids0) and all(i % 2 == 1 for i in ids1)
    for batch in (w0["dist_batch"][0], w1["dist_batch"][0]):
        for i, v in batch:
            assert v == runs["probe_a"]["map"]["p1"][int(i)]  # same noise as without workers


# -- seeding and state -----------------------------------------------------------------
def test_root_is_named_root_and_the_old_name_warns(runs):
    assert runs["probe_a"]["root_alias"] == [True, True, ["DeprecationWarning"]]


def test_seed_and_state_restore(runs):
    a = runs["probe_a"]
    before, after = a["state_restore"]
    assert before == after
    s1, s2, s3 = a["seed_calls"]
    assert s1 == s2 and s1 != s3
    assert a["seed_calls"] == runs["probe_b"]["seed_calls"]


def test_bad_input_errors_name_argument_value_and_fix(runs):
    e = runs["probe_a"]["errors"]
    expect = {
        "strategy": ("TypeError", ["strategy", "'mirrored'", "MirroredStrategy()"]),
        "seed_none": ("ValueError", ["seed", "None", "pass an int"]),
        "cross_replica": ("RuntimeError", ["cross-replica", "strategy.run"]),
        "step_float": ("TypeError", ["step", "1.5", "optimizer.iterations"]),
        "step_negative": ("ValueError", ["step", "-1"]),
        "key_bad": ("ValueError", ["key", "-3"]),
        "map_dataset": ("TypeError", ["dataset", "list", "from_tensor_slices"]),
        "map_fn": ("TypeError", ["fn", "3"]),
        "map_epoch": ("ValueError", ["epoch", "-1"]),
        "map_epoch_type": ("TypeError", ["epoch", "1.0", "epoch=0"]),
        "batch": ("ValueError", ["global_batch_size=7", "num_replicas_in_sync=2"]),
        "input_context": ("TypeError", ["input_context", "3", "distribute_datasets_from_function"]),
        "dropout_seed": ("TypeError", ["seed", "1.5", "seed=1234"]),
    }
    for name, (typ, words) in expect.items():
        assert e[name] is not None, name
        assert e[name][0] == typ, (name, e[name])
        for w in words:
            assert w in e[name][1], (name, w, e[name][1])


# -- examples --------------------------------------------------------------------------
@pytest.mark.parametrize("example", ["mirrored", "multi"])
def test_example_weight_hashes_reproducible_and_seed_dependent(runs, example):
    a, b, c = runs[f"{example}_1a"], runs[f"{example}_1b"], runs[f"{example}_2"]
    assert a["weights_sha256"] == b["weights_sha256"]
    assert a["weights_sha256"] != c["weights_sha256"]
    if example == "multi":
        assert a["workers"] == 2 and a["workers_agree"] and c["workers_agree"]
    else:
        assert a["replicas"] == 2


def test_import_seedpool_does_not_import_tensorflow():
    code = "import sys, seedpool; seedpool.seed_everything(1); print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, check=True)
    assert out.stdout.strip() == "False"
