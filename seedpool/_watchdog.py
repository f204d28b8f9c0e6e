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
from multiprocessing.pool import IMapIterator
from multiprocessing.reduction import ForkingPickler
from typing import Any

from ._errors import WorkerLostError  # defined there; importable from here as before

__all__ = ["WorkerLostError", "WorkerWatch"]

_POLL = 0.1  # seconds between looks at the workers
_LOCK_TIMEOUT = 2.0  # seconds to wait for the result queue's write lock


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
            self._thread.join(timeout=10)

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
                # TERMINATE kills workers on purpose. Otherwise any exit counts unless the
                # worker released its slot on the way out: a retiring worker
                # (maxtasksperchild) does, os._exit(0) in a task does not.
                if self._handler._state != TERMINATE:
                    self._worker_exited(pid, exitcode)
            with self._lock:
                for call, (job, _) in list(self._tracked.items()):
                    if job not in self._cache:
                        del self._tracked[call]
            if not self._handler.is_alive() and (not self._cache or self._handler._state == TERMINATE):
                return
            if self._stop.wait(_POLL):
                return

    def _worker_exited(self, pid: int, exitcode: int) -> None:
        n, slots = self._n, self._slots
        slot = next((k for k in range(n) if slots[k] == pid), None)
        if slot is None:
            return  # released its slot (normal exit) or never claimed one: no task held
        call, index = slots[2 * n + slot], slots[3 * n + slot]
        slots[slot] = 0  # free the slot for the replacement, now that we have read it
        what = f"seedpool.Pool worker {slot} (pid {pid}) {_describe_exit(exitcode)}"
        with self._lock:
            entry = self._tracked.pop(call, None) if self._tasks_tracked else None
        if entry is not None and entry[0] in self._cache:
            job, chunksize = entry
            message = (
                f"{what} while running task {index} of call {call} (or receiving the task "
                "after it); the results it held are lost. The worker was replaced and the "
                "pool is still usable."
            )
            self._fail(job, index // chunksize, WorkerLostError(message, slot, pid, exitcode, call, index))
            return
        if not self._cache:
            return  # nothing pending: nothing lost
        # Worker scope (tasks not tracked), or the worker died before it could say which
        # task it held (e.g. while unpickling the next one): fail every pending call
        # rather than leave one to hang.
        reason = ("with scope='worker' tasks are not tracked" if not self._tasks_tracked
                  else "it died before saying which task it held")
        message = (
            f"{what}; {reason}, so every pending call fails (their results may be "
            "incomplete). The worker was replaced and the pool is still usable."
        )
        error = WorkerLostError(message, slot, pid, exitcode)
        for job, result in list(self._cache.items()):
            self._fail(job, getattr(result, "_index", 0), error)

    def _fail(self, job: int, position: int, error: WorkerLostError) -> None:
        """Fail one pending result."""
        result = self._cache.get(job)
        if result is None:
            return
        if isinstance(result, IMapIterator):  # also the unordered one
            # Its lost position is never going to be filled, so it would wait (and keep
            # the pool's join waiting) forever: end it here, under its own lock.
            with result._cond:  # type: ignore[attr-defined]  # stdlib IMapIterator privates
                result._items.append((False, error))  # type: ignore[attr-defined]
                result._cond.notify()  # type: ignore[attr-defined]
            self._cache.pop(job, None)
            result._cache = _Forgotten()  # type: ignore[attr-defined]  # later _set/_set_length must not KeyError
            return
        # Through the result queue: the stdlib's handler thread applies it in order.
        if not self._put((job, position, (False, error))):
            # The dead worker held the queue's write lock: no result can arrive any more.
            error.args = (error.args[0] + " The pool's result channel is lost with it "
                          "(it died while sending a result): terminate the pool.",)
            for other_job, other in list(self._cache.items()):
                if not isinstance(other, IMapIterator):
                    other._set(getattr(other, "_index", 0), (False, error))
                else:
                    self._fail(other_job, 0, error)

    def _put(self, message: Any) -> bool:
        """``outqueue.put`` that gives up if the write lock stays held (by a dead worker)."""
        queue = self._outqueue
        data = ForkingPickler.dumps(message)
        lock = getattr(queue, "_wlock", None)
        if lock is None:
            queue._writer.send_bytes(data)
            return True
        if not lock.acquire(timeout=_LOCK_TIMEOUT):
            return False
        try:
            queue._writer.send_bytes(data)
        finally:
            lock.release()
        return True


class _Forgotten(dict):
    """Stands in for the pool's cache on a result the watch has already failed."""

    def __delitem__(self, key: Any) -> None:
        pass
