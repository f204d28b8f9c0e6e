"""Runs many TensorFlow probes in ONE process (MirroredStrategy, 2 logical CPUs) and
prints one JSON line. tests/test_tensorflow.py runs it in separate processes and
compares; pytest itself never imports TensorFlow.

    python tests/tf_probe.py <seed>
"""

from __future__ import annotations

import json
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402

import seedpool  # noqa: E402
import seedpool.tensorflow as stf  # noqa: E402

fold = tf.random.experimental.stateless_fold_in


def local(strategy, value):
    return [np.asarray(v).tolist() for v in strategy.experimental_local_results(value)]


def err(fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the probe reports the type and message
        return [type(exc).__name__, str(exc)]
    return None


def main(seed: int) -> dict:
    out: dict = {}
    root = seedpool.seed_everything(seed, backends=("tensorflow", "python", "numpy", "rng"))
    strategy = tf.distribute.MirroredStrategy()
    seeds = stf.StrategySeeds(strategy, seed)
    out["num_replicas"] = strategy.num_replicas_in_sync
    out["worker_id"] = seeds.worker_id
    out["worker_node_words"] = seeds.worker_node.generate_state(2).tolist()
    with warnings.catch_warnings(record=True) as caught:  # the root's old name still works, and warns
        warnings.simplefilter("always")
        old_root = seeds.tree
    out["root_alias"] = [seeds.root == seedpool.SeedTree(seed), old_root is seeds.root,
                         [w.category.__name__ for w in caught]]

    def probe_seeds():
        return (seeds.replica_seed(), seeds.replica_seed(0), seeds.replica_seed(1),
                seeds.replica_seed(tf.constant(1, tf.int32)), seeds.replica_seed(0, key="noise"))

    names = ["nostep", "step0", "step1", "step1_tensor", "step0_key"]
    eager = strategy.run(probe_seeds)
    graph = tf.function(lambda: strategy.run(probe_seeds))()
    out["replica_seeds"] = {n: local(strategy, v) for n, v in zip(names, eager)}
    out["replica_seeds_graph"] = {n: local(strategy, v) for n, v in zip(names, graph)}
    # The same fold with no strategy at all, computed by hand.
    base = seedpool.SeedTree(seed).child("tf.replica").tf_seed()
    out["reference_step1"] = [
        fold(fold(tf.constant(base), tf.constant(r, tf.int64)), tf.constant(1, tf.int64)).numpy().tolist()
        for r in range(2)
    ]
    other = stf.StrategySeeds(strategy, seed + 1)
    out["replica_seeds_other_root"] = local(strategy, strategy.run(lambda: other.replica_seed(0)))

    # Dropout: Keras' own layer vs ReplicaDropout, in eager and in tf.function.
    with strategy.scope():
        plain = keras.Sequential([keras.Input((32,)), keras.layers.Dropout(0.5)])
        ours = keras.Sequential([keras.Input((32,)), stf.ReplicaDropout(0.5)])
    ones = tf.ones([2, 32])

    def masks(model):
        return [(np.asarray(m) > 0).astype(int).ravel().tolist()
                for m in strategy.experimental_local_results(strategy.run(lambda: model(ones, training=True)))]

    out["plain_dropout_masks"] = masks(plain)
    out["replica_dropout_masks"] = masks(ours)
    out["replica_dropout_masks_graph"] = [
        (np.asarray(m) > 0).astype(int).ravel().tolist()
        for m in strategy.experimental_local_results(tf.function(lambda: strategy.run(lambda: ours(ones, training=True)))())
    ]
    out["replica_dropout_inference_identity"] = bool(np.all(ours(ones, training=False).numpy() == 1))

    # seeded_map: values keyed by (epoch, index), whatever the parallelism.
    def noise(x, s):
        return x, tf.random.stateless_uniform([], s)

    ds = tf.data.Dataset.range(200)
    out["map"] = {}
    for name, kw in {"p1": dict(num_parallel_calls=None), "p4": dict(num_parallel_calls=4),
                     "auto_nondet": dict(deterministic=False), "epoch1": dict(epoch=1)}.items():
        pairs = sorted((int(i), float(v)) for i, v in stf.seeded_map(ds, noise, seed, **kw).as_numpy_iterator())
        out["map"][name] = [v for _, v in pairs]
    ep = tf.Variable(0, dtype=tf.int64)
    var_ds = stf.seeded_map(ds, noise, seed, epoch=ep, num_parallel_calls=4)
    first = [float(v) for _, v in var_ds.as_numpy_iterator()]
    ep.assign(1)
    second = [float(v) for _, v in var_ds.as_numpy_iterator()]
    out["map"]["var_epoch0"], out["map"]["var_epoch1"] = first, second
    out["map"]["tuple_elements"] = [
        float(v) for _, _, v in stf.seeded_map(
            tf.data.Dataset.from_tensor_slices((tf.range(3), tf.range(3))),
            lambda a, b, s: (a, b, tf.random.stateless_uniform([], s)), seed).as_numpy_iterator()
    ]

    # distribute_datasets: ids and per-element noise in each replica's batch.
    def add_noise(x, s):
        return tf.stack([tf.cast(x, tf.float32), tf.random.stateless_uniform([], s)])

    dist = seeds.distribute_datasets(lambda: tf.data.Dataset.range(32), 8, map_fn=add_noise)
    batch = next(iter(dist))
    out["dist_batches"] = local(strategy, batch)

    # State capture: get_state / set_state replays stateful TF ops and Keras' generator.
    st = seedpool.get_state()
    a = [tf.random.uniform([3]).numpy().tolist(), keras.random.uniform([2]).numpy().tolist()]
    seedpool.set_state(st)
    b = [tf.random.uniform([3]).numpy().tolist(), keras.random.uniform([2]).numpy().tolist()]
    out["state_restore"] = [a, b]
    stf.seed(seed)
    s1 = tf.random.uniform([3]).numpy().tolist()
    stf.seed(seed)
    s2 = tf.random.uniform([3]).numpy().tolist()
    stf.seed(seed + 1)
    s3 = tf.random.uniform([3]).numpy().tolist()
    out["seed_calls"] = [s1, s2, s3]
    out["root_entropy"] = root.entropy

    def cross_replica():
        with strategy.scope():  # cross-replica context: no replica id to key by
            seeds.replica_seed()

    out["errors"] = {
        "strategy": err(lambda: stf.StrategySeeds("mirrored", 1)),
        "seed_none": err(lambda: stf.StrategySeeds(strategy, None)),
        "cross_replica": err(cross_replica),
        "step_float": err(lambda: strategy.run(lambda: seeds.replica_seed(1.5))),
        "step_negative": err(lambda: strategy.run(lambda: seeds.replica_seed(-1))),
        "key_bad": err(lambda: strategy.run(lambda: seeds.replica_seed(0, key=-3))),
        "map_dataset": err(lambda: stf.seeded_map([1, 2], noise, 1)),
        "map_fn": err(lambda: stf.seeded_map(ds, 3, 1)),
        "map_epoch": err(lambda: stf.seeded_map(ds, noise, 1, epoch=-1)),
        "map_epoch_type": err(lambda: stf.seeded_map(ds, noise, 1, epoch=1.0)),
        "batch": err(lambda: seeds.distribute_datasets(lambda: ds, 7)),
        "input_context": err(lambda: seeds.input_seed(3)),
        "dropout_seed": err(lambda: stf.ReplicaDropout(0.5, seed=1.5)),
    }
    return out


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))), flush=True)
