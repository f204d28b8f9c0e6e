"""seedpool: reproducible, independent randomness for multiprocess and distributed Python.

One root ``numpy.random.SeedSequence`` and a keyed tree under it (:class:`SeedTree`);
from it, every process, worker, task and library gets its own stream -- derived, never
added, and the same on every run.

``import seedpool`` loads only the standard library and numpy. The pools load
``multiprocess`` on first use; ``seedpool.tensorflow`` and ``seedpool.torch`` import
their frameworks only when imported themselves.
"""

from __future__ import annotations

from typing import Any

from ._backends import available_backends as available_backends
from ._context import rng as rng
from ._errors import BackendUnavailableError as BackendUnavailableError
from ._fork import register_generator as register_generator
from ._fork import reseed_after_fork as reseed_after_fork
from ._fork import stop_reseed_after_fork as stop_reseed_after_fork
from ._fork import unregister_generator as unregister_generator
from ._record import RecordError as RecordError
from ._record import SeedRecord as SeedRecord
from ._errors import SeedpoolError as SeedpoolError
from ._seeding import RNGState as RNGState
from ._seeding import get_state as get_state
from ._seeding import isolate as isolate
from ._seeding import seed_everything as seed_everything
from ._seeding import set_state as set_state
from ._tree import SeedTree as SeedTree
from ._worker import WorkerInfo as WorkerInfo
from ._worker import worker_info as worker_info

__version__ = "0.1.0"

__all__ = (
    # Classes
    "SeedTree",
    "RNGState",
    "Pool",
    "ProcessPoolExecutor",
    "ThreadPool",
    "ThreadPoolExecutor",
    "WorkerInfo",
    "SeedRecord",
    # Functions
    "seed_everything",
    "rng",
    "get_state",
    "set_state",
    "isolate",
    "available_backends",
    "worker_info",
    "reseed_after_fork",
    "stop_reseed_after_fork",
    "register_generator",
    "unregister_generator",
    # Errors
    "TimeoutError",
    "RecordError",
    "WorkerLostError",
    "SeedpoolError",
    "BackendUnavailableError",
)

for _obj in (SeedTree, RNGState, seed_everything, rng, get_state, set_state, isolate,
             available_backends, SeedpoolError, BackendUnavailableError, WorkerInfo, worker_info,
             reseed_after_fork, stop_reseed_after_fork, register_generator, unregister_generator,
             RecordError, SeedRecord):
    _obj.__module__ = "seedpool"
del _obj

# Names whose modules are loaded on first access (they import multiprocess / dill).
_LAZY: dict[str, str] = {
    "Pool": "._pool",
    "TimeoutError": "._pool",
    "WorkerLostError": "._watchdog",
    "ProcessPoolExecutor": "._executor",
    "ThreadPool": "._threads",
    "ThreadPoolExecutor": "._threads",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'seedpool' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    value.__module__ = "seedpool"  # pickle finds it again through this __getattr__
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
