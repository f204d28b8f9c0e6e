"""seedpool.ThreadPool / ThreadPoolExecutor: real threads, tasks that sleep between draws.

What must hold: a task's draws depend on its key only -- the same for 1, 2, 4 and 8
threads, run after run, and equal to what the process pools return for the same seed;
the main thread's streams are not disturbed by tasks running meanwhile; the drop-in
surface behaves as the stdlib's.
"""

from __future__ import annotations

import concurrent.futures
import json
import multiprocessing.dummy
import multiprocessing.pool
import random
import threading
import time

import numpy as np
import pytest
import thread_tasks
from thread_tasks import draws, draws2, info, init_draws, noop, remember_init

import seedpool
from conftest import run_python
from seedpool._state.backends import words_to_int
from seedpool._task.task import task_scope

pytestmark = pytest.mark.timeout(300)

SEED = 2024
ITEMS = list(range(48))
THREADS = (1, 2, 4, 8)


def _expected_task(node: seedpool.SeedTree) -> tuple:
    """First draws of a task keyed ``node``, computed from the tree directly."""
    return (
        random.Random(words_to_int(node.child("python").generate_state(4))).random(),
        float(np.random.RandomState(node.child("numpy").generate_state(4)).random_sample()),
        float(node.child("rng").generator().random()),
    )


@pytest.fixture(scope="module")
def process_results() -> dict:
    """What the process pools return for the same seed (computed once: slow)."""
    ctx = multiprocessing.get_context("fork")
    with seedpool.Pool(2, seed=SEED, context=ctx) as pool:
        pool_map = pool.map(draws, ITEMS)
        pool_star = pool.starmap(draws2, [(x, 1) for x in ITEMS[:10]])
    with seedpool.ProcessPoolExecutor(2, mp_context=ctx, seed=SEED) as ex:
        ex_map = list(ex.map(draws, ITEMS))
        ex_submit = [ex.submit(draws, x).result() for x in (3, 4)]
    return {"pool_map": pool_map, "pool_star": pool_star, "ex_map": ex_map, "ex_submit": ex_submit}


def test_process_pools_agree_with_each_other(process_results):
    assert process_results["pool_map"] == process_results["ex_map"]


@pytest.mark.parametrize("threads", THREADS)
def test_executor_map_equals_process_pools_for_any_thread_count(threads, process_results):
    with seedpool.ThreadPoolExecutor(threads, seed=SEED) as ex:
        got = list(ex.map(draws, ITEMS))
        # submit k is keyed ("tasks", k, 0): call 0 was the map, so these are calls 1, 2
        submitted = [ex.submit(draws, x) for x in (3, 4)]
        assert [f.result() for f in submitted] == process_results["ex_submit"]
    assert got == process_results["ex_map"]


@pytest.mark.parametrize("threads", THREADS)
def test_threadpool_map_equals_process_pool_for_any_thread_count(threads, process_results):
    with seedpool.ThreadPool(threads, seed=SEED) as pool:
        assert pool.map(draws, ITEMS) == process_results["pool_map"]
        assert pool.starmap(draws2, [(x, 1) for x in ITEMS[:10]]) == process_results["pool_star"]


def test_tasks_in_one_chunk_each_start_afresh():
    # A ThreadPool thread re-arms its task for a chunk's next item instead of leaving
    # and entering (seedpool._engines.threads): rng(), cached normals (on the thread's own
    # generators), nested pools' numbering and seed_everything() must still be each
    # task's own -- the values seedpool.Pool gives, one task per chunk or twelve.
    import pool_tasks

    with seedpool.Pool(2, seed=5, context=multiprocessing.get_context("fork")) as pool:
        expected = pool.map(pool_tasks.chunk_mix, range(12), chunksize=1)
    for threads, chunksize in ((1, 12), (2, 1), (2, 5)):
        with seedpool.ThreadPool(threads, seed=5) as pool:
            assert pool.map(pool_tasks.chunk_mix, range(12), chunksize=chunksize) == expected, chunksize
    assert len({repr(r[1]) for r in expected}) == 12


