"""TensorFlow adapter: a deterministic seed for every tf.distribute replica and worker,
and tf.data randomness that stays parallel and reproducible.

``import seedpool`` never imports TensorFlow, and neither does ``import seedpool.tensorflow``
by itself: the launcher (:func:`launch_local_workers` and its errors) needs no TensorFlow
in the calling process, and every other name here imports TensorFlow on first access.
(:class:`ReplicaDropout` registers itself with Keras as ``"seedpool>ReplicaDropout"``
when first accessed; to load a saved model that uses it, touch
``seedpool.tensorflow.ReplicaDropout`` first or pass it in ``custom_objects``.)

=====================================  ==============================================
Seeding a process                      :func:`seed`, :func:`enable_determinism`
Replicas, workers, input pipelines     :class:`StrategySeeds`, :func:`replica_id`
Keras layers                           :class:`ReplicaDropout`
tf.data                                :func:`seeded_map`
Local MultiWorkerMirroredStrategy      :func:`launch_local_workers`, :class:`LocalWorker`,
                                       :class:`WorkerFailedError`, :class:`WorkerTimeoutError`
Backend hooks (``seed_everything``)    :func:`seed_words`, :func:`get_state`, :func:`set_state`
=====================================  ==============================================

Layout of this subpackage (each module imports only those above it)::

    _seed       seed TF/Keras from words; get_state/set_state (the "tensorflow" backend)
    _launch     launch_local_workers: N MultiWorkerMirroredStrategy workers (no TF import)
    _worker     `python -m seedpool.tensorflow._worker`: one launched worker
    _data       seeded_map: per-element stateless seeds for tf.data
    _strategy   StrategySeeds, replica_id: per-replica / per-worker seeds
    _layers     ReplicaDropout (Keras)
"""

from __future__ import annotations

from .. import _lazy_exports
from ._launch import LocalWorker as LocalWorker
from ._launch import WorkerFailedError as WorkerFailedError
from ._launch import WorkerTimeoutError as WorkerTimeoutError
from ._launch import launch_local_workers as launch_local_workers

__all__ = (
    # Classes
    "StrategySeeds",
    "ReplicaDropout",
    "LocalWorker",
    # Functions
    "seed",
    "enable_determinism",
    "seeded_map",
    "replica_id",
    "launch_local_workers",
    "seed_words",
    "get_state",
    "set_state",
    # Errors
    "WorkerFailedError",
    "WorkerTimeoutError",
)

for _obj in (LocalWorker, launch_local_workers, WorkerFailedError, WorkerTimeoutError):
    _obj.__module__ = "seedpool.tensorflow"
del _obj

# Names whose modules import TensorFlow (and Keras): loaded on first access (PEP 562).
_LAZY: dict[str, str] = {
    "seeded_map": "._data",
    "ReplicaDropout": "._layers",
    "enable_determinism": "._seed",
    "get_state": "._seed",
    "seed": "._seed",
    "seed_words": "._seed",
    "set_state": "._seed",
    "StrategySeeds": "._strategy",
    "replica_id": "._strategy",
}


# ReplicaDropout keeps its __module__: Keras serialises it by its registered name.
__getattr__, __dir__ = _lazy_exports.lazy_exports(globals(), _LAZY, keep_module={"ReplicaDropout"})
