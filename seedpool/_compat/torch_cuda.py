"""torch's CUDA state: the one private function seedpool asks it.

``torch.cuda._is_in_bad_fork()`` (torch 1.x-2.13, ``torch/cuda/__init__.py``): True in a
child forked from a process that had initialised CUDA, where touching CUDA aborts.
Absent in a build without it: then no child is in a bad fork.
"""

from __future__ import annotations

from typing import Any

__all__ = ["in_bad_fork"]


def in_bad_fork(torch: Any) -> bool:
    """Whether this process is a fork of one that initialised CUDA (``torch`` is the module)."""
    probe = getattr(torch.cuda, "_is_in_bad_fork", None)
    return bool(probe()) if probe is not None else False
