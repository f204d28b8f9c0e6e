"""The task protocol: run one piece of work with every RNG in use seeded from one node.

This is what makes results independent of the schedule: the task, not the worker, owns
the stream. Every engine runs its unit of work through a :class:`Task` -- pool and
executor workers (``seedpool._task.worker``), ``task_scope`` (the data-loader adapters'
per-sample and per-batch scopes), and the thread pools, joblib, Dask and Ray tasks that
plug in next. There is no second copy of these steps::

    enter   _lazy.begin(words)            python / numpy: stale, seeded on first draw
            set_task_provider(task)       rng: seedpool.rng() is this task's Generator
            eager backends, if loaded     torch / TensorFlow: seeded now (no hook exists)
    body    ...
    exit    provider  <- the previous one (nesting), never None
            _lazy.end(token)              draws go back to the enclosing scope
            eager states restored         (only with restore=True)

Which backend is lazy or eager, and how each is seeded, is the registry's business
(:mod:`seedpool._state.backends`); the protocol only walks it. Seed words come from a
``words(backend)`` function so an engine can derive a whole block of tasks at once
(:mod:`seedpool._derive.bulk`).

Inside a task, the task's node also stands in for the process root: ``seedpool.Pool()``
or ``ProcessPoolExecutor()`` with ``seed=None`` get ``node.child("pools", k)``, ``k``
counted within the task, and ``seed_everything()`` with no argument reseeds from the
node itself -- so nested pools are the same for any worker count and distinct per task.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

from .._derive.bulk import WordsFn, node_words
from .._derive.keys import POOLS, RNG
from .._derive.tree import SeedTree
from .._state import backends as _registry
from .._state import context as _context
from .._state import hooks
from .._state import scopes as _lazy
from .._state import strict as _strict
from .._state.backends._rng import generator_from_words

__all__ = ["Task", "ThreadTask", "current_task", "task_scope"]


_modules_seen = -1
_eager_loaded: tuple[Any, ...] = ()


class Task:
    """One task's seeding, as a context manager (``with Task(words, node): ...``).

    It is also the task's ``seedpool.rng()`` provider: calling it returns the task's
    Generator, ``node.child("rng").generator()``, built on first use.

    Parameters
    ----------
    words : callable
        ``words(backend)`` returns ``node.child(backend).generate_state(8)``.
    node : SeedTree or callable, optional
        The task's node, or a zero-argument function returning it (computed only if
        asked for: nested pools, ``seed_everything()``, records).
    restore : bool
        Leave the process's own generators exactly as they were (see :func:`task_scope`).
    st : ThreadState, optional
        The calling thread's own ``seedpool._state.context.ThreadState``, if the engine has
        it at hand (saves a thread-local lookup); the task must run on that thread.
    func : callable, optional
        The task's function, for strict mode's reports of escaped draws.
    """

    # The hot path (a pool task) sets ten slots (seven here, three on entering); _saved
    # and _strict are only set when used (an unset slot raises AttributeError, caught
    # where read).
    __slots__ = ("_node", "_counters", "_previous", "_saved", "_st", "_strict", "_token", "func", "generator",
                 "restore", "words")
    # Whether the scope is private to its thread (its draws go to generators the thread
    # owns; TensorFlow / torch left alone): None = whether this is not the main thread.
    private: bool | None = None
    _counters: dict[str, Iterator[int]] | None
    _saved: list[tuple[Any, Any]]
    _strict: Any  # strict mode's view of the task, set only while strict mode is on

    def __init__(self, words: WordsFn, node: Any = None, restore: bool = False, st: Any = None,
                 func: Any = None) -> None:
        self.words = words
        self.restore = restore
        self._node = node
        self._st = st
        self.func = func
        self.generator: np.random.Generator | None = None
        self._counters = None

    # -- seedpool.rng() inside the task ------------------------------------------------
    # generator: the task's, once built (or set by seed_everything / isolate)

    def __call__(self) -> np.random.Generator:
        generator = self.generator
        if generator is None:
            generator = self.generator = generator_from_words(self.words(RNG))
        return generator

    # -- the task's node, for what runs inside it ----------------------------------------
    def node(self) -> SeedTree | None:
        """The task's node (None if the engine gave only words)."""
        node = self._node
        if callable(node) and not isinstance(node, SeedTree):
            node = self._node = node()
        return node  # type: ignore[no-any-return]

    def count(self, name: str) -> int:
        """How many times this task asked for ``name`` before: 0, 1, 2... (the k-th engine
        opened with ``seed=None`` in the task, ``"pools"``; the k-th plain joblib call keyed
        under it, ``"tasks"``)."""
        counters = self._counters
        if counters is None:
            counters = self._counters = {}
        counter = counters.get(name)
        if counter is None:
            counter = counters[name] = itertools.count()
        return next(counter)

    def next_child(self, name: str) -> SeedTree | None:
        """``node.child(name, k)`` for the k-th time this task asks for ``name`` (see
        :meth:`count`); None if the engine gave no node."""
        node = self.node()
        if node is None:
            return None
        return node.child(name, self.count(name))

    def next_pool_root(self) -> SeedTree | None:
        """``node.child("pools", k)`` for the k-th pool created with ``seed=None`` in this task."""
        return self.next_child(POOLS)

    def restart_pools(self) -> None:
        """Count the task's pools from 0 again (``seed_everything()`` inside the task)."""
        if self._counters is not None:
            self._counters.pop(POOLS, None)

    # -- the protocol --------------------------------------------------------------------
    def __enter__(self) -> Task:
        # The thread's state, looked up once for the whole protocol (a threading.local
        # lookup costs more than the rest of a no-op task's bookkeeping), or given by an
        # engine that has it already.
        st = self._st
        if st is None:
            st = _context.local.state
            if not st.own:
                st = _context.thread_state()
            self._st = st
        self._token = _lazy.begin(self.words, self.restore, self.private, st)
        self._previous = st.provider
        st.provider = self
        if _strict.active:
            # Escaped draws are only seen where the task's draws go to the process's
            # own generators (not a thread's or a restoring scope's private ones).
            scope: Any = st.scope
            self._strict = _strict.task_begin(self.node, self.func, not scope.private and not self.restore,
                                              scope.python_stale, scope.numpy_stale)
        # The eager backends that are imported: recomputed only when sys.modules grew or
        # shrank, so a task in a process without torch / TensorFlow pays one len().
        global _modules_seen, _eager_loaded
        if len(sys.modules) != _modules_seen:
            _modules_seen = len(sys.modules)
            _eager_loaded = tuple(b for b in _registry.eager_backends() if b.module in sys.modules)
        eager = _eager_loaded
        if eager:
            try:
                self._seed_eager(eager)
            except BaseException:
                self.__exit__(BaseException, None, None)  # no strict check: the error wins
                raise
        return self

    def rearm(self, node: Any, func: Any = None) -> bool:
        """Start the next task on this entered Task, without leaving it: the same as
        ``__exit__`` then ``__enter__`` of a new Task with the same words function and
        ``node`` (``words`` must read the new task's position, as a worker's does).

        For an engine that runs tasks back to back on one thread (a pool worker's or a
        thread pool thread's chunk): the scope stays open, both generators are marked
        stale again, the task's ``rng()`` Generator and pool counter start afresh.
        Returns False -- and changes nothing -- where a full exit and enter are needed:
        strict mode on, a scope opened inside the last task still open, a restoring
        scope, or an eager backend imported meanwhile; the caller then exits and enters.
        """
        st = self._st
        if (_strict.active or st.provider is not self or self.restore
                or len(sys.modules) != _modules_seen):
            return False
        if not _lazy.rearm(st.scope, self.words):
            return False
        self._node = node
        self.func = func
        self.generator = None
        self._counters = None
        self._strict = None  # an earlier item's, if strict mode was on when it began
        eager = _eager_loaded
        if eager:
            self._seed_eager(eager)  # may raise: the caller exits the task then
        return True

    def _seed_eager(self, eager: tuple[Any, ...]) -> None:
        # Off the main thread the scope is private to its thread; TensorFlow's and torch's
        # generators are process-wide, so they are left alone there.
        if self._st.scope.private:
            return
        for backend in eager:
            if self.restore:
                try:
                    saved = self._saved
                except AttributeError:
                    saved = self._saved = []
                saved.append((backend, backend.get_state()))
            if backend.side_effects:
                # Keras' seeding also calls random.seed / np.random.seed: keep that away
                # from both the task's streams and the process's own generators.
                with _lazy.scratch():
                    backend.seed_words(self.words(backend.name)[: backend.n_words])
            else:
                backend.seed_words(self.words(backend.name)[: backend.n_words])

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if _strict.active:
            checking = getattr(self, "_strict", None)
            if checking is not None:
                self._strict = None
                try:
                    # May raise UnseededRandomnessError; with the task's own error in
                    # flight that error is the one to see: no check, only the pop.
                    _strict.task_end(checking, exc_type is None)
                finally:
                    self._exit()
                return
        self._exit()

    def _exit(self) -> None:
        st = self._st
        st.provider = self._previous
        _lazy.end(self._token, st)
        if self.restore:
            saved = getattr(self, "_saved", None)
            if saved:
                del self._saved
                for backend, state in saved:
                    backend.set_state(state)


