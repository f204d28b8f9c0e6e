"""seedpool.Pool: results keyed by task, whatever the schedule; drop-in behaviour."""

from __future__ import annotations

import collections
import multiprocessing
import os
import random
import sys
import time

import multiprocess
import numpy as np
import psutil
import pytest

import pool_tasks as T
import seedpool
from conftest import REPO, run_python
from seedpool._state.backends import words_to_int

N = 60


def expected_draw(root, call, index):
    """What task (call, index) must draw, derived here in the parent from the documented keys."""
    node = seedpool.SeedTree(root).child("tasks", call, index)
    py = random.Random(words_to_int(node.child("python").generate_state(4))).random()
    npv = np.random.RandomState(node.child("numpy").generate_state(4)).random_sample()
    rng = node.child("rng").generator().random()
    return (index, py, float(npv), float(rng))


def children():
    live = set()
    for p in psutil.Process().children(recursive=True):
        try:
            if p.status() != psutil.STATUS_ZOMBIE:
                live.add(p.pid)
        except psutil.NoSuchProcess:  # gone between being listed and being asked
            pass
    return live


def test_map_draws_exactly_the_documented_task_streams(start_method):
    ctx = multiprocessing.get_context(start_method)
    with seedpool.Pool(2, context=ctx, seed=123) as pool:
        first = pool.map(T.draw, range(N))
        second = pool.map(T.draw, range(N))
    assert first == [expected_draw(123, 0, i) for i in range(N)]
    assert second == [expected_draw(123, 1, i) for i in range(N)]  # next call = new draw


@pytest.mark.parametrize("processes,chunksize,maxtasks", [(1, None, None), (2, 1, None), (3, 7, None), (2, 3, 2)])
def test_map_is_independent_of_schedule(processes, chunksize, maxtasks):
    expected = [expected_draw(7, 0, i) for i in range(N)]
    with seedpool.Pool(processes, maxtasksperchild=maxtasks, seed=7) as pool:
        assert pool.map(T.slow_draw, range(N), chunksize) == expected


def test_tasks_in_one_chunk_each_start_afresh():
    # In a chunk, a worker re-arms its task for the next item instead of leaving and
    # entering (seedpool._task.worker): rng(), cached normals, nested pools' numbering and
    # seed_everything() must still be each task's own, as with one task per chunk.
    with seedpool.Pool(1, seed=5) as whole, seedpool.Pool(2, seed=5) as single, seedpool.Pool(2, seed=5) as five:
        chunked = whole.map(T.chunk_mix, range(12), chunksize=12)
        assert chunked == single.map(T.chunk_mix, range(12), chunksize=1)
        assert chunked == five.map(T.chunk_mix, range(12), chunksize=5)
    with seedpool.ProcessPoolExecutor(2, seed=5) as executor:  # leaves every task
        assert list(executor.map(T.chunk_mix, range(12), chunksize=4)) == chunked
    assert len({repr(r[1]) for r in chunked}) == 12


def test_a_draw_between_the_items_of_a_chunk_is_no_error():
    # As for the thread pools: a worker keeps its task entered across a chunk, and a
    # finaliser run there draws from a stream instead of failing.
    with seedpool.Pool(1, seed=5) as pool:
        seen = pool.map(T.leave_a_drawing_cycle, range(3000), chunksize=50)
        seen += pool.map(T.leave_a_drawing_cycle, range(3000), chunksize=50)
    assert seen[-1] == []


def test_all_map_variants_agree_on_a_fresh_pool():
    expected = [expected_draw(5, 0, i) for i in range(N)]
    variants = {
        "map": lambda p: p.map(T.draw, range(N)),
        "map_async": lambda p: p.map_async(T.draw, range(N)).get(30),
        "imap": lambda p: list(p.imap(T.draw, range(N))),
        "imap_chunked": lambda p: list(p.imap(T.draw, iter(range(N)), 8)),
        "imap_unordered": lambda p: sorted(p.imap_unordered(T.draw, range(N), 3)),
        "starmap": lambda p: [(x, r1, r2) for (x, _, r1, r2) in p.starmap(T.draw_star, [(i, 0) for i in range(N)])],
    }
    for name, run in variants.items():
        with seedpool.Pool(2, seed=5) as pool:
            got = run(pool)
        if name == "starmap":
            assert got == [(e[0], e[1], e[2]) for e in expected], name
        else:
            assert got == expected, name


