"""The backend registry: the random number generators seedpool seeds, snapshots and restores.

Each backend is seeded from its *own* child of a node (``node.child(backend.name)``), so
``random.random()`` and ``np.random.random()`` never replay the same stream. The seed
material is uint32 words of that child (``generate_state``): four (128 bits) for most,
eight for the PCG64 behind ``seedpool.rng()``. A backend declares:

* how to seed itself from those words, and how to snapshot and restore its state;
* whether a task can seed it **lazily** -- on the task's first draw, through a hook --
  or must seed it **eagerly** at task start (when its library is imported at all);
* whether seeding it has side effects on other backends (Keras' ``set_random_seed``
  also reseeds ``random`` and numpy), so the task protocol runs it in a scratch scope;
* whether forked children are reseeded through it (``seedpool.reseed_after_fork``).

Everything that seeds -- ``seed_everything``, ``isolate``, the task protocol
(:mod:`seedpool._task.task`), pool workers, loaders, forked children -- walks this registry;
no other module names a backend. A new backend (numba, cupy, JAX...) is one module here
defining a :class:`Backend` record, plus its name in the list at the bottom (or a call to
:func:`register_backend`); it is eager unless it comes with a hook. The lazy ones are the three that have hooks: ``python`` and ``numpy``
(:mod:`seedpool._state.scopes`) and ``rng`` (the task's own Generator, built on first use).

TensorFlow and torch are looked up lazily: asking which backends are installed, or
seeding the ones in use, never imports them; their implementations live in internal
modules (``seedpool.tensorflow._seed``, ``seedpool._state.backends._torch_rng``), never in the public
adapters.
"""

from __future__ import annotations

from . import _numpy, _python, _rng, _tensorflow, _torch
from .registry import (
    BACKENDS,
    Backend,
    available_backends,
    delegate,
    eager_backends,
    fork_backend_names,
    register_backend,
    resolve_backends,
    seed_loaded,
    words_to_int,
)

__all__ = [
    "BACKENDS",
    "Backend",
    "available_backends",
    "delegate",
    "eager_backends",
    "fork_backend_names",
    "register_backend",
    "resolve_backends",
    "seed_loaded",
    "words_to_int",
]

# The built-in backends, each defined in its own module. Order matters: Keras' seeding
# also reseeds `random` and numpy, so the deep-learning backends go first and the plain
# ones overwrite with their own streams afterwards.
for _module in (_tensorflow, _torch, _python, _numpy, _rng):
    register_backend(_module.BACKEND)
del _module
