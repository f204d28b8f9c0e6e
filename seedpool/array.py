"""Random arrays whose every element is keyed: the same bits for any slice, chunking, thread count or shape.

``seedpool.array.normal(seed, shape)`` is a lazy :class:`RandomArray`: nothing is drawn
until you index it, convert it (``np.asarray``, :meth:`RandomArray.to_numpy`) or compute
its Dask form (:meth:`RandomArray.to_dask`). Whatever part you ask for, and however it is
cut up, element ``(i, j, ...)`` has the same value:

* a slice equals the same slice of the whole array, for any starts, stops and steps;
* ``to_dask(chunks)`` computes to the same bits for every chunking, on any scheduler;
* ``to_numpy(threads=k)`` gives the same bits for every ``k``;
* the shape does not matter: element ``(1, 3)`` of a ``(4, 8)`` array equals element
  ``(1, 3)`` of a ``(100, 1000)`` one, so a grown array keeps its old elements.

The contract: the value at index ``(i, j, ...)`` is a pure function of the seed (its
node), the function (``random``/``uniform``, ``normal``, ...), its parameters, the dtype,
the number of dimensions and the index -- and of nothing else (not of the slice asked
for, the chunking, the thread count, the process or the extent of any axis). Arrays of
different ``ndim`` are unrelated: a ``(n,)`` array is not the first row of a ``(1, n)``
one. Parameters transform one standard array, as numpy's do with one seed:
``uniform(s, shape, low, high) == low + (high - low) * random(s, shape)`` and
``normal(s, shape, loc, scale) == loc + scale * normal(s, shape)`` (computed in the
array's dtype; the default parameters leave the drawn values untouched), so use another
seed or key path for an independent array.

Key layout (``seedpool._keys``): every element lies in a fixed tile of ``2**12``
elements -- ``(4096,)``, ``(64, 64)``, ``(16, 16, 16)``... by ``ndim``; ``2**14`` for
``random``/``uniform`` and ``bits``: ``(16384,)``, ``(128, 128)``, ``(16, 32, 32)``... --
and tile ``t``
(its tile coordinates) is drawn by numpy's own sampler from
``numpy.random.SFC64(SeedTree(seed).child("array", family, dtype, ndim, *t)
.seed_sequence)``, filling the tile in Fortran order (first axis fastest); ``family`` is ``"uniform"`` (``random`` and ``uniform``),
``"normal"``, ``"exponential"``, ``"integers"`` or ``"bits"``, ``dtype`` its numpy name
(``"float64"``). :func:`uniform_at` keys by label:
``SeedTree(seed).child("labels", "uniform", kind, *words)``.

Stream policy: numpy may change a ``Generator`` sampler between releases (NEP 19; its
bit generators are frozen). The first use of each sampler in a process draws a fixed
probe and compares it with the digest recorded here; if numpy's sampler changed,
seedpool.array raises ``RuntimeError`` rather than give other numbers for the same seed.
Golden vectors in the test suite pin the first values of every function and dtype.

Imports numpy only; :meth:`RandomArray.to_dask` imports Dask when called.
"""

from __future__ import annotations

import hashlib
import numbers
import operator
from collections.abc import Sequence
from typing import Any, Callable, Optional, Union

import numpy as np

from ._derive import keys as _keys
from ._derive.tiles import KeyCache, Sampler, child_words, fill, tile_bits, tile_shape
from ._derive.tree import SeedLike, SeedTree

__all__ = [
    "RandomArray",
    "random",
    "uniform",
    "normal",
    "standard_exponential",
    "integers",
    "bits",
    "uniform_at",
]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_MAX_TILE = 2**31  # tile coordinates are SeedTree int keys
ShapeLike = Union[int, Sequence[int]]


# -- argument checks -----------------------------------------------------------------------
def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} of type {type(value).__name__}"


def _root(seed: Any) -> SeedTree:
    return seed if isinstance(seed, SeedTree) else SeedTree(seed)


