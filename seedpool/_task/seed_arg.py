"""``resolve_root``: what ``seed=None`` means, in one place, for every engine.

An engine opened with ``seed=None`` -- ``Pool``, both executors, both thread pools,
``seedpool.joblib.Parallel``, ``seedpool.dask.Executor``, ``seedpool.ray.Pool``, the data
loaders -- takes its root from where it is opened:

1. inside a running task (of any engine, or ``task_scope``): the task's
   ``node.child("pools", k)``, ``k`` counting the engines opened in that task -- so a
   nested engine is the same for any outer worker count and distinct per task;
2. else under a process root (``seed_everything``, ``SEEDPOOL_SEED``, ``seedpool run``):
   ``root.child("pools", k)``, ``k`` counting the engines opened in the process -- or,
   for the data loaders (``per_process=False``), that root itself, as they always had;
3. else fresh entropy (``SeedTree()``, kept in the engine's ``root`` for a replay).

Engines call it *after* validating their other arguments: a refused constructor takes
no number.
"""

from __future__ import annotations

from .._derive.tree import SeedLike, SeedTree
from .._state.root import default_tree, next_pool_root
from .task import current_task

__all__ = ["resolve_root"]


def resolve_root(seed: SeedLike, *, counted: bool = True) -> SeedTree:
    """The root of an engine opened with ``seed``.

    Parameters
    ----------
    seed : SeedLike
        What the user passed; anything but None is ``SeedTree(seed)`` (which raises the
        usual TypeError / ValueError for a bad seed).
    counted : bool
        Outside tasks, ``True`` (the engines) numbers the engine under the process root;
        ``False`` (the data loaders) takes the process root itself, and records fresh
        entropy in ``SEEDPOOL_SEED`` when there is none.
    """
    if seed is not None:
        return SeedTree(seed)
    task = current_task()
    if task is not None:
        node = task.next_pool_root()
        if node is not None:
            return node
    if counted:
        root = next_pool_root()
        return root if root is not None else SeedTree()
    return default_tree()
