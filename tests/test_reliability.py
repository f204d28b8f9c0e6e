"""Issue 22 ("reliability round 3"): one test per finding whose fix needs no engine file
of its own. Scenarios that need a fresh process or real loky workers run
tests/scripts/reliability_checks.py in a subprocess with a timeout.

Elsewhere: item 1 in tests/test_run_children.py, item 3 in tests/test_nesting.py,
item 21 in tests/test_dask.py.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import subprocess
import sys
import threading

import numpy as np
import pytest

import seedpool
from conftest import REPO

SCRIPT = REPO / "tests" / "scripts" / "reliability_checks.py"


def checks(*args: str, timeout: float = 300):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "tests"), env.get("PYTHONPATH", "")])
    for name in ("SEEDPOOL_SEED", "SEEDPOOL_RECORD", "SEEDPOOL_WORKERS", "SEEDPOOL_STRICT", "SEEDPOOL_RUN"):
        env.pop(name, None)
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=str(REPO))
    assert proc.returncode == 0, proc.stderr[-6000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def draw(x):
    return random.random(), float(np.random.random())


# -- item 2: seed_everything() in a task reseeds the task, not the process -------------------------
def test_seed_everything_in_a_thread_task_leaves_the_process_root_alone():
    # ThreadPool / ThreadPoolExecutor / joblib n_jobs=1 / joblib threading tasks, and
    # task_scope in the main thread, each with 1 and 3 threads: SEEDPOOL_SEED is kept,
    # and the seed=None pools opened afterwards draw what they draw with no such task.
    got = checks("reseed")
    baseline = got.pop("baseline")
    assert len(got) == 10
    for how, result in got.items():
        assert result["env kept"], how
        assert result["later"] == baseline, how


# -- item 4: a keyed call leaves a reused loky worker's streams as it found them -------------------
def test_a_keyed_call_does_not_carry_into_the_next_plain_joblib_call():
    pytest.importorskip("joblib")
    got = checks("carry")
    assert got["after_workers"] == got["workers"] and len(got["workers"]) == 2  # the same two workers
    # each worker's plain draws continue its own stream as it was before the keyed call
    assert got["got"] == got["expected"]


# -- item 8: a lambda that mentions seedpool reaches process workers ----------------------------------
def rng_plus(x):
    return float(seedpool.rng().random()) + x


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_lambda_mentioning_seedpool_is_sent_to_process_workers(method):
    # From a checkout (as here) dill would pickle the seedpool module by value, and fail
    # on its thread-locals: seedpool's own modules must go by reference.
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    ctx = multiprocessing.get_context(method)
    with seedpool.Pool(2, seed=4, context=ctx) as pool:
        expected = pool.map(rng_plus, range(4))
    with seedpool.Pool(2, seed=4, context=ctx) as pool:
        assert pool.map(lambda x: float(seedpool.rng().random()) + x, range(4)) == expected
    with seedpool.ProcessPoolExecutor(2, seed=4, mp_context=ctx) as ex:
        assert list(ex.map(lambda x: float(seedpool.rng().random()) + x, range(4))) == expected


# -- item 11: keyed()'s call is checked like a position -------------------------------------------------
def test_dask_keyed_call_is_checked_before_anything_is_sent():
    pytest.importorskip("distributed")
    import seedpool.dask

    with pytest.raises(ValueError, match="call"):
        seedpool.dask.keyed(draw, 3, call=2**31)
    # numpy integers are integers, as for positions
    assert seedpool.dask.keyed(draw, 3, call=np.int64(2))(0, 0) == seedpool.dask.keyed(draw, 3, call=2)(0, 0)
    assert seedpool.dask.keyed(draw, 3, call=np.int64(2))(1, 0) != seedpool.dask.keyed(draw, 3, call=1)(1, 0)


# -- item 16: strict mode follows the caller into reused loky workers --------------------------------
def test_strict_mode_follows_the_caller_into_reused_loky_workers():
    pytest.importorskip("joblib")
    # workers started outside strict mode: each call runs in the caller's mode of that call
    calls = checks("strict", "off", "error", "off", "warn", "off")
    assert [sorted(mode for _, mode in c) for c in calls] == [["off"] * 2, ["error"] * 2, ["off"] * 2,
                                                             ["warn"] * 2, ["off"] * 2]
    assert len({tuple(sorted(pid for pid, _ in c)) for c in calls}) == 1  # on the same two workers
    # workers started inside strict("error"): the mode does not stay with them
    calls = checks("strict", "error", "off")
    assert [sorted(mode for _, mode in c) for c in calls] == [["error"] * 2, ["off"] * 2]
    assert len({tuple(sorted(pid for pid, _ in c)) for c in calls}) == 1


# -- item 17: thread pools follow SEEDPOOL_WORKERS ---------------------------------------------------------
@pytest.mark.parametrize("make", [seedpool.ThreadPool, seedpool.ThreadPoolExecutor],
                         ids=["ThreadPool", "ThreadPoolExecutor"])
def test_thread_pools_follow_SEEDPOOL_WORKERS(make, monkeypatch):
    # a count neither stdlib default gives (cpu_count and min(32, cpu_count + 4))
    n = (os.cpu_count() or 1) + 1
    monkeypatch.setenv("SEEDPOOL_WORKERS", str(n))
    barrier = threading.Barrier(n, timeout=10)

    def meet(_):
        barrier.wait()  # only n threads at once get past: fewer -> BrokenBarrierError
        return threading.get_ident()

    with make() as pool:
        met = list(pool.map(meet, range(n)))
        more = list(pool.map(lambda _: threading.get_ident(), range(8 * n)))
    assert len(set(met) | set(more)) == n


# -- item 18: a refused constructor uses up no pool number ------------------------------------------------
def _refused():
    import seedpool.joblib

    return {
        "Pool(0)": lambda: seedpool.Pool(0),
        "Pool(2.5)": lambda: seedpool.Pool(2.5),
        "Pool(maxtasksperchild=0)": lambda: seedpool.Pool(maxtasksperchild=0),
        "ProcessPoolExecutor(0)": lambda: seedpool.ProcessPoolExecutor(0),
        "ThreadPool(2.5)": lambda: seedpool.ThreadPool(2.5),
        "Parallel(backend='nope')": lambda: seedpool.joblib.Parallel(backend="nope"),
    }


@pytest.mark.parametrize("refused", ["Pool(0)", "Pool(2.5)", "Pool(maxtasksperchild=0)", "ProcessPoolExecutor(0)",
                                     "ThreadPool(2.5)", "Parallel(backend='nope')"])
def test_a_refused_constructor_uses_up_no_pool_number(refused):
    if "Parallel" in refused:
        pytest.importorskip("joblib")
    seedpool.seed_everything(5)
    with pytest.raises((ValueError, TypeError)):
        _refused()[refused]()
    with seedpool.ThreadPool(2) as pool:  # still the process root's pool 0
        got = pool.map(draw, range(3))
    with seedpool.ThreadPool(2, seed=seedpool.SeedTree(5).child("pools", 0)) as pool:
        assert got == pool.map(draw, range(3))


# -- item 19: thread pool tasks are in the seed record ------------------------------------------------------
@pytest.mark.parametrize("make", [seedpool.ThreadPool, seedpool.ThreadPoolExecutor],
                         ids=["ThreadPool", "ThreadPoolExecutor"])
def test_thread_pool_tasks_write_seed_record_lines(make, tmp_path, monkeypatch):
    path = tmp_path / "run.seeds"
    monkeypatch.setenv("SEEDPOOL_RECORD", str(path))
    seedpool.seed_everything(3)
    with make(2, seed=seedpool.SeedTree(3).child("pools", 7)) as pool:
        list(pool.map(draw, range(3)))
    record = seedpool.SeedRecord.load(path)
    tasks = sorted(c.path for c in record.consumers if c.kind == "task")
    assert tasks == [("pools", 7, "tasks", 0, i) for i in range(3)]  # as the process pools write them


# -- item 22: seedpool.dask.Executor refuses unknown keywords in ClientExecutor's words ------------------
def test_dask_executor_unknown_keyword_message_is_client_executors():
    pytest.importorskip("distributed")
    import seedpool.dask

    with pytest.raises(TypeError) as caught:
        seedpool.dask.Executor(None, bogus=1)
    assert str(caught.value) == "unsupported arguments to ClientExecutor: ['bogus']"

