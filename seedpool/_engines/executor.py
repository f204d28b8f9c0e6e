"""``seedpool.ProcessPoolExecutor``: ``concurrent.futures.ProcessPoolExecutor`` keyed by task.

``submit`` is keyed by submission order (each submission is a call with one task,
index 0); ``map`` is one call whose items are keyed by position. The stdlib's ``map``
submits ``partial(_process_chunk, fn)`` through ``submit``; those chunks are recognised
and run as a :class:`~seedpool._task.call.KeyedChunk` instead -- the same items, one task
re-armed from item to item and left when the chunk ends -- so nothing is seeded twice.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from concurrent.futures import ProcessPoolExecutor as _StdExecutor
from typing import Any, Callable, Optional

from .._compat.stdlib_futures import is_stdlib_chunk, keep_alive_with_manager
from .._derive.tree import SeedLike
from .._task.call import KeyedApply, KeyedCall, KeyedChunk

# Not .process_pool: that imports multiprocess, hence dill, which the executor needs only
# for a callable pickle cannot send (dill loaded at start-up breaks the stdlib's exit cleanup).
from .common import KeyedTasks, check_count, check_scope, default_context, default_processes
from .process_worker import initialize_worker
from .transport import wrap_callable

__all__ = ["ProcessPoolExecutor"]


class ProcessPoolExecutor(KeyedTasks, _StdExecutor):
    """ProcessPoolExecutor(max_workers=None, mp_context=None, initializer=None, initargs=(), *, max_tasks_per_child=None, seed=None, scope="task")

    A drop-in ``concurrent.futures.ProcessPoolExecutor`` with task-keyed seeding.

    ``map`` keys item ``i`` as ``root.child("tasks", call, i)``; ``submit`` keys the
    k-th submission as ``root.child("tasks", k, 0)`` (``map`` and ``submit`` share
    the call counter). The same function submitted in the same order gives the same
    random results whatever ``max_workers`` is.

    Parameters
    ----------
    max_workers, mp_context, initializer, initargs, max_tasks_per_child
        As for ``concurrent.futures.ProcessPoolExecutor`` (``max_tasks_per_child`` needs
        Python 3.11+, as there). ``max_workers=None`` means
        ``SEEDPOOL_WORKERS`` if set, else the CPUs this process may run on.
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        The root, exposed as ``root`` (``seed_tree``: deprecated). ``None``: as for :class:`seedpool.Pool` (the
        process root's ``child("pools", k)`` if one was set, else fresh entropy).
    scope : {"task", "worker"}
        As for :class:`seedpool.Pool`.
    """

    def __init__(self, max_workers: Optional[int] = None, mp_context: Any = None,
                 initializer: Optional[Callable[..., Any]] = None, initargs: Iterable[Any] = (),
                 *, max_tasks_per_child: Optional[int] = None, seed: SeedLike = None,
                 scope: str = "task") -> None:
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        if max_tasks_per_child is not None and sys.version_info < (3, 11):
            raise TypeError(
                f"max_tasks_per_child needs Python 3.11 or newer (this is {sys.version.split()[0]}); "
                "use seedpool.Pool(maxtasksperchild=...) instead"
            )
        check_scope(scope)
        if max_workers is None:
            max_workers = default_processes()
        else:
            max_workers = check_count(max_workers, "max_workers must be greater than 0", "<=")
        if mp_context is None:
            # As the stdlib: max_tasks_per_child needs a start method other than fork.
            mp_context = default_context()
            if max_tasks_per_child is not None and mp_context.get_start_method() == "fork":
                import multiprocessing

                mp_context = multiprocessing.get_context("spawn")
        self._set_root(seed, scope)
        config = self._keyed_setup(max_workers, mp_context, initializer, initargs)
        kwargs = {} if max_tasks_per_child is None else {"max_tasks_per_child": max_tasks_per_child}
        super().__init__(max_workers, mp_context, initialize_worker, (config,), **kwargs)
        self._seedpool_config = config

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if is_stdlib_chunk(fn, KeyedCall):
            keyed = fn.args[0]  # type: ignore[attr-defined]  # (a partial) one chunk of our own map
            fn = KeyedChunk(keyed.func, keyed.root, keyed.call, keyed.record, keyed.strict)
        else:
            fn = KeyedApply(wrap_callable(fn, self._seedpool_dill), None, self._next_call())
        future = super().submit(fn, *args, **kwargs)
        # Workers started after this executor is dropped still open the slot array's lock.
        keep_alive_with_manager(self, self._seedpool_config)
        return future

    submit.__doc__ = _StdExecutor.submit.__doc__

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any], timeout: Optional[float] = None,
            chunksize: int = 1, **kwargs: Any) -> Iterator[Any]:
        # **kwargs: what this Python's Executor.map takes besides (buffersize=, 3.14), passed on.
        if not iterables:  # as the stdlib: zip() of nothing is empty
            return super().map(fn, timeout=timeout, chunksize=chunksize, **kwargs)
        task = KeyedCall(wrap_callable(fn, self._seedpool_dill), None, self._next_call())
        # Prepend each item's position; the stdlib zips, chunks and submits as usual.
        return super().map(task, itertools.count(), *iterables, timeout=timeout, chunksize=chunksize, **kwargs)

    map.__doc__ = _StdExecutor.map.__doc__

