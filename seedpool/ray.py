"""Task-keyed seeding on Ray: ``seedpool.ray.Pool``, a drop-in ``ray.util.multiprocessing.Pool``.

Data flow (one ``map`` call)::

    driver                                           any pool actor
    ------                                           --------------
    call = next(call counter)                        (at start: seeded from
    func -> BatchCall(func, root, call)               root.child("workers", slot, incarnation),
    Ray's Pool: chunking, actors, results             hooks installed, then the user's
    (unchanged; items sent as they are)               initializer)
    _run_batch(actor, func, batch):         ---->    run_batch: for each item, in order,
      func -> func.batch(len(batch))                   BatchCall(x): i = start + k
      (positions start .. start+len-1)                 Task(root.child("tasks", call, i))
                                                       func(x)

The key layout is ``seedpool.Pool``'s, so ``seedpool.ray.Pool(n, seed=S).map(f, xs)``
equals ``seedpool.Pool(m, seed=S).map(f, xs)`` for any actor and process counts.

Ray's private surface used here (checked on ray 2.60.0,
``python/ray/util/multiprocessing/pool.py``): ``Pool._new_actor_entry`` (creates one
actor from ``self._initializer`` / ``self._initargs``) and ``Pool._run_batch`` -- the
one place an actor is replaced after ``maxtasksperchild`` batches, and the one place
every batch of every method passes, in the order its items were taken from the
iterable. Ray gives every actor the same initializer arguments and no index;
overriding ``_new_actor_entry`` is how each actor learns its slot, so worker-scope
seeding gives each actor its own stream. The batch's positions are assigned in
``_run_batch``, and ``PoolActor.run_batch`` calls the function once per item, in
order, so the actor needs no position with each item (``tests/test_ray.py`` compares
every method with ``seedpool.Pool``, so a Ray that changed either would fail there).

Imports ``ray`` when imported itself; ``import seedpool`` does not.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, Callable, Optional

import ray.util.multiprocessing.pool as _raypool

from ._derive.tree import SeedLike, SeedTree
from ._engines.process_pool import ENV_WORKERS, KeyedTasks, check_seed_args, default_processes
from ._state.record import ENV_RECORD
from ._task.call import BatchCall, KeyedCall, seed_worker

__all__ = ["Pool"]


class _ActorStart:
    """The initializer every actor gets: seed from its slot, install hooks, run the user's."""

    __slots__ = ("root", "scope", "slot", "incarnation", "initializer", "initargs", "record")

    def __init__(self, root: SeedTree, scope: str, slot: int, incarnation: int,
                 initializer: Optional[Callable[..., Any]], initargs: Optional[Iterable[Any]],
                 record: Optional[str]) -> None:
        self.root = root
        self.scope = scope
        self.slot = slot
        self.incarnation = incarnation
        self.initializer = initializer
        self.initargs = initargs
        self.record = record

    def __call__(self) -> None:
        seed_worker(self.root, self.slot, self.incarnation, self.record)
        if self.scope == "task":
            from ._state import scopes as _lazy

            _lazy.install()
        if self.initializer is not None:
            self.initializer(*(self.initargs or ()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_ActorStart, (self.root, self.scope, self.slot, self.incarnation, self.initializer,
                              self.initargs, self.record))


class Pool(KeyedTasks, _raypool.Pool):
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
    ``seedpool.worker_info()`` is None inside an actor (Ray's actors are not seedpool's
    workers). A joblib ``BatchedCalls`` sent through ``apply_async`` is run as one task,
    without Ray's object-store caching of its arguments.
    """

    def __init__(self, processes: Optional[int] = None, initializer: Optional[Callable[..., Any]] = None,
                 initargs: Optional[Iterable[Any]] = None, maxtasksperchild: Optional[int] = None,
                 context: Any = None, ray_address: Optional[str] = None,
                 ray_remote_args: Optional[dict[str, Any]] = None, *, seed: SeedLike = None,
                 scope: str = "task") -> None:
        # Validated before Ray starts or connects (Ray itself checks processes after).
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        self.root = check_seed_args(seed, scope)
        self.scope = scope
        if processes is None and os.environ.get(ENV_WORKERS):
            processes = default_processes()
        if processes is not None and processes <= 0:
            raise ValueError("Processes in the pool must be >0.")
        self._init_calls()
        self._record = os.environ.get(ENV_RECORD) or None
        self._seedpool_init = (initializer, None if initargs is None else tuple(initargs))
        self._seedpool_started = 0  # actors created at start-up take slots 0, 1, ...
        self._seedpool_slot: Optional[int] = None  # the slot being refilled, in _run_batch
        self._seedpool_incarnations: dict[int, int] = {}
        super().__init__(processes, initializer, initargs, maxtasksperchild, context, ray_address,
                         ray_remote_args)

    # -- actor start: the two private methods (see the module docstring) -----------------

    def _new_actor_entry(self):  # type: ignore[no-untyped-def]
        slot = self._seedpool_slot
        if slot is None:
            slot = self._seedpool_started
            self._seedpool_started += 1
        incarnation = self._seedpool_incarnations.get(slot, 0)
        self._seedpool_incarnations[slot] = incarnation + 1
        user_init, user_args = self._seedpool_init
        # Ray's method builds the actor from these two attributes; hand it ours.
        self._initializer = _ActorStart(self.root, self.scope, slot, incarnation, user_init,
                                        user_args, self._record)
        self._initargs = None
        return super()._new_actor_entry()

    # -- the one layer where tasks are wrapped -------------------------------------------

    def _run_batch(self, actor_index, func, batch):  # type: ignore[no-untyped-def]
        if isinstance(func, BatchCall):
            # Every batch of every method passes here, in the order its items were taken
            # from the iterable: the batch's positions are the next len(batch).
            func = func.batch(len(batch))
        self._seedpool_slot = actor_index  # a replacement actor takes this slot
        try:
            return super()._run_batch(actor_index, func, batch)
        finally:
            self._seedpool_slot = None

    def _task(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if self.scope != "task":
            return func
        self._check_running()
        return BatchCall(func, self.root, self._next_call(), self._record)

    def apply_async(self, func, args=None, kwargs=None, callback=None, error_callback=None):
        if self.scope == "task":
            self._check_running()
            func = KeyedCall(func, self.root, self._next_call(), "apply", self._record)
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
        return (f"<seedpool.ray.Pool actors={len(getattr(self, '_actor_pool', ()))} scope={self.scope!r} "
                f"root={self.root!r}>")
