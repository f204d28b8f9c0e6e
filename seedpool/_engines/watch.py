"""A dead pool worker is an error, not a hang.

The standard ``multiprocessing.Pool`` replaces a worker that died (SIGKILL from the OOM
killer, a segfault in a C extension, ``os._exit``, ``sys.exit`` in a task) but the task
it held is never answered, so ``map``/``get``/``imap`` wait forever. Here a thread
watches the workers. Each worker writes to shared memory which task it holds (from the
moment it runs it until its result is in the pipe) and where it is in the pool's queues;
when one exits without having released its slot, the watch reads that and:

* held a task: fails that call's pending result with :class:`WorkerLostError`, through
  the pool's result queue, so the stdlib's result-handler thread applies it like any
  other result; the worker is replaced and the pool stays usable;
* was waiting for a task, holding the task queue's read lock: releases the lock for it
  (nothing was lost; without this every other worker, and ``terminate()``, would wait);
* died reading a task, or unpickling one before saying which: fails every pending call;
* died sending a result (holding the result queue's write lock, a partial message in
  the pipe), or while reading a task's bytes: the channel is out of step, so the pool
  is *broken*: every pending call fails, later calls raise, ``terminate()`` returns;
* died while starting (its initializer raised, or seeding failed): the stdlib would
  start a replacement forever, so the pool is broken the same way.
"""

from __future__ import annotations

import signal
import threading
from multiprocessing.pool import IMapIterator
from multiprocessing.reduction import ForkingPickler
from typing import Any, Optional

from .._compat import stdlib_pool as _std
from .._errors import WorkerLostError  # WorkerLostError: importable from here as before
from .slots import NO_TASK, QUEUE_ROWS, STARTING

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


_REPLACED = " The worker was replaced and the pool is still usable."
_BROKEN = (" The pool can run no more tasks: every pending call fails and later calls raise; "
           "terminate it (leaving its `with` block does) and create a new one.")


