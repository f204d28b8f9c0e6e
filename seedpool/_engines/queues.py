"""The process pool's queues: the standard library's, with the worker saying where it is.

A worker that dies holding a queue's lock (SIGKILL while it waits for a task, or while it
sends a result) takes the lock with it: every other worker, the next ``map`` and
``terminate()`` then wait forever. These queues are the stdlib's ``SimpleQueue`` with
``get``/``put`` re-stated (:func:`seedpool._compat.stdlib_pool.watched_queue_class`: same
bytes, same locks) plus one store to the worker's slot row around each step, so the
parent knows what a dead worker held. They also end a worker's run of tasks
(:func:`seedpool._task.worker.close_run`) when it asks for work or sends a result, so
nothing between chunks runs inside a task.

The classes are module attributes, so a spawned worker unpickles them by name.
"""

from __future__ import annotations

import multiprocessing.queues
from typing import Any

from .._compat import stdlib_pool
from .process_worker import close_run, queue_state, result_sent

__all__ = ["WatchedSimpleQueue", "setup_watched_queues"]


def _watched(base: type, name: str) -> type:
    cls = stdlib_pool.watched_queue_class(base, queue_state, result_sent, close_run)
    cls.__module__, cls.__qualname__, cls.__name__ = __name__, name, name
    return cls


WatchedSimpleQueue = _watched(multiprocessing.queues.SimpleQueue, "WatchedSimpleQueue")
_by_base: dict[type, type] = {multiprocessing.queues.SimpleQueue: WatchedSimpleQueue}


def _watched_multiprocess() -> type:
    import multiprocess.queues  # deferred: multiprocess imports dill

    base = multiprocess.queues.SimpleQueue
    if base not in _by_base:
        _by_base[base] = _watched(base, "WatchedMultiprocessSimpleQueue")
    return _by_base[base]


def __getattr__(name: str) -> Any:
    # Built on first use (importing multiprocess imports dill); a spawned worker
    # unpickles the class by this name.
    if name == "WatchedMultiprocessSimpleQueue":
        return _watched_multiprocess()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def setup_watched_queues(pool: Any, context: Any) -> None:
    """``Pool._setup_queues`` for ``seedpool.Pool``: the context's queues, watched."""
    if type(context).__module__.startswith("multiprocess."):
        cls = _watched_multiprocess()
    else:
        cls = WatchedSimpleQueue
    stdlib_pool.use_watched_queues(pool, context, cls)
