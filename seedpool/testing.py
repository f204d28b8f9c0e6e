"""Check your own parallel code against seedpool's contract: results must not depend on the schedule.

:func:`fuzz_schedules` runs a function over a list of items under randomly drawn
*schedules* -- engine (``seedpool.Pool``, ``ThreadPool``, both executors, the joblib
backends; Dask and Ray when asked for), worker count, chunk or batch size, ``map`` /
``imap`` / ``imap_unordered`` / ``submit``, start method, nesting inside another
engine's task, a killed worker -- and compares every result with a *serial reference*:
``fn(item)`` run in this process inside ``seedpool.task_scope(node)``, where ``node`` is
the item's key (``SeedTree(seed).child("tasks", call, position)``; see
``docs/contract.md``). A difference raises :class:`ScheduleDependenceError`, naming the
schedule, the item, both values and the schedule seed that replays the run.

For your own properties: :func:`schedules` (a Hypothesis strategy), :class:`Fuzzer`
(engines kept open between checks) and the ``seedpool_fuzz`` pytest fixture (a
session-wide :class:`Fuzzer`: ``pytest_plugins = ["seedpool.pytest_plugin"]`` in a
``conftest.py``).

``import seedpool.testing`` imports no engine package, no Hypothesis and no pytest;
``import seedpool`` does not import this module.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import reprlib
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

from . import _fuzz
from . import _fuzz_engines as _engines
from ._derive.bulk import BlockWords
from ._derive.keys import POOLS, TASKS
from ._derive.tree import SeedLike, SeedTree
from ._errors import ScheduleDependenceError
from ._fuzz import ENGINES as _INFO
from ._fuzz import SERIAL, Schedule
from ._task.task import task_scope

__all__ = [
    # Classes
    "Fuzzer",
    "FuzzReport",
    "Schedule",
    # Functions
    "fuzz_schedules",
    "schedules",
    "available_engines",
    # Constants
    "ENGINES",
    # Errors
    "ScheduleDependenceError",
]

#: Every engine name a schedule can use, in the order of the guide's table.
ENGINES: tuple[str, ...] = tuple(_INFO)

_MAX_PROCESS_ENGINES = 4  # process engines kept open at once (the others are closed)
_repr = reprlib.Repr()
_repr.maxstring = _repr.maxother = 160
_repr.maxlist = _repr.maxtuple = 12


def available_engines() -> tuple[str, ...]:
    """The engines whose packages are installed here (none of them is imported to answer).

    Returns
    -------
    tuple of str
        A subset of :data:`ENGINES`, in its order.

    Examples
    --------
    >>> from seedpool.testing import available_engines
    >>> "thread_pool" in available_engines()
    True
    """
    return tuple(name for name, info in _INFO.items()
                 if info.requires is None or importlib.util.find_spec(info.requires) is not None)


def _engines_arg(engines: Any) -> tuple[str, ...]:
    names = _fuzz.check_engines(engines)
    installed = available_engines()
    if engines is None:
        return tuple(n for n in names if n in installed)
    missing = [n for n in names if n not in installed]
    if missing and engines != "all":
        need = ", ".join(f"{n!r} needs {_INFO[n].requires}" for n in missing)
        extra = {"distributed": "dask"}.get(_INFO[missing[0]].requires or "", _INFO[missing[0]].requires)
        raise ImportError(f"engines: {need}, which is not installed here (pip install 'seedpool[{extra}]'), "
                          "or leave that engine out")
    return tuple(n for n in names if n in installed)


@dataclass(frozen=True)
class FuzzReport:
    """What a fuzz run ran: returned by :func:`fuzz_schedules` when no schedule made a difference.

    Attributes
    ----------
    schedules : tuple of Schedule
        Every schedule run, in order.
    engines : tuple of str
        The engines the run covered (as the schedule's engine or as an outer engine).
    seconds : float
        Wall time of the run, start-ups included.
    seed : SeedTree
        The root the tasks were keyed from.
    schedule_seed : int
        The seed the schedules were drawn from (pass it back to run them again).
    items : int
        How many items each schedule ran.
    """

    schedules: tuple[Schedule, ...]
    engines: tuple[str, ...]
    seconds: float
    seed: SeedTree
    schedule_seed: Optional[int]
    items: int

    @property
    def trials(self) -> int:
        """How many schedules ran."""
        return len(self.schedules)

    @property
    def nested(self) -> int:
        """How many schedules ran inside another engine's tasks."""
        return sum(s.outer is not None for s in self.schedules)

    @property
    def killed(self) -> int:
        """How many schedules killed a worker."""
        return sum(s.kill for s in self.schedules)

    def __str__(self) -> str:
        counts: dict[str, int] = {}
        for s in self.schedules:
            counts[s.engine] = counts.get(s.engine, 0) + 1
        per = ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))
        each = 1e3 * self.seconds / max(1, self.trials)
        return (f"{self.trials} schedules of {self.items} items, no difference, in {self.seconds:.2f} s "
                f"({each:.1f} ms each): {per}; {self.nested} nested, {self.killed} with a killed worker; "
                f"schedule seed {self.schedule_seed}")