def _shape(shape: Any, family: str) -> tuple[int, ...]:
    sequence = isinstance(shape, (Sequence, np.ndarray)) and not isinstance(shape, (str, bytes)) and np.ndim(shape) > 0
    items = shape if sequence else (shape,)
    out = []
    for item in items:
        if isinstance(item, (bool, np.bool_)):
            raise TypeError(f"shape must be an int or a sequence of ints, not a bool (got {shape!r})")
        try:
            n = operator.index(item)
        except TypeError:
            raise TypeError(f"shape must be an int or a sequence of ints (got {_describe(shape)})") from None
        if n < 0:
            raise ValueError(f"shape must not have negative dimensions (got {shape!r})")
        out.append(n)
    edges = tile_shape(len(out), tile_bits(family))
    for n, edge in zip(out, edges):
        if n > edge * _MAX_TILE:
            raise ValueError(f"shape {tuple(out)} is too large: a {len(out)}-d array may extend at most "
                             f"{edge * _MAX_TILE} elements along each axis")
    return tuple(out)


def _dtype(dtype: Any, allowed: Callable[[np.dtype], bool], what: str) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a numpy dtype, {what} (got {_describe(dtype)})") from None
    if dt.kind in "fiu":
        dt = dt.newbyteorder("=")  # native byte order: what numpy's samplers draw
    if not allowed(dt):
        raise ValueError(f"dtype must be {what} (got {dt})")
    return dt


def _float_dtype(dtype: Any) -> np.dtype:
    return _dtype(dtype, lambda dt: dt in _FLOATS, "numpy.float32 or numpy.float64")


def _real(value: Any, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number (got {_describe(value)})")
    x = float(value)
    if not np.isfinite(x):
        raise ValueError(f"{name} must be finite (got {value!r})")
    return x


def _int(value: Any, name: str) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int, not a bool (got {value!r})")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int (got {_describe(value)})") from None


def _threads(threads: Any) -> int:
    if threads is None:
        return 1
    n = _int(threads, "threads")
    if n < 1:
        raise ValueError(f"threads must be a positive int or None (got {n})")
    return n


# -- the lazy array -----------------------------------------------------------------------
class _Affine:
    """``x * scale + shift`` in place, in the array's dtype (the parameters of uniform and
    normal). Elementwise, so the same wherever a value is drawn."""

    __slots__ = ("scale", "shift")

    def __init__(self, dtype: np.dtype, scale: float, shift: float) -> None:
        self.scale = dtype.type(scale)
        self.shift = dtype.type(shift)

    def __call__(self, values: np.ndarray) -> None:
        np.multiply(values, self.scale, out=values)
        np.add(values, self.shift, out=values)


