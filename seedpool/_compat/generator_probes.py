"""Cheap fingerprints of a Mersenne Twister's position, read straight from memory.

Strict mode asks, at the end of a task, "did anything draw from the process's own
``random`` / numpy global generators behind seedpool's hooks?". Comparing full states
(``getstate()``, ``bit_generator.state``) costs microseconds; reading two machine words
costs a few tens of nanoseconds. A draw always moves the MT's position, except a draw of
a multiple of 624 words, which twists the key (its first word changes); so ``(position,
key[0])`` (numpy: ``key[623]``) moves on every draw. Both pairs are adjacent in memory, so one 8-byte read
(a ``ctypes.c_uint64`` whose ``.value`` is the fingerprint) takes them together.

Layouts relied on (each checked where noted; a calibration at first use refuses to
probe -- returns None -- rather than read the wrong word):

* CPython ``_randommodule.c``: ``RandomObject { PyObject_HEAD; int index;
  uint32_t state[624]; }`` -- 3.9 to 3.13, default and free-threaded builds (the header
  size differs; the offset is found by calibration, not assumed).
* numpy ``mt19937.h``: ``mt19937_state { uint32_t key[624]; int pos; }`` at
  ``MT19937.ctypes.state_address`` -- numpy 1.17 to 2.4.
"""

from __future__ import annotations

import ctypes
import random
from typing import Any, Optional

__all__ = ["python_probe", "numpy_probe"]


_N = 624
_python_offset: Optional[int] = None
_calibrated = False


def _find_python_offset() -> Optional[int]:
    """Offset of ``index`` in a ``random.Random`` object, found on a probe object whose
    state we set to a recognisable pattern."""
    probe = random.Random()
    key = tuple(range(1_000_003, 1_000_003 + _N))
    probe.setstate((3, key + (7,), None))
    base = id(probe)
    for offset in range(8, 160, 4):
        if (ctypes.c_int.from_address(base + offset).value == 7
                and ctypes.c_uint32.from_address(base + offset + 4).value == key[0]
                and ctypes.c_uint32.from_address(base + offset + 8).value == key[1]):
            return offset
    return None


def python_probe(inst: random.Random) -> Optional[ctypes.c_uint64]:
    """A word whose ``.value`` holds ``index`` and ``state[0]`` of ``inst``; None if the
    layout is not the one this module knows. ``inst`` must outlive the probe."""
    global _python_offset, _calibrated
    if not _calibrated:
        _python_offset, _calibrated = _find_python_offset(), True
    if _python_offset is None:
        return None
    return ctypes.c_uint64.from_address(id(inst) + _python_offset)


def numpy_probe(bit_generator: Any) -> Optional[ctypes.c_uint64]:
    """A word whose ``.value`` holds ``key[623]`` and ``pos`` of an ``MT19937`` (the
    last key word twists like the first); None for another bit generator.
    ``bit_generator`` must outlive the probe."""
    import numpy as np

    if not isinstance(bit_generator, np.random.MT19937):
        return None
    return ctypes.c_uint64.from_address(bit_generator.ctypes.state_address + 4 * (_N - 1))
