"""The key layout: every namespace key seedpool uses under a root, in one place.

A stream is a pure function of its root and its key path (:meth:`SeedTree.child`), so the
keys below *are* the product's promise: a release that changed one would silently give every
user other numbers. Each consumer's first derived values are pinned by a golden test
(``tests/test_key_layout.py``); changing a key is a breaking change that needs an explicit
decision, never a side effect.

Which component derives from which key path is :data:`LAYOUT`, the one copy of the table:
it is appended below when this module is imported (``help()`` shows it), and the
documentation's key-layout page is generated from it too.

"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "ARRAY",
    "ARRAY_FAMILIES",
    "ATTR",
    "BACKEND_KEYS",
    "BATCHES",
    "BITS",
    "CALLS",
    "CHILD",
    "DELAYED",
    "DEMO_WORKER",
    "DROPOUT",
    "EXPONENTIAL",
    "GENERATOR",
    "HASH_SEED",
    "INTEGERS",
    "LABELS",
    "LAYOUT",
    "LOADER_GENERATOR",
    "LOADER_WORKERS",
    "MESH",
    "MESH_STEP",
    "MESH_STREAM",
    "NORMAL",
    "NUMPY",
    "POOLS",
    "PYTHON",
    "REMOTE",
    "RNG",
    "SAMPLER",
    "SAMPLES",
    "TASKS",
    "TENSORFLOW",
    "TF_INPUT",
    "TF_MAP",
    "TF_REPLICA",
    "TF_WORKER",
    "TORCH",
    "UNIFORM",
    "WORKERS",
    "Key",
]

# -- each backend's own child under a node ------------------------------------------------
PYTHON = "python"
NUMPY = "numpy"
RNG = "rng"
TORCH = "torch"
TENSORFLOW = "tensorflow"
BACKEND_KEYS = (TENSORFLOW, TORCH, PYTHON, NUMPY, RNG)

# -- engines: pools, executors, thread pools, joblib, Dask, Ray -----------------------------
TASKS = "tasks"
WORKERS = "workers"
POOLS = "pools"

# -- the engines' own APIs: keyed per submitter ---------------------------------------------
# A *submitter* is the node its keyed calls hang under: the running task's node inside a
# keyed task (of any engine), else the process root (fresh entropy when there is none).
# Each submitter counts its calls per namespace, in the order it makes them: one counter
# for every seeded function it calls (not one per function), as a pool numbers its calls.
REMOTE = "remote"  # seedpool.ray.remote: the k-th seeded .remote() (a task or an actor)
CALLS = "calls"  # a seeded Ray actor: its m-th method call, in the order it runs them
DELAYED = "delayed"  # seedpool.dask.delayed: the k-th call constructed

# -- processes -----------------------------------------------------------------------------
CHILD = "child"
GENERATOR = "generator"
HASH_SEED = "pythonhashseed"

# -- data loaders ----------------------------------------------------------------------------
SAMPLES = "samples"
LOADER_WORKERS = "dataloader-workers"
SAMPLER = "sampler"
LOADER_GENERATOR = "dataloader-generator"
ATTR = "attr"
BATCHES = "batches"

# -- TensorFlow ----------------------------------------------------------------------------
DROPOUT = "dropout"
TF_REPLICA = "tf.replica"
TF_WORKER = "tf.worker"
TF_INPUT = "tf.input"
TF_MAP = "tf.map"

# -- torch.distributed meshes (seedpool.torch.distributed.MeshSeeds) ----------------------
# A rank's node is root.child(MESH, axis, coord, ...) over its *split* axes whose
# coordinate is not 0, sorted by axis name: hashed str names, never added offsets.
MESH = "mesh"
MESH_STEP = "mesh.step"
MESH_STREAM = "mesh.stream"

# -- keyed arrays (seedpool.array): a node per element, by tile or by label ---------------
ARRAY = "array"
LABELS = "labels"
# An array's family (the key after ARRAY): which numpy sampler draws its tiles.
# random() and uniform() share UNIFORM; uniform_at's labels are keyed under
# LABELS, UNIFORM.
UNIFORM = "uniform"
NORMAL = "normal"
EXPONENTIAL = "exponential"
INTEGERS = "integers"
BITS = "bits"
ARRAY_FAMILIES = (UNIFORM, NORMAL, EXPONENTIAL, INTEGERS, BITS)

# -- seedpool demo (its printed streams are part of its output) ---------------------------
DEMO_WORKER = "worker"


class Key(NamedTuple):
    """One row of the key layout: who derives from which path."""

    component: str
    path: str
    module: str


LAYOUT: tuple[Key, ...] = (
    Key("each backend under any node", 'node.child(backend), backend in "python", "numpy", "rng", '
        '"torch", "tensorflow"', "seedpool._state.backends"),
    Key("pool / executor / thread pool task", 'root.child("tasks", call, index)', "seedpool._engines.process_pool"),
    Key("executor submit number k", 'root.child("tasks", k, 0)', "seedpool._engines.executor"),
    Key("pool worker (worker scope, initializer)", 'root.child("workers", slot, incarnation)',
        "seedpool._task.worker"),
    Key("the k-th pool under a process root", 'root.child("pools", k)', "seedpool._state.root"),
    Key("a pool made with seed=None inside a task", 'task_node.child("pools", k)', "seedpool._task.task"),
    Key("a plain joblib Parallel / Dask submit or map call inside a keyed task, its k-th",
        'task_node.child("tasks", k, i)', "seedpool.dask"),
    Key("seedpool.ray.remote: the submitter's k-th seeded .remote() (a task, or an actor's creation and "
        "__init__); submitter = the running task's node, else the process root",
        'submitter.child("remote", k)', "seedpool.ray"),
    Key("a seeded Ray actor's m-th method call (its order on the actor)", 'actor.child("calls", m)',
        "seedpool.ray"),
    Key("seedpool.dask.delayed: the submitter's k-th call constructed", 'submitter.child("delayed", k)',
        "seedpool.dask"),
    Key("a forked or seedpool-run child", 'node.child("child", k)', "seedpool._state.fork"),
    Key("a registered Generator of a child", 'child_node.child("generator", i)', "seedpool._state.fork"),
    Key("PYTHONHASHSEED of a seedpool run", 'root.child("pythonhashseed").uint32()', "seedpool._cli.run"),
    Key("torch per-sample item", 'root.child("samples", epoch, position)', "seedpool.torch"),
    Key("torch DataLoader worker", 'root.child("dataloader-workers", rank, epoch, worker)',
        "seedpool.torch"),
    Key("torch sampler order", 'root.child("sampler", epoch)', "seedpool.torch"),
    Key("torch loader generator", 'root.child("dataloader-generator", rank, epoch)', "seedpool.torch"),
    Key("a dataset's RNG attribute", 'node.child("attr", name)', "seedpool._state.generators"),
    Key("Keras batch", 'root.child("batches", epoch, batch)', "seedpool.keras"),
    Key("ReplicaDropout layer", 'node.child("dropout")', "seedpool.tensorflow"),
    Key("TF replica seeds", 'root.child("tf.replica"[, key])', "seedpool.tensorflow"),
    Key("TF worker", 'root.child("tf.worker", task_id)', "seedpool.tensorflow"),
    Key("TF input pipeline", 'root.child("tf.input", pipeline)', "seedpool.tensorflow"),
    Key("TF seeded_map", 'root.child("tf.map")', "seedpool.tensorflow"),
    Key("torch mesh rank: split axes with coordinate != 0, sorted by name",
        'root.child("mesh", axis, coord, ...)', "seedpool.torch.distributed"),
    Key("mesh rank's global generators at step s", 'rank.child("mesh.step", s)', "seedpool.torch.distributed"),
    Key("mesh named stream; fork() entry k of step s", 'rank.child("mesh.stream", name, s, k)',
        "seedpool.torch.distributed"),
    Key("seedpool.array: tile t (its tile coordinates) of an ndim-d array; dtype is its numpy name",
        'node.child("array", family, dtype, ndim, *t), family in "uniform", "normal", "exponential", '
        '"integers", "bits"', "seedpool.array"),
    Key("seedpool.array.uniform_at: one label (kind 0/1 int, 2 str; words its bits)",
        'node.child("labels", "uniform", kind, *words)', "seedpool.array"),
    Key("seedpool demo's spawned workers", 'SeedTree(seed).child("worker", w)', "seedpool._cli.demo"),
)


def _layout_table(rows: tuple[Key, ...]) -> str:
    """``rows`` as a reST simple table (component, key path) for the module docstring."""
    cells = [("component", "key path")] + [(row.component, f"``{row.path}``") for row in rows]
    width = max(len(component) for component, _ in cells)
    rule = "=" * width + "  " + "=" * max(len(path) for _, path in cells)
    lines = [f"{component:<{width}}  {path}".rstrip() for component, path in cells]
    return "\n".join([rule, lines[0], rule, *lines[1:], rule, ""])


if __doc__ is not None:  # None under python -OO
    __doc__ += _layout_table(LAYOUT)
