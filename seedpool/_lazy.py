"""Lazy per-task seeding of Python's ``random`` and numpy's legacy global state.

Reseeding both generators eagerly costs 8-25 us per task (``random.seed`` ~5 us,
``np.random.seed`` with 128 bits ~18 us) -- more than a chunked no-op task costs to
run. So a worker only *marks* them stale when a task begins, and seeds a generator the
first time the task actually draws from it: a task that draws nothing pays nothing.

Where the hooks sit, and why that covers the usual ways in:

* Python ``random``: ``random.random`` and ``random.getrandbits`` (the module's C-level
  entry points) are replaced, and the same hooks are set as *instance* attributes of
  ``random._inst``. Every Python-level method (``randint``, ``choice``, ``shuffle``,
  ``gauss``...) reaches the C generator through ``self.random`` / ``self.getrandbits``,
  so it hits the hook even when bound before the worker started
  (``from random import randint``). ``gauss_next`` (a cached second normal) is cleared at
  every task start, or a task could return its predecessor's cached value.
* numpy: ``numpy.random.mtrand._rand`` -- the object ``np.random.*`` functions and
  scipy/sklearn's ``random_state=None`` paths use -- is replaced by a ``RandomState``
  subclass sharing the same ``MT19937`` whose every public method seeds first;
  ``np.random.get_bit_generator()`` seeds first too.

Every hook draws from a *target* generator: normally the process's own, but a restoring
scope routes draws to a spare (so the outside state is left alone, never copied), and
:func:`scratch` routes framework seeding side effects (Keras' ``random.seed``) to a
throwaway one. The scope is process-wide, not per thread.

Not covered, documented: a C-level entry point bound *before* the hooks were installed
(``from random import random`` or ``from numpy.random import rand`` at import time in a
module the parent had already imported under fork) draws from the unseeded stream.
"""

from __future__ import annotations

import contextlib
import random as _random_module
from typing import Any, Callable, Iterator, Optional

import numpy as np

__all__ = ["install", "begin", "end", "scratch"]

# Returns the seed words (at least 4) of backend ``name`` for the running task.
WordsFn = Callable[[str], np.ndarray]

class _Scope:
    """One task's view: where its words come from, what is still stale, and -- with
    ``restore`` -- the spare generators its draws are routed to."""

    __slots__ = ("words", "python_stale", "numpy_stale", "restore", "py_spare", "np_spare",
                 "prev_py", "prev_np", "gauss_next")

    def __init__(self, words: WordsFn, restore: bool) -> None:
        self.words = words
        self.python_stale = self.numpy_stale = True
        self.restore = restore
        self.py_spare: Any = None
        self.np_spare: Any = None
        self.prev_py: Any = None
        self.prev_np: Any = None
        self.gauss_next: Any = None


_scope: Optional[_Scope] = None
_installed = False
_lazy_numpy: Any = None
# Where draws go. Normally the process's own generators; a restoring scope routes them
# to a spare generator instead, so the outside state is never copied, only left alone.
_py_target: Any = None
_np_target: Any = None
_py_spares: list = []
_np_spares: list = []
_scratch: list = []


def begin(words: WordsFn, restore: bool = False) -> Optional[_Scope]:
    """A task starts: both generators are stale until first used.

    With ``restore`` (or inside a restoring scope), the task's draws go to spare
    generators and :func:`end` leaves the process's own generators exactly as they were.
    Returns a token for :func:`end`; scopes nest.
    """
    global _scope
    previous = _scope
    scope = _Scope(words, restore or (previous is not None and previous.restore))
    scope.prev_py, scope.prev_np = _py_target, _np_target
    inst = _random_module._inst
    # A cached second normal from before the task must not leak into it (gauss() reads
    # it before drawing anything); it is put back if the task never used `random`.
    scope.gauss_next = inst.gauss_next  # type: ignore[attr-defined]  # Random's C-level field, absent from typeshed
    inst.gauss_next = None  # type: ignore[attr-defined]  # Random's C-level field, absent from typeshed
    _scope = scope
    return previous