def _same(a: Any, b: Any) -> bool:
    """Equality for results: NaN equals NaN, arrays compare by dtype, shape and values,
    containers item by item."""
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (float, np.floating)) and isinstance(b, (float, np.floating)) and a != a and b != b:
        return True  # both NaN
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # an object whose == is not a truth value
        return False


class Fuzzer:
    """A fuzzing session: engines stay open between schedules, checks and fuzz runs.

    Starting engines is most of a schedule's cost (a spawned pool takes seconds), so a
    session keeps one instance of each engine open -- at most four process engines at
    once -- and reuses it for any schedule with the same worker count, start method and
    root, with its call counter reset (every schedule is the engine's call 0). Dask's
    cluster and Ray are started the first time a schedule needs them, once per session.

    Use it as a context manager (or call :meth:`close`); the ``seedpool_fuzz`` pytest
    fixture is one session for a whole test run. Not thread-safe: one check at a time.

    Examples
    --------
    >>> import random
    >>> from seedpool.testing import Fuzzer, Schedule
    >>> def noisy(x):
    ...     return x + random.random()
    >>> schedule = Schedule("thread_pool", workers=3, method="imap_unordered")
    >>> with Fuzzer() as fuzzer:
    ...     fuzzer.check(noisy, range(8), schedule)
    ...     report = fuzzer.fuzz(noisy, range(8), trials=5, engines=["thread_pool"])
    >>> report.trials
    5
    """

    def __init__(self) -> None:
        self._open: dict[str, tuple[tuple[Any, ...], _engines.Engine]] = {}
        self._home = os.getpid()
        self._tmp: Optional[str] = None
        self._kills = 0
        self._dask: Any = None  # (cluster, client)
        self._ray_started = False
        self._closed = False

    # -- public ------------------------------------------------------------------------
    def fuzz(self, fn: Callable[[Any], Any], items: Iterable[Any], *, seed: SeedLike = 0, trials: int = 50,
             engines: Any = None, max_workers: int = 4, timeout: Optional[float] = None,
             schedule_seed: Optional[int] = None, nesting: Any = True, kill: bool = True,
             equal: Optional[Callable[[Any, Any], bool]] = None) -> FuzzReport:
        """Run ``fn`` over ``items`` under ``trials`` random schedules; see :func:`fuzz_schedules`.

        Parameters
        ----------
        fn, items, seed, trials, engines, max_workers, timeout, schedule_seed, nesting, kill, equal
            As for :func:`fuzz_schedules`.

        Returns
        -------
        FuzzReport
        """
        self._check_open()
        if not callable(fn):
            raise TypeError(f"fn must be callable (got {fn!r} of type {type(fn).__name__})")
        items = list(items)
        if not items:
            raise ValueError("items is empty: give the fuzzer at least one item to run fn on")
        for name, value in (("trials", trials), ("max_workers", max_workers)):
            if type(value) is not int:
                raise TypeError(f"{name} must be an int >= 1 (got {value!r} of type {type(value).__name__})")
            if value < 1:
                raise ValueError(f"{name} must be an int >= 1 (got {value!r})")
        _check_timeout(timeout)
        if schedule_seed is None:
            schedule_seed = secrets.randbits(32)
        elif type(schedule_seed) is not int or schedule_seed < 0:
            raise ValueError(f"schedule_seed must be None or an int >= 0 (got {schedule_seed!r})")
        names = _engines_arg(engines)
        if not names:
            raise ValueError(f"engines: none of {_fuzz.check_engines(engines)} is installed here")
        nesting = _nesting_arg(nesting)
        root = SeedTree(seed)
        chooser = _fuzz.RandomChooser(schedule_seed)
        references: dict[Any, list] = {}
        ran: list[Schedule] = []
        start = time.perf_counter()
        replay = (f"seedpool.testing.fuzz_schedules(fn, items, seed={_seed_text(root)}, "
                  f"schedule_seed={schedule_seed}, trials={{n}}, engines={list(names)!r}, "
                  f"max_workers={max_workers}, nesting={list(nesting) if isinstance(nesting, tuple) else nesting}, "
                  f"kill={kill})")
        for trial in range(trials):
            schedule = _fuzz.draw_schedule(chooser, names, max_workers, len(items), nesting=nesting, kill=kill,
                                           live=self._live(root))
            ran.append(schedule)
            try:
                self._check(fn, items, schedule, root, timeout, equal, references)
            except ScheduleDependenceError as error:
                error.trial = trial
                error.schedule_seed = schedule_seed
                error.report = self._report(ran, root, schedule_seed, len(items), start)
                error.args = (error.args[0] + f"\nreplay: {replay.format(n=trial + 1)}",)
                raise
            except TimeoutError as error:
                raise TimeoutError(f"{error} (trial {trial}); replay: {replay.format(n=trial + 1)}") from None
        return self._report(ran, root, schedule_seed, len(items), start)

    def check(self, fn: Callable[[Any], Any], items: Iterable[Any], schedule: Schedule, *, seed: SeedLike = 0,
              timeout: Optional[float] = None, equal: Optional[Callable[[Any, Any], bool]] = None) -> None:
        """Run ``fn`` over ``items`` under one ``schedule`` and compare with the serial reference.

        Parameters
        ----------
        fn : callable
            Called as ``fn(item)``; must pickle for process engines.
        items : iterable
        schedule : Schedule
            For example one drawn by :func:`schedules`.
        seed : int, str, bytes, sequence of int, SeedSequence or SeedTree
            The root the tasks are keyed from.
        timeout : float, optional
            Seconds the schedule may take.
        equal : callable, optional
            ``equal(got, expected) -> bool``; default: ``==``, with NaN equal to NaN and
            numpy arrays compared whole.

        Raises
        ------
        ScheduleDependenceError
            A result differs from the serial reference.
        TimeoutError
            The schedule took longer than ``timeout``.
        """
        self._check_open()
        if not isinstance(schedule, Schedule):
            raise TypeError(f"schedule must be a seedpool.testing.Schedule (got {schedule!r})")
        if not callable(fn):
            raise TypeError(f"fn must be callable (got {fn!r} of type {type(fn).__name__})")
        _check_timeout(timeout)
        _engines_arg([e for e in (schedule.engine, schedule.outer and schedule.outer.engine) if e])
        items = list(items)
        if not items:
            raise ValueError("items is empty: give the fuzzer at least one item to run fn on")
        try:
            self._check(fn, items, schedule, SeedTree(seed), timeout, equal, {})
        except ScheduleDependenceError as error:
            error.args = (error.args[0] + f"\nreplay: Fuzzer.check(fn, items, {schedule!r}, "
                                          f"seed={_seed_text(SeedTree(seed))})",)
            raise

    def close(self) -> None:
        """Close every engine this session opened (and Dask's cluster, and Ray if it started it)."""
        if self._closed:
            return
        self._closed = True
        for name in list(self._open):
            self._drop(name)
        if self._dask is not None:
            cluster, client = self._dask
            self._dask = None
            _engines._shared_client = None
            client.close()
            cluster.close()
        if self._ray_started:
            import ray  # type: ignore[import-not-found]

            ray.shutdown()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> Fuzzer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True) and getattr(self, "_home", None) == os.getpid():
            try:
                self.close()
            except Exception:  # noqa: BLE001 - at interpreter exit anything may be gone
                pass

    # -- one schedule ---------------------------------------------------------------------
    def _check(self, fn: Callable[[Any], Any], items: list, schedule: Schedule, root: SeedTree,
               timeout: Optional[float], equal: Optional[Callable[[Any, Any], bool]],
               references: dict[Any, list]) -> None:
        # Ray and Dask's client start in this thread, not in _within's helper: Ray binds
        # itself to the thread that initialised it.
        engines = {schedule.engine, schedule.outer.engine if schedule.outer else schedule.engine}
        if "ray" in engines:
            self._ray_init()
        if "dask" in engines:
            self._dask_client()
        got = self._within(timeout, schedule, lambda: self._run(fn, items, schedule, root))
        same = equal or _same
        outer_positions = range(_fuzz.OUTER_TASKS) if schedule.outer is not None else (None,)
        for j in outer_positions:
            results = got[j]
            key = (j, schedule.method == "submit")
            if key not in references:
                references[key] = _reference(fn, items, root, j, schedule.method == "submit")
            expected = references[key]
            positions = sorted(i for i, _ in results)
            if positions != list(range(len(items))):
                raise ScheduleDependenceError(
                    f"{schedule} returned results for positions {_repr.repr(positions)}, not for each of the "
                    f"{len(items)} items once", schedule=schedule, outer_position=j, seed=root)
            for i, value in sorted(results, key=lambda r: r[0]):
                if not same(value, expected[i]):
                    raise _difference(schedule, root, j, i, len(items), value, expected[i])

    def _run(self, fn: Callable[[Any], Any], items: list, schedule: Schedule, root: SeedTree) -> dict:
        pairs = list(enumerate(items))
        if schedule.outer is not None:
            o = schedule.outer
            inner = (schedule.engine, schedule.workers, schedule.method, schedule.chunksize, schedule.start_method)
            outer = self._engine(o.engine, o.workers, o.start_method, root)
            nested = _engines.Nested(inner, _engines.Call(_engines.portable(fn), None, self._home), pairs)
            out = outer.run(nested, [(j, None) for j in range(_fuzz.OUTER_TASKS)], "map", None)
            return dict(out)
        if schedule.engine == "dask":
            engine = _engines.open_engine("dask", schedule.workers, None, root, dask_client=self._dask_client(),
                                      pin=not schedule.kill)
            try:
                return {None: self._run_flat(engine, fn, pairs, schedule, root)}
            finally:
                engine.close()
        engine = self._engine(schedule.engine, schedule.workers, schedule.start_method, root)
        return {None: self._run_flat(engine, fn, pairs, schedule, root)}

    def _run_flat(self, engine: _engines.Engine, fn: Callable[[Any], Any], pairs: list, schedule: Schedule,
                  root: SeedTree) -> list:
        if not schedule.kill:
            return engine.run(_engines.Call(_engines.portable(fn), None, self._home), pairs, schedule.method, schedule.chunksize)
        self._kills += 1
        marker = os.path.join(self._tmpdir(), f"kill-{self._kills}")
        try:
            return engine.run(_engines.Call(_engines.portable(fn), marker, self._home), pairs, schedule.method, schedule.chunksize)
        except Exception as error:
            if not (os.path.exists(marker) and _engines.is_lost_worker(error)):
                raise
        # The engine does not retry (seedpool's pools and executors, joblib): run the lost
        # call again, as the caller would -- as the same call, on a working engine.
        if engine.usable():
            engine.reset()
        else:
            self._drop(schedule.engine)
            engine = self._engine(schedule.engine, schedule.workers, schedule.start_method, root)
        return engine.run(_engines.Call(_engines.portable(fn), None, self._home), pairs, schedule.method, schedule.chunksize)

    def _within(self, timeout: Optional[float], schedule: Schedule, work: Callable[[], Any]) -> Any:
        if timeout is None:
            return work()
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                box["value"] = work()
            except BaseException as error:  # noqa: BLE001 - handed to the caller below
                box["error"] = error

        thread = threading.Thread(target=target, name="seedpool-fuzz-schedule", daemon=True)
        thread.start()
        thread.join(timeout)
        if thread.is_alive():
            # Its engines may hold a task that never ends: close them without waiting.
            for name in {schedule.engine, schedule.outer.engine if schedule.outer else schedule.engine}:
                held = self._open.pop(name, None)
                if held is not None:
                    threading.Thread(target=held[1].close, daemon=True).start()
            raise TimeoutError(f"schedule {schedule} did not finish within {timeout} s")
        if "error" in box:
            raise box["error"]
        return box["value"]

    # -- engines ----------------------------------------------------------------------------
    def _engine(self, name: str, workers: int, start_method: Optional[str], root: SeedTree) -> _engines.Engine:
        key = (workers, start_method, root)
        held = self._open.get(name)
        if held is not None and held[0] == key:
            engine = held[1]
            engine.reset()
            self._open[name] = self._open.pop(name)  # most recently used last
            return engine
        if held is not None:
            self._drop(name)
        if _INFO[name].processes:
            # Keep at most a few process engines (and their workers) alive.
            open_processes = [n for n in self._open if _INFO[n].processes]
            for old in open_processes[: max(0, len(open_processes) - _MAX_PROCESS_ENGINES + 1)]:
                self._drop(old)
        engine = _engines.open_engine(name, workers, start_method, root)
        self._open[name] = (key, engine)
        return engine

    def _drop(self, name: str) -> None:
        held = self._open.pop(name, None)
        if held is not None:
            held[1].close()

    def _live(self, root: SeedTree) -> dict[str, tuple[int, Optional[str]]]:
        return {name: (key[0], key[1]) for name, (key, _) in self._open.items() if key[2] == root}

    def _dask_client(self) -> Any:
        if self._dask is None:
            from distributed import Client, LocalCluster

            cluster = LocalCluster(n_workers=_engines.DASK_WORKERS, threads_per_worker=2, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
            self._dask = (cluster, client)
            _engines._shared_client = client
        return self._dask[1]

    def _ray_init(self) -> None:
        import ray

        if not ray.is_initialized():
            # Logical CPUs, enough for a pool of every drawn size (an actor takes one).
            ray.init(num_cpus=max(16, os.cpu_count() or 1), include_dashboard=False, log_to_driver=False)
            self._ray_started = True

    def _tmpdir(self) -> str:
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix="seedpool-fuzz-")
        return self._tmp

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this Fuzzer is closed; make a new one")
        if os.getpid() != self._home:
            raise RuntimeError("a Fuzzer works in the process that made it (this is a child of it)")

    def _report(self, ran: list[Schedule], root: SeedTree, schedule_seed: Optional[int], n: int,
                start: float) -> FuzzReport:
        covered = {s.engine for s in ran} | {s.outer.engine for s in ran if s.outer is not None}
        return FuzzReport(tuple(ran), tuple(e for e in ENGINES if e in covered), time.perf_counter() - start,
                          root, schedule_seed, n)


