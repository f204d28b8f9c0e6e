"""@seedpool.ray.remote: Ray's own tasks and actors, keyed by submitter and position.

Ray is heavy (seconds to start, ~10 processes): the scenarios run in two subprocesses
(tests/scripts/ray_native_checks.py), one under ``ray.init(num_cpus=1)`` and one under
``ray.init(num_cpus=2)``, each with a timeout; every process they started is killed after
(tests/cluster_procs.py). The values are compared between the two processes, between two
runs in one process, and with what the documented keys give, derived here.
"""

from __future__ import annotations

import sys

import pytest

pytest.importorskip("ray")

from cluster_procs import TESTS, run_cluster_script  # noqa: E402
from expected_draws import as_json, expected_draw, gens  # noqa: E402

import seedpool  # noqa: E402

sys.path.insert(0, str(TESTS / "scripts"))
import ray_native_checks as R  # noqa: E402
import strict_tasks  # noqa: E402

ROOT = seedpool.SeedTree(R.SEED)


def remote(k, parent=ROOT):
    return parent.child("remote", k)


@pytest.fixture(scope="module")
def one_cpu(tmp_path_factory):
    marker = tmp_path_factory.mktemp("ray1")
    return run_cluster_script("ray_native_checks.py", "1", str(marker), timeout=600)


@pytest.fixture(scope="module")
def two_cpus(tmp_path_factory):
    marker = tmp_path_factory.mktemp("ray2")
    record = tmp_path_factory.mktemp("record") / "run.jsonl"
    got = run_cluster_script("ray_native_checks.py", "2", str(marker), timeout=600,
                             env={"SEEDPOOL_RECORD": str(record), "SEEDPOOL_SEED": "77"})
    return got, record


def test_results_are_identical_for_one_and_two_cpus_run_after_run(one_cpu, two_cpus):
    got, _ = two_cpus
    a, b1, b2 = one_cpu["run1"], got["run1"], got["run2"]
    assert a == b1 == b2  # two processes, and a second run on workers with a history
    assert len({tuple(v[1:]) for v in b1["flat"]}) == len(R.ITEMS)  # equal items draw independently


def test_driver_calls_draw_the_documented_keys(two_cpus):
    got = two_cpus[0]["run1"]
    assert got["flat"] == as_json([expected_draw(remote(k), x) for k, x in enumerate(R.ITEMS)])
    assert got["options"] == as_json(expected_draw(remote(8), 70))  # .options(...).remote() is keyed too
    assert got["jitter"] == as_json([expected_draw(remote(9 + x), x) for x in range(6)])


def test_nested_tasks_are_keyed_under_the_task_that_submits_them(one_cpu, two_cpus):
    # 1 CPU: the outer tasks take turns and their inner tasks wait for a CPU; 2 CPUs:
    # outer and inner tasks overlap. The same values, each inner task keyed
    # outer_node.child("remote", j), and the outer task's own draws undisturbed.
    got = two_cpus[0]["run1"]["nested"]
    assert one_cpu["run1"]["nested"] == got
    expected = []
    for x in range(3):
        node = remote(15 + x)
        py, npr, _ = gens(node)
        before = py.random()
        inner = [expected_draw(remote(j, node), 10 * x + j) for j in range(3)]
        expected.append([x, before, inner, float(npr.random_sample())])
    assert got == as_json(expected)


def test_an_actor_has_its_node_and_keys_its_method_calls_in_order(two_cpus):
    got = two_cpus[0]["run1"]
    actor = remote(18)
    assert got["actor_first"] == gens(actor)[0].random()  # __init__ ran under the actor's node
    position, expected = 1.0, []
    for m, scale in enumerate((1.0, 0.5, 2.0)):
        py, npr, rng = gens(actor.child("calls", m))
        position += scale * float(npr.standard_normal())  # a plain self.noise() inside the call
        expected.append([position, py.random(), float(rng.random())])
    assert got["actor"] == as_json(expected)
    spawn = actor.child("calls", 4)  # tasks a method submits: under the method call's node
    assert got["actor_spawn"] == as_json([expected_draw(remote(j, spawn), j) for j in range(2)])


def test_ray_method_options_and_ray_call_work_on_a_seeded_actor(two_cpus):
    first, second, n = two_cpus[0]["pair"]
    py = gens(remote(44).child("calls", 0))[0]  # the driver's 45th seeded call; the actor's call 0
    assert [first, second] == [py.random(), py.random()]  # num_returns=2 from @ray.method
    assert n == 1  # __ray_call__'s closure reads the instance's attribute through the proxy


def test_a_retried_task_draws_what_its_first_attempt_drew(one_cpu, two_cpus):
    got = two_cpus[0]
    # retry_exceptions: each task raised once after drawing, and ran again
    assert got["run1"]["retry"] == as_json([expected_draw(remote(19 + x), x) for x in range(3)])
    # a worker process killed (os._exit) mid-task: Ray ran the task again on another worker
    assert got["run1"]["died"] and one_cpu["run1"]["died"], "no worker was killed: nothing was tested"
    assert got["run2"]["died"]  # the marker stayed: run 2 was undisturbed
    expected = []
    for x in range(4):
        py, npr, rng = gens(remote(22 + x))
        expected.append([x, py.random(), float(npr.random_sample()), float(rng.random()), py.random()])
    assert got["run1"]["killed"] == got["run2"]["killed"] == as_json(expected)


