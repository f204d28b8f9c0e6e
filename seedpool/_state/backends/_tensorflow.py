"""The ``tensorflow`` backend: TF's global seed and generator, and Keras', seeded eagerly.

Its implementation is ``seedpool.tensorflow._seed`` (TensorFlow only, not the public adapter),
imported on first use. Keras' seeding also calls ``random.seed`` / ``np.random.seed``:
``side_effects`` makes the task protocol run it in a scratch scope.
"""

from __future__ import annotations

from ..._derive.keys import TENSORFLOW
from .registry import Backend, delegate

_IMPL = "seedpool.tensorflow._seed"

BACKEND = Backend(TENSORFLOW, "tensorflow", delegate(_IMPL, "seed_words"),
                                   delegate(_IMPL, "get_state"), delegate(_IMPL, "set_state"),
                                   side_effects=True)
