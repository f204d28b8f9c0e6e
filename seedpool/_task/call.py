"""Task-keyed calls for engines whose workers seedpool does not start (Dask, Ray).

A local pool's workers are seedpool's own: the initializer sets up per-worker state and
``_worker.TaskCall`` reads the task's words from it. A Dask worker or a Ray actor is
started by its engine, so the call carries what a task needs -- the ``tasks`` node of the
root, the call number and the item's position -- and runs under the package's one task
protocol (:class:`seedpool._task.task.Task`). The key layout is the pools'
(``root.child("tasks", call, index)``), so a task draws the same numbers on a laptop pool
and on a cluster.

Per item, a task costs what a local pool task costs: one ``Task`` entered and left, its
words from a :class:`~seedpool._derive.bulk.BlockWords` (a block of tasks derived at once), its
node built only if something asks for it. What comes per batch (Ray unpickles the call once per
batch, Dask may do so per task) is kept per thread across batches: the ``BlockWords`` of a
(root, call), found again by key, so the next batch of the same call does not derive its
block again.

This module imports no engine: ``seedpool.dask`` and ``seedpool.ray`` build on it.
"""

from __future__ import annotations

import functools
import operator
import threading
from typing import Any, Callable, Optional

from .._derive.bulk import BlockWords
from .._derive.keys import TASKS, WORKERS
from .._derive.tree import SeedTree, index_child
from .._state import scopes as _lazy
from .._state.backends import BACKENDS
from .task import Task

__all__ = ["BatchCall", "KeyedCall", "seed_worker", "record_node"]


def record_node(path: Optional[str], node: SeedTree, kind: str, worker: Optional[int] = None,
                task: Optional[int] = None) -> None:
    """Append ``node`` to the record at ``path`` (the client's ``SEEDPOOL_RECORD``).

    The path travels with the work, because a cluster worker's environment is its own;
    on a machine that does not share the client's filesystem the line lands in that
    machine's file of the same name.
    """
    if path:
        from .._state.record import _recorder

        _recorder(path).add(node, kind=kind, worker=worker, task=task)


def seed_worker(root: SeedTree, index: int, incarnation: int, record: Optional[str] = None) -> SeedTree:
    """Seed every backend in use from ``root.child("workers", index, incarnation)``.

    What a local pool worker does at start-up: the whole contract in worker scope, and a
    reproducible stream for the user's initializer in task scope.
    """
    node = root.child(WORKERS, index, incarnation)
    record_node(record, node, "worker", worker=index)
    for backend in BACKENDS.values():
        if backend.loaded():
            backend.seed(node)
    return node


_MAX_INDEX = 2**31  # SeedTree's int keys lie below this
_CACHE_SIZE = 16  # (root, call) pairs whose BlockWords a thread keeps


def _position(index: Any) -> int:
    """A task position given by a caller (``keyed()``), checked: an int in [0, 2**31)."""
    try:
        if isinstance(index, bool):
            raise TypeError
        i = operator.index(index)
    except TypeError:
        raise TypeError(f"a task's position must be an int in [0, 2**31) (got {index!r} of type "
                        f"{type(index).__name__})") from None
    if not 0 <= i < _MAX_INDEX:
        raise ValueError(f"a task's position must be an int in [0, 2**31) (got {index!r})")
    return i


class _Here(threading.local):
    """Per thread: the call last run, its BlockWords, and recent calls' BlockWords.

    Per thread, not per call object: an engine may hand one unpickled call to several
    task threads (a Dask worker with ``nthreads > 1``), and a ``BlockWords`` is not meant
    to be shared by threads. Holding the last call keeps it alive until the thread runs
    another one: the identity check below must never match a new object at a dead one's
    address.
    """

    block: BlockWords  # set together with call; read only when call is the one running

    def __init__(self) -> None:
        self.call: Optional[KeyedCall] = None
        self.blocks: dict[tuple[Any, ...], BlockWords] = {}


_here = _Here()


