"""Task-keyed seeding on Ray: ``seedpool.ray.remote``, a drop-in ``ray.remote``, and
``seedpool.ray.Pool``, a drop-in ``ray.util.multiprocessing.Pool``.

``@seedpool.ray.remote`` (one seeded ``.remote()`` call)::

    submitter (driver, or a seeded task / actor method)      any Ray worker
    ---------------------------------------------------      --------------
    parent, k = next_position("remote")                      task(key, *args, **kwargs):
      in a keyed task: task_node.child("remote"), the          KeyedUnder(func, parent)
      task's k-th; else root.child("remote"), the              run as task k: every RNG in
      process's k-th (fresh entropy without a root)            use seeded from
    ray's RemoteFunction.remote(key, *args, **kwargs) ---->    parent.child(k), restoring
    key = bytes: (parent, record path, strict mode), k         the worker's own streams

The position travels as an argument, so a task Ray retries (a lost worker with
``max_retries``, ``retry_exceptions``) draws what its first attempt drew. An actor class
becomes a proxy class Ray runs: its ``__init__`` builds the user's instance as the
creation call's task (the actor's node ``parent.child(k)``), and its m-th method call
runs ``actor.child("calls", m)``, counted in the actor in the order Ray runs its calls.

``seedpool.ray.Pool``:

Data flow (one ``map`` call)::

    driver                                           any pool actor
    ------                                           --------------
    call = next(call counter)                        (at start: its worker lifecycle,
    func -> KeyedBatch(func, root, call)              seeded from root.child("workers",
    Ray's Pool: chunking, actors, results             slot, incarnation), then the user's
    (unchanged; items sent as they are)               initializer)
    each batch, in order:                   ---->    run_batch: for each item, in order,
      func -> func.batch(len(batch))                   KeyedBatch(x): i = start + k,
      (positions start .. start+len-1)                 root.child("tasks", call, i),
                                                       one task re-armed across the batch

The key layout is ``seedpool.Pool``'s, so ``seedpool.ray.Pool(n, seed=S).map(f, xs)``
equals ``seedpool.Pool(m, seed=S).map(f, xs)`` for any actor and process counts.

Ray gives every actor the same initializer arguments and no index, and runs each batch
with ``PoolActor.run_batch``, which calls the function once per item, in order: the two
private methods of Ray's pool this relies on are overridden in one place,
:class:`seedpool._compat.ray_pool.HookedPool` (``tests/test_ray.py`` compares every
method with ``seedpool.Pool``, so a Ray that changed either would fail there).

Imports ``ray`` when imported itself; ``import seedpool`` does not.
"""

from __future__ import annotations

import inspect
import itertools
import os
import pickle
from collections.abc import Iterable
from typing import Any, Callable, Optional

import ray
import ray.util.multiprocessing.pool as _raypool

from ._compat.ray_pool import HookedPool
from ._compat.ray_remote import in_worker_process
from ._derive.keys import CALLS, REMOTE
from ._derive.tree import SeedLike, SeedTree, index_child
from ._engines.common import ENV_WORKERS, KeyedTasks, check_scope, default_processes
from ._state import strict as _strict
from ._state.record import ENV_RECORD
from ._task.call import _HOOKS_FIRST, KeyedApply, KeyedBatch, KeyedUnder, run_keyed
from ._task.seed_arg import next_position
from ._task.worker import WorkerLifecycle, set_process_worker

__all__ = ["remote", "RemoteFunction", "ActorClass", "Pool"]


