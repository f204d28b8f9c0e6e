"""Backends: the random number generators seedpool knows how to seed and snapshot.

Each backend is seeded from its *own* child of a node (``node.child(backend.name)``), so
``random.random()`` and ``np.random.random()`` never replay the same stream.  The seed
material is four uint32 words (128 bits); :meth:`Backend.seed_words` takes those words
directly so a pool can derive them for a whole chunk of tasks at once.

TensorFlow and torch are looked up lazily: asking which backends are installed, or
seeding the ones in use, never imports them.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional

import numpy as np

from ._errors import BackendUnavailableError
from ._keys import NUMPY, PYTHON, RNG, TENSORFLOW, TORCH
from ._tree import SeedTree, words_to_int

__all__ = ["Backend", "BACKENDS", "resolve_backends", "available_backends", "words_to_int"]


# -- python ---------------------------------------------------------------------------
def _python_seed(words: np.ndarray) -> None:
    random.seed(words_to_int(words))


# -- numpy (legacy global RandomState) ------------------------------------------------
def _numpy_seed(words: np.ndarray) -> None:
    # init_by_array on 128 bits; an int seed would be truncated to 32 bits.
    np.random.seed(np.asarray(words, dtype=np.uint32))


def _numpy_get_state() -> Any:
    return np.random.get_state()


def _numpy_set_state(state: Any) -> None:
    np.random.set_state(state)


# -- seedpool.rng() -------------------------------------------------------------------
def _rng_seed_node(node: SeedTree) -> None:
    from . import _context

    # Exactly node.child("rng").generator(), so users can rebuild it from the tree; the
    # current context's generator (a task's, inside a pool task or task_scope).
    _context.set_current_rng(node.generator())


def _rng_seed(words: np.ndarray) -> None:
    _rng_seed_node(SeedTree(words_to_int(words)))


def _rng_get_state() -> Any:
    from . import _context

    return _context.rng().bit_generator.state


def _rng_set_state(state: Any) -> None:
    from . import _context

    _context.rng().bit_generator.state = state


# -- tensorflow / torch: implemented beside their adapters, imported on use -------------
def _delegate(module: str, attr: str) -> Callable[..., Any]:
    resolved: list[Callable[..., Any]] = []  # import once, on first use (per task after that)

    def call(*args: Any) -> Any:
        if not resolved:
            resolved.append(getattr(importlib.import_module(module), attr))
        return resolved[0](*args)

    call.__name__ = attr
    return call


@dataclass(frozen=True)
class Backend:
    """One random number generator seedpool can seed, snapshot and restore.

    Attributes
    ----------
    name : str
        Also the key of the node's child this backend is seeded from.
    module : str
        The import name whose presence in ``sys.modules`` means the backend is in use.
    seed_words, get_state, set_state : callable
        Seed from four uint32 words; capture and restore the generator's state.
    """

    name: str
    module: str
    seed_words: Callable[[np.ndarray], None]
    get_state: Callable[[], Any]
    set_state: Callable[[Any], None]
    seed_node: Optional[Callable[[SeedTree], None]] = None

    def seed(self, node: SeedTree) -> None:
        """Seed this backend from ``node.child(self.name)``."""
        own = node.child(self.name)
        if self.seed_node is not None:
            self.seed_node(own)
        else:
            self.seed_words(own.generate_state(4))

    def loaded(self) -> bool:
        """Whether the library is imported in this process (never imports it)."""
        return self.module in sys.modules

    def installed(self) -> bool:
        """Whether the library could be imported (never imports it)."""
        return self.loaded() or importlib.util.find_spec(self.module) is not None


# Order matters: Keras' seeding also reseeds `random` and numpy, so the deep-learning
# backends go first and the plain ones overwrite with their own streams afterwards.
BACKENDS: dict[str, Backend] = {
    b.name: b
    for b in (
        Backend(TENSORFLOW, "tensorflow", _delegate("seedpool.tensorflow", "seed_words"),
                _delegate("seedpool.tensorflow", "get_state"), _delegate("seedpool.tensorflow", "set_state")),
        Backend(TORCH, "torch", _delegate("seedpool.torch", "seed_words"),
                _delegate("seedpool.torch", "get_state"), _delegate("seedpool.torch", "set_state")),
        Backend(PYTHON, "random", _python_seed, random.getstate, random.setstate),
        Backend(NUMPY, "numpy", _numpy_seed, _numpy_get_state, _numpy_set_state),
        Backend(RNG, "seedpool", _rng_seed, _rng_get_state, _rng_set_state, _rng_seed_node),
    )
}


def available_backends() -> tuple[str, ...]:
    """Names of the backends whose library is installed, in seeding order."""
    return tuple(name for name, b in BACKENDS.items() if b.installed())


def resolve_backends(backends: Iterable[str] | str | None) -> tuple[Backend, ...]:
    """Validate backend names; ``None`` means every backend whose library is imported.

    Raises
    ------
    TypeError
        ``backends`` is not an iterable of str.
    ValueError
        An unknown name.
    BackendUnavailableError
        A named backend whose library is not installed.
    """
    if backends is None:
        return tuple(b for b in BACKENDS.values() if b.loaded())
    if isinstance(backends, str):
        backends = (backends,)
    try:
        names = list(backends)
    except TypeError:
        raise TypeError(
            f"backends must be None or an iterable of backend names (got {backends!r}); "
            f"known: {', '.join(map(repr, BACKENDS))}"
        ) from None
    chosen = []
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"backend names must be str (got {name!r} of type {type(name).__name__})")
        if name not in BACKENDS:
            raise ValueError(f"unknown backend {name!r}; known: {', '.join(map(repr, BACKENDS))}")
        backend = BACKENDS[name]
        if not backend.installed():
            raise BackendUnavailableError(
                f"backend {name!r} needs {backend.module}, which is not installed: "
                f"pip install 'seedpool[{name}]'"
            )
        chosen.append(backend)
    # Keep the registry's order whatever order the user named them in.
    return tuple(b for b in BACKENDS.values() if b in chosen)
