"""Schedules, and how they are drawn: shared by ``seedpool.testing`` and ``seedpool check --fuzz``.

A *schedule* is everything about a run that the contract (``docs/contract.md``) says a
result must not depend on: the engine, its worker count, the chunk or batch size, the
entry point (``map`` / ``imap`` / ``imap_unordered`` / ``submit``), the start method,
whether the work runs nested inside another engine's task, and whether a worker is
killed on the way. This module holds the engine table, the :class:`Schedule` record and
the drawing rules; it imports no engine (``seedpool._fuzz_engines`` runs schedules).

The drawing functions take a *chooser* -- ``choice(options)``, ``integer(lo, hi)`` and
``chance(p)`` -- so one set of rules serves a seeded ``random.Random`` (the fuzzer,
``seedpool check --fuzz``) and a Hypothesis ``draw`` (``seedpool.testing.schedules()``).

Standard library only: ``seedpool run``'s bootstrap imports this module in every
process of a ``seedpool check --fuzz`` run.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Optional, Protocol

__all__ = ["ENGINES", "ENV_FUZZ", "EngineInfo", "LOCAL_ENGINES", "METHODS", "Schedule", "RandomChooser",
           "available_start_methods", "can_nest", "draw_schedule", "draw_program_schedules",
           "program_label", "program_env", "fuzzed_classes", "check_engines"]

ENV_FUZZ = "SEEDPOOL_FUZZ"
METHODS = ("map", "imap", "imap_unordered", "submit")
NEST_CHANCE = 0.25  # of a schedule running inside another engine's tasks
KILL_CHANCE = 0.03  # of a worker being killed, where the engine has workers to kill
REUSE_CHANCE = 0.9  # of reusing an open engine's worker count and start method
OUTER_TASKS = 2  # tasks of the outer engine in a nested schedule, each opening the inner one
INNER_PROCESSES = 2  # at most this many workers for a process engine opened inside a task


@dataclass(frozen=True)
class EngineInfo:
    """One engine the fuzzer can run, and which schedule dimensions apply to it."""

    name: str
    label: str  # what it is, for messages and docs
    methods: tuple[str, ...]  # the entry points it has, by their schedule names
    processes: bool  # its tasks run in other processes (start methods, killed workers)
    start_methods: bool  # the start method is the fuzzer's to choose
    hosts_processes: bool  # a task of it may start processes (a process engine nested inside)
    killable: bool  # a killed worker is a schedule: the engine retries, or the call is re-run
    requires: Optional[str] = None  # the package it needs
    local: bool = True  # in the default set (Dask and Ray are opt-in: slow to start)
    inner: str = "any"  # "any"; "in_process": only inside tasks run in the fuzzer's process; "never"
    cap: Optional[int] = None  # at most this many workers (Dask: the fuzzer's cluster has 2)


_MAPS = ("map", "imap", "imap_unordered", "submit")
ENGINES: dict[str, EngineInfo] = {e.name: e for e in (
    EngineInfo("pool", "seedpool.Pool", _MAPS, True, True, False, True),
    EngineInfo("thread_pool", "seedpool.ThreadPool", _MAPS, False, False, True, False),
    EngineInfo("process_executor", "seedpool.ProcessPoolExecutor", ("map", "submit"), True, True, True, True),
    EngineInfo("thread_executor", "seedpool.ThreadPoolExecutor", ("map", "submit"), False, False, True, False),
    EngineInfo("joblib_loky", "seedpool.joblib.Parallel(backend='loky')", ("map", "imap", "imap_unordered"),
               True, False, True, True, "joblib"),
    EngineInfo("joblib_threading", "seedpool.joblib.Parallel(backend='threading')",
               ("map", "imap", "imap_unordered"), False, False, True, False, "joblib"),
    # joblib's multiprocessing backend returns lists only, and a dead worker hangs it.
    EngineInfo("joblib_multiprocessing", "seedpool.joblib.Parallel(backend='multiprocessing')", ("map",),
               True, False, False, False, "joblib"),
    EngineInfo("dask", "seedpool.dask.Executor on a distributed.LocalCluster", ("map", "submit"),
               True, False, False, True, "distributed", local=False, inner="in_process", cap=2),
    EngineInfo("ray", "seedpool.ray.Pool", _MAPS, True, False, False, False, "ray", local=False, inner="never"),
)}
LOCAL_ENGINES = tuple(name for name, e in ENGINES.items() if e.local)
# Engines whose tasks run in the calling process: an "in_process" engine (it needs the
# fuzzer's own Dask client) can be opened only inside these.
_IN_PROCESS_HOSTS = ("thread_pool", "thread_executor", "joblib_threading")


def check_engines(engines: Any, argument: str = "engines") -> tuple[str, ...]:
    """``engines`` as a tuple of known names: None = the local engines, "all" = every one."""
    if engines is None:
        return LOCAL_ENGINES
    if isinstance(engines, str):
        engines = tuple(ENGINES) if engines == "all" else (engines,)
    names = tuple(engines)
    unknown = [n for n in names if n not in ENGINES]
    if unknown or not names:
        raise ValueError(f"{argument} must name engines from {', '.join(map(repr, ENGINES))} (or be 'all' "
                         f"or None for the local ones); got {engines!r}")
    return tuple(dict.fromkeys(names))  # in order, once each


def _default_method() -> str:
    # Without fixing the global start method (get_context() with no argument would).
    return multiprocessing.get_start_method(allow_none=True) or multiprocessing.get_all_start_methods()[0]


def available_start_methods() -> tuple[str, ...]:
    return tuple(m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods())


def can_nest(outer: str, inner: str) -> bool:
    """Whether ``inner`` can be opened inside a task of ``outer``.

    Not where impossible, not where nothing new is tested: a process engine cannot start
    inside a daemonic worker (seedpool.Pool's, joblib multiprocessing's, Dask's) nor, by
    choice, inside a Ray actor (forking a Ray worker is unsafe); Dask only inside tasks
    that run in this process (it needs this process's client); Ray is never an inner
    engine (each would start its own actors, seconds apiece). joblib's loky backend is
    not opened inside a ``ProcessPoolExecutor`` worker or a Ray actor: with plain
    ``concurrent.futures`` and joblib 1.6 it hangs there under fork and fails its
    second executor under spawn (loky's semaphores), seedpool or not. (In a daemonic
    worker joblib runs loky's calls with one job, in the worker: that pair is drawn.)
    """
    o, i = ENGINES[outer], ENGINES[inner]
    if i.inner == "never":
        return False
    if inner == "joblib_loky" and outer in ("process_executor", "ray"):
        return False
    if i.inner == "in_process":
        return outer in _IN_PROCESS_HOSTS
    if i.processes and i.start_methods and not o.hosts_processes:
        return False
    return True


@dataclass(frozen=True)
class Schedule:
    """One way of running ``fn`` over the items: what the contract says must not matter.

    Drawn by :func:`seedpool.testing.fuzz_schedules` and
    :func:`seedpool.testing.schedules`, run by :meth:`seedpool.testing.Fuzzer.check`.

    Parameters
    ----------
    engine : str
        One of :data:`seedpool.testing.ENGINES` (``"pool"``, ``"thread_pool"``,
        ``"process_executor"``, ``"thread_executor"``, ``"joblib_loky"``,
        ``"joblib_threading"``, ``"joblib_multiprocessing"``, ``"dask"``, ``"ray"``).
    workers : int
        Worker processes or threads (``n_jobs`` for joblib; for Dask, how many of the
        cluster's workers the tasks may use).
    method : str
        ``"map"``, ``"imap"``, ``"imap_unordered"`` or ``"submit"`` (``apply_async`` for
        the pools; joblib's ``return_as`` "list", "generator", "generator_unordered").
    chunksize : int or None
        The chunk size (``batch_size`` for joblib); None: the engine's default.
    start_method : str or None
        ``"fork"``, ``"spawn"`` or ``"forkserver"`` for seedpool's process engines; None
        for the others (their own, or the default).
    outer : Schedule or None
        Nesting: this schedule runs inside each of two tasks of ``outer``'s engine, the
        inner engine opened there with ``seed=None``.
    kill : bool
        A worker is killed after running one of the tasks; the engine retries it (Dask),
        or the lost call is run again (seedpool's pools and executors, joblib).
    """

    engine: str
    workers: int = 1
    method: str = "map"
    chunksize: Optional[int] = None
    start_method: Optional[str] = None
    outer: Optional[Schedule] = None
    kill: bool = False

    def __post_init__(self) -> None:
        info = ENGINES.get(self.engine)
        if info is None:
            raise ValueError(f"engine must be one of {', '.join(map(repr, ENGINES))} (got {self.engine!r})")
        if type(self.workers) is not int or self.workers < 1:
            raise ValueError(f"workers must be an int >= 1 (got {self.workers!r})")
        if self.method not in info.methods:
            raise ValueError(f"method must be one of {info.methods} for engine {self.engine!r} "
                             f"(got {self.method!r})")
        if self.chunksize is not None and (type(self.chunksize) is not int or self.chunksize < 1):
            raise ValueError(f"chunksize must be None or an int >= 1 (got {self.chunksize!r})")
        if self.start_method is not None and (not info.start_methods
                                              or self.start_method not in ("fork", "spawn", "forkserver")):
            raise ValueError(f"start_method must be None{' or fork/spawn/forkserver' if info.start_methods else ''} "
                             f"for engine {self.engine!r} (got {self.start_method!r})")
        if self.outer is not None:
            if self.outer.outer is not None or self.outer.kill:
                raise ValueError("an outer schedule is one engine: no outer of its own, no kill")
            if not can_nest(self.outer.engine, self.engine):
                raise ValueError(f"{self.engine!r} cannot run inside a task of {self.outer.engine!r}")
            if self.kill:
                raise ValueError("a nested schedule kills no worker (kill=True needs outer=None)")

    def __str__(self) -> str:
        parts = [f"{self.workers} worker{'s' if self.workers != 1 else ''}"]
        if self.start_method:
            parts.append(self.start_method)
        text = f"{self.engine}[{', '.join(parts)}] {self.method}"
        text += f" chunksize={self.chunksize}" if self.chunksize is not None else " chunksize=default"
        if self.outer is not None:
            o = self.outer
            where = f"{o.workers} worker{'s' if o.workers != 1 else ''}" + (f", {o.start_method}" if o.start_method else "")
            text += f", inside {OUTER_TASKS} tasks of {o.engine}[{where}] (seed=None inside)"
        if self.kill:
            text += ", a worker killed"
        return text


#: The serial reference every schedule is compared with.
SERIAL = "serial reference (seedpool.task_scope per item, in this process)"


class Chooser(Protocol):
    def choice(self, options: Sequence[Any]) -> Any: ...
    def integer(self, low: int, high: int) -> int: ...
    def chance(self, p: float) -> bool: ...


class RandomChooser:
    """A :class:`Chooser` over ``random.Random(seed)``."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def choice(self, options: Sequence[Any]) -> Any:
        return options[self.random.randrange(len(options))]

    def integer(self, low: int, high: int) -> int:
        return self.random.randint(low, high)

    def chance(self, p: float) -> bool:
        return self.random.random() < p


def _chunksize(ch: Chooser, n_items: int) -> Optional[int]:
    # The engine's default, a few small sizes, and sizes that put everything in one or
    # two chunks (the schedules where "one worker ran it all" hides nothing).
    return ch.choice((None, 1, 2, 3, 5, max(1, n_items // 2), max(1, n_items)))


def _start_method(ch: Chooser) -> str:
    # The platform's default two times in three: spawn and forkserver pools start in
    # seconds (every worker imports numpy and seedpool), fork's in tens of milliseconds.
    default, methods = _default_method(), available_start_methods()
    others = tuple(m for m in methods if m != default)
    return default if not others or not ch.chance(1 / 3) else ch.choice(others)


def _one_engine(ch: Chooser, engine: str, max_workers: int, n_items: int, live: Mapping[str, Any],
                inner: bool = False) -> Schedule:
    info = ENGINES[engine]
    kept = live.get(engine)
    # Only engines with workers to start are worth reusing (a thread pool starts in ~1 ms).
    if kept is not None and not inner and info.processes and ch.chance(REUSE_CHANCE):
        workers, start = kept
    else:
        top = min(max_workers, INNER_PROCESSES) if inner and info.processes else max_workers
        top = min(top, info.cap or top)
        workers = ch.integer(1, top)
        # Inside a task a process engine is started per task: fork, the cheap one.
        start = (("fork" if "fork" in available_start_methods() else _start_method(ch)) if inner
                 else _start_method(ch)) if info.start_methods else None
    method = ch.choice(info.methods)
    # submit / apply_async send one item per call: no chunks.
    return Schedule(engine, workers, method, None if method == "submit" else _chunksize(ch, n_items), start)


def draw_schedule(ch: Chooser, engines: Sequence[str], max_workers: int, n_items: int, *,
                  nesting: Any = True, kill: bool = True, live: Optional[Mapping[str, Any]] = None) -> Schedule:
    """Draw one schedule over ``engines``.

    ``live`` maps an engine to the (workers, start method) of the instance the caller
    has open: with probability ``REUSE_CHANCE`` a top-level schedule reuses it, which
    amortises start-ups (a spawned pool costs seconds) without fixing any dimension.
    ``nesting`` is a bool, or the engines that may run nested inside another's tasks.
    """
    live = live or {}
    engine = ch.choice(tuple(engines))
    inners = engines if nesting is True else (nesting or ())
    if engine in inners and ch.chance(NEST_CHANCE):
        outers = tuple(o for o in engines if can_nest(o, engine))
        if outers:
            outer = _one_engine(ch, ch.choice(outers), max_workers, OUTER_TASKS, live)
            inner = _one_engine(ch, engine, max_workers, n_items, live, inner=True)
            return replace(inner, outer=Schedule(outer.engine, outer.workers, start_method=outer.start_method))
    schedule = _one_engine(ch, engine, max_workers, n_items, live)
    info = ENGINES[engine]
    # Only where a worker is another process that can die: joblib with one job runs here.
    if kill and info.killable and not (engine.startswith("joblib") and schedule.workers < 2) \
            and ch.chance(KILL_CHANCE):
        schedule = replace(schedule, kill=True)
    return schedule


# -- seedpool check --fuzz: schedules for a whole program --------------------------------------
def draw_program_schedules(seed: int, n: int, max_workers: int = 4) -> list[dict[str, Any]]:
    """``n`` schedules for ``seedpool check --fuzz``: worker count, chunk size, start method.

    The same rules as the fuzzer's (:func:`draw_schedule`), for the pools ``--pools``
    puts in the program's place; ``chunksize`` None leaves the program's own.
    """
    ch = RandomChooser(seed)
    out = []
    for _ in range(n):
        workers = ch.integer(1, max_workers)
        out.append({"workers": workers, "chunksize": _chunksize(ch, 4 * workers), "start_method": _start_method(ch)})
    return out


def program_label(schedule: Mapping[str, Any]) -> str:
    chunk = schedule.get("chunksize")
    return (f"workers={schedule['workers']} chunksize={'default' if chunk is None else chunk} "
            f"{schedule.get('start_method') or 'default'}")


def program_env(schedule: Mapping[str, Any]) -> dict[str, str]:
    """The environment a ``check --fuzz`` run gets: ``SEEDPOOL_FUZZ`` (read by the pools
    ``--pools`` installs) and ``SEEDPOOL_WORKERS`` (read by seedpool's own pools)."""
    return {ENV_FUZZ: json.dumps(dict(schedule), sort_keys=True), "SEEDPOOL_WORKERS": str(schedule["workers"])}


def _program_schedule() -> Optional[dict[str, Any]]:
    text = os.environ.get(ENV_FUZZ)
    if not text:
        return None
    try:
        data = json.loads(text)
        workers = int(data["workers"])
        chunk = data.get("chunksize")
        method = data.get("start_method")
        if workers < 1 or (chunk is not None and int(chunk) < 1) or method not in (None, *available_start_methods()):
            raise ValueError
    except (ValueError, TypeError, KeyError):
        raise ValueError(f"{ENV_FUZZ} is malformed (got {text!r}); expected the JSON seedpool check --fuzz "
                         'writes: {"workers": N, "chunksize": N or null, "start_method": "fork"...}') from None
    return {"workers": workers, "chunksize": None if chunk is None else int(chunk), "start_method": method}


def fuzzed_classes(pool: Any, executor: Any, thread_pool: Any, thread_executor: Any) -> tuple[Any, ...]:
    """Under ``seedpool check --fuzz`` (``SEEDPOOL_FUZZ`` set), subclasses of the four pools
    ``--pools`` installs that take their worker count, chunk size and (when the program
    leaves it to the default) start method from the drawn schedule; else the classes as
    they are."""
    schedule = _program_schedule()
    if schedule is None:
        return pool, executor, thread_pool, thread_executor
    workers, chunk, method = schedule["workers"], schedule["chunksize"], schedule["start_method"]

    def context(given: Any) -> Any:
        # multiprocessing.Pool() passes the default context itself: only a context with
        # another start method is the program's own choice, and kept.
        if method is None or (given is not None and given.get_start_method() != _default_method()):
            return given
        return multiprocessing.get_context(method)

    def chunked(cls: Any) -> dict[str, Any]:
        # Every public method that takes a chunk size, with it replaced (map calls
        # map_async: replaced twice, the same value).
        def wrap(name: str, default: Any) -> Any:
            base = getattr(cls, name)

            def method_(self: Any, func: Any, iterable: Any, chunksize: Any = default, *args: Any, **kw: Any) -> Any:
                return base(self, func, iterable, chunk if chunk is not None else chunksize, *args, **kw)

            method_.__name__ = name
            method_.__doc__ = base.__doc__
            return method_

        return {name: wrap(name, 1 if name.startswith("imap") else None)
                for name in ("map", "map_async", "starmap", "starmap_async", "imap", "imap_unordered")}

    def pool_init(self: Any, processes: Any = None, initializer: Any = None, initargs: Any = (),
                  maxtasksperchild: Any = None, context_: Any = None, **kw: Any) -> None:
        context_ = kw.pop("context", context_)
        pool.__init__(self, workers, initializer, initargs, maxtasksperchild, context(context_), **kw)

    def executor_init(self: Any, max_workers: Any = None, mp_context: Any = None, *args: Any, **kw: Any) -> None:
        # max_tasks_per_child refuses fork: such an executor keeps the context it has.
        keep = kw.get("max_tasks_per_child") is not None and method == "fork"
        executor.__init__(self, workers, mp_context if keep else context(mp_context), *args, **kw)

    def executor_map(self: Any, fn: Any, *iterables: Any, timeout: Any = None, chunksize: int = 1, **kw: Any) -> Any:
        return executor.map(self, fn, *iterables, timeout=timeout, chunksize=chunk or chunksize, **kw)

    def thread_pool_init(self: Any, processes: Any = None, *args: Any, **kw: Any) -> None:
        thread_pool.__init__(self, workers, *args, **kw)

    def thread_executor_init(self: Any, max_workers: Any = None, *args: Any, **kw: Any) -> None:
        thread_executor.__init__(self, workers, *args, **kw)

    out = []
    for base, body in ((pool, {"__init__": pool_init, **chunked(pool)}),
                       (executor, {"__init__": executor_init, "map": executor_map}),
                       (thread_pool, {"__init__": thread_pool_init, **chunked(thread_pool)}),
                       (thread_executor, {"__init__": thread_executor_init})):
        cls = type(base.__name__, (base,), {**body, "__doc__": base.__doc__, "__module__": base.__module__,
                                            "__qualname__": base.__qualname__})
        out.append(cls)
    return tuple(out)
