"""Helpers shared by the data-loader adapters (``seedpool.torch``, ``seedpool.keras``).

Imports no framework: a ``torch.Generator`` is recognised by its type's name, so the
Keras adapter works without torch installed.
"""

from __future__ import annotations

import operator
import random as _pyrandom
from collections.abc import Sequence
from typing import Any, Union

import numpy as np

from .._derive.keys import ATTR
from .._derive.tree import SeedTree
from .backends import words_to_int

__all__ = ["ATTR", "GeneratorNames", "check_count", "normalise_generators", "reseed_generators"]

# A registered RNG attribute ``name`` is reseeded from ``node.child(ATTR, name)``.
_MAX_KEY = 2**31

GeneratorNames = Union[str, Sequence[str], None]


def check_count(value: Any, name: str, *, minimum: int = 0, fix: str = "") -> int:
    """``value`` as an int in ``[minimum, 2**31)`` (a valid tree key), else a named error."""
    index = None
    if not isinstance(value, bool):
        try:
            index = operator.index(value)
        except TypeError:
            pass
    if index is None:
        raise TypeError(f"{name} must be an int (got {value!r} of type {type(value).__name__}){fix}")
    if not minimum <= index < _MAX_KEY:
        raise ValueError(f"{name} must be in [{minimum}, 2**31) (got {index}){fix}")
    return index


def _is_torch_generator(value: Any) -> bool:
    cls = type(value)
    return cls.__name__ == "Generator" and cls.__module__.startswith("torch")


def is_rng(value: Any) -> bool:
    return isinstance(value, (np.random.Generator, np.random.RandomState, _pyrandom.Random)) or (
        _is_torch_generator(value)
    )


def _scan(obj: Any) -> tuple[str, ...]:
    """Names of the attributes of ``obj`` (one level, ``vars(obj)``) holding an RNG."""
    try:
        items = vars(obj).items()
    except TypeError:  # __slots__ objects have no __dict__
        return ()
    return tuple(sorted(name for name, value in items if is_rng(value)))


def resolve_attr(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def normalise_generators(dataset: Any, generators: GeneratorNames) -> tuple[str, ...]:
    """Validate ``generators`` ('auto', None or attribute paths) against ``dataset``."""
    if generators is None:
        return ()
    if isinstance(generators, str):
        if generators == "auto":
            return _scan(dataset)
        generators = (generators,)
    try:
        names = tuple(generators)
    except TypeError:
        raise TypeError(
            f"generators must be 'auto', None or a sequence of attribute names "
            f"(got {generators!r} of type {type(generators).__name__})"
        ) from None
    for name in names:
        if not isinstance(name, str):
            raise TypeError(
                f"generators must hold attribute names as str (got {name!r} of type {type(name).__name__})"
            )
        try:
            value = resolve_attr(dataset, name)
        except AttributeError:
            raise ValueError(
                f"generators names {name!r}, but the dataset ({type(dataset).__name__}) has no such "
                "attribute; give the attribute path of the RNG, e.g. 'rng' or 'transform.rng'"
            ) from None
        if not is_rng(value):
            raise TypeError(
                f"generators names {name!r}, which holds a {type(value).__name__}, not a "
                "numpy.random.Generator, numpy.random.RandomState, random.Random or torch.Generator"
            )
    return names


def reseed_generator(value: Any, node: SeedTree) -> None:
    """Reseed ``value`` *in place*, so every other reference to it sees the new state."""
    if isinstance(value, np.random.Generator):
        bit_generator = value.bit_generator
        # Same state as Generator(type(bg)(node.seed_sequence)), copied into the object.
        bit_generator.state = type(bit_generator)(node.seed_sequence).state
    elif isinstance(value, np.random.RandomState):
        value.seed(node.generate_state(4))
    elif isinstance(value, _pyrandom.Random):
        value.seed(words_to_int(node.generate_state(4)))
    elif _is_torch_generator(value):
        value.manual_seed(int(node.generate_state(1, np.uint64)[0]))


def reseed_generators(dataset: Any, names: tuple[str, ...], node: SeedTree) -> None:
    """Reseed each named RNG attribute of ``dataset`` from ``node.child(ATTR, name)``."""
    for name in names:
        reseed_generator(resolve_attr(dataset, name), node.child(ATTR, name))