def test_every_task_gets_a_distinct_stream():
    with seedpool.Pool(2, seed=1) as pool:
        results = pool.map(T.draw, range(500)) + pool.map(T.draw, range(500))
    for column in (1, 2, 3):
        values = [r[column] for r in results]
        assert len(set(values)) == len(values)
    # and the generators of one task are not the same stream either
    assert all(len({r[1], r[2], r[3]}) == 3 for r in results)


def test_apply_and_apply_async_are_keyed_by_call_order():
    with seedpool.Pool(2, seed=9) as pool:
        a = pool.apply(T.draw, (10,))
        b = pool.apply_async(T.draw, (11,)).get(30)
        c = pool.map(T.draw, [12])
        infos = [pool.apply(T.info) for _ in range(2)]
    assert a == expected_draw(9, 0, 0)[:0] + (10,) + expected_draw(9, 0, 0)[1:]
    assert b == (11,) + expected_draw(9, 1, 0)[1:]
    assert c == [(12,) + expected_draw(9, 2, 0)[1:]]
    # apply goes through apply_async exactly once: consecutive call numbers, index 0
    assert [(i[2], i[3]) for i in infos] == [(3, 0), (4, 0)]


def test_results_are_identical_in_a_separate_process():
    code = (
        "import sys; sys.path.insert(0, 'tests')\n"
        "import seedpool, pool_tasks as T\n"
        "if __name__ == '__main__':\n"
        "    with seedpool.Pool(3, seed='replay-me') as p:\n"
        "        print(repr(p.map(T.draw_many, range(40), 4)))\n"
    )
    with seedpool.Pool(2, seed="replay-me") as pool:
        here = pool.map(T.draw_many, range(40))
    assert run_python(code).strip() == repr(here)


def test_bound_names_scipy_style_access_gauss_caches_are_seeded_per_task():
    with seedpool.Pool(1, seed=3) as one, seedpool.Pool(3, seed=3) as three:
        a = one.map(T.draw_many, range(30), 1)
        b = three.map(T.draw_many, range(30), 4)
    assert a == b
    assert len({r[1] for r in a}) == 30 and len({r[4] for r in a}) == 30


def test_a_task_that_seeds_itself_keeps_its_own_seed():
    with seedpool.Pool(2, seed=3) as pool:
        got = pool.map(T.own_seed, [4, 4, 8])
    np.random.seed(4)
    random.seed(4)
    assert got[0] == got[1] == (float(np.random.random()), random.random())
    assert got[2] != got[0]


def test_seed_none_is_fresh_and_seed_tree_replays():
    with seedpool.Pool(2) as a, seedpool.Pool(2) as b:
        ra, rb = a.map(T.draw, range(10)), b.map(T.draw, range(10))
        tree = a.root
    assert ra != rb
    with seedpool.Pool(3, seed=tree) as replay:
        assert replay.map(T.draw, range(10)) == ra


def test_seed_none_follows_seed_everything():
    seedpool.seed_everything(77)
    with seedpool.Pool(2) as p0, seedpool.Pool(2) as p1:
        assert p0.root == seedpool.SeedTree(77).child("pools", 0)
        assert p1.root == seedpool.SeedTree(77).child("pools", 1)


def test_worker_info(start_method):
    assert seedpool.worker_info() is None
    ctx = multiprocessing.get_context(start_method)
    with seedpool.Pool(2, context=ctx, seed=0) as pool:
        infos = pool.map(T.info, range(20), 1)
    assert {i[0] for i in infos} <= {0, 1}
    assert all(i[1] == 2 and i[2] == 0 and i[4] == "task" for i in infos)
    assert [i[3] for i in infos] == list(range(20))
    # slots are unique among live workers
    assert len({(i[0], i[5]) for i in infos}) == len({i[5] for i in infos})


