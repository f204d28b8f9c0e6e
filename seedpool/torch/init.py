"""``torch.nn.init`` counterparts whose every element is keyed: a shard is the slice.

``import seedpool.torch.init`` imports torch; ``import seedpool`` never does.

``torch.nn.init.normal_(w)`` draws from one generator in memory order, so a shard of a
weight initialised on its own rank is not the slice of the weight initialised whole,
and the model changes with the tensor- or data-parallel degree (torchtitan#514 keeps a
"seed checkpoint" for this; DTensor's RNG depends on the sharding, pytorch#168058).
Here element ``(i, j, ...)`` of the *global* tensor is a pure function of the key, the
function, its parameters, the dtype drawn and the index -- it comes from
:mod:`seedpool.array`, where every element is keyed by its index -- so::

    normal_(shard, key, 0, 0.02, global_shape=(4096, 4096), offset=(1024, 0))
        == normal_(torch.empty(4096, 4096), key, 0, 0.02)[1024:1024 + rows]

bit for bit, for any tensor- or FSDP-style split, and a DTensor is filled shard by shard
from its placements with no communication.

What each function draws, with ``A = seedpool.array`` and ``key`` the node given
(``root.child("init", "layers.3.weight")``, the same on every rank)::

    normal_(t, key, mean, std)            A.normal(key, shape, mean, std)
    uniform_(t, key, a, b)                A.uniform(key, shape, a, b)
    trunc_normal_(t, key, mean, std, a, b)  inverse CDF of A.uniform(key, shape, 2l - 1, 2u - 1)
    kaiming_*/xavier_*                    normal_/uniform_ with torch's std or bound,
                                          its fans computed from the *global* shape

drawn in float64 for a float64 tensor and in float32 otherwise (float16 and bfloat16
tensors get the float32 values rounded, element by element).

``trunc_normal_`` stays per element the way ``torch.nn.init.trunc_normal_`` itself
works: a keyed uniform ``u`` in ``[2 Phi(alpha) - 1, 2 Phi(beta) - 1)`` becomes
``mean + std * sqrt(2) * erfinv(u)``, clamped to ``[a, b]`` -- one uniform per element,
no rejection loop whose draw count would depend on the neighbours. It is computed in
float64 with ``torch.erfinv``, an elementwise CPU kernel (checked position-independent
in the tests); on another CPU type or torch build its last bit may differ, like any
transcendental function's.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any, Callable, Optional

import numpy as np
import torch

from .. import array as _array
from .._derive.tree import SeedLike, SeedTree

__all__ = [
    "normal_",
    "uniform_",
    "trunc_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "xavier_uniform_",
    "xavier_normal_",
    "shard_offset",
]

Shape = Sequence[int]


# -- where a shard lies in the global tensor ---------------------------------------------
def _dtensor_type() -> Any:
    # A DTensor exists only once its module is imported: look there instead of importing
    # it (about 1.5 s of CPU) to find out that a plain tensor is not one.
    module = sys.modules.get("torch.distributed.tensor")
    return getattr(module, "DTensor", None)


def shard_offset(tensor: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The global shape of a DTensor and the offset of this rank's shard in it.

    ``Shard(d)`` placements split dimension ``d`` as ``torch.chunk`` does (chunks of
    ``ceil(size / n)``, the last ones shorter or empty), one mesh dimension after the
    other; ``Replicate()`` leaves it whole.

    Parameters
    ----------
    tensor : torch.distributed.tensor.DTensor

    Returns
    -------
    (global_shape, offset) : tuple of tuple of int

    Raises
    ------
    TypeError
        Not a DTensor.
    ValueError
        A ``Partial`` placement (its local values are summands, not a slice), or a layout
        whose local shape is not what ``Shard``/``Replicate`` give (e.g. a strided shard):
        pass ``global_shape`` and ``offset`` yourself then.
    """
    dtensor = _dtensor_type()
    if dtensor is None or not isinstance(tensor, dtensor):
        raise TypeError(f"tensor must be a DTensor (got {type(tensor).__name__})")
    from torch.distributed.tensor import Replicate, Shard

    global_shape = tuple(int(n) for n in tensor.shape)
    start = [0] * len(global_shape)
    size = list(global_shape)
    coordinate = tensor.device_mesh.get_coordinate()
    if coordinate is None:
        raise ValueError("this rank holds no shard of the DTensor (it is not part of its mesh)")
    for mesh_dim, placement in enumerate(tensor.placements):
        if type(placement) is Shard:
            d, chunks, rank = placement.dim, tensor.device_mesh.size(mesh_dim), coordinate[mesh_dim]
            chunk = -(-size[d] // chunks)
            begin = min(size[d], chunk * rank)
            size[d] = max(0, min(size[d], begin + chunk) - begin)
            start[d] += begin
        elif not isinstance(placement, Replicate):
            raise ValueError(
                f"placement {placement!r} on mesh dimension {mesh_dim} is not Shard(d) or Replicate(); pass the "
                "local tensor with global_shape= and offset= instead"
            )
    local = tuple(int(n) for n in tensor.to_local().shape)
    if local != tuple(size):
        raise ValueError(
            f"the local shard has shape {local}, not the {tuple(size)} Shard/Replicate placements "
            f"{tensor.placements} give; pass the local tensor with global_shape= and offset= instead"
        )
    return global_shape, tuple(start)


def _target(tensor: Any, global_shape: Optional[Shape], offset: Optional[Shape]
            ) -> tuple[torch.Tensor, tuple[int, ...], tuple[int, ...]]:
    """(the local tensor to fill, the global shape, the shard's offset)."""
    dtensor = _dtensor_type()
    if dtensor is not None and isinstance(tensor, dtensor):
        if global_shape is not None or offset is not None:
            raise TypeError("global_shape and offset must not be given with a DTensor: its placements say where "
                            "the shard lies")
        shape, start = shard_offset(tensor)
        return tensor.to_local(), shape, start
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"tensor must be a torch.Tensor or a DTensor (got {type(tensor).__name__})")
    local = tuple(int(n) for n in tensor.shape)
    shape = local if global_shape is None else _ints(global_shape, "global_shape")
    start = (0,) * len(local) if offset is None else _ints(offset, "offset")
    if len(shape) != len(local) or len(start) != len(local):
        raise ValueError(
            f"global_shape {shape} and offset {start} must have one entry per dimension of the "
            f"{len(local)}-d tensor (shape {local})"
        )
    for d, (n, o, g) in enumerate(zip(local, start, shape)):
        if o + n > g:
            raise ValueError(
                f"the shard does not fit: dimension {d} spans [{o}, {o + n}) but global_shape[{d}] is {g}; pass "
                "the unsharded tensor's shape and this shard's first index along each dimension"
            )
    return tensor, shape, start


