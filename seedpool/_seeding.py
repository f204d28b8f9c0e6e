"""Process-wide seeding: ``seed_everything``, the default tree, and RNG state snapshots.

The root is recorded in the environment variable ``SEEDPOOL_SEED`` so that a child
process started later -- by fork, spawn, forkserver or plain ``subprocess`` -- can call
``seed_everything()`` with no argument and land on the same root.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import threading
from typing import Iterable, Iterator, Optional

from ._backends import BACKENDS, resolve_backends
from ._tree import SeedLike, SeedTree

__all__ = [
    "ENV_SEED",
    "seed_everything",
    "default_tree",
    "current_root",
    "tree_to_env",
    "tree_from_env",
    "RNGState",
    "get_state",
    "set_state",
    "isolate",
]

ENV_SEED = "SEEDPOOL_SEED"

_lock = threading.RLock()
_default: Optional[SeedTree] = None
_pools = itertools.count()  # pools created under the current root (reset with it)


def tree_to_env(tree: SeedTree) -> str:
    """Encode a node for ``SEEDPOOL_SEED``: a plain decimal int for a bare int root."""
    if isinstance(tree.entropy, int) and not tree.path:
        return str(tree.entropy)
    entropy = tree.entropy if isinstance(tree.entropy, int) else list(tree.entropy)
    return json.dumps({"entropy": entropy, "path": list(tree.path)}, separators=(",", ":"))


def tree_from_env(value: str) -> SeedTree:
    """Decode ``SEEDPOOL_SEED``: a decimal int, the JSON written by :func:`tree_to_env`,
    or any other text (hashed as a str seed)."""
    text = value.strip()
    if text.isdigit():
        return SeedTree(int(text))
    if text.startswith("{"):
        try:
            data = json.loads(text)
            entropy = data["entropy"]
            path = data["path"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(
                f"{ENV_SEED} holds malformed JSON ({text[:80]!r}): {exc}; expected "
                '{"entropy": <int or list of ints>, "path": [<keys>]} or a plain int'
            ) from None
        return SeedTree(entropy if isinstance(entropy, int) else tuple(entropy)).child(*path)
    return SeedTree(text)


def default_tree() -> SeedTree:
    """The process's root: the last ``seed_everything`` root, else ``SEEDPOOL_SEED``,
    else fresh entropy (then recorded in ``SEEDPOOL_SEED`` for child processes)."""
    global _default
    with _lock:
        if _default is None:
            env = os.environ.get(ENV_SEED)
            _default = tree_from_env(env) if env else SeedTree()
            os.environ[ENV_SEED] = tree_to_env(_default)
        return _default


def current_root() -> Optional[SeedTree]:
    """The root set by ``seed_everything`` or ``SEEDPOOL_SEED``, or None if neither was
    (unlike :func:`default_tree`, never draws entropy)."""
    global _default
    with _lock:
        if _default is None:
            env = os.environ.get(ENV_SEED)
            if not env:
                return None
            _default = tree_from_env(env)
        return _default


def next_pool_root() -> Optional[SeedTree]:
    """``root.child("pools", k)`` for the k-th pool created under the current process
    root, or None when no root was set (``seed_everything`` / ``SEEDPOOL_SEED``)."""
    with _lock:
        root = current_root()
        return None if root is None else root.child("pools", next(_pools))


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
        set, and draws fresh entropy otherwise.
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
    global _default, _pools
    chosen = resolve_backends(backends)  # validate before touching any state
    if seed is None:
        env = os.environ.get(ENV_SEED)
        root = tree_from_env(env) if env else SeedTree()
    else:
        root = SeedTree(seed)
    for backend in chosen:
        backend.seed(root)
    with _lock:
        _default = root
        _pools = itertools.count()
        os.environ[ENV_SEED] = tree_to_env(root)
    if record is not None or os.environ.get("SEEDPOOL_RECORD"):
        from ._record import record_root

        record_root(root, record)
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
        ``state`` is not a mapping of backend names to states.
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
    for name, value in state.items():
        BACKENDS[name].set_state(value)


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
    global _default, _pools
    with _lock:
        _default = None
        _pools = itertools.count()
