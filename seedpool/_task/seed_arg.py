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

The engines' own APIs have no engine object to hold a root: a ``@seedpool.ray.remote``
function or a ``seedpool.dask.delayed`` one is keyed where it is *called*.
:func:`next_position` says where, by the same three steps: the k-th keyed call a
*submitter* makes in namespace ``name`` goes to ``submitter.child(name, k)``, the
submitter being the running task's node (``k`` counted on the task), else the process
root (``k`` counted in the process, restarting with the root), else fresh entropy.
"""

from __future__ import annotations

from .._derive.tree import SeedLike, SeedTree
from .._state.root import default_tree, next_pool_root, next_root_position
from .task import current_task

__all__ = ["next_position", "resolve_root"]


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


def next_position(name: str, *, process_root: bool = True) -> tuple[SeedTree, int]:
    """``(parent, k)``: the next keyed call of namespace ``name`` runs under ``parent.child(k)``.

    Parameters
    ----------
    name : str
        The namespace (a :mod:`seedpool._derive.keys` constant): each has its own counter.
    process_root : bool
        Outside tasks, ``True`` numbers the call under the process root; ``False`` -- a
        process that is one of the engine's workers, where the root is shared by every
        worker and calls are made in whatever order the engine runs them -- takes fresh
        entropy instead (the same root and counter in two workers would give two calls
        one stream).

    Returns
    -------
    parent : SeedTree
        Inside a running task, ``task_node.child(name)``; else ``root.child(name)``; else
        a fresh ``SeedTree().child(name)``.
    k : int
        The call's position: counted on the task, or in the process (restarting when the
        root is set again); 0 under fresh entropy.
    """
    task = current_task()
    if task is not None:
        node = task.node()
        if node is not None:
            return node.child(name), task.count(name)
    if process_root:
        found = next_root_position(name)
        if found is not None:
            return found
    return SeedTree().child(name), 0
