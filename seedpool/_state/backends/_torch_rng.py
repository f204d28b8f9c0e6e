"""The ``torch`` backend's implementation: torch's default generators from seedpool words.

Imports torch (and numpy) only -- never the public adapter ``seedpool.torch``, which
re-exports these three functions as ``seedpool.torch.seed_words`` / ``get_state`` /
``set_state``.
"""

from __future__ import annotations

import numpy as np
import torch

from ..._compat.torch_cuda import in_bad_fork

__all__ = ["get_state", "seed_words", "set_state"]

_cuda_available: bool | None = None  # asked once per process: the devices do not change


def _cuda_seedable() -> bool:
    # torch.manual_seed seeds CUDA too; we do the same, but skip the ~90 us of
    # device probing torch.manual_seed pays on every call (MPS, XPU, custom devices),
    # and ask whether CUDA exists once (1.7 us a call, paid per task otherwise).
    # Never touch CUDA in a forked child of a process that initialised it.
    global _cuda_available
    if _cuda_available is None:
        _cuda_available = bool(torch.cuda.is_available())
    if not _cuda_available:
        return False
    return not in_bad_fork(torch)


def seed_words(words: np.ndarray) -> None:
    """Seed torch's default CPU generator (and CUDA's, if available) from uint32 words.

    The first two words give the 64-bit seed torch accepts.

    Parameters
    ----------
    words : numpy.ndarray
        At least two uint32 words (the backend passes four).
    """
    low, high = np.asarray(words, dtype=np.uint32)[:2].tolist()
    seed = low | (high << 32)  # words_to_int of the first two words, without the bytes trip
    torch.default_generator.manual_seed(seed)
    if _cuda_seedable():
        torch.cuda.manual_seed_all(seed)  # queued lazily if CUDA is not initialised yet


def get_state() -> dict:
    """Capture torch's CPU generator state (and CUDA's, if CUDA is initialised)."""
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
    return {"cpu": torch.default_generator.get_state(), "cuda": cuda}


def set_state(state: dict) -> None:
    """Restore a state captured by :func:`get_state`.

    Parameters
    ----------
    state : dict
        The dict returned by :func:`get_state`.
    """
    if not isinstance(state, dict) or "cpu" not in state:
        raise TypeError(
            f"state must be the dict returned by seedpool.torch.get_state() (got {type(state).__name__})"
        )
    torch.default_generator.set_state(state["cpu"])
    if state.get("cuda") is not None and torch.cuda.is_initialized():
        torch.cuda.set_rng_state_all(state["cuda"])
