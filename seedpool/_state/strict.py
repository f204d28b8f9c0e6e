"""Strict mode: report randomness that escapes a task's keyed streams, with file and line.

seedpool keys the global generators per task, but two kinds of randomness escape it:

* **Unseeded generators** created inside a task -- ``np.random.default_rng()``,
  ``SeedSequence()``, a bit generator or ``RandomState()`` with no seed,
  ``np.random.seed()`` / ``random.seed()`` with no argument, ``random.Random()``,
  ``torch.seed()`` / ``torch.Generator().seed()`` -- draw fresh OS entropy: the task's
  result differs on every run.
* **Escaped draws**: a draw from the process's own ``random`` / numpy MT19937 that went
  around the hooks -- through a name bound before they were installed (``from
  numpy.random import rand`` in a module imported before a fork pool started) or from C
  code holding the bit generator (scipy's UNU.RAN samplers) -- comes from the worker's
  leftover stream, so the result depends on the schedule.

How each is found, at no cost while strict mode is off (nothing is installed):

* numpy draws all fresh entropy through ``numpy.random.bit_generator.randbits``
  (``SeedSequence(None)``); that module global is replaced by a checking wrapper.
  ``RandomState(seed)`` builds an unseeded ``MT19937`` and then reseeds it, so mtrand's
  ``_MT19937`` is replaced by a subclass that reports only if no legacy seeding followed
  (it checks when ``RandomState`` reads the bit generator's capsule).
* ``random.Random.seed`` (the Python method every ``Random()`` and ``random.seed()``
  goes through) is wrapped; ``torch.seed`` and ``torch.Generator.seed`` likewise.
* Escapes: at a task's start the position of both process generators is read (one
  8-byte word each, :mod:`seedpool._compat.generator_probes`); if it moved before the
  task's own first draw seeded that generator (or by the end, if it never did), a draw
  went around the hooks. The report names the task's key and the modules that hold a
  name bound to the unhooked generator, where there are any.

A report is a :class:`~seedpool.UnseededRandomnessWarning` at the *user's* line (the
first frame outside numpy, ``random``, torch and seedpool) or, in ``"error"`` mode, an
:class:`~seedpool.UnseededRandomnessError` raised there. With ``SEEDPOOL_STRICT_LOG`` set
each report is also appended to that file as one JSON line (``seedpool check --strict``
collects them from every process that way).
"""

from __future__ import annotations

import dis
import json
import linecache
import os
import random
import sys
import sysconfig
import threading
import warnings
from collections.abc import Iterable
from typing import Any, Optional

import numpy as np

from .._compat import generator_probes
from .._compat import numpy_random as _np_compat
from .._errors import UnseededRandomnessError, UnseededRandomnessWarning
from . import scopes

__all__ = [
    "ENV_STRICT", "ENV_STRICT_IGNORE", "ENV_STRICT_LOG", "DEFAULT_IGNORE",
    "strict", "strict_mode", "current", "follow", "task_begin", "task_end", "note_reseed", "drop",
]

ENV_STRICT = "SEEDPOOL_STRICT"
ENV_STRICT_IGNORE = "SEEDPOOL_STRICT_IGNORE"
ENV_STRICT_LOG = "SEEDPOOL_STRICT_LOG"
_MODES = ("warn", "error")
# Fresh entropy that never reaches a result: tempfile's random file names.
DEFAULT_IGNORE = ("tempfile",)
# Frames skipped when looking for the line to blame: the generators' own code.
_INTERNAL = ("numpy", "random", "secrets", "torch", "seedpool")
_USE_INSTEAD = ("use seedpool.rng() (the task's own Generator), or seed from it, e.g. "
                "np.random.default_rng(seedpool.rng().integers(2**63))")

# `active` is read on every task start: a plain module global, False unless strict is on.
active = False
_mode: Optional[str] = None
_ignore: tuple[str, ...] = ()
# (mode, ignore) as one object: keyed calls carry it to their workers (see current()).
_current: tuple[Optional[str], tuple[str, ...]] = (None, ())
_local = threading.local()  # .tasks: stack of running tasks' tokens; .quiet: depth
_install_lock = threading.Lock()


