"""The tile engine behind :mod:`seedpool.array`: keyed N-d tiles, and blocks filled from them.

Data flow (one block, e.g. ``a[3:5000, ::2]`` or a Dask chunk)::

    per axis: the indices asked for (a range)  -> the tiles they cross, and for each
              tile the part of the output it fills and the part of the tile it reads
    tiles, a batch at a time                   -> their keys: node.child(*tile_coord),
                                                  derived for the whole batch at once
                                                  (a small block: from the array's
                                                  KeyCache, a group of tiles at a time)
    each tile                                  -> an SFC64 set to its key, numpy's own
                                                  sampler drawn up to the last element
                                                  read, copied into the output (1-d:
                                                  drawn straight into it)

The layout (a frozen stream: changing any of it changes every array):

* An ``ndim``-d array is cut into tiles of :func:`tile_shape` ``(ndim, bits)``
  elements, ``2**bits`` per tile -- 4,096, or 16,384 for the uniform and bits families
  (:func:`tile_bits`) -- the same for every array shape. Tile ``t`` (a tuple of
  ``ndim`` ints) holds the elements ``t[k] * edge[k] <= index[k] < (t[k] + 1) * edge[k]``.
* Tile ``t`` draws from ``numpy.random.Generator(numpy.random.SFC64(node.child(*t)
  .seed_sequence))``, where ``node`` is the array's node (``seedpool.array`` chooses
  it), and its elements are those draws in Fortran order (the first axis fastest):
  numpy's sampler filling ``2**bits`` values in one call, read as a
  ``tile_shape(ndim, bits)`` array with ``order="F"``.

Because a tile's stream depends only on its coordinate, every element depends only on
the node and its own index, never on the slice, the chunking, the thread or the shape
of the array. numpy's samplers fill sequentially, so the first ``k`` values of a tile
are the first ``k`` values of a shorter draw: a block draws each tile only up to the
last element it reads. Fortran order makes that prefix short for the common narrow
arrays -- an ``(n, 3)`` table reads 3 of a 2-d tile's 64 columns, the first 192 draws
of each tile -- where C order would draw nearly every tile whole (18x the work,
measured); arrays short along their *first* axes, ``(3, n)``, pay that instead.

Why SFC64 and not a counter-based Philox: on the machines this was measured on, numpy's
Philox fills ``random`` ~1.9x slower than PCG64 (``standard_normal`` ~1.25x), so no
Philox design meets 1.15x of numpy's default generator on whole arrays; SFC64 fills at
0.75-1.0x of PCG64, and a tile is short enough (4,096 or 16,384 draws) that seeking
inside it is not needed. A tile's SFC64 is seeded exactly as numpy seeds one from a
``SeedSequence`` (``generate_state(3, uint64)``, counter 1, 12 outputs discarded), done
here for a batch of tiles at once.

Memory: beyond the output, a block allocates one tile of scratch per thread (plus, for
integers and bits, the tile-sized array numpy's sampler returns) and the bookkeeping of
one batch of :data:`BATCH` tiles (their keys and slices, ~100 KiB), whatever its size:
an axis's tiles are walked, not listed. An array's KeyCache keeps at most 32 groups of
64 warmed-up states (~64 KiB).

Imports numpy and the seed tree only.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Optional

import numpy as np

from .tree import SeedTree, _IndexedPools, _mix_column

__all__ = [
    "BATCH",
    "KeyCache",
    "CHEAP_TILE_BITS",
    "TILE_BITS",
    "Sampler",
    "check_sampler",
    "child_words",
    "fill",
    "sfc64_states",
    "tile_bits",
    "tile_shape",
]

TILE_BITS = 12  # 4,096 elements a tile, whatever the ndim: part of the frozen layout
# random/uniform and bits draw a value in a quarter of the time a normal takes (one
# output of SFC64 each): their tiles are four times larger, so that a tile's fixed cost
# (setting the generator, one sampler call: ~2.5 us) stays as small a share of it.
CHEAP_TILE_BITS = 14
_CHEAP_FAMILIES = ("uniform", "bits")
BATCH = 128  # tiles whose keys are derived together (~28 us fixed + ~0.1 us a tile)
_SFC64_WARMUP = 12  # numpy's sfc64_set_seed discards this many outputs
_STRIP, _STRIP_BYTES = 32, 48 * 1024  # copies of larger tiles go in strips (see _TileWorker.run)
_FEW_TILES = 40  # a block of fewer tiles takes their states from the array's KeyCache


def tile_bits(family: str) -> int:
    """log2 of the elements in a tile of ``family``: 14 for uniform and bits, else 12."""
    return CHEAP_TILE_BITS if family in _CHEAP_FAMILIES else TILE_BITS


def tile_shape(ndim: int, bits: int = TILE_BITS) -> tuple[int, ...]:
    """The tile of an ``ndim``-d array: ``bits`` bits of extent shared out over the
    axes, the remainder to the last ones -- for 12 bits (4096,), (64, 64), (16, 16, 16),
    (8, 8, 8, 8), (4, 4, 4, 8, 8)...; for 14 bits (16384,), (128, 128), (16, 32, 32)...
    (axes past the ``bits``-th last get extent 1 in front)."""
    if ndim == 0:
        return ()
    base, extra = divmod(bits, ndim)
    return tuple(1 << (base + (1 if axis >= ndim - extra else 0)) for axis in range(ndim))


# -- keys --------------------------------------------------------------------------------
def child_words(node: SeedTree, columns: Sequence[Any], n_words: int, n_rows: int) -> np.ndarray:
    """``node.child(*row).generate_state(n_words, numpy.uint64)`` for many rows at once.

    ``columns[k]`` is the k-th key of every row: an int array of length ``n_rows`` or
    one int shared by all rows (each in ``[0, 2**31)``). Row ``j`` of the result equals
    ``node.child(columns[0][j], columns[1][j], ...).generate_state(n_words, uint64)``
    bit for bit: numpy's ``SeedSequence`` hashing applied to every row together.
    """
    if not columns:
        return np.tile(node.generate_state(n_words, np.uint64), (n_rows, 1))
    first = np.broadcast_to(np.asarray(columns[0], dtype=np.uint32), (n_rows,))
    pools = _IndexedPools(node, np.ascontiguousarray(first))
    for column in columns[1:]:
        if isinstance(column, np.ndarray):
            column = np.ascontiguousarray(column, dtype=np.uint32)
        else:
            column = int(column)
        pools.const = _mix_column(pools.vpool, pools.const, column)
    return pools.states((), 2 * n_words, np.uint64)


def sfc64_states(seed_words: np.ndarray) -> np.ndarray:
    """The state of ``numpy.random.SFC64(seed)`` for each row of seed words.

    numpy seeds SFC64 with ``a, b, c = seed_seq.generate_state(3, uint64)``, counter 1,
    then discards 12 outputs (``sfc64_set_seed``); the same steps, for every row at once.
    Returns ``(rows, 4)`` uint64: ``a, b, c, counter``.
    """
    a = seed_words[:, 0].copy()
    b = seed_words[:, 1].copy()
    c = seed_words[:, 2].copy()
    tmp = np.empty_like(a)
    rot = np.empty_like(a)
    u3, u11, u24, u40 = np.uint64(3), np.uint64(11), np.uint64(24), np.uint64(40)
    for counter in range(1, _SFC64_WARMUP + 1):
        # tmp = a + b + counter; a = b ^ (b >> 11); b = c + (c << 3); c = rotl(c, 24) + tmp
        np.add(a, b, out=tmp)
        np.add(tmp, np.uint64(counter), out=tmp)
        np.right_shift(b, u11, out=a)
        np.bitwise_xor(a, b, out=a)
        np.left_shift(c, u3, out=b)
        np.add(b, c, out=b)
        np.left_shift(c, u24, out=rot)
        np.right_shift(c, u40, out=c)
        np.bitwise_or(c, rot, out=c)
        np.add(c, tmp, out=c)
    out = np.empty((len(a), 4), dtype=np.uint64)
    out[:, 0], out[:, 1], out[:, 2] = a, b, c
    out[:, 3] = _SFC64_WARMUP + 1
    return out


# -- samplers ----------------------------------------------------------------------------
# One draw: fill a contiguous 1-D view from a Generator. Floats are drawn in place
# (numpy's out=); numpy's integers has no out=, so it returns a new array to copy.
Draw = Callable[[np.random.Generator, np.ndarray], Any]


class Sampler:
    """What an array draws in each tile: a numpy sampler, its dtype, its arguments.

    ``family`` is one of ``"uniform"``, ``"normal"``, ``"exponential"``, ``"integers"``,
    ``"bits"``; ``low``/``high`` are the integer bounds of ``"integers"`` (numpy's
    bounded sampler depends on ``high - low``).
    """

    __slots__ = ("family", "dtype", "low", "high", "draw", "bits")

    def __init__(self, family: str, dtype: np.dtype, low: int = 0, high: int = 0, *, check: bool = True) -> None:
        if check:
            check_sampler(family, dtype)  # here, so an unpickled copy checks its own numpy
        self.family = family
        self.bits = tile_bits(family)
        self.dtype = dtype
        self.low = low
        self.high = high
        self.draw: Draw = _make_draw(family, dtype, low, high)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Sampler, (self.family, self.dtype, self.low, self.high))

    def __repr__(self) -> str:
        bounds = f", low={self.low}, high={self.high}" if self.family == "integers" else ""
        return f"Sampler({self.family!r}, {self.dtype}{bounds})"


def _make_draw(family: str, dtype: np.dtype, low: int, high: int) -> Draw:
    t = dtype.type
    if family == "uniform":
        return lambda g, dst: g.random(out=dst, dtype=t)
    if family == "normal":
        return lambda g, dst: g.standard_normal(out=dst, dtype=t)
    if family == "exponential":
        return lambda g, dst: g.standard_exponential(out=dst, dtype=t)
    if family == "bits":
        top = 1 << (8 * dtype.itemsize)

        def bits(g: np.random.Generator, dst: np.ndarray) -> None:
            dst[...] = g.integers(0, top, size=dst.shape[0], dtype=t)

        return bits
    if family == "integers":
        def integers(g: np.random.Generator, dst: np.ndarray) -> None:
            dst[...] = g.integers(low, high, size=dst.shape[0], dtype=t)

        return integers
    raise ValueError(f"unknown sampler family {family!r}")


# -- the sampler self-check (NEP 19) -----------------------------------------------------
# numpy may change a Generator sampler in a minor release (NEP 19); the bit generators
# are frozen. A changed sampler would silently give other arrays for the same seed, so
# the first use of each (family, dtype) in a process draws a few thousand values from a
# fixed SFC64 -- for integers, over a narrow, a wide and the full range, numpy's three
# code paths -- and compares their blake2b digest with the one recorded in
# KNOWN_DIGESTS; on a mismatch seedpool.array refuses to generate.
_CHECK_SEED = 0x5EED9001
_CHECK_DRAWS = 4096


def _probe_samplers(family: str, dtype: np.dtype) -> list[Sampler]:
    if family != "integers":
        return [Sampler(family, dtype, check=False)]
    info = np.iinfo(dtype)
    spans = [200, 60001, 3_000_000_019, 10**15 + 37]  # 8/16-bit, 32-bit and 64-bit Lemire
    probes = [Sampler(family, dtype, int(info.min), int(info.min) + s, check=False)
              for s in spans if s <= info.max - info.min]
    return probes + [Sampler(family, dtype, int(info.min), int(info.max) + 1, check=False)]  # full range: raw bits


def sampler_digest(family: str, dtype: np.dtype) -> str:
    """blake2b of the probe draws of ``family`` in ``dtype`` on this numpy."""
    h = hashlib.blake2b(digest_size=16)
    g = np.random.Generator(np.random.SFC64(_CHECK_SEED))
    for sampler in _probe_samplers(family, dtype):
        out = np.empty(_CHECK_DRAWS, dtype=dtype)
        sampler.draw(g, out)
        h.update(out.astype(out.dtype.newbyteorder("<")).tobytes())
    return h.hexdigest()


# Recorded on numpy 2.4.6 and checked equal on 1.22.4, 1.26.4, 2.0.2 and 2.3.5.
KNOWN_DIGESTS: dict[tuple[str, str], str] = {
    ('uniform', 'float32'): '5ea29f48372174fd49c66754e3bc5633',
    ('uniform', 'float64'): '0f7cf2709da0df27f17dc663b1bdf7e3',
    ('normal', 'float32'): '92c9ce5f70d770a818ab686dc7530766',
    ('normal', 'float64'): '8116af96c3be5b88bb3230627ab57e27',
    ('exponential', 'float32'): '9e572bce0e3c004f04d008d38cb5bad1',
    ('exponential', 'float64'): '196fe31046b42103195cf4984b5c90f7',
    ('integers', 'int8'): '35e4254e44d83b9a561b806246be205d',
    ('integers', 'int16'): '1731a7b1bc6246cc8f4583c2ede6b76b',
    ('integers', 'int32'): 'e1fe050281197d39c975836b0616826d',
    ('integers', 'int64'): 'd276657a720c364e04c8bd069c6660dd',
    ('integers', 'uint8'): '0107ddce6f6d8414fa4aa94721df87f3',
    ('integers', 'uint16'): '9d95b78d51eb819db263966d68cfee98',
    ('integers', 'uint32'): 'a48c88ca69157de5f0f0bb3377e7b10f',
    ('integers', 'uint64'): '170c0fe48fe9fc997882f645e328df99',
    ('bits', 'uint8'): 'c227a2c1a622dcd22582641c52615df5',
    ('bits', 'uint16'): '8195dbf29b767f7a7a3b2fca3f20c0ef',
    ('bits', 'uint32'): 'c2ca219170cb8ac3172acbd4323f48b4',
    ('bits', 'uint64'): '6ae71c22390cd7fba477764ef076722b',
}
_checked: set[tuple[str, str]] = set()
_check_lock = threading.Lock()


def check_sampler(family: str, dtype: np.dtype) -> None:
    """Refuse (RuntimeError) if numpy's sampler for ``family``/``dtype`` is not the one the
    layout was recorded with; cheap after the first call per process."""
    key = (family, dtype.name)
    if key in _checked:
        return
    with _check_lock:
        if key in _checked:
            return
        want = KNOWN_DIGESTS.get(key)
        got = sampler_digest(family, dtype)
        if got != want:
            raise RuntimeError(
                f"numpy {np.__version__} draws other {family} values in {dtype.name} than the "
                f"numpy versions seedpool.array's streams were recorded on (numpy's samplers may "
                f"change between releases, NEP 19): seedpool.array refuses to give other numbers "
                f"for the same seed silently. Install a numpy seedpool lists as checked "
                f"(see the array guide's stream policy), or report this numpy version."
            )
        _checked.add(key)


# -- blocks ------------------------------------------------------------------------------
class _Segment:
    """Where one tile meets one axis of a request."""

    __slots__ = ("tile", "out", "local", "hi", "whole")

    def __init__(self, tile: int, out: slice, local: slice, hi: int, whole: bool) -> None:
        self.tile = tile  # the tile's coordinate on this axis
        self.out = out  # positions in the output
        self.local = local  # positions in the tile
        self.hi = hi  # the last tile position read (the prefix to draw ends there)
        self.whole = whole  # reads 0..hi with step 1, in order


def segments(r: range, edge: int) -> Iterator[_Segment]:
    """The tiles a range of indices on one axis crosses (``edge`` elements a tile), in
    order, computed as they are asked for."""
    n = len(r)
    flip = r.step < 0
    asc = r[::-1] if flip else r
    start, step = asc.start, asc.step
    p = 0
    while p < n:
        first = asc[p]
        k = first // edge
        p1 = min(n, -(-((k + 1) * edge - start) // step))  # first position past tile k
        lo = first - k * edge
        hi = asc[p1 - 1] - k * edge
        if flip:
            yield _Segment(k, slice(n - p1, n - p), slice(hi, lo - 1 if lo > 0 else None, -step), hi, False)
        else:
            yield _Segment(k, slice(p, p1), slice(lo, hi + 1, step), hi, lo == 0 and step == 1)
        p = p1


def count_segments(r: range, edge: int) -> int:
    """``len(list(segments(r, edge)))``, by arithmetic: a step up to ``edge`` meets every
    tile between the first and last index, a longer one a new tile at every index."""
    if not r:
        return 0
    if abs(r.step) > edge:
        return len(r)
    lo, hi = min(r[0], r[-1]), max(r[0], r[-1])
    return hi // edge - lo // edge + 1


_KEEP_SEGMENTS = 64  # an inner axis's segments are kept (not recomputed) up to this many


def _tile_walk(ranges: Sequence[range], edges: Sequence[int]) -> Iterator[tuple[_Segment, ...]]:
    """Every tile a block meets, in C order, as one segment per axis. The first axis is
    walked once; an inner axis is walked again for each outer segment, from a list if it
    is short -- so the bookkeeping stays small however many tiles a long axis crosses."""
    if not ranges:
        yield ()
        return
    if len(ranges) == 1:
        for seg in segments(ranges[0], edges[0]):
            yield (seg,)
        return
    kept = [list(segments(r, e)) if count_segments(r, e) <= _KEEP_SEGMENTS else None
            for r, e in zip(ranges, edges)]

    def walk(axis: int, prefix: tuple[_Segment, ...]) -> Iterator[tuple[_Segment, ...]]:
        segs = kept[axis]
        for seg in segments(ranges[axis], edges[axis]) if segs is None else segs:
            if axis == len(ranges) - 1:
                yield prefix + (seg,)
            else:
                yield from walk(axis + 1, prefix + (seg,))

    yield from walk(0, ())


_GROUP_BITS = 6  # the key cache derives tiles in aligned groups of 2**6 (shaped like a tile)
_MAX_GROUPS = 32  # groups a cache keeps (~1.5 KB each)


class KeyCache:
    """The SFC64 states of recently used tiles of one array, derived a group at a time.

    Deriving keys and warming SFC64 up costs ~100 us whether for 1 tile or 64 (numpy's
    per-call overhead), so a small block -- a 4,096-element slice, a small Dask chunk --
    derives the aligned group of 64 tiles around each tile it needs, and the next block
    nearby finds its states here. Only the cost depends on it: the states are those of
    ``sfc64_states(child_words(...))``.
    """

    def __init__(self, ndim: int) -> None:
        base, extra = divmod(_GROUP_BITS, ndim) if ndim else (0, 0)
        self.bits = tuple(base + (1 if axis >= ndim - extra else 0) for axis in range(ndim))
        self.groups: dict[tuple[int, ...], np.ndarray] = {}
        self.lock = threading.Lock()  # Dask's threads share an array: one writer at a time

    def __reduce__(self) -> tuple[Any, ...]:
        return (KeyCache, (len(self.bits),))  # a copy starts empty (a lock does not pickle)

    def states(self, node: SeedTree, coords: list[tuple[int, ...]]) -> np.ndarray:
        bits = self.bits
        groups = self.groups
        keys = [tuple(c >> b for c, b in zip(coord, bits)) for coord in coords]
        missing = list(dict.fromkeys(k for k in keys if k not in groups))
        if missing:
            local = list(itertools.product(*(range(1 << b) for b in bits)))
            size = len(local)
            columns = [np.array([(g[k] << bits[k]) + loc[k] for g in missing for loc in local], dtype=np.int64)
                       for k in range(len(bits))]
            states = sfc64_states(child_words(node, columns, 3, size * len(missing)))
            with self.lock:
                for i, g in enumerate(missing):
                    groups[g] = states[i * size:(i + 1) * size]
                while len(groups) > _MAX_GROUPS:
                    groups.pop(next(iter(groups)))
        out = np.empty((len(coords), 4), dtype=np.uint64)
        for j, (coord, key) in enumerate(zip(coords, keys)):
            row = 0
            for c, b in zip(coord, bits):
                row = (row << b) | (c & ((1 << b) - 1))
            table = groups.get(key)
            if table is None:  # evicted by another thread meanwhile: derive it alone
                table = self.states(node, [coord])
                row = 0
            out[j] = table[row]
        return out


_thread_generators = threading.local()


class _TileWorker:
    """One thread's generator, state buffer and scratch tile."""

    def __init__(self, sampler: Sampler, shape: tuple[int, ...]) -> None:
        # Each thread keeps its generator: building one (from a SeedSequence) costs more
        # than drawing a small block. Every tile sets the whole state before drawing.
        pair: Any = getattr(_thread_generators, "pair", None)
        if pair is None:
            bg = np.random.SFC64(0)
            pair = _thread_generators.pair = (bg, np.random.Generator(bg))
        self.bg: np.random.SFC64 = pair[0]
        self.gen: np.random.Generator = pair[1]
        self.inner: dict[str, Any] = {"state": None}
        self.state: Any = {"bit_generator": "SFC64", "state": self.inner, "has_uint32": 0, "uinteger": 0}
        self.draw = sampler.draw
        self.dtype = sampler.dtype
        self.shape = shape
        self.scratch: Optional[np.ndarray] = None

    def _scratch(self) -> np.ndarray:
        scratch = self.scratch
        if scratch is None:
            scratch = self.scratch = np.empty(math.prod(self.shape), dtype=self.dtype)
        return scratch

    def run(self, out: np.ndarray, node: SeedTree, tiles: list[tuple[_Segment, ...]],
            post: Optional[Callable[[np.ndarray], None]], cache: Optional[KeyCache]) -> None:
        shape = self.shape
        ndim = len(shape)
        # A tile's draws fill it in Fortran order (the first axis fastest): element
        # (i, j, ...) is draw i + e0 * (j + e1 * ...).
        strides = [math.prod(shape[:k]) for k in range(ndim)]
        if len(tiles) < _FEW_TILES and cache is not None:
            states = cache.states(node, [tuple(s.tile for s in t) for t in tiles])
        else:
            columns = [np.fromiter((t[k].tile for t in tiles), dtype=np.int64, count=len(tiles))
                       for k in range(ndim)]
            states = sfc64_states(child_words(node, columns, 3, len(tiles)))
        inner, state, bg, gen, draw = self.inner, self.state, self.bg, self.gen, self.draw
        flat_tile = self._scratch()
        tile_view = flat_tile.reshape(shape[::-1]).T  # the tile, indexed (i, j, ...)
        for j, tile in enumerate(tiles):
            inner["state"] = states[j]  # the setter copies it into the generator
            bg.state = state
            if ndim == 1:  # the common case, without the general bookkeeping
                seg = tile[0]
                if seg.whole:  # reads the tile's first hi + 1 elements: draw them in place
                    dst = out[seg.out]
                    draw(gen, dst)
                    if post is not None:
                        post(dst)
                    continue
                flat = flat_tile[:seg.hi + 1]
                draw(gen, flat)
                if post is not None:
                    post(flat)
                out[seg.out] = flat[seg.local]
                continue
            # Draw up to the last element read: in Fortran order that is the one with
            # every axis at its highest position read.
            n = 1
            for seg, stride in zip(tile, strides):
                n += seg.hi * stride
            flat = flat_tile[:n]
            draw(gen, flat)
            if post is not None:
                post(flat)
            dst = out[tuple([s.out for s in tile]) + (Ellipsis,)]
            src = tile_view[tuple([s.local for s in tile])]
            if dst.nbytes <= _STRIP_BYTES:
                dst[...] = src
            else:
                # A large tile's copy transposes its layout (Fortran order into a C-order
                # block); done whole it thrashes the cache (a 128x128 float64 tile: 16 us),
                # in strips of 32 along the last axis 10 us.
                width = dst.shape[-1]
                for k in range(0, width, _STRIP):
                    dst[..., k:k + _STRIP] = src[..., k:k + _STRIP]


