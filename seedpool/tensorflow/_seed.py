"""Seeding TensorFlow and Keras from seedpool words, and snapshotting their state.

What one seeding sets (all from the 128 bits of ``node.child("tensorflow")``):

* TF's global seed (``tf.random.set_seed``), which also restarts the eager op-seed
  sequence; Keras's global seed and its global ``SeedGenerator`` (via
  ``keras.utils.set_random_seed``, which also reseeds ``random`` and ``np.random`` --
  seedpool's python/numpy backends are seeded after this one and take those back);
* the ``tf.random`` global ``Generator``, reset in place (``reset_from_seed``) so
  references users already hold stay valid -- but only once the TF runtime has started:
  creating it earlier would start the runtime, after which logical devices and
  ``MultiWorkerMirroredStrategy`` can no longer be configured. Seeding never starts
  the runtime.
"""

from __future__ import annotations

import os
from typing import Any, Optional

import numpy as np
import tensorflow as tf

from .._derive.keys import TENSORFLOW
from .._derive.tree import SeedLike, SeedTree

__all__ = ["seed_words", "get_state", "set_state", "seed", "enable_determinism", "as_node"]

# The global seed seedpool last set (TF has no public getter for it).
_global_seed: Optional[int] = None


def as_node(seed: Any, what: str = "seed") -> SeedTree:
    """A SeedTree from any SeedLike; ``None`` is refused (adapters need a reproducible root)."""
    if seed is None:
        raise ValueError(
            f"{what} must be given (got None); pass an int such as 1234 or a seedpool.SeedTree node"
        )
    try:
        return seed if isinstance(seed, SeedTree) else SeedTree(seed)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{what}: {exc}") from None


def _keras_global_state() -> Any:
    try:  # private, but the only place Keras keeps its global SeedGenerator
        from keras.src.backend.common import global_state
        from keras.src.random import seed_generator
    except ImportError:  # pragma: no cover - other Keras layouts
        return None, None
    return global_state, seed_generator.GLOBAL_SEED_GENERATOR


def seed_words(words: np.ndarray) -> None:
    """Seed TensorFlow and Keras from four uint32 words (the ``"tensorflow"`` backend).

    Parameters
    ----------
    words : numpy.ndarray
        Four uint32 words, e.g. ``node.generate_state(4)``.
    """
    global _global_seed
    w = [int(x) for x in np.asarray(words, dtype=np.uint32).ravel()]
    if len(w) != 4:
        raise ValueError(f"words must be 4 uint32 values (got {len(w)}); pass node.generate_state(4)")
    import keras

    # np.random.seed inside keras.utils.set_random_seed needs a value below 2**32.
    keras.utils.set_random_seed(w[2])
    tf_seed = ((w[1] << 32) | w[0]) & 0x7FFFFFFFFFFFFFFF
    tf.random.set_seed(tf_seed)
    _global_seed = tf_seed
    gen = _existing_global_generator()
    if gen is None and _runtime_started():
        gen = tf.random.get_global_generator()
    # Creating the Generator would start the TF runtime, after which logical devices and
    # MultiWorkerMirroredStrategy can no longer be configured; so before that, it is left
    # to be created (unseeded) by TF -- call seed() again after creating the strategy.
    if gen is not None:
        gen.reset_from_seed(((w[3] << 32) | w[2]) & 0x7FFFFFFFFFFFFFFF)


def _existing_global_generator() -> Any:
    from tensorflow.python.ops import stateful_random_ops

    return getattr(stateful_random_ops, "global_generator", None)


def _runtime_started() -> bool:
    return getattr(_context(), "_context_handle", None) is not None


def seed(seed_or_node: SeedLike) -> SeedTree:
    """Seed TensorFlow (global seed, global Generator) and Keras from a seed or node.

    Exactly what ``seedpool.seed_everything(node, backends="tensorflow")`` does to TF:
    the words come from ``SeedTree(seed_or_node).child("tensorflow")``. It never starts
    the TF runtime, so it may run before configuring devices or creating a strategy;
    the ``tf.random`` global Generator is seeded only if the runtime has started, so
    if you use it, seed again after creating the strategy. Note that Keras
    reseeds Python's ``random`` and ``np.random`` as a side effect; use
    :func:`seedpool.seed_everything` to seed those on their own streams as well.

    Parameters
    ----------
    seed_or_node : int, str, bytes, sequence of int, SeedSequence or SeedTree
        The node to seed from. ``None`` is refused (ValueError), as by every name in
        ``seedpool.tensorflow`` except :class:`ReplicaDropout` and the launcher.

    Returns
    -------
    SeedTree
        The node, for deriving further seeds.
    """
    node = as_node(seed_or_node, "seed_or_node")
    seed_words(node.child(TENSORFLOW).generate_state(4))
    return node


