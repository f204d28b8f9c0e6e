"""Running a :class:`~seedpool._fuzz.Schedule`: one adapter per engine, and what runs in the tasks.

Data flow (one schedule of ``seedpool.testing``)::

    fuzzer (this process)                         wherever the engine runs a task
    ---------------------                         -------------------------------
    pairs = [(0, x0), (1, x1), ...]
    engine = open or reused, call counter reset
    engine.run(Call(fn), pairs, method, chunk) ->  Call((i, x)): (i, fn(x)), an exception as
                                                   Raised; with kill set, the first task to
                                                   finish here SIGKILLs its own worker
    nested: outer.run(Nested(inner, Call(fn)),  -> Nested((j, _)): open the inner engine with
                      [(0, None), (1, None)])      seed=None, run Call(fn) over the pairs, close

Positions travel with the items, so results in completion order (``imap_unordered``,
``submit``) still say which item they answer; the engine keys each task by its own
position in the call, which is the same number. Nothing here imports an engine's
package at module level: a spawned worker that unpickles a :class:`Call` imports only
this module.
"""

from __future__ import annotations

import os
import signal
import warnings
from collections.abc import Sequence
from typing import Any, Callable, Optional

from ._engines.transport import _by_reference
from ._fuzz import ENGINES

__all__ = ["Call", "Carried", "Nested", "Raised", "Engine", "open_engine", "is_lost_worker", "portable"]

# Names of the errors an engine raises when one of its workers died (the classes live in
# packages this module does not import).
_LOST = frozenset(("WorkerLostError", "BrokenProcessPool", "BrokenExecutor", "TerminatedWorkerError"))
_RETURN_AS = {"map": "list", "imap": "generator", "imap_unordered": "generator_unordered"}
DASK_WORKERS = 2  # worker processes of the fuzzer's LocalCluster (2 threads each)


class Raised:
    """What a task's ``fn`` raised, as a value to compare (type and message)."""

    __slots__ = ("type", "message")

    def __init__(self, type_: str, message: str) -> None:
        self.type = type_
        self.message = message

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Raised) and (self.type, self.message) == (other.type, other.message)

    def __hash__(self) -> int:
        return hash((self.type, self.message))

    def __repr__(self) -> str:
        return f"<raised {self.type}: {self.message}>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Raised, (self.type, self.message))


