"""Task scopes, per thread: where a task's draws from ``random`` and numpy's global state go.

Reseeding both generators eagerly costs 8-25 us per task (``random.seed`` ~5 us,
``np.random.seed`` with 128 bits ~18 us) -- more than a chunked no-op task costs to
run. So a worker only *marks* them stale when a task begins (:func:`begin`), and the
hooks (:mod:`seedpool._state.hooks`) seed a generator the first time the task actually
draws from it: a task that draws nothing pays nothing.

Routing is per thread. Each thread has its own *scope* (``threading.local``; never a
``ContextVar``, which free-threaded 3.14 builds copy into new threads): outside any scope
a hook draws from the process's own generators, inside one from the scope's *targets*:

* a task in a process-pool worker (the worker's main thread): the process's own
  generators, reseeded lazily -- the pools' exact streams and speed;
* a *private* scope -- any scope opened on a thread other than the main thread (a thread
  pool's task, a thread-based data loader), or asked for -- and a *restoring* scope: spare
  generators owned by that thread, seeded with the same words. So a thread task never
  touches an object another thread draws from, and the process's own state is left alone,
  never copied;
* :func:`scratch`: throwaway generators for framework seeding side effects (Keras'
  ``random.seed``).

Nothing here is shared mutable state except the one-time installation (under a lock):
scopes, spares and scratch generators all live in the thread's own ``threading.local``.
That is what free-threaded CPython needs; it is not installed on this machine, so that
build is designed for, not tested.

Strict mode (one floor up) watches first draws through :func:`set_reseed_observer`: a
callback, so this module imports nothing above it.
"""

from __future__ import annotations

import contextlib
import os
import random as _random_module
import threading
from collections.abc import Iterator
from typing import Any, Callable, Optional

import numpy as np

from .._compat import numpy_random as _np_compat
from .._compat.stdlib_random import C_RANDOM, global_random
from .._derive.keys import NUMPY, PYTHON
from .._derive.tree import words_to_int
from .context import local, thread_state

__all__ = ["begin", "end", "rearm", "scratch", "mark_stale", "current_scope", "tasks_own_process", "set_reseed_observer",
           "process_generators"]

# Returns the seed words (at least 4) of backend ``name`` for the running task.
WordsFn = Callable[[str], np.ndarray]


class _Scope:
    """One task's view on one thread: where its words come from, what is still stale,
    and which generators its draws go to (``py`` / ``np``; None until a spare is taken)."""

    __slots__ = ("words", "python_stale", "numpy_stale", "restore", "spare", "private", "py", "np",
                 "gauss_next", "np_borrowed", "parent")

    def __init__(self, words: Optional[WordsFn], restore: bool, private: bool, py: Any, np_: Any,
                 parent: Optional[_Scope]) -> None:
        self.words = words
        self.python_stale = self.numpy_stale = words is not None
        self.restore = restore
        # Never touch the process's own generator objects (other threads draw from them).
        self.private = private
        # Draws go to spare generators this thread owns (py / np None until first use).
        self.spare = py is None
        self.py = py
        self.np = np_
        self.gauss_next: Any = None
        # set_bit_generator gave the scope a RandomState around the user's bit generator:
        # never hand that out as a spare (reseeding it would reseed the user's object).
        self.np_borrowed = False
        self.parent = parent


class _ProcessState:
    """This process's hook state, in one object.

    Both holders pickle as a reference to the unpickling process's own object: dill
    pickles a module that is not installed in site-packages (an editable checkout) by
    value, and a by-value copy replacing these in a worker would split the hooks from
    the state they route by.
    """

    __slots__ = ("active", "lock", "installed", "inst", "np_own", "facade", "bitgen_out", "tasks_own", "observer")

    def __init__(self) -> None:
        # Every scope open on any thread. Hooks first test it for emptiness, so a draw
        # while no task runs anywhere costs a function call more than without seedpool,
        # not a thread-local lookup. (set.add / discard are atomic under the GIL and
        # internally locked on free-threaded builds; a thread only adds and removes its
        # own scopes.)
        self.active: set = set()
        self.lock = threading.Lock()  # installation
        self.installed = False
        self.inst: Any = None      # random._inst, the process's own Random
        self.np_own: Any = None    # the process's own RandomState (numpy's original global one)
        self.facade: Any = None    # the routing facade that replaced it in numpy.random.mtrand._rand
        # Set once numpy's global MT19937 itself was handed out (a scipy UNU.RAN sampler
        # built with random_state=None, get_bit_generator()): draws through that object
        # bypass every hook, so from then on a task on the process's own generators seeds
        # numpy at its start instead of on first draw -- in a pool worker only
        # (``tasks_own``), whose own stream belongs to its tasks; elsewhere a scope that
        # draws nothing must leave the process's generators alone.
        self.bitgen_out = False
        self.tasks_own = False
        # Called with "python" / "numpy" just before a task seeds that generator itself
        # (its first draw, or its own seed call): strict mode's check for draws that
        # went around the hooks. None while strict mode is off.
        self.observer: Optional[Callable[[str], None]] = None

    def __reduce__(self) -> tuple[Any, ...]:
        return (_live_process_state, ())


