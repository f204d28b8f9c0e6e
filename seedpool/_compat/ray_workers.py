"""Ray's raylet: how a process tells it was started as one of the raylet's workers.

Checked on ray 2.60.0: the raylet (a C++ process) starts every worker process with its
own environment plus ``RAY_RAYLET_PID``, its pid (``src/ray/raylet/worker_pool.cc``; the
worker watches that pid to exit with the raylet). The variable is Ray's own and not
documented, so it is read here only.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["started_by_raylet"]

RAYLET_PID = "RAY_RAYLET_PID"


def started_by_raylet(environ: Mapping[str, str], parent_pid: int) -> bool:
    """Whether the process with this environment and parent was started by Ray's raylet.

    A process a Ray worker starts itself inherits the variable too, but its parent is the
    worker, not the raylet.
    """
    return environ.get(RAYLET_PID) == str(parent_pid)
