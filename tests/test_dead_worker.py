"""A worker killed mid-task fails the pending result fast; the stdlib pool hangs."""

from __future__ import annotations

import functools
import multiprocessing
import time

import psutil
import pytest

import pool_tasks as T
import seedpool

BOUND = 5.0  # seconds within which the error must arrive


def _live_children():
    return {p.pid for p in psutil.Process().children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE}


@pytest.mark.parametrize("method", ["map", "imap", "imap_chunked", "imap_unordered", "apply_async", "exit_code"])
def test_killed_worker_fails_the_call_and_pool_stays_usable(method):
    before = _live_children()
    runs = {
        "map": lambda p: p.map_async(T.die_on, range(20), 2).get(BOUND),
        "imap": lambda p: list(p.imap(T.die_on, range(20))),
        "imap_chunked": lambda p: list(p.imap(T.die_on, range(20), 3)),
        "imap_unordered": lambda p: list(p.imap_unordered(T.die_on, range(20))),
        "apply_async": lambda p: p.apply_async(T.die_on, (5,)).get(BOUND),
        "exit_code": lambda p: p.map_async(functools.partial(T.die_on, how="exit"), range(20)).get(BOUND),
    }
    with seedpool.Pool(2, seed=0) as pool:
        started = time.monotonic()
        with pytest.raises(seedpool.WorkerLostError) as info:
            runs[method](pool)
        assert time.monotonic() - started < BOUND
        err = info.value
        expected_index = 0 if method == "apply_async" else 5
        assert err.task_index == expected_index and err.call == 0 and err.worker in (0, 1)
        if method == "exit_code":
            assert err.exitcode == 3 and "exited with code 3" in str(err)
        else:
            assert err.exitcode == -9 and "SIGKILL" in str(err)
        assert f"task {expected_index} of call 0" in str(err)
        # replaced, still usable, and later calls keep their keys
        assert pool.map(T.noop, range(10)) == list(range(10))
        pool.close()
        pool.join()
    deadline = time.monotonic() + 10
    while _live_children() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not (_live_children() - before)


def test_stdlib_pool_hangs_where_seedpool_raises():
    # Side by side, bounded: the stdlib pool never answers the lost task.
    with multiprocessing.get_context("fork").Pool(2) as plain:
        with pytest.raises(multiprocessing.TimeoutError):
            plain.map_async(T.die_on, range(20), 2).get(2.0)
        plain.terminate()
    with seedpool.Pool(2, seed=0) as ours:
        with pytest.raises(seedpool.WorkerLostError):
            ours.map_async(T.die_on, range(20), 2).get(2.0)


def test_normal_retirement_is_not_an_error():
    with seedpool.Pool(2, seed=0, maxtasksperchild=1) as pool:
        assert pool.map(T.noop, range(12), 1) == list(range(12))


def test_worker_scope_death_fails_pending_calls_instead_of_hanging():
    with seedpool.Pool(2, seed=0, scope="worker") as pool:
        started = time.monotonic()
        with pytest.raises(seedpool.WorkerLostError, match="scope='worker' tasks are not tracked"):
            pool.map_async(T.die_on, range(20), 2).get(BOUND)
        with pytest.raises(seedpool.WorkerLostError):
            list(pool.imap(T.die_on, range(20)))
        assert time.monotonic() - started < 2 * BOUND
        assert pool.map(T.noop, range(10)) == list(range(10))


def test_death_before_the_task_runs_fails_pending_calls():
    # SIGKILL while unpickling the task's argument: the worker never said which task it
    # held, so every pending call fails instead of one hanging.
    with seedpool.Pool(1, seed=0) as pool:
        assert pool.map(T.noop, range(3)) == [0, 1, 2]
        with pytest.raises(seedpool.WorkerLostError, match="before saying which task"):
            pool.apply_async(T.noop, (T.KillOnUnpickle(),)).get(BOUND)
        assert pool.map(T.noop, range(3)) == [0, 1, 2]


def test_os_exit_zero_in_a_task_is_a_death_not_a_retirement():
    with seedpool.Pool(1, seed=0) as pool:
        with pytest.raises(seedpool.WorkerLostError, match="exited with code 0"):
            pool.map_async(T.exit_zero, range(4), 1).get(BOUND)
        # the slot was freed, so the replacement could start and serve the next call
        assert pool.map(T.noop, range(3)) == [0, 1, 2]


def test_worker_scope_imap_death_then_close_join_returns():
    before = _live_children()
    pool = seedpool.Pool(2, seed=0, scope="worker")
    with pytest.raises(seedpool.WorkerLostError):
        list(pool.imap(T.die_on, range(20)))
    pool.close()
    started = time.monotonic()
    pool.join()
    assert time.monotonic() - started < BOUND
    deadline = time.monotonic() + 10
    while _live_children() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not (_live_children() - before)