class RandomArray:
    """A lazy random array whose every element is keyed by its index.

    Made by :func:`random`, :func:`uniform`, :func:`normal`, :func:`standard_exponential`,
    :func:`integers` and :func:`bits`; nothing is drawn until it is indexed or
    converted. Element ``(i, j, ...)`` is the same for every slice, chunking, thread
    count and array shape (the module's contract).

    Parameters
    ----------
    root : SeedTree
        The seed's node.
    function : str
        The name of the function that made it.
    family : str
        The sampler family, a key of the layout: ``"uniform"``, ``"normal"``,
        ``"exponential"``, ``"integers"`` or ``"bits"``.
    shape : tuple of int
    dtype : numpy.dtype
    params : dict
        The function's parameters, as given (shown by ``repr``).
    low, high : int
        The bounds of ``"integers"``.
    post : callable or None
        Transforms drawn values in place (``loc``/``scale``, ``low``/``high``).

    The functions check their arguments; call them rather than this constructor.

    Attributes
    ----------
    shape : tuple of int
    dtype : numpy.dtype
    ndim : int
    size : int
    root : SeedTree
        The seed's node, as given (a ``SeedTree``) or made from it.
    node : SeedTree
        ``root.child("array", family, dtype, ndim)``: tile ``t`` is drawn from
        ``node.child(*t)``.
    function : str
        The function that made it (``"normal"``...), with ``params`` its parameters.

    Examples
    --------
    >>> import numpy as np
    >>> import seedpool.array as spa
    >>> a = spa.normal(7, (4, 8))
    >>> a.shape, a.dtype
    ((4, 8), dtype('float64'))
    >>> bool((a[1:3, ::3] == np.asarray(a)[1:3, ::3]).all())
    True
    >>> bool(a[1, 3] == spa.normal(7, (100, 1000))[1, 3])
    True
    """

    __slots__ = ("root", "node", "function", "params", "_sampler", "_shape", "_post", "_cache")

    def __init__(self, root: SeedTree, function: str, family: str, shape: tuple[int, ...], dtype: np.dtype,
                 params: dict[str, Any], low: int = 0, high: int = 0,
                 post: Optional[Callable[[np.ndarray], None]] = None) -> None:
        self.root = root
        self.function = function
        self.params = params
        self._shape = shape
        self.node = root.child(_keys.ARRAY, family, dtype.name, len(shape))
        self._sampler = Sampler(family, dtype, low, high)
        self._post = post
        self._cache = KeyCache(len(shape))

    # -- what it is ---------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape."""
        return self._shape

    @property
    def dtype(self) -> np.dtype:
        """The array's dtype."""
        return self._sampler.dtype

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return len(self._shape)

    @property
    def size(self) -> int:
        """The number of elements."""
        return int(np.prod(self._shape, dtype=object))

    @property
    def nbytes(self) -> int:
        """The bytes the whole array takes once drawn."""
        return self.size * self.dtype.itemsize

    def __len__(self) -> int:
        if not self._shape:
            raise TypeError("len() of a 0-d RandomArray")
        return self._shape[0]

    def __repr__(self) -> str:
        params = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"seedpool.array.RandomArray({self.function}, shape={self._shape}, dtype={self.dtype}{params}, " \
               f"root={self.root!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # The key cache stays behind; the Sampler re-checks numpy's sampler on arrival.
        s = self._sampler
        post = self._post
        affine = None if post is None else (float(post.scale), float(post.shift))  # type: ignore[attr-defined]
        return (_rebuild, (self.root, self.function, s.family, self._shape, s.dtype, self.params, s.low, s.high,
                           affine))

    def __dask_tokenize__(self) -> Any:
        s = self._sampler
        return ("seedpool.array", self.root.entropy, self.root.path, self.function, s.family, s.dtype.str,
                s.low, s.high, tuple(sorted(self.params.items())), self._shape)

    # -- drawing -----------------------------------------------------------------------
    def _fill(self, ranges: Sequence[range], threads: int = 1) -> np.ndarray:
        return fill(self.node, self._sampler, ranges, threads, self._post, self._cache)

    def __getitem__(self, key: Any) -> np.ndarray:
        """``a[key]`` as a new ``numpy.ndarray``: basic indexing only (ints, slices with
        any step, ``...`` and ``None``); equal to ``np.asarray(a)[key]``."""
        ranges, final = self._index(key)
        return self._fill(ranges).reshape(final)

    def _index(self, key: Any) -> tuple[list[range], tuple[int, ...]]:
        items = key if isinstance(key, tuple) else (key,)
        n_ellipsis = sum(1 for k in items if k is Ellipsis)
        if n_ellipsis > 1:
            raise IndexError("an index can only have a single ellipsis ('...')")
        n_axes = sum(1 for k in items if k is not None and k is not Ellipsis)
        if n_axes > self.ndim:
            raise IndexError(f"too many indices for a {self.ndim}-d RandomArray: {n_axes} were given")
        if n_ellipsis == 0:
            items = items + (Ellipsis,)
        ranges: list[range] = []
        final: list[int] = []
        axis = 0
        for k in items:
            if k is Ellipsis:
                for _ in range(self.ndim - n_axes):
                    r = range(self._shape[axis])
                    ranges.append(r)
                    final.append(len(r))
                    axis += 1
            elif k is None:
                final.append(1)
            elif isinstance(k, slice):
                r = range(self._shape[axis])[k]
                ranges.append(r)
                final.append(len(r))
                axis += 1
            else:
                if isinstance(k, (bool, np.bool_)):
                    raise TypeError(f"RandomArray indices must be ints, slices, ... or None, not a bool "
                                    f"(got {k!r}); use np.asarray(a)[mask] for boolean indexing")
                try:
                    i = operator.index(k)
                except TypeError:
                    raise TypeError(
                        f"RandomArray supports basic indexing only: ints, slices, ... and None (got "
                        f"{_describe(k)}); for fancy indexing take a slice first, e.g. a[lo:hi][idx]"
                    ) from None
                n = self._shape[axis]
                if not -n <= i < n:
                    raise IndexError(f"index {i} is out of bounds for axis {axis} with size {n}")
                ranges.append(range(i % n, i % n + 1))
                axis += 1
        return ranges, tuple(final)

    def to_numpy(self, threads: Optional[int] = None) -> np.ndarray:
        """The whole array as a new ``numpy.ndarray``.

        Parameters
        ----------
        threads : int or None
            Threads that draw tiles in parallel (numpy releases the GIL while it fills
            them). ``None`` is 1, the calling thread. The values are the same for every
            number of threads.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> import numpy as np, seedpool.array as spa
        >>> a = spa.random(3, (300, 200))
        >>> np.array_equal(a.to_numpy(threads=4), a.to_numpy())
        True
        """
        return self._fill([range(n) for n in self._shape], _threads(threads))

    def __array__(self, dtype: Any = None, copy: Optional[bool] = None) -> np.ndarray:
        if copy is False:
            raise ValueError("a RandomArray is drawn when converted: it cannot be viewed without a copy")
        out = self.to_numpy()
        return out if dtype is None else out.astype(dtype, copy=False)

    def to_dask(self, chunks: Any = "auto") -> Any:
        """The array as a ``dask.array.Array`` with the given chunks.

        Each chunk is drawn where Dask runs it, from the tiles it overlaps, so the
        computed array is the same for every chunking and scheduler: equal to
        ``np.asarray(self)``.

        Parameters
        ----------
        chunks : int, tuple, str or dict
            As for ``dask.array.from_array`` (``"auto"`` by default).

        Returns
        -------
        dask.array.Array

        Examples
        --------
        >>> import numpy as np, seedpool.array as spa
        >>> a = spa.normal(42, (10,))
        >>> np.array_equal(a.to_dask(chunks=3).compute(), a.to_dask(chunks=7).compute())
        True
        """
        import dask.array as da
        from dask.base import tokenize

        name = f"seedpool-{self.function}-{tokenize(self, chunks)}"
        return da.from_array(self, chunks=chunks, name=name, asarray=False, fancy=False,
                             meta=np.empty((0,) * self.ndim, dtype=self.dtype))


