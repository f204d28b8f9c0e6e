"""Task-keyed calls for engines whose workers seedpool does not start (Dask, Ray).

A local pool's workers are seedpool's own: the initializer sets up per-worker state and
``_worker.TaskCall`` reads the task's words from it. A Dask worker or a Ray actor is
started by its engine, so the call carries what a task needs -- the ``tasks`` node of the
root, the call number and the item's position -- and runs under the package's one task
protocol, :func:`seedpool._task.task_scope`. The key layout is the pools'
(``root.child("tasks", call, index)``), so a task draws the same numbers on a laptop pool
and on a cluster.

This module imports no engine: ``seedpool.dask`` and ``seedpool.ray`` build on it.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from ._backends import BACKENDS
from ._keys import TASKS, WORKERS
from ._task import task_scope
from ._tree import SeedTree
from ._words import BlockWords

__all__ = ["KeyedCall", "seed_worker", "record_node"]


def record_node(path: Optional[str], node: SeedTree, kind: str, worker: Optional[int] = None,
                task: Optional[int] = None) -> None:
    """Append ``node`` to the record at ``path`` (the client's ``SEEDPOOL_RECORD``).

    The path travels with the work, because a cluster worker's environment is its own;
    on a machine that does not share the client's filesystem the line lands in that
    machine's file of the same name.
    """
    if path:
        from ._record import _recorder

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


class KeyedCall:
    """The callable an engine runs instead of the user's: seeds the task, calls ``func``.

    ``mode`` says how arguments arrive, as for ``_worker.TaskCall``: ``"item"`` --
    ``((index, x),)``; ``"star"`` -- ``((index, args),)``; ``"indexed"`` --
    ``(index, *args)``; ``"apply"`` -- ``(*args, **kwargs)`` with index 0.

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

    __slots__ = ("func", "root", "call", "mode", "record", "_block")

    def __init__(self, func: Callable[..., Any], root: SeedTree, call: int, mode: str,
                 record: Optional[str] = None) -> None:
        self.func = func
        self.root = root
        self.call = call
        self.mode = mode
        self.record = record
        self._block: Optional[BlockWords] = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        mode = self.mode
        if mode == "item":
            index, x = args[0]
            return self._run(index, (x,), {})
        if mode == "star":
            index, xs = args[0]
            return self._run(index, xs, {})
        if mode == "indexed":
            return self._run(args[0], args[1:], kwargs)
        return self._run(0, args, kwargs)

    def node(self, index: int) -> SeedTree:
        """The node task ``index`` of this call is seeded from."""
        return self._words().parent.child(index)

    def _words(self) -> BlockWords:
        block = self._block
        if block is None:
            # One object per unpickled call: a Ray batch shares it, so consecutive items
            # derive their words a block at a time, as in a local pool worker.
            block = self._block = BlockWords(self.root.child(TASKS, self.call))
        return block

    def _run(self, index: int, args: Any, kwargs: Any) -> Any:
        block = self._words()
        node = block.parent.child(index)
        if self.record:
            record_node(self.record, node, "task", task=index)

        def words(name: str) -> np.ndarray:
            return block.get(index, name)

        with task_scope(node, words=words):
            return self.func(*args, **kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.func, self.root, self.call, self.mode, self.record))
