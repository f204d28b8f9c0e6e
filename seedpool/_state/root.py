"""The process root and its ``SEEDPOOL_SEED`` codec.

The root is recorded in the environment variable ``SEEDPOOL_SEED`` so that a child
process started later -- by fork, spawn, forkserver or plain ``subprocess`` -- lands on
the same root.  This module holds that state (the default tree, the pool counter) and
the text codec; it imports only the stdlib, numpy, :mod:`seedpool._derive.tree` and the key
constants, so every other module may import it without a cycle.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
from typing import Any, Optional

from .._derive.keys import POOLS
from .._derive.tree import HEX_BITS, SeedTree

__all__ = [
    "ENV_SEED",
    "tree_to_env",
    "tree_from_env",
    "default_tree",
    "current_root",
    "next_pool_root",
    "next_root_position",
    "set_root",
    "ENV_WORKERS",
    "workers_from_env",
    "is_ascii_int",
]

ENV_SEED = "SEEDPOOL_SEED"
ENV_WORKERS = "SEEDPOOL_WORKERS"

_lock = threading.RLock()
_default: Optional[SeedTree] = None
_pools = itertools.count()  # pools created under the current root (reset with it)
# name -> (root.child(name), counter): the process's keyed calls per namespace (reset with it)
_positions: dict[str, tuple[SeedTree, Any]] = {}


_MALFORMED_HINT = (
    'expected a plain decimal int, {"entropy": <int, "0x<hex>" or a list of them>, '
    '"path": [<str or int keys>]}, or any other text (hashed as a str seed)'
)
MAX_WORKERS = 1 << 16  # far above any machine, far below multiprocessing's limits


def _entropy_json(value: int) -> int | str:
    # JSON ints over the decimal digit limit cannot be written or read: hex strings can.
    return hex(value) if value.bit_length() > HEX_BITS else value


def tree_to_env(tree: SeedTree) -> str:
    """Encode a node for ``SEEDPOOL_SEED``: a plain decimal int for a bare int root of
    at most 2048 bits, else JSON (ints over 2048 bits as ``"0x..."`` strings)."""
    if isinstance(tree.entropy, int) and not tree.path and tree.entropy.bit_length() <= HEX_BITS:
        return str(tree.entropy)
    entropy: Any = (
        _entropy_json(tree.entropy) if isinstance(tree.entropy, int) else [_entropy_json(e) for e in tree.entropy]
    )
    return json.dumps({"entropy": entropy, "path": list(tree.path)}, separators=(",", ":"))


def _malformed(what: str, text: str) -> ValueError:
    shown = text if len(text) <= 80 else text[:77] + "..."
    return ValueError(f"{ENV_SEED} is malformed: {what} (got {shown!r}); {_MALFORMED_HINT}")


def _json_entropy_item(item: Any, text: str) -> int:
    if type(item) is int:
        if item < 0:
            raise _malformed(f"entropy {item} is negative", text)
        return item
    if isinstance(item, str) and item[:2] in ("0x", "0X") and len(item) > 2 and _is_ascii_hex(item[2:]):
        return int(item, 16)
    raise _malformed(f"entropy items must be non-negative ints or \"0x<hex>\" strings, not {item!r:.40}", text)


def _is_ascii_hex(text: str) -> bool:
    return text.isascii() and all(c in "0123456789abcdefABCDEF" for c in text)


def is_ascii_int(text: str) -> bool:
    """True for a non-empty run of ASCII digits (``str.isdigit`` also accepts "²", "٣")."""
    return text.isascii() and text.isdigit()


def tree_from_env(value: str) -> SeedTree:
    """Decode ``SEEDPOOL_SEED``: ASCII decimal digits (an int), the JSON written by
    :func:`tree_to_env`, or any other text (hashed as a str seed).

    Raises
    ------
    TypeError
        ``value`` is not a str.
    ValueError
        "SEEDPOOL_SEED is malformed: ..." for JSON that is not a node, or more decimal
        digits than Python converts (write such ints in the JSON form's hex).
    """
    if not isinstance(value, str):
        raise TypeError(f"{ENV_SEED} must be a str (got {type(value).__name__})")
    text = value.strip()
    if is_ascii_int(text):
        try:
            return SeedTree(int(text))
        except ValueError:  # sys.get_int_max_str_digits()
            raise _malformed(
                f"{len(text)} decimal digits is more than Python converts; write a large int as "
                '{"entropy": "0x<hex>", "path": []}', text) from None
    if not text.startswith("{"):
        return SeedTree(text)
    try:
        data = json.loads(text)
    except RecursionError:
        raise _malformed("JSON nested too deeply", text) from None
    except ValueError as exc:  # also JSON ints over the digit limit
        raise _malformed(f"not valid JSON ({exc})", text) from None
    if not isinstance(data, dict) or set(data) != {"entropy", "path"}:
        got = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise _malformed(f'expected exactly the keys "entropy" and "path", not {got}', text)
    raw, path = data["entropy"], data["path"]
    if isinstance(raw, list):
        if not raw:
            raise _malformed("entropy is an empty list", text)
        entropy: Any = tuple(_json_entropy_item(item, text) for item in raw)
    else:
        entropy = _json_entropy_item(raw, text)
    if not isinstance(path, list):
        raise _malformed(f"path must be a list of keys, not {type(path).__name__}", text)
    for key in path:
        if not (isinstance(key, str) or (type(key) is int and 0 <= key < 2**31)):
            raise _malformed(f"key {key!r:.40} is neither a str nor an int in [0, 2**31)", text)
    return SeedTree(entropy).child(*path)


def workers_from_env(value: str) -> int:
    """Decode ``SEEDPOOL_WORKERS``: ASCII digits, 1 to 65536.

    Raises
    ------
    ValueError
        "SEEDPOOL_WORKERS must be ..." naming the value.
    """
    text = value.strip() if isinstance(value, str) else ""
    if not (is_ascii_int(text) and len(text) <= 6 and 1 <= int(text) <= MAX_WORKERS):
        shown = value if not isinstance(value, str) or len(value) <= 40 else value[:37] + "..."
        raise ValueError(
            f"{ENV_WORKERS} must be a positive int of ASCII digits, at most {MAX_WORKERS} "
            f"(got {shown!r}); unset it or fix it"
        )
    return int(text)


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


def next_root_position(name: str) -> Optional[tuple[SeedTree, int]]:
    """``(root.child(name), k)`` for the k-th keyed call of namespace ``name`` made under
    the current process root (``seedpool.ray.remote``'s calls, ``seedpool.dask.delayed``'s),
    or None when no root was set. Numbering restarts with the root, as the pools' does."""
    with _lock:
        root = current_root()
        if root is None:
            return None
        entry = _positions.get(name)
        if entry is None:
            entry = _positions[name] = (root.child(name), itertools.count())
        return entry[0], next(entry[1])


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
        _positions.clear()
        os.environ[ENV_SEED] = text


def _reset_for_tests() -> None:
    global _default, _pools
    with _lock:
        _default = None
        _pools = itertools.count()
        _positions.clear()


def _after_fork_in_child() -> None:
    """In a forked child: a fresh lock (another parent thread may have held this one
    at fork time, and it would stay locked forever here)."""
    global _lock
    _lock = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
