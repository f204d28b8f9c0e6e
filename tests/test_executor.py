"""seedpool.ProcessPoolExecutor: map keyed by position, submit by submission order."""

from __future__ import annotations

import concurrent.futures
import multiprocessing

import pytest
from test_pool import expected_draw

import pool_tasks as T
import seedpool


@pytest.mark.parametrize("workers,method,chunksize", [(1, "fork", 1), (2, "spawn", 4), (3, "forkserver", 2)])
def test_map_is_keyed_by_position(workers, method, chunksize):
    ctx = multiprocessing.get_context(method)
    with seedpool.ProcessPoolExecutor(workers, ctx, seed=21) as ex:
        got = list(ex.map(T.draw, range(30), chunksize=chunksize))
        submitted = ex.submit(T.draw, 99).result(30)
    assert got == [expected_draw(21, 0, i) for i in range(30)]
    assert submitted == (99,) + expected_draw(21, 1, 0)[1:]


def test_submit_is_keyed_by_submission_order_and_lambdas_work():
    with seedpool.ProcessPoolExecutor(2, seed=3) as ex:
        futures = [ex.submit(T.draw, i) for i in range(6)]
        lam = ex.submit(lambda: 5).result(30)
        infos = [ex.submit(T.info).result(30) for _ in range(2)]
    assert [f.result() for f in futures] == [(i,) + expected_draw(3, i, 0)[1:] for i in range(6)]
    assert lam == 5
    # the stdlib map's chunks are not wrapped twice: call numbers stay consecutive
    assert [(i[2], i[3]) for i in infos] == [(7, 0), (8, 0)]


def test_drop_in_errors_and_types():
    with pytest.raises(ValueError, match="max_workers must be greater than 0"):
        seedpool.ProcessPoolExecutor(0)
    with pytest.raises(TypeError, match="initializer must be a callable"):
        seedpool.ProcessPoolExecutor(1, initializer=1)
    with pytest.raises(ValueError, match="scope"):
        seedpool.ProcessPoolExecutor(1, scope="x")
    ex = seedpool.ProcessPoolExecutor(1, seed=0)
    assert isinstance(ex, concurrent.futures.ProcessPoolExecutor)
    with pytest.raises(ValueError, match="boom 2"):
        ex.submit(T.boom, 2).result(30)
    ex.shutdown()
    with pytest.raises(RuntimeError, match="cannot schedule new futures after shutdown"):
        ex.submit(T.noop, 1)


@pytest.mark.skipif(__import__("sys").version_info >= (3, 11), reason="the stdlib has it from 3.11")
def test_max_tasks_per_child_before_311_says_what_to_use():
    with pytest.raises(TypeError, match="needs Python 3.11"):
        seedpool.ProcessPoolExecutor(1, max_tasks_per_child=2)


def test_map_passes_buffersize_on_as_this_python_does():
    # Executor.map(..., buffersize=) is new in 3.14: there it must keep the keys; before
    # 3.14 it is refused exactly as the stdlib refuses it.
    import sys

    if sys.version_info >= (3, 14):
        with seedpool.ProcessPoolExecutor(2, seed=21) as ex:
            got = list(ex.map(T.draw, range(12), buffersize=3))
        assert got == [expected_draw(21, 0, i) for i in range(12)]
        return
    with concurrent.futures.ProcessPoolExecutor(1) as ex:
        with pytest.raises(TypeError) as std:
            ex.map(T.noop, range(3), buffersize=2)
    with seedpool.ProcessPoolExecutor(1, seed=0) as ex:
        with pytest.raises(TypeError) as ours:
            ex.map(T.noop, range(3), buffersize=2)
    assert str(ours.value).split("()")[-1] == str(std.value).split("()")[-1]

