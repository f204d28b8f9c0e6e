"""numpy's legacy global random state: the private names seedpool's hooks rely on.

Checked on numpy 2.0.2 (CPython 3.9), 2.2.6 (3.10), 2.4.6 (3.11) and 2.5.5 (3.12, 3.13)
(``numpy/random/mtrand.pyx``; the hooks installed and a task's draws keyed on each): ``mtrand._rand`` is
the ``RandomState`` behind ``np.random.*`` and scipy / scikit-learn's
``random_state=None``; ``RandomState._bit_generator`` is a ``cdef public`` attribute
holding its ``MT19937``; ``get_bit_generator`` / ``set_bit_generator`` exist from 1.25.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.random import mtrand

__all__ = [
    "MTRAND",
    "bit_generator_functions",
    "bit_generator_of",
    "global_randomstate",
    "set_global_randomstate",
]

MTRAND = mtrand

# The getset descriptor of the C attribute, so a subclass may define a Python-level
# ``_bit_generator`` property (seeding on hand-out) and still read the real one.
_RS_BIT_GENERATOR = np.random.RandomState.__dict__["_bit_generator"]


def global_randomstate() -> np.random.RandomState:
    """``numpy.random.mtrand._rand`` (numpy 1.17-2.4)."""
    return mtrand._rand  # type: ignore[attr-defined]


def set_global_randomstate(state: np.random.RandomState) -> None:
    """Make ``state`` what ``np.random.*`` and ``check_random_state(None)`` use.

    The module-level functions of ``np.random`` are bound methods of the old object;
    the caller rebinds them (see ``seedpool._state.scopes``).
    """
    mtrand._rand = state  # type: ignore[attr-defined]


def bit_generator_of(state: np.random.RandomState) -> Any:
    """The ``MT19937`` inside ``state`` (its ``_bit_generator``), bypassing any override."""
    return _RS_BIT_GENERATOR.__get__(state)


def bit_generator_functions() -> tuple | None:
    """``(get_bit_generator, set_bit_generator)`` of ``numpy.random.mtrand`` (numpy >= 1.25), or None."""
    get = getattr(mtrand, "get_bit_generator", None)
    put = getattr(mtrand, "set_bit_generator", None)
    return None if get is None or put is None else (get, put)
