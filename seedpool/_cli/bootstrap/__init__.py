"""What ``seedpool run`` does inside every Python process it starts.

``seedpool run`` puts this directory first on ``PYTHONPATH`` and sets::

    SEEDPOOL_RUN=1          activate (without it, importing this package does nothing)
    SEEDPOOL_SEED=<node>    this process's node (a plain int for the root, else JSON)
    (SEEDPOOL_SEED_PID)     not set by seedpool run: each process writes its own pid (see 4.)
    SEEDPOOL_POOLS=1        optional: replace the stdlib pools by seedpool's
    SEEDPOOL_RECORD=<file>  optional: append one line per process to the seed record

At start-up ``sitecustomize`` calls :func:`activate`, which

1. seeds ``random``, numpy's global state and ``seedpool.rng()`` from the node
   (exactly what ``seed_everything(node)`` does for those backends);
2. turns on after-fork reseeding under the node (:mod:`seedpool._state.fork`): the k-th
   child the process starts is keyed ``node.child("child", k)``;
3. numbers the children that are not forks with the same counter, and tells each its
   node:

   * ``subprocess.Popen`` (and so ``os.popen``, ``subprocess.run``...): through
     ``SEEDPOOL_SEED`` in a copy of the environment passed as the child's ``env``;
   * ``os.system``: the command becomes ``export SEEDPOOL_SEED=<node>; unset
     SEEDPOOL_SEED_PID; <command>``, so the shell sets it for the child only;
   * ``os.posix_spawn``/``os.posix_spawnp``, ``os.spawnv*``/``os.spawnl*``: the same, in
     the ``env`` they are given (or a copy of ``os.environ``);
   * ``multiprocessing`` spawn: an ``-X seedpool_seed=<node>`` option on the child's
     command line, read (and removed) at start-up, so the child is seeded before it
     re-imports ``__main__``;
   * ``multiprocessing`` forkserver: the server forks the child, so the node travels
     in the pickled preparation data and is applied in ``spawn.prepare`` (also before
     ``__main__`` is re-imported). The server itself and the resource trackers are
     helpers of the process that starts them: they get that process's own node, on
     their command line too;
   * loky's workers (joblib's default backend): ``LokyProcess`` is a
     ``multiprocessing`` process started by ``fork_exec`` with the parent's
     environment; the node travels in loky's own preparation data, applied in loky's
     ``spawn.prepare`` before the worker unpickles anything of the caller's;
   * fork: the after-fork hook.

   The same patches are applied to the ``multiprocess`` package (dill's fork of
   ``multiprocessing``) when it is imported;
4. makes an *inherited* node detectable. An activated process writes its own pid to
   ``SEEDPOOL_SEED_PID`` next to its ``SEEDPOOL_SEED``; the environment handed to a
   numbered child has no ``SEEDPOOL_SEED_PID``. A process that finds the variable
   naming another pid got its node from a start path none of the above numbered (a
   library calling ``_posixsubprocess`` itself, say), and a process whose parent is
   Ray's raylet got the raylet's node, which the raylet hands to every worker alike.
   Such a process must not replay its parent's streams: it is seeded from fresh
   entropy, as it would be without ``seedpool run`` (and writes no record line), so its
   draws differ between runs and ``seedpool check`` reports the program;
5. with ``SEEDPOOL_POOLS=1``, replaces ``multiprocessing.pool.Pool`` (so also
   ``multiprocessing.Pool`` and ``ctx.Pool``) and
   ``concurrent.futures.ProcessPoolExecutor`` by subclasses of ``seedpool.Pool`` and
   ``seedpool.ProcessPoolExecutor`` whose ``seed=None`` is the process's node, the
   thread pools (``multiprocessing.pool.ThreadPool``, ``multiprocessing.dummy.Pool``,
   ``concurrent.futures.ThreadPoolExecutor``) by ``seedpool.ThreadPool`` /
   ``seedpool.ThreadPoolExecutor``, and ``joblib.Parallel`` (once joblib is imported)
   by ``seedpool.joblib.Parallel``.

Dask's worker processes reseed numpy's global state from OS entropy when they start
(``dask.multiprocessing.default_initializer``, because a forked worker would otherwise
share its parent's); under ``seedpool run`` no process shares its parent's, so that
reseed is skipped and the worker keeps the stream of its own node.

The parent's ``os.environ`` is never changed to start a child and no lock is held while
a child runs: a thread of the parent may start children while others run.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.util
import inspect
import os
import shlex
import sys
import threading
from collections.abc import Mapping
from typing import Any, Callable, Optional

from ... import _fuzz
from ..._compat import ray_workers
from ..._derive.tree import SeedTree
from ..._state.fork import (
    _assigned_child,
    _suppress_fork_counting,
    counting_suppressed,
    fork_node,
    next_child_key,
    next_child_node,
    node_for_key,
    reseed_after_fork,
    seed_process,
)
from ..._state.record import ENV_RECORD, record_consumer
from ..._state.root import ENV_SEED, tree_from_env, tree_to_env

__all__ = ["ENV_RUN", "ENV_POOLS", "ENV_SEED_PID", "BOOTSTRAP_DIR", "activate", "child_env"]

ENV_RUN = "SEEDPOOL_RUN"
ENV_POOLS = "SEEDPOOL_POOLS"
ENV_SEED_PID = "SEEDPOOL_SEED_PID"  # the pid whose own node SEEDPOOL_SEED is
BOOTSTRAP_DIR = os.path.dirname(os.path.abspath(__file__))
_PREP_KEY = "seedpool_node"
_XOPTION = "seedpool_seed"  # -X seedpool_seed=<node> on a spawn child's command line

_active = False
_local = threading.local()  # .node: the node of the Process being started in this thread
_fork = threading.local()  # .node: fork_node() when this thread forked (see _mark_owner)


def _warn(message: str) -> None:
    sys.stderr.write(f"seedpool run: {message}\n")


def child_env(base: Mapping[str, str], *, seed_env: str, pools: bool = False,
              record: Optional[str] = None, hash_seed: Optional[str] = None) -> dict[str, str]:
    """The environment for a process started under ``seedpool run``.

    Parameters
    ----------
    base : dict
        The environment to start from (not modified).
    seed_env : str
        ``SEEDPOOL_SEED`` for the process (see ``seedpool._state.root.tree_to_env``).
    pools, record
        ``SEEDPOOL_POOLS`` and ``SEEDPOOL_RECORD``.
    hash_seed : str, optional
        ``PYTHONHASHSEED`` for every process of the run, unless ``base`` sets it.
    """

    env = dict(base)
    # Empty entries stay: "a::b" or a leading ":" put the current directory on sys.path.
    # An empty or unset PYTHONPATH has no entries at all (Python ignores it).
    old = env.get("PYTHONPATH", "")
    parts = [p for p in old.split(os.pathsep) if p != BOOTSTRAP_DIR] if old else []
    env["PYTHONPATH"] = os.pathsep.join([BOOTSTRAP_DIR] + parts)
    if hash_seed is not None and "PYTHONHASHSEED" not in env:
        env["PYTHONHASHSEED"] = hash_seed
    env[ENV_RUN] = "1"
    env[ENV_SEED] = seed_env
    env.pop(ENV_SEED_PID, None)  # given to the process, not inherited
    if pools:
        env[ENV_POOLS] = "1"
    else:
        env.pop(ENV_POOLS, None)
    if record:
        env[ENV_RECORD] = os.path.abspath(record)
    return env


def activate() -> None:
    """Seed this process and install the hooks, if ``SEEDPOOL_RUN=1`` (idempotent)."""
    global _active
    if _active or os.environ.get(ENV_RUN) != "1":
        return

    # A spawn child's node comes on its command line (see _patch_util); it becomes this
    # process's SEEDPOOL_SEED, and is removed from the options its children inherit
    # (subprocess._args_from_interpreter_flags copies sys._xoptions).
    given = getattr(sys, "_xoptions", {}).pop(_XOPTION, None)
    if isinstance(given, str):
        os.environ[ENV_SEED] = given
        inherited = False
    else:
        inherited = _inherited()
    env = os.environ.get(ENV_SEED)
    # An inherited node is not this process's: replaying it would repeat the parent's
    # (or a sibling's) streams. Fresh entropy, as without seedpool run; no record line,
    # since the node is under no root of the run.
    node = tree_from_env(env) if env and not inherited else SeedTree()
    seed_process(node)
    _claim_node()
    reseed_after_fork(node)
    os.register_at_fork(before=_note_fork, after_in_child=_mark_owner)
    if not inherited:
        record_consumer(node, kind="process")
    _active = True

    _patch_subprocess()
    _patch_os_system()
    _patch_os_spawn()
    for package in ("multiprocessing", "multiprocess"):
        when_imported(f"{package}.process", _patch_process_start)
        when_imported(f"{package}.spawn", _patch_spawn)
        when_imported(f"{package}.util", _patch_util)
    # loky (joblib's copy, and the stand-alone package) prepares its workers with its
    # own spawn module; its LokyProcess is a multiprocessing BaseProcess (patched above).
    for package in ("joblib.externals.loky", "loky"):
        when_imported(f"{package}.backend.spawn", _patch_spawn)
    when_imported("dask.multiprocessing", _patch_dask_initializer)
    if os.environ.get(ENV_POOLS) == "1":
        _replace_pools()


def _inherited() -> bool:
    """Whether this process's ``SEEDPOOL_SEED`` was meant for another process.

    True when ``SEEDPOOL_SEED_PID`` names another pid (the environment was copied from an
    activated process by a start path that gave the child no node of its own), or when
    Ray's raylet started this process: the raylet is one numbered child of the driver
    and passes its environment to every worker it starts. False for a node handed to
    this process (no ``SEEDPOOL_SEED_PID``) and after an ``exec`` in place (its own pid).
    """
    owner = os.environ.get(ENV_SEED_PID)
    if owner:
        return owner != str(os.getpid())
    return ray_workers.started_by_raylet(os.environ, os.getppid())


def _claim_node() -> None:
    """Mark ``SEEDPOOL_SEED`` as this process's own node (see :func:`_inherited`)."""
    os.environ[ENV_SEED_PID] = str(os.getpid())


