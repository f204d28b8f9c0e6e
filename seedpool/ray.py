"""Task-keyed seeding on Ray: ``seedpool.ray.Pool``, a drop-in ``ray.util.multiprocessing.Pool``.

Data flow (one ``map`` call)::

    driver                                           any pool actor
    ------                                           --------------
    call = next(call counter)                        (at start: its worker lifecycle,
    func -> KeyedBatch(func, root, call)              seeded from root.child("workers",
    Ray's Pool: chunking, actors, results             slot, incarnation), then the user's
    (unchanged; items sent as they are)               initializer)
    each batch, in order:                   ---->    run_batch: for each item, in order,
      func -> func.batch(len(batch))                   KeyedBatch(x): i = start + k,
      (positions start .. start+len-1)                 root.child("tasks", call, i),
                                                       one task re-armed across the batch

The key layout is ``seedpool.Pool``'s, so ``seedpool.ray.Pool(n, seed=S).map(f, xs)``
equals ``seedpool.Pool(m, seed=S).map(f, xs)`` for any actor and process counts.

Ray gives every actor the same initializer arguments and no index, and runs each batch
with ``PoolActor.run_batch``, which calls the function once per item, in order: the two
private methods of Ray's pool this relies on are overridden in one place,
:class:`seedpool._compat.ray_pool.HookedPool` (``tests/test_ray.py`` compares every
method with ``seedpool.Pool``, so a Ray that changed either would fail there).

Imports ``ray`` when imported itself; ``import seedpool`` does not.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, Callable, Optional

import ray.util.multiprocessing.pool as _raypool

from ._compat.ray_pool import HookedPool
from ._derive.tree import SeedLike, SeedTree
from ._engines.common import ENV_WORKERS, KeyedTasks, check_scope, default_processes
from ._state.record import ENV_RECORD
from ._task.call import KeyedApply, KeyedBatch
from ._task.worker import WorkerLifecycle, set_process_worker

__all__ = ["Pool"]


class _ActorStart:
    """The initializer an actor gets: start its worker lifecycle (seeded from its slot),
    which runs the user's initializer."""

    __slots__ = ("root", "scope", "slot", "incarnation", "num_workers", "initializer", "initargs", "record")

    def __init__(self, root: SeedTree, scope: str, slot: int, incarnation: int, num_workers: int,
                 initializer: Optional[Callable[..., Any]], initargs: Optional[Iterable[Any]],
                 record: Optional[str]) -> None:
        self.root = root
        self.scope = scope
        self.slot = slot
        self.incarnation = incarnation
        self.num_workers = num_workers
        self.initializer = initializer
        self.initargs = initargs
        self.record = record

    def __call__(self) -> None:
        worker = WorkerLifecycle(self.root, slot=self.slot, incarnation=self.incarnation,
                                 num_workers=self.num_workers, scope=self.scope, record=self.record)
        set_process_worker(worker)  # an actor is one process: worker_info() there is this
        worker.start(self.initializer, tuple(self.initargs or ()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_ActorStart, (self.root, self.scope, self.slot, self.incarnation, self.num_workers,
                              self.initializer, self.initargs, self.record))


class Pool(KeyedTasks, HookedPool):
    """Pool(processes=None, initializer=None, initargs=None, maxtasksperchild=None, context=None, ray_address=None, ray_remote_args=None, *, seed=None, scope="task")

    A drop-in ``ray.util.multiprocessing.Pool`` whose random results do not depend on
    the number of actors or the schedule.

    Tasks are keyed as in :class:`seedpool.Pool`: with ``scope="task"`` item ``i`` of
    the pool's ``c``-th call (``map``, ``imap``, ``apply_async``... share one counter)
    runs with Python's ``random``, numpy's global state and :func:`seedpool.rng`
    seeded from ``root.child("tasks", c, i)``. With ``scope="worker"`` each actor
    is seeded once from ``root.child("workers", slot, incarnation)``: its own
    slot ``0..processes-1`` (which Ray's pool does not give), and a new incarnation
    when ``maxtasksperchild`` replaces it.

    Parameters
    ----------
    processes, initializer, initargs, maxtasksperchild, context, ray_address, ray_remote_args
        As for ``ray.util.multiprocessing.Pool`` (``context`` is ignored, as there).
        ``processes=None`` means ``SEEDPOOL_WORKERS`` if set, else Ray's default (the
        cluster's CPUs). The user's ``initializer`` runs after the actor is seeded.
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        The root, exposed as ``root``; ``None`` as for :class:`seedpool.Pool`.
    scope : {"task", "worker"}
        As for :class:`seedpool.Pool`.

    Notes
    -----
    ``seedpool.worker_info()`` inside an actor describes it (its slot, incarnation and
    the pool's size). A joblib ``BatchedCalls`` sent through ``apply_async`` is run as one
    task, without Ray's object-store caching of its arguments.
    """

    def __init__(self, processes: Optional[int] = None, initializer: Optional[Callable[..., Any]] = None,
                 initargs: Optional[Iterable[Any]] = None, maxtasksperchild: Optional[int] = None,
                 context: Any = None, ray_address: Optional[str] = None,
                 ray_remote_args: Optional[dict[str, Any]] = None, *, seed: SeedLike = None,
                 scope: str = "task") -> None:
        # Validated before Ray starts or connects (Ray itself checks processes after),
        # and before a seed=None pool takes a number.
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        check_scope(scope)
        if processes is None and os.environ.get(ENV_WORKERS):
            processes = default_processes()
        if processes is not None and processes <= 0:
            raise ValueError("Processes in the pool must be >0.")
        self._set_root(seed, scope)
        self._record = os.environ.get(ENV_RECORD) or None
        self._seedpool_init = (initializer, None if initargs is None else tuple(initargs))
        self._seedpool_size = processes
        self._seedpool_incarnations: dict[int, int] = {}
        super().__init__(processes, initializer, initargs, maxtasksperchild, context, ray_address,
                         ray_remote_args)

    # -- the two hooks of seedpool._compat.ray_pool ------------------------------------------

    def _seedpool_actor_start(self, slot: int) -> tuple[Callable[..., Any], Any]:
        incarnation = self._seedpool_incarnations.get(slot, 0)
        self._seedpool_incarnations[slot] = incarnation + 1
        user_init, user_args = self._seedpool_init
        size = self._seedpool_size if self._seedpool_size is not None else self.actor_count() + 1
        return _ActorStart(self.root, self.scope, slot, incarnation, size, user_init, user_args,
                           self._record), None

    def _seedpool_batch(self, func: Any, size: int) -> Any:
        if isinstance(func, KeyedBatch):
            # Every batch of every method passes here, in the order its items were taken
            # from the iterable: the batch's positions are the next ``size``.
            return func.batch(size)
        return func

    # -- the one layer where tasks are wrapped -------------------------------------------

    def _task(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if self.scope != "task":
            return func
        self.check_running()
        return KeyedBatch(func, self.root, self._next_call(), self._record)

    def apply_async(self, func, args=None, kwargs=None, callback=None, error_callback=None):
        if self.scope == "task":
            self.check_running()
            func = KeyedApply(func, self.root, self._next_call(), self._record)
        return super().apply_async(func, args, kwargs, callback, error_callback)

    def map(self, func, iterable, chunksize=None):
        return super().map(self._task(func), iterable, chunksize)

    def map_async(self, func, iterable, chunksize=None, callback=None, error_callback=None):
        return super().map_async(self._task(func), iterable, chunksize, callback, error_callback)

    def starmap(self, func, iterable, chunksize=None):
        return super().starmap(self._task(func), iterable, chunksize)

    def starmap_async(self, func, iterable, callback=None, error_callback=None):
        return super().starmap_async(self._task(func), iterable, callback, error_callback)

    def imap(self, func, iterable, chunksize=1):
        return super().imap(self._task(func), iterable, chunksize)

    def imap_unordered(self, func, iterable, chunksize=1):
        return super().imap_unordered(self._task(func), iterable, chunksize)

    # Borrow Ray's docstrings, adding how seeding applies.
    for _name in ("apply_async", "map", "map_async", "starmap", "starmap_async", "imap", "imap_unordered"):
        locals()[_name].__doc__ = (getattr(_raypool.Pool, _name).__doc__ or "").rstrip() + (
            "\n\n        Seeding: each task is keyed by (this call's number on the pool, its index)."
        )
    del _name

    def __repr__(self) -> str:
        return (f"<seedpool.ray.Pool actors={self.actor_count()} scope={self.scope!r} "
                f"root={self.root!r}>")
