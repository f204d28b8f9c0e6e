"""Private internals of ``multiprocessing.pool`` (and ``multiprocess.pool``, a fork of it).

Every access ``seedpool.Pool`` and its worker watch make to a private attribute of the
standard pool, its result objects or its queues goes through this module. Each is
commented with the CPython versions it was checked on: 3.9.18, 3.10.13, 3.11.7, 3.12.1,
3.13.0 (pyenv builds; ``multiprocess`` 0.70.x mirrors the same code).
"""

from __future__ import annotations

import multiprocessing.pool
import multiprocessing.queues
import queue
import select
import sys
from typing import Any, Callable

__all__ = [
    "RUN", "TERMINATE", "WAITING", "RECEIVING", "SENDING", "UNPICKLING", "pool_parts", "change_notifier",
    "wake_worker_handler", "outstanding", "worker_handler_state", "set_worker_handler_state", "result_job",
    "result_position", "fail_result", "fail_iterator", "swap_result_class", "queue_locks", "queue_writer",
    "reinit_held_lock", "watched_queue_class", "use_watched_queues", "use_thread_queues", "close_writer", "release_for_dead",
    "init_before_checks", "state_and_size", "check_running", "record_started_processes",
    "exitcode_read_by_the_pool",
]

# Module constants (3.9-3.13: the strings "RUN", "CLOSE", "TERMINATE"; multiprocess the same).
RUN: Any = multiprocessing.pool.RUN
TERMINATE: Any = multiprocessing.pool.TERMINATE


def init_before_checks(pool: Any) -> None:
    """What ``Pool.__init__`` sets first (``_pool = []``, ``_state = INIT``), so its
    ``__del__`` works when the arguments are refused: 3.9-3.13."""
    pool._pool = []
    pool._state = multiprocessing.pool.INIT


def check_running(pool: Any) -> None:
    """``Pool._check_running()``: ValueError("Pool not running") unless the pool takes
    work (3.8-3.13; seedpool.Pool overrides it to add its own check)."""
    pool._check_running()


def state_and_size(pool: Any) -> tuple[Any, int]:
    """(``_state``, ``len(_pool)``), as the stdlib's ``__repr__`` shows them: 3.9-3.13."""
    return pool._state, len(pool._pool)


def record_started_processes(pool: Any, factory: Any) -> None:
    """Route the pool's process creation through ``factory(ctx, *args, **kwds)``.

    The stdlib starts every worker as ``self.Process(ctx, ...)`` (a staticmethod, passed
    to ``_repopulate_pool_static`` and to the worker-handler thread): 3.9-3.13. An instance
    attribute shadows it.
    """
    pool.Process = factory


def pool_parts(pool: Any) -> tuple[list, dict, Any, Any, Any]:
    """(workers list, job cache, inqueue, outqueue, worker-handler thread) of a pool.

    ``_pool`` (list of Process, mutated in place), ``_cache`` (job id -> result object),
    ``_inqueue`` / ``_outqueue`` (SimpleQueue), ``_worker_handler`` (Thread): 3.9-3.13.
    """
    return pool._pool, pool._cache, pool._inqueue, pool._outqueue, pool._worker_handler


def change_notifier(pool: Any) -> Any:
    """The queue that wakes the worker-handler thread (``_change_notifier``, 3.8+): checked
    on 3.9-3.13."""
    return pool._change_notifier


def wake_worker_handler(notifier: Any) -> None:
    """Make the worker handler re-read its state now (it sleeps until a worker exits or this
    queue gets an item, what ``close``/``terminate`` put: ``None``): 3.9-3.13."""
    notifier.put(None)


def outstanding(result: Any) -> int:
    """How many answers a result still waits for: a MapResult's ``_number_left`` (it reports
    an error only once every chunk is answered), 1 for the others: 3.9-3.13."""
    return max(1, getattr(result, "_number_left", 1))


def exitcode_read_by_the_pool(process: Any) -> Any:
    """A worker's exit code, or None while it runs, without racing the pool's own poll.

    ``Process.exitcode`` polls. For a forkserver child, ``popen_forkserver.Popen.poll``
    (3.9-3.13, and ``multiprocess``'s copy) waits for the forkserver's pipe to be readable
    and then reads the exit code from it: when two threads poll at once, both see it
    readable, one reads the code and the other meets the closed pipe and overwrites the
    code with 255 ("perhaps the forkserver process itself got killed"). The pool's worker
    handler polls every worker each 0.1 s (``_join_exited_workers``); a second thread must
    read what it read (``_popen.returncode``) instead. Other start methods poll with
    ``os.waitpid``, which two threads can share.
    """
    popen = getattr(process, "_popen", None)
    if popen is not None and type(popen).__module__.endswith("popen_forkserver"):
        return popen.returncode
    return process.exitcode