class KeyedCall:
    """The callable an engine runs instead of the user's: seeds the task, calls ``func``.

    ``mode`` says how arguments arrive: ``"indexed"`` -- ``(index, *args, **kwargs)``;
    ``"apply"`` -- ``(*args, **kwargs)`` with index 0. (:class:`BatchCall` counts
    positions instead.)

    Parameters
    ----------
    func : callable
        The user's callable.
    root : SeedTree
        The pool's or executor's root; the task is ``root.child("tasks", call, index)``.
    call : int
        The call number (from the owner's ``KeyedTasks`` counter).
    mode : str
        See above.
    record : str or None
        A seed-record path to append each task's node to.
    """

    __slots__ = ("func", "root", "call", "mode", "record")

    def __init__(self, func: Callable[..., Any], root: SeedTree, call: int, mode: str,
                 record: Optional[str] = None) -> None:
        self.func = func
        self.root = root
        self.call = call
        self.mode = mode
        self.record = record

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.mode == "indexed":
            return self._run(args[0], args[1:], kwargs)
        return self._run(0, args, kwargs)

    def node(self, index: int) -> SeedTree:
        """The node task ``index`` of this call is seeded from."""
        return self.root.child(TASKS, self.call, index)

    def _words(self) -> BlockWords:
        """This thread's ``BlockWords`` of ``root.child("tasks", call)`` (once per batch)."""
        here = _here
        key = (self.root.entropy, self.root.path, self.call)
        block = here.blocks.get(key)
        if block is None:
            # The first task of this call on this thread: the hooks go in now (idempotent;
            # a Ray actor or Dask worker installed them at start, a dask.delayed task on
            # another scheduler may not have).
            _lazy.install()
            if len(here.blocks) >= _CACHE_SIZE:
                here.blocks.clear()
            block = here.blocks[key] = BlockWords(self.root.child(TASKS, self.call))
        here.call, here.block = self, block
        return block

    def _run(self, index: int, args: Any, kwargs: Any) -> Any:
        here = _here
        block = here.block if here.call is self else self._words()
        if type(index) is not int or not 0 <= index < _MAX_INDEX:
            index = _position(index)  # not one enumerate() made: a keyed() caller's
        # The node is built only if asked for (the record, nested pools, seed_everything()).
        node = functools.partial(index_child, block.parent, index)
        if self.record:
            record_node(self.record, node(), "task", task=index)
        with Task(functools.partial(block.get, index), node):
            return self.func(*args, **kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.func, self.root, self.call, self.mode, self.record))


class BatchCall(KeyedCall):
    """A :class:`KeyedCall` for one batch of consecutive items, called with the items alone.

    An engine that runs a batch by calling the function once per item, in order (Ray's
    pool actor), needs no position with each item: the batch's copy knows its first
    position, ``start``, and counts. The owner keeps one ``BatchCall`` per call, as a
    template, and sends :meth:`batch` for each batch it submits, in submission order.
    Sending ``x`` instead of ``(i, x)`` saves a tuple per item in the driver, on the wire
    and in the worker -- more than the seeding costs.

    Parameters
    ----------
    func, root, call, record
        As for :class:`KeyedCall`.
    start : int
        The position of the first item this object runs (0 for the template).
    """

    __slots__ = ("next",)

    def __init__(self, func: Callable[..., Any], root: SeedTree, call: int, record: Optional[str] = None,
                 start: int = 0) -> None:
        super().__init__(func, root, call, "batch", record)
        self.next = start

    def batch(self, size: int) -> BatchCall:
        """The copy for the next ``size`` items (their positions are taken now)."""
        start = self.next
        self.next = start + size
        return BatchCall(self.func, self.root, self.call, self.record, start)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Counted before the call: an engine that records a failed item and goes on
        # (Ray's run_batch) gives the next item the next position.
        index = self.next
        self.next = index + 1
        return self._run(index, args, kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        return (BatchCall, (self.func, self.root, self.call, self.record, self.next))
