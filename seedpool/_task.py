"""Per-task seeding: run a piece of work with every RNG in use seeded from one node.

This is what makes results independent of the schedule: the task, not the worker, owns
the stream. The pools use the same machinery per task; the data-loader adapters use
``with task_scope(node): ...`` per sample or batch.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Iterator, Optional

from . import _context, _lazy
from ._backends import BACKENDS
from ._tree import SeedTree
from ._words import TaskRNG, WordsFn, node_words

__all__ = ["task_scope", "current_task_node"]

_EAGER = ("tensorflow", "torch")  # no way to hook their draws: seeded up front, if imported
_current: Optional[SeedTree] = None


def current_task_node() -> Optional[SeedTree]:
    """The node of the ``task_scope`` running now, or None outside one."""
    return _current


@contextlib.contextmanager
def task_scope(node: SeedTree, *, restore: bool = False, words: Optional[WordsFn] = None) -> Iterator[SeedTree]:
    """Seed every backend in use from ``node`` for the duration of the block.

    Python's ``random`` from ``node.child("python")``, numpy's global state from
    ``node.child("numpy")`` and ``seedpool.rng()`` from ``node.child("rng")`` -- each
    lazily, on the block's first draw from it, so a block that draws nothing pays
    nothing -- and TensorFlow / torch, if already imported, from their own children up
    front. These are the same streams a pool task keyed by ``node`` gets.

    Parameters
    ----------
    node : SeedTree
        The task's node.
    restore : bool
        Put the global RNG states back as they were on exit (for work that runs in a
        process whose own stream must not be disturbed, e.g. a data loader with
        ``num_workers=0``). Only generators the block used are saved and restored.
    words : callable, optional
        ``words(backend)`` must return ``node.child(backend).generate_state(8)``; pass
        one from :class:`seedpool._words.BlockWords` or ``words_for_indices`` to derive
        many tasks' words at once. Default: derived from ``node`` on first use.
    """
    global _current
    _lazy.install()
    if words is None:
        words = node_words(node)
    token = _lazy.begin(words, restore=restore)
    saved = []
    previous_node, _current = _current, node
    previous_provider = _context.set_task_provider(TaskRNG(words))
    try:
        for name in _EAGER:
            if name in sys.modules:
                backend = BACKENDS[name]
                if restore:
                    saved.append((backend, backend.get_state()))
                # Keras' seeding also calls random.seed / np.random.seed: keep that away
                # from both the block's streams and the process's own generators.
                with _lazy.scratch():
                    backend.seed_words(words(name)[:4])
        yield node
    finally:
        _current = previous_node
        _context.set_task_provider(previous_provider)
        _lazy.end(token)
        for backend, state in saved:
            backend.set_state(state)

