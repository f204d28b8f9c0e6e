"""The slot table: which worker process holds which slot, task and queue, in shared memory.

Every worker of a pool receives the same ``initargs``, so nothing else could tell them
apart: a worker learns its slot by claiming a free one here at start-up. While it runs,
it writes which task it holds and where it is in the pool's queues, so that when it dies
the parent (:mod:`seedpool._engines.watch`) can name the lost task and release a queue
lock the dead worker held.

One shared int64 array, five rows of ``n`` (``n`` = the pool's size)::

    row 0  pid          0 = free slot
    row 1  incarnation  how many workers held the slot before (part of the worker's key)
    row 2  call         the task the worker holds (-1: none) ...
    row 3  index        ... its position in that call
    row 4  queue state  STARTING, IDLE, or a value of _compat.stdlib_pool (WAITING...)
"""

from __future__ import annotations

import os
import time
from typing import Any

__all__ = ["IDLE", "NO_TASK", "QUEUE_ROWS", "STARTING", "SlotRow", "claim", "make_slots", "release"]

QUEUE_ROWS = 5
NO_TASK = -1
IDLE, STARTING = 0, 5
_CLAIM_TIMEOUT = 60.0


def make_slots(context: Any, processes: int) -> Any:
    """A fresh table for ``processes`` workers (in the parent, before they start)."""
    slots = context.Array("q", QUEUE_ROWS * processes, lock=True)
    for k in range(2 * processes, 4 * processes):
        slots[k] = NO_TASK
    return slots


def claim(slots: Any, n: int) -> tuple[int, int]:
    """Take a free slot (pid 0) and bump its incarnation; returns ``(slot, incarnation)``.

    A slot is freed by its holder on a normal exit (:func:`release`) or, after an
    abnormal death, by the parent's worker watch once it has read which task the dead
    worker held -- so a replacement may wait here for a moment.
    """
    me = os.getpid()
    deadline = time.monotonic() + _CLAIM_TIMEOUT
    while True:
        with slots.get_lock():
            values = slots.get_obj()
            for slot in range(n):
                if values[slot] == 0:
                    values[slot] = me
                    incarnation = values[n + slot]
                    values[n + slot] = incarnation + 1
                    values[2 * n + slot] = values[3 * n + slot] = NO_TASK
                    values[4 * n + slot] = STARTING  # a death before start-up ends is no retirement
                    return slot, incarnation
        if time.monotonic() > deadline:
            raise RuntimeError(f"seedpool: no free worker slot among {n} after {_CLAIM_TIMEOUT} s (pid {me})")
        time.sleep(0.01)


def release(slots: Any, slot: int, pid: int, watched: bool = False) -> None:
    """Free the slot on the way out.

    In a watched pool (``seedpool.Pool``), only from a clean state: a worker that holds a
    task (``sys.exit`` or ``KeyboardInterrupt`` in it), never finished starting (its
    initializer raised) or is inside a queue keeps its slot claimed, and the parent's
    watch reports the death.
    """
    with slots.get_lock():
        values = slots.get_obj()
        n = len(values) // QUEUE_ROWS
        if values[slot] != pid:
            return
        if watched and (values[2 * n + slot] != NO_TASK or values[4 * n + slot] != IDLE):
            return
        values[slot] = 0


class SlotRow:
    """One worker's view of its slot: the three stores it makes per task, without a lock
    (only this worker writes its row; the parent reads it after the worker is dead)."""

    __slots__ = ("marker", "at_call", "at_index", "queue_at")

    def __init__(self, slots: Any, n: int, slot: int) -> None:
        # Through a memoryview: its item stores cost half a ctypes array's.
        self.marker = memoryview(slots.get_obj()).cast("B").cast("q")
        self.at_call, self.at_index, self.queue_at = 2 * n + slot, 3 * n + slot, 4 * n + slot

    def hold(self, call: int, index: int) -> None:
        """The worker holds task ``(call, index)``: received, until its result is sent."""
        marker = self.marker
        marker[self.at_call] = call
        marker[self.at_index] = index
        marker[self.queue_at] = IDLE

    def queue_state(self, value: int) -> None:
        """Where the worker is in the pool's queues."""
        self.marker[self.queue_at] = value

    def result_sent(self) -> None:
        """The worker's last result is in the pipe: it holds no task any more."""
        marker = self.marker
        marker[self.at_call] = NO_TASK
        marker[self.queue_at] = IDLE