def test_no_thread_task_stays_entered_after_its_result_is_sent():
    # The open task is closed when the thread sends the chunk's result: none stays in
    # the process's active scopes while the threads wait for work (it would make every
    # outside draw take the routed path).
    active = seedpool._state.scopes._P.active
    with seedpool.ThreadPool(2, seed=5) as pool:
        assert pool.map(draws, range(40), chunksize=10)
        assert not active
        assert [r.get(30) for r in [pool.apply_async(draws, (i,)) for i in range(6)]]
        assert not active
        assert list(pool.imap(draws, range(9), 3))
        assert not active


def test_a_draw_between_the_items_of_a_chunk_is_no_error():
    # A finaliser the collector runs between two items (or before the result is sent)
    # draws while the thread keeps its task entered: it must get a stream, not an error.
    import gc

    import pool_tasks

    try:
        with seedpool.ThreadPool(1, seed=5) as pool:
            seen = pool.map(pool_tasks.leave_a_drawing_cycle, range(3000), chunksize=50)
    finally:
        gc.set_threshold(700)
        gc.collect()
    assert pool_tasks._DrawsWhenCollected.errors == [] and seen[-1] == []


def test_every_entry_point_keys_by_call_and_index():
    root = seedpool.SeedTree(SEED)
    calls = []
    with seedpool.ThreadPool(4, seed=SEED) as pool:
        calls.append(pool.map(draws, ITEMS[:8], chunksize=3))              # call 0
        calls.append(list(pool.imap(draws, ITEMS[:8])))                    # call 1
        calls.append(list(pool.imap(draws, ITEMS[:8], chunksize=3)))       # call 2
        calls.append(sorted(pool.imap_unordered(draws, ITEMS[:8])))        # call 3
        calls.append(pool.map_async(draws, ITEMS[:8]).get(60))             # call 4
        calls.append([pool.apply_async(draws, (5,)).get(60)])              # call 5
        calls.append([pool.apply(draws, (6,))])                            # call 6
    for call, results in enumerate(calls):
        for result in results:
            x = result[0]
            index = 0 if call >= 5 else x
            assert result[1:4] == _expected_task(root.child("tasks", call, index)), (call, x)


def test_runs_repeat_exactly_and_unordered_results_are_the_same_multiset():
    def run(threads: int) -> tuple:
        with seedpool.ThreadPoolExecutor(threads, seed=SEED) as ex:
            futures = [ex.submit(draws, x) for x in ITEMS[:24]]
            done = [f.result() for f in concurrent.futures.as_completed(futures)]
            ordered = [f.result() for f in futures]
        with seedpool.ThreadPool(threads, seed=SEED) as pool:
            unordered = list(pool.imap_unordered(draws, ITEMS, chunksize=2))
        return ordered, done, unordered

    first = run(8)
    for threads in (8, 3):
        ordered, done, unordered = run(threads)
        assert ordered == first[0]
        assert sorted(done) == sorted(first[0])
        assert sorted(unordered) == sorted(first[2])


def test_main_thread_streams_are_undisturbed_by_busy_pools():
    seedpool.seed_everything(11)  # also fixes seedpool.rng() outside tasks

    def main_sequence() -> list:
        out = []
        for _ in range(120):
            out.append((random.random(), random.gauss(0, 1), float(np.random.random()), float(np.random.randn()),
                        float(seedpool.rng().random())))
            time.sleep(0.0002)
        return out

    random.seed(0)
    np.random.seed(0)
    seedpool.seed_everything(11, backends=["rng"])
    quiet = main_sequence()
    with seedpool.ThreadPool(4, seed=SEED) as pool, seedpool.ThreadPoolExecutor(4, seed=SEED) as ex:
        random.seed(0)
        np.random.seed(0)
        seedpool.seed_everything(11, backends=["rng"])
        # The pool's last item waits for the main sequence to end, so the map is still
        # running while it draws (a sleep here once let a loaded machine finish the map
        # first); the other items draw beside it.
        main_done = threading.Event()
        items = ITEMS * 2

        def draws_last_after_main(i):
            if i == len(items) - 1:
                assert main_done.wait(120)
            return draws(items[i])

        busy_map = pool.map_async(draws_last_after_main, range(len(items)))
        busy_ex = ex.map(draws, items)
        busy = main_sequence()
        assert not busy_map.ready()
        main_done.set()
        busy_map.get(120)
        list(busy_ex)
    assert busy == quiet


