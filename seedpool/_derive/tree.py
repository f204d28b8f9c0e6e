"""The keyed seed tree: pure, path-addressed derivation on ``numpy.random.SeedSequence``.

A node is ``(entropy, path)``. Its ``SeedSequence`` is
``SeedSequence(entropy, spawn_key=encode(path))``, so a child is a pure function of the
root entropy and its key path (like JAX's ``fold_in``): asking for other children first,
or asking in another process, never changes it.

Key encoding (the derivation scheme; changing it is a breaking change)::

    int key k, 0 <= k < 2**31   ->  one word  k                (numpy's own spawn_key word)
    str key s                   ->  two words 0x80000000 | (h & 0x7fffffff),
                                              0x80000000 | (h >> 31 & 0x7fffffff)
                                    where h = blake2b(s.encode("utf-8"), digest_size=8) (little-endian)

Int keys stay below 2**31 so that a word with the top bit set always starts a string
key: the path -> words map is then injective.  (numpy packs an int >= 2**32 into two
words, so ``spawn_key=(2**32,)`` equals ``spawn_key=(0, 1)``; we refuse such keys
rather than inherit the collision.)

A str or bytes *root* seed is hashed to a 128-bit int entropy with
``blake2b(data, digest_size=16)`` (big-endian), never with Python's salted ``hash()``.
Strings are hashed as UTF-8 with ``surrogatepass``, so a lone surrogate (as
``os.fsdecode`` and ``sys.argv`` produce for undecodable bytes) hashes like any other
character; every other string hashes exactly as plain UTF-8.

Which roots give the same streams (and so compare equal): the injectivity above is
about *paths under one root*.  numpy hashes the root entropy and the path as one word
array: the entropy's 32-bit words (an int split little-endian, a sequence item by
item), padded with zeros to 4 words when a path follows, then the path's words; a
missing one of the first 4 words is hashed as 0.  So two nodes give identical streams
exactly when those arrays, padded with zeros to 4 words, are equal.  Distinct roots
that are ints below ``2**128`` (every str, bytes and ``None`` seed is one) never do;
a root over 128 bits or a multi-word sequence can coincide with another root or with
a child: ``SeedTree(1 + (7 << 128)) == SeedTree(1).child(7)``,
``SeedTree(5) == SeedTree([5, 0])``, ``SeedTree(2**32) == SeedTree([0, 1])``.
``==`` and ``hash`` compare exactly those arrays, so equal nodes are the nodes that
give equal streams.
"""

from __future__ import annotations

import functools
import hashlib
import operator
import random as _pyrandom
import secrets
from collections.abc import Iterable, Sequence
from typing import Any, Union

import numpy as np

__all__ = ["SeedTree", "SeedLike", "Key"]

Key = Union[int, str]
SeedLike = Union[int, str, bytes, Sequence[int], np.random.SeedSequence, "SeedTree", None]

_MAX_INT_KEY = 2**31
_STR_TAG = 0x80000000
_LOW31 = 0x7FFFFFFF
_POOL_SIZE = 4

# SeedSequence's hashing constants (numpy/random/bit_generator.pyx).
_INIT_A = 0x43B0D7E5
_MULT_A = 0x931E8875
_INIT_B = 0x8B51F9DD
_MULT_B = 0x58F38DED
_MIX_MULT_L = 0xCA01F9DD
_MIX_MULT_R = 0x4973F715
_XSHIFT = 16
_M32 = 0xFFFFFFFF
# Ints longer than this are written in hex ("0x...") in text forms (repr,
# SEEDPOOL_SEED, records): decimal conversion is capped by sys.set_int_max_str_digits
# (640 digits at the lowest, about 2,126 bits), hex never is.
HEX_BITS = 2048


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} of type {type(value).__name__}"


