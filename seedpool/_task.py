"""Per-task seeding: run a piece of work with every RNG in use seeded from one node.

This is what makes a pool's results independent of its schedule: the task, not the
worker, owns the stream. Used by the pools (per task), the data-loader adapters (per
sample) and anything else that wants ``with task_scope(node): work()``.
"""

from __future__ import annotations

import contextlib
from typing import Iterator, Optional

import numpy as np

from . import _context
from ._backends import BACKENDS
from ._tree import SeedTree

__all__ = ["task_scope", "current_task_node"]

_current: Optional[SeedTree] = None


class _TaskRNG:
    """Creates the task's Generator on first ``seedpool.rng()`` call only."""

    __slots__ = ("node", "generator")

    def __init__(self, node: SeedTree) -> None:
        self.node = node
        self.generator: Optional[np.random.Generator] = None

    def __call__(self) -> np.random.Generator:
        if self.generator is None:
            self.generator = self.node.child("rng").generator()
        return self.generator


def current_task_node() -> Optional[SeedTree]:
    """The node of the task running now, or None outside a task scope."""
    return _current


@contextlib.contextmanager
def task_scope(node: SeedTree, *, restore: bool = False) -> Iterator[SeedTree]:
    """Seed every backend in use from ``node`` for the duration of the block.

    Python's ``random`` from ``node.child("python")``, numpy's global state from
    ``node.child("numpy")``, TensorFlow / torch (only if already imported) from their
    own children; ``seedpool.rng()`` returns ``node.child("rng").generator()``, created
    on first use.

    Parameters
    ----------
    node : SeedTree
        The task's node.
    restore : bool
        Put the global RNG states back as they were on exit (for work that runs in a
        process whose own stream must not be disturbed, e.g. a data loader with
        ``num_workers=0``).
    """
    global _current
    used = [b for b in BACKENDS.values() if b.name != "rng" and b.loaded()]
    saved = [(b, b.get_state()) for b in used] if restore else []
    for backend in used:
        backend.seed(node)
    previous_node, _current = _current, node
    previous_provider = _context.set_task_provider(_TaskRNG(node))
    try:
        yield node
    finally:
        _current = previous_node
        _context.set_task_provider(previous_provider)
        for backend, state in saved:
            backend.set_state(state)
