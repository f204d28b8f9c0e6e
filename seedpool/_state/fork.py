"""After-fork reseeding: every forked child gets its own, reproducible stream.

numpy does not reseed its global state after ``os.fork`` (numpy#9650), so every child of
a raw fork -- or of a third-party fork-based pool -- replays the parent's numbers.
Python's ``random`` *is* reseeded after fork, but from OS entropy, so a parent's
``random.seed(42)`` is thrown away and children differ from run to run.

:func:`reseed_after_fork` fixes both with ``os.register_at_fork``: the parent holds a
node and a counter; the k-th child it forks is seeded from ``node.child("child", k)``,
and in turn counts its own children from zero.  The same counter numbers the spawn and
``subprocess`` children of ``seedpool run`` (see :mod:`seedpool._cli.bootstrap`), so a
child's key is the order in which its parent started it, whatever the start method.

The hooks cannot be unregistered (the stdlib offers no way), so they are registered once
and check a flag; :func:`stop_reseed_after_fork` clears it.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Iterator
from typing import Optional

import numpy as np

from .._compat import numpy_random
from .._derive.keys import CHILD, GENERATOR
from .._derive.tree import SeedLike, SeedTree
from .backends import fork_backend_names, resolve_backends
from .root import default_tree
from .seeding import seed_process_root

__all__ = [
    "CHILD",
    "reseed_after_fork",
    "stop_reseed_after_fork",
    "register_generator",
    "unregister_generator",
    "fork_node",
    "next_child_key",
    "node_for_key",
    "next_child_node",
    "seed_process",
]


_lock = threading.Lock()
_registered = False
_enabled = False
_node: Optional[SeedTree] = None
_counter: Iterator[int] = itertools.count()
_pending: Optional[int] = None  # key picked in the parent's before-fork hook
_local = threading.local()  # .suppress: forks that must not be counted (Popen internals)
# numpy Generators are not weak-referenceable, so registration keeps them alive until
# unregister_generator() is called.
_generators: list[np.random.Generator] = []


def reseed_after_fork(seed: SeedLike = None) -> SeedTree:
    """Give every child forked from now on its own reproducible random stream.

    After this call, the k-th ``os.fork()`` of this process (raw, through
    ``multiprocessing`` with the fork start method, or inside a third-party pool)
    seeds, in the child only, Python's ``random``, numpy's global state,
    :func:`seedpool.rng` and every Generator passed to :func:`register_generator` from
    ``node.child("child", k)``. The child counts its own forks from 0 under that node,
    so grandchildren are distinct too. The parent's streams are not touched.

    Calling it again with the same root changes nothing (the fork counter keeps
    going); with another root it starts counting from 0 under the new node.

    Parameters
    ----------
    seed : int, str, sequence of int, SeedSequence, SeedTree or None
        The parent's node. ``None`` uses the process's default root
        (:func:`seedpool.seed_everything`'s, else ``SEEDPOOL_SEED``, else fresh
        entropy recorded in ``SEEDPOOL_SEED``).

    Returns
    -------
    SeedTree
        The parent's node; child k is ``node.child("child", k)``.

    See Also
    --------
    stop_reseed_after_fork : turn it off.
    register_generator : have a numpy Generator reseeded in children too.

    Notes
    -----
    Only forks are covered. Spawn and forkserver children start a fresh interpreter;
    seed them in the child (``seedpool run`` does it for a whole program).

    Examples
    --------
    >>> from seedpool import SeedTree
    >>> from seedpool._state.fork import reseed_after_fork, stop_reseed_after_fork
    >>> reseed_after_fork(7) == SeedTree(7)
    True
    >>> stop_reseed_after_fork()
    """
    global _registered, _enabled, _node, _counter
    if seed is None:
        node = default_tree()
    else:
        node = SeedTree(seed)
    with _lock:
        if not _registered:
            os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child,
                                after_in_parent=_after_fork_in_parent)
            _registered = True
        if node != _node:
            _node = node
            _counter = itertools.count()
        _enabled = True
    return node


def stop_reseed_after_fork() -> None:
    """Stop reseeding forked children (they inherit the parent's state again).

    Also clears the fork counter, so a later :func:`reseed_after_fork` starts from 0.
    """
    global _enabled, _node, _counter
    with _lock:
        _enabled = False
        _node = None
        _counter = itertools.count()


def fork_node() -> Optional[SeedTree]:
    """The node children are keyed under, or None when reseeding is off."""
    return _node if _enabled else None


def next_child_key() -> Optional[int]:
    """Take the next child number k, or None when reseeding is off."""
    with _lock:
        if not _enabled or _node is None:
            return None
        return next(_counter)


def node_for_key(key: int) -> SeedTree:
    """``node.child("child", key)`` under the current node (reseeding must be on)."""
    if _node is None:
        raise RuntimeError("after-fork reseeding is off; call reseed_after_fork() first")
    return _node.child(CHILD, key)


def next_child_node() -> Optional[SeedTree]:
    """Take the next child key: ``node.child("child", k)``; None when reseeding is off.

    Used by ``seedpool run`` for children that are not forks (spawn, ``subprocess``), so
    that every kind of child draws from one counter.
    """
    with _lock:
        if not _enabled or _node is None:
            return None
        return _node.child(CHILD, next(_counter))


def register_generator(generator: np.random.Generator) -> np.random.Generator:
    """Reseed ``generator`` in every forked child, too.

    The i-th registered Generator is reseeded in place from
    ``child_node.child("generator", i)`` with its own bit generator type. Registration
    holds a reference (numpy Generators cannot be weakly referenced); release it with
    :func:`unregister_generator`.

    Parameters
    ----------
    generator : numpy.random.Generator

    Returns
    -------
    numpy.random.Generator
        ``generator`` itself, so ``rng = register_generator(np.random.default_rng())``.
    """
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator must be a numpy.random.Generator (got {type(generator).__name__})")
    with _lock:
        if not any(g is generator for g in _generators):
            _generators.append(generator)
    return generator


def unregister_generator(generator: np.random.Generator) -> None:
    """Stop reseeding ``generator`` in children (a no-op if it was not registered).

    The indices of Generators registered after it shift down by one.

    Parameters
    ----------
    generator : numpy.random.Generator
        A Generator passed to :func:`register_generator` before.
    """
    with _lock:
        _generators[:] = [g for g in _generators if g is not generator]


# -- the hooks ----------------------------------------------------------------------------
def _before_fork() -> None:
    global _pending
    if not _enabled or getattr(_local, "suppress", False):
        return
    assigned = getattr(_local, "assigned", None)
    # Runs in the parent, so the counter advances in the parent: the next fork gets k+1.
    # A multiprocessing Process.start has already taken its key (``_assigned_child``).
    _pending = assigned if assigned is not None else next(_counter)


def _after_fork_in_parent() -> None:
    global _pending
    _pending = None


def _after_fork_in_child() -> None:
    global _pending, _node, _counter, _lock
    key = _pending
    _pending = None
    # A lock held by another thread of the parent at fork time stays locked forever in
    # the child; start with a fresh one. The thread-local flags belong to the parent's
    # Process.start / Popen call, which the child (still inside that call) never leaves.
    _lock = threading.Lock()
    _local.assigned = None
    _local.suppress = False
    if key is None or _node is None:
        return
    # Seeding below takes other locks another parent thread may hold at fork time (the
    # stdlib's own after-fork reseed of `random` never blocks, nor may this): the
    # process root's, the record's, and numpy's global RandomState's (any thread
    # drawing from np.random holds it). Replace them, never wait on them.
    _fresh_numpy_lock_in_child()
    child = _node.child(CHILD, key)
    _node = child
    _counter = itertools.count()
    seed_process(child)


def _fresh_numpy_lock_in_child() -> None:
    # (The process root's and the records' locks are fresh already: those modules
    # register their own after-fork handlers, before this one.)
    # RandomState's lock is its bit generator's and is read-only; re-running __init__
    # with a new MT19937 swaps both in place, so np.random.* (bound methods of this very
    # object) keep working. The state is thrown away: seed_process reseeds it next.
    np.random.RandomState.__init__(numpy_random.global_randomstate(), np.random.MT19937(0))


def seed_process(node: SeedTree) -> None:
    """Seed this process from ``node``: ``random``, numpy, ``seedpool.rng()``, registered Generators.

    Also makes ``node`` the process's default root (and ``SEEDPOOL_SEED``), so that
    ``seed_everything()``, pools and further children of this process derive from it.
    """
    seed_process_root(node, resolve_backends(fork_backend_names()))
    gens = node.child(GENERATOR)
    for i, gen in enumerate(list(_generators)):
        bitgen = gen.bit_generator
        bitgen.state = type(bitgen)(gens.child(i).seed_sequence).state


def counting_suppressed() -> bool:
    """Whether this thread is inside :class:`_suppress_fork_counting` (a child already
    numbered by the caller is being started: ``subprocess`` on 3.13 calls
    ``os.posix_spawn``, which must not take a second key)."""
    return bool(getattr(_local, "suppress", False))


class _suppress_fork_counting:
    """Within this block, forks in this thread take no key (the child execs at once)."""

    def __enter__(self) -> None:
        self._previous = getattr(_local, "suppress", False)
        _local.suppress = True

    def __exit__(self, *exc: object) -> None:
        _local.suppress = self._previous


class _assigned_child:
    """Within this block, a fork in this thread uses ``key`` (already taken by the caller)."""

    def __init__(self, key: int) -> None:
        self._key = key

    def __enter__(self) -> None:
        self._previous = getattr(_local, "assigned", None)
        _local.assigned = self._key

    def __exit__(self, *exc: object) -> None:
        _local.assigned = self._previous
