"""``seedpool.ProcessPoolExecutor``: ``concurrent.futures.ProcessPoolExecutor`` keyed by task.

``submit`` is keyed by submission order (each submission is a call with one task,
index 0); ``map`` is one call whose items are keyed by position. The stdlib's ``map``
submits ``partial(_process_chunk, fn)`` through ``submit``; those chunks are recognised
and passed through unwrapped, so nothing is seeded twice.
"""

from __future__ import annotations

import concurrent.futures.process as _process
import functools
import itertools
import sys
from concurrent.futures import Future
from concurrent.futures import ProcessPoolExecutor as _StdExecutor
from typing import Any, Callable, Iterable, Iterator, Optional

from ._pool import KeyedTasks, check_seed_args, default_context, default_processes
from ._tree import SeedLike
from ._worker import TaskCall, initialize_worker, wrap_callable

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
        self.root = check_seed_args(seed, scope)
        self.scope = scope
        if max_workers is None:
            max_workers = default_processes()
        elif max_workers <= 0:
            raise ValueError("max_workers must be greater than 0")
        if mp_context is None:
            # As the stdlib: max_tasks_per_child needs a start method other than fork.
            mp_context = default_context()
            if max_tasks_per_child is not None and mp_context.get_start_method() == "fork":
                import multiprocessing

                mp_context = multiprocessing.get_context("spawn")
        config = self._keyed_setup(max_workers, mp_context, initializer, initargs)
        kwargs = {} if max_tasks_per_child is None else {"max_tasks_per_child": max_tasks_per_child}
        super().__init__(max_workers, mp_context, initialize_worker, (config,), **kwargs)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if not (isinstance(fn, functools.partial) and fn.func is _process._process_chunk
                and isinstance(fn.args[0], TaskCall)):
            fn = TaskCall(wrap_callable(fn, self._seedpool_dill), self._next_call(), "apply")
        return super().submit(fn, *args, **kwargs)

    submit.__doc__ = _StdExecutor.submit.__doc__

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any], timeout: Optional[float] = None,
            chunksize: int = 1) -> Iterator[Any]:
        task = TaskCall(wrap_callable(fn, self._seedpool_dill), self._next_call(), "indexed")
        # Prepend each item's position; the stdlib zips, chunks and submits as usual.
        return super().map(task, itertools.count(), *iterables, timeout=timeout, chunksize=chunksize)

    map.__doc__ = _StdExecutor.map.__doc__

