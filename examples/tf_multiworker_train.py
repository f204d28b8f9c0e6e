"""A custom training loop under MultiWorkerMirroredStrategy with 2 local workers.

The parent process never imports TensorFlow: ``launch_local_workers`` starts 2 worker
processes on 127.0.0.1 (free ports, one TF_CONFIG each), seeds each from
``root.child("tf.worker", task_index)``, and collects what ``worker_main`` returns.

In the workers:
* ``StrategySeeds.distribute_datasets`` shards the data per worker and adds noise keyed
  by the *global* element index (the same noise whatever the number of workers);
* ``StrategySeeds.replica_seed(step)`` gives each replica its own stateless seed;
* ``ReplicaDropout`` draws a different mask on each replica and worker.
Keras 3's ``model.fit`` fails under this strategy (keras-team/keras#20585), hence the
custom loop.

Prints one JSON line with the hash of the final weights (equal on both workers).

    python examples/tf_multiworker_train.py --seed 1234
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from seedpool.tensorflow import launch_local_workers  # noqa: E402  (no TensorFlow import)

GLOBAL_BATCH = 32


def train(strategy, root, steps: int) -> dict:
    """Run ``steps`` training steps; returns this worker's weight hash."""
    import keras
    import numpy as np
    import tensorflow as tf

    import seedpool.tensorflow as stf

    seeds = stf.StrategySeeds(strategy, root)
    # The same synthetic data on every worker; distribute_datasets shards it.
    data_rng = root.child("data").generator()
    x = data_rng.normal(size=(512, 16)).astype("float32")
    y = x[:, :4].argmax(axis=1).astype("int32")

    def augment(features, label, seed):
        return features + 0.1 * tf.random.stateless_normal(tf.shape(features), seed), label

    dist_ds = seeds.distribute_datasets(
        lambda: tf.data.Dataset.from_tensor_slices((x, y)).repeat(), GLOBAL_BATCH,
        map_fn=augment, shuffle_buffer=128,
    )
    with strategy.scope():
        model = keras.Sequential([
            keras.Input((16,)),
            keras.layers.Dense(32, activation="relu"),
            stf.ReplicaDropout(0.3),
            keras.layers.Dense(4),
        ])
        optimizer = keras.optimizers.Adam(1e-2)
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")

    @tf.function
    def step_fn(batch, step):
        features, labels = batch
        # Per-replica input jitter from a stateless seed: distinct on every replica.
        features = features + 0.01 * tf.random.stateless_normal(
            tf.shape(features), seeds.replica_seed(step, key="jitter"))
        with tf.GradientTape() as tape:
            logits = model(features, training=True)
            loss = tf.nn.compute_average_loss(loss_fn(labels, logits), global_batch_size=GLOBAL_BATCH)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    it = iter(dist_ds)
    for step in range(steps):
        strategy.run(step_fn, args=(next(it), tf.constant(step, tf.int64)))
    h = hashlib.sha256()
    for w in model.get_weights():
        h.update(np.asarray(w).tobytes())
    return {"task": seeds.worker_id, "weights_sha256": h.hexdigest()[:16]}


def worker_main(worker, steps: int) -> dict:
    """Runs in each worker process (already seeded from ``worker.node``)."""
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    return train(strategy, worker.root, steps)


def run(seed: int, steps: int = 20, timeout: float = 300.0) -> dict:
    results = launch_local_workers(worker_main, 2, seed=seed, args=[steps], timeout=timeout)
    hashes = [r["weights_sha256"] for r in results]
    return {"example": "tf_multiworker_train", "seed": seed, "workers": len(results),
            "workers_agree": len(set(hashes)) == 1, "weights_sha256": hashes[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    print(json.dumps(run(args.seed, args.steps, args.timeout)), flush=True)


if __name__ == "__main__":
    main()
