"""seedpool.dask.Client and seedpool.dask.delayed: Dask's own APIs, keyed.

Each cluster shape runs in its own subprocess (tests/scripts/dask_native_checks.py) on a
real ``LocalCluster(processes=True)``, with a timeout; every process it started is killed
after (tests/cluster_procs.py). Results are compared between shapes, with
``seedpool.dask.Executor`` and ``seedpool.ProcessPoolExecutor``, and with what the
documented keys give, derived here.
"""

from __future__ import annotations

import json
import sys

import pytest

pytest.importorskip("distributed")

from cluster_procs import TESTS, run_cluster_script  # noqa: E402
from expected_draws import as_json, expected_draw, gens  # noqa: E402

import pool_tasks as T  # noqa: E402
import seedpool  # noqa: E402

sys.path.insert(0, str(TESTS / "scripts"))
import dask_native_checks as D  # noqa: E402
import strict_tasks  # noqa: E402

ROOT = seedpool.SeedTree(D.SEED)
SHAPES = [(1, 1), (2, 1), (1, 2), (2, 2)]


def task(c, i, root=ROOT):
    return root.child("tasks", c, i)


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    """Every shape's run; the 2 x 2 one also writes a seed record."""
    out = {}
    for workers, threads in SHAPES:
        marker = tmp_path_factory.mktemp(f"d{workers}{threads}")
        env = {}
        if (workers, threads) == (2, 2):
            out["record"] = tmp_path_factory.mktemp("record") / "run.jsonl"
            env["SEEDPOOL_RECORD"] = str(out["record"])
        out[workers, threads] = run_cluster_script("dask_native_checks.py", "shape", str(workers), str(threads),
                                                   str(marker), env=env, timeout=600)
    return out


def test_results_are_identical_for_every_cluster_shape(shapes):
    first = shapes[1, 1]
    for shape in SHAPES[1:]:
        got = shapes[shape]
        assert got["client"] == first["client"], shape
        assert got["delayed_distributed"] == first["delayed_distributed"], shape


def test_client_map_equals_executor_map_equals_process_pool_executor_map(shapes):
    with seedpool.ProcessPoolExecutor(2, seed=D.SEED) as ex:
        local = as_json(list(ex.map(T.draw, D.ITEMS)))
    got = shapes[2, 2]["client"]
    assert got["map"] == got["executor"] == local  # the executor recomputed (pure=False)
    assert got["map"] == as_json([expected_draw(task(0, i), x) for i, x in enumerate(D.ITEMS)])
    assert len({tuple(v[1:]) for v in got["map"][:3]}) == 3  # equal items, distinct tasks
    assert got["submit"] == as_json(expected_draw(task(1, 0), 9))  # the client's call 1 is a submit
    assert got["jitter"][5] == as_json(E_jitter(task(2, 5), 5))
    assert got["batched"] == as_json([expected_draw(task(7, i), i) for i in range(5)])  # batch_size keeps positions


def E_jitter(node, x):
    py, npr, rng = gens(node)
    a = py.random()
    return [x, a, float(npr.random_sample()), float(rng.random()), py.random()]


def test_tasks_that_submit_tasks_key_them_under_their_own_node(shapes):
    # worker_client(), get_client() + secede/rejoin: the task's k-th Client call is
    # keyed task_node.child("tasks", k, i), whatever runs where (the shapes agree above).
    got = shapes[2, 1]["client"]
    expected = []
    for x in range(3):
        node = task(3, x)
        py, npr, _ = gens(node)
        before = py.random()
        items = [10 * x, 10 * x + 1, 10 * x + 1]
        inner = [expected_draw(task(0, i, node), v) for i, v in enumerate(items)]
        expected.append([x, before, inner, expected_draw(task(1, 0, node), 99), float(npr.random_sample())])
    assert got["nested"] == as_json(expected)
    expected = []
    for x in range(2):
        node = task(4, x)
        expected.append([x, [expected_draw(task(0, i, node), i) for i in range(2)], gens(node)[0].random()])
    assert got["nested_secede"] == as_json(expected)


def test_retried_and_rerun_tasks_draw_what_their_first_attempt_drew(shapes):
    for shape in SHAPES:
        got = shapes[shape]["client"]
        assert got["died"], f"{shape}: no worker was killed: nothing was tested"
        assert got["retries"] == as_json([expected_draw(task(5, i), i) for i in range(3)])
        expected = []
        for x in range(4):
            py, npr, rng = gens(task(6, x))
            expected.append([x, py.random(), float(npr.random_sample()), float(rng.random()), py.random()])
        assert got["killed"] == as_json(expected), shape