def _fresh_lock_in_child() -> None:
    global _install_lock
    _install_lock = threading.Lock()  # a parent thread may have held it at fork time


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_lock_in_child)
_originals: dict[str, Any] = {}


# -- the public switch ----------------------------------------------------------------
def _check_mode(mode: Any, what: str = "mode") -> Optional[str]:
    if mode is None or mode in _MODES:
        return mode
    if not isinstance(mode, str):
        raise TypeError(f"strict {what} must be 'warn', 'error' or None (got {mode!r} of type "
                        f"{type(mode).__name__})")
    raise ValueError(f"strict {what} must be 'warn', 'error' or None (got {mode!r})")


def _check_ignore(ignore: Any) -> tuple[str, ...]:
    if isinstance(ignore, str):
        ignore = (ignore,)
    try:
        names = tuple(ignore)
    except TypeError:
        raise TypeError(f"ignore must be an iterable of module names (got {ignore!r})") from None
    for name in names:
        if not isinstance(name, str) or not name:
            raise TypeError(f"ignore must hold non-empty module names as str (got {name!r})")
    return names


class strict:
    """strict(mode, *, ignore=())

    Report randomness that escapes seedpool's keyed streams inside tasks.

    Takes effect when called; used as a context manager, the previous mode comes back
    on exit. The mode is also written to ``SEEDPOOL_STRICT`` so that worker processes
    started afterwards (any start method) run in the same mode.

    Parameters
    ----------
    mode : {"warn", "error", None}
        ``"warn"``: emit :class:`UnseededRandomnessWarning` at the user's line;
        ``"error"``: raise :class:`UnseededRandomnessError` there (the task fails, and
        its error reaches the caller as any task exception does); ``None``: off.
    ignore : iterable of str
        Modules (prefixes of ``__name__``) whose fresh-entropy generators do not affect
        results, e.g. ``["uuid"]``. ``tempfile`` is always ignored.

    Raises
    ------
    TypeError, ValueError
        A bad mode or ignore list (nothing is changed).

    Notes
    -----
    Checked inside seedpool tasks only (pools, executors, thread pools, joblib, Dask,
    Ray, seeded data loaders): outside them a program's own process-wide streams are
    its business. What is reported, and what cannot be, is listed in the module
    documentation of ``seedpool._state.strict`` and the strict-mode guide.

    Examples
    --------
    >>> import seedpool
    >>> with seedpool.strict("warn"):
    ...     pass
    """

    def __init__(self, mode: Optional[str], *, ignore: Iterable[str] = ()) -> None:
        mode = _check_mode(mode)
        names = _check_ignore(ignore)
        self.mode = mode
        self.ignore = names
        self._saved = (_mode, _ignore, os.environ.get(ENV_STRICT), os.environ.get(ENV_STRICT_IGNORE))
        _set(mode, names)
        _export(mode, names)

    def __enter__(self) -> strict:
        return self

    def __exit__(self, *exc: Any) -> None:
        mode, ignore, env, env_ignore = self._saved
        _set(mode, ignore)
        for name, value in ((ENV_STRICT, env), (ENV_STRICT_IGNORE, env_ignore)):
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def __repr__(self) -> str:
        return f"seedpool.strict({self.mode!r}, ignore={list(self.ignore)!r})"


def strict_mode() -> Optional[str]:
    """The current strict mode: ``"warn"``, ``"error"`` or None."""
    return _mode


def _export(mode: Optional[str], ignore: tuple[str, ...]) -> None:
    if mode is None:
        os.environ.pop(ENV_STRICT, None)
    else:
        os.environ[ENV_STRICT] = mode
    if ignore:
        os.environ[ENV_STRICT_IGNORE] = ",".join(ignore)
    else:
        os.environ.pop(ENV_STRICT_IGNORE, None)


