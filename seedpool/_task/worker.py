"""Worker side of the pools: start-up, the picklable task wrapper, ``worker_info()``.

Key layout under a pool's root (part of the derivation scheme)::

    root.child("tasks", call, index)           a task: the call's number on this pool,
                                               the task's position in that call
    root.child("workers", slot, incarnation)   a worker: its slot 0..processes-1 and how
                                               many workers held that slot before it
    <node>.child(backend)                      each backend's own stream under a node

A worker learns its slot by claiming a free one in a small shared array at start-up
(every worker receives the same ``initargs``, so nothing else could tell them apart).
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
import types
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

from .._derive.bulk import TaskPosition
from .._derive.keys import TASKS, WORKERS
from .._derive.tree import SeedTree
from .._state import context as _context
from .._state import scopes as _lazy
from .._state import strict as _strict
from .._state.backends import BACKENDS
from .._state.record import record_consumer
from .task import Task, run_next

__all__ = ["WorkerConfig", "WorkerInfo", "TaskCall", "worker_info", "initialize_worker", "wrap_callable"]

_CLAIM_TIMEOUT = 60.0
# The shared slot array has five rows of n (see WorkerConfig); the last one says where a
# worker is: running its start-up, or inside the pool's queues (the values of
# _compat.stdlib_pool: waiting for / receiving / unpickling a task, sending a result).
QUEUE_ROWS = 5
NO_TASK = -1
IDLE, STARTING = 0, 5


@dataclass(frozen=True)
class WorkerInfo:
    """What a task can learn about where it runs (see :func:`seedpool.worker_info`).

    Attributes
    ----------
    index : int
        The worker's slot, 0..num_workers-1, unique among live workers.
    incarnation : int
        How many workers held this slot before (respawns after ``maxtasksperchild`` or
        a crash); part of the worker's key so no stream is reused.
    num_workers : int
        The pool's number of processes.
    scope : str
        ``"task"`` or ``"worker"``.
    call : int or None
        The running task's call number on the pool (None in worker scope).
    task_index : int or None
        The running task's index within its call (None in worker scope).
    node : SeedTree
        The node the running task (task scope) or the worker (worker scope) is seeded
        from.
    """

    index: int
    incarnation: int
    num_workers: int
    scope: str
    call: Optional[int]
    task_index: Optional[int]
    node: SeedTree


class WorkerConfig:
    """Everything a worker needs, sent once through the pool's initializer."""

    def __init__(self, root: SeedTree, scope: str, num_workers: int, slots: Any,
                 initializer: Optional[Callable[..., Any]], initargs: tuple, watched: bool = False) -> None:
        self.root = root
        self.scope = scope
        self.num_workers = num_workers
        # Shared int64 array, five rows of n: pid, incarnation, the (call, index) of the
        # task each slot holds (-1: none) and its queue state -- read by the parent when
        # a worker dies.
        self.slots = slots
        self.initializer = initializer
        self.initargs = initargs
        # seedpool.Pool: its queues report where each worker is, and its watch reads it.
        self.watched = watched


class _WorkerState(TaskPosition):
    """A pool worker process's state: its slot, and the running task's position."""

    __slots__ = ("config", "index", "incarnation", "record", "marker", "at_call", "at_index", "queue_at",
                 "task_scope", "open_task")

    def __init__(self, config: WorkerConfig, index: int, incarnation: int) -> None:
        super().__init__(config.root.child(TASKS))
        self.config = config
        self.index = index
        self.incarnation = incarnation
        # Read once: per-task records are opt-in (SEEDPOOL_RECORD) and cost a write each.
        self.record = bool(os.environ.get("SEEDPOOL_RECORD"))
        n = config.num_workers
        # The raw shared array, no lock per task; through a memoryview, whose item
        # stores cost half a ctypes array's (three per task).
        self.marker = memoryview(config.slots.get_obj()).cast("B").cast("q")
        self.at_call, self.at_index, self.queue_at = 2 * n + index, 3 * n + index, 4 * n + index
        self.task_scope = config.scope == "task"
        # A watched pool's worker keeps its last task entered until the worker goes back
        # to its queues (close_open_task): the next task of the chunk re-arms it
        # (Task.rearm) instead of leaving and entering -- the per-task protocol's cost,
        # paid once per chunk. Other workers (the executor's) leave every task.
        self.open_task: Optional[Task] = None


