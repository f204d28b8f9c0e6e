"""The key layout, pinned per consumer: the first values each component derives.

A stream is a pure function of its root and key path, so these numbers are the
product's promise (see ``seedpool/_derive/keys.py``). They were observed on the code before
the keys moved into ``_keys`` and must never change: a failure here means a release
would give every user other numbers. Each test derives through the *public* entry
point (a real pool, a real fork, ``seedpool run``...), and each draw is an integer
(``random.getrandbits(32)``, ``np.random.randint(2**31)``, ``rng().integers(2**31)``)
so the pins are exact.

TensorFlow and Keras run in one subprocess (pytest never imports TensorFlow).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import multiprocessing
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import seedpool
from conftest import REPO, run_python
from seedpool._derive import keys as _keys
from seedpool._task.task import task_scope

SEED = 1234
FORK = multiprocessing.get_context("fork")


def draw(_: object = None) -> list:
    """One draw from each of ``random``, ``np.random`` and ``seedpool.rng()``."""
    return [random.getrandbits(32), int(np.random.randint(2**31)), int(seedpool.rng().integers(2**31))]


# -- observed on the code of commit c2d38b4, before the keys moved into _keys ------------
GOLDEN: dict = {'task_call0': [[3069322590, 426059993, 1077356490],
                [3501350583, 506792206, 68118514],
                [72260777, 430798752, 1111047585]],
 'task_call1': [[1951429924, 1252594293, 1842099398]],
 'task_call2': [[2773059465, 1568177262, 758189670], [860440195, 1086218413, 2067929152]],
 'worker_scope': [[1591503716, 1363910525, 321543313],
                  [1208064400, 732382932, 1346960188],
                  [3659398624, 27833956, 853263502]],
 'worker_info_node': [2833041644, 25783522, 31865147, 62189182],
 'executor_submit0': [3069322590, 426059993, 1077356490],
 'executor_map1': [[1951429924, 1252594293, 1842099398],
                   [2787280932, 835858756, 590404056],
                   [2925717655, 1033934346, 1747003429]],
 'executor_submit2': [2773059465, 1568177262, 758189670],
 'seed_everything': [[2341545051, 1065269879, 914481976], [1715169577, 1110881975, 1237936946]],
 'pools_under_root': [[[2973674388, 726131956, 431695919], [1324999987, 943835739, 1669387088]],
                      [[3745843829, 550005649, 1051790996], [2107643851, 830715876, 215842750]]],
 'executor_under_root': [[1955088160, 1661221083, 385183074]],
 # Pinned in issue 21, which changed this stream on purpose (docs/changelog.md).
 'joblib_in_task': [[[1548060054, 1500088359, 601359425], [4212450357, 1311512881, 1050151071]],
                    [[2611645190, 1339292970, 1307955834], [4136529544, 750828065, 1260314075]]],
 # Issue 25: the engines' own APIs (seedpool.ray.remote, seedpool.dask.Client / delayed).
 'ray_remote': {'driver': [[0, 2890819521, 2096640069, 1929267071], [1, 1037961167, 137710270, 60116047]],
                'nested': [4263823296, [[0, 763899263, 487852345, 1635645561], [1, 598029278, 1979902955, 1440182936]]],
                'actor': [[3799085699, 1492661698, 948699562, 159910502], [0, 4273477932, 2003242969, 1766771052]]},
 'dask_native': {'delayed': [[0, 2422832712, 1622164141, 974589578], [1, 1187947332, 1220171167, 1292565667],
                             [1950928659, [[0, 262054175, 1460510809, 1754428139]]]],
                 'nested': [0, [[0, 3841213026, 860380793, 1768213645], [1, 3336039375, 1537279825, 366380323]],
                            [9, 2430167840, 868537117, 708475244]]},
 'fork_children': [[2823837058, 785186137, 1977382035, 3720929991],
                   [2074468025, 1698226962, 1372148690, 1043968581]],
 'fork_grandchild': [2734845081, 1299821493, 237103841, 986520195],
 'run_children': {'main': [2341545051, 1065269879, 914481976],
                  'sub0': [2823837058, 785186137, 1977382035],
                  'fork1': [2074468025, 1698226962, 1372148690]},
 'torch': {'seed_everything': [323045885, 80549066],
           'samples_e0': [[279001082, 1196953233, 2004474530, 258477399],
                          [2556587625, 1743100740, 1625485950, 1633973765],
                          [3543679304, 533995777, 23033814, 2014184292]],
           'samples_e0_batch': [[3543679304, 533995777, 23033814, 2014184292],
                                [279001082, 1196953233, 2004474530, 258477399]],
           'samples_e1': [[3884703995, 2064591737, 1449370645, 2016363566]],
           'loader_worker': [3466967783, 2144087828, 2095811183, 1922218787],
           'loader_generator': [2115623510, 1912162895],
           'sampler': [[1, 6, 2, 3, 0, 5, 4, 9, 7, 8], [6, 0, 8, 1, 5, 9, 2, 3, 4, 7]],
           'loader_items': [[279001082, 1196953233, 2004474530, 258477399],
                            [2556587625, 1743100740, 1625485950, 1633973765],
                            [3543679304, 533995777, 23033814, 2014184292],
                            [4148706669, 336425951, 835184336, 464478592]]},
 'tensorflow': {'seed_everything_tf': [1805390508, 1423118618],
                'worker_node': [4164375882, 2599352853, 3909693672, 2340419853],
                'launch_worker_node': [1456555962, 695550969, 3238369145, 2666770679],
                'replica': [-3141207384323867670, 0],
                'replica_step': [3297835024756582807, 3],
                'replica_key': [-6513182392112141260, 3],
                'input': [6474027537783121705, -126870204782730140],
                'map_base': [-3313730589696159768, -7941368747829834852],
                'seeded_map': [1819577422, 159358159, 1767811265],
                'dropout_seed': 1171700657,
                'keras_e0': [[3405350637, 189122629, 1896506705, 209613165],
                             [797730910, 2068666328, 540560725, 2077117427]],
                'keras_e1': [[1315022391, 2085987620, 865245048, 2108563980]]}}


def _pin(name: str, value: object) -> None:
    # SEEDPOOL_GOLDEN_DUMP=path appends observed values instead of comparing (how the
    # pins above were written, once, on the old code).
    dump = os.environ.get("SEEDPOOL_GOLDEN_DUMP")
    if dump:
        with open(dump, "a") as fh:
            fh.write(json.dumps({name: value}) + "\n")
        return
    assert value == GOLDEN[name], f"{name}: derived values changed -- a breaking change of the key layout"


def _pin_dict(name: str, values: dict) -> None:
    dump = os.environ.get("SEEDPOOL_GOLDEN_DUMP")
    if dump:
        _pin(name, values)
        return
    for key, value in values.items():
        assert value == GOLDEN[name][key], f"{name}[{key}]: derived values changed"
    assert set(values) == set(GOLDEN[name])


# -- the constants themselves --------------------------------------------------------------
PINNED_KEYS = {
    "PYTHON": "python", "NUMPY": "numpy", "RNG": "rng", "TORCH": "torch", "TENSORFLOW": "tensorflow",
    "TASKS": "tasks", "WORKERS": "workers", "POOLS": "pools", "CHILD": "child", "GENERATOR": "generator",
    "HASH_SEED": "pythonhashseed",
    "SAMPLES": "samples", "LOADER_WORKERS": "dataloader-workers", "SAMPLER": "sampler",
    "LOADER_GENERATOR": "dataloader-generator", "ATTR": "attr", "BATCHES": "batches", "DROPOUT": "dropout",
    "TF_REPLICA": "tf.replica", "TF_WORKER": "tf.worker", "TF_INPUT": "tf.input", "TF_MAP": "tf.map",
    "DEMO_WORKER": "worker",
    # torch.distributed meshes; their streams are pinned in tests/test_distributed.py
    "MESH": "mesh", "MESH_STEP": "mesh.step", "MESH_STREAM": "mesh.stream",
    "ARRAY": "array", "LABELS": "labels", "UNIFORM": "uniform", "NORMAL": "normal", "EXPONENTIAL": "exponential",
    "INTEGERS": "integers", "BITS": "bits",
    # the engines' own APIs: a submitter's keyed calls (issue 25)
    "REMOTE": "remote", "CALLS": "calls", "DELAYED": "delayed",
}


def test_every_key_constant_is_pinned_and_in_the_layout():
    constants = {name: getattr(_keys, name) for name in _keys.__all__ if isinstance(getattr(_keys, name), str)}
    assert constants == PINNED_KEYS
    layout_text = " ".join(row.path for row in _keys.LAYOUT)
    for name, key in constants.items():
        assert f'"{key}"' in layout_text, f"_keys.LAYOUT does not mention {name} = {key!r}"
        assert f'"{key}"' in _keys.__doc__ or f"``\"{key}\"``" in _keys.__doc__, name
    assert set(_keys.BACKEND_KEYS) == {"python", "numpy", "rng", "torch", "tensorflow"}


def test_layout_rows_name_modules_that_exist():
    # Looked up as files: find_spec("seedpool.torch.distributed") would import the
    # seedpool.torch package, and so torch (absent from the matrix legs).
    root = Path(seedpool.__file__).parent.parent
    for row in _keys.LAYOUT:
        base = root.joinpath(*row.module.split("."))
        assert base.with_suffix(".py").is_file() or (base / "__init__.py").is_file(), row


def test_module_docstring_table_is_generated_from_layout():
    # LAYOUT is the one copy of the table: the docstring shows every row of it, in order.
    table = [re.split(r"  +", line, maxsplit=1) for line in _keys.__doc__.splitlines()
             if "  ``" in line and line.endswith("``")]
    assert table == [
        [row.component, f"``{row.path}``"] for row in _keys.LAYOUT]


# -- engines ---------------------------------------------------------------------------------
def test_pool_task_keys():
    with seedpool.Pool(2, seed=SEED, context=FORK) as pool:
        call0 = pool.map(draw, range(3), 1)
        call1 = [pool.apply(draw)]
        call2 = list(pool.imap(draw, range(2)))
    _pin("task_call0", call0)
    _pin("task_call1", call1)
    _pin("task_call2", call2)
    # task_scope is the same protocol: the same node gives the same draws in-process.
    root = seedpool.SeedTree(SEED)
    for c, values in enumerate((call0, call1, call2)):
        for i, value in enumerate(values):
            with task_scope(root.child("tasks", c, i), restore=True):
                assert draw() == value


def test_worker_scope_keys():
    with seedpool.Pool(1, seed=SEED, context=FORK, scope="worker") as pool:
        values = pool.map(draw, range(3), 1)
        node = pool.apply(_worker_node_words)
    _pin("worker_scope", values)
    _pin("worker_info_node", node)
    assert node == seedpool.SeedTree(SEED).child("workers", 0, 0).generate_state(4).tolist()


def _worker_node_words() -> list:
    return seedpool.worker_info().node.generate_state(4).tolist()


def test_executor_keys():
    with seedpool.ProcessPoolExecutor(2, mp_context=FORK, seed=SEED) as ex:
        submit0 = ex.submit(draw).result()
        map1 = list(ex.map(draw, range(3)))
        submit2 = ex.submit(draw).result()
    _pin("executor_submit0", submit0)
    _pin("executor_map1", map1)
    _pin("executor_submit2", submit2)


def test_seed_everything_backend_keys():
    seedpool.seed_everything(SEED, backends=["python", "numpy", "rng"])
    values = [draw(), draw()]
    _pin("seed_everything", values)
    root = seedpool.SeedTree(SEED)
    assert int(root.child("rng").generator().integers(2**31)) == values[0][2]


def test_pools_under_a_process_root():
    seedpool.seed_everything(99, backends=())
    values = []
    for k in range(2):
        with seedpool.Pool(1, context=FORK) as pool:
            assert pool.root == seedpool.SeedTree(99).child("pools", k)
            values.append(pool.map(draw, range(2)))
    with seedpool.ProcessPoolExecutor(1, mp_context=FORK) as ex:
        assert ex.root == seedpool.SeedTree(99).child("pools", 2)
        executor = [ex.submit(draw).result()]
    _pin("pools_under_root", values)
    _pin("executor_under_root", executor)


def _joblib_inside_a_task(_: object) -> list:
    from joblib import delayed

    from seedpool.joblib import Parallel

    return Parallel(n_jobs=1)(delayed(draw)() for _ in range(2))


@pytest.mark.matrix_skip  # version-independent (one more pool start)
def test_joblib_parallel_with_seed_none_inside_a_task():
    # A stream change decided in issue 21 (docs/changelog.md): seedpool.joblib.Parallel
    # with seed=None inside a task is the task's k-th engine, task.child("pools", k), as
    # every engine there -- before, it took the worker process's own pool counter.
    pytest.importorskip("joblib")
    with seedpool.Pool(2, context=FORK, seed=SEED) as pool:
        values = pool.map(_joblib_inside_a_task, range(2))
    root = seedpool.SeedTree(SEED)
    for i, value in enumerate(values):
        inner = root.child("tasks", 0, i, "pools", 0)
        expected = []
        for j in range(2):
            with task_scope(inner.child("tasks", 0, j)):
                expected.append(draw())
        assert value == expected
    _pin("joblib_in_task", values)


def _in_scope(node) -> list:
    with task_scope(node, restore=True):
        return draw()


def _first_bits(node) -> int:
    with task_scope(node, restore=True):
        return random.getrandbits(32)


@pytest.mark.slow
def test_ray_remote_keys():
    # Per submitter, one counter for every seeded .remote(): the driver's k-th call runs
    # root.child("remote", k); a task's own calls run under its node; an actor's __init__
    # under its node and its m-th method call under actor.child("calls", m).
    pytest.importorskip("ray")
    from cluster_procs import run_cluster_script

    got = run_cluster_script("ray_native_checks.py", "2", "unused", "keys", timeout=400)
    root = seedpool.SeedTree(SEED)
    assert got["driver"] == [[k] + _in_scope(root.child("remote", k)) for k in range(2)]
    outer = root.child("remote", 2)
    assert got["nested"] == [_first_bits(outer), [[j] + _in_scope(outer.child("remote", j)) for j in range(2)]]
    actor = root.child("remote", 3)
    assert got["actor"] == [[_first_bits(actor)] + _in_scope(actor.child("calls", 0)),
                            [0] + _in_scope(actor.child("calls", 1, "remote", 0))]
    _pin_dict("ray_remote", got)


def test_dask_delayed_and_nested_client_keys():
    # seedpool.dask.delayed: the process's k-th call built runs root.child("delayed", k),
    # one built inside a keyed task node.child("delayed", j); a plain Client call inside
    # a keyed task is the task's k-th keyed call, node.child("tasks", k, i).
    pytest.importorskip("distributed")
    from cluster_procs import run_cluster_script

    got = run_cluster_script("dask_native_checks.py", "keys", timeout=300)
    root = seedpool.SeedTree(SEED)
    inner = root.child("delayed", 2)
    assert got["delayed"] == [[0] + _in_scope(root.child("delayed", 0)), [1] + _in_scope(root.child("delayed", 1)),
                              [_first_bits(inner), [[0] + _in_scope(inner.child("delayed", 0))]]]
    task = root.child("tasks", 0, 0)  # the client's call 0, a submit
    assert got["nested"] == [0, [[i] + _in_scope(task.child("tasks", 0, i)) for i in range(2)],
                             [9] + _in_scope(task.child("tasks", 1, 0))]
    _pin_dict("dask_native", got)


# -- processes ---------------------------------------------------------------------------------
_FORK_CODE = r"""
import json, os, random
import numpy as np
import seedpool