def current() -> tuple[Optional[str], tuple[str, ...]]:
    """This process's strict mode and ignore list, as keyed calls carry it to workers."""
    return _current


def follow(state: tuple[Optional[str], tuple[str, ...]]) -> None:
    """Switch this process to the caller's strict ``state`` (a worker seedpool did not
    start, or one started before the caller changed its mode): what ``current()``
    returned there. The environment is left alone: it is this worker's, not the caller's."""
    mode, ignore = state
    _set(_check_mode(mode), _check_ignore(ignore))


def _set(mode: Optional[str], ignore: tuple[str, ...]) -> None:
    global _mode, _ignore, active, _current
    with _install_lock:
        _mode, _ignore = mode, ignore
        _current = (mode, ignore)
        if mode is not None:
            _install()
        else:
            _uninstall()
        active = mode is not None
        # The scopes tell strict mode when a task seeds a generator itself (a callback:
        # they sit below this module and do not import it).
        scopes.set_reseed_observer(note_reseed if active else None)


def _from_environment() -> None:
    value = os.environ.get(ENV_STRICT, "").strip()
    if not value:
        return
    if value not in _MODES:
        raise ValueError(f"{ENV_STRICT} must be 'warn' or 'error', or unset (got {value!r})")
    ignore = tuple(n.strip() for n in os.environ.get(ENV_STRICT_IGNORE, "").split(",") if n.strip())
    _set(value, ignore)


# -- finding the line to blame, and reporting ------------------------------------------
def _library_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    dirs = {os.path.realpath(paths[k]) for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    return tuple(d + os.sep for d in dirs)


_LIBRARY_DIRS = _library_dirs()
_LIBRARY_PARTS = (os.sep + "site-packages" + os.sep, os.sep + "dist-packages" + os.sep)


def _is_library(filename: str) -> bool:
    """Installed code (the stdlib, anything under a site-packages), not the user's."""
    if filename.startswith("<frozen "):
        return True
    path = os.path.realpath(filename)
    return path.startswith(_LIBRARY_DIRS) or any(part in path for part in _LIBRARY_PARTS)


def _blame(depth: int = 2) -> Optional[tuple[str, int, str, str]]:
    """Where to report: ``(file, line, module, via)`` of the user's call -- the first
    frame outside the generators' own code and outside installed libraries -- with
    ``via`` naming the library line that made the generator, if one did. None if an
    ignored module made it. (seedpool's own spare generators are created seeded.)"""
    frame: Any = sys._getframe(depth)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        top = module.partition(".")[0]
        if top not in _INTERNAL:
            break
        frame = frame.f_back
    if frame is None:
        return None
    for prefix in DEFAULT_IGNORE + _ignore:
        if module == prefix or module.startswith(prefix + "."):
            return None
    maker, user = frame, frame
    # A library made it (scipy, sklearn...): blame the user's line that called into it.
    while user is not None and _is_library(user.f_code.co_filename):
        user = user.f_back
    if user is None or user.f_globals.get("__name__", "").partition(".")[0] == "seedpool":
        user = maker  # no user code above (a library called from the engine itself)
    via = "" if user is maker else f" (made in {module}, {_where_code(maker.f_code, maker.f_globals)}:{maker.f_lineno})"
    return _where_code(user.f_code, user.f_globals), user.f_lineno, user.f_globals.get("__name__", ""), via


def _where_code(code: Any, globals_: Any) -> str:
    """``code``'s file; for code without one (a function pickled by value -- loky, Dask
    and Ray send them so -- gets a ``<...>`` name), its module and function, and the
    module's file where this process can find it."""
    filename: str = code.co_filename
    if not filename.startswith("<"):
        return filename
    globals_ = globals_ or {}
    module = globals_.get("__name__", "")
    qualname = getattr(code, "co_qualname", code.co_name)
    # cloudpickle keeps the defining module's __file__ in the function's globals.
    found = globals_.get("__file__") or getattr(sys.modules.get(module), "__file__", None)
    return f"{found or filename} ({module}.{qualname})" if module else f"{filename} ({qualname})"


def _current_task() -> Any:
    tasks = getattr(_local, "tasks", None)
    return tasks[-1] if tasks else None


def _emit(message: str, where: tuple[str, int, str, str], key: Any, summary: str) -> None:
    """Warn or raise with ``message`` at ``where``; log ``summary`` (the message without
    the task's key, so ``seedpool check --strict`` can count reports per place)."""
    filename, lineno, module, _ = where
    log = os.environ.get(ENV_STRICT_LOG)
    if log:
        line = json.dumps({"file": filename, "line": lineno, "what": summary, "task": key,
                           "message": message, "pid": os.getpid()}, default=str)
        # One write of one line with O_APPEND: lines from many processes never interleave.
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode("utf-8", "surrogatepass"))
        finally:
            os.close(fd)
    if _mode == "error":
        raise UnseededRandomnessError(f"{filename}:{lineno}: {message}")
    warnings.warn_explicit(message, UnseededRandomnessWarning, filename, lineno, module=module)


