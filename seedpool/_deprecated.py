"""Old public names kept working with a ``DeprecationWarning`` (one helper, so every alias
warns the same way and can be found by grepping for ``renamed_attribute``)."""

from __future__ import annotations

import warnings
from typing import Any, Optional

__all__ = ["renamed_attribute"]


class renamed_attribute:  # noqa: N801  (used like ``property``)
    """A class attribute ``old = renamed_attribute("new")``: reads and writes of ``obj.old``
    go to ``obj.new`` and warn.

    The root attribute is ``root`` on every class (issue 9: "one meaning per name");
    ``seed_tree`` (Pool, ProcessPoolExecutor) and ``tree`` (StrategySeeds) were its
    earlier names.
    """

    def __init__(self, new: str) -> None:
        self.new = new
        self.old = "?"

    def __set_name__(self, owner: type, name: str) -> None:
        self.old = name

    def _warn(self, obj: Any) -> None:
        cls = type(obj).__name__
        warnings.warn(
            f"{cls}.{self.old} is deprecated; use {cls}.{self.new} (the same object)",
            DeprecationWarning, stacklevel=3,
        )

    def __get__(self, obj: Any, objtype: Optional[type] = None) -> Any:
        if obj is None:
            return self
        self._warn(obj)
        return getattr(obj, self.new)

    def __set__(self, obj: Any, value: Any) -> None:
        self._warn(obj)
        setattr(obj, self.new, value)
