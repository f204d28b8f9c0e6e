"""seedpool.Pool: results keyed by task, whatever the schedule; drop-in behaviour."""

from __future__ import annotations

import collections
import multiprocessing
import random
import time

import multiprocess
import numpy as np
import psutil
import pytest

import pool_tasks as T
import seedpool
from conftest import REPO, run_python
from seedpool._backends import words_to_int

N = 60


def expected_draw(root, call, index):
    """What task (call, index) must draw, derived here in the parent from the documented keys."""
    node = seedpool.SeedTree(root).child("tasks", call, index)
    py = random.Random(words_to_int(node.child("python").generate_state(4))).random()
    npv = np.random.RandomState(node.child("numpy").generate_state(4)).random_sample()
    rng = node.child("rng").generator().random()
    return (index, py, float(npv), float(rng))


def children():
    return {p.pid for p in psutil.Process().children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE}


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
    from seedpool._pool import default_processes

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
        time.sleep(0.5)  # let the replacement start, so both workers take tasks below
        after = pool.map(T.slow_worker_stream, range(12), 1)
    replacements = [r for r in after if r[1] >= 1]
    assert replacements, after  # the crashed slot was taken over with a new incarnation
    index, incarnation, py = replacements[0][:3]  # the replacement's first draw, in task order
    node = seedpool.SeedTree(11).child("workers", index, incarnation)
    assert py == random.Random(words_to_int(node.child("python").generate_state(4))).random()


def test_processes_none_reads_the_affinity_not_the_cpu_count(monkeypatch):
    from seedpool import _pool

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
    from seedpool import _worker

    with seedpool.Pool(1, seed=0) as pool:
        for k in range(12):
            big = bytes(100_000) + bytes([k])
            assert pool.apply(lambda big=big: len(big)) == 100_001
        cached = pool.apply(lambda: len(_worker._dill_loaded))
    assert cached <= _worker._DILL_CACHE
