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
from .tree import (
    _INIT_A,
    _INIT_B,
    _MIX_MULT_L,
    _MIX_MULT_R,
    _MULT_A,
    _MULT_B,
    _POOL_SIZE,
    _XSHIFT,
    SeedTree,
    _encode_path,
    _entropy_words,
    _IndexedPools,
    index_child,
)

__all__ = ["BLOCK", "MAX_RANGE", "WORDS", "BlockWords", "WordsFn", "child_state", "node_words", "words_for_indices"]

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


_M32 = 0xFFFFFFFF


@functools.lru_cache(maxsize=256)
def _prefix_pool(entropy: Any, words: tuple[int, ...]) -> tuple[tuple[int, int, int, int], tuple[int, ...]]:
    """SeedSequence's pool after mixing ``entropy`` and the path words ``words``, and the
    hashmix constants that come next: numpy computes the pool; the constant advances once
    per hashmix call whatever the data (4 + 12 calls for the first 4 words, 4 per word
    after them), so the next ones are known in advance. Cached: a node's siblings share
    it (a loader's items, a call's tasks)."""
    pool = np.random.SeedSequence(entropy, spawn_key=words).pool
    n_words = max(_POOL_SIZE, len(_entropy_words(entropy))) + len(words)
    calls = _POOL_SIZE + _POOL_SIZE * (_POOL_SIZE - 1) + _POOL_SIZE * (n_words - _POOL_SIZE)
    const = (_INIT_A * pow(_MULT_A, calls, 2**32)) & _M32
    consts = [const]
    for _ in range(_POOL_SIZE * _MAX_SUFFIX):
        consts.append((consts[-1] * _MULT_A) & _M32)
    p0, p1, p2, p3 = (int(x) for x in pool)
    return (p0, p1, p2, p3), tuple(consts)


_MAX_SUFFIX = 8  # words mixed past the prefix: the node's last word and a key's (at most 7)
# generate_state's constants: output word i is xored with OUT[i] and multiplied by OUT[i + 1].
_OUT = [_INIT_B]
for _ in range(2 * WORDS):
    _OUT.append((_OUT[-1] * _MULT_B) & _M32)


def _keys_of(suffix: tuple[int, ...]) -> tuple[Any, ...]:
    """The keys whose path words are ``suffix`` (a backend's: looked up by its words)."""
    for name in BACKEND_KEYS:
        if _suffix(name) == suffix:
            return (name,)
    raise ValueError(f"no backend key has the path words {suffix}")


def child_state(node: SeedTree, suffix: tuple[int, ...], n_words: int = WORDS) -> np.ndarray:
    """``node.child(*keys).generate_state(n_words)`` for the path words ``suffix`` of
    ``keys`` (a non-root ``node``, ``n_words`` <= 16), bit for bit, in plain integer
    arithmetic: the pool of ``node``'s parent comes from :func:`_prefix_pool` (cached),
    and only the node's last word and the suffix are mixed here."""
    words = node._words
    if not words or len(suffix) >= _MAX_SUFFIX or n_words > 2 * WORDS:  # (not our callers')
        return node.child(*_keys_of(suffix)).generate_state(n_words)  # type: ignore[no-any-return]
    pool, consts = _prefix_pool(node._entropy, words[:-1])
    p0, p1, p2, p3 = pool
    L, R, M, X = _MIX_MULT_L, _MIX_MULT_R, _M32, _XSHIFT  # noqa: N806  (numpy's names)
    k = 0
    for word in (words[-1], *suffix):  # SeedSequence.mix_entropy, past the pool size
        v = ((word ^ consts[k]) * consts[k + 1]) & M
        v = (L * p0 - R * (v ^ (v >> X))) & M
        p0 = v ^ (v >> X)
        v = ((word ^ consts[k + 1]) * consts[k + 2]) & M
        v = (L * p1 - R * (v ^ (v >> X))) & M
        p1 = v ^ (v >> X)
        v = ((word ^ consts[k + 2]) * consts[k + 3]) & M
        v = (L * p2 - R * (v ^ (v >> X))) & M
        p2 = v ^ (v >> X)
        v = ((word ^ consts[k + 3]) * consts[k + 4]) & M
        v = (L * p3 - R * (v ^ (v >> X))) & M
        p3 = v ^ (v >> X)
        k += 4
    mixed = (p0, p1, p2, p3)
    out = []
    for i in range(n_words):  # generate_state
        v = ((mixed[i & 3] ^ _OUT[i]) * _OUT[i + 1]) & M
        out.append(v ^ (v >> X))
    return np.array(out, dtype=np.uint32)


def node_words(node: SeedTree) -> WordsFn:
    """Words of ``node.child(backend)``, one backend at a time, cached."""
    cache: dict[str, np.ndarray] = {}

    def words(name: str) -> np.ndarray:
        w = cache.get(name)
        if w is None:
            w = cache[name] = (child_state(node, _suffix(name)) if node._words
                               else node.child(name).generate_state(WORDS))
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
                return child_state(index_child(self.parent, index), _suffix(name))
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
        return child_state(index_child(self.parent, index), _suffix(name))

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
