"""What every engine shares: argument checks as the stdlib makes them, defaults, the call counter.

Kept apart from the process pool so the executors, thread pools, Dask and Ray faces do not
import ``multiprocess`` (and with it dill, which holds ``__main__`` and breaks the stdlib
executor's exit-time cleanup) until a callable actually needs dill.
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
from .._derive.tree import SeedLike, SeedTree
from .._state.record import ENV_RECORD, check_target
from .._state.root import ENV_WORKERS, workers_from_env
from .._task.seed_arg import resolve_root
from .process_worker import WorkerConfig
from .slots import make_slots
from .transport import is_dill_context, wrap_callable

__all__ = ["ENV_WORKERS", "KeyedTasks", "check_chunksize", "check_count", "check_scope", "default_context",
           "default_processes", "default_threads"]

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


def default_threads(stdlib_default: Callable[[], int]) -> int:
    """Threads for a thread pool made with ``None``: ``SEEDPOOL_WORKERS`` if set (so
    ``seedpool check --vary-workers`` varies thread pools too), else the stdlib's own
    default (``stdlib_default()``)."""
    env = os.environ.get(ENV_WORKERS)
    if env:
        return workers_from_env(env)
    return stdlib_default()


def check_count(value: Any, less_than_one: str, op: str = "<") -> int:
    """A worker count as the stdlib checks it: the comparison first (its TypeError for a
    str), ``less_than_one`` as ValueError, then any integer (numpy's too) as ``int``;
    ``2.5`` raises the stdlib's own TypeError ("'float' object cannot be interpreted as
    an integer"), before anything starts."""
    if (value < 1) if op == "<" else (value <= 0):
        raise ValueError(less_than_one)
    return operator.index(value)


def check_chunksize(chunksize: Any, allow_none: bool) -> Any:
    """``chunksize`` as the stdlib's ``imap`` checks it (its message), for every method:
    the stdlib's ``map(chunksize=0)`` returns ``[None] * n`` and ``chunksize=1.5`` hangs."""
    if chunksize is None and allow_none:
        return None
    try:
        value = operator.index(chunksize)
    except TypeError:
        raise TypeError(f"chunksize must be a positive int{' or None' if allow_none else ''} "
                        f"(got {chunksize!r}, a {type(chunksize).__name__}): the number of items "
                        "sent to a worker at once") from None
    if value < 1:
        raise ValueError(f"Chunksize must be 1+, not {value:n}")
    return value


def check_scope(scope: Any) -> str:
    """``scope`` of a pool: ``"task"`` or ``"worker"``."""
    if scope not in _SCOPES:
        raise ValueError(f"scope must be 'task' or 'worker' (got {scope!r})")
    return scope  # type: ignore[no-any-return]


def default_context() -> Any:
    """The default start method's context, *without* fixing the global start method
    (``multiprocessing.get_context()`` with no argument would)."""
    methods = multiprocessing.get_all_start_methods()  # the platform's default first
    method = multiprocessing.get_start_method(allow_none=True)
    if method not in methods:
        # None, or a method multiprocessing does not know: a loky worker's global "loky"
        # (a pool made inside a joblib task must not start its workers through loky).
        method = methods[0]
    return multiprocessing.get_context(method)


class KeyedTasks:
    """What every engine with a ``seed`` shares: its root, the call counter, the worker config.

    An engine's ``__init__`` validates everything first, then calls :meth:`_set_root`
    (which numbers a ``seed=None`` engine: a refused constructor must take no number).
    """

    root: SeedTree
    seed_tree = renamed_attribute("root")  # deprecated name of ``root``
    scope: str = "task"

    def _set_root(self, seed: SeedLike, scope: str = "task") -> SeedTree:
        """Set ``root`` (:func:`seedpool._task.seed_arg.resolve_root`), ``scope`` and the
        call counter, once every other argument has been checked."""
        record = os.environ.get(ENV_RECORD)
        if record:
            # Workers append to it: an unwritable one would kill every worker at start,
            # with an error that names neither the variable nor the path.
            check_target(record, ENV_RECORD)
        self.scope = scope
        self.root = resolve_root(seed)
        self._calls = itertools.count()
        self._calls_lock = threading.Lock()
        return self.root

    def _keyed_setup(self, num_workers: int, context: Any, initializer: Optional[Callable[..., Any]],
                     initargs: Iterable[Any], watched: bool = False) -> WorkerConfig:
        """The config a process pool's workers start from (after :meth:`_set_root`)."""
        self._seedpool_dill = is_dill_context(context)
        return WorkerConfig(self.root, self.scope, num_workers, make_slots(context, num_workers),
                            wrap_callable(initializer, self._seedpool_dill) if initializer else None,
                            tuple(initargs), watched)

    def _init_calls(self) -> None:
        """Number this engine's calls from 0 again (the schedule fuzzer reuses engines)."""
        self._calls = itertools.count()

    def _next_call(self) -> int:
        with self._calls_lock:
            return next(self._calls)
