"""The hooks: Python's ``random`` and numpy's legacy global state, routed per thread.

Installed once per process (:func:`install`); every drawing entry point then asks the
calling thread's scope (:mod:`seedpool._state.scopes`) where the draw goes, and seeds
that generator first if the scope's task has not drawn from it yet.

Where the hooks sit, and why that covers the usual ways in:

* Python ``random``: ``random.random``, ``random.getrandbits`` (the module's C-level
  entry points) and ``random.gauss`` are replaced, and the same hooks are set as
  *instance* attributes of ``random._inst``. Every other Python-level method
  (``randint``, ``choice``, ``shuffle``...) reaches the C generator through
  ``self.random`` / ``self.getrandbits``, so it hits the hook even when bound before the
  hooks were installed (``from random import randint``). ``gauss`` is hooked itself
  because it caches a second normal (``gauss_next``) on the instance it runs on.
* numpy: ``numpy.random.mtrand._rand`` -- the object ``np.random.*`` functions and
  scipy/sklearn's ``random_state=None`` paths use -- is replaced by a ``RandomState``
  subclass sharing the same ``MT19937`` whose every public method seeds first;
  ``np.random.get_bit_generator()`` seeds first too.

Not covered, documented: a C-level entry point bound *before* the hooks were installed
(``from random import random`` or ``from numpy.random import rand`` at import time in a
module the parent had already imported under fork) draws from the unrouted stream; a
``gauss`` bound before installation caches its second normal on ``random._inst``, which
every thread shares.
"""

from __future__ import annotations

import inspect
import random as _random_module
from typing import Any, Callable, Optional

import numpy as np

from .._compat import numpy_random as _np_compat
from .._compat.stdlib_random import c_level_methods, global_random
from .._derive.keys import NUMPY, PYTHON
from .context import local
from .scopes import _P, _route_numpy, _route_python, _seed_numpy, _seed_python

__all__ = ["install"]


def _install_python() -> None:
    inst: Any = global_random()
    _P.inst = inst
    cls = type(inst)
    # gauss keeps a cached second normal on the instance it runs on: route the call, so
    # the cache is the target's (a thread task's own), not random._inst's.
    for name in list(c_level_methods()) + ["getstate", "gauss"]:
        _replace(inst, name, _python_drawing_hook(cls, inst, name))
    for name in ("seed", "setstate"):
        _replace(inst, name, _python_setting_hook(cls, inst, name))


def _replace(inst: Any, name: str, hook: Callable[..., Any]) -> None:
    """``hook`` as ``random.<name>`` and as an instance attribute of ``random._inst``."""
    setattr(inst, name, hook)
    setattr(_random_module, name, hook)