def test_installing_the_hooks_changes_no_stream_outside_tasks():
    # A fresh interpreter: the pytest process has the hooks installed already.
    code = (
        "import json, random, numpy as np, seedpool\n"
        "def seq():\n"
        "    random.seed(5); np.random.seed(5)\n"
        "    return [random.random(), random.gauss(0, 1), random.randint(0, 99), float(np.random.random()),\n"
        "            float(np.random.randn()), int(np.random.randint(0, 99))]\n"
        "before = seq()\n"
        "random.seed(5); np.random.seed(5); random.gauss(0, 1); np.random.randn()\n"
        "pool = seedpool.ThreadPool(2, seed=1)  # installs the hooks, mid-stream\n"
        "tail = [random.gauss(0, 1), float(np.random.randn())]\n"
        "pool.close(); pool.join()\n"
        "print(json.dumps([before, seq(), tail]))\n"
    )
    before, after, tail = json.loads(run_python(code))
    assert before == after
    # The cached second normals of both generators survive installation.
    random.seed(5)
    np.random.seed(5)
    random.gauss(0, 1)
    np.random.randn()
    assert tail == [random.gauss(0, 1), float(np.random.randn())]


def test_worker_info_reports_the_thread_slot_and_the_task():
    with seedpool.ThreadPool(3, seed=SEED) as pool:
        pool.map(noop, [0])  # call 0
        got = pool.map(info, range(6))  # call 1
    root = seedpool.SeedTree(SEED)
    for x, call, index, path, scope, slot_ok in got:
        assert (call, index, scope, slot_ok) == (1, x, "task", True)
        assert tuple(path) == root.child("tasks", 1, x).path
    assert seedpool.worker_info() is None  # the main thread is no worker


def test_initializer_runs_seeded_from_the_worker_node():
    root = seedpool.SeedTree(SEED)
    thread_tasks._init_draws.clear()
    with seedpool.ThreadPool(3, remember_init, ("t",), seed=SEED) as pool:
        pool.map(noop, range(3))
    thread_rows = sorted(thread_tasks._init_draws, key=lambda row: row[4])
    expected = [("t",) + _expected_task(root.child("workers", s, 0)) + (root.child("workers", s, 0).path,)
                for s in range(3)]
    assert [tuple(r[:4]) + (tuple(r[4]),) for r in thread_rows] == expected

    # The executor's threads start on demand: keep all three busy so three start.
    thread_tasks._init_draws.clear()
    with seedpool.ThreadPoolExecutor(3, initializer=remember_init, initargs=("e",), seed=SEED) as ex:
        list(ex.map(time.sleep, [0.2] * 3))
    rows = sorted(thread_tasks._init_draws, key=lambda row: row[4])
    assert [r[1:4] for r in rows] == [e[1:4] for e in expected]

    # ... and a process pool's worker in slot 0 draws the same in its initializer.
    thread_tasks._init_draws.clear()  # (a forked worker would inherit these rows)
    with seedpool.Pool(1, remember_init, ("p",), seed=SEED, context=multiprocessing.get_context("fork")) as pool:
        (row,) = pool.apply(init_draws, (0,))
    assert tuple(row[1:4]) == expected[0][1:4]