# A generator made by these is about to receive a copied or unpickled state: copy.deepcopy
# rebuilds through copy._reconstruct, and numpy unpickles its generators through the
# constructors in numpy.random._pickle, which make an unseeded one and then set its state.
_COPYING = frozenset({"copy", "copyreg", "pickle", "numpy.random._pickle"})


def _copying(depth: int) -> bool:
    """Whether the generator being made is a copy's or an unpickled one's (any frame above
    is copy's, pickle's or numpy's unpickling constructors): not an unseeded generator."""
    frame: Any = sys._getframe(depth)
    while frame is not None:
        if frame.f_globals.get("__name__", "") in _COPYING:
            return True
        frame = frame.f_back
    return False


# Methods of numpy's bit generators that build an unseeded one of their own type and then
# copy a state into it (numpy/random/_pcg64.pyx and the others: ``self.__class__()``):
# they make a copy, not a stream from fresh entropy.
_NUMPY_COPIES = frozenset({"jumped"})


def _importing(depth: int) -> bool:
    """Whether a module is being imported (a frame of importlib's bootstrap is above):
    what a library builds at import (scipy's docstring examples make ``default_rng()``)
    is not the task's randomness, whichever task imported it first."""
    frame: Any = sys._getframe(depth)
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib._bootstrap"):
            return True
        frame = frame.f_back
    return False


def _calling_numpy_copy(depth: int) -> bool:
    """Whether the first frame outside the generators' own code is calling one of
    :data:`_NUMPY_COPIES` right now (numpy's Cython methods leave no frame of their
    own: the name is read from the caller's current instruction)."""
    frame: Any = sys._getframe(depth)
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] in _INTERNAL:
        frame = frame.f_back
    if frame is None:
        return False
    name = None
    for instruction in dis.get_instructions(frame.f_code):
        if instruction.offset > frame.f_lasti:
            break
        if instruction.opname in ("LOAD_METHOD", "LOAD_ATTR"):
            name = instruction.argval
    return name in _NUMPY_COPIES


def _report_unseeded(what: str, depth: int = 3) -> None:
    if getattr(_local, "quiet", 0):
        return
    task = _current_task()
    if task is None or _copying(depth) or _importing(depth) or _calling_numpy_copy(depth):
        return
    where = _blame(depth)
    if where is None:
        return
    key = _task_key(task)
    _emit(f"{what}{where[3]} inside seedpool task {key} draws fresh OS entropy, so the task's "
          f"result differs on every run; {_USE_INSTEAD}", where, key, f"unseeded: {what}{where[3]}")


