"""``seedpool.ThreadPool`` and ``seedpool.ThreadPoolExecutor``: thread pools keyed by task.

Data flow (one ``map`` call)::

    caller                                       pool thread (any of them)
    ------                                       -------------------------
    call = next(call counter)                    started with _initialize_thread:
    func -> ThreadTaskCall(func, call, mode)       claims a slot, marks itself a worker
    items numbered 0, 1, ... (the process          (per-thread state, see _context),
    pools' own wrapping, reused as is)             runs the initializer seeded from
    stdlib queues, threads, result handling        root.child("workers", slot, incarnation)
    (unchanged: multiprocessing.pool.ThreadPool  ThreadTaskCall((i, x)):
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
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor as _StdExecutor
from typing import Any, Callable, Optional

from .._compat import stdlib_pool
from .._derive.bulk import TaskPosition, node_words
from .._derive.keys import TASKS, WORKERS
from .._derive.tree import SeedLike, SeedTree
from .._state import context as _context
from .._state import scopes as _lazy
from .._state import strict as _strict
from .._task.task import ThreadTask, run_next
from .._task.worker import TaskCall, WorkerInfo
from .process_pool import KeyedTasks, Pool, check_seed_args

__all__ = ["ThreadPool", "ThreadPoolExecutor", "ThreadTaskCall"]

# The stdlib classes, bound now: ``seedpool run --pools`` later puts ours in their place
# in multiprocessing.pool / concurrent.futures.
_StdThreadPool = multiprocessing.pool.ThreadPool
# multiprocessing.pool.Pool itself, even once --pools has rebound that name.
_StdPool: Any = _StdThreadPool.__mro__[1]


class _ThreadConfig:
    """What a thread pool's threads share: the root, the initializer, the slot table,
    and whether a thread may keep its last task entered between the tasks of a chunk
    (``keep_open``: only where the pool's queues close it, see ``_ClosingQueue``)."""

    def __init__(self, root: SeedTree, num_workers: int, initializer: Optional[Callable[..., Any]],
                 initargs: tuple, keep_open: bool = False) -> None:
        self.root = root
        self.keep_open = keep_open
        self.tasks_root = root.child(TASKS)
        self.num_workers = num_workers
        self.initializer = initializer
        self.initargs = initargs
        self._lock = threading.Lock()
        self._holders: list = []      # the thread holding each slot
        self._incarnations: list = []  # how many threads held each slot before

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


class _ThreadWorker(TaskPosition):
    """One pool thread's state (kept in that thread's ``threading.local``): its slot,
    and the running task's position (words derived per thread: ranges are not shared)."""

    __slots__ = ("config", "index", "incarnation", "keep_open", "open_task")

    def __init__(self, config: _ThreadConfig, index: int, incarnation: int) -> None:
        super().__init__(config.tasks_root)
        self.config = config
        self.index = index
        self.incarnation = incarnation
        self.keep_open = config.keep_open
        # As in a process pool's worker: a ThreadPool thread keeps its last task entered
        # until it sends the chunk's result (_close_open_task); the next task of the
        # chunk re-arms it (Task.rearm) instead of leaving and entering.
        self.open_task: Optional[ThreadTask] = None

    def info(self) -> WorkerInfo:
        cfg = self.config
        if self.call is None:
            node = cfg.root.child(WORKERS, self.index, self.incarnation)
        else:
            node = self.task_node()
        return WorkerInfo(self.index, self.incarnation, cfg.num_workers, "task", self.call, self.task_index, node)


def _initialize_thread(config: _ThreadConfig) -> None:
    """Thread-pool initializer: claim a slot, then run the user's initializer seeded
    from ``root.child("workers", slot, incarnation)`` -- the words a process pool's
    worker is seeded with -- in a scope private to this thread."""
    index, incarnation = config.claim()
    _lazy.install()
    _context.set_thread_worker(_ThreadWorker(config, index, incarnation))
    if config.initializer is None:
        return
    node = config.root.child(WORKERS, index, incarnation)
    with ThreadTask(node_words(node), node):
        config.initializer(*config.initargs)


def _run_thread_task(func: Callable[..., Any], call: int, index: int, args: Any, kwargs: Any) -> Any:
    st = _context.local.state
    worker = st.worker
    if worker is None:  # not one of a seeded pool's threads
        return func(*args, **kwargs)
    task = worker.open_task
    worker.open_task = None  # while it runs, the task is nobody's to close
    # The position of an enclosing task (a task calling a ThreadTaskCall itself); a kept
    # task's position is not one -- no task runs between two items of a chunk.
    outer_call, outer_index = (worker.call, worker.task_index) if task is None else (None, None)
    worker.call = call
    worker.task_index = index
    kept = False
    try:
        # The thread's state is known: the task need not look it up again.
        result, task = run_next(task, ThreadTask, worker.words_fn, worker.node_fn, st, func, args, kwargs)
        # Kept entered for the chunk's next task unless this one ran inside another or
        # strict mode checks each task's end. A kept task keeps its position too: a draw
        # before the result is sent (a finaliser the collector runs here) reseeds from
        # the words of the item that just ran, as inside it.
        if worker.keep_open and outer_call is None and not _strict.active:
            worker.open_task = task
            kept = True
        else:
            task.__exit__(None, None, None)  # (strict mode's end-of-task check may raise)
        return result
    finally:
        if not kept:
            worker.call = outer_call
            worker.task_index = outer_index


def _close_open_task() -> None:
    """Leave the task this thread kept entered after its chunk's last item (no-op on
    any other thread, or while the task runs)."""
    worker = _context.local.state.worker
    if worker is not None:
        task = worker.open_task
        if task is not None:
            worker.open_task = None
            try:
                task.__exit__(None, None, None)
            finally:
                worker.call = worker.task_index = None


class _ClosingQueue(queue.SimpleQueue):
    """The result queue of a :class:`ThreadPool`: a worker thread sending a chunk's
    result has left its last task. Every task a thread runs is followed by this ``put``
    (the stdlib's worker loop), so no task stays entered while the thread waits for
    work -- nor after it retires (``maxtasksperchild``)."""

    def put(self, item: Any, block: bool = True, timeout: Optional[float] = None) -> None:
        _close_open_task()
        super().put(item, block, timeout)


class ThreadTaskCall(TaskCall):
    """:class:`seedpool._task.worker.TaskCall` run on a pool thread: same modes, per-thread seeding."""

    __slots__ = ()
    _run = staticmethod(_run_thread_task)


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
        self._pool: list[Any] = []
        self._state = multiprocessing.pool.INIT
        if processes is None:
            processes = os.cpu_count() or 1
        if processes < 1:
            raise ValueError("Number of processes must be at least 1")
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        self.root = check_seed_args(seed, "task")
        self.scope = "task"
        self._seedpool_dill = True  # nothing is pickled: callables are passed as they are
        self._seedpool_watch = _NoWatch()  # type: ignore[assignment]
        self._init_calls()
        config = _ThreadConfig(self.root, processes, initializer, tuple(initargs), keep_open=True)
        _lazy.install()  # before any thread runs, so installing races with nothing
        # What ThreadPool.__init__ does, but with the class bound at import: its own
        # call finds the module's Pool, which --pools replaces by seedpool.Pool.
        _StdPool.__init__(self, processes, _initialize_thread, (config,))

    def _setup_queues(self) -> None:
        # The stdlib ThreadPool's plain queues, not seedpool.Pool's watched process
        # queues; results go through a queue that closes the sending thread's open task.
        stdlib_pool.use_thread_queues(self, _ClosingQueue())

    def _task(self, func: Callable[..., Any], mode: str) -> TaskCall:
        return ThreadTaskCall(func, self._next_call(), mode)

    def __repr__(self) -> str:
        return (f"<seedpool.ThreadPool state={self._state} pool_size={len(self._pool)} "
                f"root={self.root!r}>")


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
        if max_workers is not None and max_workers <= 0:
            raise ValueError("max_workers must be greater than 0")
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        self.root = check_seed_args(seed, "task")
        self.scope = "task"
        self._init_calls()
        initargs = tuple(initargs)
        config = _ThreadConfig(self.root, 0, initializer, initargs)
        _lazy.install()
        super().__init__(max_workers, thread_name_prefix, _initialize_thread, (config,))
        config.num_workers = self._max_workers  # the stdlib's default when None; no thread yet

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        # The stdlib's map submits our own ThreadTaskCall item by item: already keyed.
        if type(fn) is not ThreadTaskCall:
            fn = ThreadTaskCall(fn, self._next_call(), "apply")
        return super().submit(fn, *args, **kwargs)

    submit.__doc__ = _StdExecutor.submit.__doc__

    def map(self, fn, *iterables, timeout=None, chunksize=1):  # type: ignore[override]
        task = ThreadTaskCall(fn, self._next_call(), "indexed")
        if not iterables:  # zip() of nothing is empty; zip(count()) would never end
            return super().map(task, timeout=timeout, chunksize=chunksize)
        # Prepend each item's position; the stdlib zips and submits as usual.
        return super().map(task, itertools.count(), *iterables, timeout=timeout, chunksize=chunksize)

    map.__doc__ = _StdExecutor.map.__doc__

    def __repr__(self) -> str:
        return f"<seedpool.ThreadPoolExecutor max_workers={self._max_workers} root={self.root!r}>"
