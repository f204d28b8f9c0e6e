"""seedpool's exceptions. Each also inherits the builtin a Python user would catch::

    SeedpoolError(Exception)
     +-- BackendUnavailableError(SeedpoolError, ImportError)
"""

from __future__ import annotations

__all__ = ["SeedpoolError", "BackendUnavailableError"]


class SeedpoolError(Exception):
    """Base class of seedpool's own errors."""


class BackendUnavailableError(SeedpoolError, ImportError):
    """A backend was asked for by name, but its library is not installed."""
