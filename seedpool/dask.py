"""Task-keyed seeding on Dask: ``seedpool.dask.Client``, ``seedpool.dask.Executor`` and
``seedpool.dask.delayed``.

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

``Client`` is a ``distributed.Client`` keyed with the same layout: its k-th ``submit``
is ``root.child("tasks", k, 0)``, item i of its c-th ``map`` ``root.child("tasks", c, i)``
(one counter for both, as the executor's). A task that submits tasks -- through
``get_client()``, ``worker_client()``, a ``Client`` it makes, seceded or not -- keys them
under its own node: in any process where a keyed Dask task ran, ``distributed.Client``'s
``submit`` and ``map`` are wrapped once, and a call made while a keyed task runs on the
calling thread is that task's next keyed call, ``task_node.child("tasks", k, i)`` (the
counter joblib's nested calls share). Outside keyed tasks the wrapper only looks up the
thread's running task.

``delayed`` keys each *call* of a seeded delayed function where it is constructed: the
k-th in the constructing process (or keyed task) runs ``submitter.child("delayed", k)``,
the position being the call's first argument, so any scheduler computes the same
numbers.

Imports ``distributed`` (and dask) when imported itself; ``import seedpool`` does not.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import functools
import threading
import time
from collections.abc import Iterator
from typing import Any, Callable, Optional

import dask
import distributed
from dask.utils import parse_timedelta
from distributed import wait
from distributed.cfexecutor import ClientExecutor
from distributed.diagnostics.plugin import WorkerPlugin
from distributed.utils import TimeoutError as _DaskTimeout  # asyncio's: the builtin one from 3.11

from ._compat import dask_executor as _cf
from ._derive.keys import DELAYED, TASKS
from ._derive.tree import SeedLike, SeedTree
from ._engines.common import KeyedTasks, default_processes
from ._state import hooks
from ._task.call import KeyedApply, KeyedCall, KeyedUnder, check_position, run_keyed
from ._task.seed_arg import next_position
from ._task.task import current_task
from ._task.worker import adopt_process

__all__ = ["Client", "delayed", "SeededDelayed", "Executor", "keyed"]

_DaskClient = distributed.Client

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

    def __call__(self, index: Any, /, *args: Any, **kwargs: Any) -> Any:
        if not _clients_hooked:
            _hook_clients()  # a plain Client call inside this task is keyed under it
        return run_keyed(self, index, args, kwargs)


class _DaskApply(_DaskNamed, KeyedApply):
    """A :class:`~seedpool._task.call.KeyedApply` (``submit``) Dask can name and tokenize."""

    __slots__ = ("_token",)

    def __call__(self, /, *args: Any, **kwargs: Any) -> Any:
        if not _clients_hooked:
            _hook_clients()
        return run_keyed(self, 0, args, kwargs)


class _DaskUnder(_DaskNamed, KeyedUnder):
    """A :class:`~seedpool._task.call.KeyedUnder` (``delayed``: position first) Dask can
    name and tokenize."""

    __slots__ = ("_token",)

    def __call__(self, index: Any, /, *args: Any, **kwargs: Any) -> Any:
        if not _clients_hooked:
            _hook_clients()
        return run_keyed(self, index, args, kwargs)


# -- plain Client calls made inside a keyed task --------------------------------------------

_plain_submit = _DaskClient.submit
_plain_map = _DaskClient.map
_clients_hooked = False
_hook_lock = threading.Lock()


def _running_node() -> Any:
    """The running keyed task on this thread and its node, or (None, None)."""
    task = current_task()
    if task is None:
        return None, None
    return task, task.node()


def _is_actor(kwargs: dict[str, Any]) -> bool:
    return bool(kwargs.get("actor") or kwargs.get("actors"))


def _submit_in_task(self: Any, func: Any, /, *args: Any, **kwargs: Any) -> Any:
    """``distributed.Client.submit``, wrapped: inside a keyed task, the call is the task's
    next keyed call, ``task_node.child("tasks", k, 0)``."""
    if callable(func) and not isinstance(func, KeyedCall) and not _is_actor(kwargs):
        task, node = _running_node()
        if node is not None:
            func = _DaskApply(func, node, task.count(TASKS))
    return _plain_submit(self, func, *args, **kwargs)


def _map_in_task(self: Any, func: Any, /, *iterables: Any, **kwargs: Any) -> Any:
    """``distributed.Client.map``, wrapped: inside a keyed task, the call is the task's next
    keyed call, item i keyed ``task_node.child("tasks", k, i)``."""
    if callable(func) and not isinstance(func, KeyedCall) and not _is_actor(kwargs) and _sized(iterables):
        task, node = _running_node()
        if node is not None:
            keyed = _DaskCall(func, node, task.count(TASKS))
            return _plain_map(self, keyed, range(_length(iterables)), *iterables, **kwargs)
    return _plain_map(self, func, *iterables, **kwargs)


def _sized(iterables: tuple[Any, ...]) -> bool:
    # Iterators and queues: Dask's own map refuses them, with its own message.
    return all(hasattr(it, "__len__") for it in iterables)


def _length(iterables: tuple[Any, ...]) -> int:
    return min((len(it) for it in iterables), default=0)


def _hook_clients() -> None:
    """Wrap ``distributed.Client.submit`` / ``map`` once in this process (idempotent):
    a plain call made inside a keyed task is keyed under that task."""
    global _clients_hooked
    with _hook_lock:
        if not _clients_hooked:
            _DaskClient.submit = functools.wraps(_plain_submit)(_submit_in_task)  # type: ignore[method-assign,assignment]
            _DaskClient.map = functools.wraps(_plain_map)(_map_in_task)  # type: ignore[method-assign,assignment]
            _clients_hooked = True


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
        _hook_clients()


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

    def __init__(self, client: Optional[_DaskClient] = None, *, seed: SeedLike = None, **kwargs: Any) -> None:
        # Everything is validated before a cluster is started or a plugin registered.
        unknown = set(kwargs) - self._allowed_kwargs
        if unknown:
            # ClientExecutor's own message (a drop-in keeps it), raised before a cluster starts.
            raise TypeError(f"unsupported arguments to ClientExecutor: {sorted(unknown)}")
        if client is not None and not isinstance(client, _DaskClient):
            raise TypeError(f"client must be a distributed.Client or None (got {client!r} of type "
                            f"{type(client).__name__})")
        self._set_root(seed)
        self._own_cluster: Any = None
        if client is None:
            from distributed import LocalCluster

            n = default_processes()
            self._own_cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                             dashboard_address=None)
            client = _DaskClient(self._own_cluster)
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


class Client(KeyedTasks, _DaskClient):
    """Client(*args, seed=None, **kwargs)

    A drop-in ``distributed.Client`` whose ``submit`` and ``map`` tasks draw keyed random
    numbers.

    The layout is :class:`Executor`'s (and :class:`seedpool.ProcessPoolExecutor`'s): item
    ``i`` of the client's ``c``-th ``map`` runs with Python's ``random``, numpy's global
    state and :func:`seedpool.rng` seeded from ``root.child("tasks", c, i)``, its ``k``-th
    ``submit`` from ``root.child("tasks", k, 0)`` (``map`` and ``submit`` share the
    counter). So ``client.map(f, xs)`` gathers to ``list(Executor(client, seed=S).map(f,
    xs))`` and to ``list(seedpool.ProcessPoolExecutor(seed=S).map(f, xs))``, on any
    cluster, for any number of workers and threads, and again after a worker died.

    Tasks that submit tasks -- through ``get_client()``, ``worker_client()``, seceded or
    not -- key them under their own node: the running task's k-th such call is keyed
    ``task_node.child("tasks", k, i)``, so nested results do not depend on the outer or
    inner parallelism either.

    Parameters
    ----------
    *args, **kwargs
        As for ``distributed.Client`` (its ``address``, ``asynchronous``,
        ``LocalCluster`` keywords...).
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        The root, exposed as ``root``; ``None`` as for :class:`seedpool.Pool` (inside a
        keyed task, that task's next ``child("pools", k)``; under a process root, its
        next ``child("pools", k)``; else fresh entropy).

    Notes
    -----
    The position is an argument (``map``) or the call number is part of the function's
    token (``submit``), so ``pure=True`` tasks with equal arguments are distinct tasks
    where their positions differ, and one task where they are the same (the same keys
    give the same values). Dask actors (``actor=True``) and callables seedpool already
    keyed (an :class:`Executor`'s on this client) are sent as they are. Work submitted
    through ``compute`` / ``persist`` is keyed if it was built with :func:`delayed`.

    Examples
    --------
    >>> from distributed import LocalCluster                          # doctest: +SKIP
    >>> with LocalCluster(n_workers=2) as cluster, seedpool.dask.Client(cluster, seed=7) as client:
    ...     values = client.gather(client.map(random.random, range(4)))   # doctest: +SKIP
    """

    def __init__(self, *args: Any, seed: SeedLike = None, **kwargs: Any) -> None:
        if seed is not None:
            SeedTree(seed)  # a bad seed fails before the client connects
        super().__init__(*args, **kwargs)
        self._set_root(seed)
        # The keyed task this client was made in, if any: a call from any *other*
        # running task reached the client through worker_client() / get_client() (an
        # in-process cluster hands this very object to its tasks), and is keyed under
        # that task, as the wrapped plain Client's calls are.
        self._made_in = current_task()
        if not self.asynchronous:
            # Hooks in every worker before its first task (an asynchronous client
            # cannot wait here: its workers install them with their first keyed task).
            self.register_plugin(SeedpoolWorkerPlugin(), name=_PLUGIN_NAME)

    @staticmethod
    def _check(func: Any, what: str, kwargs: dict[str, Any]) -> None:
        """Dask's own checks, made before the call takes a number."""
        if not callable(func):
            raise TypeError(f"First input to {what} must be a callable function")
        other = kwargs.get("allow_other_workers", False)
        if other not in (True, False, None):
            raise TypeError("allow_other_workers= must be True or False")
        if other and kwargs.get("workers") is None:
            raise ValueError("Only use allow_other_workers= if using workers=")

    def submit(self, func, /, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        """``distributed.Client.submit`` (the same arguments and result), keyed: the
        client's k-th call (``submit`` or ``map``) runs seeded from
        ``root.child("tasks", k, 0)``. Dask actors and callables seedpool already keyed
        are submitted as they are."""
        self._check(func, "submit", kwargs)
        if not isinstance(func, KeyedCall) and not _is_actor(kwargs):
            task, node = self._nested()
            func = (_DaskApply(func, self.root, self._next_call()) if node is None
                    else _DaskApply(func, node, task.count(TASKS)))
        return super().submit(func, *args, **kwargs)

    def map(self, func, /, *iterables, **kwargs):  # type: ignore[no-untyped-def,override]
        """``distributed.Client.map`` (the same arguments and result), keyed: item ``i``
        of the client's c-th call (``submit`` or ``map``) runs seeded from
        ``root.child("tasks", c, i)``; the position is the task's first argument, so
        equal items are distinct tasks and ``batch_size`` keeps every item's key."""
        self._check(func, "map", kwargs)
        if isinstance(func, KeyedCall) or _is_actor(kwargs) or not _sized(iterables):
            return super().map(func, *iterables, **kwargs)  # as it is (Dask refuses iterators)
        task, node = self._nested()
        keyed = (_DaskCall(func, self.root, self._next_call()) if node is None
                 else _DaskCall(func, node, task.count(TASKS)))
        return super().map(keyed, range(_length(iterables)), *iterables, **kwargs)

    def _nested(self) -> tuple[Any, Any]:
        """The running keyed task and its node if this call comes from a task other than
        the one this client was made in, else (None, None)."""
        task, node = _running_node()
        if task is None or task is self._made_in:
            return None, None
        return task, node

    def __repr__(self) -> str:
        return super().__repr__().replace("<Client", "<seedpool.dask.Client", 1)


# -- seedpool.dask.delayed ---------------------------------------------------------------------

def _in_dask_worker() -> bool:
    """Whether the caller is a task running on a Dask worker (whose process root, if any,
    every worker shares)."""
    try:
        distributed.get_worker()
    except ValueError:
        return False
    return True


class _FuncDoc:
    """``__doc__`` that is the wrapped function's on an instance, ``doc`` on the class.

    A plain property would hide the class's own docstring (``help``, Sphinx), since
    ``type.__doc__`` calls the descriptor with no instance.
    """

    def __init__(self, doc: str) -> None:
        self.doc = doc

    def __get__(self, obj: Any, owner: Optional[type] = None) -> Optional[str]:
        return self.doc if obj is None else obj.func.__doc__


class SeededDelayed:
    __doc__ = _FuncDoc(  # type: ignore[assignment]
        """A seeded delayed function: what :func:`delayed` makes of a callable.

    Calling it builds a ``dask.delayed`` call, as ``dask.delayed(func)(*args)`` does,
    keyed by its construction order: the k-th call the constructing submitter builds
    (the running keyed task, else the process) computes with every RNG in use seeded
    from ``submitter.child("delayed", k)``. Do not create it directly: use
    :func:`delayed`.
    """
    )

    __slots__ = ("func", "name", "pure", "nout", "_keyed", "__weakref__")

    def __init__(self, func: Callable[..., Any], name: Optional[str], pure: Optional[bool],
                 nout: Optional[int]) -> None:
        self.func = func
        self.name = name
        self.pure = pure
        self.nout = nout
        self._keyed: Optional[_DaskUnder] = None
        # Dask's local schedulers run the calls in this process: with the hooks in, the
        # keyed call takes ``delayed(np.random.rand)``'s method as its hook.
        hooks.install()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        parent, k = next_position(DELAYED, process_root=not _in_dask_worker())
        keyed = self._keyed
        if keyed is None or keyed.root is not parent:
            # One keyed callable per parent (the process's is one object): Dask tokenizes
            # the function once, not per call.
            keyed = self._keyed = _DaskUnder(self.func, parent)
        leaf = dask.delayed(keyed, name=self.name, pure=self.pure, nout=self.nout)
        return leaf(k, *args, **kwargs)

    @property
    def __name__(self) -> str:
        return getattr(self.func, "__name__", type(self.func).__name__)

    @property
    def __wrapped__(self) -> Callable[..., Any]:
        return self.func

    def __repr__(self) -> str:
        return f"seedpool.dask.delayed({self.func!r})"


_MISSING: Any = object()


def delayed(obj: Any = _MISSING, /, name: Optional[str] = None, pure: Optional[bool] = None,
            nout: Optional[int] = None, traverse: bool = True) -> Any:
    """A drop-in ``dask.delayed`` whose function calls draw keyed random numbers.

    ``seedpool.dask.delayed(f)(*args)`` builds the same lazy call as
    ``dask.delayed(f)(*args)``, keyed by its *construction order*: the k-th call of a
    seeded delayed function built by one submitter -- the running keyed task, else the
    process (counting every seeded delayed function, in program order) -- computes with
    Python's ``random``, numpy's global state and :func:`seedpool.rng` seeded from
    ``submitter.child("delayed", k)``, on whatever scheduler and worker computes it. So
    a graph built the same way computes to the same numbers on the synchronous,
    threaded, multiprocessing and distributed schedulers, for any number of workers.

    In a process the submitter's node is the process root (:func:`seedpool.seed_everything`,
    ``SEEDPOOL_SEED``, ``seedpool run``); without one, each call is keyed by fresh
    entropy. Objects that are not callable (and Dask collections) go to ``dask.delayed``
    as they are.

    Parameters
    ----------
    obj : callable or object
        What ``dask.delayed`` takes. Omitted: a decorator with the other arguments
        (``@seedpool.dask.delayed(pure=True)``), as ``dask.delayed``'s currying allows.
    name, pure, nout, traverse
        As for ``dask.delayed``. With ``pure=True`` two calls share a task only if their
        positions and arguments are equal; the ``dask_key_name=`` / ``pure=`` keywords of
        a call work as in Dask.

    Returns
    -------
    SeededDelayed or dask.delayed.Delayed

    Examples
    --------
    >>> import dask, random, seedpool, seedpool.dask                      # doctest: +SKIP
    >>> seedpool.seed_everything(3)                                       # doctest: +SKIP
    >>> @seedpool.dask.delayed
    ... def noisy(x):
    ...     return x + random.random()
    >>> dask.compute(*[noisy(x) for x in range(4)], scheduler="threads")  # doctest: +SKIP
    """
    if obj is _MISSING:
        return functools.partial(delayed, name=name, pure=pure, nout=nout, traverse=traverse)
    if not callable(obj) or dask.is_dask_collection(obj) or isinstance(obj, SeededDelayed):
        return obj if isinstance(obj, SeededDelayed) else dask.delayed(obj, name=name, pure=pure, nout=nout,
                                                                       traverse=traverse)
    if not (nout is None or (type(nout) is int and nout >= 0)):
        raise ValueError(f"nout must be None or a non-negative integer, got {nout}")
    return SeededDelayed(obj, name, pure, nout)


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