def _rebuild(root: SeedTree, function: str, family: str, shape: tuple[int, ...], dtype: np.dtype,
             params: dict[str, Any], low: int, high: int, affine: Optional[tuple[float, float]]) -> RandomArray:
    post = None if affine is None else _Affine(dtype, *affine)
    return RandomArray(root, function, family, shape, dtype, params, low, high, post)


# -- the functions ------------------------------------------------------------------------
def random(seed: SeedLike, shape: ShapeLike, dtype: Any = np.float64) -> RandomArray:
    """Uniform floats in ``[0, 1)``, each keyed by its index.

    Drawn by numpy's ``Generator.random`` in each tile; ``random(s, shape)`` equals
    ``uniform(s, shape)``.

    Parameters
    ----------
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        The root: anything :class:`seedpool.SeedTree` accepts, or a node, so
        ``root.child("init", "layer3")`` names an array. ``None`` draws fresh entropy
        once (kept in ``RandomArray.root``).
    shape : int or tuple of int
    dtype : {numpy.float64, numpy.float32}

    Returns
    -------
    RandomArray

    Raises
    ------
    TypeError, ValueError
        For a seed, shape or dtype numpy or :class:`seedpool.SeedTree` would refuse.

    Examples
    --------
    >>> import numpy as np, seedpool.array as spa
    >>> a = spa.random(1, 10)
    >>> bool((a[2:] == spa.random(1, 1000)[2:10]).all())   # a longer array starts alike
    True
    """
    return _floats("random", _keys.UNIFORM, seed, shape, dtype, {})