_state: Optional[_WorkerState] = None


def _claim_slot(config: WorkerConfig) -> tuple[int, int]:
    """Take a free slot (pid 0) and bump its incarnation.

    A slot is freed by its holder on a normal exit (``_release_slot``) or, after an
    abnormal death, by the parent's worker watch once it has read which task the dead
    worker held -- so a replacement may wait here for a moment.
    """
    n = config.num_workers
    me = os.getpid()
    deadline = time.monotonic() + _CLAIM_TIMEOUT
    while True:
        with config.slots.get_lock():
            values = config.slots.get_obj()
            for slot in range(n):
                if values[slot] == 0:
                    values[slot] = me
                    incarnation = values[n + slot]
                    values[n + slot] = incarnation + 1
                    values[2 * n + slot] = values[3 * n + slot] = NO_TASK
                    values[4 * n + slot] = STARTING  # a death before start-up ends is no retirement
                    return slot, incarnation
        if time.monotonic() > deadline:
            raise RuntimeError(f"seedpool: no free worker slot among {n} after {_CLAIM_TIMEOUT} s (pid {me})")
        time.sleep(0.01)


def _release_slot(slots: Any, slot: int, pid: int, watched: bool = False) -> None:
    """Free the slot on the way out.

    In a watched pool (``seedpool.Pool``), only from a clean state: a worker that holds a
    task (``sys.exit`` or ``KeyboardInterrupt`` in it), never finished starting (its
    initializer raised) or is inside a queue keeps its slot claimed, and the parent's
    watch reports the death.
    """
    with slots.get_lock():
        values = slots.get_obj()
        n = len(values) // QUEUE_ROWS
        if values[slot] != pid:
            return
        if watched and (values[2 * n + slot] != NO_TASK or values[4 * n + slot] != IDLE):
            return
        values[slot] = 0


def close_open_task() -> None:
    """Leave the task a watched worker kept entered after its chunk's last item: called
    by the pool's queues when the worker sends a result or asks for work, so nothing
    between chunks runs inside a task."""
    state = _state
    if state is not None:
        task = state.open_task
        # Only the thread that runs the tasks: a nested pool's handler threads in this
        # worker use these queues too.
        if task is not None and task._st is _context.local.state:
            state.open_task = None
            try:
                task.__exit__(None, None, None)
            finally:
                state.call = state.task_index = None


def queue_state(value: int) -> None:
    """Say where this worker is in the pool's queues (no-op outside a worker)."""
    state = _state
    if state is not None:
        state.marker[state.queue_at] = value


def result_sent() -> None:
    """The worker's last result is in the pipe: it holds no task any more."""
    state = _state
    if state is not None:
        state.marker[state.at_call] = NO_TASK
        state.marker[state.queue_at] = IDLE


def _reinit_inherited_locks() -> None:
    # A forked worker inherits numpy's global RandomState lock as it was at fork time:
    # held, if another parent thread was drawing, by a thread that does not exist here,
    # so seeding it would wait forever. Alone in this process, nothing else can hold it.
    if threading.active_count() == 1 and "numpy" in sys.modules:
        from .._compat.stdlib_pool import reinit_held_lock

        bitgen = getattr(np.random.mtrand._rand, "_bit_generator", None)  # numpy >= 1.17
        if bitgen is not None:
            reinit_held_lock(bitgen.lock)