def draws():
    return [random.getrandbits(32), int(np.random.randint(2**31)), int(seedpool.rng().integers(2**31)),
            int(gen.integers(2**32))]

def in_child(fn):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.write(w, json.dumps(fn()).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.waitpid(pid, 0)
    return json.loads(data)

gen = seedpool.register_generator(np.random.default_rng(5))
seedpool.reseed_after_fork(1234)
children = [in_child(draws), in_child(draws)]
grandchild = in_child(lambda: in_child(draws))
print(json.dumps({"children": children, "grandchild": grandchild}))
"""


def test_fork_children_keys():
    out = json.loads(run_python(_FORK_CODE).strip().splitlines()[-1])
    _pin("fork_children", out["children"])
    _pin("fork_grandchild", out["grandchild"])


_RUN_SCRIPT = r"""
import json, multiprocessing, random, subprocess, sys
import numpy as np
import seedpool

def draws():
    return [random.getrandbits(32), int(np.random.randint(2**31)), int(seedpool.rng().integers(2**31))]

def child(q):
    q.put(draws())

if __name__ == "__main__":
    main = draws()
    code = ("import json, random, numpy as np, seedpool; print(json.dumps([random.getrandbits(32), "
            "int(np.random.randint(2**31)), int(seedpool.rng().integers(2**31))]))")
    sub = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                    check=True).stdout)
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=child, args=(q,))
    p.start()
    fork1 = q.get(timeout=60)
    p.join()
    print(json.dumps({"main": main, "sub0": sub, "fork1": fork1}))
