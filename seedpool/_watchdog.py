"""A dead pool worker is an error, not a hang.

The standard ``multiprocessing.Pool`` replaces a worker that died (SIGKILL from the OOM
killer, a segfault in a C extension, ``os._exit``) but the task it held is never
answered, so ``map``/``get``/``imap`` wait forever. Here a thread watches the workers;
when one exits abnormally while the pool runs, it reads which task the worker held
(each worker writes its (call, index) to shared memory as a task starts) and fails that
call's pending result with :class:`WorkerLostError` -- through the pool's own result
queue, so the stdlib's result-handler thread applies it like any other result.

Like the standard pool, the worker is replaced and the pool stays usable.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any, Optional

from ._errors import SeedpoolError

__all__ = ["WorkerLostError", "WorkerWatch"]

_POLL = 0.1  # seconds between looks at the workers


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


def _describe_exit(exitcode: int) -> str:
    if exitcode < 0:
        try:
            return f"was killed by signal {-exitcode} ({signal.Signals(-exitcode).name})"
        except ValueError:
            return f"was killed by signal {-exitcode}"
    return f"exited with code {exitcode}"


class WorkerWatch:
    """Watches one pool's workers from a daemon thread (holds no reference to the pool)."""

    def __init__(self, pool: Any, slots: Any, num_workers: int, tasks_tracked: bool = True) -> None:
        # In worker scope tasks go to the stdlib unwrapped: no worker says which task it
        # holds, so a death fails every pending call rather than leaving one to hang.
        self._tasks_tracked = tasks_tracked
        self._workers = pool._pool  # the stdlib mutates this list in place
        self._cache = pool._cache
        self._outqueue = pool._outqueue
        self._handler = pool._worker_handler
        self._slots = slots.get_obj()
        self._n = num_workers
        # call -> (job id, chunksize). Not the result object: holding it would keep its
        # values alive after the caller dropped them (bpo-29861, CPython's
        # test_release_task_refs); pool._cache maps a pending job to its result.
        self._tracked: dict[int, tuple[int, int]] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="seedpool-worker-watch", daemon=True)
        self._thread.start()

    def track(self, call: int, result: Any, chunksize: int = 1) -> None:
        """Remember which result object answers ``call``."""
        with self._lock:
            self._tracked[call] = (result._job, max(1, chunksize))

    def stop(self) -> None:
        """End the thread and wait for it (from ``Pool.join``/``terminate``), so a joined
        pool leaves no thread, and no reference to its processes, behind."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        from multiprocessing.pool import TERMINATE

        seen: dict[int, Any] = {}
        while True:
            for process in list(self._workers):
                seen.setdefault(process.pid, process)
            for pid, process in list(seen.items()):
                exitcode = process.exitcode
                if exitcode is None:
                    continue
                del seen[pid]
                # exit code 0 is a normal retirement (maxtasksperchild); TERMINATE kills
                # workers on purpose.
                if exitcode != 0 and self._handler._state != TERMINATE:
                    self._worker_died(pid, exitcode)
            with self._lock:
                for call, (job, _) in list(self._tracked.items()):
                    if job not in self._cache:
                        del self._tracked[call]
            if not self._handler.is_alive() and (not self._cache or self._handler._state == TERMINATE):
                return
            if self._stop.wait(_POLL):
                return

    def _worker_died(self, pid: int, exitcode: int) -> None:
        n, slots = self._n, self._slots
        slot = next((k for k in range(n) if slots[k] == pid), None)
        if slot is None:
            return  # released its slot (normal exit) or never claimed one: no task held
        call, index = slots[2 * n + slot], slots[3 * n + slot]
        slots[slot] = 0  # free the slot for the replacement, now that we have read it
        if not self._tasks_tracked:
            self._fail_all_pending(slot, pid, exitcode)
            return
        with self._lock:
            entry = self._tracked.pop(call, None)
        if entry is None or call < 0:
            return  # held no task, or its last task's call already finished
        job, chunksize = entry
        if job not in self._cache:
            return
        message = (
            f"seedpool.Pool worker {slot} (pid {pid}) {_describe_exit(exitcode)} while running "
            f"task {index} of call {call}; the results it held are lost. The worker was "
            "replaced and the pool is still usable."
        )
        error = WorkerLostError(message, slot, pid, exitcode, call, index)
        # Through the result queue: the stdlib's handler thread applies it in order.
        self._outqueue.put((job, index // chunksize, (False, error)))

    def _fail_all_pending(self, slot: int, pid: int, exitcode: int) -> None:
        message = (
            f"seedpool.Pool worker {slot} (pid {pid}) {_describe_exit(exitcode)}; with "
            "scope='worker' tasks are not tracked, so every pending call fails (its "
            "results may be incomplete). The worker was replaced and the pool is still usable."
        )
        error = WorkerLostError(message, slot, pid, exitcode)
        for job, result in list(self._cache.items()):
            # An ordered imap answers its next position; any index fails the others.
            position = getattr(result, "_index", 0)
            self._outqueue.put((job, position, (False, error)))
