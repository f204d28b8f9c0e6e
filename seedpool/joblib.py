"""joblib and scikit-learn: ``Parallel`` results that do not depend on ``n_jobs``.

Each delayed call is keyed by *what* it is (its ``Parallel`` call and position), never
by *where* it runs (which worker, which batch), so ``n_jobs``, ``batch_size``,
``pre_dispatch``, the backend and ``return_as`` cannot change a random result.

Data flow (the ``c``-th call of one ``Parallel`` object)::

    caller                                          wherever joblib runs the call
    ------                                          -------------------------------
    keyed = KeyedCall(func, root, c)                (caller with n_jobs=1, loky or
    (func, args, kwargs) at position i        ---->  multiprocessing worker, thread)
      -> (_run_item,                                _run_item: the thread's worker
          (keyed, i, args, kwargs), {})               lifecycle runs task i of call c,
    joblib: batching, dispatch, backends,             root.child("tasks", c, i)
    results (unchanged)                               func(*args, **kwargs)

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

A plain ``joblib.Parallel`` call made *inside* a keyed joblib task (scikit-learn nests
them: a forest's ``n_jobs`` inside ``cross_val_score``) is keyed under that task:
``task.child("tasks", k, j)`` for its k-th such call. Without that, ``n_jobs=1`` (the
nested call runs in the caller, inside the block) and ``n_jobs=2`` (it runs in a
worker, outside it) would number the calls differently. A :class:`Parallel` with
``seed=None`` opened inside any task -- a joblib task, a pool's, a thread pool's -- is
keyed as every seedpool engine is there: ``task.child("pools", k)``
(:mod:`seedpool._task.seed_arg`).

Workers joblib reuses (loky's) are not seedpool's: each keyed task draws from generators
its thread owns for the task, and leaves the worker's own ``random`` / ``np.random`` as
it found them, so a plain joblib call that runs there next draws what it would have
drawn without seedpool.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import threading
from collections.abc import Iterable, Iterator
from typing import Any, Optional

import joblib  # type: ignore[import-untyped]
import joblib.parallel  # type: ignore[import-untyped]

from ._derive.keys import TASKS
from ._derive.tree import SeedLike, SeedTree
from ._state import hooks
from ._task.call import KeyedCall, run_keyed
from ._task.seed_arg import resolve_root
from ._task.task import current_task

__all__ = ["Parallel", "seeded", "delayed"]

delayed = joblib.delayed

# joblib's own class and its __call__ as defined by joblib, captured before seedpool
# wraps it (see _install_call_hook) or ``seedpool run --pools`` swaps joblib.Parallel.
_JoblibParallel = joblib.parallel.Parallel
_plain_call = _JoblibParallel.__call__


class _Keying:
    """Numbers the ``Parallel`` calls made under one root (a seeded block or a seeded
    ``Parallel`` object): call ``c`` is keyed ``root.child("tasks", c)``."""

    __slots__ = ("root", "calls")

    def __init__(self, root: SeedTree) -> None:
        self.root = root
        self.calls = itertools.count()

    def next_call(self) -> tuple[SeedTree, int]:
        # next() on itertools.count is atomic under the GIL: no lock needed when two
        # threads start calls at once (their order is then theirs to fix).
        return self.root, next(self.calls)


class _InTask:
    """The keying of plain ``joblib.Parallel`` calls made inside a keyed joblib task: the
    task's k-th such call is keyed ``task_node.child("tasks", k)`` (its counter lives on
    the running task). Without it, ``n_jobs=1`` (the nested call runs in the caller,
    inside the task) and ``n_jobs=2`` (it runs in a worker, outside it) would number
    the calls differently."""

    __slots__ = ()

    def next_call(self) -> tuple[SeedTree, int]:
        task = current_task()
        node = None if task is None else task.node()
        if task is None or node is None:  # not inside the task any more: nothing to key by
            raise LookupError("no keyed task is running on this thread")
        return node, task.count(TASKS)


_IN_TASK = _InTask()


class _ThreadState(threading.local):
    """Per thread: the keying that applies to a plain ``joblib.Parallel`` call made here
    (a seeded block's, or the running keyed task's). A ``threading.local``, not a
    ContextVar (which free-threaded builds copy into new threads): joblib's threading
    backend runs each task in a pool thread, which must see only what that task set."""

    keying: Any = None  # _Keying, _IN_TASK or None


_here = _ThreadState()


def _run_item(keyed: KeyedCall, index: int, args: tuple, kwargs: dict) -> Any:
    """Run one delayed call as task ``index`` of ``keyed``'s call -- in a worker, a thread
    or the caller (``n_jobs=1``) -- with plain ``Parallel`` calls made inside it keyed
    under it."""
    if not _hooked:
        _install_call_hook()  # so a plain Parallel call inside the task is keyed under it
    here = _here
    outer, here.keying = here.keying, _IN_TASK
    try:
        return run_keyed(keyed, index, args, kwargs)
    finally:
        here.keying = outer


class _Keyed:
    """The iterable joblib gets: each ``(func, args, kwargs)`` becomes a call of
    :func:`_run_item` that carries the item's position. Numbered as joblib consumes it."""

    __slots__ = ("root", "call", "source")

    def __init__(self, root: SeedTree, call: int, source: Iterable[Any]) -> None:
        self.root = root
        self.call = call
        self.source = source

    def __iter__(self) -> Iterator[tuple[Any, tuple, dict]]:
        # The hooks go in before the caller's generator runs (not when this module is
        # imported: that patches nothing): with n_jobs=1 or threads the tasks run here,
        # and ``delayed(np.random.rand)`` then already names the hook.
        hooks.install()
        keyed: Optional[KeyedCall] = None
        source_func: Any = None
        # One plain tuple per item; the keyed call is shared while the function is
        # (pickle memoises it within a batch), so a keyed item costs joblib two small
        # objects more than a plain one.
        for index, (func, args, kwargs) in enumerate(self.source):
            if keyed is None or source_func is not func:
                keyed, source_func = KeyedCall(func, self.root, self.call), func
            yield _run_item, (keyed, index, args, kwargs), {}