def uniform(seed: SeedLike, shape: ShapeLike, low: float = 0.0, high: float = 1.0,
            dtype: Any = np.float64) -> RandomArray:
    """Uniform floats in ``[low, high)``, each keyed by its index.

    ``low + (high - low) * u`` in the array's dtype, where ``u`` is the element of
    :func:`random` with the same seed (so, as in numpy, the result may equal ``high``
    by rounding).

    Parameters
    ----------
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        As for :func:`random`.
    shape : int or tuple of int
    low, high : float
        Finite, ``low <= high``.
    dtype : {numpy.float64, numpy.float32}

    Returns
    -------
    RandomArray

    Examples
    --------
    >>> import numpy as np, seedpool.array as spa
    >>> a = spa.uniform(5, (3, 4), low=-1.0, high=1.0)
    >>> bool(((-1 <= np.asarray(a)) & (np.asarray(a) < 1)).all())
    True
    """
    lo, hi = _real(low, "low"), _real(high, "high")
    if hi < lo:
        raise ValueError(f"high must be >= low (got low={low!r}, high={high!r})")
    if not np.isfinite(hi - lo):
        raise ValueError(f"high - low must be finite (got low={low!r}, high={high!r})")
    dt = _float_dtype(dtype)
    post = None if (lo, hi) == (0.0, 1.0) else _Affine(dt, hi - lo, lo)
    return _floats("uniform", _keys.UNIFORM, seed, shape, dt, {"low": low, "high": high}, post)


def normal(seed: SeedLike, shape: ShapeLike, loc: float = 0.0, scale: float = 1.0,
           dtype: Any = np.float64) -> RandomArray:
    """Normal floats, each keyed by its index.

    Drawn by numpy's ``Generator.standard_normal`` (ziggurat) in each tile, then
    ``loc + scale * z`` in the array's dtype.

    Parameters
    ----------
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        As for :func:`random`.
    shape : int or tuple of int
    loc : float
    scale : float
        Finite and non-negative.
    dtype : {numpy.float64, numpy.float32}

    Returns
    -------
    RandomArray

    Examples
    --------
    >>> import numpy as np, seedpool.array as spa
    >>> a = spa.normal(42, (1000, 1000), dtype=np.float32)
    >>> bool((a[10:20, 500:510] == a.to_dask(chunks=(64, 300)).compute()[10:20, 500:510]).all())
    True
    """
    mu, sigma = _real(loc, "loc"), _real(scale, "scale")
    if sigma < 0:
        raise ValueError(f"scale must be non-negative (got {scale!r})")
    dt = _float_dtype(dtype)
    post = None if (mu, sigma) == (0.0, 1.0) else _Affine(dt, sigma, mu)
    return _floats("normal", _keys.NORMAL, seed, shape, dt, {"loc": loc, "scale": scale}, post)


def standard_exponential(seed: SeedLike, shape: ShapeLike, dtype: Any = np.float64) -> RandomArray:
    """Standard exponential floats (mean 1), each keyed by its index.

    Drawn by numpy's ``Generator.standard_exponential`` (ziggurat) in each tile.

    Parameters
    ----------
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        As for :func:`random`.
    shape : int or tuple of int
    dtype : {numpy.float64, numpy.float32}

    Returns
    -------
    RandomArray

    Examples
    --------
    >>> import seedpool.array as spa
    >>> a = spa.standard_exponential(0, 10**6)
    >>> 0.99 < float(a[:].mean()) < 1.01
    True
    """
    return _floats("standard_exponential", _keys.EXPONENTIAL, seed, shape, dtype, {})


def _floats(function: str, family: str, seed: Any, shape: Any, dtype: Any, params: dict[str, Any],
            post: Optional[_Affine] = None) -> RandomArray:
    dims = _shape(shape, family)
    dt = _float_dtype(dtype)
    return RandomArray(_root(seed), function, family, dims, dt, params, post=post)