# -- the serial reference -------------------------------------------------------------------------
def _reference(fn: Callable[[Any], Any], items: list, root: SeedTree, outer: Optional[int],
               submitted: bool) -> list:
    """``fn(item)`` per item in this process, each in ``task_scope`` of its key: the
    pools' ``root.child("tasks", call, position)``, under the outer task's
    ``node.child("pools", 0)`` when nested (docs/contract.md)."""
    base = root if outer is None else root.child(TASKS, 0, outer, POOLS, 0)
    calls = base.child(TASKS)
    block = None if submitted else BlockWords(calls.child(0))
    out = []
    for i, x in enumerate(items):
        if submitted:
            scope = task_scope(calls.child(i, 0), restore=True)
        else:
            scope = task_scope(calls.child(0, i), restore=True, words=functools.partial(block.get, i))  # type: ignore[union-attr]
        with scope:
            try:
                out.append(fn(x))
            except Exception as error:
                note = (f"raised by fn(items[{i}]) in seedpool.testing's serial reference: the fuzzer compares "
                        "results, so fn must succeed run serially")
                if hasattr(error, "add_note"):  # 3.11+
                    error.add_note(note)
                raise
    return out


def _key_text(root: SeedTree, outer: Optional[int], i: int, submitted: bool) -> str:
    path: list[Any] = [] if outer is None else [TASKS, 0, outer, POOLS, 0]
    path += [TASKS, i, 0] if submitted else [TASKS, 0, i]
    base = _seed_text(root)
    base = base if base.startswith("SeedTree(") else f"SeedTree({base})"
    return f"{base}.child({', '.join(map(repr, path))})"


