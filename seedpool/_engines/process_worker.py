"""A process pool's worker: its start-up (the pools' initializer) and what its queues report.

Key layout under a pool's root (part of the derivation scheme)::

    root.child("tasks", call, index)           a task: the call's number on this pool,
                                               the task's position in that call
    root.child("workers", slot, incarnation)   a worker: its slot 0..processes-1 and how
                                               many workers held that slot before it
    <node>.child(backend)                      each backend's own stream under a node

``initialize_worker`` is what ``seedpool.Pool`` and ``seedpool.ProcessPoolExecutor`` pass
the standard library as the pool initializer: it claims a slot
(:mod:`seedpool._engines.slots`), then starts the worker's
:class:`~seedpool._task.worker.WorkerLifecycle`, which seeds and runs the user's
initializer. Tasks arrive as keyed calls (:mod:`seedpool._task.call`).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any, Optional

from .._compat import numpy_random
from .._compat.stdlib_pool import reinit_held_lock
from .._derive.tree import SeedTree
from .._state.record import ENV_RECORD
from .._task.worker import WorkerLifecycle, close_run, set_process_worker
from . import slots as _slots

__all__ = ["WorkerConfig", "initialize_worker", "queue_state", "result_sent", "close_run"]


class WorkerConfig:
    """Everything a worker needs, sent once through the pool's initializer."""

    def __init__(self, root: SeedTree, scope: str, num_workers: int, slots: Any,
                 initializer: Optional[Callable[..., Any]], initargs: tuple[Any, ...], watched: bool = False) -> None:
        self.root = root
        self.scope = scope
        self.num_workers = num_workers
        self.slots = slots  # the slot table (seedpool._engines.slots)
        self.initializer = initializer
        self.initargs = initargs
        # seedpool.Pool: its queues report where each worker is, and its watch reads it;
        # they also close a run of items, so a task may stay entered between them.
        self.watched = watched


# This process's slot row, once it is a pool's worker (the queues report through it).
_row: Optional[_slots.SlotRow] = None


def _reinit_inherited_locks() -> None:
    # A forked worker inherits numpy's global RandomState lock as it was at fork time:
    # held, if another parent thread was drawing, by a thread that does not exist here,
    # so seeding it would wait forever. Alone in this process, nothing else can hold it.
    if threading.active_count() == 1 and "numpy" in sys.modules:
        bitgen = numpy_random.bit_generator_of(numpy_random.global_randomstate())
        if bitgen is not None:
            reinit_held_lock(bitgen.lock)


def _release_on_normal_exit(config: WorkerConfig, slot: int) -> None:
    # A worker process ends through its library's util._exit_function (never atexit):
    # register with whichever of multiprocessing / multiprocess started us.
    for name in ("multiprocessing.util", "multiprocess.util"):
        util = sys.modules.get(name)
        if util is not None:
            util.Finalize(None, _slots.release, args=(config.slots, slot, os.getpid(), config.watched),
                          exitpriority=100)


def initialize_worker(config: WorkerConfig) -> None:
    """Pool initializer: claim a slot, start the worker's lifecycle (seeding, the user's
    initializer), then report the worker idle."""
    global _row
    _reinit_inherited_locks()
    n = config.num_workers
    slot, incarnation = _slots.claim(config.slots, n)
    _release_on_normal_exit(config, slot)
    row = _row = _slots.SlotRow(config.slots, n, slot)
    worker = WorkerLifecycle(config.root, slot=slot, incarnation=incarnation, num_workers=n, scope=config.scope,
                             keep_runs=config.watched, hold=row.hold, record=os.environ.get(ENV_RECORD) or None)
    set_process_worker(worker)
    worker.start(config.initializer, config.initargs)
    row.queue_state(_slots.IDLE)  # started: from now on a clean exit is a retirement


def queue_state(value: int) -> None:
    """Say where this worker is in the pool's queues (no-op outside a worker)."""
    row = _row
    if row is not None:
        row.queue_state(value)


def result_sent() -> None:
    """The worker's last result is in the pipe: it holds no task any more."""
    row = _row
    if row is not None:
        row.result_sent()


def _after_fork_in_child() -> None:
    # A process forked from a worker (a nested pool's worker, a task's os.fork) holds no
    # slot of this pool: it claims its own, if it becomes a worker at all.
    global _row
    _row = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