def _as_index(value: Any) -> int | None:
    """Return ``value`` as an int if it is an integer (not a bool), else None."""
    if isinstance(value, (bool, np.bool_)):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def _check_entropy_int(value: Any, what: str) -> int:
    index = _as_index(value)
    if index is None:
        if isinstance(value, (bool, np.bool_)):
            raise TypeError(
                f"{what} must be a non-negative int, not a bool (got {value!r}); "
                "pass an int such as 0 or 1 if that is what you meant"
            )
        raise TypeError(
            f"{what} must be a non-negative int, str, bytes, sequence of non-negative ints, "
            f"numpy.random.SeedSequence, SeedTree or None (got {_describe(value)})"
        )
    if index < 0:
        raise ValueError(f"{what} must be non-negative (got {index}); use abs() or another seed")
    return index


def _utf8(text: str) -> bytes:
    # surrogatepass: identical to plain UTF-8 for every encodable string, and lone
    # surrogates (from os.fsdecode / sys.argv) hash instead of raising.
    return text.encode("utf-8", "surrogatepass")


def int_text(value: int) -> str:
    """Decimal for ints up to :data:`HEX_BITS` bits, ``0x...`` hex above (any size)."""
    return hex(value) if value.bit_length() > HEX_BITS else str(value)


def _hash_str_seed(data: str | bytes | bytearray) -> int:
    raw = _utf8(data) if isinstance(data, str) else bytes(data)
    return int.from_bytes(hashlib.blake2b(raw, digest_size=16).digest(), "big")


def _normalise_entropy(seed: Any) -> int | tuple[int, ...]:
    """Turn a user seed (not None / SeedSequence / SeedTree) into SeedSequence entropy."""
    if isinstance(seed, (str, bytes, bytearray)):
        return _hash_str_seed(seed)
    if isinstance(seed, memoryview):
        # bytes/bytearray are hashed, a sequence of ints is entropy words; a memoryview
        # is both, so neither reading is taken silently.
        raise TypeError(
            f"seed must not be a memoryview (got {_describe(seed)}): pass bytes(seed) to hash "
            "its bytes like a bytes seed, or list(seed) to use its items as entropy words"
        )
    if isinstance(seed, (float, complex)) or (
        isinstance(seed, np.generic) and not isinstance(seed, np.integer)
    ):
        raise TypeError(
            f"seed must be a non-negative int, not a {type(seed).__name__} (got {seed!r}); "
            "a non-integer number would lose bits silently: pass an int"
        )
    if isinstance(seed, np.ndarray) and seed.ndim == 0:
        seed = seed.item()  # a 0-d array holds one value: judge that value
        if isinstance(seed, (float, complex, bool)):
            return _normalise_entropy(seed)
    if isinstance(seed, (Sequence, np.ndarray, range)) and not isinstance(seed, (str, bytes)):
        words = []
        for i, item in enumerate(seed):
            if item is None:
                raise TypeError(f"seed[{i}] is None; every element of a seed sequence must be a non-negative int")
            if isinstance(item, (float, complex, str, bytes)):
                raise TypeError(
                    f"seed[{i}] must be a non-negative int (got {item!r} of type "
                    f"{type(item).__name__}); every element of a seed sequence is an int"
                )
            words.append(_check_entropy_int(item, f"seed[{i}]"))
        if not words:
            raise ValueError("seed must not be an empty sequence (got []); pass None for fresh entropy")
        return tuple(words)
    return _check_entropy_int(seed, "seed")


def _check_key(key: Any) -> Key:
    if isinstance(key, str):
        return key
    index = _as_index(key)
    if index is None:
        raise TypeError(
            f"a key must be a non-negative int below 2**31 or a str (got {_describe(key)})"
        )
    if not 0 <= index < _MAX_INT_KEY:
        raise ValueError(
            f"an int key must be in [0, 2**31) (got {index}); use a str key, or several "
            "int keys, for larger identifiers"
        )
    return index


def _str_key_words(key: str) -> tuple[int, int]:
    h = int.from_bytes(hashlib.blake2b(_utf8(key), digest_size=8).digest(), "little")
    return (_STR_TAG | (h & _LOW31), _STR_TAG | ((h >> 31) & _LOW31))


