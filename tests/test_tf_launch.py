"""The local multi-worker launcher's process handling, with targets that do not import
TensorFlow (fast): results in task order, per-worker seeding, TF_CONFIG, and that a
failure or a timeout kills every worker and names the culprit."""

from __future__ import annotations

import json
import os
import pickle
import sys
import time

import pytest

from seedpool import SeedTree
from seedpool.tensorflow import WorkerFailedError, WorkerTimeoutError, launch_local_workers

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = os.path.join(HERE, "tf_launch_targets.py")
FAST = ("python", "numpy")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); read its state.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _pids(pid_dir):
    return [int(open(os.path.join(pid_dir, n)).read()) for n in sorted(os.listdir(pid_dir))]


def test_results_in_task_order_and_each_worker_seeded_from_its_node():
    res = launch_local_workers(f"{TARGETS}:report", 3, seed=11, backends=FAST, timeout=60)
    assert [r["task_index"] for r in res] == [0, 1, 2]
    assert all(r["num_workers"] == 3 for r in res)
    configs = [json.loads(r["tf_config"]) for r in res]
    addrs = configs[0]["cluster"]["worker"]
    assert len(set(addrs)) == 3 and all(a.startswith("127.0.0.1:") for a in addrs)
    assert [c["task"] for c in configs] == [{"type": "worker", "index": i} for i in range(3)]
    assert [r["node_path"] for r in res] == [["tf.worker", i] for i in range(3)]
    # Seeded from root.child("tf.worker", i).child("python"), so distinct and predictable.
    assert [r["python_random"] for r in res] == [r["expected_python"] for r in res]
    assert [r["expected_python"] for r in res] == [
        SeedTree(11).child("tf.worker", i, "python").random().random() for i in range(3)
    ]
    assert len({r["numpy_random"] for r in res}) == 3
    # The workers import this checkout's seedpool, and `import tensorflow` there finds the
    # real TensorFlow (or nothing), never the seedpool.tensorflow subpackage.
    pkg = os.path.join(os.path.dirname(HERE), "seedpool")
    assert all(r["seedpool_spec"] == os.path.join(pkg, "__init__.py") for r in res)
    assert all(r["tensorflow_spec"] is None or not r["tensorflow_spec"].startswith(pkg) for r in res), res[0]
    again = launch_local_workers(f"{TARGETS}:report", 3, seed=11, backends=FAST, timeout=60)
    assert [r["numpy_random"] for r in again] == [r["numpy_random"] for r in res]


def test_failure_of_one_worker_kills_the_others_and_names_it(tmp_path):
    t0 = time.monotonic()
    with pytest.raises(WorkerFailedError) as info:
        launch_local_workers(f"{TARGETS}:fail_one", 2, seed=1, args=[str(tmp_path)], backends=FAST, timeout=60)
    assert time.monotonic() - t0 < 30  # did not wait for worker 0's 120 s sleep
    msg = str(info.value)
    assert info.value.worker_index == 1
    with pytest.warns(DeprecationWarning, match="worker_index"):
        assert info.value.task_index == 1  # the old name still answers
    again = pickle.loads(pickle.dumps(info.value))  # crosses processes like any exception
    assert (type(again), str(again), again.worker_index, again.returncodes) == (
        WorkerFailedError, msg, 1, info.value.returncodes)
    assert "worker 1 of 2 exited with code 1" in msg and "worker one exploded on purpose" in msg
    pids = _pids(tmp_path)
    assert len(pids) == 2 and not any(_alive(p) for p in pids)


def test_timeout_kills_every_worker(tmp_path):
    with pytest.raises(WorkerTimeoutError, match=r"still running after timeout=4"):
        launch_local_workers(f"{TARGETS}:hang", 2, seed=1, args=[str(tmp_path)], backends=FAST, timeout=4)
    pids = _pids(tmp_path)
    assert len(pids) == 2 and not any(_alive(p) for p in pids)


def _local_function(worker):  # a real top-level function of an importable module
    return worker.task_index


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        (dict(target=lambda w: 0, num_workers=2), ValueError, ["top level", "lambda"]),
        (dict(target=42, num_workers=2), TypeError, ["target must be", "42"]),
        (dict(target="no_colon", num_workers=2), ValueError, ["'no_colon'", "module:function"]),
        (dict(target=_local_function, num_workers=0), ValueError, ["num_workers must be >= 1", "got 0"]),
        (dict(target=_local_function, num_workers="2"), TypeError, ["num_workers", "'2'"]),
        (dict(target=_local_function, num_workers=2, timeout=-1), ValueError, ["timeout", "-1"]),
        (dict(target=_local_function, num_workers=2, args=[object()]), TypeError, ["JSON-serialisable"]),
    ],
)
def test_bad_arguments_name_the_argument_and_value(kwargs, exc, words):
    target = kwargs.pop("target")
    with pytest.raises(exc) as info:
        launch_local_workers(target, seed=1, backends=FAST, **kwargs)
    for w in words:
        assert w in str(info.value)


def test_launcher_module_does_not_import_tensorflow():
    import subprocess

    # The launcher's public names, the subpackage's dir() and the worker module import
    # no TensorFlow in the caller; only the names that need it do, on first access.
    code = ("import sys, seedpool.tensorflow as stf, seedpool.tensorflow._worker\n"
            "stf.launch_local_workers, stf.LocalWorker, stf.WorkerFailedError, dir(stf)\n"
            "print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.path.dirname(HERE)}, check=True)
    assert out.stdout.strip() == "False"