def _context() -> Any:
    from tensorflow.python.eager import context

    return context.context()


def get_state() -> dict:
    """Capture TF's and Keras's random state (the ``"tensorflow"`` backend).

    Captured: the global seed seedpool set, the eager op-seed sequence (the position of
    the next ``tf.random.uniform`` without an op seed), the ``tf.random`` global
    ``Generator`` state and Keras's global ``SeedGenerator`` state.

    Not captured: a seed set with ``tf.random.set_seed`` directly (restoring leaves it),
    op seeds inside ``tf.function`` graphs (fixed when traced), the internal state of
    stateful kernels with an explicit op seed, the states of Generators or Keras
    ``SeedGenerator``\\ s other than the global ones, and ``tf.data`` iterators.
    """
    ctx = _context()
    rng = getattr(ctx, "_rng", None)
    gen = _existing_global_generator()
    gs, key = _keras_global_state()
    keras_gen = gs.get_global_attribute(key) if gs is not None else None
    return {
        "global_seed": _global_seed,
        "op_seed_rng": rng.getstate() if rng is not None else None,
        "generator": None if gen is None else (gen.state.numpy().copy(), gen.algorithm),
        "keras_generator": None if keras_gen is None else np.array(keras_gen.state.numpy()),
    }


def set_state(state: dict) -> None:
    """Restore a snapshot taken by :func:`get_state`.

    Parameters
    ----------
    state : dict
        The dict returned by :func:`get_state`.
    """
    global _global_seed
    if not isinstance(state, dict) or "op_seed_rng" not in state:
        raise TypeError(
            f"state must be the dict returned by seedpool.tensorflow.get_state() (got {type(state).__name__}); "
            "take it with seedpool.get_state()"
        )
    if state["global_seed"] is not None:
        # Also clears the kernel cache, so stateful kernels restart from their seeds.
        tf.random.set_seed(state["global_seed"])
        _global_seed = state["global_seed"]
    rng = getattr(_context(), "_rng", None)
    if rng is not None and state["op_seed_rng"] is not None:
        rng.setstate(state["op_seed_rng"])
    if state["generator"] is not None:
        value, algorithm = state["generator"]
        gen = tf.random.get_global_generator()
        if gen.algorithm == algorithm:
            gen.state.assign(value)
        else:
            tf.random.set_global_generator(tf.random.Generator.from_state(value, algorithm))
    gs, key = _keras_global_state()
    if gs is not None:
        if state["keras_generator"] is None:
            gs.set_global_attribute(key, None)
        else:
            import keras

            current = gs.get_global_attribute(key)
            if current is None:
                current = keras.random.SeedGenerator(0)
                gs.set_global_attribute(key, current)
            current.state.assign(state["keras_generator"])


def enable_determinism() -> None:
    """Make TensorFlow ops deterministic (``tf.config.experimental.enable_op_determinism``).

    Also sets ``TF_DETERMINISTIC_OPS=1`` (and ``TF_CUDNN_DETERMINISTIC=1``) in
    ``os.environ`` so processes started from here -- e.g. by
    :func:`launch_local_workers` -- inherit the setting in their kernels.

    Notes
    -----
    "Seeded" and "seeded + deterministic" runs give different bits: op determinism swaps
    some kernels (e.g. sparse softmax cross-entropy uses ``log_softmax``), so never mix
    results of the two modes. Random ops with no seed raise ``RuntimeError`` once op
    determinism is on, and ``Dataset.map`` with random ops runs one element at a time;
    :func:`seeded_map` keeps such maps parallel without it.
    """
    os.environ["TF_DETERMINISTIC_OPS"] = "1"
    os.environ["TF_CUDNN_DETERMINISTIC"] = "1"
    tf.config.experimental.enable_op_determinism()