def _encode_path(path: Iterable[Key]) -> tuple[int, ...]:
    words: list[int] = []
    for key in path:
        if isinstance(key, str):
            words.extend(_str_key_words(key))
        else:
            words.append(key)
    return tuple(words)


def _int_to_words(n: int) -> list[int]:
    if n == 0:
        return [0]
    words = []
    while n:
        words.append(n & _M32)
        n >>= 32
    return words


def _entropy_words(entropy: int | tuple[int, ...]) -> list[int]:
    if isinstance(entropy, int):
        return _int_to_words(entropy)
    words: list[int] = []
    for item in entropy:
        words.extend(_int_to_words(item))
    return words


class SeedTree:
    """SeedTree(seed=None)

    A node in a keyed tree of seeds rooted at one ``numpy.random.SeedSequence``.

    Every node is a pure function of the root entropy and its key path: ``tree.child(3,
    "numpy")`` is the same node whatever was asked for before, in whatever process.
    For int keys the tree agrees with numpy's own spawning:
    ``SeedTree(s).child(i).seed_sequence`` generates the same state as
    ``numpy.random.SeedSequence(s).spawn(i + 1)[i]``.

    Parameters
    ----------
    seed : int, str, bytes, sequence of int, numpy.random.SeedSequence, SeedTree or None
        The root. A non-negative int of any size or a sequence of them is used as
        ``SeedSequence`` entropy directly. A str or bytes is hashed with
        ``blake2b(data, digest_size=16)`` (stable across processes, machines and Python
        versions; a str is hashed as its UTF-8 bytes). A ``SeedSequence`` is adopted with
        its entropy and spawn key. A ``SeedTree`` is copied. ``None`` draws 128 bits of
        fresh OS entropy, kept in ``.entropy`` so the run can be replayed.

    Raises
    ------
    TypeError
        For a seed of the wrong type: a bool, float, complex, ``None`` inside a
        sequence, or any other object.
    ValueError
        For a negative int, an empty sequence, or a ``SeedSequence`` with a non-default
        ``pool_size``.

    See Also
    --------
    numpy.random.SeedSequence : the derivation underneath.

    Examples
    --------
    >>> import numpy as np
    >>> from seedpool import SeedTree
    >>> tree = SeedTree(42)
    >>> a = tree.child("data", 3).generator().random()
    >>> b = SeedTree(42).child("data", 3).generator().random()
    >>> a == b
    True
    >>> bool((SeedTree(42).child(1).seed_sequence.generate_state(4)
    ...       == np.random.SeedSequence(42).spawn(2)[1].generate_state(4)).all())
    True
    """

    __slots__ = ("_entropy", "_path", "_words", "_n_spawned", "_seed_sequence", "__weakref__")
    _entropy: int | tuple[int, ...]
    _path: tuple[Key, ...]
    _words: tuple[int, ...]
    _n_spawned: int

    def __init__(self, seed: SeedLike = None) -> None:
        path: tuple[Key, ...] = ()
        n_spawned = 0
        if seed is None:
            entropy: int | tuple[int, ...] = secrets.randbits(128)
        elif isinstance(seed, SeedTree):
            entropy, path, n_spawned = seed._entropy, seed._path, seed._n_spawned
        elif isinstance(seed, np.random.SeedSequence):
            if seed.pool_size != _POOL_SIZE:
                raise ValueError(
                    f"seed is a SeedSequence with pool_size={seed.pool_size}; SeedTree "
                    f"supports only the default pool_size={_POOL_SIZE}"
                )
            raw = seed.entropy
            entropy = (
                raw if isinstance(raw, int) else tuple(int(x) for x in np.asarray(raw).ravel())
            )
            if any(int(k) >= _MAX_INT_KEY for k in seed.spawn_key):
                raise ValueError(
                    f"seed is a SeedSequence whose spawn_key {tuple(seed.spawn_key)} has words "
                    ">= 2**31 (e.g. a SeedTree's str key): pass the SeedTree itself instead"
                )
            path = tuple(_check_key(int(k)) for k in seed.spawn_key)
            n_spawned = seed.n_children_spawned
        else:
            entropy = _normalise_entropy(seed)
        self._entropy = entropy
        self._path = path
        self._words = _encode_path(path)
        self._n_spawned = n_spawned
        self._seed_sequence: np.random.SeedSequence | None = None

    @classmethod
    def _node(cls, entropy: int | tuple[int, ...], path: tuple[Key, ...], words: tuple[int, ...]) -> SeedTree:
        node = cls.__new__(cls)
        node._entropy = entropy
        node._path = path
        node._words = words
        node._n_spawned = 0
        node._seed_sequence = None
        return node

    # -- identity ---------------------------------------------------------------------
    @property
    def entropy(self) -> int | tuple[int, ...]:
        """The root entropy (an int, or a tuple of ints for a sequence seed)."""
        return self._entropy

    @property
    def path(self) -> tuple[Key, ...]:
        """The key path from the root to this node."""
        return self._path

    def _stream_words(self) -> tuple[int, ...]:
        """The word array numpy hashes for this node, padded with zeros to 4 words:
        two nodes give the same streams exactly when these are equal (module docstring)."""
        run = _entropy_words(self._entropy)
        if len(run) < _POOL_SIZE:
            run = run + [0] * (_POOL_SIZE - len(run))
        return tuple(run) + self._words

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SeedTree):
            return NotImplemented
        if self._entropy == other._entropy and self._words == other._words:
            return True
        return self._stream_words() == other._stream_words()

    def __hash__(self) -> int:
        return hash((SeedTree, self._stream_words()))

    def __repr__(self) -> str:
        if isinstance(self._entropy, int):
            entropy = int_text(self._entropy)
        else:
            items = [int_text(e) for e in self._entropy]
            entropy = "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        return f"SeedTree(entropy={entropy}, path={self._path!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self._entropy, self._path, self._n_spawned))

    # -- derivation ---------------------------------------------------------------------
    def child(self, *keys: Key) -> SeedTree:
        """Return the node at key path ``self.path + keys``.

        Parameters
        ----------
        *keys : int or str
            Non-negative ints below 2**31 or strings. ``child()`` returns a copy of
            this node.

        Returns
        -------
        SeedTree
            A pure function of (root entropy, key path).

        Raises
        ------
        TypeError
            A key that is neither an int nor a str (bools are refused).
        ValueError
            A negative int key or one >= 2**31.
        """
        checked = tuple(_check_key(k) for k in keys)
        return SeedTree._node(self._entropy, self._path + checked, self._words + _encode_path(checked))

    def spawn(self, n_children: int) -> list[SeedTree]:
        """Return the next ``n_children`` int-keyed children, numpy-style (stateful).

        Like ``SeedSequence.spawn``, repeated calls continue the numbering:
        ``spawn(2)`` then ``spawn(1)`` gives keys 0, 1 then 2. Prefer :meth:`child` in
        code that must not depend on call order.
        """
        n = _as_index(n_children)
        if n is None:
            raise TypeError(f"n_children must be an int (got {_describe(n_children)})")
        if n < 0:
            raise ValueError(f"n_children must be non-negative (got {n})")
        start = self._n_spawned
        if start + n > _MAX_INT_KEY:
            raise ValueError(f"cannot spawn past key 2**31 - 1 (asked for {n} after {start})")
        self._n_spawned += n
        return [self.child(i) for i in range(start, start + n)]

    @property
    def n_children_spawned(self) -> int:
        """How many children :meth:`spawn` has handed out so far."""
        return self._n_spawned

    @property
    def seed_sequence(self) -> np.random.SeedSequence:
        """The ``numpy.random.SeedSequence`` of this node (built once, then cached)."""
        ss = self._seed_sequence
        if ss is None:
            ss = np.random.SeedSequence(self._entropy, spawn_key=self._words)
            self._seed_sequence = ss
        return ss

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        """``self.seed_sequence.generate_state(n_words, dtype)``."""
        return self.seed_sequence.generate_state(n_words, dtype)

    def generator(self, bit_generator: type = np.random.PCG64) -> np.random.Generator:
        """A fresh ``numpy.random.Generator`` seeded from this node (PCG64 by default)."""
        return np.random.Generator(bit_generator(self.seed_sequence))

    def uint32(self) -> int:
        """A plain int in ``[0, 2**32)`` for libraries that take one integer seed."""
        return int(self.seed_sequence.generate_state(1, np.uint32)[0])

    def uint64(self) -> int:
        """A plain int in ``[0, 2**64)`` for libraries that take one integer seed."""
        return int(self.seed_sequence.generate_state(1, np.uint64)[0])

    def tf_seed(self) -> np.ndarray:
        """A shape-``(2,)`` int64 array: a seed for TensorFlow's stateless random ops.

        It is int64 on purpose: TensorFlow turns a Python int pair into int32 when the
        values fit, and stateless ops then give other values.
        """
        return self.seed_sequence.generate_state(2, np.uint64).view(np.int64)

    def random(self) -> _pyrandom.Random:
        """A fresh ``random.Random`` seeded with 128 bits from this node."""
        return _pyrandom.Random(words_to_int(self.seed_sequence.generate_state(4)))

    def child_states(
        self, indices: Any, *suffix: Key, n_words: int = 4, dtype: Any = np.uint32
    ) -> np.ndarray:
        """Seed words of many children at once, vectorised.

        Row ``j`` equals ``self.child(indices[j], *suffix).generate_state(n_words,
        dtype)`` bit for bit, at about 1e7 children per second instead of numpy's 1e5.

        Parameters
        ----------
        indices : array_like of int
            1-D int keys in ``[0, 2**31)``; e.g. ``range(n)`` or ``np.arange(a, b)``.
        *suffix : int or str
            Keys appended after each index.
        n_words : int, optional
            Words per child (default 4).
        dtype : {numpy.uint32, numpy.uint64}, optional
            As in ``SeedSequence.generate_state``.

        Returns
        -------
        numpy.ndarray
            Shape ``(len(indices), n_words)``.
        """
        n = _as_index(n_words)
        if n is None:
            raise TypeError(f"n_words must be an int (got {_describe(n_words)})")
        if n < 0:
            raise ValueError(f"n_words must be non-negative (got {n})")
        n_words = n
        try:
            out_dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"dtype must be numpy.uint32 or numpy.uint64 (got {_describe(dtype)})") from None
        if out_dtype not in (np.dtype(np.uint32), np.dtype(np.uint64)):
            raise ValueError(f"dtype must be numpy.uint32 or numpy.uint64 (got {out_dtype})")
        if isinstance(indices, range):
            idx = np.arange(indices.start, indices.stop, indices.step, dtype=np.int64)
        else:
            idx = np.asarray(indices)
        if idx.ndim != 1 or not (idx.size == 0 or np.issubdtype(idx.dtype, np.integer)):
            raise TypeError(f"indices must be a 1-D array of ints (got {_describe(indices)})")
        if idx.size and (idx.min() < 0 or idx.max() >= _MAX_INT_KEY):
            raise ValueError(
                f"indices must lie in [0, 2**31) (got min {idx.min()}, max {idx.max()})"
            )
        suffix_words = _encode_path(tuple(_check_key(k) for k in suffix))
        n_out = n_words * (2 if out_dtype == np.dtype(np.uint64) else 1)
        return _IndexedPools(self, idx.astype(np.uint32)).states(suffix_words, n_out, out_dtype)


