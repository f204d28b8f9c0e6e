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

__all__ = ["task_scope", "seed_frameworks"]

_EAGER = ("tensorflow", "torch")  # no way to hook their draws: seeded up front, if imported


def seed_frameworks(words: WordsFn, saved: Optional[list] = None) -> None:
    """Seed TensorFlow / torch, where imported, for the task whose words these are.

    Their draws cannot be hooked, so they are seeded up front. With ``saved``, append
    ``(backend, state)`` first so the caller can restore them.
    """
    for name in _EAGER:
        if name in sys.modules:
            backend = BACKENDS[name]
            if saved is not None:
                saved.append((backend, backend.get_state()))
            # Keras' seeding also calls random.seed / np.random.seed: keep that away from
            # both the task's streams and the process's own generators.
            with _lazy.scratch():
                backend.seed_words(words(name)[:4])


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
        Leave the process's own generators as they were (for work that runs in a
        process whose own stream must not be disturbed, e.g. a data loader with
        ``num_workers=0``): draws from ``random`` / numpy go to spare generators, so
        those are never copied; TensorFlow / torch states are saved and put back.
    words : callable, optional
        ``words(backend)`` must return ``node.child(backend).generate_state(8)``; pass
        one from :class:`seedpool._words.BlockWords` or ``words_for_indices`` to derive
        many tasks' words at once. Default: derived from ``node`` on first use.
    """
    _lazy.install()
    if words is None:
        words = node_words(node)
    token = _lazy.begin(words, restore=restore)
    saved: list = []
    previous_provider = _context.set_task_provider(TaskRNG(words))
    try:
        # Off the main thread the scope is private to this thread; TensorFlow's and
        # torch's global generators are process-wide, so they are left alone there.
        if not _lazy.current_scope().private:  # type: ignore[union-attr]
            seed_frameworks(words, saved if restore else None)
        yield node
    finally:
        _context.set_task_provider(previous_provider)
        _lazy.end(token)
        for backend, state in saved:
            backend.set_state(state)