def test_worker_scope_seeds_each_worker_once_from_its_slot():
    with seedpool.Pool(2, seed=11, scope="worker", maxtasksperchild=1) as pool:
        got = pool.map(T.worker_stream, range(8), 1)
    seen = set()
    for index, incarnation, py, npv, _pid in got:
        node = seedpool.SeedTree(11).child("workers", index, incarnation)
        assert py == random.Random(words_to_int(node.child("python").generate_state(4))).random()
        assert npv == np.random.RandomState(node.child("numpy").generate_state(4)).random_sample()
        assert index in (0, 1)
        seen.add((index, incarnation))
    # maxtasksperchild=1: every task ran in a fresh worker, each on a never-used key
    assert len(seen) == 8


def test_user_initializer_runs_after_seeding():
    with seedpool.Pool(2, initializer=T.init_draw, initargs=("hi",), seed=4, maxtasksperchild=1) as pool:
        got = pool.map(T.read_init, range(6), 1)
    for index, incarnation, (tag, value) in got:
        node = seedpool.SeedTree(4).child("workers", index, incarnation)
        assert tag == "hi"
        assert value == random.Random(words_to_int(node.child("python").generate_state(4))).random()


def test_lambdas_and_closures_work_under_spawn():
    offset = 3
    with seedpool.Pool(2, context=multiprocessing.get_context("spawn"), seed=1) as pool:
        assert pool.map(lambda x: x * 2, range(4)) == [0, 2, 4, 6]
        assert pool.apply(lambda: offset + 1) == 4
        assert pool.starmap(lambda a, b: a + b + offset, [(1, 2)]) == [6]


def test_multiprocess_context_is_honoured():
    ctx = multiprocess.get_context("spawn")
    with seedpool.Pool(2, context=ctx, seed=5) as pool:
        assert pool.map(T.draw, range(N)) == [expected_draw(5, 0, i) for i in range(N)]
        assert pool.map(lambda x: -x, [1]) == [-1]
        assert all(type(p).__module__.startswith("multiprocess") for p in pool._pool)


def test_timeout_is_catchable_as_both_libraries_timeouterror():
    with seedpool.Pool(1, seed=0) as pool:
        res = pool.apply_async(T.sleep, (1,))
        with pytest.raises(multiprocessing.TimeoutError):
            res.get(0.05)
        with pytest.raises(multiprocess.TimeoutError):
            res.get(0.05)
        it = pool.imap(T.sleep, [1])
        with pytest.raises(multiprocessing.TimeoutError):
            it.next(0.05)


def test_worker_exceptions_propagate_with_their_type():
    with seedpool.Pool(2, seed=0) as pool:
        with pytest.raises(ValueError, match="boom 3"):
            pool.map(T.boom, [3])
        errors = []
        pool.map_async(T.boom, [1], error_callback=errors.append).wait(30)
        assert isinstance(errors[0], ValueError)


def test_callbacks_receive_results():
    got = []
    with seedpool.Pool(2, seed=8) as pool:
        pool.map_async(T.draw, range(5), callback=got.append).wait(30)
        pool.apply_async(T.noop, (7,), callback=got.append).wait(30)
    assert got == [[expected_draw(8, 0, i) for i in range(5)], 7]


@pytest.mark.parametrize("how", ["close_join", "terminate", "with"])
def test_no_worker_survives(how):
    before = children()
    pool = seedpool.Pool(2, seed=0)
    ours = children() - before
    assert len(ours) >= 2
    pool.map(T.noop, range(10))
    if how == "close_join":
        pool.close()
        pool.join()
    elif how == "terminate":
        pool.terminate()
    else:
        with pool:
            pass
        pool.join()
    deadline = time.monotonic() + 10
    while children() & ours and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not (children() & ours)


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"processes": 0}, ValueError, "Number of processes must be at least 1"),
        ({"maxtasksperchild": 0}, ValueError, "maxtasksperchild must be a positive int or None"),
        ({"initializer": 3}, TypeError, "initializer must be a callable"),
        ({"scope": "process"}, ValueError, "scope must be 'task' or 'worker'"),
        ({"seed": -1}, ValueError, "non-negative"),
        ({"seed": 1.5}, TypeError, "float"),
    ],
)
def test_bad_arguments_start_no_process(kwargs, exc, match):
    before = children()
    with pytest.raises(exc, match=match):
        seedpool.Pool(**{"processes": 1, **kwargs})
    assert children() - before == set()


