"""``seedpool demo``: the three bugs and the fix, with real worker processes.

Every number printed is drawn in a worker process; nothing is simulated.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
from collections.abc import Sequence
from typing import Any, Callable

import numpy as np

from .._derive.keys import DEMO_WORKER
from .._derive.tree import SeedTree
from .._engines.process_pool import Pool
from . import demo_script as _demo_script

__all__ = ["main"]

WORKERS = 4


# -- work done in the workers (module-level: importable under spawn) -----------------
def _report_first_draw(queue: Any, tag: Any) -> None:
    queue.put((tag, float(np.random.random())))


def _seed_then_report(queue: Any, seed: Any, tag: Any) -> None:
    np.random.seed(seed)  # an int, or the 4 words of a SeedTree node
    queue.put((tag, float(np.random.random())))


def _init_plain_worker(queue: Any) -> None:
    # A plain pool worker: report the first number it would draw.
    queue.put((os.getpid(), float(np.random.random())))


def _noisy_task(x: int) -> float:
    # "augmentation": the value depends on the task and on the RNG state
    return round(x + float(np.random.random()), 6)


def _seed_worker_by_identity(seed: int) -> None:
    # The common "seed each worker" fix: seed from the worker's number.
    ident = multiprocessing.current_process()._identity
    np.random.seed(seed + (ident[-1] if ident else 0))


# -- the sections -------------------------------------------------------------------
def _run_processes(ctx: Any, target: Callable[..., None], args_per_worker: Sequence[tuple]) -> list:
    queue = ctx.Queue()
    procs = [ctx.Process(target=target, args=(queue, *args)) for args in args_per_worker]
    for p in procs:
        p.start()
    got = dict(queue.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(60)
    return [got[args[-1]] for args in args_per_worker]


def _fmt(values: Sequence[float]) -> str:
    return "  ".join(f"{v:.6f}" for v in values)


def _verdict(ok: bool, good: str, bad: str) -> str:
    return ("ok    " + good) if ok else ("BUG   " + bad)


def _section_fork() -> list[str]:
    import multiprocess

    ctx = multiprocess.get_context("fork")
    np.random.random()  # the parent uses np.random before starting the pool
    queue = ctx.Queue()
    with ctx.Pool(WORKERS, initializer=_init_plain_worker, initargs=(queue,)) as pool:
        values = [queue.get(timeout=60)[1] for _ in range(WORKERS)]
        pool.close()
        pool.join()
    distinct = len(set(values))
    return [
        "1. multiprocess.Pool under fork, after the parent called np.random.random()",
        f"   first draw per worker: {_fmt(values)}",
        "   " + _verdict(distinct == WORKERS, "distinct", f"{distinct} distinct value(s) among {WORKERS} workers: inherited state"),
    ]


def _section_spawn_top_level_seed() -> list[str]:
    ctx = multiprocessing.get_context("spawn")
    values = _run_processes(ctx, _demo_script.first_draw, [(w,) for w in range(WORKERS)])
    distinct = len(set(values))
    return [
        "2. np.random.seed(1234) at the top of the script, workers started with spawn",
        f"   first draw per worker: {_fmt(values)}",
        "   " + _verdict(distinct == WORKERS, "distinct", f"{distinct} distinct value(s): every worker re-ran the seeding line"),
    ]


def _section_additive() -> list[str]:
    ctx = multiprocessing.get_context("fork")
    run_a = _run_processes(ctx, _seed_then_report, [(1 + w, w) for w in range(WORKERS)])
    run_b = _run_processes(ctx, _seed_then_report, [(2 + w, w) for w in range(WORKERS)])
    shared = sorted(set(run_a) & set(run_b))
    return [
        "3. seed = base + worker_id; run A with base 1, run B with base 2",
        f"   run A: {_fmt(run_a)}",
        f"   run B: {_fmt(run_b)}",
        "   " + _verdict(not shared, "no overlap", f"{len(shared)} of {WORKERS} streams shared between the runs (A's worker w+1 = B's worker w)"),
    ]


def _section_tree() -> list[str]:
    ctx = multiprocessing.get_context("spawn")

    def run(seed: int) -> list:
        tree = SeedTree(seed)
        return _run_processes(ctx, _seed_then_report, [(tree.child(DEMO_WORKER, w).generate_state(4), w) for w in range(WORKERS)])

    a1, a2, b = run(1), run(1), run(2)
    ok = len(set(a1)) == WORKERS and a1 == a2 and not set(a1) & set(b)
    return [
        "4. seedpool: SeedTree(seed).child('worker', w) handed to each spawned worker",
        f"   seed 1, run 1: {_fmt(a1)}",
        f"   seed 1, run 2: {_fmt(a2)}",
        f"   seed 2       : {_fmt(b)}",
        "   " + _verdict(ok, "distinct within a run, identical across runs, no overlap between seeds", "unexpected"),
    ]


def _digest(values: Sequence[float]) -> str:
    return hashlib.sha256(repr(list(values)).encode()).hexdigest()[:12]


def _section_schedule() -> list[str]:
    fork = multiprocessing.get_context("fork")
    items = range(64)
    rows = []
    plain, seeded = set(), set()
    for processes, chunksize in ((1, 1), (2, 1), (4, 1), (4, 16)):
        with fork.Pool(processes, initializer=_seed_worker_by_identity, initargs=(42,)) as pool:
            p = _digest(pool.map(_noisy_task, items, chunksize))
        with Pool(processes, seed=42, context=fork) as pool:
            s = _digest(pool.map(_noisy_task, items, chunksize))
        plain.add(p)
        seeded.add(s)
        rows.append(f"   processes={processes} chunksize={chunksize:<3}  per-worker seeds: {p}   seedpool.Pool: {s}")
    return [
        "5. the same 64-task map, per-worker seeding vs seedpool.Pool (hash of the results)",
        *rows,
        "   " + _verdict(len(plain) == 1, "per-worker seeding stable", f"per-worker seeding gave {len(plain)} different results across schedules"),
        "   " + _verdict(len(seeded) == 1, "seedpool.Pool: identical for every schedule (tasks own their streams)", "seedpool.Pool differed"),
    ]


# -- TensorFlow (``seedpool demo --tensorflow``) ------------------------------------------
# TensorFlow is imported inside these functions only: ``seedpool demo`` and pytest's
# doctest collection of this module must not pay its import (seconds, ~500 MiB).
TF_SEED = 1234


def _tf_values(values: Any) -> str:
    return "  ".join(f"{float(v):.6f}" for v in values)


def _section_tf_op_order() -> list[str]:
    import tensorflow as tf

    tf.random.set_seed(TF_SEED)
    run1 = tf.random.uniform([3]).numpy()
    tf.random.set_seed(TF_SEED)
    tf.random.normal([1])  # one extra random op, created before: e.g. a new augmentation
    run2 = tf.random.uniform([3]).numpy()
    moved = bool((run1 != run2).any())

    seed = SeedTree(TF_SEED).tf_seed()  # int64 [2]: the root's own stateless seed
    fix1 = tf.random.stateless_uniform([3], seed=seed).numpy()
    tf.random.normal([1])
    fix2 = tf.random.stateless_uniform([3], seed=seed).numpy()
    same = bool((fix1 == fix2).all())
    return [
        f"6. tf.random.set_seed({TF_SEED}) then tf.random.uniform([3]); run 2 creates one extra random op first",
        f"   run 1: {_tf_values(run1)}",
        f"   run 2: {_tf_values(run2)}",
        "   " + _verdict(not moved, "unchanged", "the seeded values moved: op seeds follow op-creation order"),
        f"   tf.random.stateless_uniform([3], seed=SeedTree({TF_SEED}).tf_seed())",
        f"   run 1: {_tf_values(fix1)}",
        f"   run 2: {_tf_values(fix2)}",
        "   " + _verdict(same, "identical: a stateless op's values depend only on its seed", "stateless values moved"),
    ]


def _section_tf_dropout() -> list[str]:
    import keras
    import tensorflow as tf

    from ..tensorflow import ReplicaDropout  # deferred: a lazy name that imports TensorFlow


    devices = [d.name for d in tf.config.list_logical_devices("CPU")][:2]
    strategy = tf.distribute.MirroredStrategy(devices=devices)

    def masks(make: Callable[[], Any]) -> list[str]:
        with strategy.scope():
            layer = make()
        def replica_step() -> Any:
            return layer(tf.ones([16]), training=True)

        @tf.function  # as in training (an eager strategy.run only adds overhead warnings)
        def step() -> Any:
            return strategy.run(replica_step)

        out = step()
        return ["".join("1" if v else "0" for v in t.numpy()) for t in strategy.experimental_local_results(out)]

    plain = masks(lambda: keras.layers.Dropout(0.5, seed=TF_SEED))
    ours1 = masks(lambda: ReplicaDropout(0.5, seed=SeedTree(TF_SEED)))
    ours2 = masks(lambda: ReplicaDropout(0.5, seed=SeedTree(TF_SEED)))
    ok = len(set(ours1)) == len(ours1) and ours1 == ours2

    def row(label: str, m: list[str]) -> str:
        return f"   {label:<29}" + "  ".join(f"replica {r}: {mask}" for r, mask in enumerate(m))

    return [
        f"7. Dropout(0.5) under MirroredStrategy on {len(devices)} logical CPU devices (1 = unit kept)",
        row("keras.layers.Dropout", plain),
        "   " + _verdict(len(set(plain)) == len(plain), "distinct masks",
                         "every replica drops the same units: the layer's seed is a mirrored variable"),
        row("ReplicaDropout", ours1),
        row("ReplicaDropout, built again", ours2),
        "   " + _verdict(ok, "a different mask per replica, the same every time it is built with the seed",
                         "unexpected"),
    ]


def _section_tf_data() -> list[str]:
    import tensorflow as tf

    from ..tensorflow import seeded_map  # deferred: a lazy name that imports TensorFlow

    def digest(ds: Any) -> str:
        return _digest([round(float(x), 6) for x in ds.as_numpy_iterator()])

    stateful = []
    for _ in range(3):
        tf.random.set_seed(TF_SEED)
        ds = tf.data.Dataset.range(200).map(
            lambda x: tf.cast(x, tf.float32) + tf.random.uniform([]), num_parallel_calls=4, deterministic=True
        )
        stateful.append(digest(ds))
    seeded = []
    for _ in range(3):
        ds = seeded_map(
            tf.data.Dataset.range(200),
            lambda x, seed: tf.cast(x, tf.float32) + tf.random.stateless_uniform([], seed=seed),
            SeedTree(TF_SEED),
            num_parallel_calls=4,
        )
        seeded.append(digest(ds))
    return [
        "8. tf.data: map(x + random noise, num_parallel_calls=4) over 200 elements, built 3 times (hash of the values)",
        f"   tf.random.set_seed({TF_SEED}) + tf.random.uniform:  " + "  ".join(stateful),
        "   " + _verdict(len(set(stateful)) == 1, "stateful map identical",
                         f"{len(set(stateful))} different results: the parallel calls race for the op's state"),
        "   seedpool.tensorflow.seeded_map + stateless op: " + "  ".join(seeded),
        "   " + _verdict(len(set(seeded)) == 1, "identical every time, and the map stays parallel",
                         "seeded_map differed"),
    ]


def _tensorflow_sections() -> list[Callable[[], list[str]]]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    # Two logical CPU devices for MirroredStrategy; must happen before TF's first op.
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    print(f"TensorFlow {tf.__version__}: randomness in ops, replicas and input pipelines\n")
    return [_section_tf_op_order, _section_tf_dropout, _section_tf_data]


def _tensorflow_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("tensorflow") is not None


USAGE = "usage: seedpool demo [--tensorflow]"


def main(argv: Sequence[str] = ()) -> int:
    """Run every section and print the table; returns the exit code.

    ``--tensorflow`` adds TensorFlow's half of the story (sections 6-8).
    """
    args = list(argv)
    if "-h" in args or "--help" in args:
        print(USAGE + "\n\nShow the fork, spawn and additive-seed bugs and seedpool's fix, each value drawn in "
              "a real worker process.\n\noptions:\n  --tensorflow  add TensorFlow's half of the story "
              "(needs seedpool[tensorflow])")
        return 0
    with_tf = "--tensorflow" in args
    if [a for a in args if a != "--tensorflow"]:
        print(USAGE, file=sys.stderr)
        return 2
    if with_tf and not _tensorflow_installed():
        print("seedpool demo --tensorflow needs TensorFlow: pip install 'seedpool[tensorflow]'", file=sys.stderr)
        return 2
    print("seedpool demo: randomness in worker processes (each value drawn in a real worker)\n")
    sections = [_section_fork, _section_spawn_top_level_seed, _section_additive, _section_tree, _section_schedule]
    for section in sections:
        if section is _section_fork and "fork" not in multiprocessing.get_all_start_methods():
            continue
        print("\n".join(section()))
        print()
    if with_tf:
        # After the numpy sections: their pools fork, and a forked TensorFlow is unsafe.
        for section in _tensorflow_sections():
            print("\n".join(section()), flush=True)
            print()
    elif _tensorflow_installed():
        print("TensorFlow's half (op seeds, replicas, tf.data): seedpool demo --tensorflow")
    else:
        print("TensorFlow's half (op seeds, replicas, tf.data): pip install 'seedpool[tensorflow]', "
              "then seedpool demo --tensorflow")
    return 0
