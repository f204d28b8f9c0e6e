"""The worker lifecycle: what every engine's worker does at its three fixed points.

Every engine -- a pool's worker process, a thread pool's thread, a Ray actor, a Dask or
loky worker's task thread, the caller itself (joblib's ``n_jobs=1``) -- runs keyed tasks
through one :class:`WorkerLifecycle`, at the points the engine's scheduler gives::

    engine                       WorkerLifecycle                      seedpool._task.task
    ------                       ---------------                      -------------------
    a worker starts      ---->   start(initializer, initargs)
                                   every loaded backend seeded once
                                   from root.child("workers", slot, incarnation);
                                   hooks in; the user's initializer
    a keyed task         ---->   run(root, call, index, func, ...)
                                   position -> words (a block of       ---->  Task entered,
                                   tasks derived at once, _derive.bulk)       or the kept one
                                   func(*args, **kwargs)                      re-armed
                                   keep the task entered (keep=True)
                                   or leave it
    a run of items ends  ---->   close(): leave the kept task

Workers an engine starts for seedpool (``start``) own their thread's generators: a
pool process's tasks reseed the process's own ``random`` / numpy lazily, a pool thread's
tasks its private spares. Workers seedpool finds (a loky or Dask worker, a Ray worker
running ``@seedpool.ray.remote`` tasks, the caller) are *adopted* per thread on their
first keyed task: they run every task in a restoring scope, so the process's own
streams are left exactly as the task found them -- the next plain task on that worker
draws what it would have drawn without seedpool.

Re-arming (one task entered across a run of items, re-armed per item) is an
optimisation inside :meth:`WorkerLifecycle.run`, for engines whose scheduler says where a
run ends: the process pool's and ``ThreadPool``'s queues (they call :func:`close_run`
before they send a result or wait for work), the executor's chunks and a Ray batch
(seedpool's own code runs the whole run).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .._derive.bulk import BlockWords, node_words
from .._derive.keys import TASKS, WORKERS
from .._derive.tree import SeedTree, index_child
from .._errors import WorkerLostError
from .._state import hooks, scopes
from .._state import strict as _strict
from .._state.backends import seed_loaded
from .._state.context import ThreadState, local, thread_state
from .._state.record import record_node
from .task import Task, ThreadTask

__all__ = [
    "WorkerInfo",
    "WorkerLifecycle",
    "adopt_process",
    "close_run",
    "current_worker",
    "worker_info",
]

_BLOCKS = 16  # (root, call) pairs whose words a worker keeps


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


class WorkerLifecycle:
    """One worker, as every engine drives it: :meth:`start`, :meth:`run`, :meth:`close`.

    Parameters
    ----------
    root : SeedTree or None
        The pool's root (keyed calls may carry their own; ``None`` for an adopted worker).
    slot, incarnation, num_workers : int, optional
        Where the worker sits in its pool (None: an adopted worker, which has no slot).
    scope : {"task", "worker"}
        Key streams by task, or only seed the worker once at :meth:`start`.
    private : bool
        The worker is a thread other than the process's main thread: its tasks draw from
        generators that thread owns, and the process-wide TensorFlow / torch generators
        are not its to seed.
    keep_runs : bool
        The engine's queues call :func:`close_run` when a run of items ends, so a task may
        stay entered from one item to the next.
    hold : callable, optional
        ``hold(call, index)`` before each task: the process pool writes the task a worker
        holds to shared memory, so the parent can name it if the worker dies.
    record : str, optional
        A seed-record path each task's node is appended to.
    contain_exits : bool
        A task that raises ``SystemExit`` or ``KeyboardInterrupt`` fails with
        :class:`seedpool.WorkerLostError` instead (``multiprocessing.pool.ThreadPool``
        lets them end the thread, and the call then waits forever for its result).
    """

    __slots__ = ("root", "slot", "incarnation", "num_workers", "scope", "private", "keep_runs", "hold",
                 "record", "contain_exits", "restore", "task_cls", "st", "kept", "running", "call", "index", "block",
                 "block_root", "block_call", "blocks", "words_fn", "node_fn")

    def __init__(self, root: Optional[SeedTree] = None, *, slot: Optional[int] = None, incarnation: int = 0,
                 num_workers: int = 0, scope: str = "task", private: bool = False, keep_runs: bool = False,
                 hold: Optional[Callable[[int, int], None]] = None, record: Optional[str] = None,
                 contain_exits: bool = False) -> None:
        self.root = root
        self.slot = slot
        self.incarnation = incarnation
        self.num_workers = num_workers
        self.scope = scope
        self.private = private
        self.keep_runs = keep_runs
        self.hold = hold
        self.record = record
        self.contain_exits = contain_exits
        # An adopted worker (no slot) does not own its process's generators: every task
        # draws from spares, and the process's own streams are left as they were.
        self.restore = slot is None
        self.task_cls: type[Task] = ThreadTask if private else Task
        self.st: Optional[ThreadState] = None
        self.kept: Optional[Task] = None  # the task left entered after a run's last item
        self.running = False
        # The running (or kept) task's position and the words of its call, a block of
        # tasks at a time; words_fn / node_fn read them when called (bound once).
        self.call: Optional[int] = None
        self.index: Optional[int] = None
        self.block: Optional[BlockWords] = None
        self.block_root: Optional[SeedTree] = None
        self.block_call: Optional[int] = None
        self.blocks: dict[tuple[Any, ...], BlockWords] = {}
        self.words_fn = self.words
        self.node_fn = self.node

    # -- start ------------------------------------------------------------------------------
    def start(self, initializer: Optional[Callable[..., Any]] = None, initargs: tuple[Any, ...] = ()) -> None:
        """The worker starts (on the thread that will run its tasks): seed every loaded
        backend from ``root.child("workers", slot, incarnation)`` -- in worker scope the
        whole contract, in task scope a reproducible stream for the user's initializer --
        install the hooks, then run ``initializer(*initargs)``."""
        assert self.root is not None and self.slot is not None
        node = self.root.child(WORKERS, self.slot, self.incarnation)
        if self.record:
            record_node(self.record, node, kind="worker", worker=self.slot)
        self._bind()
        if self.private:
            # A thread: the process-wide generators are other threads' too. Its own
            # generators are its tasks'; the initializer runs in a scope private to it.
            hooks.install()
            if initializer is not None:
                with ThreadTask(node_words(node), node):
                    initializer(*initargs)
            return
        seed_loaded(node)
        if self.scope == "task":
            hooks.install()
            scopes.tasks_own_process()  # this process's generators belong to its tasks
        if initializer is not None:
            initializer(*initargs)

    def _bind(self) -> ThreadState:
        st = self.st = thread_state()
        st.worker = self
        return st

    # -- run --------------------------------------------------------------------------------
    def words(self, backend: str) -> Any:
        """Words of the running task's ``node().child(backend)``."""
        return self.block.get(self.index, backend)  # type: ignore[arg-type,union-attr]

    def node(self) -> SeedTree:
        """The running task's node, ``root.child("tasks", call, index)``."""
        return index_child(self.block.parent, self.index)  # type: ignore[arg-type,union-attr]

    def _find_block(self, root: SeedTree, call: Optional[int]) -> BlockWords:
        """The words of ``root.child("tasks", call)`` (``call=None``: of ``root`` itself),
        kept for the next tasks of that call."""
        key = (root.entropy, root.path, call)
        block = self.blocks.get(key)
        if block is None:
            if len(self.blocks) >= _BLOCKS:
                self.blocks.clear()
            block = self.blocks[key] = BlockWords(root if call is None else root.child(TASKS, call))
        self.block, self.block_root, self.block_call = block, root, call
        return block

    def run(self, root: Optional[SeedTree], call: Optional[int], index: int, func: Callable[..., Any], args: Any,
            kwargs: Any, keep: bool = False, record: Optional[str] = None) -> Any:
        """Run ``func(*args, **kwargs)`` as task ``index`` of call ``call`` under ``root``
        (``None``: the worker's own), keyed ``root.child("tasks", call, index)`` -- or, with
        ``call=None``, ``root.child(index)`` (``root`` is then the parent of a submitter's
        keyed calls: ``seedpool.ray.remote``'s, ``seedpool.dask.delayed``'s).

        ``keep``: leave the task entered for the next item of the run (re-armed then), until
        :meth:`close`; the position stays with it, so a draw between two items (a finaliser
        the collector runs) reseeds from the item that just ran, as inside it.
        """
        if self.running:  # a keyed call made inside a running task: its own task, nested
            return self._run_nested(root, call, index, func, args, kwargs, record)
        if root is None:
            root = self.root
        if self.block_root is not root or self.block_call != call:
            self._find_block(root, call)  # type: ignore[arg-type]
        self.call = call
        self.index = index
        hold = self.hold
        if hold is not None and call is not None:
            hold(call, index)
        record = record or self.record
        if record:
            record_node(record, self.node(), kind="task", worker=self.slot, task=index)
        st = self.st
        if st is None:
            st = self._bind()
        task = self.kept
        self.kept = None  # while it runs, the task is nobody's to close
        if task is not None:
            try:
                rearmed = task.rearm(self.node_fn, func)
            except BaseException:  # seeding an eager backend failed: leave, as __enter__ does
                task.__exit__(BaseException, None, None)
                self.call = self.index = None
                raise
            if not rearmed:  # (strict mode on, an eager backend imported meanwhile...)
                task.__exit__(None, None, None)
                task = None
        if task is None:
            # func: strict mode reports an escaped draw at its definition.
            task = self.task_cls(self.words_fn, self.node_fn, self.restore, st, func)
            try:
                task.__enter__()  # (leaves again by itself if seeding an eager backend fails)
            except BaseException:
                self.call = self.index = None
                raise
        self.running = True
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            self.running = False
            task.__exit__(type(exc), exc, exc.__traceback__)
            self.call = self.index = None
            if self.contain_exits and not isinstance(exc, Exception):
                raise WorkerLostError(
                    f"task {index} of call {call} raised {exc!r}, which would end its thread and leave "
                    "the call waiting forever: the call fails with this error instead (raise an "
                    "Exception to fail a task)", worker=self.slot, call=call, task_index=index) from exc
            raise
        self.running = False
        if keep and not _strict.active:
            self.kept = task  # the next item re-arms it; close() leaves it
        else:
            try:
                task.__exit__(None, None, None)  # (strict mode's end-of-task check may raise)
            finally:
                self.call = self.index = None
        return result

    def _run_nested(self, root: Optional[SeedTree], call: Optional[int], index: int, func: Callable[..., Any], args: Any,
                    kwargs: Any, record: Optional[str]) -> Any:
        """A keyed call made inside this worker's running task (a task calling one itself):
        it runs as its own task, and the enclosing task's position comes back after."""
        saved = (self.call, self.index, self.block, self.block_root, self.block_call)
        self.running = False
        try:
            return self.run(root, call, index, func, args, kwargs, False, record)
        finally:
            self.call, self.index, self.block, self.block_root, self.block_call = saved
            self.running = True

    # -- close ------------------------------------------------------------------------------
    def close(self) -> None:
        """A run of items ended: leave the task the last item kept entered (no-op if none)."""
        task = self.kept
        if task is not None:
            self.kept = None
            try:
                task.__exit__(None, None, None)
            finally:
                self.call = self.index = None

    # -- what a task can ask ----------------------------------------------------------------
    def info(self) -> Optional[WorkerInfo]:
        """This worker's :class:`WorkerInfo` (None for an adopted worker: not a pool's)."""
        if self.slot is None or self.root is None:
            return None
        if self.call is None:
            node = self.root.child(WORKERS, self.slot, self.incarnation)
        else:
            node = self.node()
        return WorkerInfo(self.slot, self.incarnation, self.num_workers, self.scope, self.call, self.index, node)