def index_child(parent: SeedTree, index: int) -> SeedTree:
    """``parent.child(index)`` for an index the caller made itself (a position it
    counted: ``enumerate``, a sampler's ``int``), so a non-negative int: skips the key
    checks, which cost more than the node (an int key is its own path word)."""
    if 0 <= index < _MAX_INT_KEY:
        return SeedTree._node(parent._entropy, parent._path + (index,), parent._words + (index,))
    return parent.child(index)  # out of range: child() raises the usual error


def _rebuild(entropy: int | tuple[int, ...], path: tuple[Key, ...], n_spawned: int) -> SeedTree:
    node = SeedTree._node(entropy, path, _encode_path(path))
    node._n_spawned = n_spawned
    return node


def words_to_int(words: Any) -> int:
    """Little-endian uint32 words -> one Python int."""
    return int.from_bytes(np.asarray(words, dtype="<u4").tobytes(), "little")


class _IndexedPools:
    """SeedSequence pools of ``node.child(i)`` for an array of ``i``, mixed up to the index.

    ``states(suffix_words, n)`` finishes them into ``node.child(i, *suffix)
    .generate_state(n)``; several suffixes (one per backend) share the index mixing.

    The four pool words of every row are one ``(4, rows)`` array and each step of
    numpy's ``SeedSequence`` is applied to all four at once (the hashmix constants of
    the four words are known in advance): a batch costs a few dozen numpy calls, not
    a hundred, which is what a small batch (a loader's 32 items) pays.
    """

    def __init__(self, node: SeedTree, index: np.ndarray) -> None:
        # The node's own pool comes from numpy (C): SeedSequence(entropy,
        # spawn_key=path).pool is the pool after mixing entropy and path -- padding the
        # entropy to 4 words, as a child's spawn key forces, changes nothing there,
        # because missing entropy words are hashed as 0 anyway.
        pool = node.seed_sequence.pool
        n_words = max(_POOL_SIZE, len(_entropy_words(node.entropy))) + len(node._words)
        # hashmix's constant advances once per call, whatever the data: 4 for the
        # initial fill, 12 for the cross-mix, 4 per word past the pool size.
        calls = _POOL_SIZE + _POOL_SIZE * (_POOL_SIZE - 1) + _POOL_SIZE * (n_words - _POOL_SIZE)
        const = (_INIT_A * pow(_MULT_A, calls, 2**32)) & _M32
        self.vpool = np.empty((_POOL_SIZE, index.shape[0]), dtype=np.uint32)
        self.vpool[:] = np.asarray(pool, dtype=np.uint32)[:, None]
        self.const = _mix_column(self.vpool, const, index)

    def states(self, suffix_words: tuple[int, ...], n_out_words: int, out_dtype: Any = np.uint32) -> np.ndarray:
        return self._finish(self.vpool.copy(), [suffix_words], n_out_words, out_dtype)

    def states_many(self, suffixes: list[tuple[int, ...]], n_out_words: int) -> list[np.ndarray]:
        """``[states(s, n_out_words) for s in suffixes]`` in one pass over all of them
        (suffixes of equal length, e.g. one str key each): for a small batch numpy's
        per-call overhead dominates, so k suffixes cost little more than one."""
        n = self.vpool.shape[1]
        out = self._finish(np.tile(self.vpool, (1, len(suffixes))), suffixes, n_out_words, np.uint32)
        return [out[k * n:(k + 1) * n] for k in range(len(suffixes))]

    def _finish(self, vpool: np.ndarray, suffixes: list[tuple[int, ...]], n_out_words: int,
                out_dtype: Any) -> np.ndarray:
        # vpool holds len(suffixes) copies of the index pools, one after the other; the
        # hashmix constant depends only on how many words were mixed, so every suffix
        # (all of one length) advances it alike.
        const = self.const
        n = self.vpool.shape[1]
        for j in range(len(suffixes[0])):
            if len(suffixes) == 1:
                column: Any = suffixes[0][j]
            else:
                column = np.repeat(np.array([s[j] for s in suffixes], dtype=np.uint32), n)
            const = _mix_column(vpool, const, column)
        # generate_state: output word i is hashmix(pool[i % 4]) with the i-th constant.
        xor_by, mult_by = _output_constants(n_out_words)
        out = vpool[_OUTPUT_ROWS[:n_out_words]] if n_out_words <= len(_OUTPUT_ROWS) else \
            vpool[np.arange(n_out_words) % _POOL_SIZE]
        np.bitwise_xor(out, xor_by, out=out)
        np.multiply(out, mult_by, out=out)
        np.bitwise_xor(out, out >> np.uint32(_XSHIFT), out=out)
        words = np.ascontiguousarray(out.T)
        if np.dtype(out_dtype) == np.dtype(np.uint64):
            return words.astype("<u4").view("<u8").astype(np.uint64)
        return words