def _seed_text(root: SeedTree) -> str:
    """``root`` as Python that rebuilds it: ``5``, or ``SeedTree(...).child(...)``."""
    if not root.path and isinstance(root.entropy, int):
        return str(root.entropy)
    text = f"SeedTree({root.entropy!r})"
    return text + (f".child({', '.join(map(repr, root.path))})" if root.path else "")


def _difference(schedule: Schedule, root: SeedTree, outer: Optional[int], i: int, n: int, got: Any,
                expected: Any) -> ScheduleDependenceError:
    where = f"item {i} of {n}" + (f" in outer task {outer}" if outer is not None else "")
    message = (f"fn's result depends on the schedule: {where} differs\n"
               f"  {SERIAL}:\n    {_repr.repr(expected)}\n"
               f"  {schedule}:\n    {_repr.repr(got)}\n"
               f"  the item's key: {_key_text(root, outer, i, schedule.method == 'submit')}")
    return ScheduleDependenceError(message, schedule=schedule, position=i, outer_position=outer, got=got,
                                   expected=expected, seed=root)


def _nesting_arg(nesting: Any) -> Any:
    if isinstance(nesting, bool):
        return nesting
    if nesting is None or isinstance(nesting, str) or not isinstance(nesting, Iterable):
        raise TypeError(f"nesting must be a bool or a sequence of engine names (got {nesting!r})")
    return _fuzz.check_engines(tuple(nesting), "nesting")


