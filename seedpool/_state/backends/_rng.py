"""The ``rng`` backend: the ``numpy.random.Generator`` that :func:`seedpool.rng` returns.

Lazy through the task protocol: a task's Generator is built on the task's first
``seedpool.rng()`` call from 8 words of ``node.child("rng")`` -- exactly
``node.child("rng").generator()`` (PCG64 asks its seed sequence for
``generate_state(4, uint64)``, which is those 8 words).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.random.bit_generator import ISeedSequence

from ..._derive.keys import RNG
from ..._derive.tree import SeedTree, words_to_int
from .. import context as _context
from .registry import Backend

N_WORDS = 8


class _SeedWords(ISeedSequence):
    """An ``ISeedSequence`` that hands out words derived beforehand."""

    def __init__(self, words: np.ndarray) -> None:
        self.words = words

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        if np.dtype(dtype) == np.dtype(np.uint64):
            return self.words[: 2 * n_words].astype("<u4").view("<u8").astype(np.uint64)
        return self.words[:n_words].copy()


def generator_from_words(words: np.ndarray) -> np.random.Generator:
    """``node.child("rng").generator()``, given that child's first 8 words."""
    return np.random.Generator(np.random.PCG64(_SeedWords(words)))  # type: ignore[arg-type]  # any ISeedSequence


def seed_node(node: SeedTree) -> None:
    # Exactly node.child("rng").generator(), so users can rebuild it from the tree; the
    # current context's generator (a task's, inside a pool task or task_scope).
    _context.set_current_rng(node.generator())


def seed_words(words: np.ndarray) -> None:
    seed_node(SeedTree(words_to_int(words)))


def get_state() -> Any:
    return _context.rng().bit_generator.state


def set_state(state: Any) -> None:
    _context.rng().bit_generator.state = state


BACKEND = Backend(RNG, "seedpool", seed_words, get_state, set_state, seed_node,
                                   n_words=N_WORDS, lazy=True, after_fork=True)