class Call:
    """``(i, x) -> (i, fn(x))``: what an engine runs for each item.

    With ``kill`` (a file path) the first task to finish in a process other than
    ``home`` creates the file and kills its own process with SIGKILL -- after running
    ``fn``, so the lost task had drawn what it draws; the file makes it happen once per
    schedule, whichever worker gets there first.
    """

    __slots__ = ("fn", "kill", "home")

    def __init__(self, fn: Callable[[Any], Any], kill: Optional[str] = None, home: int = 0) -> None:
        self.fn = fn
        self.kill = kill
        self.home = home

    def __call__(self, pair: tuple[int, Any]) -> tuple[int, Any]:
        i, x = pair
        try:
            value = self.fn(x)
        except Exception as exc:  # noqa: BLE001 - an exception is a result to compare
            value = Raised(type(exc).__name__, str(exc))
        if self.kill is not None and os.getpid() != self.home:
            try:
                fd = os.open(self.kill, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                pass
            else:
                os.close(fd)
                os.kill(os.getpid(), signal.SIGKILL)
        return i, value

    def __reduce__(self) -> tuple[Any, ...]:
        return (Call, (self.fn, self.kill, self.home))


class Carried:
    """``fn`` travelling as bytes made once, in the fuzzer's process, and forwarded as they
    are: a lambda, a closure or a function of ``__main__`` then reaches a pool nested in a
    loky, Dask or Ray worker, where the copy the worker holds could not be pickled again.
    In the fuzzer's own process (thread engines) ``fn`` itself is called, so its globals
    are the module's, not a copy's.

    The bytes are cloudpickle's where it is installed (joblib, Dask and Ray bring it):
    it sends by value only what is not importable. dill, the fallback, also sends modules
    that are not installed in site-packages by value (an editable install of seedpool,
    say), which fails for a function that uses ``seedpool``.
    """

    __slots__ = ("fn", "payload")

    def __init__(self, fn: Optional[Callable[[Any], Any]], payload: Optional[tuple[str, bytes]] = None) -> None:
        self.fn = fn
        self.payload = payload

    def __call__(self, x: Any) -> Any:
        fn = self.fn
        if fn is None:
            fn = self.fn = _load(self.payload)  # type: ignore[arg-type]
        return fn(x)

    def __reduce__(self) -> tuple[Any, ...]:
        if self.payload is None:
            self.payload = _dumps(self.fn)
        return (Carried, (None, self.payload))


def _dumps(fn: Any) -> tuple[str, bytes]:
    try:
        import cloudpickle  # type: ignore[import-untyped]
    except ImportError:
        try:
            from joblib.externals import cloudpickle  # type: ignore[import-untyped,no-redef]
        except ImportError:
            import dill

            return "dill", dill.dumps(fn, recurse=True)
    return cloudpickle.__name__, cloudpickle.dumps(fn)


_loaded: dict[tuple[str, bytes], Any] = {}


def _load(payload: tuple[str, bytes]) -> Any:
    fn = _loaded.get(payload)
    if fn is None:
        import importlib

        if len(_loaded) >= 8:  # a long-lived worker sees one function per fuzz run
            _loaded.clear()
        fn = _loaded[payload] = importlib.import_module(payload[0]).loads(payload[1])
    return fn


def portable(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``fn`` as every engine can send it: itself if pickle sends it by reference from
    any process (a module's function), else :class:`Carried`."""
    if _by_reference(fn) and getattr(fn, "__module__", None) != "__main__":
        return fn
    return Carried(fn)


# The fuzzer's Dask client, for a Dask engine opened inside a task that runs in this
# process (a thread engine's): a client cannot travel to another process.
_shared_client: Any = None


class Nested:
    """An outer engine's task: open the inner engine with ``seed=None`` (so it is keyed
    under this task), run ``call`` over ``pairs`` as ``schedule`` says, close it."""

    __slots__ = ("inner", "call", "pairs")

    def __init__(self, inner: tuple[str, int, str, Optional[int], Optional[str]], call: Call,
                 pairs: Sequence[tuple[int, Any]]) -> None:
        self.inner = inner  # (engine, workers, method, chunksize, start_method)
        self.call = call
        self.pairs = pairs

    def __call__(self, pair: tuple[int, Any]) -> tuple[int, Any]:
        j = pair[0]
        name, workers, method, chunksize, start_method = self.inner
        if name.startswith("joblib"):
            # joblib lowers n_jobs to 1 inside a daemonic worker or below threads, and
            # says so: that is a schedule too, nothing to warn the fuzzer's user about.
            warnings.filterwarnings("ignore", message=r".*parallel loops cannot be", category=UserWarning)
        engine = open_engine(name, workers, start_method, None)
        try:
            return j, engine.run(self.call, self.pairs, method, chunksize)
        finally:
            engine.close()

    def __reduce__(self) -> tuple[Any, ...]:
        return (Nested, (self.inner, self.call, self.pairs))


def is_lost_worker(error: BaseException) -> bool:
    """Whether ``error`` is an engine's "a worker died" error."""
    return any(cls.__name__ in _LOST for cls in type(error).__mro__)


class Engine:
    """An open engine: ``run`` a call over pairs, ``reset`` its call counter, ``close``."""

    name = ""
    processes = False

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def run(self, call: Any, pairs: Sequence[tuple[int, Any]], method: str, chunksize: Optional[int]) -> list:
        raise NotImplementedError

    def reset(self) -> None:
        """Number calls from 0 again, so a reused engine keys its next call as call 0."""
        self.obj._init_calls()

    def usable(self) -> bool:
        """Whether a worker's death left it able to run another call."""
        return True

    def close(self) -> None:
        raise NotImplementedError


class _PoolEngine(Engine):
    """seedpool.Pool, seedpool.ThreadPool, seedpool.ray.Pool: the multiprocessing.Pool API."""

    def run(self, call: Any, pairs: Sequence[tuple[int, Any]], method: str, chunksize: Optional[int]) -> list:
        pool = self.obj
        if method == "map":
            return list(pool.map(call, pairs, chunksize))
        if method == "submit":
            pending = [pool.apply_async(call, (pair,)) for pair in pairs]
            return [r.get() for r in pending]
        return list(getattr(pool, method)(call, pairs, chunksize or 1))

    def usable(self) -> bool:
        watch = getattr(self.obj, "_seedpool_watch", None)
        return watch is None or watch.broken is None

    def close(self) -> None:
        self.obj.terminate()
        join = getattr(self.obj, "join", None)
        if join is not None:
            join()


class _ExecutorEngine(Engine):
    """seedpool's executors and seedpool.dask.Executor: the concurrent.futures API."""

    def run(self, call: Any, pairs: Sequence[tuple[int, Any]], method: str, chunksize: Optional[int]) -> list:
        ex = self.obj
        if method == "map":
            return list(ex.map(call, pairs, chunksize=chunksize or 1))
        futures = [ex.submit(call, pair) for pair in pairs]
        return [f.result() for f in futures]

    def usable(self) -> bool:
        return not getattr(self.obj, "_broken", False)

    def close(self) -> None:
        self.obj.shutdown(wait=True, cancel_futures=True)


class _DaskEngine(_ExecutorEngine):
    """One ``seedpool.dask.Executor`` per run (cheap; the cluster is the fuzzer's)."""

    def __init__(self, client: Any, workers: int, seed: Any, pin: bool) -> None:
        import seedpool.dask

        kwargs: dict[str, Any] = {"pure": False}  # never results cached from an earlier schedule
        if pin:
            # Fewer workers than the cluster has: pin the tasks to the first few.
            addresses = sorted(client.scheduler_info()["workers"])[:workers]
            kwargs.update(workers=addresses, allow_other_workers=False)
        super().__init__(seedpool.dask.Executor(client, seed=seed, **kwargs))

    def close(self) -> None:
        self.obj.shutdown(wait=True)


class _JoblibEngine(Engine):
    """A managed ``seedpool.joblib.Parallel`` (``with Parallel(...)``): its workers are kept
    between calls; batch size and ``return_as`` are set per call."""

    def __init__(self, backend: str, workers: int, seed: Any) -> None:
        from seedpool.joblib import Parallel

        par = Parallel(n_jobs=workers, backend=backend, seed=seed)
        par.__enter__()
        super().__init__(par)

    def run(self, call: Any, pairs: Sequence[tuple[int, Any]], method: str, chunksize: Optional[int]) -> list:
        from joblib import delayed  # type: ignore[import-untyped]

        par = self.obj
        # Read by joblib at each call (checked on joblib 1.3-1.6); the constructor checks
        # the same values, so set them as it would.
        par.batch_size = chunksize or "auto"
        par.return_as = _RETURN_AS[method]
        par.return_generator = par.return_as != "list"
        par.return_ordered = par.return_as != "generator_unordered"
        return list(par(delayed(call)(pair) for pair in pairs))

    def reset(self) -> None:
        self.obj._init_calls()  # seedpool.joblib numbers this object's calls from 0 again

    def usable(self) -> bool:
        return False  # after a dead worker, start over (joblib restarts loky's executor)

    def close(self) -> None:
        self.obj.__exit__(None, None, None)


def open_engine(name: str, workers: int, start_method: Optional[str], seed: Any, *,
                dask_client: Any = None, pin: bool = True) -> Engine:
    """Open engine ``name`` with ``workers`` workers, rooted at ``seed`` (None: as an engine
    opened with ``seed=None`` inside a task is)."""
    import multiprocessing

    import seedpool

    context = multiprocessing.get_context(start_method) if start_method else None
    engine: Engine
    if name == "pool":
        engine = _PoolEngine(seedpool.Pool(workers, context=context, seed=seed))
    elif name == "thread_pool":
        engine = _PoolEngine(seedpool.ThreadPool(workers, seed=seed))
    elif name == "process_executor":
        engine = _ExecutorEngine(seedpool.ProcessPoolExecutor(workers, mp_context=context, seed=seed))
    elif name == "thread_executor":
        engine = _ExecutorEngine(seedpool.ThreadPoolExecutor(workers, seed=seed))
    elif name.startswith("joblib_"):
        engine = _JoblibEngine(name[len("joblib_"):], workers, seed)
    elif name == "dask":
        client = dask_client if dask_client is not None else _shared_client
        if client is None:
            raise RuntimeError("the dask engine needs the fuzzer's client: it runs inside tasks of this "
                               "process only (seedpool._fuzz.can_nest)")
        engine = _DaskEngine(client, workers, seed, pin)
    elif name == "ray":
        import seedpool.ray

        engine = _PoolEngine(seedpool.ray.Pool(workers, seed=seed))
    else:
        raise ValueError(f"unknown engine {name!r}")
    engine.name = name
    engine.processes = ENGINES[name].processes
    return engine
