"""Public names loaded on first access (PEP 562), for a package's ``__init__``.

``seedpool`` defers the pools (they import multiprocess/dill) and ``seedpool.tensorflow``
defers everything that imports TensorFlow; both keep a ``_LAZY`` table
(name -> relative module) and get their module ``__getattr__``/``__dir__`` from
:func:`lazy_exports`. Standard library only: ``import seedpool`` loads this module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Mapping
from typing import Any


def lazy_exports(namespace: dict[str, Any], table: Mapping[str, str], *,
                 keep_module: Collection[str] = ()) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of a package with lazily loaded names.

    Parameters
    ----------
    namespace : dict
        The package's ``globals()``: where a loaded name is cached (so ``__getattr__``
        runs once per name) and what ``__dir__`` lists.
    table : mapping of str to str
        Public name -> the module, relative to the package, that defines it.
    keep_module : collection of str
        Names whose ``__module__`` stays their defining module's. Every other loaded
        object gets the package's name as ``__module__``, so pickle finds it again through
        the package's ``__getattr__``.

    Returns
    -------
    (__getattr__, __dir__)
        To assign at the package's top level; ``__dir__`` lists the package's globals and
        the lazy names, without ``annotations`` (the ``from __future__`` import).
    """
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        if name not in keep_module:
            value.__module__ = package
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(n for n in set(namespace) | set(table) if n != "annotations")

    return __getattr__, __dir__