def test_stdlib_messages_after_close():
    pool = seedpool.Pool(1, seed=0)
    pool.close()
    with pytest.raises(ValueError, match="Pool not running"):
        pool.map(T.noop, [1])
    with pytest.raises(ValueError, match="Pool not running"):
        with pool:
            pass
    pool.join()
    with pytest.raises(NotImplementedError, match="pool objects cannot be passed between processes or pickled"):
        import pickle

        pickle.dumps(pool)


def test_processes_none_uses_cpu_affinity_or_env(monkeypatch):
    from seedpool._engines.common import default_processes

    assert default_processes() == len(psutil.Process().cpu_affinity())
    monkeypatch.setenv("SEEDPOOL_WORKERS", "3")
    assert default_processes() == 3
    with seedpool.Pool(seed=0) as pool:
        assert len({i[5] for i in pool.map(T.info, range(30), 1)}) <= 3
        assert len(pool._pool) == 3
    monkeypatch.setenv("SEEDPOOL_WORKERS", "zero")
    with pytest.raises(ValueError, match="SEEDPOOL_WORKERS must be a positive int"):
        seedpool.Pool(seed=0)


def test_multiset_of_imap_unordered_matches_map():
    with seedpool.Pool(3, seed=2) as pool:
        unordered = list(pool.imap_unordered(T.slow_draw, range(30)))
    assert collections.Counter(unordered) == collections.Counter(expected_draw(2, 0, i) for i in range(30))
    assert REPO.exists()


def test_workers_with_tensorflow_keep_every_stream_keyed():
    # Keras' seeding calls random.seed/np.random.seed; that must not stop the task's own
    # lazy seeding (a real bug once: values then depended on the worker's history).
    import importlib.util

    if importlib.util.find_spec("tensorflow") is None:  # importorskip would import TF here
        pytest.skip("tensorflow is not installed")
    ctx = multiprocessing.get_context("spawn")
    with seedpool.Pool(2, initializer=T.import_tensorflow, context=ctx, seed=13) as pool:
        a = pool.map(T.draw_with_tf, range(6), 1)
    with seedpool.Pool(1, initializer=T.import_tensorflow, context=ctx, seed=13) as pool:
        b = pool.map(T.draw_with_tf, range(6), 3)
    assert [r[:4] for r in a] == [expected_draw(13, 0, i) for i in range(6)]
    assert a == b  # TensorFlow's own draws are keyed by task as well
    assert len({r[4] for r in a}) == 6


def test_seed_record_lists_workers_and_tasks(tmp_path):
    record = tmp_path / "run.seeds"
    root = seedpool.seed_everything(3, record=record)
    with seedpool.Pool(2) as pool:
        pool.map(T.noop, range(4))
    rec = seedpool.SeedRecord.load(record)
    assert rec.tree() == root
    tasks = sorted(tuple(c.path) for c in rec.consumers if c.kind == "task")
    assert tasks == [("pools", 0, "tasks", 0, i) for i in range(4)]
    assert {c.kind for c in rec.consumers} >= {"worker", "task"}


def test_bit_generator_access_is_seeded_per_task():
    # np.random.get_bit_generator() hands out the global MT19937 itself: it must be the
    # task's, or odd tasks would read whatever the previous task left behind.
    with seedpool.Pool(1, seed=6) as one, seedpool.Pool(2, seed=6) as two:
        a = one.map(T.bit_generator_draw, range(8), 4)
        b = two.map(T.bit_generator_draw, range(8), 1)
    assert a == b


def test_isolate_and_seed_everything_inside_a_task_reach_the_tasks_rng():
    with seedpool.isolate(seed=5):
        expected = (float(seedpool.rng().random()), random.random())
    with seedpool.Pool(1, seed=1) as pool:
        got = pool.map(T.isolated_draws, range(2))
    assert all(inside == again == expected for inside, again in got)


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_variants_agree_under_spawn_and_forkserver(method):
    ctx = multiprocessing.get_context(method)
    expected = [expected_draw(4, 0, i) for i in range(20)]
    with seedpool.Pool(3, context=ctx, seed=4, maxtasksperchild=3) as pool:
        assert list(pool.imap(T.slow_draw, range(20), 2)) == expected
        second = sorted(pool.imap_unordered(T.draw, range(20)))
        third = pool.starmap(T.draw_star, [(i, 0) for i in range(20)], 3)
    assert second == [expected_draw(4, 1, i) for i in range(20)]
    assert [(x, a, b) for (x, _, a, b) in third] == [(e[0], e[1], e[2]) for e in (expected_draw(4, 2, i) for i in range(20))]


