"""Seed words for tasks: what a backend is seeded with, derived one node or a block at a time.

A task keyed ``parent.child(i)`` seeds backend ``b`` with
``parent.child(i, b).generate_state(8)`` (the first 4 words for ``random`` / numpy /
torch / TensorFlow, all 8 for the PCG64 behind ``seedpool.rng()``). Deriving that with
numpy's ``SeedSequence`` costs ~7-15 us per (task, backend); :class:`BlockWords` derives a
block of 64 consecutive tasks at once with ``SeedTree.child_states`` (~1 us each), and
:func:`words_for_indices` does the same for any batch of indices.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import numpy as np
from numpy.random.bit_generator import ISeedSequence

from ._tree import SeedTree, _encode_path, _IndexedPools

__all__ = ["WORDS", "BLOCK", "WordsFn", "node_words", "BlockWords", "words_for_indices", "TaskRNG"]

WORDS = 8  # generate_state is a prefix function of its length: the first 4 = generate_state(4)
BLOCK = 64
WordsFn = Callable[[str], np.ndarray]


def node_words(node: SeedTree) -> WordsFn:
    """Words of ``node.child(backend)``, one backend at a time, cached."""
    cache: dict[str, np.ndarray] = {}

    def words(name: str) -> np.ndarray:
        w = cache.get(name)
        if w is None:
            w = cache[name] = node.child(name).generate_state(WORDS)
        return w

    return words


class BlockWords:
    """Words of ``parent.child(i, backend)`` for consecutive ``i``, a block at a time.

    The first request in a block is derived alone (a block costs ~130 us however small,
    too much for a one-task ``apply_async``); a second request in the same block
    derives the whole block.
    """

    __slots__ = ("parent", "block", "tables", "pools")

    def __init__(self, parent: SeedTree) -> None:
        self.parent = parent
        self.block = -1
        self.tables: dict[str, Any] = {}
        self.pools: Optional[_IndexedPools] = None

    def get(self, index: int, name: str) -> np.ndarray:
        block, offset = divmod(index, BLOCK)
        if block != self.block:
            self.block, self.tables, self.pools = block, {}, None
        table = self.tables.get(name)
        if table is None:
            self.tables[name] = False  # seen once in this block
            return self.parent.child(index, name).generate_state(WORDS)
        if table is False:
            if self.pools is None:  # shared by every backend of this block
                start = block * BLOCK
                indices = np.arange(start, min(start + BLOCK, 2**31), dtype=np.uint32)
                self.pools = _IndexedPools(self.parent, indices)
            table = self.tables[name] = self.pools.states(_encode_path((name,)), WORDS)
        return table[offset]


def words_for_indices(parent: SeedTree, indices: Sequence[int]) -> list[WordsFn]:
    """One words function per index of a batch (e.g. a DataLoader batch of shuffled
    indices); each backend's words for the whole batch are derived on first use."""
    idx = np.asarray(indices, dtype=np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= 2**31):
        raise ValueError(f"indices must lie in [0, 2**31) (got min {idx.min()}, max {idx.max()})")
    tables: dict[str, np.ndarray] = {}
    pools: list[_IndexedPools] = []  # built on first use, shared by every backend

    def table(name: str) -> np.ndarray:
        t = tables.get(name)
        if t is None:
            if not pools:
                pools.append(_IndexedPools(parent, idx.astype(np.uint32)))
            t = tables[name] = pools[0].states(_encode_path((name,)), WORDS)
        return t

    return [(lambda name, k=k: table(name)[k]) for k in range(len(idx))]  # type: ignore[misc]  # k bound per task


class _SeedWords(ISeedSequence):
    """An ``ISeedSequence`` that hands out words derived beforehand."""

    def __init__(self, words: np.ndarray) -> None:
        self.words = words

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        if np.dtype(dtype) == np.dtype(np.uint64):
            return self.words[: 2 * n_words].astype("<u4").view("<u8").astype(np.uint64)
        return self.words[:n_words].copy()


class TaskRNG:
    """``seedpool.rng()`` inside a task: the task's Generator, built on first use.

    It is ``node.child("rng").generator()`` exactly: PCG64 asks its seed sequence for
    ``generate_state(4, uint64)``, which is these 8 words.
    """

    __slots__ = ("generator", "words")

    def __init__(self, words: WordsFn) -> None:
        self.words = words
        self.generator: Optional[np.random.Generator] = None

    def __call__(self) -> np.random.Generator:
        if self.generator is None:
            self.generator = np.random.Generator(np.random.PCG64(_SeedWords(self.words("rng"))))  # type: ignore[arg-type]  # an ISeedSequence by duck typing
        return self.generator
