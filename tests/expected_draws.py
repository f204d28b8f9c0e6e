"""What a task keyed by a node draws, computed here from the documented keys.

Shared by the tests of the engines' own APIs (``test_dask_native``, ``test_ray_native``),
which compare what their tasks drew on a real cluster with these.
"""

from __future__ import annotations

import json
import random

import numpy as np

from seedpool._state.backends import words_to_int


def as_json(value):
    """``value`` as it comes back through JSON (tuples become lists), to compare with results."""
    return json.loads(json.dumps(value))


def gens(node):
    """The generators a task keyed by ``node`` draws from, seeded here from the documented keys."""
    py = random.Random(words_to_int(node.child("python").generate_state(4)))
    npr = np.random.RandomState(node.child("numpy").generate_state(4))
    return py, npr, node.child("rng").generator()


def expected_draw(node, x):
    """What ``draw(x)`` (one value from each keyed generator) returns in a task keyed by ``node``."""
    py, npr, rng = gens(node)
    return [x, py.random(), float(npr.random_sample()), float(rng.random())]
