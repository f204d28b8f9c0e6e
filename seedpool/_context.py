"""Which numpy Generator ``seedpool.rng()`` returns: the task's, or the process's.

A pool worker installs a *task provider* for the duration of each task; outside tasks
the process-wide Generator (seeded by ``seed_everything``) is used.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from ._keys import RNG
from ._root import current_root
from ._tree import SeedTree

__all__ = ["rng", "set_global_rng", "set_current_rng", "global_rng", "set_task_provider", "task_provider"]

_global_rng: Optional[np.random.Generator] = None
# Set by the worker machinery while a task runs: returns that task's Generator.
_task_provider: Optional[Callable[[], np.random.Generator]] = None


def rng() -> np.random.Generator:
    """The ``numpy.random.Generator`` for the current context.

    Inside a task of a seedpool pool it is the task's own Generator (seeded from the
    task's node, created on first use). Elsewhere it is the process's Generator, seeded
    by :func:`seed_everything`; before any seeding it is seeded from ``SEEDPOOL_SEED``
    if set, fresh entropy otherwise.

    Returns
    -------
    numpy.random.Generator
    """
    if _task_provider is not None:
        return _task_provider()
    return global_rng()


def global_rng() -> np.random.Generator:
    """The process-wide Generator (created from the default tree on first use)."""
    global _global_rng
    if _global_rng is None:
        # From the process root if one was set; otherwise fresh entropy, without
        # recording a root (that would silently change what Pool(seed=None) does).
        _global_rng = (current_root() or SeedTree()).child(RNG).generator()
    return _global_rng


def set_global_rng(generator: Optional[np.random.Generator]) -> None:
    global _global_rng
    _global_rng = generator


def set_current_rng(generator: np.random.Generator) -> None:
    """Make ``generator`` what ``rng()`` returns in the current context: the running
    task's (so ``seed_everything`` / ``isolate`` inside a task reach it), else the
    process's."""
    if _task_provider is not None:
        _task_provider.generator = generator  # type: ignore[attr-defined]
    else:
        set_global_rng(generator)


def task_provider() -> Optional[Callable[[], np.random.Generator]]:
    """The running task's provider (a ``seedpool._task.Task``), or None outside tasks."""
    return _task_provider


def set_task_provider(provider: Optional[Callable[[], np.random.Generator]]) -> Any:
    """Install ``provider`` for ``rng()``; returns the previous one."""
    global _task_provider
    previous, _task_provider = _task_provider, provider
    return previous