def _note_fork() -> None:
    _fork.node = fork_node()


def _mark_owner() -> None:
    """After a fork, in the child: claim the node if the fork hook gave the child its own.

    A fork that took no key (reseeding off, or a ``subprocess`` fork that execs at once
    with an environment of its own) keeps the parent's pid: an ``exec`` from there is
    inherited, not given.
    """
    node = fork_node()
    if node is not None and node is not getattr(_fork, "node", None):
        _claim_node()
    _fork.node = None


# -- post-import hooks --------------------------------------------------------------------
_hooks: dict[str, list[Callable[[Any], None]]] = {}


def when_imported(name: str, hook: Callable[[Any], None]) -> None:
    """Call ``hook(module)`` now if ``name`` is imported, else right after its import.

    Lets the bootstrap patch ``multiprocess`` without importing it (and dill) into
    every process.
    """
    module = sys.modules.get(name)
    if module is not None:
        hook(module)
        return
    _hooks.setdefault(name, []).append(hook)
    if not any(isinstance(f, _PostImportFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _PostImportFinder())


class _PostImportFinder(importlib.abc.MetaPathFinder):
    """Finds nothing itself; wraps the real loader of a hooked module."""

    def __init__(self) -> None:
        self._busy: set = set()

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in _hooks or fullname in self._busy:
            return None
        self._busy.add(fullname)
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self._busy.discard(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _HookedLoader(spec.loader, fullname)
        return spec


class _HookedLoader(importlib.abc.Loader):
    def __init__(self, loader: Any, name: str) -> None:
        self._loader = loader
        self._name = name

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        # Give the module its real loader back (inspect, linecache, importlib.resources).
        module.__loader__ = self._loader
        if getattr(module, "__spec__", None) is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        for hook in _hooks.pop(self._name, []):
            try:
                hook(module)
            except Exception as exc:  # noqa: BLE001 - never break the user's import
                _warn(f"could not patch {self._name} ({type(exc).__name__}: {exc})")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


# -- children that are not forks -------------------------------------------------------------
def _patch_subprocess() -> None:
    import subprocess

    original = subprocess.Popen.__init__
    if getattr(original, "_seedpool", False):
        return
    signature = inspect.signature(original)

    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        child = next_child_node()
        if child is None:
            return original(self, *args, **kwargs)
        bound = signature.bind(self, *args, **kwargs)
        env = bound.arguments.get("env")
        # An explicit env= is honoured, plus what the child needs to be seeded.
        bound.arguments["env"] = _inherit(os.environ if env is None else env, tree_to_env(child))
        # preexec_fn makes the fork run the at-fork hooks; the child execs straight
        # away, so that fork must not take a key or seed anything.
        with _suppress_fork_counting():
            return original(*bound.args, **bound.kwargs)

    __init__._seedpool = True  # type: ignore[attr-defined]
    subprocess.Popen.__init__ = __init__  # type: ignore[method-assign]


def _inherit(env: Any, seed_env: str) -> dict[Any, Any]:
    out = dict(env)
    for name in (ENV_RUN, ENV_POOLS, ENV_RECORD):
        if name in os.environ and name not in out:
            out[name] = os.environ[name]
    path = out.get("PYTHONPATH", "")
    if BOOTSTRAP_DIR not in str(path).split(os.pathsep):
        out["PYTHONPATH"] = os.pathsep.join([BOOTSTRAP_DIR] + ([path] if path else []))
    out[ENV_SEED] = seed_env
    out.pop(ENV_SEED_PID, None)  # a node given to the child, not inherited from us
    return out


def _patch_os_system() -> None:
    original = os.system
    if getattr(original, "_seedpool", False):
        return

    @functools.wraps(original)
    def system(command: Any) -> int:
        child = next_child_node()
        if child is None or os.name != "posix":
            return original(command)
        # The shell exports the child's node to the command only: the parent's
        # os.environ stays as it is, and no lock is held while the command runs.
        prefix = f"export {ENV_SEED}={shlex.quote(tree_to_env(child))}; unset {ENV_SEED_PID}; "
        if isinstance(command, bytes):
            return original(os.fsencode(prefix) + command)
        return original(prefix + os.fspath(command))

    system._seedpool = True  # type: ignore[attr-defined]
    os.system = system


def _patch_os_spawn() -> None:
    """``os.posix_spawn``/``posix_spawnp`` and ``os.spawnv*`` (so ``os.spawnl*``, which call
    them): the child's node in its ``env``, like ``subprocess``."""
    for name in ("posix_spawn", "posix_spawnp"):
        original = getattr(os, name, None)
        if original is not None and not getattr(original, "_seedpool", False):
            setattr(os, name, _posix_spawn_with_node(original))
    # On POSIX, os.spawnv* are Python functions (fork, then exec); elsewhere they are C
    # functions that seedpool run does not reach.
    if os.name != "posix" or not hasattr(os, "spawnve") or getattr(os.spawnve, "_seedpool", False):
        return
    spawnve, spawnvpe = os.spawnve, os.spawnvpe
    os.spawnve = _spawn_with_node(spawnve, spawnve)
    os.spawnvpe = _spawn_with_node(spawnvpe, spawnvpe)
    os.spawnv = _spawn_with_node(os.spawnv, spawnve)
    os.spawnvp = _spawn_with_node(os.spawnvp, spawnvpe)


def _posix_spawn_with_node(original: Callable[..., int]) -> Callable[..., int]:
    @functools.wraps(original)
    def posix_spawn(path: Any, argv: Any, env: Any, **kwargs: Any) -> int:
        # Called by subprocess.Popen (3.13 spawns with it whenever it can): the child
        # was numbered there and its env already carries the node.
        child = None if counting_suppressed() else next_child_node()
        if child is None:
            return original(path, argv, env, **kwargs)
        return original(path, argv, _inherit(env, tree_to_env(child)), **kwargs)

    posix_spawn._seedpool = True  # type: ignore[attr-defined]
    return posix_spawn


def _spawn_with_node(original: Callable[..., int], with_env: Callable[..., int]) -> Callable[..., int]:
    """``original`` (``os.spawnv``, ``spawnve``...) with the child's node in the env that
    ``with_env`` (its variant taking an env) is called with."""

    @functools.wraps(original)
    def spawn(mode: int, file: Any, args: Any, *env: Any, **kwargs: Any) -> int:
        child = None if counting_suppressed() else next_child_node()
        if child is None:
            return original(mode, file, args, *env, **kwargs)
        env = env or tuple(kwargs.values())  # spawnve(..., env=e)
        given = _inherit(env[0] if env else os.environ, tree_to_env(child))
        # The fork inside os.spawn* must not take a second key: the child execs at once.
        with _suppress_fork_counting():
            return with_env(mode, file, args, given)

    spawn._seedpool = True  # type: ignore[attr-defined]
    return spawn


# -- multiprocessing / multiprocess --------------------------------------------------------------
def _patch_process_start(module: Any) -> None:
    cls = module.BaseProcess
    original = cls.start
    if getattr(original, "_seedpool", False):
        return

    @functools.wraps(original)
    def start(self: Any) -> None:
        key = next_child_key()
        if key is None:
            return original(self)
        child = node_for_key(key)
        previous = getattr(_local, "node", None)
        _local.node = child
        try:
            # fork: the at-fork hook uses this key instead of taking a new one;
            # spawn: util.spawnv_passfds below puts the node in the child's environment;
            # forkserver: spawn.get_preparation_data below carries the node.
            with _assigned_child(key):
                return original(self)
        finally:
            _local.node = previous

    start._seedpool = True  # type: ignore[attr-defined]
    cls.start = start


def _patch_util(module: Any) -> None:
    original = module.spawnv_passfds
    if getattr(original, "_seedpool", False):
        return

    @functools.wraps(original)
    def spawnv_passfds(path: Any, args: Any, passfds: Any) -> int:
        node = getattr(_local, "node", None)
        if node is not None and "--multiprocessing-fork" in args:
            given = tree_to_env(node)
        else:
            # The resource tracker and the forkserver, launched through here too, are
            # helpers of this process: they stay on its node (a forkserver's preloaded
            # __main__ runs there, and its children start from that module, as forks
            # would) -- given explicitly, since the environment alone now reads as
            # inherited (SEEDPOOL_SEED_PID is ours).
            given = os.environ.get(ENV_SEED, "")
            if not given:
                return original(path, args, passfds)
        # On the child's command line, not in our os.environ: nothing of the parent
        # changes and nothing is locked while other threads start children.
        args = [args[0], "-X", f"{_XOPTION}={given}", *args[1:]]
        return original(path, args, passfds)

    spawnv_passfds._seedpool = True  # type: ignore[attr-defined]
    module.spawnv_passfds = spawnv_passfds


def _patch_spawn(module: Any) -> None:
    get_data = module.get_preparation_data
    prepare = module.prepare
    if getattr(get_data, "_seedpool", False):
        return

    @functools.wraps(get_data)
    def get_preparation_data(*args: Any, **kwargs: Any) -> dict[str, Any]:
        data = get_data(*args, **kwargs)  # loky's takes init_main_module too
        node = getattr(_local, "node", None)
        if node is not None:
            # An unknown key is ignored by prepare() in a child without seedpool.
            data[_PREP_KEY] = tree_to_env(node)
        return data

    @functools.wraps(prepare)
    def prepare_(data: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        text = data.get(_PREP_KEY)
        if text is not None:
            _adopt(text)
        return prepare(data, *args, **kwargs)

    get_preparation_data._seedpool = True  # type: ignore[attr-defined]
    module.get_preparation_data = get_preparation_data
    module.prepare = prepare_


def _adopt(text: str) -> None:
    """In a forkserver/spawn child: become the node the parent chose, if not already."""

    node = tree_from_env(text)
    if node == fork_node():
        return  # spawn: already seeded from SEEDPOOL_SEED at start-up
    seed_process(node)
    _claim_node()
    reseed_after_fork(node)
    record_consumer(node, kind="process")


def _patch_dask_initializer(module: Any) -> None:
    """Dask's workers reseed numpy from OS entropy at start-up, because a forked worker
    would share its parent's stream. Under ``seedpool run`` every process (forked or not)
    already has a stream of its own node: keep it, so workers stay reproducible."""
    original = getattr(module, "default_initializer", None)
    if original is None or getattr(original, "_seedpool", False):
        return

    @functools.wraps(original)
    def default_initializer() -> None:
        if fork_node() is None:  # reseeding turned off in this process: Dask's reason holds
            original()

    default_initializer._seedpool = True  # type: ignore[attr-defined]
    module.default_initializer = default_initializer


# -- --pools ------------------------------------------------------------------------------------
def _replace_pools() -> None:
    import concurrent.futures
    import concurrent.futures.process
    import multiprocessing.pool

    import seedpool

    try:
        pool, executor = seedpool.Pool, seedpool.ProcessPoolExecutor
    except AttributeError as exc:
        _warn(f"--pools needs seedpool.Pool and seedpool.ProcessPoolExecutor ({exc}); pools left as they are")
        return
    # seedpool check --fuzz (SEEDPOOL_FUZZ): subclasses that take the drawn schedule.
    pool, executor, thread_pool, thread_executor = _fuzz.fuzzed_classes(pool, executor, seedpool.ThreadPool,
                                                                  seedpool.ThreadPoolExecutor)
    # seed=None already means this process's root (the k-th pool: root.child("pools", k)),
    # and every process of the run has one, so the classes go in as they are.
    # multiprocessing.Pool and ctx.Pool import multiprocessing.pool.Pool at call time.
    _replace_pool_class(multiprocessing.pool, pool)
    concurrent.futures.process.ProcessPoolExecutor = executor  # type: ignore[misc]  # the patch --pools asks for
    concurrent.futures.ProcessPoolExecutor = executor  # type: ignore[misc]  # the patch --pools asks for
    when_imported("multiprocess.pool", _replace_multiprocess_pool)
    _replace_thread_pools(thread_pool, thread_executor)
    _replace_joblib_parallel()


def _replace_pool_class(module: Any, pool: type) -> None:
    """Make ``module.Pool`` (``multiprocessing.pool`` or ``multiprocess.pool``) ``pool``,
    leaving the module's thread pools working.

    ``ThreadPool.__init__`` calls ``Pool.__init__(self, ...)`` through the module global
    (3.9-3.13, and multiprocess): once that global is seedpool's class, a ThreadPool
    would run seedpool's process-pool set-up and fail. Its ``__init__`` is pointed back
    at the original class (``multiprocessing.dummy.Pool`` builds a ThreadPool, so it is
    covered too). Whether thread pools get seeded is the thread-pool issue's decision.
    """
    thread_pool = module.ThreadPool
    original_thread_init = thread_pool.__init__
    if getattr(original_thread_init, "_seedpool", False):
        return  # replaced already
    original = module.Pool

    def __init__(self: Any, processes: Any = None, initializer: Any = None, initargs: Any = ()) -> None:
        original.__init__(self, processes, initializer, initargs)

    __init__.__doc__ = original_thread_init.__doc__
    __init__._seedpool = True  # type: ignore[attr-defined]
    thread_pool.__init__ = __init__
    module.Pool = pool


def _replace_multiprocess_pool(module: Any) -> None:
    """``multiprocess.Pool`` (schwimmbad's MultiPool, pathos and SALib build on it) becomes
    a ``seedpool.Pool`` that keeps multiprocess's dill transport: its default context is
    multiprocess's, as the class it replaces."""
    import multiprocess

    import seedpool

    class Pool(seedpool.Pool):  # type: ignore[misc,valid-type]
        _seedpool_replacement = True

        def __init__(self, processes: Any = None, initializer: Any = None, initargs: Any = (),
                     maxtasksperchild: Any = None, context: Any = None, **kwargs: Any) -> None:
            if context is None:
                method = multiprocess.get_start_method(allow_none=True) or multiprocess.get_all_start_methods()[0]
                context = multiprocess.get_context(method)
            super().__init__(processes, initializer, initargs, maxtasksperchild, context, **kwargs)

    Pool.__module__, Pool.__qualname__ = module.__name__, "Pool"
    _replace_pool_class(module, Pool)


def _replace_thread_pools(pool: Any, executor: Any) -> None:
    """``--pools`` for threads: ``multiprocessing.pool.ThreadPool`` (so also
    ``multiprocessing.dummy.Pool``, which looks it up at call time) and
    ``concurrent.futures.ThreadPoolExecutor`` become the seeded thread pools."""
    import concurrent.futures
    import concurrent.futures.thread
    import multiprocessing.pool
    multiprocessing.pool.ThreadPool = pool  # type: ignore[misc]  # the patch --pools asks for
    concurrent.futures.thread.ThreadPoolExecutor = executor  # type: ignore[misc]  # the patch --pools asks for
    concurrent.futures.ThreadPoolExecutor = executor  # type: ignore[misc]  # the patch --pools asks for


def _replace_joblib_parallel() -> None:
    """``--pools``: make ``joblib.Parallel`` ``seedpool.joblib.Parallel`` right after joblib
    is imported (never importing it here), so every call -- scikit-learn's too, whose
    ``Parallel`` subclasses ``joblib.Parallel`` when sklearn is imported -- is keyed by
    (call, position); ``seed=None`` is the k-th pool's node of this process."""

    def swap(module: Any) -> None:
        import joblib.parallel  # type: ignore[import-untyped]

        ours = sys.modules.get("seedpool.joblib")
        if ours is not None and not hasattr(ours, "Parallel"):
            return  # seedpool.joblib is importing joblib: it swaps when it is done
        from ...joblib import Parallel  # deferred: imports joblib

        module.Parallel = joblib.parallel.Parallel = Parallel

    when_imported("joblib", swap)