class ThreadTask(Task):
    """A :class:`Task` whose scope is private to its thread (a thread pool's task)."""

    __slots__ = ()
    private = True


def current_task() -> Task | None:
    """The :class:`Task` running in this context, or None."""
    provider = _context.task_provider()
    return provider if isinstance(provider, Task) else None


@contextlib.contextmanager
def task_scope(node: SeedTree, *, restore: bool = False, words: WordsFn | None = None) -> Iterator[SeedTree]:
    """Seed every backend in use from ``node`` for the duration of the block.

    Python's ``random`` from ``node.child("python")``, numpy's global state from
    ``node.child("numpy")`` and ``seedpool.rng()`` from ``node.child("rng")`` -- each
    lazily, on the block's first draw from it, so a block that draws nothing pays
    nothing -- and TensorFlow / torch, if already imported, from their own children up
    front. These are the same streams a pool task keyed by ``node`` gets (one
    ``Task`` protocol serves both).

    Parameters
    ----------
    node : SeedTree
        The task's node.
    restore : bool
        Leave the process's own generators as they were (for work that runs in a
        process whose own stream must not be disturbed, e.g. a data loader with
        ``num_workers=0``): draws from ``random`` / numpy go to spare generators, so
        those are never copied; TensorFlow / torch states are saved and put back.
    words : callable, optional
        ``words(backend)`` must return ``node.child(backend).generate_state(8)``; pass
        one from ``seedpool._derive.bulk.BlockWords`` or ``words_for_indices`` to derive
        many tasks' words at once. Default: derived from ``node`` on first use.
    """
    if not isinstance(node, SeedTree):
        raise TypeError(f"node must be a seedpool.SeedTree (got {node!r:.60} of type {type(node).__name__}); "
                        f"pass seedpool.SeedTree(seed) or a node of one, e.g. root.child('item', i)")
    hooks.install()
    with Task(node_words(node) if words is None else words, node, restore):
        yield node
