"""Launch targets for tests/test_tensorflow.py: probes run in each worker of a real
2-process MultiWorkerMirroredStrategy (via seedpool.tensorflow.launch_local_workers)."""

from __future__ import annotations

import random


def probe(worker, seed: int) -> dict:
    import numpy as np
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    import keras

    import seedpool.tensorflow as stf

    seeds = stf.StrategySeeds(strategy, seed)
    out = {
        "task_index": worker.task_index,
        "worker_id": seeds.worker_id,
        "worker_node_is_launch_node": seeds.worker_node == worker.node,
        "worker_node_words": seeds.worker_node.generate_state(2).tolist(),
        # Seeded by the launcher from the worker's node: must differ between workers.
        "python_random": random.random(),
        "numpy_random": float(np.random.random()),
    }

    def local(v):
        return [np.asarray(x).tolist() for x in strategy.experimental_local_results(v)]

    fn = tf.function(lambda: strategy.run(
        lambda: (tf.distribute.get_replica_context().replica_id_in_sync_group,
                 seeds.replica_seed(), seeds.replica_seed(0), seeds.replica_seed(1), seeds.replica_seed(0, key="noise"))))
    rid, nostep, s0, s1, k0 = fn()
    out["replica_id"] = local(rid)
    out["replica_seeds"] = {"nostep": local(nostep), "step0": local(s0), "step1": local(s1), "step0_key": local(k0)}
    with strategy.scope():
        model = keras.Sequential([keras.Input((32,)), stf.ReplicaDropout(0.5)])
    ones = tf.ones([2, 32])
    masks = strategy.run(tf.function(lambda: model(ones, training=True)))
    out["dropout_mask"] = [(np.asarray(m) > 0).astype(int).ravel().tolist() for m in strategy.experimental_local_results(masks)]

    def add_noise(x, s):
        return tf.stack([tf.cast(x, tf.float32), tf.random.stateless_uniform([], s)])

    dist = seeds.distribute_datasets(lambda: tf.data.Dataset.range(32), 8, map_fn=add_noise)
    out["dist_batch"] = local(next(iter(dist)))
    return out
