"""Ray's core API: the one private attribute ``seedpool.ray.remote`` reads.

Checked on ray 2.60.0 (``python/ray/_private/worker.py``): ``global_worker.mode`` is
``ray.WORKER_MODE`` in the processes Ray starts to run tasks and actors, and
``ray.SCRIPT_MODE`` (or None before ``ray.init``) in a driver.
"""

from __future__ import annotations

import ray
import ray._private.worker as _worker

__all__ = ["in_worker_process"]


def in_worker_process() -> bool:
    """Whether this process is one of Ray's task or actor workers (not a driver)."""
    return bool(_worker.global_worker.mode == ray.WORKER_MODE)
