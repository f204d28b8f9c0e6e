"""The process root and its ``SEEDPOOL_SEED`` codec.

The root is recorded in the environment variable ``SEEDPOOL_SEED`` so that a child
process started later -- by fork, spawn, forkserver or plain ``subprocess`` -- lands on
the same root.  This module holds that state (the default tree, the pool counter) and
the text codec; it imports only the stdlib, numpy, :mod:`seedpool._tree` and the key
constants, so every other module may import it without a cycle.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
from typing import Optional

from ._keys import POOLS
from ._tree import SeedTree

__all__ = [
    "ENV_SEED",
    "tree_to_env",
    "tree_from_env",
    "default_tree",
    "current_root",
    "next_pool_root",
    "set_root",
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
        return None if root is None else root.child(POOLS, next(_pools))


def set_root(root: SeedTree, encoded: Optional[str] = None) -> None:
    """Make ``root`` the process root: restart pool numbering, write ``SEEDPOOL_SEED``.

    ``encoded`` is ``tree_to_env(root)`` when the caller computed it already (so it can
    fail before any other state changed).
    """
    global _default, _pools
    text = tree_to_env(root) if encoded is None else encoded
    with _lock:
        _default = root
        _pools = itertools.count()
        os.environ[ENV_SEED] = text


def _reset_for_tests() -> None:
    global _default, _pools
    with _lock:
        _default = None
        _pools = itertools.count()
