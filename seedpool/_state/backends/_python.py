"""The ``python`` backend: the ``random`` module's global generator (lazy: ``seedpool._state.scopes``).

``get_state`` / ``set_state`` look ``random.getstate`` / ``random.setstate`` up at call
time, never binding them at import: inside a task the module functions are the lazy
hooks, and a snapshot taken before the task's first draw must be of the *task's*
stream, not the worker's leftover one.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from ..._derive.keys import PYTHON
from ..._derive.tree import words_to_int
from .registry import Backend


def seed_words(words: np.ndarray) -> None:
    random.seed(words_to_int(words))


def get_state() -> Any:
    return random.getstate()


def set_state(state: Any) -> None:
    random.setstate(state)


BACKEND = Backend(PYTHON, "random", seed_words, get_state, set_state, lazy=True,
                                   after_fork=True)