"""


def test_seedpool_run_children_keys(tmp_path):
    script = tmp_path / "run_probe.py"
    script.write_text(_RUN_SCRIPT)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    for name in ("SEEDPOOL_SEED", "SEEDPOOL_RECORD", "SEEDPOOL_WORKERS", "SEEDPOOL_RUN", "SEEDPOOL_POOLS"):
        env.pop(name, None)
    proc = subprocess.run([sys.executable, "-m", "seedpool", "run", "--seed", str(SEED), "--", sys.executable,
                           str(script)], check=False, capture_output=True, text=True, env=env, timeout=120,
                          cwd=str(REPO))
    assert proc.returncode == 0, proc.stderr
    _pin_dict("run_children", json.loads(proc.stdout.strip().splitlines()[-1]))


# -- torch ---------------------------------------------------------------------------------------
class _DrawDataset:
    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> list:
        import torch

        return draw() + [int(torch.randint(2**31, ()))]


def test_torch_keys():
    torch = pytest.importorskip("torch")
    import seedpool.torch as st

    out: dict = {}
    seedpool.seed_everything(SEED, backends=["torch"])
    out["seed_everything"] = [int(torch.randint(2**31, ())) for _ in range(2)]
    ds = st.SeededDataset(_DrawDataset(), seed=SEED)
    out["samples_e0"] = [ds[i] for i in range(3)]
    out["samples_e0_batch"] = ds.__getitems__([2, 0])
    ds.set_epoch(1)
    out["samples_e1"] = [ds[0]]
    seeder = st.WorkerSeeder(SEED, rank=0, epoch=1)
    seeder(1)  # outside a loader: seeds this process as worker 1 of epoch 1
    out["loader_worker"] = draw() + [int(torch.randint(2**31, ()))]
    out["loader_generator"] = [int(torch.randint(2**31, (), generator=seeder.generator)) for _ in range(2)]
    out["sampler"] = [st.SeededSampler(10, seed=SEED, num_replicas=1, rank=0).indices(e).tolist() for e in (0, 1)]
    # Through a real DataLoader with worker processes: per-sample items match ds[i].
    loader = torch.utils.data.DataLoader(st.SeededDataset(_DrawDataset(), seed=SEED), batch_size=2,
                                         num_workers=2, multiprocessing_context=FORK)
    out["loader_items"] = [row for batch in loader for row in batch_rows(batch)]
    _pin_torch(out)


def batch_rows(batch):
    return [[int(col[i]) for col in batch] for i in range(len(batch[0]))]


def _pin_torch(out: dict) -> None:
    if os.environ.get("SEEDPOOL_GOLDEN_DUMP"):
        _pin("torch", out)
        return
    assert out == GOLDEN["torch"]


# -- TensorFlow and Keras (one subprocess) ------------------------------------------------------
_TF_CODE = r"""
import json, os, random
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf
import keras
import seedpool
import seedpool.tensorflow as stf
from seedpool.tensorflow._launch import worker_node
from seedpool.tensorflow._data import map_base

