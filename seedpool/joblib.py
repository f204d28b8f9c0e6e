"""joblib and scikit-learn: ``Parallel`` results that do not depend on ``n_jobs``.

Each delayed call is keyed by *what* it is (its ``Parallel`` call and position), never
by *where* it runs (which worker, which batch), so ``n_jobs``, ``batch_size``,
``pre_dispatch``, the backend and ``return_as`` cannot change a random result.

Data flow (the ``c``-th call of one ``Parallel`` object)::

    caller                                          wherever joblib runs the call
    ------                                          -------------------------------
    parent = root.child("tasks", c)                 (caller with n_jobs=1, loky or
    (func, args, kwargs) at position i        ---->  multiprocessing worker, thread)
      -> (_run_keyed,                               _run_keyed: task_scope(parent.child(i))
          (parent, i, ..., func, args, kwargs), {})   func(*args, **kwargs)
    joblib: batching, dispatch, backends, results (unchanged)

The items are numbered as joblib consumes the iterable -- in iterable order, under
joblib's dispatch lock -- before joblib groups them into batches, so a key belongs to a
delayed call, not to a batch. With ``n_jobs=1`` joblib never reaches a backend and runs
each item in the caller; the item carries its key all the same. Task ``i`` of call ``c``
gets exactly the seed words of ``seedpool.Pool(seed=S)``'s task ``i`` of call ``c``.

Two ways in:

* :class:`Parallel` -- a ``joblib.Parallel`` subclass with a ``seed``;
* :func:`seeded` -- a block inside which *plain* ``joblib.Parallel`` calls, including
  those made inside libraries (scikit-learn's ``cross_val_score``, ``GridSearchCV``...),
  are keyed by (the k-th call in the block, position). It works by wrapping
  ``joblib.Parallel.__call__`` once; outside any block the wrapper only reads one
  thread-local attribute.

A plain ``joblib.Parallel`` call made *inside* a keyed task (scikit-learn nests them:
a forest's ``n_jobs`` inside ``cross_val_score``) is keyed under that task:
``task.child("tasks", k, j)`` for its k-th such call. Without that, ``n_jobs=1`` (the
nested call runs in the caller, inside the block) and ``n_jobs=2`` (it runs in a
worker, outside it) would number the calls differently.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import threading
from collections.abc import Iterable, Iterator
from typing import Any, Callable, Optional

import joblib  # type: ignore[import-untyped]
import joblib.parallel  # type: ignore[import-untyped]

from ._derive.bulk import BlockWords
from ._derive.keys import TASKS
from ._derive.tree import SeedLike, SeedTree, index_child
from ._state import scopes as _lazy
from ._task.task import Task

__all__ = ["Parallel", "seeded", "delayed"]

delayed = joblib.delayed

# The lazy per-task hooks go in when this module is imported -- in a worker, that is
# when the first keyed batch is unpickled, *before* the task's own module is imported,
# so a ``from random import random`` there binds the hook (a pool does this in its
# worker initializer; joblib's reusable loky workers have none to offer). Outside a
# task the hooks only pass draws through to the process's own generators.
_lazy.install()

# joblib's own class and its __call__ as defined by joblib, captured before seedpool
# wraps it (see _install_call_hook) or ``seedpool run --pools`` swaps joblib.Parallel.
_JoblibParallel = joblib.parallel.Parallel
_plain_call = _JoblibParallel.__call__


class _Keying:
    """Numbers the ``Parallel`` calls made under one node (a seeded block, a seeded
    ``Parallel`` object or a running keyed task): call ``c`` is keyed
    ``node.child("tasks", c)``. ``node`` may be given as a zero-argument function,
    called only if a call is made (a keyed task's node: most tasks make none)."""

    __slots__ = ("_node", "calls")

    def __init__(self, node: Any) -> None:
        self._node = node
        self.calls: Optional[Iterator[int]] = None

    @property
    def node(self) -> SeedTree:
        node = self._node
        if not isinstance(node, SeedTree):
            node = self._node = node()
        return node  # type: ignore[no-any-return]

    def next_parent(self) -> SeedTree:
        calls = self.calls
        if calls is None:  # most tasks make no nested call: count only when one does
            calls = self.calls = itertools.count()
        # next() on itertools.count is atomic under the GIL: no lock needed when two
        # threads start calls at once (their order is then theirs to fix).
        return self.node.child(TASKS, next(calls))


class _ThreadState(threading.local):
    """Per thread: the keying that applies to a plain ``joblib.Parallel`` call made here
    (a seeded block's, or the running keyed task's), and the words of the call this
    thread ran a task of last. A ``threading.local``, not a ContextVar (which
    free-threaded builds copy into new threads): joblib's threading backend runs each
    task in a pool thread, which must see only what that task set."""

    keying: Optional[_Keying] = None
    words: Optional[BlockWords] = None


_here = _ThreadState()


def _resolve_seed(seed: Any) -> SeedTree:
    """``seed`` as for ``seedpool.Pool``: ``None`` is the next ``root.child("pools", k)``
    of a process whose root was set (``seed_everything``, ``SEEDPOOL_SEED``, ``seedpool
    run``), else fresh entropy."""
    if seed is None:
        from ._state.seeding import next_pool_root

        root = next_pool_root()
        if root is not None:
            return root
    return SeedTree(seed)  # raises TypeError / ValueError naming a bad seed


class _Keyed:
    """The iterable joblib gets: each ``(func, args, kwargs)`` becomes a call of
    :func:`_run_keyed` that carries the item's key. Numbered as joblib consumes it."""

    __slots__ = ("parent", "source", "caller", "record")

    def __init__(self, parent: SeedTree, source: Iterable[Any]) -> None:
        self.parent = parent
        self.source = source
        self.caller = os.getpid()
        self.record = bool(os.environ.get("SEEDPOOL_RECORD"))

    def __iter__(self) -> Iterator[tuple[Any, tuple, dict]]:
        parent, caller, record = self.parent, self.caller, self.record
        # One plain tuple per item: pickle memoises ``parent`` and ``_run_keyed`` within a
        # batch, so a keyed item costs joblib two small ints more than a plain one.
        for index, (func, args, kwargs) in enumerate(self.source):
            yield _run_keyed, (parent, index, caller, record, func, args, kwargs), {}


class _SizedKeyed(_Keyed):
    """A :class:`_Keyed` over a sized iterable (joblib reads ``len`` for its progress)."""

    __slots__ = ()

    def __len__(self) -> int:
        return len(self.source)  # type: ignore[arg-type]


def _keyed(parent: SeedTree, iterable: Iterable[Any]) -> _Keyed:
    cls = _SizedKeyed if hasattr(iterable, "__len__") else _Keyed
    return cls(parent, iterable)


def _run_keyed(parent: SeedTree, index: int, caller: int, record: bool, func: Callable[..., Any],
               args: tuple, kwargs: dict) -> Any:
    """Run one delayed call under ``parent.child(index)`` -- in a worker, a thread or
    the caller (``n_jobs=1``)."""
    here = _here
    words = here.words
    # Items of one batch share one unpickled ``parent`` (pickle's memo): the identity
    # check almost always answers.
    if words is None or (words.parent is not parent and words.parent != parent):
        words = here.words = BlockWords(parent)
    # The node is built only if asked for (nested calls, seed_everything(), records):
    # a task that only draws needs its words alone.
    node = functools.partial(index_child, parent, index)
    if record:
        from ._state.record import record_consumer

        record_consumer(node(), kind="task", task=index)
    if not _hooked:
        _install_call_hook()  # so a plain Parallel call inside the task is keyed under it
    outer = here.keying
    here.keying = _Keying(node)
    try:
        # In the caller's own process (n_jobs=1, threads) the task draws from spare
        # generators: the caller's random / np.random are left as n_jobs=2 leaves them.
        # (The hooks went in when this module was imported.)
        with Task(functools.partial(words.get, index), node, caller == os.getpid(), None, func):
            return func(*args, **kwargs)
    finally:
        here.keying = outer


_hooked = False
_hook_lock = threading.Lock()


def _install_call_hook() -> None:
    """Wrap ``joblib.Parallel.__call__`` (once per process) so that plain calls are
    keyed when a keying is active; a no-op pass-through otherwise."""
    global _hooked
    with _hook_lock:
        if _hooked:
            return

        @functools.wraps(_plain_call)
        def __call__(self: Any, iterable: Iterable[Any]) -> Any:
            keying = _here.keying
            if keying is None or isinstance(self, Parallel):
                return _plain_call(self, iterable)
            return _plain_call(self, _keyed(keying.next_parent(), iterable))

        _JoblibParallel.__call__ = __call__  # type: ignore[method-assign]
        _hooked = True


class Parallel(joblib.parallel.Parallel):  # type: ignore[misc]  # (untyped base)
    """Parallel(n_jobs=None, *args, seed=None, **kwargs)

    A ``joblib.Parallel`` whose random results do not depend on how the work is run.

    The delayed call at position ``i`` of this object's ``c``-th call runs with
    Python's ``random``, numpy's global state and :func:`seedpool.rng` (and TensorFlow /
    torch, where imported) seeded from ``root.child("tasks", c, i)`` -- lazily, on
    its first draw -- exactly as task ``i`` of call ``c`` of ``seedpool.Pool(seed=...)``.
    So the results are the same for every ``n_jobs`` (1 included), ``batch_size``,
    ``pre_dispatch``, backend (``"loky"``, ``"multiprocessing"``, ``"threading"``) and
    ``return_as`` (``"generator_unordered"`` yields the same results in another order).

    Parameters
    ----------
    n_jobs, *args, **kwargs
        As for ``joblib.Parallel`` (``backend``, ``return_as``, ``batch_size``,
        ``pre_dispatch``, ``prefer``, ``require``...).
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        The root (see :class:`seedpool.SeedTree`). ``None``: the k-th pool of a process
        whose root was set (``seed_everything``, ``SEEDPOOL_SEED`` or ``seedpool run``)
        uses ``root.child("pools", k)``; otherwise fresh entropy. Made inside a
        :func:`seeded` block or inside a keyed task, ``None`` means: numbered with the
        plain ``joblib.Parallel`` calls there (so ``seedpool run --pools``, which
        swaps ``joblib.Parallel`` for this class, keys nested calls under their task).

    Attributes
    ----------
    root : SeedTree or None
        The root every task of this object derives from (None while it follows an
        enclosing block or task).

    Notes
    -----
    With ``n_jobs=1`` and the threading backend, tasks run in the caller's process;
    they draw from spare generators, so the caller's own ``random`` / ``np.random``
    are left as they were (as with worker processes).

    Examples
    --------
    >>> import numpy as np
    >>> from seedpool.joblib import Parallel, delayed
    >>> a = Parallel(n_jobs=1, seed=7)(delayed(np.random.rand)() for _ in range(3))
    >>> b = Parallel(n_jobs=2, backend="threading", batch_size=2, seed=7)(
    ...     delayed(np.random.rand)() for _ in range(3))
    >>> a == b
    True
    """

    def __init__(self, n_jobs: Any = None, *args: Any, seed: SeedLike = None, **kwargs: Any) -> None:
        keying: Optional[_Keying] = None
        if seed is not None or _here.keying is None:
            keying = _Keying(_resolve_seed(seed))  # a bad seed fails before joblib sets up
        super().__init__(n_jobs, *args, **kwargs)
        self._seedpool_keying = keying
        self.root: Optional[SeedTree] = None if keying is None else keying.node

    def __call__(self, iterable: Iterable[Any]) -> Any:
        keying = self._seedpool_keying
        if keying is None:
            # Made with seed=None in a seeded block or a keyed task: its calls are
            # numbered with the plain joblib calls made there (where it is called).
            keying = _here.keying
            if keying is None:  # called outside any: from here on, its own root
                keying = self._seedpool_keying = _Keying(_resolve_seed(None))
                self.root = keying.node
        return _plain_call(self, _keyed(keying.next_parent(), iterable))

    __call__.__doc__ = (_plain_call.__doc__ or "").rstrip() + (
        "\n\n        Seeding: each delayed call is keyed by (this call's number on the object, "
        "its position)."
    )

    def __repr__(self) -> str:
        return f"Parallel(n_jobs={self.n_jobs}, root={self.root!r})"


@contextlib.contextmanager
def seeded(seed: SeedLike = None) -> Iterator[SeedTree]:
    """Key every plain ``joblib.Parallel`` call made in the block, libraries' included.

    The delayed call at position ``i`` of the ``k``-th ``Parallel`` call made in the
    block (in this thread) runs seeded from ``root.child("tasks", k, i)``, like task
    ``i`` of call ``k`` of ``seedpool.Pool(seed=seed)``. That covers scikit-learn's
    ``n_jobs`` (``cross_val_score``, ``GridSearchCV``, ``permutation_importance``,
    forests...), whose ``Parallel`` subclasses joblib's. Calls nested inside a keyed
    task are keyed under that task.

    Parameters
    ----------
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        The block's root; ``None`` as for :class:`Parallel`.

    Yields
    ------
    SeedTree
        The root.

    Notes
    -----
    Only the ``Parallel`` tasks are keyed: what the block draws itself, outside tasks
    (scikit-learn draws a forest's tree seeds in the caller when ``random_state=None``)
    comes from the caller's generators -- seed those with
    :func:`seedpool.seed_everything`.

    Examples
    --------
    >>> import random
    >>> from joblib import Parallel, delayed
    >>> import seedpool.joblib
    >>> with seedpool.joblib.seeded(3):
    ...     a = Parallel(n_jobs=1)(delayed(random.random)() for _ in range(4))
    >>> with seedpool.joblib.seeded(3):
    ...     b = Parallel(n_jobs=2, backend="threading")(delayed(random.random)() for _ in range(4))
    >>> a == b
    True
    """
    root = _resolve_seed(seed)
    _install_call_hook()
    here = _here
    outer, here.keying = here.keying, _Keying(root)
    try:
        yield root
    finally:
        here.keying = outer


if os.environ.get("SEEDPOOL_RUN") == "1" and os.environ.get("SEEDPOOL_POOLS") == "1":
    # Under ``seedpool run --pools`` the bootstrap swaps joblib.Parallel for this class
    # when joblib is imported -- unless that import came from this module, mid-import.
    joblib.Parallel = joblib.parallel.Parallel = Parallel  # type: ignore[misc]