def integers(seed: SeedLike, shape: ShapeLike, low: int, high: Optional[int] = None,
             dtype: Any = np.int64) -> RandomArray:
    """Integers in ``[low, high)``, each keyed by its index.

    Drawn by numpy's ``Generator.integers`` (Lemire's bounded method) in each tile. As
    in numpy, ``high=None`` means ``[0, low)``. numpy's method depends on
    ``high - low``: arrays with other spans are unrelated, and ones with the same span
    are shifted copies.

    Parameters
    ----------
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        As for :func:`random`.
    shape : int or tuple of int
    low, high : int
        ``low < high``, both within ``dtype`` (``high`` may be its maximum + 1).
    dtype : numpy integer dtype, default numpy.int64

    Returns
    -------
    RandomArray

    Examples
    --------
    >>> import numpy as np, seedpool.array as spa
    >>> dice = spa.integers(3, (10, 10), 1, 7)
    >>> sorted(set(np.asarray(dice).ravel().tolist()))
    [1, 2, 3, 4, 5, 6]
    """
    lo = _int(low, "low")
    if high is None:
        lo, hi = 0, lo
    else:
        hi = _int(high, "high")
    dt = _dtype(dtype, lambda d: d.kind in "iu", "a numpy integer dtype such as numpy.int64")
    info = np.iinfo(dt)
    if hi <= lo:
        raise ValueError(f"high must be > low (got low={lo}, high={hi})")
    if lo < info.min or hi - 1 > info.max:
        raise ValueError(f"low and high must lie within {dt}: [{info.min}, {info.max} + 1] (got low={lo}, "
                         f"high={hi}); use a wider dtype")
    dims = _shape(shape, _keys.INTEGERS)
    return RandomArray(_root(seed), "integers", _keys.INTEGERS, dims, dt, {"low": lo, "high": hi}, lo, hi)


def bits(seed: SeedLike, shape: ShapeLike, dtype: Any = np.uint64) -> RandomArray:
    """Uniformly random bits as unsigned integers, each keyed by its index.

    Parameters
    ----------
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        As for :func:`random`.
    shape : int or tuple of int
    dtype : {numpy.uint64, numpy.uint32, numpy.uint16, numpy.uint8}

    Returns
    -------
    RandomArray

    Examples
    --------
    >>> import numpy as np, seedpool.array as spa
    >>> spa.bits(9, 4, dtype=np.uint8).dtype
    dtype('uint8')
    """
    dt = _dtype(dtype, lambda d: d.kind == "u", "an unsigned integer dtype (numpy.uint8 ... numpy.uint64)")
    return RandomArray(_root(seed), "bits", _keys.BITS, _shape(shape, _keys.BITS), dt, {})


# -- keyed by label ---------------------------------------------------------------------
_M31 = 0x7FFFFFFF
_INT, _UINT_HIGH, _STR = 0, 1, 2  # the kind word of a label's key
_LABEL_BLOCK = 1 << 16  # labels derived at once (bounds the working memory)


def _str_words(text: str) -> tuple[int, int, int, int]:
    h = int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest(), "little")
    return (h & _M31, (h >> 31) & _M31, (h >> 62) & _M31, (h >> 93) & _M31)


def _int_columns(values: np.ndarray, unsigned: bool) -> list[Any]:
    u = values.astype(np.uint64, copy=False) if unsigned else values.astype(np.int64).view(np.uint64)
    kind = (u >> np.uint64(63)).astype(np.int64) * _UINT_HIGH if unsigned else 0
    return [kind, u & np.uint64(_M31), (u >> np.uint64(31)) & np.uint64(_M31), u >> np.uint64(62)]


def _uniforms(node: SeedTree, columns: list[Any], n: int) -> np.ndarray:
    words = child_words(node, columns, 1, n)[:, 0]
    return (words >> np.uint64(11)).astype(np.float64) * 2.0**-53


