"""Reliability round 3 (issue 22), the core's items: each test fails on the code before
the fix. Items 5, 6, 7, 9, 10 and 12 here; 13, 14, 15 and 23 in tests/test_strict.py."""

from __future__ import annotations

import multiprocessing
import os

import numpy as np
import pytest
import reliability_tasks as R

import seedpool
from seedpool._task.task import task_scope

FORK = multiprocessing.get_context("fork")


@pytest.fixture(autouse=True)
def _strict_off():
    yield
    seedpool.strict(None)


# -- item 5: a refused seed leaves the stream as it was ------------------------------------
@pytest.mark.parametrize("engine", ["thread_pool", "process_pool"])
def test_a_refused_seed_in_error_mode_leaves_the_task_on_its_keyed_stream(engine):
    def run(func):
        if engine == "thread_pool":
            with seedpool.ThreadPool(2, seed=3) as pool:
                return pool.map(func, range(4))
        with seedpool.Pool(2, context=FORK, seed=3) as pool:
            return pool.map(func, range(4))

    with seedpool.strict("error"):
        refused = run(R.refused_seed_then_draw)
    keyed = run(R.draw)
    # Before: the refused seed marked the stream as the task's own choice, and the task
    # drew a spare's leftover state -- Random(0)'s numbers, the same in every task.
    assert refused == keyed
    assert len({str(v) for v in refused}) == 4


# -- item 6: bit generators handed out in thread tasks do not alias --------------------------
def test_bit_generators_handed_out_by_thread_tasks_are_distinct_objects():
    with seedpool.ThreadPool(1, seed=1) as pool:
        handed = pool.map(R.hand_out_bit_generator, range(3))
    assert len({id(b) for b in handed}) == 3
    # Each still holds its own task's stream (before, every one was the thread's spare,
    # holding the last task's state).
    states = [b.state["state"]["key"][:4].tolist() for b in handed]
    assert len({str(s) for s in states}) == 3
    for i in range(len(handed)):
        node = seedpool.SeedTree(1).child("tasks", 0, i)
        with task_scope(node, restore=True):
            expected = np.random.get_bit_generator().state["state"]["key"][:4].tolist()
        assert states[i] == expected


# -- item 7: another bit generator in one task, the next tasks unharmed ------------------------
def test_a_task_setting_another_bit_generator_leaves_later_tasks_working():
    with seedpool.Pool(1, context=FORK, seed=1) as pool:
        pcg = pool.map(R.set_pcg64_then_draw, range(2))
        after = pool.map(R.draw, range(3))  # failed with "can only re-seed a MT19937 BitGenerator"
    with seedpool.Pool(2, context=FORK, seed=1) as pool:
        pool.map(R.draw, range(2))
        fresh = pool.map(R.draw, range(3))
    assert after == fresh  # every task starts on its own MT19937 stream again
    assert pcg[0][1] == pcg[1][1]  # np.random.seed(7) on the PCG64, as numpy does


def test_seed_after_set_bit_generator_in_a_thread_task_works_as_numpy():
    with seedpool.ThreadPool(2, seed=1) as pool:
        values = pool.map(R.set_pcg64_then_draw, range(2))
    np_state = np.random.get_state()
    try:
        np.random.set_bit_generator(np.random.PCG64(0))
        np.random.seed(7)
        expected = int(np.random.randint(2**31))
    finally:
        np.random.set_bit_generator(np.random.MT19937())
        np.random.set_state(np_state)
    assert [v[1] for v in values] == [expected, expected]


# -- item 9: SystemExit / KeyboardInterrupt in a ThreadPool task fails the call ----------------
@pytest.mark.timeout(60)  # before: the thread died and map waited forever
@pytest.mark.parametrize("func", [R.exit_on_two, R.interrupt_on_one])
def test_thread_pool_task_raising_an_exit_fails_its_call_and_the_pool_goes_on(func):
    with seedpool.ThreadPool(2, seed=1) as pool:
        with pytest.raises(seedpool.WorkerLostError, match="would end its thread") as info:
            pool.map(func, range(4))
        assert isinstance(info.value.__cause__, (SystemExit, KeyboardInterrupt))
        assert pool.map(abs, [-1, -2, -3]) == [1, 2, 3]


# -- item 10: task_scope refuses what is not a node --------------------------------------------
@pytest.mark.parametrize("bad", [5, "node", None, [1, 2]])
def test_task_scope_refuses_a_non_node_at_entry(bad):
    with pytest.raises(TypeError, match="node must be a seedpool.SeedTree"):
        with task_scope(bad):
            pass


# -- item 12: an unwritable SEEDPOOL_RECORD is named before any worker starts -------------------
@pytest.mark.parametrize("engine", [lambda: seedpool.Pool(2), lambda: seedpool.ProcessPoolExecutor(2),
                                    lambda: seedpool.ThreadPool(2)])
def test_an_unwritable_record_path_is_refused_in_the_parent(engine, tmp_path, monkeypatch):
    path = str(tmp_path / "missing" / "record.jsonl")
    monkeypatch.setenv("SEEDPOOL_RECORD", path)
    before = multiprocessing.active_children()
    with pytest.raises(seedpool.RecordError, match="SEEDPOOL_RECORD") as info:
        engine()
    assert path in str(info.value)
    assert multiprocessing.active_children() == before  # nothing was started
    assert not os.path.exists(path)