def test_delayed_is_keyed_by_construction_order_on_every_scheduler(shapes):
    got = shapes[1, 1]
    for scheduler in ("sync", "threads", "processes"):
        assert got[f"delayed_{scheduler}"] == got["delayed_distributed"], scheduler
    values, noisier, inner = got["delayed_distributed"]
    delayed = seedpool.SeedTree(D.SEED).child("delayed")
    assert values == as_json([expected_draw(delayed.child(k), x) for k, x in enumerate(D.ITEMS)])
    assert noisier == as_json([[values[j][0], values[j][1] + 0.5 * gens(delayed.child(8 + j))[0].random()]
                               for j in range(3)])
    node = delayed.child(11)  # a graph built inside a delayed task: keyed under it
    assert inner == as_json([gens(node)[0].random(), [expected_draw(node.child("delayed", j), j) for j in range(3)]])


def test_pure_tasks_are_distinct_exactly_where_their_positions_differ(shapes):
    keys = shapes[2, 2]["controls"]["keys"]
    assert keys["a"][0] != keys["a"][1]  # equal items, two positions: two tasks
    assert keys["a"] == keys["b"]  # the same seed and positions: the same tasks, shared
    assert keys["submit"][0] != keys["submit"][1]  # two submits are two calls
    assert shapes[2, 2]["controls"]["a_values"] == as_json(
        [expected_draw(seedpool.SeedTree(99).child("tasks", 0, i), 5) for i in range(2)])


def test_controls_plain_client_map_with_seeds_by_hand_is_shape_or_submission_dependent(shapes):
    # one pure task for equal items: [5, 5, 5] draw one value three times
    keys, values = shapes[1, 1]["controls"]["plain_equal_items"]
    assert keys == 1 and len({tuple(v) for v in values}) == 1
    # workers seeded by hand (client.run): a task's value depends on where it ran
    one = shapes[1, 1]["controls"]["seeded_workers"]
    two = shapes[2, 1]["controls"]["seeded_workers"]
    assert len({v[1] for v in one}) == 8
    assert len({v[1] for v in two}) < 8  # two workers seeded alike repeat each other
    assert one != two


def test_strict_mode_and_records_see_client_tasks(shapes):
    got = shapes[2, 2]["strict_record"]
    assert got["root"] == ["pools", 0]  # seed=None under seed_everything: the process root's pools[0]
    pools = seedpool.SeedTree(D.SEED).child("pools", 0)
    assert got["values"] == as_json([expected_draw(task(0, i, pools), i) for i in range(3)])
    for name, reports in zip(strict_tasks.UNSEEDED, got["unseeded"]):
        assert [(f, line) for f, line, _ in reports] == [(strict_tasks.__file__, strict_tasks.marker_line(name))], name
    assert got["seeded"] == [[]] * len(strict_tasks.SEEDED)
    assert got["off"] == []
    record = seedpool.SeedRecord.load(shapes["record"])
    tasks = {c.path for c in record.consumers if c.kind == "task"}
    assert {("pools", 0, "tasks", 0, i) for i in range(3)} <= tasks
    assert {("delayed", k) for k in range(12)} <= tasks  # delayed calls under the process root
    assert {("delayed", 11, "delayed", j) for j in range(3)} <= tasks
    assert record.tree() == seedpool.SeedTree(D.SEED)


def test_bad_input():
    import dask

    import seedpool.dask

    with pytest.raises(ValueError, match="seed must be non-negative"):
        seedpool.dask.Client("tcp://127.0.0.1:1", seed=-3)  # refused before connecting
    with pytest.raises(ValueError, match="nout must be None or a non-negative integer"):
        seedpool.dask.delayed(T.draw, nout=-1)
    assert isinstance(seedpool.dask.delayed(5), dask.delayed(5).__class__)  # not callable: Dask's own
    decorated = seedpool.dask.delayed(pure=True)(T.draw)
    assert isinstance(decorated, seedpool.dask.SeededDelayed) and decorated.pure is True
    assert seedpool.dask.delayed(decorated) is decorated
    assert decorated.__name__ == "draw" and decorated.__wrapped__ is T.draw
    assert decorated.__doc__ == T.draw.__doc__
    # ...while the class keeps its own docstring (help(), the API reference)
    assert seedpool.dask.SeededDelayed.__doc__.startswith("A seeded delayed function")


def test_client_refuses_bad_calls_before_they_take_a_number():
    got = run_cluster_script("dask_native_checks.py", "errors")
    assert got["errors"] == ["TypeError: First input to submit must be a callable function",
                             "TypeError: First input to map must be a callable function",
                             "ValueError: Only use allow_other_workers= if using workers=",
                             "TypeError: Dask no longer supports mapping over Iterators or Queues."
                             "Consider using a normal for loop and Client.submit"]
    assert got["after"] == as_json(expected_draw(task(0, 0, seedpool.SeedTree(3)), 1))