def _ints(values: Any, name: str) -> tuple[int, ...]:
    try:
        out = tuple(values)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of ints (got {values!r})") from None
    for v in out:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise (TypeError if not isinstance(v, (int, np.integer)) or isinstance(v, bool) else ValueError)(
                f"{name} must hold non-negative ints (got {values!r})")
    return tuple(int(v) for v in out)


def _key(key: SeedLike) -> SeedTree:
    if key is None:
        raise ValueError(
            "key must be given (got None): every rank must draw the same global tensor; pass a seed or a node "
            "such as root.child(\"init\", \"layers.0.weight\")"
        )
    try:
        return key if isinstance(key, SeedTree) else SeedTree(key)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"key: {exc}") from None


def _draw_dtype(tensor: torch.Tensor) -> Any:
    if not tensor.is_floating_point():
        raise TypeError(f"tensor must be a floating-point tensor (got {tensor.dtype})")
    return np.float64 if tensor.dtype == torch.float64 else np.float32


def _threads(threads: Optional[int]) -> int:
    if threads is None:
        return max(1, torch.get_num_threads())
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int or None (got {threads!r})")
    return threads


def _fill(tensor: Any, key: SeedLike, make: Callable[[SeedTree, tuple[int, ...], Any], Any],
          global_shape: Optional[Shape], offset: Optional[Shape], threads: Optional[int],
          post: Optional[Callable[[np.ndarray], np.ndarray]] = None,
          check: Optional[Callable[[tuple[int, ...]], None]] = None) -> Any:
    """Fill the shard of ``tensor`` from the keyed array ``make(node, global_shape, dtype)``."""
    node = _key(key)
    local, shape, start = _target(tensor, global_shape, offset)
    if check is not None:
        check(shape)
    dtype = _draw_dtype(local)
    n_threads = _threads(threads)
    if local.numel() == 0:
        return tensor
    block = make(node, shape, dtype)._fill([range(o, o + n) for o, n in zip(start, local.shape)], n_threads)
    if post is not None:
        block = post(block)
    with torch.no_grad():
        local.copy_(torch.from_numpy(block.reshape(local.shape)))
    return tensor