def _release_on_normal_exit(config: WorkerConfig, slot: int) -> None:
    # A worker process ends through its library's util._exit_function (never atexit):
    # register with whichever of multiprocessing / multiprocess started us.
    for name in ("multiprocessing.util", "multiprocess.util"):
        util = sys.modules.get(name)
        if util is not None:
            util.Finalize(None, _release_slot, args=(config.slots, slot, os.getpid(), config.watched),
                          exitpriority=100)


def initialize_worker(config: WorkerConfig) -> None:
    """Pool initializer: claim a slot, seed from the worker's node, run the user's one."""
    global _state
    _reinit_inherited_locks()
    index, incarnation = _claim_slot(config)
    _release_on_normal_exit(config, index)
    _state = _WorkerState(config, index, incarnation)
    worker_node = config.root.child(WORKERS, index, incarnation)
    if os.environ.get("SEEDPOOL_RECORD"):
        record_consumer(worker_node, kind="worker", worker=index)
    # Seed every backend in use from the worker's node: in worker scope that is the
    # whole contract; in task scope it makes the user's initializer reproducible.
    for backend in BACKENDS.values():
        if backend.loaded():
            backend.seed(worker_node)
    if config.scope == "task":
        _lazy.install()
        _lazy.tasks_own_process()
    if config.initializer is not None:
        config.initializer(*config.initargs)
    queue_state(IDLE)  # started: from now on a clean exit is a retirement


def worker_info() -> Optional[WorkerInfo]:
    """Where the calling code runs: a :class:`WorkerInfo` inside a seedpool worker, else None.

    Examples
    --------
    >>> import seedpool
    >>> seedpool.worker_info() is None   # not in a worker
    True
    """
    thread = _context.thread_worker()
    if thread is not None:  # a thread pool's worker thread (see seedpool._engines.threads)
        return thread.info()  # type: ignore[no-any-return]
    state = _state
    if state is None:
        return None
    cfg = state.config
    if state.call is None:
        node = cfg.root.child(WORKERS, state.index, state.incarnation)
    else:
        node = state.task_node()
    return WorkerInfo(state.index, state.incarnation, cfg.num_workers, cfg.scope,
                      state.call, state.task_index, node)


def _run_task(func: Callable[..., Any], call: int, index: int, args: Any, kwargs: Any) -> Any:
    state = _state
    if state is None:
        return func(*args, **kwargs)
    # Say which task this worker holds, so the parent can name it if we die.
    marker = state.marker
    marker[state.at_call] = call
    marker[state.at_index] = index
    marker[state.queue_at] = IDLE  # received; held until its result is sent (result_sent)
    if not state.task_scope:
        return func(*args, **kwargs)
    state.call = call
    state.task_index = index
    if state.record:
        record_consumer(state.task_node(), kind="task", worker=state.index, task=index)
    kept = False
    try:
        task = state.open_task
        state.open_task = None  # while it runs, the task is nobody's to close
        result, task = run_next(task, Task, state.words_fn, state.node_fn, None, func, args, kwargs)
        if state.config.watched and not _strict.active:
            # The next item re-arms it; the queues close it. Its position stays until
            # then: a draw before the result is sent (a finaliser the collector runs
            # here) reseeds from the words of the item that just ran, as inside it.
            state.open_task = task
            kept = True
        else:
            task.__exit__(None, None, None)  # (strict mode's end-of-task check may raise)
        return result
    finally:
        if not kept:
            state.call = state.task_index = None


