"""``seedpool.ThreadPool`` and ``seedpool.ThreadPoolExecutor``: thread pools keyed by task.

Data flow (one ``map`` call)::

    caller                                       pool thread (any of them)
    ------                                       -------------------------
    call = next(call counter)                    started with _initialize_thread:
    func -> KeyedItem(func, None, call)            claims a slot, starts its worker
    items numbered 0, 1, ... (the process          lifecycle (private to the thread),
    pools' own wrapping, reused as is)             runs the initializer seeded from
    stdlib queues, threads, result handling        root.child("workers", slot, incarnation)
    (unchanged: multiprocessing.pool.ThreadPool  KeyedItem((i, x)):
    / concurrent.futures.ThreadPoolExecutor)       opens a scope private to this thread;
                                                   first draw seeds the thread's own
                                                   generators from
                                                   root.child("tasks", call, i, <backend>)
                                                   func(x)

The key layout is the process pools': task ``i`` of call ``c`` under
``root.child("tasks", c, i)``, executor ``submit`` ``k`` under ``("tasks", k, 0)``. The
words seeding each backend are the same, so a thread task draws exactly what the same
task draws in :class:`seedpool.Pool` or :class:`seedpool.ProcessPoolExecutor`.

Routing is per thread (``seedpool._state.scopes``): while a task runs, its thread's draws through
``random``, ``np.random`` and ``seedpool.rng()`` go to generator objects that thread owns;
every other thread -- the main thread included -- keeps the process's own generators.

Threads started *inside* a task run outside any task (per-thread state is never
inherited, on GIL and free-threaded builds alike): they draw from the process's
generators. For reproducible draws there, open ``seedpool.task_scope`` in the thread
with a node derived from the task's, e.g. ``worker_info().node.child("thread", k)``.

TensorFlow's and torch's global generators are process-wide and cannot be routed per
thread: thread tasks leave them alone (use a ``torch.Generator`` seeded from the task's
node instead).
"""

from __future__ import annotations

import itertools
import multiprocessing.pool
import os
import queue
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from concurrent.futures import ThreadPoolExecutor as _StdExecutor
from typing import Any, Callable, Optional

from .._compat import stdlib_futures, stdlib_pool
from .._derive.tree import SeedLike, SeedTree
from .._state import hooks
from .._state.record import ENV_RECORD
from .._task.call import KeyedApply, KeyedCall
from .._task.worker import WorkerLifecycle, close_run
from .common import KeyedTasks, check_count, default_threads
from .process_pool import Pool

__all__ = ["ThreadPool", "ThreadPoolExecutor"]

# The stdlib classes, bound now: ``seedpool run --pools`` later puts ours in their place
# in multiprocessing.pool / concurrent.futures.
_StdThreadPool = multiprocessing.pool.ThreadPool
# multiprocessing.pool.Pool itself, even once --pools has rebound that name.
_StdPool: Any = _StdThreadPool.__mro__[1]


class _ThreadConfig:
    """What a thread pool's threads share: the root, the initializer, the slot table,
    and whether a thread may keep its last task entered between the tasks of a chunk
    (``keep_runs``: only where the pool's queues close it, see ``_ClosingQueue``)."""

    def __init__(self, root: SeedTree, num_workers: int, initializer: Optional[Callable[..., Any]],
                 initargs: tuple[Any, ...], keep_runs: bool = False, contain_exits: bool = False) -> None:
        self.root = root
        self.keep_runs = keep_runs
        self.contain_exits = contain_exits
        self.num_workers = num_workers
        self.initializer = initializer
        self.initargs = initargs
        self.record = os.environ.get(ENV_RECORD) or None
        self._lock = threading.Lock()
        self._holders: list[Any] = []  # the thread holding each slot
        self._incarnations: list[int] = []  # how many threads held each slot before

    def claim(self) -> tuple[int, int]:
        """Take the lowest slot whose holder is gone; returns (slot, incarnation)."""
        me = threading.current_thread()
        with self._lock:
            for slot, holder in enumerate(self._holders):  # noqa: B007  (slot is used after the loop)
                if not holder.is_alive():
                    break
            else:
                slot = len(self._holders)
                self._holders.append(None)
                self._incarnations.append(0)
            self._holders[slot] = me
            incarnation = self._incarnations[slot]
            self._incarnations[slot] = incarnation + 1
            return slot, incarnation