def test_threads_started_inside_a_task_use_the_process_streams_unless_they_open_a_scope():
    def task(x: int) -> tuple:
        node = seedpool.worker_info().node
        seen: dict = {}

        def child() -> None:
            seen["info"] = seedpool.worker_info()
            seen["scoped"] = seedpool._state.scopes.current_scope()
            with task_scope(node.child("thread", 0)):
                seen["draws"] = (random.random(), float(np.random.random()), float(seedpool.rng().random()))

        t = threading.Thread(target=child)
        t.start()
        t.join()
        return x, node, seen["info"], seen["scoped"], seen["draws"]

    with seedpool.ThreadPoolExecutor(2, seed=SEED) as ex:
        for _x, node, child_info, child_scope, child_draws in ex.map(task, range(4)):
            assert child_info is None and child_scope is None  # nothing inherited
            assert child_draws == _expected_task(node.child("thread", 0))


def test_task_scope_on_threads_is_per_thread():
    # A thread-based loader: task_scope on several threads at once, interleaving.
    root = seedpool.SeedTree(SEED).child("samples", 0)
    out: dict = {}

    def worker(k: int) -> None:
        for i in range(k, 40, 4):
            with task_scope(root.child(i)):
                a = random.random()
                time.sleep(0.0005)
                out[i] = (a, float(np.random.random()), float(seedpool.rng().random()))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == {i: _expected_task(root.child(i)) for i in range(40)}


def test_a_task_that_seeds_its_own_generators_keeps_them_private():
    def task(x: int) -> tuple:
        random.seed(x)
        np.random.seed(x)
        time.sleep(0.001)
        return random.random(), float(np.random.random())

    random.seed(123)
    np.random.seed(123)
    with seedpool.ThreadPool(4, seed=SEED) as pool:
        got = pool.map(task, range(16))
    assert got == [(random.Random(x).random(), float(np.random.RandomState(x).random_sample())) for x in range(16)]
    # The process's own generators were not reseeded by any task.
    assert (random.random(), float(np.random.random())) == (
        random.Random(123).random(), float(np.random.RandomState(123).random_sample()))


# -- drop-in behaviour ------------------------------------------------------------------
def test_constructor_errors_match_the_stdlib():
    cases = [
        (lambda: multiprocessing.pool.ThreadPool(0), lambda: seedpool.ThreadPool(0)),
        (lambda: multiprocessing.pool.ThreadPool(2, initializer=3), lambda: seedpool.ThreadPool(2, initializer=3)),
        (lambda: concurrent.futures.ThreadPoolExecutor(0), lambda: seedpool.ThreadPoolExecutor(0)),
        (lambda: concurrent.futures.ThreadPoolExecutor(2, initializer=3),
         lambda: seedpool.ThreadPoolExecutor(2, initializer=3)),
    ]
    for theirs, ours in cases:
        with pytest.raises(Exception) as a:
            theirs()
        with pytest.raises(Exception) as b:
            ours()
        assert (type(a.value), str(a.value)) == (type(b.value), str(b.value))
    for cls in (seedpool.ThreadPool, seedpool.ThreadPoolExecutor):
        with pytest.raises(ValueError, match="seed must be non-negative"):
            cls(2, seed=-3)


def test_executor_surface_matches_the_stdlib():
    for cls in (concurrent.futures.ThreadPoolExecutor, seedpool.ThreadPoolExecutor):
        ex = cls(2, thread_name_prefix="sp")
        names = ex.submit(lambda: threading.current_thread().name).result()
        assert names.startswith("sp_")
        with pytest.raises(ZeroDivisionError):
            ex.submit(lambda: 1 / 0).result()
        assert list(ex.map(pow, [2, 3], [3, 2])) == [8, 9]
        assert list(ex.map(noop, [])) == [] and list(ex.map(noop)) == []
        ex.shutdown(wait=True, cancel_futures=True)
        with pytest.raises(RuntimeError, match="cannot schedule new futures after shutdown"):
            ex.submit(noop, 1)

    def bad_init() -> None:
        raise ValueError("no")

    ex = seedpool.ThreadPoolExecutor(1, initializer=bad_init)
    with pytest.raises(concurrent.futures.thread.BrokenThreadPool):
        ex.submit(noop, 1).result(timeout=30)
    ex.shutdown()


