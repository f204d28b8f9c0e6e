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
    "fresh_entropy_function",
    "legacy_mt19937_class",
    "set_fresh_entropy_function",
    "set_legacy_mt19937_class",
    "unseeded_reporting_mt19937",
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


# -- strict mode's creation hooks -------------------------------------------------------
# ``numpy.random.bit_generator.randbits`` (a module global of the Cython module) is where
# ``SeedSequence(None)`` -- every unseeded generator -- draws its OS entropy, and
# ``numpy.random.mtrand._MT19937`` is the class ``RandomState(seed)`` builds before it
# reseeds it (numpy 1.17-2.5: ``bit_generator.pyx``, ``mtrand.pyx``).


def fresh_entropy_function() -> Any:
    """``numpy.random.bit_generator.randbits``."""
    import numpy.random.bit_generator as bit_generator

    return bit_generator.randbits  # type: ignore[attr-defined]


def set_fresh_entropy_function(function: Any) -> None:
    """Replace ``numpy.random.bit_generator.randbits``."""
    import numpy.random.bit_generator as bit_generator

    bit_generator.randbits = function  # type: ignore[attr-defined]


def legacy_mt19937_class() -> Any:
    """``numpy.random.mtrand._MT19937``."""
    return mtrand._MT19937  # type: ignore[attr-defined]


def set_legacy_mt19937_class(cls: Any) -> None:
    """Replace ``numpy.random.mtrand._MT19937``."""
    mtrand._MT19937 = cls  # type: ignore[attr-defined]


def unseeded_reporting_mt19937(base: type, quiet: Any, report: Any) -> type:
    """mtrand's ``_MT19937`` for strict mode: an MT19937 that calls ``report()`` when
    ``RandomState`` takes its capsule if nothing seeded it after creation
    (``RandomState()`` with no seed). ``RandomState(seed)`` builds an unseeded one and
    then reseeds it through the private ``_legacy_seeding`` (numpy 1.17-2.5), which is
    what clears the mark; ``quiet`` (a context manager) silences the fresh-entropy hook
    while the base class draws its throwaway seed."""

    class _Meta(type):
        # mtrand's `isinstance(bit_generator, _MT19937)` (RandomState.seed) must keep
        # accepting every MT19937, the process's own included.
        def __instancecheck__(cls, obj: Any) -> bool:
            return isinstance(obj, base)

    class MT19937(base, metaclass=_Meta):  # type: ignore[misc,valid-type]
        __doc__ = base.__doc__

        def __init__(self, seed: Any = None) -> None:
            with quiet:
                super().__init__(seed)
            self._seedpool_unseeded = seed is None

        def _legacy_seeding(self, seed: Any) -> Any:
            self._seedpool_unseeded = False
            return super()._legacy_seeding(seed)

        @property
        def capsule(self) -> Any:
            if self.__dict__.pop("_seedpool_unseeded", False):
                report()
            return base.capsule.__get__(self)  # type: ignore[attr-defined]

        def __reduce__(self) -> Any:  # pickles as a plain MT19937
            ctor, _, state = super().__reduce__()
            return ctor, (base,), state

    MT19937.__module__ = base.__module__
    return MT19937
