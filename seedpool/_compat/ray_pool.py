"""Ray's ``ray.util.multiprocessing.Pool``: the two private methods seedpool's pool hooks.

Checked on ray 2.60.0 (``python/ray/util/multiprocessing/pool.py``):

* ``Pool._new_actor_entry()`` creates one actor from ``self._initializer`` /
  ``self._initargs`` -- at start-up for each slot in turn, and from ``_run_batch`` when
  ``maxtasksperchild`` batches retired the actor at ``actor_index``;
* ``Pool._run_batch(actor_index, func, batch)`` is the one place every batch of every
  method passes, in the order its items were taken from the iterable.

Ray gives every actor the same initializer arguments and no index: :class:`HookedPool`
turns those two methods into two plain hooks, ``_seedpool_actor_start(slot)`` (the
initializer of the actor about to be made for ``slot``) and
``_seedpool_batch(func, size)`` (the function a batch of ``size`` items runs), so
``seedpool.ray`` reads no private attribute of Ray's.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import ray.util.multiprocessing.pool as _raypool

__all__ = ["HookedPool"]


class HookedPool(_raypool.Pool):  # type: ignore[misc]
    """Ray's pool, with the slot of each new actor and each batch's function exposed."""

    _seedpool_started = 0  # actors created at start-up take slots 0, 1, ...
    _seedpool_slot: Optional[int] = None  # the slot being refilled, inside _run_batch

    def _seedpool_actor_start(self, slot: int) -> tuple[Optional[Callable[..., Any]], Any]:
        """``(initializer, initargs)`` for the actor about to take ``slot``."""
        raise NotImplementedError

    def _seedpool_batch(self, func: Any, size: int) -> Any:
        """The function a batch of ``size`` items runs (called in submission order)."""
        return func

    def _new_actor_entry(self):  # type: ignore[no-untyped-def]
        slot = self._seedpool_slot
        if slot is None:
            slot = self._seedpool_started
            self._seedpool_started = slot + 1
        # Ray's method builds the actor from these two attributes; hand it ours.
        self._initializer, self._initargs = self._seedpool_actor_start(slot)
        return super()._new_actor_entry()

    def _run_batch(self, actor_index, func, batch):  # type: ignore[no-untyped-def]
        func = self._seedpool_batch(func, len(batch))
        self._seedpool_slot = actor_index  # a replacement actor takes this slot
        try:
            return super()._run_batch(actor_index, func, batch)
        finally:
            self._seedpool_slot = None

    def check_running(self) -> None:
        """Ray's own check that the pool still takes work (``_check_running``)."""
        self._check_running()

    def actor_count(self) -> int:
        """How many actors the pool has (``len(_actor_pool)``)."""
        return len(getattr(self, "_actor_pool", ()))
