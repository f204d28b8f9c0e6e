"""The keyed call: the one picklable callable every engine sends instead of the user's.

``KeyedCall(func, root, call)`` stands for the tasks of one call of an engine: its task
at position ``index`` runs ``func`` with every generator in use seeded from
``root.child("tasks", call, index)``, on whatever worker, thread or machine the engine
picks. The position is an *argument* -- the engine passes it with the item -- never a
counter in the worker, so retries, chunking and completion order cannot move it.

How the item reaches the worker differs by engine; each way is one small record (a
subclass whose ``__call__`` unpacks it), all running through
:meth:`seedpool._task.worker.WorkerLifecycle.run`:

=================  ============================  ===========================================
record             called as                      sent by
=================  ============================  ===========================================
``KeyedCall``      ``(index, *args, **kwargs)``   executor ``map``, Dask ``map``, ``keyed()``
``KeyedApply``     ``(*args, **kwargs)``          ``apply_async``, ``submit`` (index 0)
``KeyedItem``      ``((index, x))``               pool ``map`` / ``imap``
``KeyedStar``      ``((index, args))``            pool ``starmap``
``KeyedChunk``     ``([(index, *args), ...])``    a chunk seedpool runs itself (re-armed)
``KeyedBatch``     ``(x)``, positions counted     a Ray pool batch (re-armed)
=================  ============================  ===========================================

A :class:`KeyedUnder` has no call level: its task ``index`` is ``root.child(index)``,
``root`` being a submitter's namespace node (:func:`seedpool._task.seed_arg.next_position`):
``@seedpool.ray.remote`` tasks and actors, ``seedpool.dask.delayed`` calls.

A keyed call also carries what the worker must follow whatever it was started with: the
caller's seed-record path and strict mode, taken when the call is made.
"""

from __future__ import annotations

import operator
import os
from typing import Any, Callable, Optional

from .._derive.keys import TASKS
from .._derive.tree import SeedTree
from .._state import hooks
from .._state import strict as _strict
from .._state.context import local
from .._state.record import ENV_RECORD
from .worker import current_worker

__all__ = ["KeyedApply", "KeyedBatch", "KeyedCall", "KeyedChunk", "KeyedItem", "KeyedStar", "KeyedUnder",
           "check_position", "run_keyed"]

_MAX_INDEX = 2**31  # SeedTree's int keys lie below this


def check_position(index: Any, name: str = "a task's position") -> int:
    """A position given by a caller (not one ``enumerate`` made), checked like a tree key:
    any integer (numpy's too, not a bool) in ``[0, 2**31)``."""
    try:
        if isinstance(index, bool):
            raise TypeError
        i = operator.index(index)
    except TypeError:
        raise TypeError(f"{name} must be an int in [0, 2**31) (got {index!r} of type "
                        f"{type(index).__name__})") from None
    if not 0 <= i < _MAX_INDEX:
        raise ValueError(f"{name} must be an int in [0, 2**31) (got {index!r})")
    return i


class _HooksFirst:
    """Pickled first among a keyed call's fields: unpickling it installs the hooks, so in
    a worker seedpool did not start (loky, Dask, Ray) they are in before the task's own
    module is imported with its function -- a ``from random import random`` there then
    binds the hook."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (hooks.install, ())


_HOOKS_FIRST = _HooksFirst()


def _rebuild(cls: type[KeyedCall], _hooks: None, *fields: Any) -> KeyedCall:
    return cls(*fields)


def run_keyed(keyed: KeyedCall, index: Any, args: Any, kwargs: Any, keep: bool = False) -> Any:
    """Run ``keyed.func(*args, **kwargs)`` as task ``index`` of ``keyed``'s call on the
    calling thread's worker (:func:`seedpool._task.worker.current_worker`)."""
    if type(index) is not int or not 0 <= index < _MAX_INDEX:
        index = check_position(index)
    strict = keyed.strict
    if strict != _strict.current():
        _strict.follow(strict)  # a reused worker (loky, Ray) follows the caller's mode
    worker = local.state.worker
    if worker is None:
        worker = current_worker()
    return worker.run(keyed.root, None if keyed.under else keyed.call, index, keyed.func, args, kwargs, keep,
                      keyed.record)


class KeyedCall:
    """``func`` as the tasks of call ``call`` under ``root``: called with the position first.

    Parameters
    ----------
    func : callable
        The user's callable.
    root : SeedTree or None
        The engine's root; the task is ``root.child("tasks", call, index)``. ``None``: the
        root of the worker that runs it (a seedpool pool's worker knows its pool's root,
        so the pools do not send a node with every chunk).
    call : int
        The call number (from the engine's counter).
    record : str, optional
        A seed-record path (default: ``SEEDPOOL_RECORD`` of the calling process, read
        now: a worker's environment may be another machine's).
    strict : tuple, optional
        The strict mode the worker runs the task in (default: the calling process's).
    """

    __slots__ = ("func", "root", "call", "record", "strict")

    under = False  # KeyedUnder: the task is root.child(index), no call level

    def __init__(self, func: Callable[..., Any], root: Optional[SeedTree], call: int,
                 record: Optional[str] = None, strict: Any = None) -> None:
        # A global generator's own method, taken before the hooks went in, as its hook
        # (in a worker, an unpickled copy of a generator is left alone: nothing to find).
        self.func = hooks.rebind_global(func)
        self.root = root
        self.call = call
        self.record = record if record is not None else (os.environ.get(ENV_RECORD) or None)
        self.strict = strict if strict is not None else _strict.current()

    def __call__(self, index: Any, /, *args: Any, **kwargs: Any) -> Any:
        return run_keyed(self, index, args, kwargs)

    def node(self, index: int) -> SeedTree:
        """The node task ``index`` of this call is seeded from (needs ``root``)."""
        if self.root is None:
            raise ValueError("this keyed call takes its root from the worker that runs it")
        if self.under:
            return self.root.child(index)
        return self.root.child(TASKS, self.call, index)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), _HOOKS_FIRST, self.func, self.root, self.call, self.record, self.strict))