_P = _ProcessState()


def _live_process_state() -> _ProcessState:
    return _P


def _after_fork_in_child() -> None:
    # The forking thread is the child's main thread: its scopes may use the process's
    # own generators again.
    state = thread_state()
    state.off_main = False
    # A process started from a thread pool's thread is not that pool's worker.
    state.worker = None
    # Scopes of threads that did not survive the fork: only the forking thread's remain.
    _P.active.clear()
    _P.lock = threading.Lock()  # another thread may have been installing at fork time
    scope = state.scope
    while scope is not None:
        _P.active.add(scope)
        scope = scope.parent


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def current_scope() -> Optional[_Scope]:
    """The calling thread's innermost scope, or None outside any."""
    return local.state.scope  # type: ignore[no-any-return]


def begin(words: WordsFn, restore: bool = False, private: Optional[bool] = None,
          st: Any = None) -> Optional[_Scope]:
    """A task starts on this thread: both generators are stale until first used.

    With ``restore`` (or inside a restoring scope), the task's draws go to spare
    generators and :func:`end` leaves the process's own generators exactly as they were.
    ``private`` (default: whether this is not the main thread; inherited by nested scopes)
    also routes to spares, and never touches an object other threads use -- not even
    ``random._inst.gauss_next``. Returns a token for :func:`end`; scopes nest. ``st``
    is the calling thread's own ``ThreadState`` if the caller already has it (the task
    protocol looks it up once for begin, provider and end).
    """
    if st is None:
        st = local.state
        if not st.own:
            st = thread_state()
    previous = st.scope
    if previous is not None and previous.words is not None:
        restore = restore or previous.restore
        private = private or previous.private
    if private is None:
        private = st.off_main
    if restore or private:
        scope = st.free_scope
        if scope is None:
            scope = _Scope(words, restore, private, None, None, previous)
        else:  # this thread's previous spare-routed scope, with its spare generators
            st.free_scope = None
            scope.words = words
            scope.python_stale = scope.numpy_stale = True
            scope.restore = restore
            scope.private = private
            scope.parent = previous
    else:
        scope = st.own_scope
        if scope is None:
            scope = _Scope(words, False, False, _P.inst, _P.np_own, previous)
        else:  # this thread's last ended scope on the process's generators (see end)
            st.own_scope = None
            scope.words = words
            scope.python_stale = scope.numpy_stale = True
            scope.parent = previous
    if not private:
        # A cached second normal from before the task must not leak into it (an early
        # bound gauss() reads it before drawing anything); it is put back if the task
        # never used `random`.
        inst: Any = _P.inst or global_random()
        scope.gauss_next = inst.gauss_next
        inst.gauss_next = None
    _P.active.add(scope)
    st.scope = scope
    if _P.bitgen_out and _P.tasks_own and not scope.spare:
        _seed_numpy(scope)  # the handed-out MT19937 must hold the task's stream (see _P)
    return previous


@contextlib.contextmanager
def scratch() -> Iterator[None]:
    """Send draws and seeding to throwaway generators for the block, then mark both
    stale. For seeding code that also reseeds ``random`` / numpy as a side effect
    (Keras' ``set_random_seed``): neither the task's streams nor the process's own
    generators are touched by it. Per thread."""
    if not _P.installed:
        yield
        return
    st = thread_state()
    saved = st.scope
    if st.scratch is None:
        st.scratch = (_random_module.Random(0), np.random.RandomState(0))
    py, np_ = st.scratch
    # A scope without words: never stale, so the hooks do not count this as the task
    # seeding itself (nor route it to the task's spares).
    scope = _Scope(None, False, True, py, np_, saved)
    _P.active.add(scope)
    st.scope = scope
    try:
        yield
    finally:
        st.scope = saved
        _P.active.discard(scope)
        mark_stale()


def mark_stale() -> None:
    """Mark both generators stale again (after seeding code such as Keras' that also
    calls ``random.seed`` / ``np.random.seed``, which must not count as the task's own
    choice)."""
    scope = local.state.scope
    if scope is not None and scope.words is not None:
        scope.python_stale = scope.numpy_stale = True
        if _P.bitgen_out and _P.tasks_own and not scope.spare:
            _seed_numpy(scope)  # see begin


def rearm(scope: Optional[_Scope], words: WordsFn) -> bool:
    """The task on ``scope`` is over and the next one, with the same ``words`` function,
    starts on it: what :func:`end` then :func:`begin` would do, for a scope on the
    process's own generators (a pool worker's task) or a private one on the thread's
    spares (a thread pool's task). False, changing nothing, for any other scope -- a
    restoring one, or one whose words are not ``words`` (the caller ends and begins)."""
    if scope is None or scope.words is not words or scope.restore:
        return False
    if scope.spare:
        if not scope.private:
            return False
        # end would drop a borrowed RandomState (it wraps the user's bit generator) and
        # keep the scope with its spares for begin to take back; the spares are reseeded
        # on first draw, gauss_next cleared with them (_seed_python).
        if scope.np_borrowed:
            scope.np = None
            scope.np_borrowed = False
        scope.python_stale = scope.numpy_stale = True
        return True
    if scope.private:
        return False
    inst: Any = _P.inst
    if scope.python_stale:  # end would put the outside's cached normal back, begin take it again
        inst.gauss_next = None
    else:  # the last task's leftover normal is what begin would find
        scope.gauss_next = inst.gauss_next
        inst.gauss_next = None
    scope.python_stale = scope.numpy_stale = True
    if _P.bitgen_out and _P.tasks_own:
        _seed_numpy(scope)  # see begin
    return True


