"""Keras training under MirroredStrategy on 2 logical CPU devices, reproducibly.

* ``seedpool.seed_everything(seed)`` seeds Python, numpy and TensorFlow/Keras (weights).
* ``seedpool.tensorflow.ReplicaDropout`` draws a different dropout mask on each replica
  (Keras's own Dropout gives every replica the same mask).
* ``seedpool.tensorflow.seeded_map`` adds input noise in a parallel tf.data map with a
  per-element stateless seed, so the pipeline stays parallel and reproducible.

Prints one JSON line: {"example": ..., "seed": ..., "weights_sha256": ...}.

    python examples/tf_mirrored_train.py --seed 1234
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def weights_hash(model) -> str:
    h = hashlib.sha256()
    for w in model.get_weights():
        h.update(w.tobytes())
    return h.hexdigest()[:16]


def configure_cpus(n: int) -> None:
    """Split the CPU into ``n`` logical devices (must happen before the first TF op)."""
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    if len(tf.config.get_logical_device_configuration(cpu) or []) != n:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)


def run(seed: int, epochs: int = 2, devices: int = 2) -> dict:
    """Train a small classifier and return the hash of its final weights."""
    import keras
    import tensorflow as tf

    import seedpool
    import seedpool.tensorflow as stf

    configure_cpus(devices)
    root = seedpool.seed_everything(seed, backends=("tensorflow", "python", "numpy", "rng"))
    # Synthetic data from the seed tree (no download): 512 points, 4 classes.
    data_rng = root.child("data").generator()
    x = data_rng.normal(size=(512, 16)).astype("float32")
    y = (x[:, :4].argmax(axis=1)).astype("int32")

    def augment(features, label, seed):
        return features + 0.1 * tf.random.stateless_normal(tf.shape(features), seed), label

    ds = tf.data.Dataset.from_tensor_slices((x, y))
    ds = stf.seeded_map(ds, augment, root.child("augment"), num_parallel_calls=4)
    ds = ds.shuffle(512, seed=7).batch(64, drop_remainder=True)

    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        model = keras.Sequential([
            keras.Input((16,)),
            keras.layers.Dense(32, activation="relu"),
            stf.ReplicaDropout(0.3),
            keras.layers.Dense(4),
        ])
        model.compile(optimizer=keras.optimizers.Adam(1e-2),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(ds, epochs=epochs, verbose=0)
    return {"example": "tf_mirrored_train", "seed": seed, "replicas": strategy.num_replicas_in_sync,
            "weights_sha256": weights_hash(model)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps(run(args.seed, args.epochs)), flush=True)


if __name__ == "__main__":
    main()