def test_threadpool_surface_matches_the_stdlib():
    assert issubclass(seedpool.ThreadPool, multiprocessing.pool.ThreadPool)
    assert issubclass(seedpool.ThreadPoolExecutor, concurrent.futures.ThreadPoolExecutor)
    with seedpool.ThreadPool(2, seed=1) as ours, multiprocessing.dummy.Pool(2) as theirs:
        for pool in (ours, theirs):
            with pytest.raises(ZeroDivisionError):
                pool.apply(divmod, (1, 0))
            with pytest.raises(multiprocessing.TimeoutError):
                pool.apply_async(time.sleep, (1,)).get(0.01)
            assert pool.map(noop, []) == []
            assert list(pool.imap(noop, range(5), chunksize=2)) == list(range(5))
        with pytest.raises(NotImplementedError):
            import pickle

            pickle.dumps(ours)
    with pytest.raises(ValueError, match="Pool not running"):
        ours.apply(noop, (1,))


def test_exported():
    assert seedpool.ThreadPool.__module__ == "seedpool"
    assert seedpool.ThreadPoolExecutor.__module__ == "seedpool"
    assert {"ThreadPool", "ThreadPoolExecutor"} <= set(seedpool.__all__)


def test_seedpool_run_pools_swaps_the_thread_pools(tmp_path):
    import subprocess
    import sys

    from conftest import REPO

    script = tmp_path / "thread_pools.py"
    script.write_text(
        "import concurrent.futures, json, multiprocessing.dummy, multiprocessing.pool, random, sys, time\n"
        "import numpy as np\n"
        "def f(x):\n"
        "    a = random.random(); time.sleep(0.001 * (x % 3)); return [x, a, float(np.random.random())]\n"
        "n = int(sys.argv[1])\n"
        "with concurrent.futures.ThreadPoolExecutor(n) as ex:\n"
        "    a = list(ex.map(f, range(12)))\n"
        "with multiprocessing.dummy.Pool(n) as p:\n"
        "    b = p.map(f, range(12))\n"
        "with multiprocessing.pool.ThreadPool(n) as p:\n"
        "    c = p.map(f, range(12))\n"
        "print(json.dumps([type(ex).__module__, type(p).__module__, a, b, c]))\n"
    )

    def run(threads: int, *flags: str) -> list:
        proc = subprocess.run([sys.executable, "-m", "seedpool", "run", "--seed", "5", *flags, "--",
                               sys.executable, str(script), str(threads)],
                              capture_output=True, text=True, timeout=120, cwd=str(REPO))
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    one, four = run(1, "--pools"), run(4, "--pools")
    assert one[:2] == ["seedpool", "seedpool"]
    assert one == four
    # The three pools are three calls of three pools: no two share their draws.
    assert len({tuple(map(tuple, result)) for result in one[2:]}) == 3
    assert run(4)[0] == "concurrent.futures.thread"  # without --pools: the stdlib's


def test_fresh_interpreters_draw_what_this_one_draws(process_results):
    # Run after run: a new process (its own thread timing, hash seed, hooks installed
    # afresh) returns exactly the process pools' results.
    code = (
        "import json, sys; sys.path.insert(0, 'tests')\n"
        "import seedpool, thread_tasks\n"
        f"with seedpool.ThreadPoolExecutor(8, seed={SEED}) as ex:\n"
        f"    print(json.dumps(list(ex.map(thread_tasks.draws, {ITEMS!r}))))\n"
    )
    expected = json.loads(json.dumps(process_results["ex_map"]))  # tuples -> lists
    for _ in range(2):
        assert json.loads(run_python(code)) == expected