# -- creation hooks ---------------------------------------------------------------------
def _install() -> None:
    if _originals:
        return
    original_randbits = _np_compat.fresh_entropy_function()

    def randbits(k: int) -> int:
        _report_unseeded("an unseeded numpy generator (default_rng(), SeedSequence(), a bit "
                         "generator with no seed, or np.random.seed() with no argument)")
        return original_randbits(k)

    _originals["randbits"] = original_randbits
    _np_compat.set_fresh_entropy_function(randbits)
    _originals["_MT19937"] = _np_compat.legacy_mt19937_class()
    _np_compat.set_legacy_mt19937_class(_np_compat.unseeded_reporting_mt19937(
        np.random.MT19937, _quiet, lambda: _report_unseeded("np.random.RandomState() with no seed", 4)))

    original_seed = random.Random.seed

    def seed(self: random.Random, a: Any = None, version: int = 2) -> None:
        if a is None:
            _report_unseeded("random.Random() or random.seed() with no seed")
        return original_seed(self, a, version)

    seed.__doc__ = original_seed.__doc__
    _originals["Random.seed"] = original_seed
    random.Random.seed = seed  # type: ignore[method-assign]
    _install_torch()


def _install_torch() -> None:
    """torch's fresh-entropy entry points, if torch is imported (never imports it)."""
    torch: Any = sys.modules.get("torch")
    if torch is None or "torch.seed" in _originals:
        return
    original = torch.seed

    def seed() -> int:
        _report_unseeded("torch.seed() (a nondeterministic seed for torch's generator)")
        return original()

    seed.__doc__ = original.__doc__
    _originals["torch.seed"] = original
    torch.seed = seed
    if getattr(torch.random, "seed", None) is original:
        torch.random.seed = seed
    base = torch.Generator

    class _Meta(type(base)):  # type: ignore[misc]
        # Generators made before strict mode (torch.default_generator...) stay instances.
        def __instancecheck__(cls, obj: Any) -> bool:
            return isinstance(obj, base)

        def __subclasscheck__(cls, sub: Any) -> bool:
            return issubclass(sub, base)

    class Generator(base, metaclass=_Meta):  # type: ignore[misc,valid-type]
        __doc__ = base.__doc__

        def seed(self) -> int:
            _report_unseeded("torch.Generator().seed() (a nondeterministic seed)")
            return base.seed(self)

        def __reduce__(self) -> Any:  # pickles as a plain torch.Generator
            reduced = base.__reduce__(self)
            return (base,) + tuple(reduced[1:]) if reduced and reduced[0] is type(self) else reduced

    Generator.__module__, Generator.__qualname__ = "torch", "Generator"
    _originals["torch.Generator"] = base
    torch.Generator = Generator


class _Quiet:
    """While entered, this thread reports nothing (numpy making a generator it seeds next)."""

    def __enter__(self) -> None:
        _local.quiet = getattr(_local, "quiet", 0) + 1

    def __exit__(self, *exc: Any) -> None:
        _local.quiet -= 1


_quiet = _Quiet()


def _uninstall() -> None:
    if not _originals:
        return
    _np_compat.set_fresh_entropy_function(_originals.pop("randbits"))
    _np_compat.set_legacy_mt19937_class(_originals.pop("_MT19937"))
    random.Random.seed = _originals.pop("Random.seed")  # type: ignore[method-assign]
    torch: Any = sys.modules.get("torch")
    if torch is not None and "torch.seed" in _originals:
        original = _originals.pop("torch.seed")
        if torch.random.seed is torch.seed:
            torch.random.seed = original
        torch.seed = original
        torch.Generator = _originals.pop("torch.Generator")
    _originals.clear()


# -- escaped draws --------------------------------------------------------------------------
# A running task is a list, for speed (one is made per task while strict mode is on):
# [key, func, python word at start or None once checked, numpy word ... or None].
_KEY, _FUNC, _PYTHON, _NUMPY, _HELD = range(5)
_SLOT = {"python": _PYTHON, "numpy": _NUMPY}
_py_word: Any = None  # ctypes words over the process generators' positions (see _probes)
_np_word: Any = None
_probed = False


def _probe() -> None:
    """Probes on the process's own generators (the unkeyed streams a bypass draws from);
    a generator this Python's layout hides stays unprobed (never reported)."""
    global _py_word, _np_word, _probed

    python, numpy = scopes.process_generators()
    _py_word = generator_probes.python_probe(python)
    _np_word = generator_probes.numpy_probe(_np_compat.bit_generator_of(numpy))
    _probed = True


