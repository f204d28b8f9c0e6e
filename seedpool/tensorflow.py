"""TensorFlow adapter: a deterministic seed for every tf.distribute replica and worker,
and tf.data randomness that stays parallel and reproducible.

Importing this module imports TensorFlow (``import seedpool`` never does).

=====================================  ==============================================
Seeding a process                      :func:`seed`, :func:`enable_determinism`
Replicas, workers, input pipelines     :class:`StrategySeeds`, :func:`replica_id`
Keras layers                           :class:`ReplicaDropout`
tf.data                                :func:`seeded_map`
Local MultiWorkerMirroredStrategy      :func:`launch_local_workers`, :class:`LocalWorker`,
                                       :class:`WorkerFailedError`, :class:`WorkerTimeoutError`
Backend hooks (``seed_everything``)    :func:`seed_words`, :func:`get_state`, :func:`set_state`
=====================================  ==============================================
"""

from __future__ import annotations

from ._tf_data import seeded_map as seeded_map
from ._tf_launch import LocalWorker as LocalWorker
from ._tf_launch import WorkerFailedError as WorkerFailedError
from ._tf_launch import WorkerTimeoutError as WorkerTimeoutError
from ._tf_launch import launch_local_workers as launch_local_workers
from ._tf_layers import ReplicaDropout as ReplicaDropout
from ._tf_seed import enable_determinism as enable_determinism
from ._tf_seed import get_state as get_state
from ._tf_seed import seed as seed
from ._tf_seed import seed_words as seed_words
from ._tf_seed import set_state as set_state
from ._tf_strategy import StrategySeeds as StrategySeeds
from ._tf_strategy import replica_id as replica_id

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

for _obj in (StrategySeeds, LocalWorker, seed, enable_determinism, seeded_map, replica_id,
             launch_local_workers, seed_words, get_state, set_state, WorkerFailedError,
             WorkerTimeoutError):
    _obj.__module__ = "seedpool.tensorflow"
del _obj
