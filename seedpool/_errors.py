"""Every exception seedpool raises of its own, in one place.

Each also inherits the builtin (or stdlib) exception a user would already catch, so
``except ValueError`` / ``except RuntimeError`` / ``except multiprocessing.TimeoutError``
keep working::

    Exception
     +-- SeedpoolError                          base of seedpool's own errors
     |    +-- BackendUnavailableError(ImportError)   a backend's library is not installed
     |    +-- RecordError(ValueError)                a seed record file is malformed / foreign
     |    +-- WorkerLostError(RuntimeError)          a pool worker died while running a task
     |    +-- WorkerFailedError(RuntimeError)        seedpool.tensorflow: a launched worker failed
     |    +-- WorkerTimeoutError(TimeoutError)       seedpool.tensorflow: launched workers timed out
     |    +-- UnseededRandomnessError(RuntimeError)  strict mode ("error"): randomness escaped a task
     |    +-- ScheduleDependenceError(AssertionError) seedpool.testing: a result changed with the schedule
     +-- TimeoutError(multiprocessing.TimeoutError, multiprocess.TimeoutError)
                                                AsyncResult.get / IMapIterator.next timed out
                                                (a drop-in: deliberately not a SeedpoolError)
     +-- Warning
          +-- UserWarning
               +-- UnseededRandomnessWarning    strict mode ("warn"): randomness escaped a task

Where users find them: ``seedpool.X`` for the first five, ``TimeoutError`` and the two
strict-mode classes;
``seedpool.tensorflow.X`` for the launcher's two; ``seedpool.testing.ScheduleDependenceError``. The old import locations
(``seedpool._state.record.RecordError``, ``seedpool._engines.watch.WorkerLostError``,
``seedpool._engines.process_pool.TimeoutError``) re-import these classes.

``TimeoutError`` subclasses ``multiprocess.TimeoutError``, and ``import seedpool`` must
not import ``multiprocess``: it is built on first access (module ``__getattr__``), as
the pool modules that raise it import ``multiprocess`` anyway.

Every class here pickles with all its fields (workers raise them across processes).
"""

from __future__ import annotations

import warnings
from typing import Any, Optional

__all__ = [
    "SeedpoolError",
    "BackendUnavailableError",
    "RecordError",
    "WorkerLostError",
    "WorkerFailedError",
    "WorkerTimeoutError",
    "TimeoutError",
    "UnseededRandomnessError",
    "UnseededRandomnessWarning",
    "ScheduleDependenceError",
]


class SeedpoolError(Exception):
    """Base class of seedpool's own errors."""


class BackendUnavailableError(SeedpoolError, ImportError):
    """A backend was asked for by name, but its library is not installed."""


class RecordError(SeedpoolError, ValueError):
    """A seed record file is malformed, foreign, or of an unsupported version."""


class WorkerLostError(SeedpoolError, RuntimeError):
    """A pool worker died while running a task; that task's result is lost.

    Attributes
    ----------
    worker : int
        The worker's slot. ``pid`` and ``exitcode`` (negative: killed by that signal)
        describe the process; ``call`` and ``task_index`` the task it held.
    """

    def __init__(self, message: str, worker: Optional[int] = None, pid: Optional[int] = None,
                 exitcode: Optional[int] = None, call: Optional[int] = None,
                 task_index: Optional[int] = None) -> None:
        super().__init__(message)
        self.worker, self.pid, self.exitcode = worker, pid, exitcode
        self.call, self.task_index = call, task_index

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.args[0], self.worker, self.pid, self.exitcode, self.call, self.task_index))