class _SizedKeyed(_Keyed):
    """A :class:`_Keyed` over a sized iterable (joblib reads ``len`` for its progress)."""

    __slots__ = ()

    def __len__(self) -> int:
        return len(self.source)  # type: ignore[arg-type]


def _keyed(keying: Any, iterable: Iterable[Any]) -> _Keyed:
    root, call = keying.next_call()
    cls = _SizedKeyed if hasattr(iterable, "__len__") else _Keyed
    return cls(root, call, iterable)


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
            return _plain_call(self, _keyed(keying, iterable))

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
        The root (see :class:`seedpool.SeedTree`). ``None`` means what it means for
        :class:`seedpool.Pool`: made inside a running task (of any engine), the task's
        ``node.child("pools", k)`` for the k-th engine opened there; else, in a process
        whose root was set (``seed_everything``, ``SEEDPOOL_SEED`` or ``seedpool run``),
        ``root.child("pools", k)``; otherwise fresh entropy. Made inside a
        :func:`seeded` block (outside any task), its calls are numbered with the plain
        ``joblib.Parallel`` calls of the block.

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
        if seed is not None:
            SeedTree(seed)  # a bad seed fails before joblib checks the rest
        super().__init__(n_jobs, *args, **kwargs)  # joblib validates n_jobs, backend...
        keying: Optional[_Keying] = None
        if seed is not None or current_task() is not None or not isinstance(_here.keying, _Keying):
            # ...then the one rule (seedpool._task.seed_arg): inside any task, the task's
            # node.child("pools", k); else the process root's ("pools", k) or entropy.
            keying = _Keying(resolve_root(seed))
        self._seedpool_keying = keying
        self.root: Optional[SeedTree] = None if keying is None else keying.root

    def __call__(self, iterable: Iterable[Any]) -> Any:
        keying = self._seedpool_keying
        if keying is None:
            # Made with seed=None in a seeded() block, outside any task: its calls are
            # numbered with the plain joblib calls of the block (where it is called).
            keying = _here.keying
            if not isinstance(keying, _Keying):  # called outside the block: its own root from here on
                keying = self._seedpool_keying = _Keying(resolve_root(None))
                self.root = keying.root
        return _plain_call(self, _keyed(keying, iterable))

    def _init_calls(self) -> None:
        """Number this object's calls from 0 again (the schedule fuzzer reuses objects)."""
        if self._seedpool_keying is not None:
            self._seedpool_keying.calls = itertools.count()

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
    root = resolve_root(seed)
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
