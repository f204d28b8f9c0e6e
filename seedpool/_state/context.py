"""Which numpy Generator ``seedpool.rng()`` returns: the task's, or the process's.

A pool worker installs a *task provider* for the duration of each task, per thread (a
thread pool runs several tasks at once); outside tasks the process-wide Generator
(seeded by ``seed_everything``) is used. A thread may also carry a *thread worker*, what
``seedpool.worker_info()`` reports inside a thread pool's task.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Callable, Optional, Protocol

import numpy as np

from .._derive.keys import RNG
from .._derive.tree import SeedTree
from .root import current_root

__all__ = ["running_task", "RunningTask", "rng", "set_global_rng", "set_current_rng", "global_rng", "set_task_provider", "task_provider",
           "set_thread_worker", "thread_worker", "ThreadState", "thread_state", "local"]


class RunningTask(Protocol):
    """What this floor needs of the task running on a thread (``seedpool._task.Task``,
    one floor up, installs itself as the thread's provider): ``rng()``'s Generator, its
    node, and its counter of nested pools."""

    generator: Optional[np.random.Generator]

    def __call__(self) -> np.random.Generator: ...

    def node(self) -> Optional[SeedTree]: ...

    def restart_pools(self) -> None: ...


def running_task() -> Optional[RunningTask]:
    """The task running on this thread (its ``rng()`` provider), or None."""
    return local.state.provider  # type: ignore[no-any-return,return-value]


class ThreadState:
    """One thread's seedpool state: its innermost task scope (``seedpool._state.scopes``), the
    provider of ``rng()``, its thread-pool worker, and its spare generators.

    Reached through one ``threading.local`` lookup (:data:`local`), then plain slots: a
    task's begin and end pay for one thread-local lookup each, not one per field.
    """

    __slots__ = ("own", "scope", "provider", "worker", "py_spares", "np_spares", "scratch", "off_main",
                 "free_scope", "own_scope")

    def __init__(self, own: bool, off_main: bool) -> None:
        self.own = own  # False only for the shared, never-written default below
        self.scope: Any = None
        # Set by the worker machinery while a task runs: returns that task's Generator.
        self.provider: Optional[Callable[[], np.random.Generator]] = None
        # Set in a thread pool's worker thread: an object with ``info() -> WorkerInfo``.
        self.worker: Any = None
        # The thread's last ended spare-routed scope, reused with its spare generators
        # by the next one (see _lazy.end).
        self.free_scope: Any = None
        # Likewise the last ended scope on the process's own generators (a pool worker's
        # task): reused by the next one.
        self.own_scope: Any = None
        # Free spare generators (scopes nest, so more than one may be out) and the
        # scratch pair of this thread.
        self.py_spares: list = []
        self.np_spares: list = []
        self.scratch: Optional[tuple] = None
        # The process's own generators belong to the main thread: scopes opened
        # elsewhere are private to their thread (after a fork, the forking thread is the
        # child's main thread: seedpool._state.scopes resets this there).
        self.off_main = off_main


# What every thread reads until it writes something: no scope, no provider. Never
# written to (writers go through thread_state()).
_NOBODY = ThreadState(own=False, off_main=True)


class _Local(threading.local):
    # A class attribute is every thread's default; a thread's own value shadows it.
    # threading.local, not a ContextVar: no thread inherits another's state, on GIL and
    # free-threaded builds alike (3.14t copies the context into new threads).
    state: ThreadState = _NOBODY
    # Not per thread (a class attribute): guards creating the process's Generator.
    global_lock = threading.Lock()

    def __reduce__(self) -> tuple[Any, ...]:
        # dill pickles an editable checkout's modules by value: unpickle as the
        # unpickling process's own object, never as a copy (see _lazy._ProcessState).
        return (_live_local, ())


local = _Local()
_global_rng: Optional[np.random.Generator] = None


def _live_local() -> _Local:
    return local


def thread_state() -> ThreadState:
    """This thread's own state, created on first use (for writers)."""
    state = local.state
    if not state.own:
        state = local.state = ThreadState(True, threading.current_thread() is not threading.main_thread())
    return state


def rng() -> np.random.Generator:
    """The ``numpy.random.Generator`` for the current context.

    Inside a task of a seedpool pool it is the task's own Generator (seeded from the
    task's node, created on first use). Elsewhere it is the process's Generator, seeded
    by :func:`seed_everything`; before any seeding it is seeded from ``SEEDPOOL_SEED``
    if set, fresh entropy otherwise.

    Returns
    -------
    numpy.random.Generator
    """
    provider = local.state.provider
    if provider is not None:
        return provider()
    return global_rng()


def global_rng() -> np.random.Generator:
    """The process-wide Generator (created from the default tree on first use)."""
    global _global_rng
    generator = _global_rng
    if generator is None:
        with _Local.global_lock:  # two threads' first calls must agree on one Generator
            if _global_rng is None:
                # From the process root if one was set; otherwise fresh entropy, without
                # recording a root (that would silently change what Pool(seed=None) does).
                _global_rng = (current_root() or SeedTree()).child(RNG).generator()
            generator = _global_rng
    return generator


def set_global_rng(generator: Optional[np.random.Generator]) -> None:
    global _global_rng
    _global_rng = generator


def set_current_rng(generator: np.random.Generator) -> None:
    """Make ``generator`` what ``rng()`` returns in the current context: the running
    task's (so ``seed_everything`` / ``isolate`` inside a task reach it), else the
    process's."""
    provider = local.state.provider
    if provider is not None:
        provider.generator = generator  # type: ignore[attr-defined]
    else:
        set_global_rng(generator)


def task_provider() -> Optional[Callable[[], np.random.Generator]]:
    """This thread's running task's provider (a ``seedpool._task.task.Task``), or None."""
    return local.state.provider  # type: ignore[no-any-return]


def set_task_provider(provider: Optional[Callable[[], np.random.Generator]]) -> Any:
    """Install ``provider`` for ``rng()`` on this thread; returns the previous one."""
    state = local.state
    if not state.own:
        state = thread_state()
    previous = state.provider
    state.provider = provider
    return previous


def set_thread_worker(worker: Any) -> None:
    """Mark this thread as a thread pool's worker (``worker.info()`` answers
    ``worker_info()``), or unmark it with None."""
    thread_state().worker = worker


def thread_worker() -> Any:
    """This thread's thread-pool worker, or None."""
    return local.state.worker


def _after_fork_in_child() -> None:
    # A parent thread may have held the lock at fork time (making the process Generator).
    _Local.global_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