def test_timeout_with_multiprocess_machinery_is_catchable_as_stdlib():
    with seedpool.Pool(1, seed=0, context=multiprocess.get_context("fork")) as pool:
        with pytest.raises(multiprocessing.TimeoutError):
            pool.apply_async(T.sleep, (1,)).get(0.05)


def test_worker_scope_crash_takes_the_slot_with_a_new_incarnation():
    with seedpool.Pool(2, seed=11, scope="worker") as pool:
        with pytest.raises(seedpool.WorkerLostError):
            pool.map(T.crash_once, range(4), 1)
        # Let the replacement start, so both workers take tasks below: both slots held,
        # neither still starting (a fixed sleep was a bet on the machine's load).
        from seedpool._engines.slots import STARTING

        slots, deadline = pool._seedpool_watch._slots, time.monotonic() + 30
        while (any(slots[k] == 0 or slots[4 * 2 + k] == STARTING for k in range(2))
               and time.monotonic() < deadline):
            time.sleep(0.01)
        after = pool.map(T.slow_worker_stream, range(12), 1)
    replacements = [r for r in after if r[1] >= 1]
    assert replacements, after  # the crashed slot was taken over with a new incarnation
    index, incarnation, py = replacements[0][:3]  # the replacement's first draw, in task order
    node = seedpool.SeedTree(11).child("workers", index, incarnation)
    assert py == random.Random(words_to_int(node.child("python").generate_state(4))).random()


def test_processes_none_reads_the_affinity_not_the_cpu_count(monkeypatch):
    from seedpool._engines import common as _pool

    class FakeProcess:
        def cpu_affinity(self):
            return [0]

    monkeypatch.setattr(psutil, "Process", FakeProcess)
    assert _pool.default_processes() == 1


def test_non_callable_behaves_like_the_stdlib():
    with seedpool.Pool(1, seed=0) as ours, multiprocessing.get_context("fork").Pool(1) as plain:
        assert ours.map(5, []) == plain.map(5, []) == []
        with pytest.raises(TypeError) as mine:
            ours.map(5, [1])
        with pytest.raises(TypeError) as theirs:
            plain.map(5, [1])
        assert str(mine.value) == str(theirs.value) == "'int' object is not callable"


def test_worker_keeps_a_bounded_number_of_dill_callables():
    from seedpool._engines import transport as _transport

    with seedpool.Pool(1, seed=0) as pool:
        for k in range(12):
            big = bytes(100_000) + bytes([k])
            assert pool.apply(lambda big=big: len(big)) == 100_001
        # Imported inside the lambda: dill would pickle a dev checkout's module by value.
        cached = pool.apply(lambda: len(__import__("seedpool._engines.transport", fromlist=["_"])._dill_loaded))
    assert cached <= _transport._DILL_CACHE


# -- drop-in parity (issue 15, items 4, 10, 11, 13) -----------------------------------------
def _outcome(fn):
    try:
        return ("ok", fn())
    except Exception as exc:
        return (type(exc), str(exc))


