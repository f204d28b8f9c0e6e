"""Nesting is one rule for every engine pair: any seedpool engine opened with ``seed=None``
inside a task of any other is keyed by the outer task -- ``task.child("pools", k)`` for
the k-th engine the task opens -- so what it draws depends on neither the outer worker
count nor its chunking, and equals the same task run in this process under
``task_scope``.

Each outer engine runs in a subprocess (a hang fails under its timeout), under two
schedules: one worker and chunks of one, then several workers and chunks of two. In
every task it opens each inner engine in turn.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO

pytest.importorskip("joblib")

import nest_tasks as N  # noqa: E402

TESTS = REPO / "tests"
OUTERS = ["pool", "thread_pool", "process_executor", "thread_executor", "joblib_loky", "joblib_threading"]
SCHEDULES = [{"workers": 1, "chunk": 1}, {"workers": 3, "chunk": 2}]


def _inner_for(outer: str) -> list[str]:
    if outer == "pool":  # daemonic workers: no process pool inside (multiprocessing's rule)
        return [name for name in N.INNER if name not in N.PROCESS_INNER]
    return list(N.INNER)


def _run(outer: str, configs: list[dict], names: list[str]) -> list:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), str(REPO), os.environ.get("PYTHONPATH", "")]))
    env.pop("SEEDPOOL_SEED", None)
    proc = subprocess.run([sys.executable, str(TESTS / "nest_tasks.py"), outer, json.dumps(configs), json.dumps(names)],
                          capture_output=True, text=True, timeout=300, env=env, cwd=str(REPO))
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.matrix_skip  # version-independent; each outer starts a few dozen pools
@pytest.mark.parametrize("outer", OUTERS)
def test_every_inner_engine_is_keyed_by_the_outer_task(outer):
    names = _inner_for(outer)
    one, several = _run(outer, SCHEDULES, names)
    (reference,) = _run("reference", [{}], names)
    assert one == several, f"{outer}: the nested draws changed with the outer schedule"
    assert one == reference, f"{outer}: the nested draws differ from the same tasks under task_scope"
    # Distinct per task and per inner engine: each opened engine has its own root.
    flat = [json.dumps(inner) for task in one for inner in task]
    assert len(set(flat)) == len(flat)


def test_the_reference_is_the_documented_key():
    # task i's k-th engine opened with seed=None is SeedTree(11).child("tasks", 0, i, "pools", k):
    # checked on the first inner engine of the first task against a direct pool run.
    (reference,) = _run("reference", [{}], ["thread_pool"])
    import seedpool

    node = seedpool.SeedTree(11).child("tasks", 0, 0, "pools", 0)
    with seedpool.ThreadPool(2, seed=node) as pool:
        direct = pool.map(N.draw, range(3))
    assert reference[0][0] == direct