def _check_timeout(timeout: Any) -> None:
    if timeout is not None and not (isinstance(timeout, (int, float)) and not isinstance(timeout, bool)
                                    and timeout > 0 and timeout == timeout):
        raise ValueError(f"timeout must be None or a number of seconds > 0 (got {timeout!r})")


# -- the public functions -------------------------------------------------------------------------
def fuzz_schedules(fn: Callable[[Any], Any], items: Iterable[Any], *, seed: SeedLike = 0, trials: int = 50,
                   engines: Any = None, max_workers: int = 4, timeout: Optional[float] = None,
                   schedule_seed: Optional[int] = None, nesting: Any = True, kill: bool = True,
                   equal: Optional[Callable[[Any, Any], bool]] = None) -> FuzzReport:
    """Run ``fn`` over ``items`` under random schedules; raise if any result differs.

    Each trial draws a schedule (:class:`Schedule`: engine, worker count, chunk or batch
    size, ``map`` / ``imap`` / ``imap_unordered`` / ``submit``, start method, nesting,
    a killed worker), runs ``fn`` on every item that way, and compares each result with
    the serial reference: ``fn(item)`` in this process inside
    ``seedpool.task_scope(SeedTree(seed).child("tasks", call, position))`` -- the key the
    contract gives the item (``docs/contract.md``). Engines are started once and reused
    between trials where the schedule allows.

    Parameters
    ----------
    fn : callable
        Called as ``fn(item)``. For process engines it and the items must pickle (a
        lambda or closure is sent with dill / cloudpickle where the engine can).
    items : iterable
        The inputs; consumed once into a list.
    seed : int, str, bytes, sequence of int, SeedSequence or SeedTree
        The root the tasks are keyed from (``None``: fresh entropy, reported).
    trials : int
        How many schedules to run.
    engines : str or sequence of str, optional
        Names from :data:`ENGINES`. ``None``: the local engines installed here (the
        pools, executors and joblib backends); ``"all"``: every installed engine,
        Dask's ``LocalCluster`` and Ray included (each starts once, in seconds).
    max_workers : int
        Worker counts are drawn from 1 to this.
    timeout : float, optional
        Seconds one schedule may take (``None``: no limit).
    schedule_seed : int, optional
        The seed the schedules are drawn from; ``None`` draws a fresh one (reported in
        the :class:`FuzzReport` and in the error). The same seed, trial count, engines
        and ``max_workers`` run the same schedules in the same order.
    nesting : bool or sequence of str
        Draw schedules that run inside another engine's tasks (about one in four); a
        sequence of engine names: only those run nested (any of ``engines`` may be the
        outer one).
    kill : bool
        Draw schedules that kill a worker (about one in thirty of those on engines that retry or re-run a lost call).
    equal : callable, optional
        ``equal(got, expected) -> bool``; default: ``==``, NaN equal to NaN, numpy
        arrays compared whole, containers item by item.

    Returns
    -------
    FuzzReport
        What ran: the schedules, the engines covered, the time taken.

    Raises
    ------
    ScheduleDependenceError
        A schedule gave another result than the serial reference (an ``AssertionError``:
        pytest shows it as a failed assertion).
    TimeoutError
        A schedule took longer than ``timeout``.
    ImportError
        A named engine's package is not installed.

    See Also
    --------
    Fuzzer : keep engines open across several fuzz runs (the ``seedpool_fuzz`` fixture).
    schedules : the same schedules as a Hypothesis strategy.

    Examples
    --------
    A function that keys its randomness through seedpool passes:

    >>> import random
    >>> from seedpool.testing import fuzz_schedules
    >>> def noisy(x):
    ...     return x + random.random()
    >>> report = fuzz_schedules(noisy, range(16), trials=10, engines=["thread_pool", "thread_executor"])
    >>> report.trials
    10

    One that draws from a generator shared by every task does not:

    >>> shared = random.Random(0)
    >>> def leaky(x):
    ...     return x + shared.random()
    >>> fuzz_schedules(leaky, range(16), trials=10, engines=["thread_pool"], schedule_seed=1)
    Traceback (most recent call last):
    ...
    seedpool.testing.ScheduleDependenceError: fn's result depends on the schedule: item 0 of 16 differs
    ...
    """
    with Fuzzer() as fuzzer:
        return fuzzer.fuzz(fn, items, seed=seed, trials=trials, engines=engines, max_workers=max_workers,
                           timeout=timeout, schedule_seed=schedule_seed, nesting=nesting, kill=kill, equal=equal)