def test_bad_chunksize_is_refused_for_every_method():
    # The stdlib's map(chunksize=0) returns [None] * n and chunksize=1.5 hangs; seedpool
    # refuses both, with the stdlib imap's own message for a number below 1. In a fresh
    # interpreter with a timeout: the regression this guards against is a hang.
    out = run_python("""
import json, multiprocessing, numpy as np, seedpool
import pool_tasks as T
out = {}
with multiprocessing.get_context("fork").Pool(1) as plain:
    for cs in (0, -1):
        try:
            plain.imap(abs, [1], cs)
        except ValueError as exc:
            out[f"stdlib {cs}"] = str(exc)
with seedpool.Pool(1, seed=0) as pool:
    for method in ("map", "map_async", "starmap", "starmap_async", "imap", "imap_unordered"):
        items = [(1,), (2,)] if method.startswith("starmap") else [1, 2]
        func = T.draw_star if method.startswith("starmap") else T.noop
        for cs in (0, -1, 1.5, "2"):
            try:
                getattr(pool, method)(func, items, cs)
                out[f"{method} {cs}"] = ["no error"]
            except Exception as exc:
                out[f"{method} {cs}"] = [type(exc).__name__, str(exc)]
    out["numpy int"] = pool.map(T.noop, [1, 2], np.int64(1))
print(json.dumps(out))
""", timeout=60, env={"PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'tests'}"})
    import json

    got = json.loads(out.strip().splitlines()[-1])
    for method in ("map", "map_async", "starmap", "starmap_async", "imap", "imap_unordered"):
        for cs in (0, -1):
            assert got[f"{method} {cs}"] == ["ValueError", got[f"stdlib {cs}"]], (method, cs)
        for cs in (1.5, "2"):
            kind, message = got[f"{method} {cs}"]
            assert kind == "TypeError" and "chunksize" in message and repr(cs) in message, (method, cs)
    assert got["numpy int"] == [1, 2]


@pytest.mark.parametrize("processes", [np.int64(2), np.int32(1), True])
def test_any_integer_is_a_worker_count(processes):
    with seedpool.Pool(processes, seed=0) as pool:
        assert pool.map(T.noop, range(4)) == list(range(4))
        assert len(pool._pool) == int(processes)
    with seedpool.ProcessPoolExecutor(processes, seed=0) as ex:
        assert list(ex.map(T.noop, range(4))) == list(range(4))


@pytest.mark.parametrize("processes", [2.5, np.float64(2.0), "2"])
def test_non_integer_worker_count_raises_the_stdlibs_error(processes):
    import concurrent.futures

    before = children()
    std_pool = _outcome(lambda: multiprocessing.get_context("fork").Pool(processes))
    ours_pool = _outcome(lambda: seedpool.Pool(processes, seed=0))
    std_ex = _outcome(lambda: concurrent.futures.ProcessPoolExecutor(processes))
    ours_ex = _outcome(lambda: seedpool.ProcessPoolExecutor(processes, seed=0))
    if sys.version_info < (3, 10):  # 3.9's own message comes from deep inside ("integer
        # argument expected, got float"), where the stdlib first converts the count
        std_pool, ours_pool, std_ex, ours_ex = (o[:1] for o in (std_pool, ours_pool, std_ex, ours_ex))
    assert ours_pool == std_pool and std_pool[0] is TypeError
    assert ours_ex == std_ex and std_ex[0] is TypeError
    assert children() <= before  # raised before any process started


def args_kwargs(*args, **kwargs):
    return args, kwargs


def test_self_and_func_are_ordinary_keywords_of_a_task():
    import concurrent.futures

    with multiprocessing.get_context("fork").Pool(1) as plain:
        expected = plain.apply(args_kwargs, (1,), {"self": 2, "func": 3})
    with seedpool.Pool(1, seed=0) as pool:
        assert pool.apply(args_kwargs, (1,), {"self": 2, "func": 3}) == expected
        assert pool.apply_async(args_kwargs, (), {"self": 2}).get(30) == ((), {"self": 2})
    with seedpool.ProcessPoolExecutor(1, seed=0) as ex:
        assert ex.submit(args_kwargs, 1, self=2, fn=3).result(30) == ((1,), {"self": 2, "fn": 3})
    with concurrent.futures.ProcessPoolExecutor(1) as ex:
        assert ex.submit(args_kwargs, 1, self=2, fn=3).result(30) == ((1,), {"self": 2, "fn": 3})


class _Unpicklable:
    """A callable neither pickle nor dill can send (it holds a lock)."""

    def __init__(self):
        import threading

        self.lock = threading.Lock()

    def __call__(self, x):
        return x


