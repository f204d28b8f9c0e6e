"""Task-keyed seeding on a Dask cluster: ``seedpool.dask.Executor``.

Data flow (one ``map`` call)::

    client process                                  any Dask worker, any thread
    --------------                                  ---------------------------
    call = next(call counter)                       (WorkerPlugin.setup: hooks installed
    fn -> _DaskCall(fn, root, call, "indexed")       once per worker process)
    item i -> arguments (i, *item)        ---->     _DaskCall(i, *item):
    distributed's ClientExecutor: client.map,         task_scope(root.child("tasks", call, i))
    futures, retries, resources, priority             fn(*item)

The engine schedules, seedpool keys: Dask chooses the worker, the thread and -- after a
worker dies -- where a task runs again; the task's streams depend only on the root, the
call number and the position, so every run of a task draws the same numbers, on any
cluster, and the same numbers as ``seedpool.ProcessPoolExecutor`` on one machine.

The position is an argument, so it is part of Dask's content key: equal items of one
call are different tasks (Dask would otherwise run a pure ``f(5)`` once for both).

Imports ``distributed`` (and dask) when imported itself; ``import seedpool`` does not.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import time
from collections.abc import Iterator
from typing import Any, Callable, Optional

from dask.utils import parse_timedelta
from distributed import Client, wait
from distributed.cfexecutor import ClientExecutor
from distributed.diagnostics.plugin import WorkerPlugin
from distributed.utils import TimeoutError as _DaskTimeout  # asyncio's: the builtin one from 3.11

from ._compat import dask_executor as _cf
from ._derive.tree import SeedLike, SeedTree
from ._engines.common import KeyedTasks, default_processes
from ._task.call import KeyedApply, KeyedCall, check_position
from ._task.worker import adopt_process

__all__ = ["Executor", "keyed"]

_PLUGIN_NAME = "seedpool"
_MAX_BATCH = 1024



class _DaskNamed:
    """What Dask asks of a task's function: a name (keys are named after it) and a token
    it can compute without pickling the function (once per call, not per item)."""

    __slots__ = ()
    func: Any
    root: Any
    call: int
    _token: Any

    @property
    def __name__(self) -> str:  # Dask names a task's key after its function
        return getattr(self.func, "__name__", type(self.func).__name__)

    def __dask_tokenize__(self) -> Any:
        # Called once per item by client.map: tokenize the function once.
        token = getattr(self, "_token", None)
        if token is None:
            from dask.base import tokenize

            token = self._token = ("seedpool", type(self).__name__, tokenize(self.func), self.root.entropy,
                                   self.root.path, self.call)
        return token


class _DaskCall(_DaskNamed, KeyedCall):
    """A :class:`~seedpool._task.call.KeyedCall` (position first) Dask can name and tokenize."""

    __slots__ = ("_token",)


class _DaskApply(_DaskNamed, KeyedApply):
    """A :class:`~seedpool._task.call.KeyedApply` (``submit``) Dask can name and tokenize."""

    __slots__ = ("_token",)


class SeedpoolWorkerPlugin(WorkerPlugin):
    """Installs seedpool's draw hooks in each worker process when it starts.

    A worker's event-loop thread draws from ``random`` while tasks run, so the hooks
    must be in place before the first task and must route each task thread's draws to
    that task's streams (see ``seedpool._state.scopes``). Registered under the name
    ``"seedpool"``, idempotently: one registration per cluster, however many executors.
    """

    idempotent = True
    name = _PLUGIN_NAME

    def setup(self, worker: Any) -> None:
        adopt_process()


class Executor(KeyedTasks, ClientExecutor):
    """Executor(client=None, *, seed=None, **kwargs)

    A ``concurrent.futures.Executor`` on a ``distributed.Client`` with task-keyed seeding.

    It is Dask's own executor (``client.get_executor()``, a ``ClientExecutor``) with the
    process pools' key layout: ``map`` item ``i`` of call ``c`` runs with every RNG in use
    seeded from ``root.child("tasks", c, i)``, the ``k``-th ``submit`` from
    ``root.child("tasks", k, 0)`` (``map`` and ``submit`` share the counter). So
    ``list(Executor(client, seed=S).map(f, xs))`` equals
    ``list(seedpool.ProcessPoolExecutor(seed=S).map(f, xs))`` for any cluster size,
    threads per worker, schedule or re-run after a worker died.

    Parameters
    ----------
    client : distributed.Client or None
        The cluster to run on. ``None``: a local cluster of ``SEEDPOOL_WORKERS`` (else
        as many as this process has CPUs) single-threaded worker processes, closed by
        :meth:`shutdown` -- what ``seedpool check --vary-workers`` varies.
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        The root, exposed as ``root``; ``None`` as for :class:`seedpool.Pool`.
    **kwargs
        Passed to every ``client.submit`` / ``client.map``, as for
        ``client.get_executor(**kwargs)``: ``retries``, ``resources``, ``priority``,
        ``workers``, ``allow_other_workers``, ``fifo_timeout``, ``pure``.

    Attributes
    ----------
    root : SeedTree
        The root all task streams derive from.
    client : distributed.Client

    Notes
    -----
    Keyword arguments of ``submit`` named like ``client.submit``'s own (``retries``,
    ``priority``...) go to Dask, as with ``ClientExecutor``; the rest go to ``fn``.
    Tasks are pure by default, as in Dask: their key is a hash of the function, the
    root, the call number, the position and the arguments, so a second executor with
    the same seed on the same client re-uses the first one's results (the same values)
    unless ``pure=False``.

    Examples
    --------
    >>> from distributed import Client, LocalCluster               # doctest: +SKIP
    >>> with LocalCluster(n_workers=2, processes=True) as cluster, Client(cluster) as client:
    ...     with seedpool.dask.Executor(client, seed=7) as ex:
    ...         values = list(ex.map(random.random, range(4)))    # doctest: +SKIP
    """

    _allowed_kwargs = _cf.ALLOWED_KWARGS | frozenset(["priority", "fifo_timeout"])

    def __init__(self, client: Optional[Client] = None, *, seed: SeedLike = None, **kwargs: Any) -> None:
        # Everything is validated before a cluster is started or a plugin registered.
        unknown = set(kwargs) - self._allowed_kwargs
        if unknown:
            # ClientExecutor's own message (a drop-in keeps it), raised before a cluster starts.
            raise TypeError(f"unsupported arguments to ClientExecutor: {sorted(unknown)}")
        if client is not None and not isinstance(client, Client):
            raise TypeError(f"client must be a distributed.Client or None (got {client!r} of type "
                            f"{type(client).__name__})")
        self._set_root(seed)
        self._own_cluster: Any = None
        if client is None:
            from distributed import LocalCluster

            n = default_processes()
            self._own_cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                             dashboard_address=None)
            client = Client(self._own_cluster)
        super().__init__(client, **kwargs)
        self.client = client
        client.register_plugin(SeedpoolWorkerPlugin(), name=_PLUGIN_NAME)

    def _call(self, fn: Callable[..., Any], record: type[KeyedCall]) -> Any:
        if _cf.is_shut_down(self):
            raise RuntimeError("cannot schedule new futures after shutdown")
        return record(fn, self.root, self._next_call())

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        return super().submit(self._call(fn, _DaskApply), *args, **kwargs)

    def map(self, fn, *iterables, timeout=None, chunksize=1):  # type: ignore[override]
        if chunksize < 1:
            raise ValueError("chunksize must be >= 1.")
        end = None if timeout is None else time.monotonic() + parse_timedelta(timeout)
        task = self._call(fn, _DaskCall)
        # Like the stdlib, consume the iterables now; the position goes first.
        columns = [list(it) for it in iterables]
        n = min((len(c) for c in columns), default=0)
        futures = _cf.client_of(self).map(task, range(n), *(c[:n] for c in columns), **_cf.submit_kwargs(self))
        _cf.futures_of(self).update(futures)
        return self._results(futures, end)

    def _results(self, futures: list, end: Optional[float]) -> Iterator[Any]:
        """Results in order, as ``ClientExecutor.map`` yields them: each as soon as it and
        every earlier one are done, and on a timeout only after the finished ones.

        Only the first unfinished future is waited on; then every future already done
        behind it (up to ``_MAX_BATCH``) is fetched with one ``gather``:
        ``future.result()`` is one round trip to the client's event loop per task, which
        costs more than a no-op task itself.
        """
        pending = collections.deque(futures)
        client = _cf.client_of(self)
        try:
            while pending:
                head = pending[0]
                if not head.done():
                    try:
                        wait([head], timeout=None if end is None else max(0.0, end - time.monotonic()))
                    except (TimeoutError, _DaskTimeout):
                        raise cf.TimeoutError() from None
                batch = [pending.popleft()]
                while pending and len(batch) < _MAX_BATCH and pending[0].done():
                    batch.append(pending.popleft())
                if all(f.status == "finished" for f in batch):
                    yield from client.gather(batch)
                else:  # raise the first failure in item order, after the results before it
                    for f in batch:
                        yield f.result()
        finally:
            # As ClientExecutor.map: closing the iterator early cancels what is left.
            if pending:
                client.cancel(list(pending))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures and not _cf.is_shut_down(self):
            _cf.client_of(self).cancel([f for f in _cf.futures_of(self) if not f.done()])
        super().shutdown(wait)
        if self._own_cluster is not None:
            cluster, self._own_cluster = self._own_cluster, None
            _cf.client_of(self).close()
            cluster.close()

    submit.__doc__ = ClientExecutor.submit.__doc__
    map.__doc__ = (ClientExecutor.map.__doc__ or "").rstrip() + (
        "\n\n        Seeding: item i is keyed as (this call's number, i)."
    )
    shutdown.__doc__ = ClientExecutor.shutdown.__doc__

    def __repr__(self) -> str:
        return f"<seedpool.dask.Executor client={_cf.client_of(self)!r} root={self.root!r}>"


def keyed(func: Callable[..., Any], seed: SeedLike, call: int = 0) -> Callable[..., Any]:
    """``func`` as a task of call ``call`` under ``seed``, for ``dask.delayed`` / ``dask.bag``.

    The returned callable takes the task's position first: ``g(i, *args)`` runs
    ``func(*args)`` with every RNG in use seeded from
    ``SeedTree(seed).child("tasks", call, i)`` -- the streams of item ``i`` of the
    ``call``-th call of an executor or pool with that seed. It pickles, so it runs on
    any scheduler (threads, processes, distributed).

    Parameters
    ----------
    func : callable
    seed : int, str, bytes, sequence of int, SeedSequence or SeedTree
        The root (not None: a graph built now may run much later, anywhere).
    call : int
        Which call's streams to use (0 for the first).

    Examples
    --------
    >>> import dask, dask.bag as db, random                       # doctest: +SKIP
    >>> g = seedpool.dask.keyed(random.random, seed=3)
    >>> dask.compute(*[dask.delayed(g)(i) for i in range(4)])     # doctest: +SKIP
    >>> db.from_sequence(enumerate(xs)).starmap(seedpool.dask.keyed(f, seed=3)).compute()  # doctest: +SKIP
    """
    if seed is None:
        raise TypeError("seed must be given for keyed() (got None): a task graph may run "
                        "later and elsewhere, so fresh entropy would make it unreplayable")
    if not callable(func):
        raise TypeError(f"func must be callable (got {func!r} of type {type(func).__name__})")
    call = check_position(call, "call")  # any integer in [0, 2**31), checked here, not on a worker
    return _DaskCall(func, SeedTree(seed), call)


# Label-keyed row sampling (issue 24): the same rows for any partitioning.
from ._dask_frames import random_split as random_split  # noqa: E402
from ._dask_frames import sample as sample  # noqa: E402

__all__ += ["sample", "random_split"]
