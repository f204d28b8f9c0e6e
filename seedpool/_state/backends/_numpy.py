"""The ``numpy`` backend: numpy's legacy global ``RandomState`` (lazy: ``seedpool._state.scopes``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._derive.keys import NUMPY
from .registry import Backend


def seed_words(words: np.ndarray) -> None:
    # init_by_array on 128 bits; an int seed would be truncated to 32 bits.
    np.random.seed(np.asarray(words, dtype=np.uint32))


def get_state() -> Any:
    return np.random.get_state()


def set_state(state: Any) -> None:
    np.random.set_state(state)


BACKEND = Backend(NUMPY, "numpy", seed_words, get_state, set_state, lazy=True,
                                   after_fork=True)
