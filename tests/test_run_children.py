"""``seedpool run``: every Python child gets a numbered node of its own, or is detected.

Each scenario runs tests/scripts/run_children.py under ``seedpool run --seed 1`` in its
own session with a timeout; processes left behind (Ray's, Dask's) are killed by the
environment marker of tests/cluster_procs.py. The k-th child of the root must draw
exactly what ``seed_everything(SeedTree(1).child("child", k))`` gives; a child that
cannot be numbered (Ray's workers, started by the raylet) must not replay another
process's streams, so ``seedpool check`` reports the program instead of passing it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid

import pytest
from cluster_procs import MARKER, REPO, TESTS, kill_marked

from conftest import run_python

SCRIPT = TESTS / "scripts" / "run_children.py"
PY = sys.executable


def seedpool_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m seedpool ARGS`` in its own session; every process it left is killed."""
    tag = uuid.uuid4().hex
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    for name in ("SEEDPOOL_SEED", "SEEDPOOL_SEED_PID", "SEEDPOOL_RECORD", "SEEDPOOL_WORKERS", "SEEDPOOL_RUN",
                 "SEEDPOOL_POOLS", "SEEDPOOL_STRICT"):
        env.pop(name, None)
    env[MARKER] = tag
    proc = subprocess.Popen([PY, "-m", "seedpool", *args], env=env, cwd=str(REPO), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(f"seedpool {' '.join(args)} timed out:\n{err[-4000:]}") from None
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        kill_marked(tag)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def run_mode(mode: str, seed: str = "1") -> dict:
    proc = seedpool_cli("run", "--seed", seed, "--", PY, str(SCRIPT), mode)
    assert proc.returncode == 0, proc.stderr[-6000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def nodes() -> dict:
    """What a process seeded from ``SeedTree(1)`` and from its ``child("child", k)`` draws
    first (computed in a fresh interpreter: seed_everything changes process state)."""
    code = ("import json, random, numpy as np, seedpool\n"
            "def draw(node):\n"
            "    seedpool.seed_everything(node)\n"
            "    return [random.random(), float(np.random.random())]\n"
            "root = seedpool.SeedTree(1)\n"
            "print(json.dumps({'parent': draw(root), 'children': [draw(root.child('child', k)) for k in range(8)]}))\n")
    return json.loads(run_python(code))


def test_os_spawn_children_are_numbered(nodes):
    # os.posix_spawn, os.posix_spawnp, os.spawnv, os.spawnve (a copy of the environment),
    # os.spawnlp: children 0..4, in the order they were started
    got = run_mode("spawn")
    assert got["parent"] == nodes["parent"]
    assert got["children"] == nodes["children"][:5]


def test_an_inherited_node_is_not_replayed(nodes):
    # fork, then execve with the environment saved before the fork: the child got no
    # node of its own. It must not draw the parent's numbers, and it cannot be
    # reproducible: it is seeded from fresh entropy.
    first, second = run_mode("inherited"), run_mode("inherited")
    assert first["parent"] == second["parent"] == nodes["parent"]
    assert first["children"][0] != nodes["parent"] and first["children"][0] not in nodes["children"]
    assert first["children"] != second["children"]


def test_loky_workers_get_their_own_nodes(nodes):
    pytest.importorskip("joblib")
    first, second = run_mode("loky"), run_mode("loky")
    workers = first["children"]
    assert len(workers) == 2 and workers[0] != workers[1]
    assert nodes["parent"] not in workers
    assert all(w in nodes["children"] for w in workers)  # numbered: child k of the script's root
    assert second == first


def test_dask_nanny_workers_are_numbered(nodes):
    pytest.importorskip("distributed")
    first, second = run_mode("dask"), run_mode("dask")
    workers = first["children"]
    assert len(workers) == 2
    # numpy: each worker keeps its own node's stream (Dask's start-up reseed from OS
    # entropy is skipped). Which nanny's worker takes which key depends on which
    # starts first, so the workers are compared as a set. Dask's own code draws from
    # `random` in the worker before the task runs, so that stream is compared for
    # distinctness only.
    numpy_draws = sorted(w[1] for w in workers)
    assert numpy_draws[0] != numpy_draws[1]
    assert set(numpy_draws) <= {c[1] for c in nodes["children"]}  # numbered: child k of the root
    assert sorted(w[1] for w in second["children"]) == numpy_draws
    assert workers[0][0] != workers[1][0] and nodes["parent"][0] not in (workers[0][0], workers[1][0])


def test_ray_workers_do_not_share_the_raylets_node(nodes):
    pytest.importorskip("ray")
    got = run_mode("ray")
    workers = got["children"]
    assert len(workers) == 2 and workers[0] != workers[1]
    assert nodes["parent"] not in workers and not any(w in nodes["children"] for w in workers)


def test_check_fails_on_ray_workers_it_cannot_number():
    pytest.importorskip("ray")
    proc = seedpool_cli("check", "--seed", "1", "--runs", "2", "--timeout", "240", "--", PY, str(SCRIPT), "ray",
                        timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr[-4000:]
    assert "stdout of run 2 differs from run 1" in proc.stdout
