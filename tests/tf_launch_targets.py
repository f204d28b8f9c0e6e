"""Launch targets that do not import TensorFlow: exercise the launcher's process
handling (results, seeding, failure, timeout) quickly."""

from __future__ import annotations

import os
import random
import time

import numpy as np


def report(worker) -> dict:
    return {
        "task_index": worker.task_index,
        "num_workers": worker.num_workers,
        "tf_config": os.environ["TF_CONFIG"],
        "node_path": list(worker.node.path),
        "python_random": random.random(),
        "numpy_random": float(np.random.random()),
        "expected_python": worker.node.child("python").random().random(),
        # Where `import tensorflow` would come from (find_spec does not import it): the
        # real package, never seedpool/tensorflow/ put on the path by the launcher.
        "tensorflow_spec": _origin("tensorflow"),
        "seedpool_spec": _origin("seedpool"),
    }


def _origin(name: str):
    import importlib.util

    spec = importlib.util.find_spec(name)
    return None if spec is None else spec.origin


def fail_one(worker, pid_dir: str) -> None:
    with open(os.path.join(pid_dir, f"{worker.task_index}.pid"), "w") as f:
        f.write(str(os.getpid()))
    if worker.task_index == 1:
        # Fail once worker 0 has started (its pid file written), so the launcher has a
        # running worker to kill; bounded, and started workers are what the test checks.
        deadline = time.monotonic() + 60
        while not os.path.exists(os.path.join(pid_dir, "0.pid")) and time.monotonic() < deadline:
            time.sleep(0.01)
        raise ValueError("worker one exploded on purpose")
    time.sleep(120)  # the launcher must kill this one


def hang(worker, pid_dir: str) -> None:
    with open(os.path.join(pid_dir, f"{worker.task_index}.pid"), "w") as f:
        f.write(str(os.getpid()))
    time.sleep(120)
