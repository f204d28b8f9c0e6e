"""Seeding a process (or the running task): ``seed_everything``, and RNG state snapshots.

The root is recorded in the environment variable ``SEEDPOOL_SEED`` so that a child
process started later -- by fork, spawn, forkserver or plain ``subprocess`` -- can call
``seed_everything()`` with no argument and land on the same root.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from typing import Any, Optional

from .._derive.tree import SeedLike, SeedTree
from . import root as _root
from . import scopes
from .backends import BACKENDS, resolve_backends
from .context import running_task
from .record import ENV_RECORD, check_target, record_root
from .root import ENV_SEED, tree_from_env, tree_to_env

__all__ = [
    "seed_everything",
    "seed_process_root",
    "RNGState",
    "get_state",
    "set_state",
    "isolate",
]


def seed_everything(seed: SeedLike = None, *, backends: Iterable[str] | str | None = None,
                    record: str | os.PathLike | None = None) -> SeedTree:
    """Seed every random number generator in use from one root, each on its own stream.

    Python's ``random`` is seeded from ``root.child("python")``, numpy's legacy global
    state from ``root.child("numpy")``, :func:`seedpool.rng` from ``root.child("rng")``,
    and TensorFlow / torch -- when already imported, or when named -- from their own
    children. The root is written to ``os.environ["SEEDPOOL_SEED"]``, so child processes
    (any start method) that call ``seed_everything()`` with no argument get the same root.

    Parameters
    ----------
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        The root (see :class:`SeedTree`). ``None`` reuses ``SEEDPOOL_SEED`` when it is
        set, and draws fresh entropy otherwise; inside a pool task (or ``task_scope``)
        it is the task's node, so the result does not depend on which worker runs it.
    backends : iterable of str, optional
        Which backends to seed, from ``"tensorflow"``, ``"torch"``, ``"python"``,
        ``"numpy"``, ``"rng"``. ``None`` seeds every backend whose library is imported
        now (TensorFlow and torch are never imported by this call unless named).
    record : str or path-like, optional
        Write a seed record (see :class:`seedpool.SeedRecord`) to this file; also done
        when ``SEEDPOOL_RECORD`` is set.

    Returns
    -------
    SeedTree
        The root, for deriving further streams (``root.child("data")``).

    Raises
    ------
    TypeError, ValueError
        A bad seed or backend name.
    seedpool.BackendUnavailableError
        A named backend that is not installed.

    Examples
    --------
    >>> import random, seedpool
    >>> root = seedpool.seed_everything(1234)
    >>> a = random.random()
    >>> _ = seedpool.seed_everything(1234)
    >>> a == random.random()
    True
    """
    # Validate and encode everything before seeding anything: a failure after the
    # first backend would leave a half-seeded process.
    chosen = resolve_backends(backends)
    task = running_task()
    if task is not None:
        return _seed_task(task, seed, chosen, backends is None, record)
    if seed is None:
        env = os.environ.get(ENV_SEED)
        root = tree_from_env(env) if env else SeedTree()
    else:
        root = SeedTree(seed)
    seed_process_root(root, chosen, record)
    return root


def seed_process_root(root: SeedTree, chosen: tuple, record: str | os.PathLike | None = None) -> None:
    """Make ``root`` the process root (``SEEDPOOL_SEED``, the pool counter) and seed the
    ``chosen`` backends from it: ``seed_everything`` outside a task, and a forked child."""
    encoded = tree_to_env(root)  # may fail (a huge root): before anything changes
    target = _record_target(record)
    for backend in chosen:
        backend.seed(root)
    _root.set_root(root, encoded)
    if target is not None:
        record_root(root, target)


def _record_target(record: str | os.PathLike | None) -> Optional[str]:
    if record is not None:
        return check_target(record)
    if os.environ.get(ENV_RECORD):
        return check_target(os.environ[ENV_RECORD], ENV_RECORD)
    return None


def _seed_task(task: Any, seed: SeedLike, chosen: tuple, default_backends: bool,
               record: str | os.PathLike | None) -> SeedTree:
    """``seed_everything`` inside a running task: reseed the task's own streams only.

    ``seed=None`` is the task's node (the same for any worker count, distinct per task);
    the process root and ``SEEDPOOL_SEED`` are left alone -- they belong to the program
    (a thread task shares them with the main thread and every other task). In a scope
    private to its thread, TensorFlow's and torch's process-wide generators are not the
    task's: they are seeded only when named in ``backends``.
    """
    node = task.node() if seed is None else None
    root = node if node is not None else SeedTree(seed)
    target = _record_target(record)
    scope = scopes.current_scope()
    if default_backends and scope is not None and (scope.private or scope.restore):
        chosen = tuple(b for b in chosen if b.lazy)
    for backend in chosen:
        backend.seed(root)
    if seed is None:
        task.restart_pools()  # the task's own pools count from 0 again under its node
    if target is not None:
        record_root(root, target)
    return root


class RNGState(dict):
    """Snapshot of backend states, by backend name (returned by :func:`get_state`)."""


def get_state(backends: Iterable[str] | str | None = None) -> RNGState:
    """Capture the state of the given backends (default: every one in use).

    Parameters
    ----------
    backends : str, iterable of str or None
        Backend names (``"python"``, ``"numpy"``, ``"rng"``, ``"tensorflow"``,
        ``"torch"``); ``None`` takes every backend in use.

    Returns
    -------
    RNGState
        Pass it to :func:`set_state` to rewind.
    """
    return RNGState((b.name, b.get_state()) for b in resolve_backends(backends))


def set_state(state: RNGState) -> None:
    """Restore a snapshot taken by :func:`get_state`.

    Parameters
    ----------
    state : RNGState
        The snapshot returned by :func:`get_state`.

    Raises
    ------
    TypeError
        ``state`` is not a mapping of backend names to states, or one entry is not a
        state of its backend. Nothing is restored in that case.
    ValueError
        It names an unknown backend. Nothing is restored in that case.
    """
    if not isinstance(state, dict):
        raise TypeError(
            f"state must be the RNGState returned by seedpool.get_state() (got {type(state).__name__})"
        )
    unknown = [name for name in state if name not in BACKENDS]
    if unknown:
        raise ValueError(f"state names unknown backends {unknown}; known: {list(BACKENDS)}")
    # All or nothing: a bad entry must not leave the others restored. The backends
    # validate while they apply, so keep what was there and put it back on failure.
    before = {name: BACKENDS[name].get_state() for name in state}
    done: list[str] = []
    for name, value in state.items():
        try:
            BACKENDS[name].set_state(value)
        except Exception as exc:
            for undo in reversed(done):
                BACKENDS[undo].set_state(before[undo])
            raise TypeError(
                f"state[{name!r}] is not a {name} state as get_state() returns it ({type(exc).__name__}: "
                f"{str(exc)[:200]}); nothing was restored"
            ) from exc
        done.append(name)


@contextlib.contextmanager
def isolate(seed: SeedLike = None, *, backends: Iterable[str] | str | None = None) -> Iterator[Optional[SeedTree]]:
    """Run a block without disturbing the RNG state outside it.

    The state of every backend in use is captured on entry and restored on exit (also
    on an exception). With ``seed``, the backends are seeded from it inside the block
    (without changing the process's default root or ``SEEDPOOL_SEED``).

    Parameters
    ----------
    seed : int, str, bytes, sequence of int, SeedSequence, SeedTree or None
        Seed the backends from this root inside the block; ``None`` leaves them as they
        are (the block only gets its state restored afterwards).
    backends : str, iterable of str or None
        Backend names to capture, restore and seed; ``None`` takes every one in use.

    Yields
    ------
    SeedTree or None
        The node the block was seeded from, or ``None`` without ``seed``.

    Examples
    --------
    >>> import random, seedpool
    >>> _ = seedpool.seed_everything(7)
    >>> with seedpool.isolate(seed=99):
    ...     inside = random.random()
    >>> after = random.random()
    >>> _ = seedpool.seed_everything(7)
    >>> after == random.random()
    True
    """
    chosen = resolve_backends(backends)
    names = [b.name for b in chosen]
    saved = get_state(names)
    try:
        node = None
        if seed is not None:
            node = SeedTree(seed)
            for backend in chosen:
                backend.seed(node)
        yield node
    finally:
        set_state(saved)


def _reset_for_tests() -> None:
    _root._reset_for_tests()