# The lifecycle of the pool worker this *process* is (its main thread), for threads a task
# starts: worker_info() there reports the process's worker, as it always did.
_process_worker: Optional[WorkerLifecycle] = None


def current_worker() -> WorkerLifecycle:
    """The calling thread's worker: the lifecycle its engine started there, or one adopted
    now (a thread seedpool did not start: a loky, Dask or Ray worker's, or the caller's)."""
    worker = local.state.worker
    if worker is None:
        hooks.install()  # idempotent: a worker's first keyed task may arrive before any set-up
        worker = WorkerLifecycle()
        worker._bind()
    return worker  # type: ignore[no-any-return]


def set_process_worker(worker: WorkerLifecycle) -> None:
    """This process is ``worker``'s (a pool worker process, set at its start)."""
    global _process_worker
    _process_worker = worker


def close_run() -> None:
    """The engine's queues on this thread: the run of items ended (a result is being sent,
    or the worker asks for work). Leave the task the calling thread's worker kept."""
    worker = local.state.worker
    if worker is not None and worker.kept is not None:
        worker.close()


def adopt_process() -> None:
    """A worker process seedpool did not start (a Dask worker, at its plugin's set-up):
    the hooks go in before the first task, so draws the engine's own threads make while
    tasks run are routed from the start."""
    hooks.install()


def worker_info() -> Optional[WorkerInfo]:
    """Where the calling code runs: a :class:`WorkerInfo` inside a seedpool worker, else None.

    Examples
    --------
    >>> import seedpool
    >>> seedpool.worker_info() is None   # not in a worker
    True
    """
    worker = local.state.worker
    if worker is not None and worker.slot is not None:
        return worker.info()  # type: ignore[no-any-return]
    if _process_worker is not None:
        return _process_worker.info()
    return None


def _after_fork_in_child() -> None:
    # A child forked from a worker (a task calling os.fork, a nested pool) is not that
    # worker: its own pool, if any, makes it one again.
    global _process_worker
    _process_worker = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
