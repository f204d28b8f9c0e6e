"""Keras layers whose random draws differ per replica, reproducibly.

Keras 3's ``Dropout`` draws a stateless mask from its ``SeedGenerator``, whose state
is a mirrored variable: every replica (and every worker, since variables are
broadcast from worker 0) gets the *same* seed and so the same mask. Folding the global
replica id into that seed gives each replica its own mask; the SeedGenerator's counter
still advances once per call, which supplies the step.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from .._derive.keys import DROPOUT
from .._derive.tree import SeedTree
from ._strategy import replica_id

__all__ = ["ReplicaDropout"]


@keras.saving.register_keras_serializable(package="seedpool")
class ReplicaDropout(keras.layers.Dropout):
    """ReplicaDropout(rate, noise_shape=None, seed=None, **kwargs)

    ``keras.layers.Dropout`` with a different, reproducible mask on each replica.

    The mask of a training call is ``stateless_dropout`` with seed
    ``fold_in(seed_generator.next(), replica_id)`` (int64), where ``replica_id`` is the
    global ``replica_id_in_sync_group`` (0 outside a strategy). Inference is the
    identity, as in ``Dropout``.

    Parameters
    ----------
    rate : float
        Fraction of the inputs to drop, in [0, 1).
    noise_shape : tuple, optional
        As in ``keras.layers.Dropout``.
    seed : int or SeedTree, optional
        Seed of the layer's ``SeedGenerator``; a SeedTree node gives
        ``node.child("dropout").uint32() >> 1``. ``None`` draws one from Python's
        ``random`` (seeded by :func:`seedpool.seed_everything`).
    """

    def __init__(self, rate: float, noise_shape: Any = None, seed: Any = None, **kwargs: Any) -> None:
        if isinstance(seed, SeedTree):
            seed = seed.child(DROPOUT).uint32() >> 1
        elif seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(
                f"seed must be None, an int or a seedpool.SeedTree (got {seed!r} of type "
                f"{type(seed).__name__}); pass e.g. seed=1234"
            )
        super().__init__(rate, noise_shape=noise_shape, seed=seed, **kwargs)

    def call(self, inputs: Any, training: bool = False) -> Any:
        if not training or self.rate == 0:
            return inputs
        seed = tf.random.experimental.stateless_fold_in(
            tf.cast(self.seed_generator.next(), tf.int64), replica_id()
        )
        noise_shape = None
        if self.noise_shape is not None:
            dynamic = tf.shape(inputs)
            noise_shape = tf.stack(
                [dynamic[i] if d is None else tf.constant(d, tf.int32) for i, d in enumerate(self.noise_shape)]
            )
        return tf.nn.experimental.stateless_dropout(inputs, rate=self.rate, seed=seed, noise_shape=noise_shape)