class TaskCall:
    """The callable a pool sends instead of the user's: seeds, then calls ``func``.

    ``mode`` says how arguments arrive: ``"item"`` -- ``(index, x)`` from ``map``/``imap``;
    ``"star"`` -- ``(index, args)`` from ``starmap``; ``"chunk"`` -- a list of
    ``(index, x)`` from a chunked ``imap``; ``"indexed"`` -- ``(index, *args)``
    from the executor's ``map``; ``"apply"`` -- ``(*args, **kwargs)`` with index 0.
    """

    __slots__ = ("func", "call", "mode")
    # Runs one task (seeding around it): a process worker's; the thread pools' subclass
    # swaps in the per-thread one.
    _run = staticmethod(_run_task)

    def __init__(self, func: Callable[..., Any], call: int, mode: str) -> None:
        self.func = func
        self.call = call
        self.mode = mode

    def __call__(self, /, *args: Any, **kwargs: Any) -> Any:  # "self" may be a task's keyword
        mode = self.mode
        run = self._run
        if mode == "item":
            index, x = args[0]
            return run(self.func, self.call, index, (x,), {})
        if mode == "star":
            index, xs = args[0]
            return run(self.func, self.call, index, xs, {})
        if mode == "chunk":
            func, call = self.func, self.call
            return [run(func, call, index, (x,), {}) for index, x in args[0]]
        if mode == "indexed":
            return run(self.func, self.call, args[0], args[1:], kwargs)
        return run(self.func, self.call, 0, args, kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        return (TaskCall, (self.func, self.call, self.mode))


class _DillCallable:
    """A callable the standard pickler cannot send by reference (lambda, closure, local
    function or class), carried as dill bytes.

    Only such callables pay for dill; everything else keeps the standard pickler's
    speed. The bytes are made when the task is sent (once, then reused by every chunk),
    so a callable dill cannot pickle either fails that task's result or future, as the
    stdlib's pickling error would, instead of the submitting call. It unpickles to the
    function itself (cached by its bytes in each worker), so the worker calls the
    user's function with no wrapper in between.
    """

    __slots__ = ("func", "payload")

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        self.payload: Optional[bytes] = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:  # only if called in the parent
        return self.func(*args, **kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        if self.payload is None:
            import dill

            self.payload = dill.dumps(self.func, recurse=True)
        return (_load_dill, (self.payload,))


# The last few loaded callables: one map sends the same payload with every chunk, but a
# long-lived worker sees a new closure per call and must not keep them all.
_dill_loaded: OrderedDict[bytes, Callable[..., Any]] = OrderedDict()
_DILL_CACHE = 8


def _load_dill(payload: bytes) -> Callable[..., Any]:
    func = _dill_loaded.get(payload)
    if func is None:
        import dill

        func = _dill_loaded[payload] = dill.loads(payload)
        if len(_dill_loaded) > _DILL_CACHE:
            _dill_loaded.popitem(last=False)
    else:
        _dill_loaded.move_to_end(payload)
    return func


def wrap_callable(func: Callable[..., Any], uses_dill: bool) -> Callable[..., Any]:
    """Return ``func`` itself if the transport can send it as the stdlib would, else a
    dill carrier. Decided without pickling anything (the stdlib pickles ``func`` once,
    when it sends the task; so does this): a function, class or method's function goes
    by reference when its module attribute is that very object, a ``partial`` as its
    function does, a callable instance as its class does."""
    if uses_dill or _by_reference(func):
        return func  # the context's own pickler is dill already, or pickle sends it
    return _DillCallable(func)


def _by_reference(obj: Any) -> bool:
    if isinstance(obj, functools.partial):
        return _by_reference(obj.func)
    if isinstance(obj, types.MethodType):
        # Pickled as getattr(__self__, name): a class goes by reference, an instance by
        # value through its class.
        owner = obj.__self__
        return _by_reference(owner if isinstance(owner, type) else type(owner))
    if isinstance(obj, (types.BuiltinFunctionType, types.BuiltinMethodType)):
        return True
    if not isinstance(obj, (types.FunctionType, type)):
        obj = type(obj)
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    name = getattr(obj, "__qualname__", "")
    if module is None or "<" in name:  # <lambda>, <locals>
        return False
    target: Any = module
    for part in name.split("."):
        target = getattr(target, part, None)
    return target is obj
