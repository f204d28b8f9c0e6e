"""The ``torch`` backend: torch's default CPU generator (and CUDA's), seeded eagerly.

Its implementation is ``seedpool._state.backends._torch_rng``, which imports only torch; it is
imported on first use, so the registry never loads torch (nor ``seedpool.torch``).
"""

from __future__ import annotations

from ..._derive.keys import TORCH
from .registry import Backend, delegate

_IMPL = "seedpool._state.backends._torch_rng"

BACKEND = Backend(TORCH, "torch", delegate(_IMPL, "seed_words"), delegate(_IMPL, "get_state"),
                                   delegate(_IMPL, "set_state"))
