"""The transport: how a callable reaches a worker process.

A standard ``multiprocessing`` context pickles with ``pickle``; only a callable that
``pickle`` refuses (a lambda, a closure, a local function or class) is carried as dill
bytes, so everything else keeps the standard pickler's speed. A ``multiprocess`` context
pickles everything with dill already.
"""

from __future__ import annotations

import functools
import sys
import types
from collections import OrderedDict
from typing import Any, Callable, Optional

from .._compat import dill_modules

__all__ = ["wrap_callable", "is_dill_context"]

_PACKAGE = __name__.partition(".")[0]  # "seedpool"


def is_dill_context(context: Any) -> bool:
    """Whether ``context`` (a ``multiprocessing`` or ``multiprocess`` context) pickles with dill."""
    return type(context).__module__.startswith("multiprocess.")


class _DillCallable:
    """A callable the standard pickler cannot send by reference (lambda, closure, local
    function or class), carried as dill bytes.

    Only such callables pay for dill; everything else keeps the standard pickler's
    speed. The bytes are made when the task is sent (once, then reused by every chunk),
    so a callable dill cannot pickle either fails that task's result or future, as the
    stdlib's pickling error would, instead of the submitting call. It unpickles to the
    function itself (cached by its bytes in each worker), so the worker calls the
    user's function with no wrapper in between.
    """

    __slots__ = ("func", "payload")

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        self.payload: Optional[bytes] = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:  # only if called in the parent
        return self.func(*args, **kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        if self.payload is None:
            # seedpool's own modules by reference: from a checkout or an editable
            # install dill would pickle them by value, thread-locals and locks included.
            self.payload = dill_modules.dumps(self.func, (_PACKAGE,), recurse=True)
        return (_load_dill, (self.payload,))


# The last few loaded callables: one map sends the same payload with every chunk, but a
# long-lived worker sees a new closure per call and must not keep them all.
_dill_loaded: OrderedDict[bytes, Callable[..., Any]] = OrderedDict()
_DILL_CACHE = 8


def _load_dill(payload: bytes) -> Callable[..., Any]:
    func = _dill_loaded.get(payload)
    if func is None:
        import dill

        func = _dill_loaded[payload] = dill.loads(payload)
        if len(_dill_loaded) > _DILL_CACHE:
            _dill_loaded.popitem(last=False)
    else:
        _dill_loaded.move_to_end(payload)
    return func


def wrap_callable(func: Callable[..., Any], uses_dill: bool) -> Callable[..., Any]:
    """Return ``func`` itself if the transport can send it as the stdlib would, else a
    dill carrier. Decided without pickling anything (the stdlib pickles ``func`` once,
    when it sends the task; so does this): a function, class or method's function goes
    by reference when its module attribute is that very object, a ``partial`` as its
    function does, a callable instance as its class does."""
    if uses_dill or _by_reference(func):
        return func  # the context's own pickler is dill already, or pickle sends it
    return _DillCallable(func)


def _by_reference(obj: Any) -> bool:
    if isinstance(obj, functools.partial):
        return _by_reference(obj.func)
    if isinstance(obj, types.MethodType):
        # Pickled as getattr(__self__, name): a class goes by reference, an instance by
        # value through its class.
        owner = obj.__self__
        return _by_reference(owner if isinstance(owner, type) else type(owner))
    if isinstance(obj, (types.BuiltinFunctionType, types.BuiltinMethodType)):
        return True
    if not isinstance(obj, (types.FunctionType, type)):
        obj = type(obj)
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    name = getattr(obj, "__qualname__", "")
    if module is None or "<" in name:  # <lambda>, <locals>
        return False
    target: Any = module
    for part in name.split("."):
        target = getattr(target, part, None)
    return target is obj
