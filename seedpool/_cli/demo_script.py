"""Stands in for a user's script in ``seedpool demo``: it seeds numpy at its top level.

Under spawn (and forkserver) every worker imports this module again, so every worker
re-runs the seeding line and draws the same numbers. Imported only by the demo.
"""

from __future__ import annotations

from typing import Any

import numpy as np

np.random.seed(1234)  # the pattern being demonstrated: seeding at import time


def first_draw(queue: Any, tag: Any) -> None:
    queue.put((tag, float(np.random.random())))