@contextlib.contextmanager
def scratch() -> Iterator[None]:
    """Send draws and seeding to throwaway generators for the block, then mark both
    stale. For seeding code that also reseeds ``random`` / numpy as a side effect
    (Keras' ``set_random_seed``): neither the task's streams nor the process's own
    generators are touched by it."""
    global _py_target, _np_target, _scope
    if not _installed:
        yield
        return
    saved = _py_target, _np_target, _scope
    if not _scratch:
        _scratch.extend([_random_module.Random(0), np.random.RandomState(0)])
    # No scope while inside: the hooks must not count this as the task seeding itself
    # (nor route it to the task's spares).
    _py_target, _np_target = _scratch
    _scope = None
    try:
        yield
    finally:
        _py_target, _np_target, _scope = saved
        mark_stale()


def mark_stale() -> None:
    """Mark both generators stale again (after seeding code such as Keras' that also
    calls ``random.seed`` / ``np.random.seed``, which must not count as the task's own
    choice)."""
    scope = _scope
    if scope is not None:
        scope.python_stale = scope.numpy_stale = True


def end(token: Optional[_Scope] = None) -> None:
    """The task is over: route draws back, and go back to the enclosing scope (if any)."""
    global _scope, _py_target, _np_target
    scope = _scope
    if scope is not None:
        _py_target, _np_target = scope.prev_py, scope.prev_np
        if scope.restore or scope.python_stale:
            _random_module._inst.gauss_next = scope.gauss_next  # type: ignore[attr-defined]  # Random's C-level field, absent from typeshed
        if scope.restore:
            if scope.py_spare is not None:
                _py_spares.append(scope.py_spare)
            if scope.np_spare is not None:
                _np_spares.append(scope.np_spare)
    _scope = token


# -- Python random -------------------------------------------------------------------
def _route_python(scope: _Scope) -> None:
    global _py_target
    if scope.restore and scope.py_spare is None:
        scope.py_spare = _py_spares.pop() if _py_spares else _random_module.Random()
        _py_target = scope.py_spare


def _seed_python() -> None:
    scope = _scope
    scope.python_stale = False  # type: ignore[union-attr]
    _route_python(scope)  # type: ignore[arg-type]
    from ._backends import words_to_int

    _random_module.Random.seed(_py_target, words_to_int(scope.words("python")[:4]))  # type: ignore[union-attr]


def _install_python() -> None:
    global _py_target
    inst = _random_module._inst
    cls = type(inst)
    _py_target = inst

    def drawing(name: str) -> Callable[..., Any]:
        method = getattr(cls, name)

        def hook(*args: Any, **kwargs: Any) -> Any:
            scope = _scope
            if scope is not None and scope.python_stale:
                _seed_python()
            return method(_py_target, *args, **kwargs)

        hook.__name__ = hook.__qualname__ = name
        hook.__doc__ = method.__doc__
        return hook

    def setting(name: str) -> Callable[..., Any]:
        method = getattr(cls, name)

        def hook(*args: Any, **kwargs: Any) -> Any:
            # The task chose its own state: don't overwrite it on the next draw.
            scope = _scope
            if scope is not None:
                scope.python_stale = False
                _route_python(scope)
                inst.gauss_next = None  # type: ignore[attr-defined]  # Random's C-level field, absent from typeshed
            return method(_py_target, *args, **kwargs)

        hook.__name__ = hook.__qualname__ = name
        hook.__doc__ = method.__doc__
        return hook

    import _random

    c_level = [n for n in ("random", "getrandbits", "randbytes") if n in vars(_random.Random)]
    for name in c_level + ["getstate"]:
        hook = drawing(name)
        setattr(inst, name, hook)
        setattr(_random_module, name, hook)
    for name in ("seed", "setstate"):
        hook = setting(name)
        setattr(inst, name, hook)
        setattr(_random_module, name, hook)


