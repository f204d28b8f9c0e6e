"""Seeded parallel tf.data map vs the two ways TensorFlow offers.

* unseeded parallel: ``map(augment with stateful tf.random ops, num_parallel_calls=AUTOTUNE)``
  -- fast but not reproducible;
* op determinism:   the same map after ``tf.config.experimental.enable_op_determinism()``
  -- reproducible, but TF runs such maps one element at a time;
* seeded parallel:  ``seedpool.tensorflow.seeded_map`` with stateless ops -- reproducible
  and parallel.

Target: seeded parallel within 1.2x of unseeded parallel. Ratios are from the same run.
Op determinism is process-wide, so its variant is timed last.

    python benchmarks/bench_tfdata.py [--elements 4000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

import seedpool.tensorflow as stf  # noqa: E402
from _common import Row, record  # noqa: E402

TARGET = 1.2
SHAPE = (64, 64, 3)


def work(image):
    # Some per-element compute so the map, not the iterator, dominates.
    return tf.reduce_mean(tf.nn.avg_pool2d(image[None], 3, 1, "SAME"))


def stateful(image):
    noisy = image + tf.random.normal(SHAPE, stddev=0.1)
    return work(tf.image.random_flip_left_right(noisy))


def stateless(image, seed):
    s = tf.random.experimental.stateless_split(seed, 2)
    noisy = image + tf.random.stateless_normal(SHAPE, s[0], stddev=0.1)
    return work(tf.image.stateless_random_flip_left_right(noisy, s[1]))


def images(n):
    return tf.data.Dataset.from_tensors(tf.zeros(SHAPE)).repeat(n)


def time_pipeline(ds, repeats):
    for _ in ds.take(8):  # warm up (tracing, thread pools)
        pass
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in ds:
            pass
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    tf.random.set_seed(1)
    n, r = args.elements, args.repeats
    unseeded = images(n).map(stateful, num_parallel_calls=tf.data.AUTOTUNE)
    seeded = stf.seeded_map(images(n), stateless, 1234, num_parallel_calls=tf.data.AUTOTUNE)
    # Interleave the two parallel variants so machine noise hits both alike.
    t_unseeded, t_seeded = [], []
    for _ in range(r):
        t_unseeded.append(time_pipeline(unseeded, 1))
        t_seeded.append(time_pipeline(seeded, 1))
    t_unseeded, t_seeded = statistics.median(t_unseeded), statistics.median(t_seeded)
    stf.enable_determinism()
    det = images(n).map(stateful, num_parallel_calls=tf.data.AUTOTUNE)
    t_det = time_pipeline(det, max(1, r // 2))

    print(f"tf.data map over {n} elements of {SHAPE}, median of {r} passes, {os.cpu_count()} CPUs")
    print(f"  unseeded parallel (stateful ops, not reproducible): {t_unseeded:7.3f} s  ({n / t_unseeded:8.0f} el/s)")
    print(f"  seeded parallel   (seedpool seeded_map):             {t_seeded:7.3f} s  ({n / t_seeded:8.0f} el/s)")
    print(f"  op determinism    (serialised map):                  {t_det:7.3f} s  ({n / t_det:8.0f} el/s)")
    ratio = t_seeded / t_unseeded
    print(f"  seeded / unseeded parallel = {ratio:.2f}x   (target <= {TARGET}x: {'met' if ratio <= TARGET else 'NOT met'})")
    print(f"  op determinism / seeded    = {t_det / t_seeded:.2f}x   (how much slower the serialised map is)")
    # Ratios of medians: one value, recorded as both median and min.
    record([Row("seeded_map / unseeded parallel map", ratio, ratio, "x", target=TARGET),
            Row("op determinism (serialised map) / seeded_map", t_det / t_seeded, t_det / t_seeded, "x")],
           f"tf.data map over {n} elements of {SHAPE}, median of {r} passes")


if __name__ == "__main__":
    main()