class WorkerFailedError(SeedpoolError, RuntimeError):
    """A launched worker exited with an error; the other workers were killed.

    Attributes
    ----------
    worker_index : int
        The first failed worker (the lowest index among those seen failing together).
    returncodes : list of int or None
        Exit codes of all workers at the time of failure (None: still running, then killed).
    task_index : int
        Deprecated alias of ``worker_index`` (a "task index" elsewhere in seedpool is a
        task's position within a call).
    """

    def __init__(self, message: str, worker_index: int, returncodes: list[Optional[int]]) -> None:
        super().__init__(message)
        self.worker_index = worker_index
        self.returncodes = returncodes

    def __reduce__(self) -> tuple[Any, ...]:
        # BaseException pickles self.args (the message only); keep every field.
        return (type(self), (self.args[0], self.worker_index, self.returncodes))

    @property
    def task_index(self) -> int:
        warnings.warn(
            "WorkerFailedError.task_index is deprecated; use worker_index",
            DeprecationWarning, stacklevel=2,
        )
        return self.worker_index


class WorkerTimeoutError(SeedpoolError, TimeoutError):
    """The launched workers did not all finish before the deadline; all of them were killed."""


class UnseededRandomnessError(SeedpoolError, RuntimeError):
    """Strict mode (``"error"``): randomness inside a task escaped its keyed streams."""


class ScheduleDependenceError(SeedpoolError, AssertionError):
    """A function gave another result under some schedule than under the serial reference.

    Raised by :func:`seedpool.testing.fuzz_schedules` and
    :meth:`seedpool.testing.Fuzzer.check`. The message names both schedules, the
    first differing position, both values, and how to replay the run.

    Attributes
    ----------
    schedule : seedpool.testing.Schedule
        The schedule whose result differs.
    position : int
        The first item (in item order) whose result differs.
    outer_position : int or None
        For a nested schedule, the outer task the item ran in.
    got, expected : object
        The schedule's result and the serial reference's.
    seed : SeedTree
        The root the tasks were keyed from.
    schedule_seed : int or None
        The seed the fuzz run drew its schedules from (None for a single check).
    trial : int or None
        The failing schedule's index in the run: ``fuzz_schedules(..., schedule_seed=S,
        trials=trial + 1)`` with the same engines and ``max_workers`` runs the same
        schedules up to it.
    report : seedpool.testing.FuzzReport or None
        What the run had run, the failing schedule included.
    """

    def __init__(self, message: str, schedule: Any = None, position: Optional[int] = None,
                 outer_position: Optional[int] = None, got: Any = None, expected: Any = None, seed: Any = None,
                 schedule_seed: Optional[int] = None, trial: Optional[int] = None, report: Any = None) -> None:
        super().__init__(message)
        self.schedule, self.position, self.outer_position = schedule, position, outer_position
        self.got, self.expected, self.seed = got, expected, seed
        self.schedule_seed, self.trial, self.report = schedule_seed, trial, report

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.args[0], self.schedule, self.position, self.outer_position, self.got,
                             self.expected, self.seed, self.schedule_seed, self.trial, self.report))


class UnseededRandomnessWarning(UserWarning):
    """Strict mode (``"warn"``): randomness inside a task escaped its keyed streams."""


# Where each class is found publicly (pickle looks classes up by __module__ + name).
_cls: type
for _cls in (SeedpoolError, BackendUnavailableError, RecordError, WorkerLostError,
             UnseededRandomnessError, UnseededRandomnessWarning):
    _cls.__module__ = "seedpool"
for _cls in (WorkerFailedError, WorkerTimeoutError):
    _cls.__module__ = "seedpool.tensorflow"
ScheduleDependenceError.__module__ = "seedpool.testing"
del _cls

_timeout_error: Optional[type] = None


def _make_timeout_error() -> type:
    global _timeout_error
    if _timeout_error is None:
        import multiprocessing  # noqa: PLC0415  (deferred: multiprocess is not loaded by `import seedpool`)

        import multiprocess  # noqa: PLC0415

        class TimeoutError(multiprocessing.TimeoutError, multiprocess.TimeoutError):  # noqa: A001
            """Raised by ``get``/``next`` on timeout; catchable as either library's TimeoutError."""

        TimeoutError.__module__, TimeoutError.__qualname__ = "seedpool", "TimeoutError"
        _timeout_error = TimeoutError
    return _timeout_error


def __getattr__(name: str) -> Any:
    if name == "TimeoutError":
        return _make_timeout_error()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