def _initialize_thread(config: _ThreadConfig) -> None:
    """Thread-pool initializer: claim a slot, then start the thread's worker lifecycle --
    private to this thread -- whose user initializer runs seeded from
    ``root.child("workers", slot, incarnation)``, the words a process pool's worker is
    seeded with."""
    slot, incarnation = config.claim()
    worker = WorkerLifecycle(config.root, slot=slot, incarnation=incarnation, num_workers=config.num_workers,
                             private=True, keep_runs=config.keep_runs, record=config.record,
                             contain_exits=config.contain_exits)
    worker.start(config.initializer, config.initargs)


class _ClosingQueue(queue.SimpleQueue):  # type: ignore[type-arg]  # (generic only in the stubs)
    """The result queue of a :class:`ThreadPool`: a worker thread sending a chunk's
    result has left its last task. Every task a thread runs is followed by this ``put``
    (the stdlib's worker loop), so no task stays entered while the thread waits for
    work -- nor after it retires (``maxtasksperchild``)."""

    def put(self, item: Any, block: bool = True, timeout: Optional[float] = None) -> None:
        close_run()
        super().put(item, block, timeout)


class _NoWatch:
    """Threads cannot die unseen the way worker processes can: nothing to watch."""

    broken = None

    def track(self, *args: Any) -> None:
        pass

    def scan(self) -> None:
        pass

    def fail_pending(self, error: BaseException) -> None:
        pass

    def stop(self) -> None:
        pass


class ThreadPool(Pool, _StdThreadPool):
    """ThreadPool(processes=None, initializer=None, initargs=(), *, seed=None)

    A drop-in ``multiprocessing.pool.ThreadPool`` (and ``multiprocessing.dummy.Pool``)
    whose random results do not depend on scheduling.

    Every task runs with Python's ``random``, numpy's global state and
    :func:`seedpool.rng` seeded from ``root.child("tasks", call, index)`` -- the
    keys :class:`seedpool.Pool` uses, so both return the same results for the same
    seed -- through generators private to the task's thread: other threads, the main
    thread included, keep the process's own streams. Results are the same for any
    number of threads, and run after run.

    Parameters
    ----------
    processes, initializer, initargs
        As for ``multiprocessing.pool.ThreadPool``. The initializer runs in each thread
        seeded from ``root.child("workers", slot, incarnation)``.
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        The root, as for :class:`seedpool.Pool` (``None``: the process root's
        ``child("pools", k)`` if one was set, else fresh entropy).

    Attributes
    ----------
    root : SeedTree
        The root all streams of this pool derive from.

    Notes
    -----
    TensorFlow's and torch's global generators are process-wide: thread tasks do not
    seed them. Threads a task starts draw from the process's generators unless they open
    their own ``seedpool.task_scope``.
    """

    def __init__(self, processes: Optional[int] = None, initializer: Optional[Callable[..., Any]] = None,
                 initargs: Iterable[Any] = (), *, seed: SeedLike = None) -> None:
        # As the stdlib does first: __del__ reads these even if __init__ raises below.
        stdlib_pool.init_before_checks(self)
        if processes is None:
            processes = default_threads(lambda: os.cpu_count() or 1)
        processes = check_count(processes, "Number of processes must be at least 1")
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        self._set_root(seed)
        self._seedpool_dill = True  # nothing is pickled: callables are passed as they are
        self._seedpool_watch = _NoWatch()  # type: ignore[assignment]
        # Its threads keep a task across a chunk (its queues close it), and a task's
        # SystemExit / KeyboardInterrupt fails its call instead of ending the thread.
        config = _ThreadConfig(self.root, processes, initializer, tuple(initargs), keep_runs=True,
                               contain_exits=True)
        hooks.install()  # before any thread runs, so installing races with nothing
        # What ThreadPool.__init__ does, but with the class bound at import: its own
        # call finds the module's Pool, which --pools replaces by seedpool.Pool.
        _StdPool.__init__(self, processes, _initialize_thread, (config,))

    def _setup_queues(self) -> None:
        # The stdlib ThreadPool's plain queues, not seedpool.Pool's watched process
        # queues; results go through a queue that closes the sending thread's open task.
        stdlib_pool.use_thread_queues(self, _ClosingQueue())

    def __repr__(self) -> str:
        state, size = stdlib_pool.state_and_size(self)
        return f"<seedpool.ThreadPool state={state} pool_size={size} root={self.root!r}>"