class _ActorStart:
    """The initializer an actor gets: start its worker lifecycle (seeded from its slot),
    which runs the user's initializer."""

    __slots__ = ("root", "scope", "slot", "incarnation", "num_workers", "initializer", "initargs", "record")

    def __init__(self, root: SeedTree, scope: str, slot: int, incarnation: int, num_workers: int,
                 initializer: Optional[Callable[..., Any]], initargs: Optional[Iterable[Any]],
                 record: Optional[str]) -> None:
        self.root = root
        self.scope = scope
        self.slot = slot
        self.incarnation = incarnation
        self.num_workers = num_workers
        self.initializer = initializer
        self.initargs = initargs
        self.record = record

    def __call__(self) -> None:
        worker = WorkerLifecycle(self.root, slot=self.slot, incarnation=self.incarnation,
                                 num_workers=self.num_workers, scope=self.scope, record=self.record)
        set_process_worker(worker)  # an actor is one process: worker_info() there is this
        worker.start(self.initializer, tuple(self.initargs or ()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_ActorStart, (self.root, self.scope, self.slot, self.incarnation, self.num_workers,
                              self.initializer, self.initargs, self.record))


class Pool(KeyedTasks, HookedPool):
    """Pool(processes=None, initializer=None, initargs=None, maxtasksperchild=None, context=None, ray_address=None, ray_remote_args=None, *, seed=None, scope="task")

    A drop-in ``ray.util.multiprocessing.Pool`` whose random results do not depend on
    the number of actors or the schedule.

    Tasks are keyed as in :class:`seedpool.Pool`: with ``scope="task"`` item ``i`` of
    the pool's ``c``-th call (``map``, ``imap``, ``apply_async``... share one counter)
    runs with Python's ``random``, numpy's global state and :func:`seedpool.rng`
    seeded from ``root.child("tasks", c, i)``. With ``scope="worker"`` each actor
    is seeded once from ``root.child("workers", slot, incarnation)``: its own
    slot ``0..processes-1`` (which Ray's pool does not give), and a new incarnation
    when ``maxtasksperchild`` replaces it.

    Parameters
    ----------
    processes, initializer, initargs, maxtasksperchild, context, ray_address, ray_remote_args
        As for ``ray.util.multiprocessing.Pool`` (``context`` is ignored, as there).
        ``processes=None`` means ``SEEDPOOL_WORKERS`` if set, else Ray's default (the
        cluster's CPUs). The user's ``initializer`` runs after the actor is seeded.
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        The root, exposed as ``root``; ``None`` as for :class:`seedpool.Pool`.
    scope : {"task", "worker"}
        As for :class:`seedpool.Pool`.

    Notes
    -----
    ``seedpool.worker_info()`` inside an actor describes it (its slot, incarnation and
    the pool's size). A joblib ``BatchedCalls`` sent through ``apply_async`` is run as one
    task, without Ray's object-store caching of its arguments.
    """

    def __init__(self, processes: Optional[int] = None, initializer: Optional[Callable[..., Any]] = None,
                 initargs: Optional[Iterable[Any]] = None, maxtasksperchild: Optional[int] = None,
                 context: Any = None, ray_address: Optional[str] = None,
                 ray_remote_args: Optional[dict[str, Any]] = None, *, seed: SeedLike = None,
                 scope: str = "task") -> None:
        # Validated before Ray starts or connects (Ray itself checks processes after),
        # and before a seed=None pool takes a number.
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        check_scope(scope)
        if processes is None and os.environ.get(ENV_WORKERS):
            processes = default_processes()
        if processes is not None and processes <= 0:
            raise ValueError("Processes in the pool must be >0.")
        self._set_root(seed, scope)
        self._record = os.environ.get(ENV_RECORD) or None
        self._seedpool_init = (initializer, None if initargs is None else tuple(initargs))
        self._seedpool_size = processes
        self._seedpool_incarnations: dict[int, int] = {}
        super().__init__(processes, initializer, initargs, maxtasksperchild, context, ray_address,
                         ray_remote_args)

    # -- the two hooks of seedpool._compat.ray_pool ------------------------------------------

    def _seedpool_actor_start(self, slot: int) -> tuple[Callable[..., Any], Any]:
        incarnation = self._seedpool_incarnations.get(slot, 0)
        self._seedpool_incarnations[slot] = incarnation + 1
        user_init, user_args = self._seedpool_init
        size = self._seedpool_size if self._seedpool_size is not None else self.actor_count() + 1
        return _ActorStart(self.root, self.scope, slot, incarnation, size, user_init, user_args,
                           self._record), None

    def _seedpool_batch(self, func: Any, size: int) -> Any:
        if isinstance(func, KeyedBatch):
            # Every batch of every method passes here, in the order its items were taken
            # from the iterable: the batch's positions are the next ``size``.
            return func.batch(size)
        return func

    # -- the one layer where tasks are wrapped -------------------------------------------

    def _task(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if self.scope != "task":
            return func
        self.check_running()
        return KeyedBatch(func, self.root, self._next_call(), self._record)

    def apply_async(self, func, args=None, kwargs=None, callback=None, error_callback=None):
        if self.scope == "task":
            self.check_running()
            func = KeyedApply(func, self.root, self._next_call(), self._record)
        return super().apply_async(func, args, kwargs, callback, error_callback)

    def map(self, func, iterable, chunksize=None):
        return super().map(self._task(func), iterable, chunksize)

    def map_async(self, func, iterable, chunksize=None, callback=None, error_callback=None):
        return super().map_async(self._task(func), iterable, chunksize, callback, error_callback)

    def starmap(self, func, iterable, chunksize=None):
        return super().starmap(self._task(func), iterable, chunksize)

    def starmap_async(self, func, iterable, callback=None, error_callback=None):
        return super().starmap_async(self._task(func), iterable, callback, error_callback)

    def imap(self, func, iterable, chunksize=1):
        return super().imap(self._task(func), iterable, chunksize)

    def imap_unordered(self, func, iterable, chunksize=1):
        return super().imap_unordered(self._task(func), iterable, chunksize)

    # Borrow Ray's docstrings, adding how seeding applies.
    for _name in ("apply_async", "map", "map_async", "starmap", "starmap_async", "imap", "imap_unordered"):
        locals()[_name].__doc__ = (getattr(_raypool.Pool, _name).__doc__ or "").rstrip() + (
            "\n\n        Seeding: each task is keyed by (this call's number on the pool, its index)."
        )
    del _name

    def __repr__(self) -> str:
        return (f"<seedpool.ray.Pool actors={self.actor_count()} scope={self.scope!r} "
                f"root={self.root!r}>")


# -- @seedpool.ray.remote ------------------------------------------------------------------

# The key travels as one ``bytes`` argument -- Ray sends bytes as they are, where a tuple
# holding a SeedTree would go through cloudpickle on every call (tens of microseconds of
# the driver's time) -- made of the pickled (parent, record path, strict mode), the same
# for every call of one submitter, then the position as 4 bytes.
_last_prefix: tuple[Any, Optional[str], Any, bytes] = (None, None, None, b"")
_unpacked: dict[bytes, tuple[SeedTree, Optional[str], Any]] = {}
_UNPACKED_MAX = 64


def _next_key() -> bytes:
    """The key of the calling submitter's next seeded ``.remote()``: its ``parent``, its
    position ``k`` (the call runs ``parent.child(k)``), the caller's record path and
    strict mode. In a Ray worker process outside a keyed task, the process root is every
    worker's (and the calls come in whatever order Ray runs tasks): fresh entropy then."""
    global _last_prefix
    parent, k = next_position(REMOTE, process_root=not in_worker_process())
    record = os.environ.get(ENV_RECORD) or None
    strict = _strict.current()
    last = _last_prefix
    if last[0] is not parent or last[1] != record or last[2] != strict:
        last = _last_prefix = (parent, record, strict, pickle.dumps((parent, record, strict), protocol=4))
    return last[3] + k.to_bytes(4, "little")


def _unpack(key: bytes) -> tuple[SeedTree, int, Optional[str], Any]:
    """``(parent, k, record, strict)`` from a key (its prefix unpickled once per worker)."""
    prefix = key[:-4]
    found = _unpacked.get(prefix)
    if found is None:
        if len(_unpacked) >= _UNPACKED_MAX:
            _unpacked.clear()
        found = _unpacked[prefix] = pickle.loads(prefix)
    parent, record, strict = found
    return parent, int.from_bytes(key[-4:], "little"), record, strict


class _Held:
    """The user's function or class inside what Ray pickles: unpickling it installs
    seedpool's hooks *before* the user's module is imported, so a ``from random import
    random`` there binds the hook in a Ray worker too."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_held, (_HOOKS_FIRST, self.obj))  # the keyed call's: hooks, then the object


def _rebuild_held(_hooks: None, obj: Any) -> _Held:
    return _Held(obj)


def _kind_error(obj: Any, where: str) -> Optional[str]:
    """Why ``obj`` cannot run as one keyed task (its body would run after the call
    returned, outside the task's scope), or None."""
    if inspect.iscoroutinefunction(obj) or inspect.isasyncgenfunction(obj):
        return (f"{where} is an 'async def': coroutines of many calls interleave on one thread, and "
                "seedpool's task scopes are per thread")
    if inspect.isgeneratorfunction(obj):
        return (f"{where} is a generator function: its body runs as Ray iterates it, after the call "
                "returned and its task scope closed")
    return None


def _task_function(func: Callable[..., Any]) -> Callable[..., Any]:
    """The function Ray runs for a seeded remote function: the key first, then the user's
    arguments, run as the keyed call's task on the worker's adopted lifecycle."""
    held = _Held(func)

    def task(key: bytes, /, *args: Any, **kwargs: Any) -> Any:
        parent, k, record, strict = _unpack(key)
        return run_keyed(KeyedUnder(held.obj, parent, record, strict), k, args, kwargs)

    # The user's name in Ray's dashboard and errors; the module stays seedpool's, so Ray
    # never loads the user's undecorated function by name in its place.
    task.__name__ = getattr(func, "__name__", "task")
    task.__qualname__ = getattr(func, "__qualname__", task.__name__)
    task.__doc__ = func.__doc__
    return task


def _signature(obj: Any, drop_first: bool = False) -> Optional[inspect.Signature]:
    """``obj``'s signature (without ``self``), to check a call's arguments before it takes
    a position; None where Python cannot tell (a builtin)."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    if drop_first:
        params = list(sig.parameters.values())[1:]
        sig = sig.replace(parameters=params)
    return sig


class _Submit:
    """What ``.options(...)`` returns: ``remote`` keyed as the seeded object's own."""

    __slots__ = ("_seeded", "_ray")

    def __init__(self, seeded: Any, ray_options: Any) -> None:
        self._seeded = seeded
        self._ray = ray_options

    def remote(self, *args: Any, **kwargs: Any) -> Any:
        return self._seeded._submit(self._ray, args, kwargs)

    def bind(self, *args: Any, **kwargs: Any) -> Any:
        return self._seeded.bind(*args, **kwargs)


class _KeyedSubmitter:
    """The submission both seeded remote functions and seeded actor classes make: the
    arguments checked against the signature first (a call Ray would refuse takes no
    position), then Ray's ``remote`` with the submitter's next key in front."""

    _signature: Any

    def _submit(self, target: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        sig = self._signature
        if sig is not None:
            sig.bind(*args, **kwargs)
        return target.remote(_next_key(), *args, **kwargs)


class RemoteFunction(_KeyedSubmitter):
    """A seeded remote function: what ``@seedpool.ray.remote`` makes of a function.

    ``f.remote(*args, **kwargs)`` submits ``f`` as Ray does, as the calling submitter's next
    seeded call: the k-th such call of the driver runs with every RNG in use seeded from
    ``root.child("remote", k)``; of a seeded task or actor method, from that task's
    ``node.child("remote", k)``. ``f.options(...)`` takes Ray's options and keys the same
    way. Do not create it directly: use :func:`remote`.

    Parameters
    ----------
    func : callable
        The function to run as a Ray task.
    options : dict
        Ray's ``@ray.remote`` options (``num_cpus=...``), as :func:`remote` received them.
    """

    def __init__(self, func: Callable[..., Any], options: dict[str, Any]) -> None:
        self._func = func
        self._signature = _signature(func)
        task = _task_function(func)
        self._remote_function: Any = ray.remote(**options)(task) if options else ray.remote(task)
        self.__name__ = getattr(func, "__name__", "remote_function")
        self.__qualname__ = getattr(func, "__qualname__", self.__name__)
        self.__module__ = getattr(func, "__module__", __name__)
        self.__doc__ = func.__doc__
        self.__wrapped__ = func

    def remote(self, *args: Any, **kwargs: Any) -> Any:
        """Submit the task, keyed as the calling submitter's next seeded call."""
        return self._submit(self._remote_function, args, kwargs)

    def options(self, **task_options: Any) -> _Submit:
        """Ray's ``options`` (the same arguments); ``.remote()`` on the result is keyed."""
        return _Submit(self, self._remote_function.options(**task_options))

    def bind(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"seedpool.ray.remote function {self.__qualname__!r} cannot be bound into a Ray DAG (.bind): a "
            "DAG may run many times, and each run's tasks need their own keys; use ray.remote for DAGs")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        name = f"{self.__module__}.{self.__name__}"
        raise TypeError(f"Remote functions cannot be called directly. Instead of running '{name}()', "
                        f"try '{name}.remote()'.")

    def __repr__(self) -> str:
        return f"<seedpool.ray.RemoteFunction {self.__module__}.{self.__qualname__}>"


class _ActorState:
    """What a seeded actor carries: the user's instance, its node's ``"calls"`` child and
    the count of method calls run so far (``next`` on ``itertools.count`` is atomic)."""

    __slots__ = ("obj", "calls", "count", "record", "strict")

    def __init__(self, obj: Any, calls: SeedTree, record: Optional[str], strict: Any) -> None:
        self.obj = obj
        self.calls = calls
        self.count = itertools.count()
        self.record = record
        self.strict = strict

    def call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        m = next(self.count)
        keyed = KeyedUnder(getattr(self.obj, name), self.calls, self.record, self.strict)
        return run_keyed(keyed, m, args, kwargs)


_STATE = "_seedpool_actor"


def _actor_init(self: Any, held: _Held, key: bytes, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    parent, k, record, strict = _unpack(key)
    obj = run_keyed(KeyedUnder(held.obj, parent, record, strict), k, args, kwargs)
    node = index_child(parent, k)
    self.__dict__[_STATE] = _ActorState(obj, node.child(CALLS), record, strict)


def _proxy_method(name: str, func: Callable[..., Any], owner: str) -> Callable[..., Any]:
    def method(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        return self.__dict__[_STATE].call(name, args, kwargs)

    method.__name__ = name
    method.__qualname__ = f"{owner}.{name}"
    method.__doc__ = func.__doc__
    # Ray reads a method's options (@ray.method: num_returns, concurrency_group...) and
    # its signature from the class it runs; give it the user's.
    method.__dict__.update(getattr(func, "__dict__", {}))
    sig = _signature(func)
    if sig is not None:
        method.__signature__ = sig  # type: ignore[attr-defined]
    return method


def _proxy_class(cls: type) -> type:
    """The class Ray runs for a seeded actor class: a proxy whose instance holds the
    user's instance, built as the creation call's task, and forwards each method call as
    the next call on the actor. Attributes not the proxy's are read from the user's
    instance (Ray's ``__ray_call__`` closures)."""
    held = _Held(cls)
    # The held class comes first in the class's namespace: it is unpickled (hooks
    # installed) before anything that imports the user's module.
    namespace: dict[str, Any] = {"_seedpool_held": held}

    def __init__(self: Any, key: bytes, /, *args: Any, **kwargs: Any) -> None:
        _actor_init(self, held, key, args, kwargs)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    namespace["__init__"] = __init__

    def __getattr__(self: Any, name: str) -> Any:
        try:
            state = self.__dict__[_STATE]
        except KeyError:
            raise AttributeError(name) from None
        return getattr(state.obj, name)

    namespace["__getattr__"] = __getattr__
    for name, func in _methods(cls):
        namespace[name] = _proxy_method(name, func, cls.__qualname__)
    if cls.__repr__ is not object.__repr__:
        def __repr__(self: Any) -> str:
            state = self.__dict__.get(_STATE)
            return object.__repr__(self) if state is None else repr(state.obj)

        namespace["__repr__"] = __repr__
    namespace["__module__"] = __name__
    namespace["__qualname__"] = cls.__qualname__
    namespace["__doc__"] = cls.__doc__
    return type(cls.__name__, (), namespace)


def _init_signature(cls: type) -> Optional[inspect.Signature]:
    """The arguments ``cls(...)`` takes (its ``__init__`` without ``self``)."""
    if cls.__init__ is object.__init__:  # type: ignore[misc]
        return inspect.Signature()
    return _signature(cls.__init__, drop_first=True)  # type: ignore[misc]


def _methods(cls: type) -> list[tuple[str, Callable[..., Any]]]:
    """The user's instance methods Ray exposes on the actor (not dunders: Ray calls
    ``__repr__`` and the like itself, and they are no method calls)."""
    found: list[tuple[str, Callable[..., Any]]] = []
    for name in dir(cls):
        if name.startswith("__") and name.endswith("__") and name != "__call__":
            continue
        raw = inspect.getattr_static(cls, name)
        if isinstance(raw, (staticmethod, classmethod)) or not inspect.isfunction(raw):
            continue
        found.append((name, raw))
    return found


class ActorClass(_KeyedSubmitter):
    """A seeded actor class: what ``@seedpool.ray.remote`` makes of a class.

    ``A.remote(*args, **kwargs)`` creates the actor as the calling submitter's next seeded
    call (the actor's node, ``submitter.child("remote", k)``: its ``__init__`` runs seeded
    from it), and returns Ray's own ``ActorHandle``. The actor's m-th method call -- in
    the order Ray runs them, which for one caller of an actor with ``max_concurrency=1``
    is the order they were called -- runs seeded from ``actor.child("calls", m)``. Do not
    create it directly: use :func:`remote`.

    Parameters
    ----------
    cls : type
        The class to run as a Ray actor.
    options : dict
        Ray's ``@ray.remote`` options (``num_cpus=...``), as :func:`remote` received them.
    """

    def __init__(self, cls: type, options: dict[str, Any]) -> None:
        proxy = _proxy_class(cls)
        self._cls = cls
        self._signature = _init_signature(cls)
        self._actor_class: Any = ray.remote(**options)(proxy) if options else ray.remote(proxy)
        self.__name__ = cls.__name__
        self.__qualname__ = cls.__qualname__
        self.__module__ = cls.__module__
        self.__doc__ = cls.__doc__
        self.__wrapped__ = cls

    def remote(self, *args: Any, **kwargs: Any) -> Any:
        """Create the actor, keyed as the calling submitter's next seeded call."""
        return self._submit(self._actor_class, args, kwargs)

    def options(self, **actor_options: Any) -> _Submit:
        """Ray's ``options`` (the same arguments); ``.remote()`` on the result is keyed."""
        return _Submit(self, self._actor_class.options(**actor_options))

    def bind(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"seedpool.ray.remote actor class {self.__qualname__!r} cannot be bound into a Ray DAG (.bind); "
            "use ray.remote for DAGs")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"Actors cannot be instantiated directly. Instead of '{self.__name__}()', use "
                        f"'{self.__name__}.remote()'.")

    def __repr__(self) -> str:
        return f"<seedpool.ray.ActorClass {self.__module__}.{self.__qualname__}>"


def _make_remote(obj: Any, options: dict[str, Any]) -> Any:
    if inspect.isclass(obj):
        for name, func in _methods(obj):
            why = _kind_error(func, f"method {obj.__qualname__}.{name}")
            if why is not None:
                raise TypeError(f"seedpool.ray.remote cannot key actor class {obj.__qualname__!r}: {why}. "
                                "Decorate it with ray.remote instead, or move that method's draws into a "
                                "plain method.")
        return ActorClass(obj, dict(options))
    if inspect.isfunction(obj):
        why = _kind_error(obj, f"function {obj.__qualname__!r}")
        if why is not None:
            raise TypeError(f"seedpool.ray.remote cannot key {why}. Decorate it with ray.remote instead, or "
                            "call a plain seeded function from it.")
        return RemoteFunction(obj, dict(options))
    raise TypeError("The @seedpool.ray.remote decorator must be applied to either a function or a class "
                    f"(got {obj!r} of type {type(obj).__name__}).")


def remote(*args: Any, **kwargs: Any) -> Any:
    """A drop-in ``ray.remote`` whose tasks and actors draw keyed random numbers.

    Use it as ``ray.remote``: ``@seedpool.ray.remote``, or with Ray's options,
    ``@seedpool.ray.remote(num_cpus=1, max_retries=3, ...)``, on a function or a class;
    ``.remote(...)`` and ``.options(...).remote(...)`` submit as Ray does and return
    Ray's own ``ObjectRef`` / ``ActorHandle``.

    Each seeded ``.remote()`` call is keyed by its *submitter* and its position: the
    k-th seeded ``.remote()`` the submitter makes -- counting every seeded function and
    actor class it calls, in program order -- runs with Python's ``random``, numpy's
    global state, :func:`seedpool.rng` (and torch / TensorFlow, if imported in the
    worker) seeded from ``submitter.child("remote", k)``. The submitter is

    * the driver: the process root (:func:`seedpool.seed_everything`,
      ``SEEDPOOL_SEED``, ``seedpool run``); fresh entropy for each call if none was set;
    * a seeded task or actor method: its own node, so nested calls are the same
      whatever the cluster's parallelism.

    An actor's ``__init__`` runs under the actor's node; its m-th method call (in the
    order the actor runs them) under ``actor.child("calls", m)``. The key is an
    argument of the task, so a retried task (``max_retries``, ``retry_exceptions``)
    draws exactly what its first attempt drew, on whatever worker.

    Parameters
    ----------
    *args, **kwargs
        As for ``ray.remote``: one function or class, or only Ray's options.

    Returns
    -------
    RemoteFunction or ActorClass
        Or, given only options, a decorator that makes one.

    Raises
    ------
    TypeError
        Not one function or class, or an ``async def`` / generator function or method
        (their bodies run after the call returns, outside its task): use ``ray.remote``.

    Examples
    --------
    >>> import random, ray, seedpool, seedpool.ray                # doctest: +SKIP
    >>> @seedpool.ray.remote(max_retries=2)
    ... def simulate(x):
    ...     return x + random.random()
    >>> seedpool.seed_everything(42)                               # doctest: +SKIP
    >>> ray.get([simulate.remote(x) for x in range(4)])            # doctest: +SKIP
    """
    if len(args) == 1 and not kwargs:
        return _make_remote(args[0], {})
    if args or not kwargs:
        raise TypeError(
            "seedpool.ray.remote must be applied either with no arguments and no parentheses "
            "('@seedpool.ray.remote') or with Ray's options only ('@seedpool.ray.remote(num_cpus=1)'); "
            f"got {len(args)} positional argument(s) and options {sorted(kwargs)}")
    options = dict(kwargs)

    def decorator(obj: Any) -> Any:
        return _make_remote(obj, options)

    return decorator
