"""seedpool: reproducible, independent randomness for multiprocess and distributed Python.

One root ``numpy.random.SeedSequence`` and a keyed tree under it (:class:`SeedTree`);
from it, every process, worker, task and library gets its own stream -- derived, never
added, and the same on every run.

``import seedpool`` loads only the standard library and numpy. The pools load
``multiprocess`` on first use; ``seedpool.tensorflow`` and ``seedpool.torch`` import
their frameworks only when imported themselves.

The package's floors (folders; each module imports only from its own folder or a floor
below, checked by ``tests/test_layers.py``; see ``docs/guide/layout.md``)::

    6  _cli/       the seedpool command, ``seedpool run`` / ``check``, the bootstrap
    5  faces       this module, joblib, dask, ray, torch, keras, tensorflow/
    4  _engines/   Pool, ProcessPoolExecutor, ThreadPool, ThreadPoolExecutor
    3  _task/      Task, the keyed call, the worker lifecycle, resolve_root
    2  _state/     backends, scopes, hooks, strict mode, the process root, seeding, fork, record
    1  _derive/    SeedTree (pure keyed derivation), bulk seed words, the key layout
    0  leaves      _version, _errors, _deprecated, _lazy_exports, _compat/ (other libraries' internals)
"""

from __future__ import annotations

from . import _lazy_exports
from ._derive.tree import SeedLike as SeedLike
from ._derive.tree import SeedTree as SeedTree
from ._errors import BackendUnavailableError as BackendUnavailableError
from ._errors import RecordError as RecordError
from ._errors import SeedpoolError as SeedpoolError
from ._errors import UnseededRandomnessError as UnseededRandomnessError
from ._errors import UnseededRandomnessWarning as UnseededRandomnessWarning
from ._errors import WorkerLostError as WorkerLostError
from ._state.backends import available_backends as available_backends
from ._state.context import rng as rng
from ._state.fork import register_generator as register_generator
from ._state.fork import reseed_after_fork as reseed_after_fork
from ._state.fork import stop_reseed_after_fork as stop_reseed_after_fork
from ._state.fork import unregister_generator as unregister_generator
from ._state.record import SeedRecord as SeedRecord
from ._state.seeding import RNGState as RNGState
from ._state.seeding import get_state as get_state
from ._state.seeding import isolate as isolate
from ._state.seeding import seed_everything as seed_everything
from ._state.seeding import set_state as set_state
from ._state.strict import strict as strict
from ._task.task import task_scope as task_scope
from ._task.worker import WorkerInfo as WorkerInfo
from ._task.worker import worker_info as worker_info
from ._version import __version__ as __version__

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
    "task_scope",
    "available_backends",
    "worker_info",
    "reseed_after_fork",
    "stop_reseed_after_fork",
    "register_generator",
    "unregister_generator",
    "strict",
    # Types
    "SeedLike",
    # Errors
    "TimeoutError",
    "RecordError",
    "WorkerLostError",
    "SeedpoolError",
    "BackendUnavailableError",
    "UnseededRandomnessError",
    # Warnings
    "UnseededRandomnessWarning",
)

# Found publicly as seedpool.X (pickle looks classes up by __module__). The errors set
# their own in _errors; SeedLike is a typing alias, which has no __module__ of its own.
for _obj in (SeedTree, RNGState, seed_everything, rng, get_state, set_state, isolate, task_scope,
             available_backends, WorkerInfo, worker_info, reseed_after_fork, stop_reseed_after_fork,
             register_generator, unregister_generator, SeedRecord, strict):
    _obj.__module__ = "seedpool"
del _obj

# Names whose modules are loaded on first access (they import multiprocess / dill).
_LAZY: dict[str, str] = {
    "Pool": "._engines.process_pool",
    "TimeoutError": "._errors",
    "ProcessPoolExecutor": "._engines.executor",
    "ThreadPool": "._engines.threads",
    "ThreadPoolExecutor": "._engines.threads",
}


__getattr__, __dir__ = _lazy_exports.lazy_exports(globals(), _LAZY)