def worker_handler_state(handler: Any) -> Any:
    """The pool's state as its handler threads see it (``thread._state``): 3.9-3.13."""
    return handler._state


def set_worker_handler_state(handler: Any, state: Any) -> None:
    """Stop the worker handler from starting workers (``_handle_workers`` loops while its
    thread's ``_state`` is RUN, or CLOSE with jobs pending): 3.9-3.13."""
    handler._state = state


def result_job(result: Any) -> int:
    """A result object's job id, its key in the pool's cache (``_job``): 3.9-3.13."""
    return result._job


def result_position(result: Any) -> int:
    """The next position an iterator waits for (``IMapIterator._index``), 0 for others."""
    return getattr(result, "_index", 0)


def fail_result(result: Any, position: int, error: BaseException) -> None:
    """Answer ``position`` of an ApplyResult/MapResult with ``error`` (``_set(i, (False, e))``,
    what the result handler does): 3.9-3.13. Runs callbacks and removes it from the cache."""
    result._set(position, (False, error))


class _Forgotten(dict):
    """Stands in for the pool's cache on an iterator already failed here."""

    def __delitem__(self, key: Any) -> None:
        pass


def fail_iterator(result: Any, cache: dict, job: int, error: BaseException) -> None:
    """End an IMapIterator (or the unordered one) with ``error`` at its next position.

    Its lost position is never going to be filled, so it would wait (and keep the pool's
    join waiting) forever. ``_cond`` (Condition), ``_items`` (deque of (ok, value)) and
    ``_cache`` (its pool's cache, deleted from by ``_set``/``_set_length``): 3.9-3.13.
    """
    with result._cond:
        result._items.append((False, error))
        result._cond.notify()
    cache.pop(job, None)
    result._cache = _Forgotten()  # later _set/_set_length must not KeyError


def swap_result_class(result: Any, classes: dict) -> Any:
    """Give a stdlib result object seedpool's subclass (same layout, ``get``/``next``
    translate timeouts). The stdlib builds these inside its methods; a ``__class__`` swap
    is the one way to reach them without re-implementing those methods. Layout checked
    identical (no ``__slots__``, plain instances) on 3.9-3.13."""
    cls = classes.get(type(result))
    if cls is not None:
        result.__class__ = cls
    return result


def queue_locks(queue: Any) -> tuple[Any, Any]:
    """(read lock, write lock) of a SimpleQueue: ``_rlock``, ``_wlock`` (None on Windows): 3.9-3.13."""
    return queue._rlock, queue._wlock


def queue_writer(queue: Any) -> Any:
    """The writing Connection of a SimpleQueue (``_writer``): 3.9-3.13."""
    return queue._writer


def reinit_held_lock(lock: Any) -> None:
    """Make a lock inherited through fork usable again in the child.

    ``_thread.lock`` / ``_thread.RLock._at_fork_reinit()`` (3.9+, what ``threading``
    uses for its own locks after fork): checked on 3.9-3.13. Only for a process with a
    single thread, just after fork.
    """
    reinit = getattr(lock, "_at_fork_reinit", None)
    if reinit is not None:
        reinit()


# -- the pool's queues, with the worker saying where it is in them --------------------------
#
# A worker that dies holding a queue's lock (SIGKILL while it waits for a task, or while it
# sends a result) takes the lock with it: every other worker, the next ``map`` and
# ``terminate()`` then wait forever. The watched queues below are the stdlib's SimpleQueue
# with ``get``/``put`` re-stated (same bytes, same locks; 3.9-3.13 bodies are identical) plus
# one store to shared memory around each step, so the parent knows what a dead worker held.

WAITING, RECEIVING, SENDING, UNPICKLING = 1, 2, 3, 4  # values of a worker's queue state