def _seedpool_check(*args: str):
    """``python -m seedpool check ...`` in its own session; every process it leaves is killed."""
    import os
    import subprocess
    import uuid

    from cluster_procs import MARKER, REPO, kill_marked

    tag = uuid.uuid4().hex
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), str(REPO), env.get("PYTHONPATH", "")])
    for name in ("SEEDPOOL_SEED", "SEEDPOOL_STRICT", "SEEDPOOL_STRICT_LOG", "SEEDPOOL_RECORD", "SEEDPOOL_WORKERS"):
        env.pop(name, None)
    env[MARKER] = tag
    try:
        return subprocess.run([sys.executable, "-m", "seedpool", "check", *args], capture_output=True, text=True,
                              env=env, timeout=600, cwd=str(REPO), start_new_session=True)
    finally:
        kill_marked(tag)


def test_seedpool_check_sees_client_and_delayed_like_the_other_engines():
    script = str(TESTS / "scripts" / "dask_check_script.py")
    keyed = _seedpool_check("--strict", "--seed", "5", "--runs", "2", "--vary-workers", "1,2", "--",
                            sys.executable, script, "seedpool")
    assert keyed.returncode == 0, keyed.stdout + keyed.stderr
    assert "no randomness escaped" in keyed.stderr and "OK" in keyed.stdout
    # control: Dask's own Client and delayed under the same check differ with the worker count
    plain = _seedpool_check("--seed", "5", "--runs", "1", "--vary-workers", "1,2", "--", sys.executable, script,
                            "plain")
    assert plain.returncode == 1, plain.stdout + plain.stderr


def test_a_bound_method_delayed_on_a_local_scheduler_is_keyed_in_a_fresh_process():
    # On Dask's local schedulers the calls run in this process, and
    # ``delayed(np.random.rand)`` looks up ``np.random.rand`` before any task: the hooks
    # must be in from ``import seedpool.dask`` on, or the calls draw the process's own
    # stream in the scheduler's order (which changes run to run with the keys' names).
    from conftest import run_python

    code = (
        "import json, dask, numpy as np, seedpool, seedpool.dask\n"
        "seedpool.seed_everything(3)\n"
        "f = seedpool.dask.delayed(np.random.rand)\n"
        "print(json.dumps(dask.compute(*[f() for _ in range(8)], scheduler='sync')))\n"
    )
    runs = [json.loads(run_python(code, env={"PYTHONHASHSEED": str(h)})) for h in (1, 2, 3)]
    assert runs[0] == runs[1] == runs[2]
    assert len(set(runs[0])) == 8


def test_nested_calls_on_an_in_process_cluster_are_keyed_under_their_task():
    # LocalCluster(processes=False): worker_client() / get_client() hand the tasks this
    # very seedpool.dask.Client, whose own submit/map must then key under the running
    # task (not as the client's next top-level calls, which also shifted every later
    # call and depended on which task got there first). Same keys as on a process cluster.
    from conftest import run_python

    out = run_python(
        "import json, sys\n"
        f"sys.path.insert(0, {str(TESTS)!r})\n"
        "import seedpool.dask, dask_native_tasks as N, pool_tasks as P\n"
        "from distributed import LocalCluster\n"
        "with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cl, \\\n"
        f"     seedpool.dask.Client(cl, seed={D.SEED}) as client:\n"
        "    nested = client.gather(client.map(N.nested_worker_client, range(3)))\n"
        "    secede = client.gather(client.map(N.nested_get_client, range(2)))\n"
        "    top = client.gather(client.map(P.draw, range(2)))\n"
        "print(json.dumps([nested, secede, top]))\n", timeout=300)
    nested, secede, top = json.loads(out.strip().splitlines()[-1])
    expected = []
    for x in range(3):
        node = task(0, x)
        py, npr, _ = gens(node)
        before = py.random()
        items = [10 * x, 10 * x + 1, 10 * x + 1]
        inner = [expected_draw(task(0, i, node), v) for i, v in enumerate(items)]
        expected.append([x, before, inner, expected_draw(task(1, 0, node), 99), float(npr.random_sample())])
    assert nested == as_json(expected)
    assert secede == as_json([[x, [expected_draw(task(0, i, task(1, x)), i) for i in range(2)],
                               gens(task(1, x))[0].random()] for x in range(2)])
    assert top == as_json([expected_draw(task(2, i), i) for i in range(2)])  # the client's call 2, not shifted