def draw():
    return [random.getrandbits(32), int(np.random.randint(2**31)), int(seedpool.rng().integers(2**31)),
            int(tf.random.uniform((), maxval=2**31, dtype=tf.int64))]

out = {}
seedpool.seed_everything(1234, backends=["tensorflow"])
out["seed_everything_tf"] = [int(tf.random.uniform((), maxval=2**31, dtype=tf.int64)) for _ in range(2)]
s = stf.StrategySeeds(tf.distribute.get_strategy(), 1234)
out["worker_node"] = s.worker_node.generate_state(4).tolist()
out["launch_worker_node"] = worker_node(seedpool.SeedTree(1234), 1).generate_state(4).tolist()
out["replica"] = s.replica_seed().numpy().tolist()
out["replica_step"] = s.replica_seed(3).numpy().tolist()
out["replica_key"] = s.replica_seed(3, key="noise").numpy().tolist()
out["input"] = s.input_seed(tf.distribute.InputContext()).tolist()
out["map_base"] = np.asarray(map_base(1234)).tolist()
ds = stf.seeded_map(tf.data.Dataset.range(3),
                    lambda x, seed: tf.random.stateless_uniform((), seed, maxval=2**31, dtype=tf.int64),
                    seed=1234, epoch=1, num_parallel_calls=1)