def watched_queue_class(base: type, mark: Callable[[int], None], sent: Callable[[], None],
                        close: Callable[[], None]) -> type:
    """``base`` (a SimpleQueue class) with ``get``/``put`` that report the worker's state
    through the callbacks the pool's engine passes: ``mark(state)`` (WAITING, RECEIVING,
    UNPICKLING, SENDING), ``sent()`` once a result is in the pipe, and ``close()`` when a
    run of tasks ends (the worker asks for work, or sends a chunk's result).

    ``_reader``, ``_writer``, ``_rlock``, ``_wlock`` and the module's ``_ForkingPickler``
    are the stdlib's SimpleQueue internals: 3.9-3.13 (multiprocess: the same).
    """
    module = sys.modules[base.__module__]
    pickler = module._ForkingPickler

    class WatchedSimpleQueue(base):  # type: ignore[misc,valid-type]
        _seedpool_closed = False

        def get(self) -> Any:
            close()  # a worker asking for work has left its last task
            with self._rlock:
                mark(WAITING)
                _wait_readable(self)  # consumes nothing: a death here loses nothing
                mark(RECEIVING)
                res = self._reader.recv_bytes()
            mark(UNPICKLING)  # the task's bytes are out of the pipe: a death now loses it
            task = pickler.loads(res)
            if task is None:
                mark(0)  # the sentinel: the worker is about to retire
            return task

        def put(self, obj: Any) -> None:
            if self._seedpool_closed:  # parent side, after the watch closed a broken channel
                return
            close()  # a worker's chunk is done: leave its last task before pickling the result
            obj = pickler.dumps(obj)
            if self._wlock is None:
                self._writer.send_bytes(obj)
            else:
                with self._wlock:
                    mark(SENDING)
                    self._writer.send_bytes(obj)
                    sent()

    WatchedSimpleQueue.__qualname__ = WatchedSimpleQueue.__name__ = f"Watched{base.__name__}"
    return WatchedSimpleQueue


def _wait_readable(queue: Any) -> None:
    """Block until a task's first byte is there, without consuming it (one ``poll``)."""
    poller = queue.__dict__.get("_seedpool_poller")
    if poller is None:
        if not hasattr(select, "poll"):
            return
        poller = queue._seedpool_poller = select.poll()  # not in SimpleQueue's pickled state
        poller.register(queue._reader.fileno(), select.POLLIN)
    while not poller.poll():
        pass


def use_watched_queues(pool: Any, context: Any, cls: type) -> None:
    """What ``Pool._setup_queues`` does (3.9-3.13: ``_inqueue``, ``_outqueue``,
    ``_quick_put = _inqueue._writer.send``, ``_quick_get = _outqueue._reader.recv``),
    with queues of class ``cls`` (see :func:`watched_queue_class`)."""
    ctx = context.get_context() if hasattr(context, "get_context") else context
    pool._inqueue = cls(ctx=ctx)
    pool._outqueue = cls(ctx=ctx)
    pool._quick_put = pool._inqueue._writer.send
    pool._quick_get = _tolerant_get(pool._outqueue._reader.recv, pool._outqueue)


def use_thread_queues(pool: Any, outqueue: Any) -> None:
    """What ``ThreadPool._setup_queues`` does (3.9-3.13: ``_inqueue`` and ``_outqueue``
    are ``queue.SimpleQueue``, ``_quick_put = _inqueue.put``, ``_quick_get =
    _outqueue.get``), with ``outqueue`` (a SimpleQueue subclass) as the result queue --
    the worker loop binds its ``put`` once and calls it after every task it runs."""
    pool._inqueue = queue.SimpleQueue()
    pool._outqueue = outqueue
    pool._quick_put = pool._inqueue.put
    pool._quick_get = outqueue.get


def _tolerant_get(get: Callable[[], Any], outqueue: Any) -> Callable[[], Any]:
    """The result handler's ``get``: once the watch has closed a broken result channel,
    whatever is left in the pipe ends the handler (EOFError, which ``_handle_results``
    expects: 3.9-3.13) instead of killing its thread with an unpickling error."""

    def tolerant_get() -> Any:
        try:
            return get()
        except (OSError, EOFError):
            raise
        except Exception:
            if outqueue._seedpool_closed:
                raise EOFError("seedpool: result channel closed") from None
            raise

    return tolerant_get


def close_writer(queue: Any) -> None:
    """Stop this process writing to ``queue`` and close its write end, so the reader sees
    EOF once the workers' ends close too."""
    queue._seedpool_closed = True
    try:
        queue._writer.close()
    except OSError:
        pass


def release_for_dead(lock: Any) -> bool:
    """Release a ``multiprocessing.Lock`` a dead process held.

    A ``Lock`` (``SemLock`` kind SEMAPHORE, maxvalue 1; unlike ``RLock``) may be released
    by any process: 3.9-3.13. False if it was not held.
    """
    try:
        lock.release()
        return True
    except ValueError:  # "semaphore or lock released too many times": it was free
        return False