# -- generators a task did not create -------------------------------------------------------
_held: Optional[list] = None  # [(where, generator, fingerprint function)], found once per process
_held_pid = -1


def _fingerprint(value: Any) -> Any:
    """A cheap reading of a generator's position (None: not a generator we can read)."""
    if isinstance(value, random.Random):
        probe = generator_probes.python_probe(value)
        return probe.value if probe is not None else value.getstate()
    if isinstance(value, np.random.Generator):
        return _state_key(value.bit_generator.state)
    if isinstance(value, np.random.RandomState):
        return _state_key(_np_compat.bit_generator_of(value).state)
    if isinstance(value, np.random.BitGenerator):
        return _state_key(value.state)
    return None


def _state_key(state: Any) -> str:
    return repr(state)  # nested dicts of ints and arrays: compared, never parsed


def _user_held_generators() -> list:
    """Generators held at module level by the program's own modules (not libraries'):
    a worker inherits them from the parent (fork) or rebuilds them at import, so every
    worker draws the same numbers from them, in an order the schedule decides."""
    global _held, _held_pid
    if _held is not None and _held_pid == os.getpid():
        return _held
    seen = {id(own) for own in scopes.process_generators()}
    found = []
    for name, module in list(sys.modules.items()):
        if module is None or name.partition(".")[0] in _INTERNAL:
            continue
        path = getattr(module, "__file__", None)
        if not path or _is_library(path):
            continue
        try:
            items = list(vars(module).items())
        except TypeError:
            continue
        for attr, value in items:
            if id(value) in seen:  # the process's own, or met already (__main__ is also __mp_main__)
                continue
            if _fingerprint(value) is not None:
                seen.add(id(value))
                found.append((f"{name}.{attr} ({path})", value))
    _held, _held_pid = found, os.getpid()
    return found


def _check_held(task: list) -> None:
    for (where, value), start in zip(_user_held_generators(), task[_HELD]):
        if _fingerprint(value) != start:
            key = _task_key(task)
            message = (f"seedpool task {key} drew from {where}, a generator held at module level, not one "
                       f"the task made: every worker has its own copy of it (inherited at fork, or "
                       f"rebuilt at import with the same seed), so what a task draws depends on which "
                       f"worker runs it and what ran there before; {_USE_INSTEAD}")
            name = where.partition(" ")[0]
            path = where.rpartition(" (")[2].rstrip(")")
            _emit(message, (path, _assigned_at(path, name.rpartition(".")[2]), name.rpartition(".")[0], ""), key,
                  f"module-level generator: {name}")


def _assigned_at(path: str, attr: str) -> int:
    """The line of ``path`` where ``attr`` is first assigned at module level (0 if none is found)."""
    for number, line in enumerate(linecache.getlines(path), 1):
        if line.startswith(attr) and line[len(attr):].lstrip()[:1] in ("=", ":"):
            return number
    return 0


def task_begin(key: Any, func: Any = None, shared_streams: bool = True,
               python_stale: bool = True, numpy_stale: bool = True) -> list:
    """A task starts (called by the task protocol only while :data:`active`).

    ``key`` is the task's key path (or its node). ``shared_streams``: the task's draws
    go to the process's own generators (a process-pool task), so a move of those before
    the task seeds them is a bypass. False where other threads may draw from them
    meanwhile (thread tasks): then only unseeded creations are reported. A generator
    the task has already seeded at its start (``*_stale`` False) is the task's own from
    the start: a bypassing draw from it is still keyed, so it is not watched.
    """
    if "torch" in sys.modules and "torch.seed" not in _originals:
        _install_torch()  # torch imported since strict mode was switched on
    if shared_streams:
        if not _probed:
            _probe()
        # The user's module-level generators too: in a process-pool task nothing else
        # runs in the process meanwhile, so a move is this task's draw (a thread task's
        # main thread may draw from its own generators at the same time: not checked).
        held = [_fingerprint(value) for _, value in _user_held_generators()]
        task = [key, func, _py_word.value if python_stale and _py_word is not None else None,
                _np_word.value if numpy_stale and _np_word is not None else None, held]
    else:
        task = [key, func, None, None, ()]
    try:
        _local.tasks.append(task)
    except AttributeError:
        _local.tasks = [task]
    return task