class ThreadPoolExecutor(KeyedTasks, _StdExecutor):
    """ThreadPoolExecutor(max_workers=None, thread_name_prefix='', initializer=None, initargs=(), *, seed=None)

    A drop-in ``concurrent.futures.ThreadPoolExecutor`` with task-keyed seeding.

    ``map`` keys item ``i`` as ``root.child("tasks", call, i)``; ``submit`` keys
    the k-th submission as ``root.child("tasks", k, 0)`` (``map`` and ``submit``
    share the call counter) -- the layout of :class:`seedpool.ProcessPoolExecutor`, so
    both return the same results for the same seed and order of calls, whatever
    ``max_workers`` is. Each task draws from generators private to its thread; other
    threads keep the process's own streams.

    Parameters
    ----------
    max_workers, thread_name_prefix, initializer, initargs
        As for ``concurrent.futures.ThreadPoolExecutor``. The initializer runs in each
        thread seeded from ``root.child("workers", slot, incarnation)``.
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        The root, as for :class:`seedpool.Pool`.

    Notes
    -----
    TensorFlow's and torch's global generators are process-wide: thread tasks do not
    seed them.
    """

    def __init__(self, max_workers: Optional[int] = None, thread_name_prefix: str = "",
                 initializer: Optional[Callable[..., Any]] = None, initargs: Iterable[Any] = (),
                 *, seed: SeedLike = None) -> None:
        if max_workers is None:
            max_workers = default_threads(lambda: None)  # type: ignore[arg-type,return-value]  # None: the stdlib's
        elif max_workers <= 0:
            raise ValueError("max_workers must be greater than 0")
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        initargs = tuple(initargs)
        self._set_root(seed)
        config = _ThreadConfig(self.root, 0, initializer, initargs)
        hooks.install()
        super().__init__(max_workers, thread_name_prefix, _initialize_thread, (config,))
        config.num_workers = stdlib_futures.max_workers(self)  # the stdlib's default when None; no thread yet

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        # The stdlib's map submits our own KeyedCall item by item: already keyed.
        if type(fn) is not KeyedCall:
            fn = KeyedApply(fn, None, self._next_call())
        return super().submit(fn, *args, **kwargs)

    submit.__doc__ = _StdExecutor.submit.__doc__

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any], timeout: Optional[float] = None,
            chunksize: int = 1) -> Iterator[Any]:
        task = KeyedCall(fn, None, self._next_call())
        if not iterables:  # zip() of nothing is empty; zip(count()) would never end
            return super().map(task, timeout=timeout, chunksize=chunksize)
        # Prepend each item's position; the stdlib zips and submits as usual.
        return super().map(task, itertools.count(), *iterables, timeout=timeout, chunksize=chunksize)

    map.__doc__ = _StdExecutor.map.__doc__

    def __repr__(self) -> str:
        return f"<seedpool.ThreadPoolExecutor max_workers={stdlib_futures.max_workers(self)} root={self.root!r}>"
