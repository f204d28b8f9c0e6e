"""``seedpool.Pool``: a drop-in ``multiprocessing.Pool`` whose randomness is keyed by task.

Data flow (one ``map`` call)::

    parent                                       worker (any of them)
    ------                                       --------------------
    call = next(call counter)
    func -> KeyedItem(func, None, call)    ---->  KeyedItem((i, x)): the worker's lifecycle
    iterable -> enumerate(iterable)                 mark random / np.random stale,
    stdlib chunking, queues, result handling        first draw seeds them from
    (unchanged: multiprocessing.pool.Pool)          root.child("tasks", call, i, <backend>)
                                                    func(x)

The standard library's ``Pool`` does all the process and queue work; this subclass only
wraps the callable and numbers the items before handing them on, at exactly one layer
(the public methods), so nothing is seeded twice. Which worker runs a task, the chunk
size, the pool size and respawns therefore never change a task's stream.

The transport is the context's: a standard ``multiprocessing`` context pickles with
``pickle``, and only a callable that ``pickle`` refuses (a lambda, a closure) is carried
as dill bytes; a ``multiprocess`` context pickles everything with dill.
"""

from __future__ import annotations

import itertools
import multiprocessing
import multiprocessing.pool
from collections.abc import Iterable, Iterator, Mapping
from multiprocessing.pool import ApplyResult, MapResult
from typing import Any, Callable, Optional, TypeVar

from .. import _errors
from .._compat import stdlib_pool as _std
from .._derive.tree import SeedLike
from .._task.call import KeyedApply, KeyedCall, KeyedChunk, KeyedItem, KeyedStar
from .common import KeyedTasks, check_chunksize, check_count, check_scope, default_context, default_processes
from .process_worker import initialize_worker
from .queues import setup_watched_queues
from .transport import wrap_callable
from .watch import WorkerLostError, WorkerWatch

__all__ = ["Pool", "TimeoutError"]


TimeoutError = _errors.TimeoutError  # noqa: A001  (defined in _errors; importable from here as before)

# How each method's items reach the worker (seedpool._task.call).
_RECORDS: dict[str, type[KeyedCall]] = {"item": KeyedItem, "star": KeyedStar, "chunk": KeyedChunk,
                                        "apply": KeyedApply}


class _TimeoutTranslating:
    """Mixin for result objects: a timeout raises seedpool.TimeoutError (both bases)."""

    def get(self, timeout: Optional[float] = None) -> Any:
        try:
            return super().get(timeout)  # type: ignore[misc]
        except multiprocessing.TimeoutError as exc:
            if isinstance(exc, TimeoutError):
                raise
            raise TimeoutError(*exc.args) from None


class _ApplyResult(_TimeoutTranslating, multiprocessing.pool.ApplyResult):  # type: ignore[type-arg]
    pass


class _MapResult(_TimeoutTranslating, multiprocessing.pool.MapResult):  # type: ignore[type-arg]
    pass


class _IMapIterator(multiprocessing.pool.IMapIterator):  # type: ignore[type-arg]
    def next(self, timeout: Optional[float] = None) -> Any:
        try:
            return super().next(timeout)
        except multiprocessing.TimeoutError as exc:
            if isinstance(exc, TimeoutError):
                raise
            raise TimeoutError(*exc.args) from None

    __next__ = next


class _IMapUnorderedIterator(_IMapIterator, multiprocessing.pool.IMapUnorderedIterator):  # type: ignore[type-arg]
    pass


_RESULT_CLASSES = {
    multiprocessing.pool.ApplyResult: _ApplyResult,
    multiprocessing.pool.MapResult: _MapResult,
    multiprocessing.pool.IMapIterator: _IMapIterator,
    multiprocessing.pool.IMapUnorderedIterator: _IMapUnorderedIterator,
}