def test_controls_plain_ray_remote_with_a_seed_by_hand_is_correlated_or_schedule_dependent(one_cpu, two_cpus):
    got = two_cpus[0]["controls"]
    # one seed handed to every task: every task draws the same number (ray#50638)
    assert len({v[1] for v in got["same_seed"]}) == 1
    # a worker seeded once: values depend on which worker ran which task
    one, two = one_cpu["controls"]["seed_once"], got["seed_once"]
    assert len({v[1] for v in one}) == 6  # one worker: one stream
    assert len({v[1] for v in two}) < 6  # two workers seeded alike: repeated values
    assert one != two


def test_strict_mode_travels_with_the_call(two_cpus):
    got = two_cpus[0]["strict"]
    names = list(strict_tasks.UNSEEDED)
    for name, reports in zip(names, got["unseeded"]):
        assert [(f, line) for f, line, _ in reports] == [(strict_tasks.__file__, strict_tasks.marker_line(name))], name
        assert "inside seedpool task ['remote'" in reports[0][2]
    assert got["seeded"] == [[]] * len(strict_tasks.SEEDED)
    assert f"strict_tasks.py:{strict_tasks.marker_line('default_rng')}:" in got["raising"]
    assert got["off"] == []  # the worker follows the caller's mode back off


def test_task_nodes_reach_the_seed_record(two_cpus):
    got, path = two_cpus
    assert got["record"]
    record = seedpool.SeedRecord.load(path)
    tasks = {c.path for c in record.consumers if c.kind == "task"}
    assert {("remote", k) for k in range(26)} <= tasks
    assert {("remote", 18, "calls", m) for m in range(5)} <= tasks  # the actor's method calls
    assert {("remote", 15, "remote", j) for j in range(3)} <= tasks  # nested tasks
    assert record.tree() == ROOT


def test_without_a_root_each_call_is_fresh_entropy(one_cpu, two_cpus):
    a, b = one_cpu["unseeded"], two_cpus[0]["unseeded"]
    assert len({tuple(v) for v in a + b}) == 4


def test_a_plain_task_calling_a_seeded_function_does_not_use_the_workers_shared_root(two_cpus):
    # Every Ray worker inherited SEEDPOOL_SEED=77; two fresh workers each making their
    # first seeded call must not both draw root.child("remote", 0).
    first, second = two_cpus[0]["plain_submitters"]
    assert first != second
    assert expected_draw(seedpool.SeedTree(77).child("remote", 0), 0) not in (first, second)


def test_bad_input_fails_before_ray_starts_or_a_position_is_taken():
    import ray
    import ray_native_tasks as T

    import seedpool.ray
    from seedpool._derive.keys import REMOTE
    from seedpool._task.seed_arg import next_position

    with pytest.raises(TypeError, match="applied either with no arguments"):
        seedpool.ray.remote(T.draw, num_cpus=1)
    with pytest.raises(TypeError, match="applied either with no arguments"):
        seedpool.ray.remote()
    with pytest.raises(TypeError, match="must be applied to either a function or a class.*got 5"):
        seedpool.ray.remote(5)

    async def coroutine():
        return 1

    def generator():
        yield 1

    class Streams:
        async def poll(self):
            return 1

    with pytest.raises(TypeError, match="'async def'"):
        seedpool.ray.remote(coroutine)
    with pytest.raises(TypeError, match="generator function"):
        seedpool.ray.remote(num_returns="streaming")(generator)
    with pytest.raises(TypeError, match="actor class .*Streams.*method .*poll is an 'async def'"):
        seedpool.ray.remote(Streams)
    with pytest.raises(ValueError):  # Ray's own check of its options, at decoration
        seedpool.ray.remote(num_cpus=-1)(lambda: 1)
    with pytest.raises(TypeError, match="cannot be called directly.*draw.remote"):
        T.draw(1)
    with pytest.raises(TypeError, match="Actors cannot be instantiated directly"):
        T.Walker(1.0)
    with pytest.raises(NotImplementedError, match="Ray DAG"):
        T.draw.bind(1)
    seedpool.seed_everything(3)
    with pytest.raises(TypeError, match="missing a required argument: 'x'"):
        T.draw.remote()
    with pytest.raises(TypeError, match="too many positional arguments"):
        T.Walker.remote(1.0, 2.0)
    assert next_position(REMOTE)[1] == 0  # the refused calls took no position
    assert not ray.is_initialized()


def test_remote_returns_ray_objects_and_keeps_the_name():
    import ray_native_tasks as T

    import seedpool.ray

    assert T.draw.__name__ == "draw" and T.draw.__wrapped__.__name__ == "draw"
    assert T.Walker.__name__ == "Walker" and "seedpool.ray.ActorClass" in repr(T.Walker)
    # the options of a decorated function reach Ray's own remote function
    assert T.draw_with_options._remote_function._default_options == {"num_cpus": 1, "max_retries": 0}
    assert isinstance(seedpool.ray.remote(max_retries=1), type(lambda: 0))


def test_seedpool_check_sees_remote_tasks_and_actors():
    # seedpool check --strict, and ray.init(num_cpus=SEEDPOOL_WORKERS) varied 1, 2: the
    # same output, and nothing escaped the keys, in the driver or in Ray's workers.
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
    script = str(TESTS / "scripts" / "ray_check_script.py")
    try:
        proc = subprocess.run([sys.executable, "-m", "seedpool", "check", "--strict", "--seed", "5", "--runs", "1",
                               "--vary-workers", "1,2", "--", sys.executable, script], capture_output=True,
                              text=True, env=env, timeout=600, cwd=str(REPO), start_new_session=True)
    finally:
        kill_marked(tag)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no randomness escaped" in proc.stderr and "OK, all 3 runs" in proc.stdout
