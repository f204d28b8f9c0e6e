"""Per-element stateless seeds for ``tf.data``: randomness that stays parallel.

Stateful random ops in ``Dataset.map(num_parallel_calls > 1)`` are not reproducible,
even with seeds and ``deterministic=True`` (only the output order is fixed). Instead,
each element gets a stateless seed ``fold_in(fold_in(base, epoch), index)`` with int64
data, where ``index`` is its position in the dataset (from ``Dataset.enumerate``) --
so the value depends only on (root, epoch, index), never on scheduling.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np
import tensorflow as tf

from .._derive.keys import TF_MAP
from .._derive.tree import SeedLike
from ._seed import as_node

__all__ = ["seeded_map", "element_seed", "map_base"]

_fold_in = tf.random.experimental.stateless_fold_in


def map_base(seed: SeedLike) -> np.ndarray:
    """The int64 [2] base seed of :func:`seeded_map`: ``SeedTree(seed).child("tf.map").tf_seed()``."""
    return as_node(seed).child(TF_MAP).tf_seed()


def _check_epoch(epoch: Any) -> Any:
    if isinstance(epoch, (tf.Tensor, tf.Variable)):
        if not epoch.dtype.is_integer or epoch.shape.rank not in (0, None):
            raise TypeError(
                f"epoch must be a non-negative int or a scalar integer tf.Variable (got a "
                f"{epoch.dtype.name} tensor of shape {epoch.shape}); pass e.g. epoch=0"
            )
        return epoch
    if isinstance(epoch, (bool, np.bool_)) or not isinstance(epoch, (int, np.integer)):
        raise TypeError(
            f"epoch must be a non-negative int or a scalar integer tf.Variable (got {epoch!r} "
            f"of type {type(epoch).__name__}); pass e.g. epoch=0"
        )
    if epoch < 0:
        raise ValueError(f"epoch must be non-negative (got {epoch}); count epochs from 0")
    return int(epoch)


def element_seed(base: Any, epoch: Any, index: Any) -> tf.Tensor:
    """``fold_in(fold_in(base, int64(epoch)), int64(index))``: one element's seed."""
    epoch_t = tf.cast(tf.convert_to_tensor(epoch), tf.int64)
    index_t = tf.cast(index, tf.int64)
    return _fold_in(_fold_in(tf.constant(base, tf.int64), epoch_t), index_t)


def seeded_map(
    dataset: tf.data.Dataset,
    fn: Callable[..., Any],
    seed: SeedLike,
    epoch: Any = 0,
    num_parallel_calls: Optional[int] = tf.data.AUTOTUNE,
    deterministic: Optional[bool] = None,
) -> tf.data.Dataset:
    """``dataset.map(fn)`` where ``fn`` also gets a per-element stateless seed.

    Element ``i`` (its position in ``dataset``) of epoch ``e`` gets the int64 [2] seed
    ``fold_in(fold_in(base, e), i)``, ``base = SeedTree(seed).child("tf.map").tf_seed()``.
    Use it with stateless ops (``tf.random.stateless_uniform``,
    ``tf.image.stateless_random_flip_left_right``, ...). The values are the same for
    any ``num_parallel_calls`` and ``deterministic`` setting and across runs, and the map
    stays parallel (no op determinism needed).

    Parameters
    ----------
    dataset : tf.data.Dataset
        The input. Indices count its elements from 0, so apply ``seeded_map`` before
        ``shuffle``/``shard`` if randomness should follow the element, not its position.
    fn : callable
        Called as ``fn(element, seed)``; a tuple element is unpacked as in
        ``Dataset.map``: ``fn(*element, seed)``.
    seed : int, str, SeedTree, ...
        The root of the map's seeds.
        ``None`` is refused (ValueError): a distributed job needs one root every
        worker agrees on, so pass it explicitly.
    epoch : int or scalar integer tf.Variable
        Folded in before the index, so each epoch draws new values. A ``tf.Variable`` is
        read when elements are produced, so one pipeline can serve several epochs.
    num_parallel_calls, deterministic
        As in ``Dataset.map`` (default ``tf.data.AUTOTUNE``).

    Returns
    -------
    tf.data.Dataset

    Raises
    ------
    TypeError, ValueError
        ``dataset`` is not a Dataset, ``fn`` not callable, a bad ``seed`` or ``epoch``.
    """
    if not isinstance(dataset, tf.data.Dataset):
        raise TypeError(
            f"dataset must be a tf.data.Dataset (got {type(dataset).__name__}); "
            "wrap arrays with tf.data.Dataset.from_tensor_slices(...)"
        )
    if not callable(fn):
        raise TypeError(f"fn must be callable as fn(element, seed) (got {fn!r} of type {type(fn).__name__})")
    base = map_base(seed)
    epoch = _check_epoch(epoch)

    def call(index: Any, element: Any) -> Any:
        s = element_seed(base, epoch.read_value() if isinstance(epoch, tf.Variable) else epoch, index)
        if isinstance(element, tuple):
            return fn(*element, s)
        return fn(element, s)

    return dataset.enumerate().map(call, num_parallel_calls=num_parallel_calls, deterministic=deterministic)