# Which pool word each output word of generate_state hashes (i % 4), for up to 16 words.
_OUTPUT_ROWS = np.arange(16) % _POOL_SIZE


@functools.lru_cache(maxsize=64)  # n_out_words comes from callers (child_states)
def _output_constants(n_out_words: int) -> tuple[np.ndarray, np.ndarray]:
    # Output word i is xored with INIT_B * MULT_B**i and multiplied by the next one.
    consts = [_INIT_B]
    for _ in range(n_out_words):
        consts.append((consts[-1] * _MULT_B) & _M32)
    column = np.array(consts, dtype=np.uint32)[:, None]
    column.flags.writeable = False  # shared by every caller
    return column[:-1], column[1:]


@functools.lru_cache(maxsize=1024)
def _mix_constants(const: int) -> tuple[np.ndarray, np.ndarray, int]:
    """The hashmix constants of the four calls that mix one word into the four pool
    words, starting from ``const``: each call xors with the constant before it and
    multiplies by the one after. Returns both as ``(4, 1)`` columns and the next
    ``const``. (There are only as many distinct ``const`` as path lengths in use.)"""
    consts = [const]
    for _ in range(_POOL_SIZE):
        consts.append((consts[-1] * _MULT_A) & _M32)
    column = np.array(consts, dtype=np.uint32)[:, None]
    column.flags.writeable = False  # shared by every caller
    return column[:-1], column[1:], consts[-1]


