"""Seed words for tasks: what a backend is seeded with, derived one node or a block at a time.

A task keyed ``parent.child(i)`` seeds backend ``b`` with
``parent.child(i, b).generate_state(8)`` (the first 4 words for ``random`` / numpy /
torch / TensorFlow, all 8 for the PCG64 behind ``seedpool.rng()``). Deriving that with
numpy's ``SeedSequence`` costs ~7-15 us per (task, backend); :class:`BlockWords` derives a
block of 64 consecutive tasks at once with ``SeedTree.child_states`` (~1 us each), and
:func:`words_for_indices` does the same for any batch of indices.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._tree import SeedTree, _encode_path, _IndexedPools

__all__ = ["BLOCK", "WORDS", "BlockWords", "WordsFn", "node_words", "words_for_indices"]

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

    __slots__ = ("block", "parent", "pools", "tables")

    def __init__(self, parent: SeedTree) -> None:
        self.parent = parent
        self.block = -1
        self.tables: dict[str, Any] = {}
        self.pools: _IndexedPools | None = None

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

    def words_of(k: int) -> WordsFn:
        return lambda name: table(name)[k]

    return [words_of(k) for k in range(len(idx))]
