"""What ``seedpool.Pool`` and ``seedpool.ProcessPoolExecutor`` share: argument checks,
defaults, the call counter and the worker config.

Kept apart from ``_pool`` so the executor does not import ``multiprocess`` (and with it
dill, which holds ``__main__`` and breaks the stdlib executor's exit-time cleanup) until a
callable actually needs dill.
"""

from __future__ import annotations

import itertools
import multiprocessing
import operator
import os
import threading
from collections.abc import Iterable
from typing import Any, Callable, Optional

from .._deprecated import renamed_attribute
from .._derive.tree import SeedTree
from .._state.root import workers_from_env
from .._state.seeding import pool_root
from .._task.worker import QUEUE_ROWS, WorkerConfig, wrap_callable

__all__ = ["KeyedTasks", "default_processes", "default_context", "is_dill_context", "check_seed_args",
           "make_slots", "check_count", "ENV_WORKERS"]

ENV_WORKERS = "SEEDPOOL_WORKERS"
_SCOPES = ("task", "worker")


def default_processes() -> int:
    """Workers for ``processes=None``: ``SEEDPOOL_WORKERS`` if set, else the CPUs this
    process may run on (its affinity), not the machine's total."""
    env = os.environ.get(ENV_WORKERS)
    if env:
        return workers_from_env(env)  # ASCII digits, 1..65536, else a ValueError naming it
    try:
        import psutil

        return max(1, len(psutil.Process().cpu_affinity()))
    except (AttributeError, NotImplementedError, OSError):  # no affinity API on this OS
        return os.cpu_count() or 1


def check_count(value: Any, less_than_one: str, op: str = "<") -> int:
    """A worker count as the stdlib checks it: the comparison first (its TypeError for a
    str), ``less_than_one`` as ValueError, then any integer (numpy's too) as ``int``;
    ``2.5`` raises the stdlib's own TypeError ("'float' object cannot be interpreted as
    an integer"), before anything starts."""
    if (value < 1) if op == "<" else (value <= 0):
        raise ValueError(less_than_one)
    return operator.index(value)


def default_context() -> Any:
    """The default start method's context, *without* fixing the global start method
    (``multiprocessing.get_context()`` with no argument would)."""
    method = multiprocessing.get_start_method(allow_none=True) or multiprocessing.get_all_start_methods()[0]
    return multiprocessing.get_context(method)


def is_dill_context(context: Any) -> bool:
    return type(context).__module__.startswith("multiprocess.")


def check_seed_args(seed: Any, scope: Any) -> SeedTree:
    """Validate ``scope`` and turn ``seed`` into the pool's root.

    ``seed=None`` under a process root (``seed_everything`` or ``SEEDPOOL_SEED``) gives
    the k-th pool created under that root ``root.child("pools", k)``, so a seeded script
    that never passes ``seed=`` is still reproducible; with no process root it draws
    fresh entropy.
    """
    if scope not in _SCOPES:
        raise ValueError(f"scope must be 'task' or 'worker' (got {scope!r})")
    if seed is None:
        root = pool_root()
        if root is not None:
            return root
    return SeedTree(seed)


def make_slots(context: Any, processes: int) -> Any:
    """Shared [pid * n, incarnation * n, call * n, index * n, queue state * n] array:
    workers claim a slot in it and say which task they hold and where they are in the
    pool's queues (see ``_worker.WorkerConfig``)."""
    slots = context.Array("q", QUEUE_ROWS * processes, lock=True)
    for k in range(2 * processes, 4 * processes):
        slots[k] = -1  # no task yet
    return slots


class KeyedTasks:
    """What Pool and ProcessPoolExecutor share: the call counter and the worker config.

    Expects ``root`` and ``scope`` to be set (validated) first.
    """

    root: SeedTree
    seed_tree = renamed_attribute("root")  # deprecated name of ``root``
    scope: str

    def _keyed_setup(self, num_workers: int, context: Any, initializer: Optional[Callable[..., Any]],
                     initargs: Iterable[Any], watched: bool = False) -> WorkerConfig:
        self._seedpool_dill = is_dill_context(context)
        self._init_calls()
        return WorkerConfig(self.root, self.scope, num_workers, make_slots(context, num_workers),
                            wrap_callable(initializer, self._seedpool_dill) if initializer else None,
                            tuple(initargs), watched)

    def _init_calls(self) -> None:
        """Start numbering calls at 0 (the thread pools call only this)."""
        self._calls = itertools.count()
        self._calls_lock = threading.Lock()

    def _next_call(self) -> int:
        with self._calls_lock:
            return next(self._calls)