def note_reseed(backend: str) -> None:
    """The running task is about to seed ``backend`` ("python"/"numpy") itself (its
    first draw, or its own ``seed``): anything that moved that generator since the task
    began went around the hooks."""
    task = _current_task()
    if task is not None:
        slot = _SLOT[backend]
        start = task[slot]
        if start is not None:
            task[slot] = None
            _check_moved(task, backend, start)


def task_end(task: list, check: bool = True) -> None:
    """The task is over: pop it, and (``check``) see whether the generators it never
    seeded moved (a task that raised is not checked: its own error is the one to see)."""
    drop(task)
    if not check:
        return
    # The moves are compared here; reporting one is _check_moved's (rare) business.
    start = task[_PYTHON]
    if start is not None and _py_word.value != start:
        task[_PYTHON] = None
        _check_moved(task, "python", start)
    start = task[_NUMPY]
    if start is not None and _np_word.value != start:
        task[_NUMPY] = None
        _check_moved(task, "numpy", start)
    if task[_HELD]:
        _check_held(task)


def drop(task: list) -> None:
    """Pop a task without checking it (one that raised: its own error is the one to see)."""
    tasks = getattr(_local, "tasks", None)
    if tasks and tasks[-1] is task:
        tasks.pop()


def _task_key(task: list) -> list:
    key = task[_KEY]
    if callable(key):  # Task.node: the node, built only when a report needs it
        key = key()
    return list(getattr(key, "path", key) or ())


def _check_moved(task: list, backend: str, start: int) -> None:
    word = _py_word if backend == "python" else _np_word
    if word.value == start:
        return
    key = _task_key(task)
    holders = _holders(backend)
    what = "Python's random" if backend == "python" else "numpy's global MT19937"
    via = ("a name bound to it before the hooks"
           + (f" ({', '.join(holders)} hold such names)" if holders else "")
           + (", or C code holding the bit generator (e.g. scipy's UNU.RAN samplers with "
              "random_state=None)" if backend == "numpy" else ""))
    message = (f"seedpool task {key} drew from {what} around seedpool's hooks ({via}): that "
               f"draw came from the worker's leftover stream, so the result depends on the "
               f"schedule; look the name up at call time (np.random.rand, not `from numpy.random "
               f"import rand`), or pass random_state=seedpool.rng()")
    func = task[_FUNC]
    code = getattr(func, "__code__", None)
    if code is not None:
        module = getattr(func, "__module__", "") or ""
        where = (_where_code(code, {"__name__": module}), code.co_firstlineno, module, "")
    else:
        where = ("<task " + ",".join(map(str, key)) + ">", 0, "", "")
    _emit(message, where, key, f"escaped draw: {what} drawn around the hooks ({via})")


def _holders(backend: str) -> list[str]:
    """Modules holding a bound method of the unhooked generator (``from random import
    random`` / ``from numpy.random import rand`` run before the hooks)."""
    python, numpy = scopes.process_generators()
    owner_wanted = python if backend == "python" else numpy

    def unhooked(obj: Any) -> bool:
        return obj is owner_wanted
    found = []
    for name, module in list(sys.modules.items()):
        if module is None or name.partition(".")[0] in _INTERNAL:
            continue
        try:
            values = list(vars(module).items())
        except TypeError:
            continue
        for attr, value in values:
            owner = getattr(value, "__self__", None)
            if owner is not None and not isinstance(owner, type) and unhooked(owner):
                found.append(f"{name}.{attr}")
    return sorted(found)[:10]


_from_environment()