def end(token: Optional[_Scope] = None, st: Any = None) -> None:
    """The task is over: go back to the enclosing scope (if any) on this thread."""
    if st is None:
        st = local.state
        if not st.own:
            st = thread_state()
    scope = st.scope
    if scope is not None:
        if not scope.private and (scope.restore or scope.python_stale):
            (_P.inst or global_random()).gauss_next = scope.gauss_next
        if not scope.spare:
            # On the process's own generators: kept for this thread's next such scope (a
            # pool worker's next task) -- nothing else refers to an ended scope.
            if st.own_scope is None and scope.words is not None:
                scope.parent = None
                st.own_scope = scope
        else:
            if scope.np_borrowed:  # wraps the task's own bit generator: never reuse it
                scope.np = None
                scope.np_borrowed = False
            if st.free_scope is None:
                # Kept whole for this thread's next spare-routed scope (a thread pool's
                # next task): no allocation, spares already attached. Nothing else
                # refers to an ended scope (tokens are the enclosing scopes).
                scope.parent = None
                st.free_scope = scope
            else:
                if scope.py is not None:
                    st.py_spares.append(scope.py)
                if scope.np is not None:
                    st.np_spares.append(scope.np)
        st.scope = token
        _P.active.discard(scope)
    else:
        st.scope = token


# -- Python random -------------------------------------------------------------------
_c_seed: Any = C_RANDOM.seed

def _route_python(scope: _Scope) -> Any:
    target = scope.py
    if target is None:  # a spare-routed scope's first use
        spares = local.state.py_spares
        # Seeded: a spare's first state is never seen (it is seeded, or set, before any
        # draw), and strict mode must not take it for an unseeded generator.
        target = scope.py = spares.pop() if spares else _random_module.Random(0)
    return target


def _seed_python(scope: _Scope) -> Any:
    observer = _P.observer
    if observer is not None:
        observer(PYTHON)
    scope.python_stale = False
    target = _route_python(scope)
    # What Random.seed(int) does (Lib/random.py, 3.9-3.13): the C seed, then clear the
    # cached second normal -- without the Python-level argument checks.
    _c_seed(target, words_to_int(scope.words(PYTHON)[:4]))  # type: ignore[misc]
    target.gauss_next = None
    return target


# -- numpy legacy global state -------------------------------------------------------
def _route_numpy(scope: _Scope) -> Any:
    target = scope.np
    if target is None:
        spares = local.state.np_spares
        target = scope.np = spares.pop() if spares else np.random.RandomState(0)  # as above
    return target


def _seed_numpy(scope: _Scope) -> Any:
    observer = _P.observer
    if observer is not None:
        observer(NUMPY)
    scope.numpy_stale = False
    target = _route_numpy(scope)
    words = scope.words(NUMPY)[:4]  # type: ignore[misc]  # (set for every scope that seeds)
    try:
        # Also clears the target's cached second normal (has_gauss).
        np.random.RandomState.seed(target, words)  # type: ignore[misc]
    except TypeError:
        # An earlier task gave this generator another bit generator
        # (np.random.set_bit_generator): each task starts on numpy's MT19937 again.
        _restore_mt19937(target)
        np.random.RandomState.seed(target, words)  # type: ignore[misc]
    return target


def _restore_mt19937(target: Any) -> None:
    """Put a fresh MT19937 back in ``target`` (and in the facade, if ``target`` is the
    process's own generator, whose bit generator the facade shares)."""
    bitgen = np.random.MT19937(0)  # reseeded by the caller at once
    np.random.RandomState.__init__(target, bitgen)
    if target is _P.np_own and _P.facade is not None:
        np.random.RandomState.__init__(_P.facade, bitgen)


def set_reseed_observer(observer: Optional[Callable[[str], None]]) -> None:
    """Call ``observer(backend)`` before a task seeds ``"python"`` / ``"numpy"`` itself
    (None: nobody watches). Strict mode installs one while it is on."""
    _P.observer = observer


def process_generators() -> tuple[Any, Any]:
    """The process's own ``random.Random`` and numpy ``RandomState`` -- what a name bound
    before the hooks draws from -- never through numpy's facade (whose bit generator
    property would count as handing the generator out)."""
    if _P.np_own is not None:
        return _P.inst, _P.np_own
    return global_random(), _np_compat.global_randomstate()


def tasks_own_process() -> None:
    """This process is a pool worker: its own generators belong to the task running.
    Then a handed-out MT19937 is seeded at every task's start (see ``_ProcessState``)."""
    _P.tasks_own = True