# -- the functions ------------------------------------------------------------------------
def normal_(tensor: Any, key: SeedLike, mean: float = 0.0, std: float = 1.0, *,
            global_shape: Optional[Shape] = None, offset: Optional[Shape] = None,
            threads: Optional[int] = None) -> Any:
    """Fill ``tensor`` (or its shard) with keyed normal draws, like ``torch.nn.init.normal_``.

    Element ``i`` of the global tensor is element ``i`` of
    ``seedpool.array.normal(key, global_shape, mean, std, dtype)``.

    Parameters
    ----------
    tensor : torch.Tensor or DTensor
        The tensor, the local shard of a larger one (with ``global_shape`` and
        ``offset``), or a DTensor (its placements say where its shard lies).
    key : int, str, SeedTree...
        The weight's key, the same on every rank: a seed or a node such as
        ``root.child("init", "layers.3.weight")``. ``None`` is refused.
    mean, std : float
    global_shape : sequence of int, optional
        The unsharded tensor's shape (default: ``tensor.shape``).
    offset : sequence of int, optional
        The index of the shard's first element in the unsharded tensor, per
        dimension (default: zeros).
    threads : int, optional
        Threads drawing the tiles (the values are the same for any number); default
        ``torch.get_num_threads()``.

    Returns
    -------
    tensor
        The tensor given, filled in place.

    Examples
    --------
    >>> import torch
    >>> from seedpool.torch import init
    >>> whole = init.normal_(torch.empty(8, 6), 1234, std=0.02)
    >>> shard = init.normal_(torch.empty(8, 3), 1234, std=0.02, global_shape=(8, 6), offset=(0, 3))
    >>> torch.equal(shard, whole[:, 3:])
    True
    """
    mean, std = _real(mean, "mean"), _real(std, "std")
    if std < 0:
        raise ValueError(f"std must be non-negative (got std={std!r})")
    return _fill(tensor, key, lambda node, shape, dtype: _array.normal(node, shape, mean, std, dtype),
                 global_shape, offset, threads)


def uniform_(tensor: Any, key: SeedLike, a: float = 0.0, b: float = 1.0, *,
             global_shape: Optional[Shape] = None, offset: Optional[Shape] = None,
             threads: Optional[int] = None) -> Any:
    """Fill ``tensor`` (or its shard) with keyed uniform draws in ``[a, b)``, like
    ``torch.nn.init.uniform_``.

    Element ``i`` of the global tensor is element ``i`` of
    ``seedpool.array.uniform(key, global_shape, a, b, dtype)``.

    Parameters
    ----------
    tensor, key, global_shape, offset, threads
        As for :func:`normal_`.
    a, b : float
        The bounds.

    Returns
    -------
    tensor
    """
    a, b = _real(a, "a"), _real(b, "b")
    if b < a:
        raise ValueError(f"b must be >= a (got a={a!r}, b={b!r})")
    return _fill(tensor, key, lambda node, shape, dtype: _array.uniform(node, shape, a, b, dtype),
                 global_shape, offset, threads)


def trunc_normal_(tensor: Any, key: SeedLike, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, *, global_shape: Optional[Shape] = None, offset: Optional[Shape] = None,
                  threads: Optional[int] = None) -> Any:
    """Fill ``tensor`` (or its shard) with a keyed normal truncated to ``[a, b]``, like
    ``torch.nn.init.trunc_normal_``.

    Per element, by the inverse CDF (torch's own method), in float64: with
    ``l = Phi((a - mean) / std)`` and ``u = Phi((b - mean) / std)``, element ``i`` is
    ``clamp(mean + std * sqrt(2) * erfinv(v), a, b)`` where ``v`` is element ``i`` of
    ``seedpool.array.uniform(key, global_shape, 2l - 1, 2u - 1, float64)``; then cast to
    the tensor's dtype. One keyed uniform per element, so a shard is the slice.

    Parameters
    ----------
    tensor, key, global_shape, offset, threads
        As for :func:`normal_`.
    mean, std : float
    a, b : float
        The bounds, in the values' units (as torch's).

    Returns
    -------
    tensor
    """
    mean, std, a, b = _real(mean, "mean"), _real(std, "std"), _real(a, "a"), _real(b, "b")
    if not a < b:
        raise ValueError(f"a must be below b (got a={a}, b={b})")
    if not std > 0:
        # torch.nn.init.trunc_normal_ takes any std; its values for std <= 0 are not a
        # truncated normal, and the bounds (a - mean) / std would flip or divide by 0.
        raise ValueError(f"std must be positive (got std={std!r})")

    def cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    low, high = 2 * cdf((a - mean) / std) - 1, 2 * cdf((b - mean) / std) - 1

    def transform(u: np.ndarray) -> np.ndarray:
        t = torch.from_numpy(u)
        t.erfinv_()
        t.mul_(std * math.sqrt(2.0))
        t.add_(mean)
        t.clamp_(min=a, max=b)
        return t.numpy()

    return _fill(tensor, key, lambda node, shape, dtype: _array.uniform(node, shape, low, high, np.float64),
                 global_shape, offset, threads, post=transform)


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out can not be computed for a tensor with fewer than 2 dimensions "
                         f"(global shape {shape})")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fan(shape: tuple[int, ...], mode: str) -> int:
    fan_in, fan_out = _fans(shape)
    return fan_in if mode == "fan_in" else fan_out