def _mix_column(vpool: np.ndarray, const: int, column: Any) -> int:
    """Mix one entropy word (an array, or the same int for every row) into the
    ``(4, rows)`` pools: ``pool[d] = mix(pool[d], hashmix(word))`` for each pool word
    ``d``, all four at once. Returns the next hashmix constant."""
    u32 = np.uint32
    if isinstance(column, np.ndarray):
        xor_by, mult_by, next_const = _mix_constants(const)
        hashed: Any = np.bitwise_xor(column, xor_by)  # (4, rows)
        np.multiply(hashed, mult_by, out=hashed)
        np.bitwise_xor(hashed, hashed >> u32(_XSHIFT), out=hashed)
        np.multiply(hashed, u32(_MIX_MULT_R), out=hashed)
    else:  # the same word in every row (a key of the suffix): four values, cached
        hashed, next_const = _hashed_word(const, column)
    # mix(x, h) = (L*x - R*h), then r ^= r >> 16
    np.multiply(vpool, u32(_MIX_MULT_L), out=vpool)
    np.subtract(vpool, hashed, out=vpool)
    np.bitwise_xor(vpool, vpool >> u32(_XSHIFT), out=vpool)
    return next_const


@functools.lru_cache(maxsize=1024)
def _hashed_word(const: int, word: int) -> tuple[np.ndarray, int]:
    """``R * hashmix(word)`` for the four pool words, as a ``(4, 1)`` column, and the
    next constant: what :func:`_mix_column` mixes in for a word every row shares (the
    words of a backend's key; few distinct ``(const, word)`` pairs occur)."""
    hashed = []
    for _ in range(_POOL_SIZE):
        before = const
        const = (const * _MULT_A) & _M32
        v = ((word ^ before) * const) & _M32
        hashed.append((_MIX_MULT_R * (v ^ (v >> _XSHIFT))) & _M32)
    column = np.array(hashed, dtype=np.uint32)[:, None]
    column.flags.writeable = False  # shared by every caller
    return column, const