class _HypothesisChooser:
    """The drawing rules' chooser over a Hypothesis ``draw``; every choice shrinks towards
    the simplest schedule (the first engine, one worker, no nesting, no kill)."""

    def __init__(self, draw: Callable[[Any], Any]) -> None:
        from hypothesis import strategies as st

        self._draw = draw
        self._st = st

    def choice(self, options: Sequence[Any]) -> Any:
        return self._draw(self._st.sampled_from(tuple(options)))

    def integer(self, low: int, high: int) -> int:
        return int(self._draw(self._st.integers(low, high)))

    def chance(self, p: float) -> bool:
        return bool(self._draw(self._st.integers(0, 999)) >= round(1000 * (1 - p)))


def schedules(engines: Any = None, *, max_workers: int = 4, items: int = 32, nesting: Any = True,
              kill: bool = False) -> Any:
    """A Hypothesis strategy of :class:`Schedule`, drawn by the fuzzer's rules.

    Parameters
    ----------
    engines : str or sequence of str, optional
        As for :func:`fuzz_schedules`.
    max_workers : int
        Worker counts are drawn from 1 to this.
    items : int
        How many items the schedules will run (chunk sizes are drawn up to it).
    nesting : bool or sequence of str
        As for :func:`fuzz_schedules`.
    kill : bool
        Draw schedules that kill a worker (off by default here: each restarts a worker).

    Returns
    -------
    hypothesis.strategies.SearchStrategy
        Of :class:`Schedule`; shrinks towards one worker of the first engine, no nesting.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from seedpool.testing import Fuzzer, schedules
    >>> import random
    >>> fuzzer = Fuzzer()
    >>> @settings(max_examples=5, deadline=None)
    ... @given(schedules(["thread_pool", "thread_executor"]))
    ... def test_noisy(schedule):
    ...     fuzzer.check(lambda x: x + random.random(), range(8), schedule)
    >>> test_noisy()
    >>> fuzzer.close()
    """
    from hypothesis import strategies as st

    names = _engines_arg(engines)
    nesting = _nesting_arg(nesting)
    if type(max_workers) is not int or max_workers < 1:
        raise ValueError(f"max_workers must be an int >= 1 (got {max_workers!r})")
    if type(items) is not int or items < 1:
        raise ValueError(f"items must be an int >= 1 (got {items!r})")

    @st.composite
    def strategy(draw: Callable[[Any], Any]) -> Schedule:
        return _fuzz.draw_schedule(_HypothesisChooser(draw), names, max_workers, items, nesting=nesting, kill=kill)

    return strategy()


Schedule.__module__ = FuzzReport.__module__ = Fuzzer.__module__ = __name__
