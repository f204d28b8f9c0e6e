"""dill's pickler: named packages' modules always go by reference.

dill pickles a module *by value* (its ``__dict__``) unless it finds the module's file
under ``sys.prefix`` or in a ``site-packages`` folder (``dill._dill._is_builtin_module``,
checked on dill 0.4.1). A package used from a checkout or an editable install
is neither, so a lambda that mentions it drags the whole module along: its locks, its
``threading.local`` objects (which cannot be pickled), its caches. :func:`dumps` saves
the modules of the given packages as ``importlib.import_module(name)`` instead, by
overriding ``save``, the one method every object passes through (``pickle._Pickler.save``,
which ``dill.Pickler`` extends), rather than editing dill's dispatch table.

dill is imported on first use: ``import seedpool`` never loads it.
"""

from __future__ import annotations

import importlib
import io
import types
from typing import Any

__all__ = ["dumps"]

_picklers: dict[tuple[str, ...], type] = {}


def _pickler(packages: tuple[str, ...]) -> type:
    cls = _picklers.get(packages)
    if cls is not None:
        return cls
    import dill

    def by_reference(name: str) -> bool:
        return any(name == p or name.startswith(p + ".") for p in packages)

    class ModulesByReference(dill.Pickler):  # type: ignore[misc,name-defined]
        def save(self, obj: Any, save_persistent_id: bool = True) -> None:
            if type(obj) is types.ModuleType and by_reference(obj.__name__):
                # The module as the receiver imports it; memoised like any reduce.
                self.save_reduce(importlib.import_module, (obj.__name__,), obj=obj)
                return
            super().save(obj, save_persistent_id)

    _picklers[packages] = ModulesByReference
    return ModulesByReference


def dumps(obj: Any, packages: tuple[str, ...], *, recurse: bool = True) -> bytes:
    """``dill.dumps(obj, recurse=recurse)``, with the modules of ``packages`` (and their
    submodules) pickled by reference. ``dill.loads`` reads the result."""
    import dill

    buffer = io.BytesIO()
    _pickler(tuple(packages))(buffer, dill.settings["protocol"], recurse=recurse).dump(obj)
    return buffer.getvalue()