def _python_drawing_hook(cls: type, inst: Any, name: str) -> Callable[..., Any]:
    """The hook of ``random``'s drawing entry point ``name``: draw from the calling
    thread's scope (seeding it first if its task has not drawn yet), else from ``inst``."""
    method = getattr(cls, name)
    tls = local  # closure cells: a draw outside any task must stay cheap
    active = _P.active
    # The common entry points get their exact signatures: packing *args / **kwargs
    # would double the cost of a draw outside any task.
    if name == "random":
        def hook() -> Any:
            if not active:
                return method(inst)
            scope = tls.state.scope
            if scope is None:
                return method(inst)
            if scope.python_stale:
                return method(_seed_python(scope))
            return method(scope.py)
    elif name in ("getrandbits", "randbytes"):
        def hook(n: Any) -> Any:  # type: ignore[misc]
            if not active:
                return method(inst, n)
            scope = tls.state.scope
            if scope is None:
                return method(inst, n)
            if scope.python_stale:
                return method(_seed_python(scope), n)
            return method(scope.py, n)
    elif name == "gauss":
        def hook(mu: Any = 0.0, sigma: Any = 1.0) -> Any:  # type: ignore[misc]
            if not active:
                return method(inst, mu, sigma)
            scope = tls.state.scope
            if scope is None:
                return method(inst, mu, sigma)
            if scope.python_stale:
                return method(_seed_python(scope), mu, sigma)
            return method(scope.py, mu, sigma)
    else:
        def hook(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            if not active:
                return method(inst, *args, **kwargs)
            scope = tls.state.scope
            if scope is None:
                return method(inst, *args, **kwargs)
            if scope.python_stale:
                return method(_seed_python(scope), *args, **kwargs)
            return method(scope.py, *args, **kwargs)

    hook.__name__ = hook.__qualname__ = name
    hook.__doc__ = method.__doc__
    return hook



def _python_setting_hook(cls: type, inst: Any, name: str) -> Callable[..., Any]:
    """The hook of ``random.seed`` / ``setstate``: inside a task, the task's own choice of
    state for its scope's generator (not overwritten on its next draw)."""
    method = getattr(cls, name)
    tls = local
    active = _P.active

    def hook(*args: Any, **kwargs: Any) -> Any:
        scope = tls.state.scope if active else None
        if scope is None:
            return method(inst, *args, **kwargs)
        # The task chose its own state: don't overwrite it on the next draw.
        stale = scope.python_stale
        observer = _P.observer
        if observer is not None and stale:
            observer(PYTHON)
        target = _route_python(scope)
        try:
            # Looked up per call (seeding is rare): strict mode wraps Random.seed.
            result = getattr(cls, name)(target, *args, **kwargs)
        except BaseException:
            # Refused (strict mode's error, a bad argument): the stream is as it was --
            # still the task's to seed on its next draw if it was.
            scope.python_stale = stale
            raise
        scope.python_stale = False
        if not scope.private:
            inst.gauss_next = None
        return result

    hook.__name__ = hook.__qualname__ = name
    hook.__doc__ = method.__doc__
    return hook


def _make_lazy_randomstate_class() -> type:
    base = np.random.RandomState
    namespace: dict[str, Any] = {"__slots__": (), "__doc__": "RandomState that seeds itself per task on first use."}
    tls = local
    active = _P.active
    own = _P.np_own  # set before this is called; set_bit_generator keeps the object

    # The hooks ignore ``self`` (the facade in numpy.random.mtrand._rand): outside any
    # scope they draw from the process's own RandomState, inside one from the scope's.
    # Keyword arguments are passed only when there are some: forwarding an empty
    # **kwargs to a Cython method doubles the cost of a draw.
    def drawing(method: Callable[..., Any]) -> Callable[..., Any]:
        exact = _exact_signature_hook(method, own, active, tls)
        if exact is not None:
            return exact

        def hook(self: Any, *args: Any, **kwargs: Any) -> Any:
            if not active:
                target = own
            else:
                scope = tls.state.scope
                if scope is None:
                    target = own
                elif scope.numpy_stale:
                    target = _seed_numpy(scope)
                else:
                    target = scope.np
            if kwargs:
                return method(target, *args, **kwargs)
            return method(target, *args)

        return hook

    def setting(method: Callable[..., Any]) -> Callable[..., Any]:
        def hook(self: Any, *args: Any, **kwargs: Any) -> Any:
            scope = tls.state.scope if active else None
            if scope is None:
                return method(own, *args, **kwargs)
            stale = scope.numpy_stale
            observer = _P.observer
            if observer is not None and stale:
                observer(NUMPY)
            try:
                result = method(_route_numpy(scope), *args, **kwargs)
            except BaseException:
                scope.numpy_stale = stale  # refused: the stream is as it was (see random's)
                raise
            scope.numpy_stale = False
            return result

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
    # scipy.stats.sampling (UNU.RAN) with random_state=None takes
    # ``check_random_state(None)._bit_generator`` -- the facade's -- and draws from it in C.
    namespace["_bit_generator"] = property(lambda self: _hand_out_bit_generator(),
                                           doc="The MT19937 draws go to, seeded for the running task first.")
    return type("_LazyRandomState", (base,), namespace)


_EXACT_TEMPLATE = """
def hook(_self, {params}):
    if not _active:
        return _method(_own, {args})
    _scope = _tls.state.scope
    if _scope is None:
        return _method(_own, {args})
    if _scope.numpy_stale:
        return _method(_seed_numpy(_scope), {args})
    return _method(_scope.np, {args})
"""


def _exact_signature_hook(method: Callable[..., Any], own: Any, active: set, tls: Any) -> Optional[Callable[..., Any]]:
    """A drawing hook with ``method``'s own parameters, or None if it has none we can
    copy: forwarding ``*args, **kwargs`` costs more than the draw itself outside tasks
    (the hot path: ``np.random.random()`` in a program that owns a thread pool)."""
    try:
        parameters = list(inspect.signature(method).parameters.values())[1:]  # without self
    except (TypeError, ValueError):
        return None
    params, args = [], []
    namespace: dict[str, Any] = {"_method": method, "_own": own, "_active": active, "_tls": tls,
                                 "_seed_numpy": _seed_numpy}
    for k, p in enumerate(parameters):
        if p.name.startswith("_") or not p.name.isidentifier():
            return None
        if p.kind is p.VAR_POSITIONAL and k == len(parameters) - 1:
            params.append(f"*{p.name}")
            args.append(f"*{p.name}")
        elif p.kind is p.POSITIONAL_OR_KEYWORD:
            if p.default is p.empty:
                params.append(p.name)
            else:
                # The default object itself (None, 0.0, int, 'warn'...), not its repr.
                namespace[f"_default_{k}"] = p.default
                params.append(f"{p.name}=_default_{k}")
            args.append(p.name)
        else:
            return None
    exec(_EXACT_TEMPLATE.format(params=", ".join(params) or "", args=", ".join(args)), namespace)
    return namespace["hook"]  # type: ignore[no-any-return]


def _hand_out_bit_generator() -> Any:
    """The MT19937 the calling thread's draws go to, seeded for its task first; once the
    process's own one is handed out, tasks seed it at their start (see ``_P``)."""
    scope = local.state.scope if _P.active else None
    if scope is None:
        target = _P.np_own
    elif scope.numpy_stale:
        target = _seed_numpy(scope)
    else:
        target = scope.np
    if target is _P.np_own:
        _P.bitgen_out = True
    elif scope is not None and scope.spare:
        # A spare's MT19937 given to the task is the task's to keep: the spare is not
        # reused by a later task (whose draws would move the object this one holds).
        scope.np_borrowed = True
    return _np_compat.bit_generator_of(target)


def _install_numpy() -> None:
    mtrand = _np_compat.MTRAND
    # The original global RandomState stays the process's own generator (same object,
    # same MT19937 and cached second normal, so no stream changes); a facade whose every
    # public method routes takes its place in numpy.random.mtrand._rand and behind the
    # np.random.* functions.
    original = _P.np_own = _np_compat.global_randomstate()
    lazy = _make_lazy_randomstate_class()(_np_compat.bit_generator_of(original))
    _P.facade = lazy
    for module in (mtrand, np.random):
        for name, value in list(vars(module).items()):
            if getattr(value, "__self__", None) is original:
                setattr(module, name, getattr(lazy, name))
    _np_compat.set_global_randomstate(lazy)
    _install_bit_generator_access(mtrand)
    _install_seed_function(mtrand)


def _install_seed_function(mtrand: Any) -> None:
    """``np.random.seed`` is a module function (not a bound method of ``_rand``) that
    reads ``_rand._bit_generator`` to check its type: through the facade that would
    hand the MT19937 out, and every later task of a pool worker would seed numpy up
    front (see ``_ProcessState.bitgen_out``). Do what it does -- ``_rand.seed(seed)``
    for an MT19937 -- reading the attribute without handing it out."""
    original = getattr(mtrand, "seed", None)
    if original is None:
        return

    tls = local

    def seed(seed: Any = None) -> None:
        scope = tls.state.scope if _P.active else None
        target = _P.np_own if scope is None else _route_numpy(scope)
        if isinstance(_np_compat.bit_generator_of(target), np.random.MT19937):
            _P.facade.seed(seed)  # the setting hook: routed like every draw
            return
        # set_bit_generator put another kind there: what numpy's seed() does for one
        # (mtrand.seed: a new bit generator of that type seeded with ``seed``, its state
        # copied in), on the generator the calling thread's draws go to.
        bitgen = _np_compat.bit_generator_of(target)
        stale = scope is not None and scope.numpy_stale
        observer = _P.observer
        if observer is not None and stale:
            observer(NUMPY)
        bitgen.state = type(bitgen)(seed).state
        if scope is not None:
            scope.numpy_stale = False

    seed.__doc__ = original.__doc__
    for module in (mtrand, np.random):
        if getattr(module, "seed", None) is original:
            setattr(module, "seed", seed)  # noqa: B010  (numpy's stubs type the attribute)


def _install_bit_generator_access(mtrand: Any) -> None:
    """``np.random.get_bit_generator()`` hands out the global MT19937 itself (numpy >=
    1.25): seed it first, like a draw; ``set_bit_generator`` is the task's own choice."""
    original_set = getattr(mtrand, "set_bit_generator", None)
    if original_set is None or not hasattr(mtrand, "get_bit_generator"):
        return
    tls = local

    def get_bit_generator() -> Any:
        return _hand_out_bit_generator()

    def set_bit_generator(bitgen: Any) -> None:
        if not isinstance(bitgen, np.random.BitGenerator):
            original_set(bitgen)  # numpy's own TypeError, before anything changes
        scope = tls.state.scope if _P.active else None
        if scope is not None:
            observer = _P.observer
            if observer is not None and scope.numpy_stale:
                observer(NUMPY)
            scope.numpy_stale = False
            target = _route_numpy(scope)
        else:
            target = _P.np_own
        if target is _P.np_own:
            original_set(bitgen)  # numpy re-initialises mtrand._rand, the facade ...
            np.random.RandomState.__init__(_P.np_own, bitgen)  # ... and this is the generator
        else:  # a spare (or scratch) generator: give the scope a new one around bitgen
            scope.np = np.random.RandomState(bitgen)  # type: ignore[union-attr]
            scope.np_borrowed = True  # type: ignore[union-attr]

    for fn, original in ((get_bit_generator, mtrand.get_bit_generator), (set_bit_generator, original_set)):
        fn.__doc__ = original.__doc__
        for module in (mtrand, np.random):
            if getattr(module, fn.__name__, None) is original:
                setattr(module, fn.__name__, fn)


def rebind_global(func: Any) -> Any:
    """``func``, or the hook of the same name if it is a bound method of this process's
    own ``random`` or numpy global generator taken before the hooks went in.

    ``delayed(np.random.rand)`` or ``f = random.random`` evaluated before any seedpool
    engine ran holds the generator's method itself, which draws from the process's
    stream whatever task runs it; the hook of that name keys the draw in a task. A
    function of any other kind is returned as it is (one attribute read).
    """
    owner = getattr(func, "__self__", None)
    if owner is None or not _P.installed:
        return func
    if owner is _P.np_own:
        target = _P.facade
    elif owner is _P.inst:
        target = owner  # its hooks are instance attributes of random._inst
    else:
        return func
    hooked = getattr(target, getattr(func, "__name__", ""), None)
    return hooked if callable(hooked) else func


def install() -> None:
    """Install the hooks in this process (idempotent, thread-safe)."""
    if _P.installed:
        return
    with _P.lock:
        if _P.installed:
            return
        _install_python()
        _install_numpy()
        _P.installed = True
