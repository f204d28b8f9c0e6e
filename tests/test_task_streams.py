"""Inside a task every way into the RNGs acts on the task's streams (issue 15, items 1-3).

Each scenario compares real pools with different worker counts and chunk sizes (so
tasks land on different workers in a different order), under fork and spawn: a result
that depended on the worker's leftover stream would differ between them.
"""

from __future__ import annotations

import multiprocessing

import numpy as np
import pytest
import stream_tasks as T

import seedpool

SEED = 2024
N = 6


def _map(fn, processes, chunksize, method, initializer=None):
    ctx = multiprocessing.get_context(method)
    with seedpool.Pool(processes, initializer=initializer, context=ctx, seed=SEED) as pool:
        return pool.map(fn, range(N), chunksize)


def _schedules(fn, method, initializer=None):
    return [_map(fn, 1, 1, method, initializer), _map(fn, 2, 1, method, initializer),
            _map(fn, 2, 3, method, initializer)]


@pytest.fixture(params=["fork", "spawn"])
def method(request):
    return request.param


def test_isolate_and_state_before_first_draw_act_on_the_task_stream(method):
    plain = _map(T.plain, 2, 1, method)
    assert len(set(plain)) == N
    for got in _schedules(T.isolate_seeded, method):
        assert [after for _, after in got] == plain  # isolate left the task's own stream
        assert len({inner for inner, _ in got}) == 1  # seeded block: the same in every task
    for got in _schedules(T.state_roundtrip, "fork"):
        assert got == plain


def test_seed_everything_without_seed_in_a_task_uses_the_task_node():
    seedpool.seed_everything(5)  # a process root the workers inherit: must not be used
    runs = _schedules(T.seed_everything_root, "fork")
    assert runs[0] == runs[1] == runs[2]
    root = seedpool.SeedTree(SEED)
    assert [words for words, _ in runs[0]] == [root.child("tasks", 0, i).generate_state(4).tolist()
                                               for i in range(N)]


def test_pools_with_seed_none_in_a_task_derive_from_the_task_node():
    seedpool.seed_everything(5)
    ctx = multiprocessing.get_context("fork")
    results = []
    for workers in (1, 2):
        with seedpool.ProcessPoolExecutor(workers, mp_context=ctx, seed=SEED) as ex:
            results.append(list(ex.map(T.nested_executor, range(4))))
    assert results[0] == results[1]
    root = seedpool.SeedTree(SEED)
    for i, (first, _value, second) in enumerate(results[0]):
        task = root.child("tasks", 0, i)
        assert first == task.child("pools", 0).generate_state(4).tolist()
        assert second == task.child("pools", 1).generate_state(4).tolist()
    assert len({str(v) for _, v, _ in results[0]}) == 4  # distinct inner streams per task


def test_scipy_unuran_built_in_a_task_draws_the_task_stream(method):
    pytest.importorskip("scipy.stats.sampling")
    runs = _schedules(T.unuran_inside, method)
    assert runs[0] == runs[1] == runs[2]
    assert len({str(r) for r in runs[0]}) == N


def test_bit_generator_held_before_tasks_is_seeded_per_task(method):
    pytest.importorskip("scipy.stats.sampling")
    runs = _schedules(T.unuran_held, method, initializer=T.hold_samplers)
    assert runs[0] == runs[1] == runs[2]
    assert len({str(r) for r in runs[0]}) == N
    # The held MT19937 starts each task exactly where the task's numpy stream starts.
    root = seedpool.SeedTree(SEED)
    expected = [int(np.random.RandomState(root.child("tasks", 0, i, "numpy").generate_state(4))
                    ._bit_generator.random_raw()) for i in range(N)]
    assert [raw for raw, _ in runs[0]] == expected