def fill(node: SeedTree, sampler: Sampler, ranges: Sequence[range], threads: int = 1,
         post: Optional[Callable[[np.ndarray], None]] = None, cache: Optional[KeyCache] = None) -> np.ndarray:
    """The block ``base[ranges]`` of the array keyed under ``node``: a new C-ordered array
    of shape ``tuple(len(r) for r in ranges)``.

    ``post`` transforms drawn values in place (loc/scale); it is applied to whole drawn
    tile prefixes, elementwise, so where a value is drawn does not change it.
    """
    shape = tile_shape(len(ranges), sampler.bits)
    out = np.empty(tuple(len(r) for r in ranges), dtype=sampler.dtype)
    if out.size == 0:
        return out
    tiles = _tile_walk(ranges, shape)
    n_tiles = 1
    for r, e in zip(ranges, shape):
        n_tiles *= count_segments(r, e)
    if n_tiles <= BATCH:  # one batch, this thread
        _TileWorker(sampler, shape).run(out, node, list(tiles), post, cache)
        return out
    batches: Iterator[list[tuple[_Segment, ...]]] = iter(lambda: list(itertools.islice(tiles, BATCH)), [])
    threads = max(1, min(threads, -(-n_tiles // BATCH)))
    if threads == 1:
        worker = _TileWorker(sampler, shape)
        for batch in batches:
            worker.run(out, node, batch, post, cache)
        return out
    lock = threading.Lock()

    def work() -> None:
        worker = _TileWorker(sampler, shape)
        while True:
            with lock:
                batch = next(batches, None)
            if batch is None:
                return
            worker.run(out, node, batch, post, cache)

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="seedpool-array") as pool:
        for future in [pool.submit(work) for _ in range(threads)]:
            future.result()
    return out