def test_unpicklable_callable_fails_the_result_not_the_call():
    import concurrent.futures

    func = _Unpicklable()
    with multiprocessing.get_context("fork").Pool(1) as plain:
        std = _outcome(lambda: plain.apply_async(func, (1,)).get(30))
    with seedpool.Pool(1, seed=0) as pool:
        result = pool.apply_async(func, (1,))  # must not raise here
        ours = _outcome(lambda: result.get(30))
        assert _outcome(lambda: pool.map(func, [1, 2]))[0] is std[0]
        assert pool.map(T.noop, [1]) == [1]
    assert ours == std and std[0] is TypeError
    with concurrent.futures.ProcessPoolExecutor(1) as ex:
        std = _outcome(lambda: ex.submit(func, 1).result(30))
    with seedpool.ProcessPoolExecutor(1, seed=0) as ex:
        future = ex.submit(func, 1)
        assert _outcome(lambda: future.result(30)) == std and std[0] is TypeError
        # a lambda closing over a generator: dill cannot send it either
        gen = (i for i in range(1))
        assert _outcome(lambda: ex.submit(lambda x: (gen, x)[1], 1).result(30))[0] is TypeError


class _CountingCallable:
    """Counts how often the parent pickles it."""

    pickled = 0

    def __reduce__(self):
        type(self).pickled += 1
        return (_CountingCallable, ())

    def __call__(self, x):
        return x


def test_a_submitted_callable_is_pickled_once_as_with_the_stdlib():
    import concurrent.futures

    counts = {}
    for name, make in (("stdlib", lambda: concurrent.futures.ProcessPoolExecutor(1)),
                       ("seedpool", lambda: seedpool.ProcessPoolExecutor(1, seed=0))):
        _CountingCallable.pickled = 0
        with make() as ex:
            assert [ex.submit(_CountingCallable(), i).result(30) for i in range(5)] == list(range(5))
        counts[name] = _CountingCallable.pickled
    _CountingCallable.pickled = 0
    with seedpool.Pool(1, seed=0) as pool:
        for i in range(5):
            assert pool.apply(_CountingCallable(), (i,)) == i
    counts["pool"] = _CountingCallable.pickled
    assert counts == {"stdlib": 5, "seedpool": 5, "pool": 5}


_POOLS_SCRIPT = """
import sys, random
import multiprocessing.pool, multiprocessing.dummy
import multiprocess, multiprocess.pool
n = int(sys.argv[1])
with multiprocessing.pool.ThreadPool(2) as tp:
    print("threadpool", tp.map(abs, [-1, -2]))
with multiprocessing.dummy.Pool(2) as dp:
    print("dummy", dp.map(abs, [-3]))
with multiprocess.pool.ThreadPool(2) as mtp:
    print("mp-threadpool", mtp.map(abs, [-4]))
with multiprocess.Pool(n) as pool:  # the bound default-context method, as pathos/schwimmbad use it
    import seedpool
    print("multiprocess", isinstance(pool, seedpool.Pool), pool.map(lambda i: (i, random.random()), range(6), 1))
with multiprocess.pool.Pool(n) as pool:
    print("multiprocess.pool.Pool", pool.map(lambda i: (i, random.random()), range(6), 1))
"""


@pytest.mark.parametrize("method", ["fork"])
def test_run_pools_keeps_thread_pools_and_replaces_multiprocess_pool(method):
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(REPO))
    for name in ("SEEDPOOL_SEED", "SEEDPOOL_RECORD", "SEEDPOOL_WORKERS", "SEEDPOOL_RUN", "SEEDPOOL_POOLS"):
        env.pop(name, None)
    outs = []
    for n in ("1", "3"):
        proc = subprocess.run([sys.executable, "-m", "seedpool", "run", "--seed", "7", "--pools", "--",
                               sys.executable, "-c", _POOLS_SCRIPT, n], capture_output=True, text=True,
                              env=env, timeout=120, cwd=str(REPO))
        assert proc.returncode == 0, proc.stderr
        outs.append(proc.stdout)
    lines = outs[0].splitlines()
    assert lines[0] == "threadpool [1, 2]" and lines[1] == "dummy [3]" and lines[2] == "mp-threadpool [4]"
    assert lines[3].startswith("multiprocess True ")
    # keyed by task: the same draws for 1 and 3 workers (a stdlib multiprocess.Pool differs)
    assert outs[0] == outs[1]
