"""Seed words for tasks: what a backend is seeded with, derived one node or a block at a time.

A task keyed ``parent.child(i)`` seeds backend ``b`` with
``parent.child(i, b).generate_state(8)`` (the first 4 words for ``random`` / numpy /
torch / TensorFlow, all 8 for the PCG64 behind ``seedpool.rng()``). Deriving that with
numpy's ``SeedSequence`` costs ~7-15 us per (task, backend); :class:`BlockWords` derives a
range of consecutive tasks at once (0.1-2 us each, by the range's length), and
:func:`words_for_indices` does the same for any batch of indices.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .keys import BACKEND_KEYS
from .tree import SeedTree, _encode_path, _IndexedPools

__all__ = ["BLOCK", "MAX_RANGE", "WORDS", "BlockWords", "WordsFn", "node_words", "words_for_indices"]

WORDS = 8  # generate_state is a prefix function of its length: the first 4 = generate_state(4)
BLOCK = 64  # the first range's length
MAX_RANGE = 4096  # longer ranges cost more per task again (numpy's work, not its overhead)
_MAX_INDEX = 2**31  # SeedTree's int keys lie below this
_BATCH_AT_ONCE = 512  # words_for_indices: up to this many items, every backend in one pass
WordsFn = Callable[[str], np.ndarray]


@functools.cache
def _suffix(name: str) -> tuple[int, ...]:
    """The path words of a backend's key (hashed once per name)."""
    return _encode_path((name,))


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
    """Words of ``parent.child(i, backend)`` for the indices a worker meets, a range at a time.

    A pool worker runs a call's tasks in runs of consecutive indices (a chunk), so the
    words are derived for a range of indices at once with ``_IndexedPools`` -- whose
    cost is nearly flat up to a few thousand indices (numpy's per-call overhead
    dominates) -- instead of one ``SeedSequence`` per (task, backend):

    * the first request in a new range is derived alone (a range costs ~130 us however
      small, too much for a one-task ``apply_async``); a second request for the same
      backend derives that backend for the whole range;
    * a range that starts where the previous one stopped (the worker is walking a
      chunk) is twice as long, up to ``MAX_RANGE``, and derived at once: at 4096 tasks a
      range costs ~0.1 us per task and backend instead of ~2 us at 64.

    Every value is ``parent.child(i, backend).generate_state(8)`` bit for bit; only the
    cost depends on the order of requests.
    """

    __slots__ = ("parent", "start", "stop", "size", "tables", "pools")

    def __init__(self, parent: SeedTree) -> None:
        self.parent = parent
        self.start = self.stop = -1  # the current range [start, stop)
        self.size = BLOCK
        self.tables: dict[str, Any] = {}  # backend -> words of the range; False: asked once
        self.pools: _IndexedPools | None = None

    def get(self, index: int, name: str) -> np.ndarray:
        start = self.start
        if start <= index < self.stop:
            table = self.tables.get(name)
            if table is None:
                self.tables[name] = False  # seen once in this range
                return self.parent.child(index, name).generate_state(WORDS)
            if table is False:
                table = self.tables[name] = self._pools().states(_suffix(name), WORDS)
            return table[index - start]  # type: ignore[no-any-return]
        # A new range. Walking on from the last one: longer, and derived now.
        walking = start >= 0 and self.stop <= index < self.stop + self.size
        self.size = min(self.size * 2, MAX_RANGE) if walking else BLOCK
        self.start, self.stop = index, min(index + self.size, _MAX_INDEX)
        self.tables, self.pools = {}, None
        if walking:
            table = self.tables[name] = self._pools().states(_suffix(name), WORDS)
            return table[0]  # type: ignore[no-any-return]
        self.tables[name] = False
        return self.parent.child(index, name).generate_state(WORDS)

    def _pools(self) -> _IndexedPools:
        pools = self.pools
        if pools is None:  # shared by every backend of this range
            indices = np.arange(self.start, self.stop, dtype=np.uint32)
            pools = self.pools = _IndexedPools(self.parent, indices)
        return pools


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
            if tables or len(idx) > _BATCH_AT_ONCE:
                t = tables[name] = pools[0].states(_suffix(name), WORDS)
            else:
                # A small batch: numpy's per-call overhead dominates, so the backends
                # an item usually seeds are derived together, for the price of one.
                names = (name,) + tuple(n for n in BACKEND_KEYS if n != name)
                for n, words in zip(names, pools[0].states_many([_suffix(n) for n in names], WORDS)):
                    tables[n] = words
                t = tables[name]
        return t

    def words_of(k: int) -> WordsFn:
        return lambda name: table(name)[k]

    return [words_of(k) for k in range(len(idx))]