def _chunks(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    it = iter(items)
    while True:
        chunk = list(itertools.islice(it, size))
        if not chunk:
            return
        yield chunk


_R = TypeVar("_R")


def _translating(result: _R) -> _R:
    """The stdlib's result object, now of seedpool's class (timeouts translated)."""
    _std.swap_result_class(result, _RESULT_CLASSES)
    return result


class Pool(KeyedTasks, multiprocessing.pool.Pool):
    """Pool(processes=None, initializer=None, initargs=(), maxtasksperchild=None, context=None, *, seed=None, scope="task")

    A drop-in ``multiprocessing.Pool`` whose random results do not depend on scheduling.

    With ``scope="task"`` every task runs with Python's ``random``, numpy's global state,
    :func:`seedpool.rng` (and TensorFlow / torch, if the worker imported them) seeded from
    ``root.child("tasks", call, index)``, where ``call`` counts this pool's calls
    (``map``, ``imap``, ``apply_async``... share one counter) and ``index`` is the task's
    position in that call. Results are therefore the same for any ``processes``,
    ``chunksize``, start method or ``maxtasksperchild``; a second call is a new draw.
    Generators are seeded lazily, on a task's first draw, so tasks that draw nothing
    pay nothing.

    With ``scope="worker"`` each worker is seeded once at start from
    ``root.child("workers", slot, incarnation)``.

    Parameters
    ----------
    processes, initializer, initargs, maxtasksperchild, context
        As for ``multiprocessing.Pool``. ``processes=None`` means ``SEEDPOOL_WORKERS`` if
        set, else the number of CPUs this process may run on. ``context`` may come from
        ``multiprocessing.get_context()`` or ``multiprocess.get_context()`` (dill for
        everything). The user's ``initializer`` runs after the worker is seeded.
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        The root (see :class:`SeedTree`). ``None``: the k-th pool of a process whose root
        was set (``seed_everything`` or ``SEEDPOOL_SEED``) uses ``root.child("pools", k)``;
        otherwise fresh entropy. ``Pool(seed=pool.root)`` replays a run.
    scope : {"task", "worker"}
        Key streams by task (reproducible under any schedule) or by worker.

    Attributes
    ----------
    root : SeedTree
        The root all streams of this pool derive from (``seed_tree``: its deprecated name).

    Notes
    -----
    Lambdas and closures work as tasks: a callable the standard pickler refuses is sent
    as dill bytes. Timeouts raise :class:`seedpool.TimeoutError`, which is both a
    ``multiprocessing.TimeoutError`` and a ``multiprocess.TimeoutError``.
    """

    # The stdlib's __del__ reads _state; a call with an unknown keyword fails before
    # __init__ runs at all, and the TypeError should come without an "Exception ignored".
    _state = multiprocessing.pool.INIT

    def __init__(self, processes: Optional[int] = None, initializer: Optional[Callable[..., Any]] = None,
                 initargs: Iterable[Any] = (), maxtasksperchild: Optional[int] = None,
                 context: Any = None, *, seed: SeedLike = None, scope: str = "task") -> None:
        _std.init_before_checks(self)  # __del__ reads these even if __init__ raises below
        # Validate everything before a single process starts, or a pool number is taken.
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        check_scope(scope)
        if processes is None:
            processes = default_processes()
        processes = check_count(processes, "Number of processes must be at least 1")
        if maxtasksperchild is not None and (not isinstance(maxtasksperchild, int) or maxtasksperchild <= 0):
            raise ValueError("maxtasksperchild must be a positive int or None")
        context = context if context is not None else default_context()
        self._set_root(seed, scope)
        config = self._keyed_setup(processes, context, initializer, initargs, watched=True)
        self._seedpool_context = context
        # Every worker the stdlib starts, for the watch: one that dies at once is replaced
        # (and dropped from self._pool) before a periodic look could see it.
        started: list[Any] = []
        _std.record_started_processes(self, _Recording(started))
        super().__init__(processes, initialize_worker, (config,), maxtasksperchild, context)
        self._seedpool_watch = WorkerWatch(self, config.slots, processes, tasks_tracked=scope == "task",
                                           started=started)

    def _setup_queues(self) -> None:
        # Overrides the stdlib's private hook (called by Pool.__init__, 3.9-3.13): its
        # queues, but a worker says where it is in them (see _watchdog).
        setup_watched_queues(self, self._seedpool_context)

    def _check_running(self) -> None:
        # Overrides the stdlib's private check (every public method calls it, 3.8-3.13).
        super()._check_running()  # type: ignore[misc]  # private in typeshed, in the stdlib 3.8+
        watch = getattr(self, "_seedpool_watch", None)
        if watch is not None and watch.broken:
            raise WorkerLostError(watch.broken)

    # -- the one layer where tasks are wrapped ------------------------------------------

    def _task(self, func: Callable[..., Any], mode: str) -> KeyedCall:
        # No callable check: as with the stdlib, a non-callable fails in the worker
        # ("'int' object is not callable"), and an empty map of one returns []. The root
        # stays out of the message (None): every worker of this pool knows it.
        return _RECORDS[mode](wrap_callable(func, self._seedpool_dill), None, self._next_call())

    def _plain(self, func: Callable[..., Any]) -> Optional[Callable[..., Any]]:
        """In worker scope, the callable the stdlib gets (no per-task keys, so nothing to
        wrap or number: the transport stays the stdlib's); None in task scope."""
        if self.scope != "worker":
            return None
        _std.check_running(self)
        return wrap_callable(func, self._seedpool_dill)

    def apply_async(self, func: Callable[..., Any], args: Iterable[Any] = (), kwds: Mapping[str, Any] = {},  # noqa: B006
                    callback: Optional[Callable[[Any], object]] = None,
                    error_callback: Optional[Callable[[BaseException], object]] = None) -> ApplyResult[Any]:
        plain = self._plain(func)
        if plain is not None:
            return _translating(super().apply_async(plain, args, kwds, callback, error_callback))
        _std.check_running(self)
        task = self._task(func, "apply")
        result = super().apply_async(task, args, kwds, callback, error_callback)
        self._seedpool_watch.track(task.call, result)
        return _translating(result)

    def map(self, func: Callable[..., Any], iterable: Iterable[Any], chunksize: Optional[int] = None) -> list[Any]:
        return self.map_async(func, iterable, chunksize).get()

    def map_async(self, func: Callable[..., Any], iterable: Iterable[Any], chunksize: Optional[int] = None,
                  callback: Optional[Callable[[Any], object]] = None,
                  error_callback: Optional[Callable[[BaseException], object]] = None) -> MapResult[Any]:
        return self._map_indexed(func, iterable, "item", chunksize, callback, error_callback)

    def starmap(self, func: Callable[..., Any], iterable: Iterable[Iterable[Any]], chunksize: Optional[int] = None) -> list[Any]:
        return self.starmap_async(func, iterable, chunksize).get()

    def starmap_async(self, func: Callable[..., Any], iterable: Iterable[Iterable[Any]],
                      chunksize: Optional[int] = None,
                      callback: Optional[Callable[[Any], object]] = None,
                      error_callback: Optional[Callable[[BaseException], object]] = None) -> MapResult[Any]:
        # Each item is (index, args); KeyedStar unpacks it, so the stdlib's plain map
        # machinery carries it.
        return self._map_indexed(func, iterable, "star", chunksize, callback, error_callback)

    def _map_indexed(self, func: Callable[..., Any], iterable: Iterable[Any], mode: str, chunksize: Optional[int],
                     callback: Optional[Callable[[Any], object]],
                     error_callback: Optional[Callable[[BaseException], object]]) -> MapResult[Any]:
        chunksize = check_chunksize(chunksize, allow_none=True)
        plain = self._plain(func)
        if plain is not None:
            if mode == "item":
                return _translating(super().map_async(plain, iterable, chunksize, callback, error_callback))
            return _translating(super().starmap_async(plain, iterable, chunksize, callback,  # type: ignore[arg-type]
                                                      error_callback))  # (typeshed: ApplyResult; it is a MapResult)
        _std.check_running(self)
        task = self._task(func, mode)
        # A list keeps len(), so the stdlib picks exactly the chunksize it would have.
        result = super().map_async(task, list(enumerate(iterable)), chunksize, callback, error_callback)
        self._seedpool_watch.track(task.call, result)
        return _translating(result)

    def imap(self, func: Callable[..., Any], iterable: Iterable[Any], chunksize: int = 1) -> Iterator[Any]:  # type: ignore[override]  # a generator when chunksize > 1, as the stdlib's
        return self._imap(super().imap, func, iterable, chunksize)

    def imap_unordered(self, func: Callable[..., Any], iterable: Iterable[Any], chunksize: int = 1) -> Iterator[Any]:  # type: ignore[override]  # as imap
        return self._imap(super().imap_unordered, func, iterable, chunksize)

    def _imap(self, stdlib_imap: Callable[..., Any], func: Callable[..., Any], iterable: Iterable[Any],
              chunksize: int) -> Iterator[Any]:
        chunksize = check_chunksize(chunksize, allow_none=False)
        plain = self._plain(func)
        if plain is not None:
            return _translating(stdlib_imap(plain, iterable, chunksize))
        _std.check_running(self)
        if chunksize == 1:
            task = self._task(func, "item")
            result = stdlib_imap(task, enumerate(iterable), 1)
            self._seedpool_watch.track(task.call, result)
            return _translating(result)
        # Chunk here, as the stdlib would (consecutive runs of ``chunksize``), so the
        # iterator that answers the chunks stays reachable for the worker watch.
        task = self._task(func, "chunk")
        result = stdlib_imap(task, _chunks(enumerate(iterable), chunksize), 1)
        self._seedpool_watch.track(task.call, result, chunksize)
        return (item for chunk in result for item in chunk)

    def terminate(self) -> None:
        watch = getattr(self, "_seedpool_watch", None)
        if watch is not None:
            watch.scan()  # release what a just-dead worker held before the stdlib needs it
        super().terminate()
        if watch is not None:
            # A call another thread still waits on would wait forever (the stdlib leaves
            # it pending): no handler is left to answer it.
            watch.fail_pending(WorkerLostError(
                "seedpool.Pool was terminated while this call was pending; its results are lost"))
        self._stop_watch()

    def join(self) -> None:
        super().join()
        self._stop_watch()

    def _stop_watch(self) -> None:
        watch = getattr(self, "_seedpool_watch", None)  # absent if __init__ failed early
        if watch is not None:
            watch.stop()

    # Borrow the stdlib docstrings, adding how seeding applies.
    for _name in ("apply_async", "map", "map_async", "starmap", "starmap_async", "imap", "imap_unordered"):
        locals()[_name].__doc__ = (getattr(multiprocessing.pool.Pool, _name).__doc__ or "").rstrip() + (
            "\n\n        Seeding: each task is keyed by (this call's number on the pool, its index)."
        )
    del _name

    def __repr__(self) -> str:
        state, size = _std.state_and_size(self)
        return f"<seedpool.Pool state={state} pool_size={size} scope={self.scope!r} root={self.root!r}>"


class _Recording:
    """``Pool.Process`` (``ctx.Process(...)``) that also notes each process in a list.

    Holds the list, never the pool (the worker-handler thread keeps ``pool.Process``, and
    a pool must stay collectable)."""

    __slots__ = ("started",)

    def __init__(self, started: list[Any]) -> None:
        self.started = started

    def __call__(self, ctx: Any, *args: Any, **kwds: Any) -> Any:
        process = ctx.Process(*args, **kwds)
        self.started.append(process)
        return process