class WorkerWatch:
    """Watches one pool's workers from a daemon thread (holds no reference to the pool)."""

    def __init__(self, pool: Any, slots: Any, num_workers: int, tasks_tracked: bool = True,
                 started: Optional[list[Any]] = None) -> None:
        # In worker scope tasks go to the stdlib unwrapped: no worker says which task it
        # holds, so a death fails every pending call rather than leaving one to hang.
        self._tasks_tracked = tasks_tracked
        self._workers, self._cache, self._inqueue, self._outqueue, self._handler = _std.pool_parts(pool)
        self._notifier = _std.change_notifier(pool)
        self._slots = slots.get_obj()
        self._n = num_workers
        # call -> (job id, chunksize). Not the result object: holding it would keep its
        # values alive after the caller dropped them (bpo-29861, CPython's
        # test_release_task_refs); pool._cache maps a pending job to its result.
        self._tracked: dict[int, tuple[int, int]] = {}
        #: Why the pool can run no more tasks (None while it can).
        self.broken: Optional[str] = None
        self._broken_error: Optional[WorkerLostError] = None
        self._broken_direct = False
        self._failed_jobs: set[int] = set()
        self._seen: dict[int, Any] = {}
        # Appended to as the pool starts each worker (see _pool._Recording).
        self._started = started if started is not None else []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._scan_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="seedpool-worker-watch", daemon=True)
        self._thread.start()

    def track(self, call: int, result: Any, chunksize: int = 1) -> None:
        """Remember which result object answers ``call``."""
        with self._lock:
            self._tracked[call] = (_std.result_job(result), max(1, chunksize))

    def stop(self) -> None:
        """End the thread and wait for it (from ``Pool.join``/``terminate``), so a joined
        pool leaves no thread, and no reference to its processes, behind."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    def scan(self) -> None:
        """Look at the workers now (the thread does every ``_POLL`` s; ``terminate`` calls
        this first, so a lock a just-dead worker held is released before it is needed)."""
        with self._scan_lock:
            started = self._started
            while started:
                process = started.pop(0)
                if process.pid is not None:
                    self._seen.setdefault(process.pid, process)
            for process in list(self._workers):
                self._seen.setdefault(process.pid, process)
            for pid, process in list(self._seen.items()):
                exitcode = _std.exitcode_read_by_the_pool(process)
                if exitcode is None:
                    continue
                del self._seen[pid]
                # TERMINATE kills workers on purpose. Otherwise any exit counts unless the
                # worker released its slot on the way out (a clean retirement).
                if _std.worker_handler_state(self._handler) != _std.TERMINATE:
                    self._worker_exited(pid, exitcode)

    def _run(self) -> None:
        while True:
            self.scan()
            if self._broken_error is not None and self._cache:
                # A call made just before the pool was marked broken: fail it too.
                self._fail_all(self._broken_error, direct=self._broken_direct)
            with self._lock:
                for call, (job, _) in list(self._tracked.items()):
                    if job not in self._cache:
                        del self._tracked[call]
            if not self._handler.is_alive() and (not self._cache or (
                    _std.worker_handler_state(self._handler) == _std.TERMINATE and self.broken is None)):
                return
            if self._stop.wait(_POLL):
                return

    def _worker_exited(self, pid: int, exitcode: int) -> None:
        n, slots = self._n, self._slots
        slot = next((k for k in range(n) if slots[k] == pid), None)
        if slot is None:
            if exitcode > 0:
                # Never claimed a slot and exited with an error: it failed before the
                # pool's initializer ran (e.g. a spawned worker that cannot unpickle its
                # start-up arguments). Each replacement would fail the same way.
                self._break(f"seedpool.Pool worker (pid {pid}) {_describe_exit(exitcode)} while starting, "
                            "before it could run the pool's initializer (its traceback, if any, is on "
                            "stderr). The standard pool would start a replacement forever, so this pool "
                            "starts no more workers.", -1, pid, exitcode)
            return  # released its slot (clean exit) or never claimed one: no task held
        call, index, where = slots[2 * n + slot], slots[3 * n + slot], slots[4 * n + slot]
        what = f"seedpool.Pool worker {slot} (pid {pid}) {_describe_exit(exitcode)}"
        if where == STARTING:
            self._break(f"{what} while starting (in the pool's initializer, or while seeding it: its "
                        "traceback, if any, is on stderr). The standard pool would start a replacement "
                        "forever, so this pool starts no more workers.", slot, pid, exitcode)
            return
        slots[slot] = 0  # free the slot for the replacement, now that we have read it
        rlock, wlock = _std.queue_locks(self._inqueue)[0], _std.queue_locks(self._outqueue)[1]
        if where == _std.WAITING:
            # Blocked waiting for a task while holding the task queue's read lock: nothing
            # was taken from the queue. Release the lock it took with it.
            _std.release_for_dead(rlock)
            return
        if where == _std.RECEIVING:
            _std.release_for_dead(rlock)
            self._break(f"{what} while reading a task from the pool's task queue, which may now be "
                        "out of step.", slot, pid, exitcode)
            return
        if where == _std.SENDING:
            # It held the result queue's write lock with a partial message in the pipe:
            # no result can be read reliably any more. Release the lock, stop writing to
            # the pipe from here and close this end, so the result handler sees EOF once
            # the workers are gone (terminate/join then return).
            if wlock is not None:
                _std.release_for_dead(wlock)
            _std.close_writer(self._outqueue)
            self._break(f"{what} while sending a result: the pool's result channel is lost with it.",
                        slot, pid, exitcode, direct=True)
            return
        with self._lock:
            entry = self._tracked.pop(call, None) if (self._tasks_tracked and call != NO_TASK) else None
        if entry is not None and entry[0] in self._cache:
            job, chunksize = entry
            message = (f"{what} while running task {index} of call {call} (or sending its result); "
                       f"the results it held are lost.{_REPLACED}")
            self._fail(job, index // chunksize, WorkerLostError(message, slot, pid, exitcode, call, index))
            return
        if where != _std.UNPICKLING or not self._cache:
            return  # idle, holding no task and no lock: nothing lost
        # Worker scope (tasks not tracked), or the worker died before it could say which
        # task it held (e.g. while unpickling the next one): fail every pending call
        # rather than leave one to hang.
        reason = ("with scope='worker' tasks are not tracked" if not self._tasks_tracked
                  else "it died before saying which task it held")
        message = (f"{what}; {reason}, so every pending call fails (their results may be "
                   f"incomplete).{_REPLACED}")
        self._fail_all(WorkerLostError(message, slot, pid, exitcode))

    def _break(self, message: str, slot: int, pid: int, exitcode: int, direct: bool = False) -> None:
        """The pool can run no more tasks: fail everything pending, stop new workers."""
        self.broken = message + _BROKEN
        self._broken_error = WorkerLostError(self.broken, slot, pid, exitcode)
        self._broken_direct = direct
        _std.set_worker_handler_state(self._handler, _std.TERMINATE)  # no more respawns
        _std.wake_worker_handler(self._notifier)
        self._fail_all(self._broken_error, direct=direct)

    def _fail_all(self, error: WorkerLostError, direct: bool = False) -> None:
        for job, result in list(self._cache.items()):
            if job in self._failed_jobs:
                continue  # failed already; its answer may still be in the result queue
            self._failed_jobs.add(job)
            # Every part still outstanding (a map reports its error once all chunks are in).
            for _ in range(_std.outstanding(result)):
                if job not in self._cache:
                    break
                if direct:
                    self._fail_now(job, result, error)
                else:
                    self._fail(job, _std.result_position(result), error)

    def _fail_now(self, job: int, result: Any, error: WorkerLostError) -> None:
        """Fail a result here, not through the result queue (it cannot carry it)."""
        if isinstance(result, IMapIterator):  # also the unordered one
            _std.fail_iterator(result, self._cache, job, error)
        else:
            _std.fail_result(result, _std.result_position(result), error)

    def fail_pending(self, error: WorkerLostError) -> None:
        """Fail whatever is still pending (after ``terminate``: no handler will answer it)."""
        self._fail_all(error, direct=True)

    def _fail(self, job: int, position: int, error: WorkerLostError) -> None:
        """Fail one pending result."""
        result = self._cache.get(job)
        if result is None:
            return
        if isinstance(result, IMapIterator):
            # Its lost position is never going to be filled, so it would wait (and keep
            # the pool's join waiting) forever: end it here, under its own lock.
            _std.fail_iterator(result, self._cache, job, error)
            return
        # Through the result queue: the stdlib's handler thread applies it in order.
        if not self._put((job, position, (False, error))):
            # The write lock stayed held: treat the channel as lost (as for SENDING).
            self.broken = self.broken or (error.args[0] + _BROKEN)
            self._broken_error = WorkerLostError(self.broken, error.worker, error.pid, error.exitcode)
            self._broken_direct = True
            self._failed_jobs.discard(job)
            self._fail_all(self._broken_error, direct=True)

    def _put(self, message: Any) -> bool:
        """``outqueue.put`` that gives up if the write lock stays held (by a dead worker)."""
        queue = self._outqueue
        if getattr(queue, "_seedpool_closed", False):
            return False
        data = ForkingPickler.dumps(message)
        lock = _std.queue_locks(queue)[1]
        writer = _std.queue_writer(queue)
        if lock is None:
            writer.send_bytes(data)
            return True
        if not lock.acquire(timeout=_LOCK_TIMEOUT):
            return False
        try:
            writer.send_bytes(data)
        finally:
            lock.release()
        return True


assert QUEUE_ROWS == 5  # the rows read above: pid, incarnation, call, index, queue state
