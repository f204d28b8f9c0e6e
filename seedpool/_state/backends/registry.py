"""The backend registry itself: the :class:`Backend` record, the registry and its queries.

Kept apart from the package's ``__init__``, which registers the built-in backends: each
built-in backend module imports :class:`Backend` from here, never from the package, so
the registry has no import cycle.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._derive.tree import SeedTree, words_to_int
from ..._errors import BackendUnavailableError

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


def delegate(module: str, attr: str) -> Callable[..., Any]:
    """``module.attr``, imported on first call (a backend whose library is heavy)."""
    resolved: list[Callable[..., Any]] = []

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
        Also the key of the node's child this backend is seeded from (a ``_keys`` constant).
    module : str
        The import name whose presence in ``sys.modules`` means the backend is in use.
    seed_words : callable
        Seed from ``n_words`` uint32 words of ``node.child(name)``.
    get_state, set_state : callable
        Capture and restore the generator's state.
    seed_node : callable, optional
        Seed from ``node.child(name)`` itself, when that is cheaper or exact (``rng``).
    n_words : int
        How many words :attr:`seed_words` takes.
    lazy : bool
        A task seeds it on first draw, through a hook; otherwise at task start.
    side_effects : bool
        Seeding it also reseeds other backends (run in ``_lazy.scratch`` inside a task).
    after_fork : bool
        Forked children are reseeded through it (``seedpool.reseed_after_fork``).
    """

    name: str
    module: str
    seed_words: Callable[[np.ndarray], None]
    get_state: Callable[[], Any]
    set_state: Callable[[Any], None]
    seed_node: Callable[[SeedTree], None] | None = None
    n_words: int = 4
    lazy: bool = False
    side_effects: bool = False
    after_fork: bool = False

    def seed(self, node: SeedTree) -> None:
        """Seed this backend from ``node.child(self.name)``."""
        own = node.child(self.name)
        if self.seed_node is not None:
            self.seed_node(own)
        else:
            self.seed_words(own.generate_state(self.n_words))

    def loaded(self) -> bool:
        """Whether the library is imported in this process (never imports it)."""
        return self.module in sys.modules

    def installed(self) -> bool:
        """Whether the library could be imported (never imports it)."""
        return self.loaded() or importlib.util.find_spec(self.module) is not None


BACKENDS: dict[str, Backend] = {}
# The eager backends, in registry order (the task protocol's hot path reads this tuple).
_eager: tuple[Backend, ...] = ()
# Lazy seeding needs a hook that fires on the first draw; these are the ones that exist.
_HOOKED = ("python", "numpy", "rng")


def register_backend(backend: Backend) -> Backend:
    """Add ``backend`` to the registry (at the end of the seeding order).

    Raises
    ------
    TypeError
        Not a :class:`Backend`.
    ValueError
        Its name is taken, or it asks to be lazy without a hook.
    """
    global _eager
    if not isinstance(backend, Backend):
        raise TypeError(f"backend must be a seedpool Backend (got {type(backend).__name__})")
    if backend.name in BACKENDS:
        raise ValueError(f"a backend named {backend.name!r} is already registered")
    if backend.lazy and backend.name not in _HOOKED:
        raise ValueError(
            f"backend {backend.name!r} cannot be lazy: only {', '.join(_HOOKED)} have first-draw hooks; "
            "register it with lazy=False (seeded at task start when its module is imported)"
        )
    BACKENDS[backend.name] = backend
    _eager = tuple(b for b in BACKENDS.values() if not b.lazy)
    return backend


def eager_backends() -> tuple[Backend, ...]:
    """The backends a task seeds at its start (when loaded), in seeding order."""
    return _eager


def seed_loaded(node: SeedTree) -> None:
    """Seed every backend whose library is loaded from ``node`` (each from its own child):
    a worker's start, a data-loader worker's -- the one loop that does this."""
    for backend in BACKENDS.values():
        if backend.loaded():
            backend.seed(node)


def fork_backend_names() -> tuple[str, ...]:
    """Names of the backends a forked child is reseeded through."""
    return tuple(name for name, b in BACKENDS.items() if b.after_fork)


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