# -- numpy legacy global state -------------------------------------------------------
def _route_numpy(scope: _Scope) -> None:
    global _np_target
    if scope.restore and scope.np_spare is None:
        scope.np_spare = _np_spares.pop() if _np_spares else np.random.RandomState()
        _np_target = scope.np_spare


def _seed_numpy() -> None:
    scope = _scope
    scope.numpy_stale = False  # type: ignore[union-attr]
    _route_numpy(scope)  # type: ignore[arg-type]
    np.random.RandomState.seed(_np_target, scope.words("numpy")[:4])  # type: ignore[union-attr]


def _make_lazy_randomstate_class() -> type:
    base = np.random.RandomState
    namespace: dict[str, Any] = {"__slots__": (), "__doc__": "RandomState that seeds itself per task on first use."}

    def drawing(method: Callable[..., Any]) -> Callable[..., Any]:
        def hook(self: Any, *args: Any, **kwargs: Any) -> Any:
            scope = _scope
            if scope is not None and scope.numpy_stale:
                _seed_numpy()
            return method(_np_target, *args, **kwargs)

        return hook

    def setting(method: Callable[..., Any]) -> Callable[..., Any]:
        def hook(self: Any, *args: Any, **kwargs: Any) -> Any:
            scope = _scope
            if scope is not None:
                scope.numpy_stale = False
                _route_numpy(scope)
            return method(_np_target, *args, **kwargs)

        return hook

    for name in dir(base):
        if name.startswith("_"):
            continue
        method = getattr(base, name)
        if not callable(method):
            continue
        wrap = setting if name in ("seed", "set_state") else drawing
        hook = wrap(method)
        hook.__name__ = hook.__qualname__ = name
        hook.__doc__ = method.__doc__
        namespace[name] = hook
    return type("_LazyRandomState", (base,), namespace)


def _install_numpy() -> None:
    global _lazy_numpy, _np_target
    from numpy.random import mtrand

    original = mtrand._rand
    lazy = _make_lazy_randomstate_class()(original._bit_generator)
    # Same MT19937; this also carries over the legacy cached second normal (has_gauss),
    # which lives in the RandomState object, not in the bit generator.
    np.random.RandomState.set_state(lazy, np.random.RandomState.get_state(original))
    _lazy_numpy = _np_target = lazy
    for module in (mtrand, np.random):
        for name, value in list(vars(module).items()):
            if getattr(value, "__self__", None) is original:
                setattr(module, name, getattr(lazy, name))
    mtrand._rand = lazy
    _install_bit_generator_access(mtrand)


def _install_bit_generator_access(mtrand: Any) -> None:
    """``np.random.get_bit_generator()`` hands out the global MT19937 itself (numpy >=
    1.25): seed it first, like a draw; ``set_bit_generator`` is the task's own choice."""
    original_set = getattr(mtrand, "set_bit_generator", None)
    if original_set is None or not hasattr(mtrand, "get_bit_generator"):
        return

    def get_bit_generator() -> Any:
        scope = _scope
        if scope is not None and scope.numpy_stale:
            _seed_numpy()
        return _np_target._bit_generator

    def set_bit_generator(bitgen: Any) -> None:
        global _np_target
        scope = _scope
        if scope is not None:
            scope.numpy_stale = False
            _route_numpy(scope)
        if _np_target is _lazy_numpy:
            original_set(bitgen)
        else:  # a restoring scope's spare: give it the new bit generator
            scope.np_spare = _np_target = np.random.RandomState(bitgen)  # type: ignore[union-attr]

    for fn, original in ((get_bit_generator, mtrand.get_bit_generator), (set_bit_generator, original_set)):
        fn.__doc__ = original.__doc__
        for module in (mtrand, np.random):
            if getattr(module, fn.__name__, None) is original:
                setattr(module, fn.__name__, fn)


def install() -> None:
    """Install the hooks in this process (idempotent). Called once per worker."""
    global _installed
    if _installed:
        return
    _install_python()
    _install_numpy()
    _installed = True
