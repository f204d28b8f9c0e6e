"""Per-replica and per-worker seeds under ``tf.distribute`` strategies.

Keyed by the *global* replica id (``replica_id_in_sync_group``: under
MultiWorkerMirroredStrategy it is ``task_id * replicas_per_worker + local_id``), so the
same code gives the same streams under MirroredStrategy and MultiWorkerMirroredStrategy,
and each replica's values equal the same stateless computation without any strategy.

Seed layout under the user's root::

    root.child("tf.replica")          base of replica_seed(step, key=None)
    root.child("tf.replica", key)     base of replica_seed(step, key=key)
    root.child("tf.worker", task_id)  worker_node (numpy / Python randomness of a worker)
    root.child("tf.input", pipeline)  input_seed(input_context)
    root.child("tf.map")              seeded_map / distribute_datasets(map_fn=...)
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np
import tensorflow as tf

from .._deprecated import renamed_attribute
from .._derive.keys import TF_INPUT, TF_REPLICA
from .._derive.tree import Key, SeedLike, SeedTree
from ._data import _check_epoch, element_seed, map_base
from ._launch import worker_node as _worker_node
from ._seed import as_node

__all__ = ["StrategySeeds", "replica_id"]

_fold_in = tf.random.experimental.stateless_fold_in


def replica_id() -> tf.Tensor:
    """The global replica id as an int64 scalar (0 outside any strategy).

    Raises
    ------
    RuntimeError
        In a cross-replica context (inside ``strategy.scope()`` but not ``strategy.run``).
    """
    ctx = tf.distribute.get_replica_context()
    if ctx is None:
        raise RuntimeError(
            "replica seeds need a replica context, but this code runs in a cross-replica "
            "context; call it inside strategy.run(fn) (eager or in a tf.function)"
        )
    return tf.cast(ctx.replica_id_in_sync_group, tf.int64)


def _as_step(step: Any) -> tf.Tensor:
    if isinstance(step, (tf.Tensor, tf.Variable)) or hasattr(step, "dtype") and not isinstance(step, np.generic):
        dtype = tf.as_dtype(step.dtype)
        if not dtype.is_integer:
            raise TypeError(
                f"step must be an int or an integer tensor (got a {dtype.name} tensor); "
                "pass e.g. optimizer.iterations or a Python int"
            )
        return tf.cast(step, tf.int64)
    if isinstance(step, (bool, np.bool_)) or not isinstance(step, (int, np.integer)):
        raise TypeError(
            f"step must be an int or an integer tensor (got {step!r} of type {type(step).__name__}); "
            "pass e.g. optimizer.iterations or a Python int"
        )
    if step < 0:
        raise ValueError(f"step must be non-negative (got {step}); count steps from 0")
    return tf.constant(int(step), tf.int64)


def _task_id(strategy: tf.distribute.Strategy) -> int:
    resolver = getattr(strategy, "cluster_resolver", None)
    task = getattr(resolver, "task_id", None) if resolver is not None else None
    return int(task) if task is not None else 0


class StrategySeeds:
    """StrategySeeds(strategy, seed)

    Reproducible, distinct seeds for every replica, worker and input pipeline of a
    ``tf.distribute`` strategy.

    Parameters
    ----------
    strategy : tf.distribute.Strategy
        E.g. ``MirroredStrategy`` or ``MultiWorkerMirroredStrategy``.
    seed : int, str, bytes, sequence of int, SeedSequence or SeedTree
        The root; use the same root on every worker. ``None`` is refused (ValueError):
        a distributed job needs one root every worker agrees on, so pass it explicitly.

    Raises
    ------
    TypeError, ValueError
        ``strategy`` is not a strategy, or a bad or missing ``seed``.

    Examples
    --------
    >>> seeds = StrategySeeds(strategy, 1234)                   # doctest: +SKIP
    >>> def step_fn(x):
    ...     noise = tf.random.stateless_normal(tf.shape(x), seeds.replica_seed(step))
    ...     return x + noise
    >>> strategy.run(step_fn, args=(batch,))                    # doctest: +SKIP
    """

    def __init__(self, strategy: tf.distribute.Strategy, seed: SeedLike) -> None:
        if not isinstance(strategy, tf.distribute.Strategy):
            raise TypeError(
                f"strategy must be a tf.distribute.Strategy (got {strategy!r} of type "
                f"{type(strategy).__name__}); pass e.g. tf.distribute.MirroredStrategy()"
            )
        self._strategy = strategy
        self._tree = as_node(seed)
        self._bases: dict[Optional[Key], np.ndarray] = {}

    @property
    def strategy(self) -> tf.distribute.Strategy:
        """The strategy."""
        return self._strategy

    @property
    def root(self) -> SeedTree:
        """The root node (the ``seed`` given)."""
        return self._tree

    tree = renamed_attribute("root")  # deprecated name of ``root``

    @property
    def worker_id(self) -> int:
        """This worker's task id (0 for single-worker strategies)."""
        return _task_id(self._strategy)

    @property
    def worker_node(self) -> SeedTree:
        """This worker's own node, ``root.child("tf.worker", worker_id)``.

        For numpy and Python randomness on this worker
        (``seedpool.seed_everything(seeds.worker_node)``); the workers started by
        :func:`launch_local_workers` are already seeded from it.
        """
        return _worker_node(self._tree, self.worker_id)

    def _base(self, key: Optional[Key]) -> np.ndarray:
        base = self._bases.get(key)
        if base is None:
            try:
                node = self._tree.child(TF_REPLICA) if key is None else self._tree.child(TF_REPLICA, key)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"key: {exc}") from None
            base = self._bases[key] = node.tf_seed()
        return base

    def replica_seed(self, step: Any = None, key: Optional[Key] = None) -> tf.Tensor:
        """A stateless seed (int64, shape [2]) for this replica, step and key.

        Call inside ``strategy.run`` (eager or ``tf.function``). The value is
        ``fold_in(fold_in(base(key), replica_id), step)`` with int64 data, where
        ``replica_id`` is the global ``replica_id_in_sync_group``; without ``step`` the
        second fold is left out. It is the same across runs, in eager and graph mode,
        and under MirroredStrategy and MultiWorkerMirroredStrategy for the same global
        replica id.

        Parameters
        ----------
        step : int or integer tensor, optional
            E.g. ``optimizer.iterations``; gives each step fresh values.
        key : int or str, optional
            Separates independent uses (``"noise"``, ``"augment"``) in one step.

        Returns
        -------
        tf.Tensor
            int64 [2], for ``tf.random.stateless_*`` ops.

        Raises
        ------
        RuntimeError
            Called in a cross-replica context.
        TypeError, ValueError
            A bad ``step`` or ``key``.
        """
        seed = _fold_in(tf.constant(self._base(key), tf.int64), replica_id())
        if step is not None:
            seed = _fold_in(seed, _as_step(step))
        return seed

    # -- input pipelines ------------------------------------------------------------------
    def input_node(self, input_context: tf.distribute.InputContext) -> SeedTree:
        """The node of one input pipeline: ``root.child("tf.input", input_pipeline_id)``."""
        if not isinstance(input_context, tf.distribute.InputContext):
            raise TypeError(
                f"input_context must be a tf.distribute.InputContext (got {input_context!r} of type "
                f"{type(input_context).__name__}); use the argument that "
                "strategy.distribute_datasets_from_function passes to your dataset_fn"
            )
        return self._tree.child(TF_INPUT, int(input_context.input_pipeline_id))

    def input_seed(self, input_context: tf.distribute.InputContext) -> np.ndarray:
        """An int64 [2] stateless seed for one input pipeline (``input_node(ctx).tf_seed()``)."""
        return self.input_node(input_context).tf_seed()

    def distribute_datasets(
        self,
        dataset_fn: Callable[[], tf.data.Dataset],
        global_batch_size: int,
        *,
        map_fn: Optional[Callable[..., Any]] = None,
        epoch: Any = 0,
        shuffle_buffer: Optional[int] = None,
        drop_remainder: bool = True,
        num_parallel_calls: Optional[int] = tf.data.AUTOTUNE,
        options: Optional[tf.distribute.InputOptions] = None,
    ) -> Any:
        """Shard, seed and batch one pipeline per worker via ``distribute_datasets_from_function``.

        In each pipeline: ``dataset_fn()`` (the whole, unbatched dataset; the same on
        every worker) -> ``enumerate`` (global element index) -> ``shard(
        num_input_pipelines, input_pipeline_id)`` -> optional ``map_fn(element, seed)``
        with the seed of :func:`seeded_map` for (``epoch``, global index) -> optional
        ``shuffle(shuffle_buffer)`` seeded from :meth:`input_node` -> ``batch`` to the
        per-replica batch size -> ``prefetch``.

        Because the map seed follows the global element index, an element gets the same
        random values whatever the number of workers or replicas.

        Notes
        -----
        ``Dataset.shuffle(seed=...)`` also mixes in TF's global seed; it is reproducible
        when each process is seeded the same way on every run (as
        :func:`launch_local_workers` does).

        Returns
        -------
        tf.distribute.DistributedDataset
        """
        if not callable(dataset_fn):
            raise TypeError(f"dataset_fn must be a callable returning a tf.data.Dataset (got {dataset_fn!r})")
        if isinstance(global_batch_size, bool) or not isinstance(global_batch_size, int) or global_batch_size < 1:
            raise ValueError(
                f"global_batch_size must be a positive int (got {global_batch_size!r}); it must be "
                f"divisible by num_replicas_in_sync={self._strategy.num_replicas_in_sync}"
            )
        if global_batch_size % self._strategy.num_replicas_in_sync:
            raise ValueError(
                f"global_batch_size={global_batch_size} is not divisible by num_replicas_in_sync="
                f"{self._strategy.num_replicas_in_sync}; pick a multiple of it"
            )
        if map_fn is not None and not callable(map_fn):
            raise TypeError(f"map_fn must be callable as map_fn(element, seed) (got {map_fn!r})")
        if shuffle_buffer is not None and (isinstance(shuffle_buffer, bool) or not isinstance(shuffle_buffer, int) or shuffle_buffer < 1):
            raise ValueError(f"shuffle_buffer must be None or a positive int (got {shuffle_buffer!r})")
        epoch = _check_epoch(epoch)
        base = map_base(self._tree)

        def fn(ctx: tf.distribute.InputContext) -> tf.data.Dataset:
            ds = dataset_fn()
            if not isinstance(ds, tf.data.Dataset):
                raise TypeError(f"dataset_fn must return a tf.data.Dataset (got {type(ds).__name__})")
            ds = ds.enumerate()
            if ctx.num_input_pipelines > 1:
                ds = ds.shard(ctx.num_input_pipelines, ctx.input_pipeline_id)

            def call(index: Any, element: Any) -> Any:
                if map_fn is None:
                    return element
                e = epoch.read_value() if isinstance(epoch, tf.Variable) else epoch
                s = element_seed(base, e, index)
                return map_fn(*element, s) if isinstance(element, tuple) else map_fn(element, s)

            ds = ds.map(call, num_parallel_calls=num_parallel_calls, deterministic=True)
            if shuffle_buffer:
                ds = ds.shuffle(shuffle_buffer, seed=self.input_node(ctx).uint32() >> 1, reshuffle_each_iteration=True)
            ds = ds.batch(ctx.get_per_replica_batch_size(global_batch_size), drop_remainder=drop_remainder)
            return ds.prefetch(tf.data.AUTOTUNE)

        return self._strategy.distribute_datasets_from_function(fn, options)