def uniform_at(seed: SeedLike, labels: Any) -> np.ndarray:
    """One uniform float in ``[0, 1)`` per label, keyed by the label itself.

    The value for a label depends only on the seed and the label -- not on its
    position, on the other labels or on how the labels are split up -- so rows of a
    table keyed by an id can be sampled or split the same way on any partitioning
    (:func:`seedpool.dask.sample`, :func:`seedpool.dask.random_split`).

    Label ``x`` gets the first 64 bits of
    ``SeedTree(seed).child("labels", "uniform", kind, *words)``, as a float with 53
    random bits: an int in ``[-2**63, 2**63)`` has kind 0 (and one in
    ``[2**63, 2**64)`` kind 1) with ``words`` its 64-bit two's complement in 31-bit
    pieces; a str has kind 2 with ``words`` its ``blake2b(utf-8, digest_size=16)`` in
    four 31-bit pieces. So ``5`` and ``numpy.int64(5)`` agree, ``5`` and ``"5"`` do not.

    Parameters
    ----------
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        As for :func:`random`.
    labels : array_like of int or str
        Any shape: a list, a numpy array, a pandas Index or Series.

    Returns
    -------
    numpy.ndarray
        float64, of the labels' shape.

    Raises
    ------
    TypeError
        For a label that is neither an int nor a str (a bool, a float, None...).
    ValueError
        For an int outside ``[-2**63, 2**64)``.

    Examples
    --------
    >>> import numpy as np, seedpool.array as spa
    >>> u = spa.uniform_at(7, ["a", "b", 10, 11])
    >>> bool(u[2] == spa.uniform_at(7, [11, 10])[1])     # order and company do not matter
    True
    """
    node = _root(seed).child(_keys.LABELS, _keys.UNIFORM)
    if isinstance(labels, (str, bytes)) or np.ndim(labels) == 0:
        raise TypeError(f"labels must be a sequence or array of ints or strings (got {_describe(labels)}); "
                        "wrap a single label in a list")
    # A list is taken item by item: np.asarray(["a", 10]) would turn 10 into "10".
    arr = np.asarray(labels) if hasattr(labels, "dtype") else np.array(labels, dtype=object)
    shape = arr.shape
    flat = arr.reshape(-1)
    out = np.empty(flat.shape[0], dtype=np.float64)
    kind = arr.dtype.kind
    if kind in "iu":
        for start in range(0, flat.shape[0], _LABEL_BLOCK):
            part = flat[start:start + _LABEL_BLOCK]
            out[start:start + len(part)] = _uniforms(node, _int_columns(part, kind == "u"), len(part))
        return out.reshape(shape)
    if kind not in "UO":
        raise TypeError(f"labels must be ints or strings (got an array of dtype {arr.dtype}); "
                        "convert float or bool labels to ints or strings explicitly")
    ints: list[int] = []
    int_at: list[int] = []
    strs: list[tuple[int, int, int, int]] = []
    str_at: list[int] = []
    for i, item in enumerate(flat.tolist()):
        if isinstance(item, str):
            strs.append(_str_words(item))
            str_at.append(i)
            continue
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, (int, np.integer)):
            raise TypeError(f"labels must be ints or strings (got {_describe(item)} at position {i})")
        value = int(item)
        if not -(2**63) <= value < 2**64:
            raise ValueError(f"an int label must lie in [-2**63, 2**64) (got {value} at position {i})")
        ints.append(value)
        int_at.append(i)
    for start in range(0, len(ints), _LABEL_BLOCK):
        chunk = ints[start:start + _LABEL_BLOCK]
        high = np.array([v >= 2**63 for v in chunk], dtype=bool)
        u = np.array([v % 2**64 for v in chunk], dtype=np.uint64)
        columns = _int_columns(u, True)
        columns[0] = high.astype(np.int64) * _UINT_HIGH
        out[int_at[start:start + len(chunk)]] = _uniforms(node, columns, len(chunk))
    for start in range(0, len(strs), _LABEL_BLOCK):
        words = np.array(strs[start:start + _LABEL_BLOCK], dtype=np.int64).reshape(-1, 4)
        columns = [_STR] + [words[:, k] for k in range(4)]
        out[str_at[start:start + len(words)]] = _uniforms(node, columns, len(words))
    return out.reshape(shape)
