"""Private internals of ``concurrent.futures.process`` that ``seedpool.ProcessPoolExecutor``
uses, each commented with the CPython versions it was checked on (3.9.18, 3.10.13,
3.11.7, 3.12.1, 3.13.0)."""

from __future__ import annotations

import concurrent.futures.process as _process
import functools
from typing import Any

__all__ = ["is_stdlib_chunk", "keep_alive_with_manager", "max_workers"]


def is_stdlib_chunk(fn: Any, task_type: type) -> bool:
    """Is ``fn`` one of the stdlib ``map``'s chunks of a ``task_type`` callable?

    ``Executor.map`` submits ``functools.partial(_process_chunk, fn)`` per chunk
    (``_process_chunk(fn, chunk)``): 3.9-3.13.
    """
    return (isinstance(fn, functools.partial) and fn.func is _process._process_chunk
            and isinstance(fn.args[0], task_type))


def max_workers(executor: Any) -> int:
    """An executor's thread or process count (``_max_workers``, set in ``__init__``, the
    stdlib's default filled in): 3.9-3.13."""
    return executor._max_workers  # type: ignore[no-any-return]


def keep_alive_with_manager(executor: Any, obj: Any) -> None:
    """Tie ``obj``'s lifetime to the executor's manager thread, not to the executor.

    The executor can be garbage-collected while its manager thread still starts workers
    and finishes the work (the stdlib supports ``res = ProcessPoolExecutor().map(...)``);
    whatever the workers unpickle at start (here: the shared slot array and its named
    lock) must live as long as that thread. ``_executor_manager_thread`` (set by
    ``_start_executor_manager_thread`` on first submit, a Thread that runs until the
    workers are joined): 3.9-3.13.
    """
    thread = getattr(executor, "_executor_manager_thread", None)
    if thread is not None and getattr(thread, "_seedpool_keep", None) is not obj:
        thread._seedpool_keep = obj