def _gain_value(gain: Any) -> float:
    value = _real(gain, "gain")
    if value < 0:
        raise ValueError(f"gain must be non-negative (got gain={gain!r})")
    return value


def _gain(nonlinearity: str, a: float) -> float:
    gain: Callable[..., float] = torch.nn.init.calculate_gain  # its annotation lists the names as a Literal
    return gain(nonlinearity, a)


def _check_mode(mode: str) -> None:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out' (got {mode!r})")


def _with_global(tensor: Any, global_shape: Optional[Shape], offset: Optional[Shape]) -> tuple[int, ...]:
    return _target(tensor, global_shape, offset)[1]


def kaiming_uniform_(tensor: Any, key: SeedLike, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", *, global_shape: Optional[Shape] = None,
                     offset: Optional[Shape] = None, threads: Optional[int] = None) -> Any:
    """``torch.nn.init.kaiming_uniform_`` with keyed elements and the fans of the global shape.

    ``bound = gain * sqrt(3 / fan)`` with ``gain = torch.nn.init.calculate_gain(nonlinearity, a)``
    and ``fan`` from ``global_shape`` (a shard's own shape would give another bound);
    then :func:`uniform_` in ``[-bound, bound)``.

    Parameters
    ----------
    tensor, key, global_shape, offset, threads
        As for :func:`normal_`.
    a, mode, nonlinearity
        As for ``torch.nn.init.kaiming_uniform_``.

    Returns
    -------
    tensor
    """
    _check_mode(mode)
    shape = _with_global(tensor, global_shape, offset)
    bound = math.sqrt(3.0) * _gain(nonlinearity, a) / math.sqrt(_fan(shape, mode))
    return uniform_(tensor, key, -bound, bound, global_shape=global_shape, offset=offset, threads=threads)


def kaiming_normal_(tensor: Any, key: SeedLike, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", *, global_shape: Optional[Shape] = None,
                    offset: Optional[Shape] = None, threads: Optional[int] = None) -> Any:
    """``torch.nn.init.kaiming_normal_`` with keyed elements and the fans of the global shape.

    ``std = gain / sqrt(fan)``, then :func:`normal_` with mean 0.

    Parameters
    ----------
    tensor, key, global_shape, offset, threads
        As for :func:`normal_`.
    a, mode, nonlinearity
        As for ``torch.nn.init.kaiming_normal_``.

    Returns
    -------
    tensor
    """
    _check_mode(mode)
    shape = _with_global(tensor, global_shape, offset)
    std = _gain(nonlinearity, a) / math.sqrt(_fan(shape, mode))
    return normal_(tensor, key, 0.0, std, global_shape=global_shape, offset=offset, threads=threads)


def xavier_uniform_(tensor: Any, key: SeedLike, gain: float = 1.0, *, global_shape: Optional[Shape] = None,
                    offset: Optional[Shape] = None, threads: Optional[int] = None) -> Any:
    """``torch.nn.init.xavier_uniform_`` with keyed elements and the fans of the global shape.

    ``bound = gain * sqrt(6 / (fan_in + fan_out))``, then :func:`uniform_` in
    ``[-bound, bound)``.

    Parameters
    ----------
    tensor, key, global_shape, offset, threads
        As for :func:`normal_`.
    gain : float

    Returns
    -------
    tensor
    """
    fan_in, fan_out = _fans(_with_global(tensor, global_shape, offset))
    bound = _gain_value(gain) * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, key, -bound, bound, global_shape=global_shape, offset=offset, threads=threads)


def xavier_normal_(tensor: Any, key: SeedLike, gain: float = 1.0, *, global_shape: Optional[Shape] = None,
                   offset: Optional[Shape] = None, threads: Optional[int] = None) -> Any:
    """``torch.nn.init.xavier_normal_`` with keyed elements and the fans of the global shape.

    ``std = gain * sqrt(2 / (fan_in + fan_out))``, then :func:`normal_` with mean 0.

    Parameters
    ----------
    tensor, key, global_shape, offset, threads
        As for :func:`normal_`.
    gain : float

    Returns
    -------
    tensor
    """
    fan_in, fan_out = _fans(_with_global(tensor, global_shape, offset))
    std = _gain_value(gain) * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, key, 0.0, std, global_shape=global_shape, offset=offset, threads=threads)


def _real(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number (got {value!r} of type {type(value).__name__})")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite (got {value!r})")
    return x