class KeyedUnder(KeyedCall):
    """A :class:`KeyedCall` with no call level: task ``index`` is ``parent.child(index)``.

    ``parent`` is a submitter's namespace node, ``submitter.child(name)`` from
    :func:`seedpool._task.seed_arg.next_position`, and ``index`` the call's position
    there: the k-th ``@seedpool.ray.remote`` call runs ``submitter.child("remote", k)``.
    Called with the position first, as a :class:`KeyedCall`.
    """

    __slots__ = ()
    under = True

    def __init__(self, func: Callable[..., Any], parent: SeedTree, record: Optional[str] = None,
                 strict: Any = None) -> None:
        super().__init__(func, parent, 0, record, strict)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_under, (type(self), _HOOKS_FIRST, self.func, self.root, self.record, self.strict))


def _rebuild_under(cls: type[KeyedUnder], _hooks: None, func: Any, parent: SeedTree, record: Optional[str],
                   strict: Any) -> KeyedUnder:
    return cls(func, parent, record, strict)


class KeyedApply(KeyedCall):
    """A :class:`KeyedCall` with one task, index 0: called with the user's own arguments
    (``apply_async``, an executor's ``submit``)."""

    __slots__ = ()

    def __call__(self, /, *args: Any, **kwargs: Any) -> Any:  # "self" may be a task's keyword
        return run_keyed(self, 0, args, kwargs)


class KeyedItem(KeyedCall):
    """A :class:`KeyedCall` called with one ``(index, x)`` pair (a pool's ``map``/``imap``);
    kept entered between the items of a run where the worker's engine closes runs."""

    __slots__ = ()

    def __call__(self, pair: Any) -> Any:
        index, x = pair  # (index: from the pool's own enumerate)
        worker = local.state.worker
        if worker is None or self.strict is not _strict.current() and self.strict != _strict.current():
            return run_keyed(self, index, (x,), {}, worker is not None and worker.keep_runs)
        # The pool's hot path: straight to the worker that owns this thread.
        return worker.run(self.root, self.call, index, self.func, (x,), {}, worker.keep_runs, self.record)


class KeyedStar(KeyedCall):
    """A :class:`KeyedCall` called with one ``(index, args)`` pair (a pool's ``starmap``)."""

    __slots__ = ()

    def __call__(self, pair: Any) -> Any:
        index, args = pair
        worker = local.state.worker
        if worker is None or self.strict is not _strict.current() and self.strict != _strict.current():
            return run_keyed(self, index, args, {}, worker is not None and worker.keep_runs)
        return worker.run(self.root, self.call, index, self.func, args, {}, worker.keep_runs, self.record)


class KeyedChunk(KeyedCall):
    """A :class:`KeyedCall` called with a list of ``(index, *args)`` tuples, run back to back
    with one task re-armed per item and left when the chunk ends (the executor's chunks,
    a chunked ``imap``). Returns the list of results."""

    __slots__ = ()

    def __call__(self, chunk: Any) -> Any:
        try:
            return [run_keyed(self, item[0], item[1:], {}, True) for item in chunk]
        finally:
            worker = local.state.worker
            if worker is not None:
                worker.close()


class KeyedBatch(KeyedCall):
    """A :class:`KeyedCall` for one batch of consecutive items, called with the items alone.

    An engine that runs a batch by calling the function once per item, in order (Ray's
    pool actor), needs no position with each item: the batch's copy knows its first
    position, ``start``, and its ``stop``, and counts. The owner keeps one ``KeyedBatch``
    per call, as a template, and sends :meth:`batch` for each batch it submits, in
    submission order. The task stays entered from one item to the next and is left after
    the batch's last (or a failed) item: nothing else runs on the actor in between.
    """

    __slots__ = ("next", "stop")

    def __init__(self, func: Callable[..., Any], root: Optional[SeedTree], call: int,
                 record: Optional[str] = None, strict: Any = None, start: int = 0, stop: int = 0) -> None:
        super().__init__(func, root, call, record, strict)
        self.next = start
        self.stop = stop

    def batch(self, size: int) -> KeyedBatch:
        """The copy for the next ``size`` items (their positions are taken now)."""
        start = self.next
        self.next = start + size
        return KeyedBatch(self.func, self.root, self.call, self.record, self.strict, start, start + size)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Counted before the call: an engine that records a failed item and goes on
        # (Ray's run_batch) gives the next item the next position.
        index = self.next
        self.next = index + 1
        last = self.next >= self.stop
        try:
            result = run_keyed(self, index, args, kwargs, not last)
        except BaseException:
            last = True
            raise
        finally:
            if last:
                worker = local.state.worker
                if worker is not None:
                    worker.close()
        return result

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (KeyedBatch, _HOOKS_FIRST, self.func, self.root, self.call, self.record, self.strict,
                           self.next, self.stop))