out["seeded_map"] = [int(v) for v in ds]
out["dropout_seed"] = int(stf.ReplicaDropout(0.5, seed=seedpool.SeedTree(1234)).seed)

import seedpool.keras as sk

class Batches(keras.utils.PyDataset):
    def __len__(self):
        return 3
    def __getitem__(self, index):
        return draw()

pyds = sk.SeededPyDataset(Batches(), seed=1234)
out["keras_e0"] = [pyds[b] for b in range(2)]
pyds.on_epoch_end()
out["keras_e1"] = [pyds[0]]
print(json.dumps(out))
"""


@pytest.mark.slow
def test_tensorflow_and_keras_keys():
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("TensorFlow not installed")
    out = json.loads(run_python(_TF_CODE, env={"TF_CPP_MIN_LOG_LEVEL": "2"}, timeout=400).strip().splitlines()[-1])
    if os.environ.get("SEEDPOOL_GOLDEN_DUMP"):
        _pin("tensorflow", out)
        return
    assert out == GOLDEN["tensorflow"]


def test_literal_keys_live_only_in_keys_module():
    # Every namespace key is a _keys constant: no call .child("literal", ...) in code
    # (docstrings and comments may show the layout).
    offenders = []
    for path in sorted((REPO / "seedpool").rglob("*.py")):
        rel = str(path.relative_to(REPO))
        if path.name == "_keys.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "child":
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        offenders.append(f"{rel}:{node.lineno}: .child({arg.value!r}, ...)")
    assert not offenders, "\n".join(offenders)


def test_backend_registry_order_and_kinds():
    # The seeding order is part of the derived values: Keras' seeding reseeds random and
    # numpy, so TensorFlow and torch must come before the plain backends.
    from seedpool._state.backends import BACKENDS, eager_backends, fork_backend_names

    assert list(BACKENDS) == ["tensorflow", "torch", "python", "numpy", "rng"]
    assert [b.name for b in eager_backends()] == ["tensorflow", "torch"]
    assert [b.name for b in BACKENDS.values() if b.lazy] == ["python", "numpy", "rng"]
    assert fork_backend_names() == ("python", "numpy", "rng")
    assert [b.name for b in BACKENDS.values() if b.side_effects] == ["tensorflow"]
