"""seedpool's exceptions. Each also inherits the builtin a Python user would catch::

    SeedpoolError(Exception)
     +-- BackendUnavailableError(SeedpoolError, ImportError)
     +-- UnseededRandomnessError(SeedpoolError, RuntimeError)
    UnseededRandomnessWarning(UserWarning)
"""

from __future__ import annotations

__all__ = ["SeedpoolError", "BackendUnavailableError", "UnseededRandomnessError", "UnseededRandomnessWarning"]


class SeedpoolError(Exception):
    """Base class of seedpool's own errors."""


class BackendUnavailableError(SeedpoolError, ImportError):
    """A backend was asked for by name, but its library is not installed."""


class UnseededRandomnessWarning(UserWarning):
    """Strict mode (``"warn"``): randomness inside a task escaped its keyed streams."""


class UnseededRandomnessError(SeedpoolError, RuntimeError):
    """Strict mode (``"error"``): randomness inside a task escaped its keyed streams."""
