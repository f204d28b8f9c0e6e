"""Linux's per-process CPU-time clock, for benchmarks that time other processes.

Imports nothing of seedpool: ``_lifecycle_probe.py`` runs it against another release's
checkout.
"""

from __future__ import annotations

import sys
import time
from typing import Any


def cpu_clock(pid: int) -> Any:
    """The CPU-time clock of process ``pid`` (ns resolution), or None.

    psutil reads /proc ticks (10 ms here), too coarse for a 15 ms map; the kernel's
    per-process clock id is MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED) = (~pid << 3) | 2.
    """
    if not sys.platform.startswith("linux"):
        return None
    clock = ((~pid) << 3) | 2
    try:
        time.clock_gettime(clock)
    except OSError:
        return None
    return clock
