"""CPython's ``random`` module: the private names seedpool's hooks rely on.

Checked on CPython 3.9, 3.10, 3.11, 3.12 and 3.13 (``Lib/random.py`` and
``Modules/_randommodule.c``): the names below exist with the same meaning in each.
"""

from __future__ import annotations

import _random
import random
from typing import Any

__all__ = ["C_RANDOM", "c_level_methods", "global_random"]

# ``random._inst``: the module-level ``Random()`` behind ``random.random()``,
# ``random.seed()``, ``random.getstate()``... (``_inst = Random()`` near the end of
# Lib/random.py, 3.9-3.13). The module functions are its bound methods, bound at import.
_INST: random.Random = random._inst  # type: ignore[attr-defined]

# ``_random.Random``: the C base class of ``random.Random``. Its own methods are the
# C-level entry points every Python-level method of ``Random`` draws through
# (``random``, ``getrandbits``; ``randbytes`` is C since 3.9 -- Python-level in 3.9's
# ``random.Random`` but listed in ``vars(_random.Random)`` only where it is C).
C_RANDOM = _random.Random


def global_random() -> Any:
    """``random._inst``, the generator behind the ``random`` module's functions."""
    return _INST


def c_level_methods() -> tuple[str, ...]:
    """The drawing methods implemented in C on this Python (3.9-3.13: ``random``,
    ``getrandbits``, and ``randbytes`` where it is C)."""
    return tuple(n for n in ("random", "getrandbits", "randbytes") if n in vars(C_RANDOM))
